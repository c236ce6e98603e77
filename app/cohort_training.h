// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli train --spec MODEL_SPEC (--cohort DIR | --table CSV)`: the one pipeline from a model
// specification to a signed bundle. The cohort manifest (DIR/cohort.csv, or the table itself) is
// read, every case's features are extracted in parallel across modalities (core/fusion), and the
// model is trained, validated by nested cross-validation, calibrated and explained
// (core/model/model_training.h). stdout gets the validation report as JSON; with --coverage, a CSV
// of each case's modality coverage and, with --predictions, every case's out-of-fold prediction.
#pragma once

#include "app/key_commands.h"

#include <string>

namespace mosaic::cli {

struct CohortTrainingArguments
{
    std::string spec; // a model specification ("format": "mosaic-model-spec")
    std::string manifest; // cohort.csv
    std::string out;
    std::string coverage; // optional CSV of per-case modality coverage
    std::string predictions; // optional CSV of every case's out-of-fold prediction
    int threads = 0; // extraction workers; 0: cores - 1
    std::string name; // overrides the specification's name when set
    std::string intendedUse; // override the specification's when set
    std::string limitations;
    SigningOptions signing;
};

// True when `path` holds a model specification rather than a plain feature schema.
[[nodiscard]] bool isModelSpecification(const std::string &path);

int runCohortTraining(const CohortTrainingArguments &arguments);

} // namespace mosaic::cli
