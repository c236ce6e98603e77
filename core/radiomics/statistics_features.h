// SPDX-License-Identifier: Apache-2.0
// IBSI 1, 3.3 intensity-based statistical features (stat_*), on the intensities of the
// re-segmented ROI (the intensity mask), not on discretised grey levels.
#pragma once

#include "core/radiomics/prepared_roi.h"

#include <vector>

namespace mosaic {

void addStatisticsFeatures(const PreparedRoi &roi, RadiomicsFeatures &features);

// A distribution as its distinct values, ascending, each with the number of voxels holding it.
struct ValueCounts
{
    std::vector<double> values;
    std::vector<std::size_t> counts;
    std::size_t total = 0;
};

// Distinct values and counts of `values` (reordered). Integer values in a range of up to 2^22 are
// counted in one pass, which spares sorting millions of CT voxels; other values are sorted.
[[nodiscard]] ValueCounts countValues(std::vector<double> &values);

// Percentile `fraction` (0..1), linearly interpolated between order statistics (the "linear" rule of
// numpy and R type 7). IBSI 1 does not fix the rule; on the integer digital phantom the reference
// values agree with it.
[[nodiscard]] double percentile(const ValueCounts &distribution, double fraction);

// The first-order statistics shared by stat_* (on intensities) and ih_* (on grey levels), tagged
// `prefix` + name: mean, var, skew, kurt, median, min, p10, p90, max, iqr, range, mad, rmad, medad,
// cov, qcod.
void addFirstOrderStatistics(
    const ValueCounts &distribution, const char *prefix, RadiomicsFeatures &features);

} // namespace mosaic
