// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/statistics_features.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

namespace mosaic {

ValueCounts countValues(std::vector<double> &values)
{
    ValueCounts distribution;
    distribution.total = values.size();
    if (values.empty())
        return distribution;
    const auto [lowest, highest] = std::ranges::minmax(values);
    const bool integral = std::ranges::all_of(values, [](double v) { return v == std::floor(v); });
    constexpr double kMaximumCountedRange = 1 << 22;
    if (integral && highest - lowest < kMaximumCountedRange) {
        std::vector<std::size_t> counts(static_cast<std::size_t>(highest - lowest) + 1, 0);
        for (const double v : values)
            ++counts[static_cast<std::size_t>(v - lowest)];
        for (std::size_t n = 0; n < counts.size(); ++n)
            if (counts[n] != 0) {
                distribution.values.push_back(lowest + static_cast<double>(n));
                distribution.counts.push_back(counts[n]);
            }
        return distribution;
    }
    std::ranges::sort(values);
    for (std::size_t n = 0; n < values.size(); ++n) {
        if (n == 0 || values[n] != values[n - 1]) {
            distribution.values.push_back(values[n]);
            distribution.counts.push_back(0);
        }
        ++distribution.counts.back();
    }
    return distribution;
}

double percentile(const ValueCounts &distribution, double fraction)
{
    assert(distribution.total > 0);
    const double position = fraction * static_cast<double>(distribution.total - 1);
    const auto below = static_cast<std::size_t>(std::floor(position));
    const std::size_t above = std::min(below + 1, distribution.total - 1);
    const double weight = position - static_cast<double>(below);
    // The values at order statistics `below` and `above`.
    double belowValue = 0.0;
    double aboveValue = 0.0;
    std::size_t seen = 0;
    for (std::size_t n = 0; n < distribution.values.size(); ++n) {
        const std::size_t next = seen + distribution.counts[n];
        if (below >= seen && below < next)
            belowValue = distribution.values[n];
        if (above >= seen && above < next) {
            aboveValue = distribution.values[n];
            break;
        }
        seen = next;
    }
    return belowValue + weight * (aboveValue - belowValue);
}

void addFirstOrderStatistics(const ValueCounts &distribution, const char *prefix, RadiomicsFeatures &features)
{
    assert(distribution.total > 0);
    const auto &values = distribution.values;
    const auto &counts = distribution.counts;
    const auto count = static_cast<double>(distribution.total);
    auto add = [&](const char *name, double value) {
        features.push_back({ std::string(prefix) + name, value });
    };

    double sum = 0.0;
    for (std::size_t n = 0; n < values.size(); ++n)
        sum += static_cast<double>(counts[n]) * values[n];
    const double mean = sum / count;
    double m2 = 0.0;
    double m3 = 0.0;
    double m4 = 0.0;
    double absoluteDeviation = 0.0;
    for (std::size_t n = 0; n < values.size(); ++n) {
        const double c = static_cast<double>(counts[n]);
        const double d = values[n] - mean;
        m2 += c * d * d;
        m3 += c * d * d * d;
        m4 += c * d * d * d * d;
        absoluteDeviation += c * std::abs(d);
    }
    m2 /= count;
    m3 /= count;
    m4 /= count;
    const double median = percentile(distribution, 0.5);
    const double p10 = percentile(distribution, 0.10);
    const double p25 = percentile(distribution, 0.25);
    const double p75 = percentile(distribution, 0.75);
    const double p90 = percentile(distribution, 0.90);

    // Robust mean absolute deviation: the voxels between the 10th and 90th percentile, inclusive.
    double robustSum = 0.0;
    double robustCount = 0.0;
    for (std::size_t n = 0; n < values.size(); ++n)
        if (values[n] >= p10 && values[n] <= p90) {
            robustSum += static_cast<double>(counts[n]) * values[n];
            robustCount += static_cast<double>(counts[n]);
        }
    const double robustMean = robustSum / robustCount;
    double robustDeviation = 0.0;
    double medianDeviation = 0.0;
    for (std::size_t n = 0; n < values.size(); ++n) {
        const double c = static_cast<double>(counts[n]);
        if (values[n] >= p10 && values[n] <= p90)
            robustDeviation += c * std::abs(values[n] - robustMean);
        medianDeviation += c * std::abs(values[n] - median);
    }

    // A constant ROI has no spread: skewness and kurtosis are 0 by convention rather than NaN.
    add("mean", mean);
    add("var", m2);
    add("skew", m2 > 0.0 ? m3 / std::pow(m2, 1.5) : 0.0);
    add("kurt", m2 > 0.0 ? m4 / (m2 * m2) - 3.0 : 0.0);
    add("median", median);
    add("min", values.front());
    add("p10", p10);
    add("p90", p90);
    add("max", values.back());
    add("iqr", p75 - p25);
    add("range", values.back() - values.front());
    add("mad", absoluteDeviation / count);
    add("rmad", robustDeviation / robustCount);
    add("medad", medianDeviation / count);
    add("cov", std::sqrt(m2) / mean);
    add("qcod", (p75 - p25) / (p75 + p25));
}

void addStatisticsFeatures(const PreparedRoi &roi, RadiomicsFeatures &features)
{
    std::vector<double> values;
    values.reserve(roi.voxelCount());
    double energy = 0.0;
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (roi.intensityMask[n] != 0) {
            values.push_back(roi.intensity[n]);
            energy += static_cast<double>(roi.intensity[n]) * roi.intensity[n];
        }
    if (values.empty())
        return;
    const auto count = static_cast<double>(values.size());
    addFirstOrderStatistics(countValues(values), "stat_", features);
    features.push_back({ "stat_energy", energy });
    features.push_back({ "stat_rms", std::sqrt(energy / count) });
}

} // namespace mosaic
