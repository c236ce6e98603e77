# SPDX-License-Identifier: Apache-2.0
# Independent truth for tst_calibration: scikit-learn 1.2 on the same probabilities and labels.
# Usage: /usr/bin/python3 calibration_peer.py DATA.csv BINS
# DATA.csv holds "probability,label" per line (no header). Prints one JSON object on stdout.
import json
import sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.calibration import _SigmoidCalibration, calibration_curve
from sklearn.isotonic import IsotonicRegression

data = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
bins = int(sys.argv[2])
p, y = data[:, 0], data[:, 1].astype(int)
clamp = 1e-12
clipped = np.clip(p, clamp, 1 - clamp)
F = np.log(clipped / (1 - clipped))
queries = np.arange(0, 201) / 200.0
qc = np.clip(queries, clamp, 1 - clamp)
FQ = np.log(qc / (1 - qc))

sigmoid = _SigmoidCalibration().fit(F, y)

# The objective of scikit-learn's _sigmoid_calibration, minimised to a far tighter tolerance than
# its fmin_bfgs default (gtol 1e-5). scikit-learn evaluates -(T log P + (1 - T) log(1 - P)), which
# loses all precision once P rounds to 1 (saturated scores: logit(1 - 1e-12) = 27.6); here the same
# function is written as softplus(f) - (1 - T) f with f = a F + b, which is exact there.
n1 = float(np.sum(y > 0))
n0 = y.shape[0] - n1
T = np.where(y > 0, (n1 + 1.0) / (n1 + 2.0), 1.0 / (n0 + 2.0))


def objective(ab):
    f = ab[0] * F + ab[1]
    return float(np.sum(np.logaddexp(0.0, f) - (1.0 - T) * f))


def gradient(ab):
    P = expit(-(ab[0] * F + ab[1]))
    d = T - P
    return np.array([np.dot(d, F), d.sum()])


def hessian(ab):
    P = expit(-(ab[0] * F + ab[1]))
    w = P * (1 - P)
    return np.array([[np.dot(w, F * F), np.dot(w, F)], [np.dot(w, F), w.sum()]])


ab = minimize(objective, [0.0, np.log((n0 + 1.0) / (n1 + 1.0))], jac=gradient, hess=hessian,
              method="trust-exact", options={"gtol": 1e-10}).x
# Finish with plain Newton steps: the objective is strictly convex and we are next to its minimum,
# so each step squares the error until rounding stops it.
for _ in range(20):
    step = np.linalg.solve(hessian(ab), gradient(ab))
    ab = ab - step
    if np.max(np.abs(step)) < 1e-15:
        break
refit_x, refit_fun = ab, objective(ab)

iso = IsotonicRegression(increasing=True, out_of_bounds="clip").fit(p, y)


def curve(strategy):
    prob_true, prob_pred = calibration_curve(y, p, n_bins=bins, strategy=strategy)
    # calibration_curve does not return counts; rebuild them with its own binning rule.
    if strategy == "quantile":
        edges = np.percentile(p, np.linspace(0, 1, bins + 1) * 100)
    else:
        edges = np.linspace(0.0, 1.0, bins + 1)
    total = np.bincount(np.searchsorted(edges[1:-1], p), minlength=len(edges))
    return {"observed": prob_true.tolist(), "predicted": prob_pred.tolist(),
            "count": total[total != 0].tolist()}


uniform = curve("uniform")
gaps = np.abs(np.array(uniform["observed"]) - np.array(uniform["predicted"]))
weights = np.array(uniform["count"]) / len(p)

print(json.dumps({
    "platt_sklearn": [float(sigmoid.a_), float(sigmoid.b_)],
    "platt_sklearn_loss": float(objective([sigmoid.a_, sigmoid.b_])),
    "platt_refit": refit_x.tolist(),
    "platt_refit_loss": refit_fun,
    "platt_refit_gradient": float(np.max(np.abs(gradient(refit_x)))),
    "platt_apply_sklearn": sigmoid.predict(FQ).tolist(),
    "queries": queries.tolist(),
    "isotonic_apply": iso.predict(queries).tolist(),
    "isotonic_train": iso.predict(p).tolist(),
    "uniform": uniform,
    "quantile": curve("quantile"),
    "ece": float(np.sum(weights * gaps)),
    "mce": float(np.max(gaps)),
}))
