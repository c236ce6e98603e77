# SPDX-License-Identifier: Apache-2.0
# Independent truth for tst_bootstrap_metrics and tst_decision_curve: scikit-learn 1.2 and numpy on
# exactly the resamples the C++ side drew (one resample per line of INDICES, row indices separated
# by spaces), and a pure-Python std::mt19937_64 that redraws those indices from the seed.
# Usage:
#   bootstrap_peer.py binary DATA.csv INDICES.txt THRESHOLD      DATA: "probability,label" per line
#   bootstrap_peer.py multiclass DATA.csv K INDICES.txt          DATA: K probabilities, then the label
#   bootstrap_peer.py decision DATA.csv INDICES.txt T1,T2,...    net benefit per resample
#   bootstrap_peer.py indices LABELS.txt SEED RESAMPLES          the draws, one resample per line
# Prints one JSON object on stdout (undefined values as null).
import json
import sys

import numpy as np
from sklearn.metrics import (average_precision_score, brier_score_loss, confusion_matrix, log_loss,
                             roc_auc_score)

MASK = (1 << 64) - 1


class MT19937_64:
    """std::mt19937_64 as the C++ standard defines it ([rand.predef]: its 10000th output from the
    default seed 5489 is 9981545732273789042, checked below with its first, 14514284786278117030)."""

    def __init__(self, seed):
        self.mt = [0] * 312
        self.mt[0] = seed & MASK
        for i in range(1, 312):
            previous = self.mt[i - 1]
            self.mt[i] = (6364136223846793005 * (previous ^ (previous >> 62)) + i) & MASK
        self.index = 312

    def _twist(self):
        for i in range(312):
            x = (self.mt[i] & 0xFFFFFFFF80000000) | (self.mt[(i + 1) % 312] & 0x7FFFFFFF)
            shifted = x >> 1
            if x & 1:
                shifted ^= 0xB5026F5AA96619E9
            self.mt[i] = self.mt[(i + 156) % 312] ^ shifted
        self.index = 0

    def __call__(self):
        if self.index >= 312:
            self._twist()
        y = self.mt[self.index]
        self.index += 1
        y ^= (y >> 29) & 0x5555555555555555
        y ^= (y << 17) & 0x71D67FFFEDA60000
        y ^= (y << 37) & 0xFFF7EEE000000000
        y ^= y >> 43
        return y & MASK


def uniform_below(engine, bound):
    reject_below = ((1 << 64) - bound) % bound
    draw = engine()
    while draw < reject_below:
        draw = engine()
    return draw % bound


def draw_indices(labels, seed, resamples):
    engine = MT19937_64(seed)
    by_class = [np.flatnonzero(labels == k).tolist() for k in range(int(labels.max()) + 1)]
    out = []
    for _ in range(resamples):
        rows = []
        for members in by_class:
            rows.extend(members[uniform_below(engine, len(members))] for _ in members)
        out.append(rows)
    return out


def read_indices(path):
    with open(path) as handle:
        return [np.array([int(v) for v in line.split()], dtype=np.int64) for line in handle if line.strip()]


def logistic_fit(X, y, offset):
    """Maximum likelihood of logit P(y=1) = X beta + offset by plain Newton-Raphson from 0."""
    beta = np.zeros(X.shape[1])
    for _ in range(200):
        eta = X @ beta + offset
        mu = 1.0 / (1.0 + np.exp(-eta))
        gradient = X.T @ (y - mu)
        hessian = (X * (mu * (1 - mu))[:, None]).T @ X
        step = np.linalg.solve(hessian, gradient)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-14 * (1 + np.max(np.abs(beta))):
            return beta
    raise RuntimeError("logistic fit did not converge")


def calibration(p, y):
    """(slope, intercept) or None when no finite slope exists (all predictions equal, or the
    classes separated on the logit, ties at the boundary included)."""
    c = np.clip(p, 1e-12, 1 - 1e-12)
    x = np.log(c / (1 - c))
    cases, controls = x[y == 1], x[y == 0]
    if x.min() == x.max() or controls.max() <= cases.min() or cases.max() <= controls.min():
        return None
    slope = logistic_fit(np.column_stack([np.ones_like(x), x]), y, np.zeros_like(x))[1]
    intercept = logistic_fit(np.ones((len(x), 1)), y, x)[0]
    return float(slope), float(intercept)


def binary_metrics(p, y, threshold):
    tn, fp, fn, tp = confusion_matrix(y, (p >= threshold).astype(int), labels=[0, 1]).ravel()
    fit = calibration(p, y)
    ratio = lambda a, b: None if a + b == 0 else float(a / (a + b))
    return {
        "auroc": float(roc_auc_score(y, p)),
        "auprc": float(average_precision_score(y, p)),
        "brier": float(brier_score_loss(y, p)),
        "slope": None if fit is None else fit[0],
        "intercept": None if fit is None else fit[1],
        "sensitivity": ratio(tp, fn),
        "specificity": ratio(tn, fp),
        "ppv": ratio(tp, fp),
        "npv": ratio(tn, fn),
        "tp": int(tp), "fp": int(fp), "tn": int(tn), "fn": int(fn),
    }


def multiclass_metrics(P, y):
    K = P.shape[1]
    onehot = np.eye(K)[y]
    return {
        "ovr": [float(roc_auc_score((y == k).astype(int), P[:, k])) for k in range(K)],
        "macro": float(roc_auc_score(y, P, multi_class="ovr", average="macro", labels=list(range(K)))),
        "logloss": float(log_loss(y, P, labels=list(range(K)))),
        "brier": float(np.mean(np.sum((P - onehot) ** 2, axis=1))),
    }


def net_benefit(p, y, thresholds):
    n = len(y)
    return [float(np.sum((p >= t) & (y == 1)) / n - np.sum((p >= t) & (y == 0)) / n * t / (1 - t))
            for t in thresholds]


def summarise(replicates):
    """Per metric: the replicate values and numpy's percentile interval over the defined ones."""
    out = {}
    for name in replicates[0]:
        values = [r[name] for r in replicates]
        defined = np.array([v for v in values if v is not None], dtype=float)
        interval = [None, None] if len(defined) == 0 else [float(v) for v in np.percentile(defined, [2.5, 97.5])]
        out[name] = {"replicates": values, "ci": interval, "undefined": sum(v is None for v in values)}
    return out


def main():
    mode = sys.argv[1]
    if mode == "indices":
        labels = np.loadtxt(sys.argv[2], dtype=np.int64, ndmin=1)
        check = MT19937_64(5489)
        outputs = [check() for _ in range(10000)]
        assert outputs[0] == 14514284786278117030 and outputs[9999] == 9981545732273789042
        print(json.dumps({"indices": draw_indices(labels, int(sys.argv[3]), int(sys.argv[4]))}))
        return
    if mode == "binary":
        data = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
        p, y = data[:, 0], data[:, 1].astype(int)
        threshold = float(sys.argv[4])
        replicates = [binary_metrics(p[rows], y[rows], threshold) for rows in read_indices(sys.argv[3])]
        for r in replicates:
            for count in ("tp", "fp", "tn", "fn"):
                del r[count]
        print(json.dumps({"point": binary_metrics(p, y, threshold), "bootstrap": summarise(replicates)}))
        return
    if mode == "multiclass":
        K = int(sys.argv[3])
        data = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
        P, y = data[:, :K], data[:, K].astype(int)
        replicates = []
        for rows in read_indices(sys.argv[4]):
            m = multiclass_metrics(P[rows], y[rows])
            flat = {"ovr%d" % k: v for k, v in enumerate(m["ovr"])}
            flat.update(macro=m["macro"], logloss=m["logloss"], brier=m["brier"])
            replicates.append(flat)
        print(json.dumps({"point": multiclass_metrics(P, y), "bootstrap": summarise(replicates)}))
        return
    if mode == "decision":
        data = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
        p, y = data[:, 0], data[:, 1].astype(int)
        thresholds = [float(t) for t in sys.argv[4].split(",")]
        replicates = []
        for rows in read_indices(sys.argv[3]):
            replicates.append({"t%d" % i: v for i, v in enumerate(net_benefit(p[rows], y[rows], thresholds))})
        print(json.dumps({"point": net_benefit(p, y, thresholds), "bootstrap": summarise(replicates)}))
        return
    raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
