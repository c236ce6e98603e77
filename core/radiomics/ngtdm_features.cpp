// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/ngtdm_features.h"

#include "core/radiomics/texture_matrix.h"

#include <algorithm>
#include <cmath>
#include <span>

namespace mosaic {
namespace {

constexpr std::size_t kNgtdmFeatureCount = 5;
using NgtdmValues = std::array<double, kNgtdmFeatureCount>;
constexpr std::array<std::string_view, kNgtdmFeatureCount> kNames { "coarseness", "contrast", "busyness",
    "complexity", "strength" };

// n_i and s_i per grey level (index 0 unused).
struct ToneDifferences
{
    std::vector<double> voxelCount;
    std::vector<double> differenceSum;

    explicit ToneDifferences(int greyLevelCount)
        : voxelCount(static_cast<std::size_t>(greyLevelCount) + 1, 0.0)
        , differenceSum(static_cast<std::size_t>(greyLevelCount) + 1, 0.0)
    { }
    void add(const ToneDifferences &other)
    {
        for (std::size_t level = 0; level < voxelCount.size(); ++level) {
            voxelCount[level] += other.voxelCount[level];
            differenceSum[level] += other.differenceSum[level];
        }
    }
    void clear()
    {
        std::ranges::fill(voxelCount, 0.0);
        std::ranges::fill(differenceSum, 0.0);
    }
};

// IBSI 1, 3.10: the neighbourhood average uses only neighbours inside the ROI, and a voxel without
// any such neighbour is left out entirely (it counts neither in n_i nor in N_v,c).
// The neighbourhood (3 x 3 in the slice, or 3 x 3 x 3) is summed as columns: for each i of a row, the
// grey levels and the ROI voxel count of the 3 (2D) or 9 (3D) rows around it at that i; a voxel's
// neighbourhood is then three column sums less itself. Integer sums, so the same as voxel by voxel.
void accumulateSlice(const PreparedRoi &roi, std::size_t k, bool threeDimensional,
    std::span<const texture::RowSpan> spans, ToneDifferences &differences)
{
    const int *grey = roi.greyLevel.data();
    const auto ni = roi.size[0];
    std::vector<int> columnSum(ni);
    std::vector<int> columnCount(ni);
    std::vector<const int *> rows;
    for (std::size_t j = 1; j + 1 < roi.size[1]; ++j) {
        const texture::RowSpan span = spans[j + roi.size[1] * k];
        if (span.from >= span.to)
            continue;
        rows.clear();
        for (std::size_t kk = threeDimensional ? k - 1 : k; kk <= (threeDimensional ? k + 1 : k); ++kk)
            for (std::size_t jj = j - 1; jj <= j + 1; ++jj)
                rows.push_back(grey + roi.index(0, jj, kk));
        // Columns span.from - 1 .. span.to: the margin keeps them inside the crop.
        for (std::size_t i = span.from - 1; i <= span.to; ++i) {
            int sum = 0;
            int count = 0;
            for (const int *row : rows) {
                sum += row[i];
                count += row[i] > 0 ? 1 : 0;
            }
            columnSum[i] = sum;
            columnCount[i] = count;
        }
        const int *centre = grey + roi.index(0, j, k);
        for (std::size_t i = span.from; i < span.to; ++i) {
            const int level = centre[i];
            if (level == 0)
                continue;
            const int neighbourSum = columnSum[i - 1] + columnSum[i] + columnSum[i + 1] - level;
            const int neighbourCount = columnCount[i - 1] + columnCount[i] + columnCount[i + 1] - 1;
            if (neighbourCount == 0)
                continue;
            const auto index = static_cast<std::size_t>(level);
            differences.voxelCount[index] += 1.0;
            differences.differenceSum[index]
                += std::abs(level - static_cast<double>(neighbourSum) / neighbourCount);
        }
    }
}

// Returns false when no voxel had a neighbour (no matrix).
bool ngtdmValues(const ToneDifferences &differences, NgtdmValues &values)
{
    struct Level
    {
        double level, probability, differenceSum;
    };
    std::vector<Level> present; // grey levels with p_i > 0
    double total = 0.0;
    for (double count : differences.voxelCount)
        total += count;
    if (total == 0.0)
        return false;
    double weightedDifference = 0.0, differenceTotal = 0.0;
    for (std::size_t level = 1; level < differences.voxelCount.size(); ++level) {
        if (differences.voxelCount[level] == 0.0)
            continue;
        const double probability = differences.voxelCount[level] / total;
        present.push_back({ static_cast<double>(level), probability, differences.differenceSum[level] });
        weightedDifference += probability * differences.differenceSum[level];
        differenceTotal += differences.differenceSum[level];
    }

    double contrastSum = 0.0, busynessDenominator = 0.0, complexity = 0.0, strengthSum = 0.0;
    for (const Level &first : present)
        for (const Level &second : present) {
            const double gap = first.level - second.level;
            contrastSum += first.probability * second.probability * gap * gap;
            busynessDenominator
                += std::abs(first.level * first.probability - second.level * second.probability);
            complexity += std::abs(gap)
                * (first.probability * first.differenceSum + second.probability * second.differenceSum)
                / (first.probability + second.probability);
            strengthSum += (first.probability + second.probability) * gap * gap;
        }
    const double presentCount = static_cast<double>(present.size());
    // Degenerate matrices, which IBSI 1 leaves undefined: with no grey tone difference at all
    // coarseness would be infinite and is capped at 10^6 (as pyradiomics does); contrast, busyness
    // and strength, whose denominators vanish for a single grey level or no difference, are 0.
    values[0] = weightedDifference > 0.0 ? 1.0 / weightedDifference : 1.0e6;
    values[1] = presentCount > 1.0
        ? contrastSum / (presentCount * (presentCount - 1.0)) * differenceTotal / total
        : 0.0;
    values[2] = busynessDenominator > 0.0 ? weightedDifference / busynessDenominator : 0.0;
    values[3] = complexity / total;
    values[4] = differenceTotal > 0.0 ? strengthSum / differenceTotal : 0.0;
    return true;
}

void append(RadiomicsFeatures &features, const NgtdmValues &values, std::string_view suffix)
{
    texture::appendFeatures(features, "ngt_", kNames, values, suffix);
}

} // namespace

void addNgtdmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    if (!texture::hasInterior(roi))
        return;
    const int ng = roi.greyLevelCount;
    const bool inPlane = aggregation.slice2D || aggregation.slice25D;
    const std::vector<texture::RowSpan> spans = texture::roiRowSpans(roi);
    ToneDifferences slice(ng), slicesMerged(ng), volume(ng);
    texture::FeatureMean<kNgtdmFeatureCount> perSlice;
    NgtdmValues values {};
    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k) {
        if (aggregation.volume3D)
            accumulateSlice(roi, k, true, spans, volume);
        if (!inPlane)
            continue;
        accumulateSlice(roi, k, false, spans, slice);
        if (aggregation.slice2D && ngtdmValues(slice, values))
            perSlice.add(values);
        slicesMerged.add(slice);
        slice.clear();
    }
    if (!perSlice.empty())
        append(features, perSlice.mean(), "_2D");
    if (aggregation.slice25D && ngtdmValues(slicesMerged, values))
        append(features, values, "_2_5D");
    if (aggregation.volume3D && ngtdmValues(volume, values))
        append(features, values, "_3D");
}

} // namespace mosaic
