# SPDX-License-Identifier: Apache-2.0
"""Peer for tst_distributed_training: python3-xgboost trains on every row of one CSV in one process.

    /usr/bin/python3 xgboost_pooled_peer.py TABLE.csv LABEL IGNORED SEED ROUNDS

The feature columns are the table's columns in file order without LABEL and IGNORED, as
`mosaic-cli train` takes them without --spec; the parameters are Mosaic's (core/model/booster.cpp)
with subsample and column sampling 1. Prints {"probabilities": [...]} in row order.
"""
import csv
import json
import sys

import numpy as np
import xgboost as xgb


def main() -> None:
    path, label, ignored, seed, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    columns = [c for c in rows[0].keys() if c not in (label, ignored)]
    features = np.array([[float(row[c]) for c in columns] for row in rows], dtype=np.float32)
    labels = np.array([float(row[label]) for row in rows], dtype=np.float32)
    parameters = {
        "objective": "binary:logistic",
        "tree_method": "hist",
        "eta": 0.03,
        "max_depth": 3,
        "min_child_weight": 1.0,
        "subsample": 1.0,
        "colsample_bytree": 1.0,
        "lambda": 1.0,
        "seed": seed % 2147483647,
        "nthread": 1,
        "eval_metric": "logloss",
    }
    booster = xgb.train(parameters, xgb.DMatrix(features, labels, feature_names=columns), rounds)
    probabilities = booster.predict(xgb.DMatrix(features, feature_names=columns))
    print(json.dumps({"columns": columns, "probabilities": [float(p) for p in probabilities]}))


if __name__ == "__main__":
    main()
