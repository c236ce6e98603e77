// SPDX-License-Identifier: Apache-2.0
// The one training pipeline every Mosaic model goes through, whatever its modalities: nested
// cross-validation with a small hyperparameter search (model_selection.h), probability calibration
// fitted on the out-of-fold predictions, metrics with bootstrap confidence intervals overall and by
// subgroup, a decision curve, the abstention the model will practise, global importance by
// modality, and finally the model fitted on every case, all packaged as one bundle.
//
// Honesty of the report: every figure is computed on out-of-fold predictions, each case predicted by
// a model that neither chose its hyperparameters nor was fitted with it. The calibration map is
// cross-fitted for the report (the map applied to a fold's predictions was fitted on the other
// folds' predictions), so the calibrated figures are not judged on the data that fitted them; the
// shipped map is then fitted on every out-of-fold prediction.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/model/abstention.h"
#include "core/model/bootstrap_metrics.h"
#include "core/model/model_bundle.h"
#include "core/model/model_selection.h"

#include <cstddef>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mosaic {

// The cases a model learns from: one row per case, columns in the schema's order.
struct TrainingData
{
    std::string sourceName; // file name of the cohort or table, for the bundle and messages
    RowMatrixXf features; // rows x schema features; NaN where missing
    std::vector<int> labels; // 0/1
    // Empty, or one group code per row (stratified_folds.h groupCodes): rows of a group (a patient
    // with several lesions or visits) are never split between training and test folds.
    std::vector<std::size_t> groups;
    // Case attributes for subgroup figures, by name ("sex", "age_band"): one text per row.
    std::vector<std::pair<std::string, std::vector<std::string>>> attributes;
};

struct TrainingPlan
{
    std::string name; // shown to the clinician
    std::string outcome; // what the probability means
    std::string labelColumn;
    FeatureSchema schema;
    ModelSelectionSettings selection;
    ProbabilityCalibration::Method calibration = ProbabilityCalibration::Method::Platt;
    double threshold = 0.5; // for sensitivity, specificity and predictive values
    std::vector<double> decisionThresholds; // empty: 0.05, 0.10, ..., 0.95
    BootstrapOptions bootstrap;
    std::vector<std::string> subgroups; // attribute names; each must be in TrainingData::attributes
    std::optional<AbstentionPolicy> abstention;
    std::string intendedUse;
    std::string limitations;
    std::optional<std::string> specification; // model specification JSON object text
};

// Reads the model specification's "training" object into `plan` (keys absent keep plan's values):
// {"outer_folds", "inner_folds", "repeats", "seed", "max_rounds", "early_stopping_rounds",
//  "grid": {"max_depth": [..], "learning_rate": [..], "min_child_weight": [..]},
//  "criterion": "log_loss" | "auroc", "class_weights": "balanced" | "none", "subsample",
//  "column_sample", "calibration": "platt" | "isotonic" | "none", "threshold",
//  "decision_thresholds": [..], "bootstrap_resamples", "bootstrap_seed"}.
// Unknown keys, wrong types and values out of range are refused, naming `sourceName` and the key.
Result<void> readTrainingSection(std::string_view json, std::string_view sourceName, TrainingPlan &plan);

// Called with (steps done, steps in all): each fit of the nested search, then the final fit.
using TrainingPipelineProgress = std::function<void(int, int)>;

// The bundle, and every case's out-of-fold predictions behind its report (kept for the modeller to
// inspect, e.g. which cases were missed or withheld).
struct TrainedModel
{
    ModelBundle bundle;
    std::vector<double> outOfFold; // the model's probability, averaged over repeats
    std::vector<double> calibratedOutOfFold; // mapped by the calibration fitted on the other folds
    std::vector<int> outerFold; // the first repeat's outer fold that held the case out
};

// InvalidArgument when the sizes disagree, a label is not 0/1, a subgroup attribute is absent or the
// abstention policy does not fit the schema; otherwise fails as nested model selection does
// (too few cases of a class for the folds, Cancelled).
Result<TrainedModel> trainModel(const TrainingData &data, const TrainingPlan &plan, std::stop_token stop = {},
    const TrainingPipelineProgress &progress = {});

} // namespace mosaic
