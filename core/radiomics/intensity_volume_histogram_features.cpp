// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/intensity_volume_histogram_features.h"

#include "core/radiomics/statistics_features.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace mosaic {

void addIntensityVolumeHistogramFeatures(const PreparedRoi &roi,
    const DiscretisationSettings &ivhDiscretisation, const ResegmentationSettings &resegmentation,
    RadiomicsFeatures &features)
{
    std::vector<double> values;
    values.reserve(roi.voxelCount());
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (roi.intensityMask[n] != 0)
            values.push_back(roi.intensity[n]);
    if (values.empty())
        return;
    const auto [lowest, highest] = std::ranges::minmax(values);

    // The IVH intensity of each voxel, and the range [low, high] that the intensity fraction
    // gamma = (x - low) / (high - low) spans (IBSI 1, 3.5).
    double low = resegmentation.minimum.value_or(lowest);
    double high = resegmentation.maximum.value_or(highest);
    switch (ivhDiscretisation.method) {
    case DiscretisationMethod::None: break;
    case DiscretisationMethod::FixedBinNumber: {
        const int bins = ivhDiscretisation.binCount;
        for (double &value : values) {
            const int level = highest > lowest
                ? static_cast<int>(std::floor(bins * (value - lowest) / (highest - lowest))) + 1
                : 1;
            value = std::clamp(level, 1, bins);
        }
        low = 1.0;
        high = bins;
        break;
    }
    case DiscretisationMethod::FixedBinSize: {
        // Voxels take the centre of their bin; the range runs over the bins of the re-segmentation range.
        const double lowerBound = ivhDiscretisation.lowerBound.value_or(low);
        const double width = ivhDiscretisation.binWidth;
        auto centre = [&](double value) {
            const double bin = std::max(1.0, std::floor((value - lowerBound) / width) + 1.0);
            return lowerBound + (bin - 0.5) * width;
        };
        for (double &value : values)
            value = centre(value);
        low = centre(low);
        high = centre(high);
        break;
    }
    }
    const ValueCounts distribution = countValues(values);
    const auto count = static_cast<double>(distribution.total);
    // atOrAbove[n]: voxels with at least the n-th distinct value.
    std::vector<std::size_t> atOrAbove(distribution.values.size() + 1, 0);
    for (std::size_t n = distribution.values.size(); n-- > 0;)
        atOrAbove[n] = atOrAbove[n + 1] + distribution.counts[n];
    // The intensities the IVH is evaluated at: every step of the discretisation from `low` to
    // `high` (levels absent from the ROI included), or the distinct intensities when they are not
    // on a grid (no discretisation of non-integer intensities).
    double step = 0.0;
    switch (ivhDiscretisation.method) {
    case DiscretisationMethod::None:
        step = std::ranges::all_of(distribution.values, [](double v) { return v == std::floor(v); }) ? 1.0
                                                                                                     : 0.0;
        break;
    case DiscretisationMethod::FixedBinNumber: step = 1.0; break;
    case DiscretisationMethod::FixedBinSize: step = ivhDiscretisation.binWidth; break;
    }
    std::vector<double> intensities;
    constexpr double kMaximumSteps = 1e6;
    if (step > 0.0 && (high - low) / step < kMaximumSteps) {
        const auto steps = static_cast<std::size_t>(std::floor((high - low) / step + 1e-9));
        for (std::size_t t = 0; t <= steps; ++t)
            intensities.push_back(low + static_cast<double>(t) * step);
    } else {
        intensities = distribution.values;
    }
    // nu(x): the fraction of the volume with an intensity of at least x.
    std::vector<double> fractionAtOrAbove;
    for (const double x : intensities) {
        const auto first
            = std::ranges::lower_bound(distribution.values, x - 1e-9 * std::max(1.0, std::abs(x)))
            - distribution.values.begin();
        fractionAtOrAbove.push_back(static_cast<double>(atOrAbove[static_cast<std::size_t>(first)]) / count);
    }
    if (intensities.empty())
        return;

    // V_x: the volume fraction with an intensity fraction gamma of at least x.
    auto volumeAt = [&](double fraction) {
        for (std::size_t n = 0; n < intensities.size(); ++n) {
            const double gamma = high > low ? (intensities[n] - low) / (high - low) : 1.0;
            if (gamma >= fraction - 1e-12)
                return fractionAtOrAbove[n];
        }
        return 0.0;
    };
    // I_x: the lowest intensity that at most the fraction x of the volume reaches or exceeds.
    auto intensityAt = [&](double fraction) {
        for (std::size_t n = 0; n < intensities.size(); ++n)
            if (fractionAtOrAbove[n] <= fraction + 1e-12)
                return intensities[n];
        // No intensity is that rare: one step above the maximum.
        return intensities.back() + (step > 0.0 ? step : 1.0);
    };
    const double v10 = volumeAt(0.10);
    const double v90 = volumeAt(0.90);
    const double i10 = intensityAt(0.10);
    const double i90 = intensityAt(0.90);
    features.push_back({ "ivh_v10", v10 });
    features.push_back({ "ivh_v90", v90 });
    features.push_back({ "ivh_i10", i10 });
    features.push_back({ "ivh_i90", i90 });
    features.push_back({ "ivh_diff_v10_v90", v10 - v90 });
    features.push_back({ "ivh_diff_i10_i90", i10 - i90 });
}

void addIntensityVolumeHistogramFeatures(const PreparedRoi &roi, RadiomicsFeatures &features)
{
    addIntensityVolumeHistogramFeatures(
        roi, DiscretisationSettings { DiscretisationMethod::None, 1, 1.0, std::nullopt }, {}, features);
}

} // namespace mosaic
