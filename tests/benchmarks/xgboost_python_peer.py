#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# The peer of bench_model_scoring: python3-xgboost (1.7.4) doing what Mosaic does, on the files the
# benchmark wrote (features as float32 rows, NaN missing; then float32 labels; then the int32 test
# fold of each row). Times itself, so interpreter start-up, imports and reading the files are not
# counted. Prints "<key> <value>" lines.
#
#   score <model.json> <data.bin> <rows> <columns>
#       the 500-tree model Mosaic trained and saved: one patient at a time (a DMatrix from the row,
#       then predict; inplace_predict, which needs no DMatrix; predict(pred_contribs=True)), and
#       batches of 1,000 and 10,000 rows (DMatrix + predict).
#   train <data.bin> <rows> <columns> <parameters.json> <rounds>
#       the 5 fits of the 5-fold cross-validation Mosaic runs, on the same folds: for each fold the
#       training rows' DMatrix, xgboost.train, the held-out rows' DMatrix and predict. Then the
#       pooled out-of-fold AUROC (not timed), which must match Mosaic's. Wall-clock and process CPU
#       seconds (all threads), as the shared machine makes wall-clock alone unreliable.
import json
import sys
import time

import numpy as np
import xgboost as xgb
from scipy.stats import rankdata


# The model carries feature names; Mosaic's Booster path, measured beside this, does not check them
# against the row (the XGBoost library itself never does), so neither does Python.
UNCHECKED = {"validate_features": False}


def read_data(path, rows, columns):
    raw = np.fromfile(path, dtype=np.uint8)
    expected = rows * columns * 4 + rows * 4 + rows * 4
    if raw.size != expected:
        sys.exit(f"{path}: {raw.size} bytes, expected {expected}")
    features = raw[: rows * columns * 4].view(np.float32).reshape(rows, columns)
    labels = raw[rows * columns * 4 : rows * columns * 4 + rows * 4].view(np.float32)
    folds = raw[rows * columns * 4 + rows * 4 :].view(np.int32)
    return features, labels, folds


def score(model_path, data_path, rows, columns):
    features, _, _ = read_data(data_path, rows, columns)
    booster = xgb.Booster(model_file=model_path)
    # As Mosaic's benchmark: patients 0..999 in turn, each row arriving as its own 1 x 200 array.
    patients = [np.ascontiguousarray(features[i : i + 1]) for i in range(1000)]
    print("probability0", float(booster.predict(xgb.DMatrix(patients[0]), **UNCHECKED)[0]))

    def per_row(function, count):
        function(patients[0])  # warm-up
        start = time.perf_counter()
        for i in range(count):
            function(patients[i])
        return (time.perf_counter() - start) / count

    with_dmatrix = per_row(lambda row: booster.predict(xgb.DMatrix(row), **UNCHECKED), 1000)
    print("one_patient_dmatrix_predict_s", with_dmatrix)
    inplace = per_row(lambda row: booster.inplace_predict(row, **UNCHECKED), 1000)
    print("one_patient_inplace_predict_s", inplace)
    shap = per_row(
        lambda row: booster.predict(xgb.DMatrix(row), pred_contribs=True, **UNCHECKED), 100
    )
    print("one_patient_shap_s", shap)
    for batch in (1000, 10000):
        best = None
        for _ in range(3):
            start = time.perf_counter()
            booster.predict(xgb.DMatrix(features[:batch]), **UNCHECKED)
            seconds = time.perf_counter() - start
            best = seconds if best is None else min(best, seconds)
        print(f"batch_{batch}_s", best)


def auroc(labels, scores):
    # Mann-Whitney: the share of (positive, negative) pairs ordered correctly, ties counting half.
    ranks = rankdata(scores)
    positives = labels == 1
    n1 = positives.sum()
    n0 = len(labels) - n1
    return (ranks[positives].sum() - n1 * (n1 + 1) / 2.0) / (n1 * n0)


def train(data_path, rows, columns, parameters_path, rounds):
    features, labels, folds = read_data(data_path, rows, columns)
    with open(parameters_path, encoding="utf-8") as handle:
        parameters = json.load(handle)
    threads = int(parameters["nthread"])
    out_of_fold = np.full(rows, np.nan)
    start = time.perf_counter()
    start_cpu = time.process_time()
    for fold in range(int(folds.max()) + 1):
        training = folds != fold
        held_out = folds == fold
        data = xgb.DMatrix(features[training], label=labels[training], nthread=threads)
        booster = xgb.train(parameters, data, num_boost_round=rounds)
        out_of_fold[held_out] = booster.predict(xgb.DMatrix(features[held_out], nthread=threads))
    seconds = time.perf_counter() - start
    print("five_fold_s", seconds)
    print("five_fold_cpu_s", time.process_time() - start_cpu)
    print("auroc", auroc(labels, out_of_fold))


def main(arguments):
    if arguments[:1] == ["score"] and len(arguments) == 5:
        score(arguments[1], arguments[2], int(arguments[3]), int(arguments[4]))
    elif arguments[:1] == ["train"] and len(arguments) == 6:
        train(arguments[1], int(arguments[2]), int(arguments[3]), arguments[4], int(arguments[5]))
    else:
        sys.exit(__doc__ or "usage: see the header of xgboost_python_peer.py")


if __name__ == "__main__":
    main(sys.argv[1:])
