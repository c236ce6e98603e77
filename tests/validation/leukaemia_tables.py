#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Helpers of leukaemia_case_study.sh, standard library only (run with /usr/bin/python3).

  golub EXPR LABELS OUT          genes-by-samples Golub matrix -> cohort table: id,aml,<probe>...
  chiaretti EXPR PDATA OUT       B-lineage ALL with mol.biol BCR/ABL or NEG -> id,bcr_abl,<probe>...
  summary PREDICTIONS LOW HIGH   id,label,probability rows -> JSON: calls with the abstention band
                                 (called when p < LOW or p > HIGH), errors, AUROC with DeLong CI

Sample ids are kept as the row ids of the table (the case study's own files, never printed).
"""
import csv
import gzip
import json
import math
import sys


def read_matrix(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", newline="") as f:
        rows = csv.reader(f)
        header = next(rows)
        first = 2 if len(header) > 1 and header[1].lower() == "description" else 1
        samples = header[first:]
        probes, values = [], []
        for row in rows:
            probes.append(row[0])
            values.append(row[first:])
    return probes, samples, values


def write_cohort(path, label_name, probes, samples, values, labels):
    with open(path, "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["id", label_name] + probes)
        for s, sample in enumerate(samples):
            if sample in labels:
                w.writerow([sample, labels[sample]] + [values[g][s] for g in range(len(probes))])


def golub(expr, labels_path, out):
    probes, samples, values = read_matrix(expr)
    with open(labels_path, newline="") as f:
        labels = {r["sample"]: r["class01"] for r in csv.DictReader(f)}
    write_cohort(out, "aml", probes, samples, values, labels)
    aml = sum(1 for s in samples if labels.get(s) == "1")
    print(f"golub: {len(samples)} samples ({len(samples) - aml} ALL, {aml} AML), {len(probes)} probes",
          file=sys.stderr)


def chiaretti(expr, pdata, out):
    probes, samples, values = read_matrix(expr)
    labels, lineage = {}, {}
    with open(pdata, newline="") as f:
        for r in csv.DictReader(f):
            lineage[r["BT"]] = lineage.get(r["BT"], 0) + 1
            if r["BT"].startswith("B") and r["mol.biol"] in ("BCR/ABL", "NEG"):
                labels[r["row"]] = "1" if r["mol.biol"] == "BCR/ABL" else "0"
    write_cohort(out, "bcr_abl", probes, samples, values, labels)
    positives = sum(1 for v in labels.values() if v == "1")
    print(f"chiaretti: {len(labels)} B-lineage patients ({positives} BCR/ABL, {len(labels) - positives} NEG) "
          f"of {len(samples)}; {len(probes)} probes; lineages {sorted(lineage.items())}", file=sys.stderr)


def delong(scores, labels):
    """AUROC with DeLong's variance (DeLong, DeLong & Clarke-Pearson 1988)."""
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    m, n = len(pos), len(neg)

    def psi(x, y):
        return 1.0 if x > y else (0.5 if x == y else 0.0)

    v10 = [sum(psi(x, y) for y in neg) / n for x in pos]
    v01 = [sum(psi(x, y) for x in pos) / m for y in neg]
    auc = sum(v10) / m
    s10 = sum((v - auc) ** 2 for v in v10) / (m - 1)
    s01 = sum((v - auc) ** 2 for v in v01) / (n - 1)
    se = math.sqrt(s10 / m + s01 / n)
    return auc, se


def summary(predictions, low, high):
    with open(predictions, newline="") as f:
        rows = list(csv.DictReader(f))
    labels = [int(r["label"]) for r in rows]
    p = [float(r["probability"]) for r in rows]
    called = [(y, q) for y, q in zip(labels, p) if q < low or q > high]
    errors = sum(1 for y, q in called if (q > high) != (y == 1))
    auc, se = delong(p, labels)
    result = {
        "cases": len(rows), "positives": sum(labels),
        "abstention_band": [low, high],
        "called": len(called), "uncertain": len(rows) - len(called), "errors_among_called": errors,
        "errors_at_0.5": sum(1 for y, q in zip(labels, p) if (q > 0.5) != (y == 1)),
        "auroc": round(auc, 4),
        "auroc_95ci_delong": [round(max(0.0, auc - 1.959964 * se), 4), round(min(1.0, auc + 1.959964 * se), 4)],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "golub":
        golub(*sys.argv[2:5])
    elif command == "chiaretti":
        chiaretti(*sys.argv[2:5])
    elif command == "summary":
        summary(sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
    else:
        sys.exit(f"unknown command {command}")
