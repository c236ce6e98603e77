#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Issue 7, item 10: every case study through the one training pipeline, `mosaic-cli train --spec`.
# Prepares one cohort folder per study (OUT/<study>/cohort.csv, docs/cohort_format.md), trains it
# with its specification in tests/validation/specs (nested cross-validation, calibration, bootstrap
# intervals, subgroups, decision curve, importance by modality, abstention where the spec has one)
# and writes OUT/<study>.json (train's report), OUT/<study>.bundle.json (signed with a key generated
# into OUT), OUT/<study>.coverage.csv, and OUT/summary.md for docs/validation.md.
#
#   tests/validation/pipeline_case_studies.sh BUILD_DIR_OR_MOSAIC_CLI OUT_DIR
#
# Studies: ad (Alzheimer's, CSF proteins + APOE), ad_apoe_only (APOE alone, for contrast), hf (heart
# failure), sts_pet (sarcoma, FDG-PET radiomics), golub (leukaemia). A study whose data is absent is
# skipped with a message. With PIPELINE_SEEDS="1 2 3" in the environment, each study is trained again
# at each of those seeds (folds, trees and bootstrap) into OUT/<study>.seed<N>.json, and
# OUT/summary.md ends with their AUROCs.
set -euo pipefail

target=${1:?build directory or mosaic-cli binary}
out=${2:?output directory}
here=$(cd "$(dirname "$0")/../.." && pwd)
shared="$here/../shared/data"
specs="$here/tests/validation/specs"
python=/usr/bin/python3
cohorts="$here/tests/validation/pipeline_cohorts.py"
if [ -x "$target" ] && [ ! -d "$target" ]; then cli=$target; else cli="$target/app/mosaic-cli"; fi
[ -x "$cli" ] || { echo "pipeline_case_studies: no mosaic-cli at $cli" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)

if [ ! -f "$out/signing.key" ]; then
    "$cli" keys generate --secret-key "$out/signing.key" --public-key "$out/signing.pub" > /dev/null
fi

# train STUDY SPEC: OUT/STUDY/cohort.csv -> OUT/STUDY.json, OUT/STUDY.bundle.json
train() {
    local study=$1 spec=$2
    for seed in ${PIPELINE_SEEDS:-}; do
        "$python" "$cohorts" reseed "$spec" "$seed" "$out/$study/spec.seed$seed.json"
        run "$study.seed$seed" "$study" "$out/$study/spec.seed$seed.json"
    done
    run "$study" "$study" "$spec"
}

# run NAME STUDY SPEC: one training of OUT/STUDY's cohort -> OUT/NAME.json, OUT/NAME.bundle.json
run() {
    local name=$1 study=$2 spec=$3
    SECONDS=0
    if ! "$cli" train --spec "$spec" --cohort "$out/$study" --out "$out/$name.bundle.json" \
        --sign-with "$out/signing.key" --coverage "$out/$name.coverage.csv" \
        > "$out/$name.json" 2> "$out/$name.err"; then
        echo "pipeline_case_studies: training $name failed:" >&2
        cat "$out/$name.err" >&2
        exit 1
    fi
    echo "pipeline_case_studies: $name trained in $SECONDS s" >&2
    echo "$name $SECONDS" >> "$out/timings.txt"
}

: > "$out/timings.txt"
studies=()

# 1. Alzheimer's disease: 333 people, 128 CSF proteins + tau, p-tau, Ab42, age, sex; APOE genotype.
if [ -f "$shared/clinical/modeldata_ad_data.csv" ]; then
    mkdir -p "$out/ad"
    "$python" "$here/tests/validation/ad_cohort.py" "$shared/clinical/modeldata_ad_data.csv" "$out/ad"
    train ad "$specs/ad_model_spec.json"
    mkdir -p "$out/ad_apoe_only"
    cp "$out/ad/cohort.csv" "$out/ad_apoe_only/cohort.csv"
    train ad_apoe_only "$specs/ad_apoe_only_spec.json"
    studies+=(ad ad_apoe_only)
else
    echo "pipeline_case_studies: $shared/clinical/modeldata_ad_data.csv is absent; ad skipped" >&2
fi

# 2. Heart failure: the demo table (299 patients, 96 deaths), every column but TIME.
mkdir -p "$out/hf"
"$python" "$cohorts" hf "$here/resources/demo/heart_failure_S1Data.csv" "$out/hf"
train hf "$specs/hf_model_spec.json"
studies+=(hf)

# 3. Soft-tissue sarcoma: FDG-PET radiomics of 51 patients (GTV_Mass_PET, sts_pet.json settings).
if [ -d "$shared/imaging/sts/STS_001" ]; then
    mkdir -p "$out/sts_pet"
    "$python" "$cohorts" sts "$shared/imaging/sts" "$out/sts_pet"
    train sts_pet "$specs/sts_pet_model_spec.json"
    studies+=(sts_pet)
else
    echo "pipeline_case_studies: $shared/imaging/sts is absent; sts_pet skipped" >&2
fi

# 4. Leukaemia: Golub's 38 training samples, 3,051 genes (multtest), ALL vs AML, with abstention.
if [ -f "$shared/expression/golub_multtest_expr.csv" ]; then
    mkdir -p "$out/golub"
    "$python" "$here/tests/validation/leukaemia_tables.py" golub "$shared/expression/golub_multtest_expr.csv" \
        "$shared/expression/golub_multtest_labels.csv" "$out/golub/table.csv"
    "$python" "$cohorts" golub "$out/golub/table.csv" "$out/golub"
    train golub "$specs/golub_model_spec.json"
    studies+=(golub)
else
    echo "pipeline_case_studies: $shared/expression/golub_multtest_expr.csv is absent; golub skipped" >&2
fi

"$python" "$cohorts" summary "$out" "${studies[@]}" > "$out/summary.md"
if [ -n "${PIPELINE_SEEDS:-}" ]; then
    echo >> "$out/summary.md"
    "$python" "$cohorts" seeds "$out" "${studies[@]}" >> "$out/summary.md"
fi
echo "pipeline_case_studies: results in $out/summary.md" >&2
