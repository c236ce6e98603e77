# SPDX-License-Identifier: Apache-2.0
# Independent truth for tst_explanation: Python's XGBoost 1.7 on the model Mosaic saved.
# Usage: /usr/bin/python3 explanation_peer.py MODEL.json FEATURES.csv GROUPS.json TOP
# FEATURES.csv: one patient per line, no header, "nan" where a value is missing.
# GROUPS.json: {"imaging": [column, ...], ...}, the columns of each modality the model has.
# Prints one JSON object on stdout: SHAP (pred_contribs), interaction values (pred_interactions),
# margins and probabilities as they are, with each modality's columns set to NaN ("without"), with
# every other modality's set to NaN ("alone") and with every column NaN; the TOP strongest pairs
# per patient and class; mean |SHAP| and mean SHAP per feature and modality; gain and weight.
import json
import sys

import numpy as np
import xgboost

booster = xgboost.Booster(model_file=sys.argv[1])
features = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2, dtype=np.float32)
with open(sys.argv[3]) as f:
    groups = json.load(f)
top = int(sys.argv[4])
rows, columns = features.shape
names = booster.feature_names


def matrix(values):
    return xgboost.DMatrix(values, feature_names=names, missing=np.nan)


def predict(values):
    data = matrix(values)
    margin = booster.predict(data, output_margin=True).reshape(rows, -1)
    probability = booster.predict(data).reshape(rows, -1)
    return {"margin": margin.tolist(), "probability": probability.tolist()}


data = matrix(features)
contribs = booster.predict(data, pred_contribs=True).reshape(rows, -1, columns + 1)
interactions = booster.predict(data, pred_interactions=True).reshape(rows, -1, columns + 1, columns + 1)
classes = contribs.shape[1]

out = {"actual": predict(features), "without": {}, "alone": {}}
for modality, cols in groups.items():
    without = features.copy()
    without[:, cols] = np.nan
    out["without"][modality] = predict(without)
    alone = features.copy()
    others = [c for c in range(columns) if c not in cols]
    alone[:, others] = np.nan
    out["alone"][modality] = predict(alone)
out["all_missing"] = predict(np.full_like(features, np.nan))
out["contribs"] = contribs.tolist()
out["interactions"] = interactions.tolist()

pairs = []
for r in range(rows):
    per_class = []
    for c in range(classes):
        m = interactions[r, c].astype(np.float64)
        found = [(i, j, m[i, j] + m[j, i]) for i in range(columns) for j in range(i + 1, columns)]
        found = [p for p in found if p[2] != 0.0]
        found.sort(key=lambda p: -abs(p[2]))  # stable: ties stay in (i, j) order
        per_class.append([[names[i], names[j], v] for i, j, v in found[:top]])
    pairs.append(per_class)
out["top_pairs"] = pairs

shap = contribs[:, :, :columns].astype(np.float64)
out["mean_abs"] = np.abs(shap).mean(axis=0).tolist()  # classes x features
out["mean"] = shap.mean(axis=0).tolist()
out["modality_mean_abs"] = {m: np.abs(shap[:, :, cols].sum(axis=2)).mean(axis=0).tolist() for m, cols in groups.items()}
out["modality_mean"] = {m: shap[:, :, cols].sum(axis=2).mean(axis=0).tolist() for m, cols in groups.items()}
out["gain"] = booster.get_score(importance_type="gain")
out["weight"] = booster.get_score(importance_type="weight")
print(json.dumps(out))
