# SPDX-License-Identifier: Apache-2.0
"""Start the Rabit tracker that ships with python3-xgboost for a distributed-training job.

    /usr/bin/python3 rabit_tracker.py --workers N [--host 127.0.0.1] [--port 0]

Prints the workers' environment (DMLC_TRACKER_URI, DMLC_TRACKER_PORT, DMLC_NUM_WORKER), one
KEY=VALUE per line between DMLC_TRACKER_ENV_START and DMLC_TRACKER_ENV_END as xgboost's own
standalone tracker does, then waits until every worker has finished (exit 0). Ranks follow the
workers' task ids (DMLC_TASK_ID, sorted as text), so a job's rank 0 is chosen by its operator,
not by which site connects first. Exit 3 when python3-xgboost is absent.
"""
import argparse
import sys

try:
    from xgboost.tracker import RabitTracker
except ImportError:
    sys.stderr.write("python3-xgboost is not installed\n")
    sys.exit(3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, required=True, help="number of workers in the job")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")

    tracker = RabitTracker(host_ip=args.host, n_workers=args.workers, port=args.port, sortby="task")
    environment = {"DMLC_NUM_WORKER": args.workers}
    environment.update(tracker.worker_envs())
    tracker.start(args.workers)
    print("DMLC_TRACKER_ENV_START")
    for key, value in environment.items():
        print(f"{key}={value}")
    print("DMLC_TRACKER_ENV_END", flush=True)
    tracker.join()


if __name__ == "__main__":
    main()
