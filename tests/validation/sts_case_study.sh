#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The review's image-based landmark on real patients: lung metastasis in 51 soft-tissue sarcomas
# from FDG-PET and T1 MR radiomics (Vallieres et al. 2015; data: TCIA, IBSI validation set).
#
# For each patient, mosaic-cli extracts IBSI features from the PET (contour GTV_Mass_PET) and the
# T1 MR (GTV_Mass_MR_T1, as the archive's RTSTRUCTs name it); the rows are joined with the outcome
# into cohort tables (PET, MR, PET+MR), and each is trained and validated by nested cross-validation
# with feature selection inside the folds. The results are written to OUT/*.json for
# docs/validation.md.
#
#   tests/validation/sts_case_study.sh BUILD_DIR OUT_DIR
set -euo pipefail

build=${1:?build directory, e.g. build/release}
out=${2:?output directory}
here=$(cd "$(dirname "$0")/../.." && pwd)
data="$here/../shared/data/imaging/sts"
cli="$build/app/mosaic-cli"
[ -d "$data" ] || { echo "sts_case_study: $data is absent; nothing to do" >&2; exit 0; }
mkdir -p "$out"

# The MR series ship as one archive; unpack it once.
if [ ! -d "$out/mr/STS_001" ]; then
    mkdir -p "$out/mr"
    tar -xJf "$data/sts-mr-ct.tar.xz" -C "$out/mr"
fi

# features MODALITY PATIENT IMAGE MASK ROI SETTINGS -> "$out/features/MODALITY/PATIENT.csv"
extract() {
    local modality=$1 patient=$2 image=$3 mask=$4 roi=$5 settings=$6
    local log="$out/features/$modality/$patient.log"
    mkdir -p "$out/features/$modality"
    if ! "$cli" radiomics --image "$image" --mask "$mask" --roi "$roi" --settings "$settings" \
        > "$out/features/$modality/$patient.csv" 2> "$log"; then
        echo "sts_case_study: $modality extraction of $patient failed:" >&2
        cat "$log" >&2
        exit 1
    fi
}

SECONDS=0
for patient_dir in "$data"/STS_0*; do
    patient=$(basename "$patient_dir")
    extract pet "$patient" "$patient_dir/PET/image" "$patient_dir/PET/mask/RS.dcm" GTV_Mass_PET \
        "$here/resources/radiomics/sts_pet.json"
    extract mr "$patient" "$out/mr/$patient/MR_T1/image" "$out/mr/$patient/MR_T1/mask/RS.dcm" \
        GTV_Mass_MR_T1 "$here/resources/radiomics/sts_mr.json"
done
echo "sts_case_study: extracted PET and MR features of 51 patients in $SECONDS s" >&2

# One wide table per modality: id, lung_metastasis, <modality>_<tag>...
table() {
    local modality=$1
    awk -F, -v modality="$modality" -v outcome="$data/outcome_lung_metastasis.csv" '
        BEGIN { while ((getline line < outcome) > 0) { split(line, f, ","); label[f[1]] = f[2] } }
        FNR == 1 { patient = FILENAME; sub(/.*\//, "", patient); sub(/\.csv$/, "", patient); order[++n] = patient; next }
        { value[patient, $1] = $2; if (!($1 in seen)) { seen[$1] = 1; tags[++ntags] = $1 } }
        END {
            printf "id,lung_metastasis"; for (t = 1; t <= ntags; ++t) printf ",%s_%s", modality, tags[t]; print ""
            for (p = 1; p <= n; ++p) {
                id = order[p]; printf "%s,%s", id, label[id]
                for (t = 1; t <= ntags; ++t) printf ",%s", ((id, tags[t]) in value) ? value[id, tags[t]] : "NA"
                print ""
            }
        }' "$out/features/$modality"/*.csv > "$out/cohort_$modality.csv"
}
table pet
table mr
# PET+MR: the MR columns appended to the PET rows (same patients, same order).
paste -d, "$out/cohort_pet.csv" <(cut -d, -f3- "$out/cohort_mr.csv") > "$out/cohort_pet_mr.csv"

# Nested cross-validation: 10 x 5-fold outer loop, 3-fold inner loop choosing 2, 4 or 8 features
# ranked by univariate AUROC (|Spearman| > 0.9 redundant). Shallow trees: 51 patients, 19 events.
for cohort in pet mr pet_mr; do
    "$cli" train --table "$out/cohort_$cohort.csv" --id id --label lung_metastasis --modality imaging \
        --select-features 2,4,8 --inner-folds 3 --folds 5 --repeats 10 \
        --rounds 100 --max-depth 2 --learning-rate 0.1 \
        --name "Lung metastasis in soft-tissue sarcoma ($cohort)" --outcome "lung metastasis" \
        --out "$out/model_$cohort.bundle.json" > "$out/validation_$cohort.json"
done
echo "sts_case_study: results in $out/validation_{pet,mr,pet_mr}.json" >&2
