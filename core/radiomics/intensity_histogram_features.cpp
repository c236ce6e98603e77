// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/intensity_histogram_features.h"

#include "core/radiomics/statistics_features.h"

#include <cmath>
#include <vector>

namespace mosaic {

void addIntensityHistogramFeatures(const PreparedRoi &roi, RadiomicsFeatures &features)
{
    const int levelCount = roi.greyLevelCount;
    std::vector<double> histogram(static_cast<std::size_t>(levelCount) + 1, 0.0); // index = grey level
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (roi.intensityMask[n] != 0)
            histogram[static_cast<std::size_t>(roi.greyLevel[n])] += 1.0;
    ValueCounts distribution;
    double mean = 0.0;
    for (int level = 1; level <= levelCount; ++level) {
        const double frequency = histogram[static_cast<std::size_t>(level)];
        if (frequency == 0.0)
            continue;
        distribution.values.push_back(level);
        distribution.counts.push_back(static_cast<std::size_t>(frequency));
        distribution.total += static_cast<std::size_t>(frequency);
        mean += frequency * level;
    }
    if (distribution.total == 0)
        return;
    const auto count = static_cast<double>(distribution.total);
    mean /= count;
    addFirstOrderStatistics(distribution, "ih_", features);

    // Mode: the most frequent level; of tied levels the one closest to the mean, then the lower.
    int mode = 1;
    for (int level = 1; level <= levelCount; ++level) {
        const double frequency = histogram[static_cast<std::size_t>(level)];
        const double best = histogram[static_cast<std::size_t>(mode)];
        if (frequency > best || (frequency == best && std::abs(level - mean) < std::abs(mode - mean)))
            mode = level;
    }
    features.push_back({ "ih_mode", static_cast<double>(mode) });

    double entropy = 0.0;
    double uniformity = 0.0;
    for (int level = 1; level <= levelCount; ++level) {
        const double p = histogram[static_cast<std::size_t>(level)] / count;
        if (p > 0.0)
            entropy -= p * std::log2(p);
        uniformity += p * p;
    }
    features.push_back({ "ih_entropy", entropy });
    features.push_back({ "ih_uniformity", uniformity });

    // Histogram gradient (IBSI 1, 3.4.20): forward difference at level 1, backward at Ng, central
    // between. Ties keep the lowest level.
    auto gradient = [&](int level) {
        const auto at = [&](int l) { return histogram[static_cast<std::size_t>(l)]; };
        if (levelCount == 1)
            return 0.0;
        if (level == 1)
            return at(2) - at(1);
        if (level == levelCount)
            return at(levelCount) - at(levelCount - 1);
        return (at(level + 1) - at(level - 1)) / 2.0;
    };
    int maximumLevel = 1;
    int minimumLevel = 1;
    for (int level = 2; level <= levelCount; ++level) {
        if (gradient(level) > gradient(maximumLevel))
            maximumLevel = level;
        if (gradient(level) < gradient(minimumLevel))
            minimumLevel = level;
    }
    features.push_back({ "ih_max_grad", gradient(maximumLevel) });
    features.push_back({ "ih_max_grad_g", static_cast<double>(maximumLevel) });
    features.push_back({ "ih_min_grad", gradient(minimumLevel) });
    features.push_back({ "ih_min_grad_g", static_cast<double>(minimumLevel) });
}

} // namespace mosaic
