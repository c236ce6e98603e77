# SPDX-License-Identifier: Apache-2.0
"""Independent truth for tst_gaussian_mixture, tst_survival and tst_phenogroups.

Run with /usr/bin/python3 (scikit-learn 1.2, statsmodels 0.13, numpy):
    phenogroup_peer.py REQUEST.json
prints one JSON object on stdout. The request's "mode" says what to compute:

- "mixture": scikit-learn's GaussianMixture on "data" for each k in "k_range" (n_init, seed,
  reg_covar, tol, max_iter as given); and, when "given" holds a mixture's weights, means and
  covariances, sklearn's score_samples, predict_proba and bic on the same data with exactly those
  parameters (precisions_cholesky_ computed by sklearn itself).
- "cohort": reads "csv" with numpy (values rounded to float32, as Mosaic's cohort table stores them),
  log-transforms "logs", standardises "columns" (population SD) and returns that matrix; then does
  "mixture" on it, and the survival checks below on the given "groups".
- "cox": statsmodels PHReg(ties="breslow") on "time", "event", "covariates".
- "km": statsmodels SurvfuncRight on "time", "event".
- "logrank": statsmodels survdiff on "time", "event", "groups".
"""
import json
import sys

import numpy as np


def mixture(request, data):
    from sklearn.mixture import GaussianMixture
    from sklearn.mixture._gaussian_mixture import _compute_precision_cholesky

    covariance = request["covariance"]
    result = {"fits": []}
    for k in request.get("k_range", []):
        model = GaussianMixture(n_components=k, covariance_type=covariance, reg_covar=request["reg_covar"],
                                tol=request["tol"], max_iter=request["max_iter"], n_init=request["n_init"],
                                random_state=request["seed"]).fit(data)
        result["fits"].append({"k": k, "bic": model.bic(data),
                               "log_likelihood": float(model.score(data) * data.shape[0]),
                               "converged": bool(model.converged_), "labels": model.predict(data).tolist()})
    if result["fits"]:
        result["chosen_k"] = min(result["fits"], key=lambda fit: fit["bic"])["k"]
    given = []
    for parameters in request.get("given", []):
        weights = np.array(parameters["weights"])
        means = np.array(parameters["means"])
        covariances = np.array(parameters["covariances"])
        if covariance == "diag":
            covariances = np.array([np.diag(c) for c in covariances])
        model = GaussianMixture(n_components=len(weights), covariance_type=covariance)
        model.weights_, model.means_, model.covariances_ = weights, means, covariances
        model.precisions_cholesky_ = _compute_precision_cholesky(covariances, covariance)
        given.append({"log_likelihood": float(model.score_samples(data).sum()), "bic": float(model.bic(data)),
                      "posteriors": model.predict_proba(data).tolist()})
    result["given"] = given
    return result


def cox(time, event, covariates):
    from statsmodels.duration.hazard_regression import PHReg
    fit = PHReg(np.asarray(time, float), np.asarray(covariates, float), status=np.asarray(event, int),
                ties="breslow").fit()
    return {"coefficients": fit.params.tolist(), "standard_errors": fit.bse.tolist(),
            "p": fit.pvalues.tolist(), "log_likelihood": float(fit.llf)}


def km(time, event):
    from statsmodels.duration.survfunc import SurvfuncRight
    curve = SurvfuncRight(np.asarray(time, float), np.asarray(event, int))
    return {"times": curve.surv_times.tolist(), "survival": curve.surv_prob.tolist(),
            "standard_errors": curve.surv_prob_se.tolist(), "at_risk": curve.n_risk.tolist(),
            "events": curve.n_events.tolist()}


def logrank(time, event, groups):
    from statsmodels.duration.survfunc import survdiff
    chi_square, p = survdiff(np.asarray(time, float), np.asarray(event, int), np.asarray(groups))
    return {"chi_square": float(chi_square), "p": float(p)}


def cohort(request):
    with open(request["csv"], newline="") as handle:
        header = handle.readline().strip().split(",")
    table = np.loadtxt(request["csv"], delimiter=",", skiprows=1, ndmin=2).astype(np.float32).astype(np.float64)
    column = {name: table[:, header.index(name)] for name in header}
    raw = np.column_stack([np.log(column[name]) if name in request["logs"] else column[name]
                           for name in request["columns"]])
    standardised = (raw - raw.mean(axis=0)) / raw.std(axis=0)
    result = mixture(request, standardised)
    result["standardised"] = standardised.tolist()
    groups = np.asarray(request["groups"])
    time, event = column[request["time"]], column[request["event"]].astype(int)
    result["km"] = {str(g): km(time[groups == g], event[groups == g]) for g in sorted(set(groups.tolist()))}
    others = [g for g in sorted(set(groups.tolist())) if g != 1]
    if others:
        indicators = np.column_stack([(groups == g).astype(float) for g in others])
        result["cox"] = cox(time, event, indicators)
        result["logrank"] = logrank(time, event, groups)
    return result


def main():
    with open(sys.argv[1]) as handle:
        request = json.load(handle)
    mode = request["mode"]
    if mode == "mixture":
        result = mixture(request, np.asarray(request["data"], float))
    elif mode == "cohort":
        result = cohort(request)
    elif mode == "cox":
        result = cox(request["time"], request["event"], request["covariates"])
    elif mode == "km":
        result = km(request["time"], request["event"])
    elif mode == "logrank":
        result = logrank(request["time"], request["event"], request["groups"])
    else:
        raise SystemExit("unknown mode " + mode)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
