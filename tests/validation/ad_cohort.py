#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Prepares the Alzheimer's case study's cohort (standard library only; run with /usr/bin/python3).

  ad_cohort.py AD_DATA_CSV OUT_DIR   -> OUT_DIR/cohort.csv

AD_DATA_CSV is ../shared/data/clinical/modeldata_ad_data.csv (R modeldata `ad_data`,
Craig-Schapiro et al. 2011): 333 people, 128 CSF proteins, age, tau, p_tau, Ab_42, male, Genotype
("E3E4"), Class ("Impaired"/"Control"). The cohort keeps every numeric column as it is and adds:
- patient: the data row's number (1..333), the file carries no identifier;
- APOE_e4_copies, APOE_e2_copies: the count of "E4" and of "E2" in the Genotype text (0, 1 or 2);
- class: Class as its text name, which the specification's task.classes maps to 0/1;
- sex: "male"/"female" from the 0/1 `male` column (a subgroup attribute; `male` stays a feature);
- age_band: the file's `age` is not in years but 1 - 1/years (its range 0.9834..0.9897 inverts
  to 60..97 years); the band is taken on the inverted value: "<75" or ">=75".
Refuses a row whose Genotype is not two of E2/E3/E4, whose Class is unknown, or whose numeric
cell is not a number, naming the line.
"""
import csv
import math
import re
import sys


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: ad_cohort.py AD_DATA_CSV OUT_DIR")
    source, out_dir = argv[1], argv[2]
    with open(source, newline="") as f:
        rows = csv.reader(f)
        header = next(rows, None)
        data = list(rows)
    if not header or not data:
        sys.exit(f"ad_cohort: {source.split('/')[-1]} has no header or no data rows")
    for needed in ("Genotype", "Class", "age", "male"):
        if needed not in header:
            sys.exit(f"ad_cohort: {source.split('/')[-1]} has no column '{needed}'")
    numeric = [c for c in header if c not in ("Genotype", "Class")]
    at = {c: i for i, c in enumerate(header)}
    with open(f"{out_dir}/cohort.csv", "w", newline="") as out:
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["patient"] + numeric + ["APOE_e4_copies", "APOE_e2_copies", "sex", "age_band", "class"])
        for n, row in enumerate(data, start=1):
            line = n + 1
            if len(row) != len(header):
                sys.exit(f"ad_cohort: line {line}: {len(row)} cells, expected {len(header)}")
            genotype = row[at["Genotype"]]
            if not re.fullmatch(r"E[234]E[234]", genotype):
                sys.exit(f"ad_cohort: line {line}: Genotype is not two of E2/E3/E4")
            label = row[at["Class"]]
            if label not in ("Control", "Impaired"):
                sys.exit(f"ad_cohort: line {line}: Class is neither Control nor Impaired")
            for c in numeric:
                try:
                    float(row[at[c]])
                except ValueError:
                    sys.exit(f"ad_cohort: line {line}, column '{c}': not a number")
            age_code = float(row[at["age"]])
            years = 1.0 / (1.0 - age_code) if age_code < 1.0 else math.inf
            sex = "male" if float(row[at["male"]]) == 1.0 else "female"
            w.writerow([n] + [row[at[c]] for c in numeric]
                       + [genotype.count("E4"), genotype.count("E2"), sex,
                          "<75" if years < 75 else ">=75", label])


if __name__ == "__main__":
    main(sys.argv)
