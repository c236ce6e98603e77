// SPDX-License-Identifier: Apache-2.0
// Membership of a distributed XGBoost job on XGBoost's own collective (Rabit). While a session is
// alive, every DMatrix this process creates and every Booster it trains takes part in the job:
// XGBoost all-reduces column counts, quantile sketches and gradient histograms with the other
// workers, so each worker keeps its own rows and all of them end with the same model. The tracker
// that assigns ranks is python3-xgboost's `xgboost.tracker.RabitTracker` (docs/distributed.md).
//
// XGBoost's communicator is per thread and one per process: join, train and leave on one thread,
// one session at a time. Every worker must make the same collective calls in the same order (a
// DMatrix created by one worker alone blocks, then fails, the others).
#pragma once

#include "core/error.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace mosaic {

struct CollectiveJob
{
    // Limits on what is handed to Rabit, which copies each "name=value" setting into 256-byte buffers.
    static constexpr std::size_t kMaxTextLength = 128;
    static constexpr int kMaxWorkers = 1024;

    std::string trackerHost; // the tracker's address, as the workers reach it
    int trackerPort = 0;
    std::string taskId; // this worker's name in the job ("site-a"); the tracker ranks workers by it
    int workers = 0; // the job's worker count, which must equal the tracker's
    // How long an established job waits for a silent peer before failing (Rabit's own timeout), and
    // how many times a worker retries reaching the tracker (Rabit sleeps 2, 4, 6, ... s between).
    std::chrono::seconds peerTimeout { 600 };
    int connectRetries = 5;
};

class CollectiveSession
{
public:
    // Joins the job: blocks until the tracker has heard from every worker and assigned ranks.
    // InvalidArgument for an impossible job (empty host, port out of range, a task id with spaces or
    // '=', another session alive in this process); ModelFailure with XGBoost's message when Rabit
    // cannot reach the tracker; InvalidArgument when the tracker's worker count differs from `workers`.
    static Result<CollectiveSession> join(const CollectiveJob &job);

    CollectiveSession(CollectiveSession &&other) noexcept;
    CollectiveSession &operator=(CollectiveSession &&) = delete;
    CollectiveSession(const CollectiveSession &) = delete;
    CollectiveSession &operator=(const CollectiveSession &) = delete;
    ~CollectiveSession(); // leaves the job (tells the tracker this worker is done)

    [[nodiscard]] int rank() const { return m_rank; }
    [[nodiscard]] int worldSize() const { return m_worldSize; }

    // Element-wise sum over all workers, in place. Every worker passes the same length.
    Result<void> allreduceSum(std::span<double> values) const;
    // Every worker ends with `root`'s bytes; a received length above `maxBytes` is refused before
    // anything is allocated for it.
    Result<void> broadcast(
        std::string &bytes, int root, std::size_t maxBytes = std::size_t { 16 } << 20) const;
    // Leaves the job now instead of at destruction; the error carries XGBoost's message.
    Result<void> leave();

private:
    CollectiveSession(int rank, int worldSize);

    bool m_active = false;
    int m_rank = 0;
    int m_worldSize = 1;
};

} // namespace mosaic
