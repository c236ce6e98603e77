// SPDX-License-Identifier: Apache-2.0
// Repeated stratified k-fold cross-validation of a binary XGBoost model. Each repeat splits the
// cohort anew (seed + repeat), trains on k-1 folds and predicts the held-out fold, so every patient
// gets one out-of-fold probability per repeat. Each metric is computed on one repeat's complete set
// of out-of-fold predictions, then averaged over the repeats; the AUROC's 95% interval is the
// average of the repeats' DeLong intervals. Hyperparameters are fixed in advance, not tuned on the
// folds, so no inner loop is needed for the estimate to be honest.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/model/booster.h"
#include "core/model/metrics.h"

#include <cstdint>
#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

namespace mosaic {

struct CrossValidationSettings
{
    int folds = 5;
    int repeats = 10;
    std::uint64_t seed = 20261125;
    TrainingParameters training;
};

struct CrossValidationResult
{
    CrossValidationSettings settings;
    std::size_t cases = 0;
    std::size_t positives = 0;
    std::vector<double> repeatAuroc; // pooled out-of-fold AUROC of each repeat
    BinaryMetrics mean; // each field averaged over the repeats
    double aurocStandardDeviation = 0.0; // across repeats: how much the split alone moves the AUROC
    std::vector<double> outOfFoldProbability; // per patient, averaged over the repeats
};

// Each metric averaged over the repeats (cases and positives taken from the first); the AUROC's
// interval is the average of the repeats' intervals.
[[nodiscard]] BinaryMetrics averageMetrics(std::span<const BinaryMetrics> repeats);
// Sample standard deviation; 0 for fewer than two values.
[[nodiscard]] double standardDeviation(std::span<const double> values);

// Called after each fitted fold with (folds done, folds in all).
using CrossValidationProgress = std::function<void(int, int)>;

// Labels 0/1. Fails as stratifiedKFold does (a class smaller than the fold count), as training does,
// or with Cancelled.
Result<CrossValidationResult> crossValidateBinary(const RowMatrixXf &features, std::span<const int> labels,
    const CrossValidationSettings &settings, std::stop_token stop = {},
    const CrossValidationProgress &progress = {});

} // namespace mosaic
