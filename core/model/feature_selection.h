// SPDX-License-Identifier: Apache-2.0
// Choosing a few features from many (hundreds of radiomics features for 51 patients) without
// looking at the patients being validated: the selection is a function of the training rows only,
// so nested cross-validation can run it inside each fold.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"

#include <cstddef>
#include <span>
#include <vector>

namespace mosaic {

struct FeatureSelectionSettings
{
    // Candidate numbers of features; nested cross-validation picks one per outer fold.
    std::vector<int> featureCounts { 2, 4, 8 };
    // A feature whose absolute Spearman correlation with an already chosen one exceeds this is
    // redundant and skipped (radiomics features come in near-duplicate families).
    double maxCorrelation = 0.9;
    // Features missing in more than this fraction of the training rows are not candidates.
    double maxMissingFraction = 0.2;
};

// Ranks the columns by univariate discrimination on `rows` (|AUROC - 0.5|, missing values left
// out), then keeps the best `count` that are not redundant with a better one. Returns column
// indices, best first; fewer than `count` when too few columns qualify. InvalidArgument when the
// rows lack one of the two classes.
Result<std::vector<std::size_t>> selectFeatures(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> rows, int count, const FeatureSelectionSettings &settings);

} // namespace mosaic
