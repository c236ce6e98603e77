// SPDX-License-Identifier: Apache-2.0
// Nested cross-validation for cohorts with many more features than patients (radiomics): every
// choice that looks at outcomes, which features and how many, is made inside each outer training
// fold by an inner cross-validation, so the outer estimate never sees a patient it validates.
// Choosing features on the whole cohort first (as in Vallieres 2015) makes the estimate optimistic.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/model/cross_validation.h"
#include "core/model/feature_selection.h"

#include <cstddef>
#include <span>
#include <stop_token>
#include <vector>

namespace mosaic {

struct NestedCrossValidationSettings
{
    CrossValidationSettings outer; // folds, repeats, seed and the XGBoost parameters
    int innerFolds = 3;
    FeatureSelectionSettings selection;
};

struct FeatureChoice
{
    int featureCount = 0;
    std::vector<std::size_t> columns; // best first
    double innerAuroc = 0.0; // pooled inner out-of-fold AUROC of the chosen count
};

// The inner loop on `rows`: for each candidate count, inner stratified k-fold with selection inside
// each inner training fold; the count with the best pooled AUROC wins (ties: fewer features), and
// its features are then selected on all of `rows`.
Result<FeatureChoice> chooseFeatures(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> rows, const NestedCrossValidationSettings &settings, std::uint64_t seed,
    std::stop_token stop = {});

struct NestedCrossValidationResult
{
    CrossValidationResult outer; // metrics of the outer out-of-fold predictions
    std::vector<int> selectionCount; // per column: in how many outer fits it was selected
    std::vector<int> chosenCountFits; // per settings.selection.featureCounts entry: how often chosen
    int outerFits = 0;
};

Result<NestedCrossValidationResult> nestedCrossValidateBinary(const RowMatrixXf &features,
    std::span<const int> labels, const NestedCrossValidationSettings &settings, std::stop_token stop = {},
    const CrossValidationProgress &progress = {});

} // namespace mosaic
