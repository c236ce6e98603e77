#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Leukaemia classification from expression profiles, on the real public matrices of
# ../shared/data/expression (Bioconductor multtest and ALL):
#   Golub et al. 1999: ALL vs AML, 38 training samples (27 ALL, 11 AML), 3,051 genes. Golub's own
#     leave-one-out: 36 called, 2 uncertain, 0 errors (50 genes by signal-to-noise, weighted voting,
#     prediction strength 0.3).
#   Chiaretti et al. 2004: BCR/ABL vs NEG among the B-lineage ALL patients, 12,625 probes; a nested
#     random forest reaches AUROC 0.91.
# Every choice that looks at labels (how many genes, which genes) and every fitted normalisation is
# made inside the training part of each fold. Results go to OUT/*.json and OUT/*.csv for
# docs/validation.md.
#
#   tests/validation/leukaemia_case_study.sh BUILD_DIR OUT_DIR
# BUILD_DIR needs app/mosaic-cli and tests/leukaemia_loo (target leukaemia_loo).
set -euo pipefail

build=${1:?build directory, e.g. build/release}
out=${2:?output directory}
here=$(cd "$(dirname "$0")/../.." && pwd)
data="$here/../shared/data/expression"
cli="$build/app/mosaic-cli"
loo="$build/tests/leukaemia_loo"
tables="$here/tests/validation/leukaemia_tables.py"
python=/usr/bin/python3 # the standard library is enough; the python3 first on PATH may differ
[ -d "$data" ] || { echo "leukaemia_case_study: $data is absent; nothing to do" >&2; exit 0; }
mkdir -p "$out"

# Hyperparameters fixed in advance (not tuned on the folds): shallow trees, few samples.
model=(--rounds 100 --max-depth 2 --learning-rate 0.1)
counts=10,25,50 # candidate numbers of genes; Golub used 50
# Abstention band for the comparison with Golub's "uncertain" calls: called when p < 0.3 or p > 0.7.
low=0.3
high=0.7

# ---- Golub: leave-one-out, as Golub 1999 validated its predictor on the 38 training samples.
# multtest's matrix is already thresholded, filtered, log10-transformed and standardised per array
# (Dudoit 2002); the per-gene z-score is fitted on the 37 training samples of each fold.
echo '{"z_score_per_probe": true}' > "$out/golub_normalisation.json"
SECONDS=0
nice "$loo" --matrix "$data/golub_multtest_expr.csv" --labels "$data/golub_multtest_labels.csv" \
    --normalisation "$out/golub_normalisation.json" --counts "$counts" --inner-folds 3 "${model[@]}" \
    > "$out/golub_loo_predictions.csv"
"$python" "$tables" summary "$out/golub_loo_predictions.csv" "$low" "$high" > "$out/golub_loo.json"
echo "leukaemia_case_study: Golub leave-one-out in $SECONDS s" >&2

# The same cohort through `mosaic-cli train` (10 x 5-fold nested): refused when a repeat's
# out-of-fold predictions separate ALL from AML completely (no finite calibration slope).
"$python" "$tables" golub "$data/golub_multtest_expr.csv" "$data/golub_multtest_labels.csv" \
    "$out/cohort_golub.csv"
if nice "$cli" train --table "$out/cohort_golub.csv" --id id --label aml --modality genomics \
    --select-features "$counts" --inner-folds 3 --folds 5 --repeats 10 "${model[@]}" \
    --name "AML vs ALL (Golub 1999)" --outcome "acute myeloid leukaemia" \
    --out "$out/model_golub.bundle.json" > "$out/validation_golub.json" 2> "$out/validation_golub.err"; then
    echo "leukaemia_case_study: Golub nested cross-validation in $out/validation_golub.json" >&2
else
    echo "leukaemia_case_study: mosaic-cli train refused Golub: $(cat "$out/validation_golub.err")" >&2
fi

# ---- Chiaretti: BCR/ABL vs NEG among B-lineage patients (pdata: BT starts with B, mol.biol).
"$python" "$tables" chiaretti "$data/ALL_chiaretti_exprs.csv.gz" "$data/ALL_chiaretti_pdata.csv" \
    "$out/cohort_chiaretti.csv" 2> "$out/cohort_chiaretti.log"
cat "$out/cohort_chiaretti.log" >&2
SECONDS=0
nice "$cli" train --table "$out/cohort_chiaretti.csv" --id id --label bcr_abl --modality genomics \
    --select-features "$counts" --inner-folds 3 --folds 5 --repeats 10 "${model[@]}" \
    --name "BCR/ABL in B-lineage ALL (Chiaretti 2004)" --outcome "BCR/ABL fusion" \
    --out "$out/model_chiaretti.bundle.json" > "$out/validation_chiaretti.json"
echo "leukaemia_case_study: Chiaretti nested cross-validation in $SECONDS s" >&2

# And leave-one-out with the same driver as Golub, for per-patient out-of-fold predictions.
cut -d, -f1,2 "$out/cohort_chiaretti.csv" > "$out/chiaretti_labels.csv"
SECONDS=0
nice "$loo" --matrix "$data/ALL_chiaretti_exprs.csv.gz" --labels "$out/chiaretti_labels.csv" \
    --counts "$counts" --inner-folds 3 "${model[@]}" > "$out/chiaretti_loo_predictions.csv"
"$python" "$tables" summary "$out/chiaretti_loo_predictions.csv" "$low" "$high" > "$out/chiaretti_loo.json"
echo "leukaemia_case_study: Chiaretti leave-one-out in $SECONDS s" >&2
echo "leukaemia_case_study: results in $out/{golub_loo,validation_golub,validation_chiaretti,chiaretti_loo}.json" >&2
