#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Cohort manifests (cohort.csv) of pipeline_case_studies.sh, standard library only
(run with /usr/bin/python3). Each writes OUT_DIR/cohort.csv in docs/cohort_format.md's form.

  hf HEART_FAILURE_CSV OUT_DIR   patient (row number), every column as it is, plus the subgroup
                                 attributes sex ("male" when Gender is 1, else "female") and
                                 age_band ("<65" / ">=65" years)
  sts STS_DATA_DIR OUT_DIR       patient, image (PET series folder), mask (PET RTSTRUCT),
                                 roi GTV_Mass_PET, lung_metastasis (outcome_lung_metastasis.csv)
  golub COHORT_TABLE OUT_DIR     leukaemia_tables.py's id,aml,<probe>... table with the id column
                                 renamed patient
  reseed SPEC SEED OUT_SPEC      the specification with training.seed and bootstrap_seed set to
                                 SEED and a settings_file made absolute (for the seed check)
  seeds OUT_DIR STUDY...         the AUROC of OUT_DIR/STUDY.seed*.json, one line per study
  summary OUT_DIR STUDY...       one Markdown table row per OUT_DIR/STUDY.json (mosaic-cli train's
                                 output), then each study's details, for docs/validation.md

Paths in the STS manifest are absolute (the data stays where it is). Errors name the file and line,
never a patient id.
"""
import csv
import json
import os
import sys


def hf(source, out_dir):
    with open(source, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"pipeline_cohorts: {os.path.basename(source)} has no data rows")
    for needed in ("Gender", "Age", "Event"):
        if needed not in rows[0]:
            sys.exit(f"pipeline_cohorts: {os.path.basename(source)} has no column '{needed}'")
    with open(os.path.join(out_dir, "cohort.csv"), "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        columns = list(rows[0].keys())
        w.writerow(["patient"] + columns + ["sex", "age_band"])
        for n, r in enumerate(rows, start=1):
            if r["Gender"] not in ("0", "1"):
                sys.exit(f"pipeline_cohorts: {os.path.basename(source)}, line {n + 1}: Gender is not 0/1")
            age = float(r["Age"])
            w.writerow([n] + [r[c] for c in columns]
                       + ["male" if r["Gender"] == "1" else "female", "<65" if age < 65 else ">=65"])


def sts(data, out_dir):
    outcome = os.path.join(data, "outcome_lung_metastasis.csv")
    with open(outcome, newline="") as f:
        labels = {r["patient_id"]: r["lung_metastasis"] for r in csv.DictReader(f)}
    patients = sorted(p for p in os.listdir(data) if p.startswith("STS_") and os.path.isdir(os.path.join(data, p)))
    with open(os.path.join(out_dir, "cohort.csv"), "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["patient", "image", "mask", "roi", "lung_metastasis"])
        for n, p in enumerate(patients, start=1):
            if p not in labels:
                sys.exit(f"pipeline_cohorts: case {n} of the STS folder has no row in outcome_lung_metastasis.csv")
            pet = os.path.join(data, p, "PET")
            w.writerow([p, os.path.join(pet, "image"), os.path.join(pet, "mask", "RS.dcm"), "GTV_Mass_PET", labels[p]])


def golub(table, out_dir):
    with open(table, newline="") as f, open(os.path.join(out_dir, "cohort.csv"), "w", newline="") as out:
        rows = csv.reader(f)
        w = csv.writer(out, lineterminator="\n")
        header = next(rows, None)
        if not header or header[0] != "id":
            sys.exit(f"pipeline_cohorts: {os.path.basename(table)}: first column is not 'id'")
        w.writerow(["patient"] + header[1:])
        w.writerows(rows)


def reseed(spec_path, seed, out_path):
    with open(spec_path) as f:
        spec = json.load(f)
    spec.setdefault("training", {})["seed"] = int(seed)
    spec["training"]["bootstrap_seed"] = int(seed)
    imaging = spec.get("imaging", {})
    if "settings_file" in imaging:
        imaging["settings_file"] = os.path.normpath(
            os.path.join(os.path.dirname(os.path.abspath(spec_path)), imaging["settings_file"]))
    with open(out_path, "w") as f:
        json.dump(spec, f, indent=2)


def seeds(out_dir, studies):
    for study in studies:
        found = []
        for name in sorted(os.listdir(out_dir)):
            if name.startswith(f"{study}.seed") and name.endswith(".json") and not name.endswith(".bundle.json"):
                with open(os.path.join(out_dir, name)) as f:
                    m = json.load(f)["validation"]["metrics"]
                found.append(f"{name[len(study) + 5:-5]}: {fmt(m['auroc']['estimate'])}")
        if found:
            print(f"{study}: AUROC at seed " + ", ".join(found))


def fmt(value, digits=3):
    return "n/a" if value is None else f"{value:.{digits}f}"


def metric(metrics, key):
    m = metrics.get(key, {})
    return m.get("estimate"), m.get("ci95", [None, None])


def summary(out_dir, studies):
    print("| study | cases / events | modalities | AUROC [95% CI] | AUPRC | Brier | calibration slope | ECE |")
    print("|---|---|---|---|---|---|---|---|")
    details = []
    for study in studies:
        with open(os.path.join(out_dir, f"{study}.json")) as f:
            d = json.load(f)
        v = d["validation"]
        m = v["metrics"]
        auroc, ci = metric(m, "auroc")
        modalities = ", ".join(c["modality"] for c in d["coverage"])
        ece = v["calibration"]["after_cross_fitted"]["expected_calibration_error"]
        print(f"| {study} | {m['cases']} / {m['positives']} | {modalities} | {fmt(auroc)} [{fmt(ci[0])}, {fmt(ci[1])}] "
              f"| {fmt(metric(m, 'auprc')[0])} | {fmt(metric(m, 'brier')[0])} | {fmt(metric(m, 'calibration_slope')[0], 2)} "
              f"| {fmt(ece)} |")
        lines = [f"### {study}", f"final choice: {json.dumps(v.get('final_choice'))}",
                 "outer folds: " + "; ".join(f"depth {o['max_depth']} eta {o['learning_rate']} rounds {o['rounds']}"
                                             for o in v.get("outer_folds", []))]
        for name in ("metrics_before_calibration", "metrics"):
            mm = v[name]
            parts = []
            for key in ("auroc", "auroc_delong", "auprc", "brier", "calibration_slope", "calibration_intercept",
                        "sensitivity", "specificity", "ppv", "npv"):
                est, c = metric(mm, key)
                parts.append(f"{key} {fmt(est)} [{fmt(c[0])}, {fmt(c[1])}]")
            lines.append(f"{name} (threshold {mm.get('threshold', {}).get('value')}): " + "; ".join(parts))
        for when in ("before", "after_cross_fitted"):
            c = v["calibration"][when]
            lines.append(f"calibration {when}: slope {fmt(c['slope'], 2)} intercept {fmt(c['intercept'], 2)} "
                         f"ECE {fmt(c['expected_calibration_error'])} MCE {fmt(c['maximum_calibration_error'])}")
        lines.append("decision curve: " + "; ".join(
            f"t={p['threshold']:.2f} NB {fmt(p['net_benefit'])} [{fmt(p['net_benefit_ci95'][0])}, "
            f"{fmt(p['net_benefit_ci95'][1])}] all {fmt(p['treat_all'])}" for p in v.get("decision_curve", [])))
        for attribute, groups in v.get("subgroups", {}).items():
            for g in groups:
                gm = g.get("metrics", {})
                a, c = metric(gm, "auroc")
                lines.append(f"subgroup {attribute}={g['value']}: {g['cases']} cases, {g['positives']} events, "
                             f"AUROC {fmt(a)} [{fmt(c[0])}, {fmt(c[1])}], Brier {fmt(metric(gm, 'brier')[0])}, "
                             f"slope {fmt(metric(gm, 'calibration_slope')[0], 2)}" if gm else
                             f"subgroup {attribute}={g['value']}: {json.dumps(g)[:200]}")
        imp = v.get("importance", {})
        for mod in imp.get("modalities", []):
            lines.append(f"importance {mod['modality']}: mean |SHAP| {fmt(mod['mean_absolute_shap'])}, "
                         f"mean SHAP {fmt(mod['mean_shap'])}, sum of features' mean |SHAP| "
                         f"{fmt(mod['sum_of_feature_mean_absolute_shap'])}")
        lines.append("top features: " + ", ".join(f"{t['feature']} ({t['modality']}) {fmt(t['mean_absolute_shap'])}"
                                                  for t in imp.get("top_features", [])[:10]))
        if "abstention" in v:
            lines.append("abstention: " + json.dumps(v["abstention"])[:1500])
        details.append("\n".join(lines))
    print()
    print("\n\n".join(details))


if __name__ == "__main__":
    commands = {"hf": (hf, 2), "sts": (sts, 2), "golub": (golub, 2)}
    if len(sys.argv) >= 3 and sys.argv[1] == "summary":
        summary(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) >= 3 and sys.argv[1] == "seeds":
        seeds(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 5 and sys.argv[1] == "reseed":
        reseed(*sys.argv[2:])
    elif len(sys.argv) >= 2 and sys.argv[1] in commands and len(sys.argv) == 2 + commands[sys.argv[1]][1]:
        commands[sys.argv[1]][0](*sys.argv[2:])
    else:
        sys.exit(__doc__)
