// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli synth`: a synthetic multimodal cohort in a new folder, everything labelled synthetic:
//   cohort.csv          the cohort manifest (docs/cohort_format.md: patient, group, outcome, image,
//                       mask, roi, genotypes, sample, records, index_date, sex, age_band)
//   model_spec.json     a model specification over the cohort's features (imaging, genomics, records)
//   ground_truth.json   the ground-truth model, its coefficients and every patient's latent values
//   README.txt          what the folder is
//   patients/SYN-0001/  ct/CT_000.dcm..., rtstruct.dcm, genotypes.vcf, record.json
// The same options give the same bytes (identifiers derive from the seed). The model and what a
// correct model must find are in core/synthetic/README.md.
#pragma once

#include "core/error.h"
#include "core/synthetic/synthetic_patient.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

namespace mosaic::synthetic {

inline constexpr std::size_t kMaxSyntheticPatients = 1'000'000;

struct SyntheticCohortOptions
{
    std::size_t patients = 100;
    std::uint64_t seed = 1;
    double missingImaging = 0.0; // fraction of patients without a CT series and structure set
    double missingGenotypes = 0.0; // fraction without a VCF
    // Per-modality switches for scale runs: false writes no file of that modality for anyone.
    bool imaging = true;
    bool genotypes = true;
    bool records = true;
};

struct SyntheticCohortSummary
{
    std::size_t patients = 0;
    std::size_t withImaging = 0;
    std::size_t withGenotypes = 0;
    std::size_t withRecords = 0;
    std::size_t positives = 0;
    double meanProbability = 0.0;
};

// Called after each patient with (done, total); returning false cancels (ErrorCode::Cancelled; the
// files written so far stay, in a folder the caller created for this run).
using SyntheticProgress = std::function<bool(std::size_t, std::size_t)>;

// Refuses (InvalidArgument) a folder that exists and is not empty, 0 or too many patients, and
// fractions outside [0, 1]. Creates the folder (and its parents) otherwise.
[[nodiscard]] Result<SyntheticCohortSummary> writeSyntheticCohort(const std::filesystem::path &folder,
    const SyntheticCohortOptions &options, const SyntheticProgress &progress = {});

// The text of one patient's files, for tests and for writers that want them in memory.
[[nodiscard]] std::string syntheticVcfText(const SyntheticPatient &patient);
[[nodiscard]] std::string syntheticFhirBundleText(const SyntheticPatient &patient, std::uint64_t seed);

} // namespace mosaic::synthetic
