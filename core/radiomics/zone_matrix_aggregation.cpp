// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/zone_matrix_aggregation.h"

#include <algorithm>
#include <utility>
#include <vector>

namespace mosaic::texture {
namespace {

// Zone counts by grey level and column. Columns below kDenseColumns go to a dense matrix (almost all
// zones); the rare larger zones to a list compressed when read. Sorting one entry per zone instead
// costs more than the flood fill on a noisy ROI with a million zones.
class ZoneCounter
{
public:
    static constexpr int kDenseColumns = 1024;

    explicit ZoneCounter(int greyLevelCount)
        : m_dense(greyLevelCount + 1, kDenseColumns)
    { }
    void add(int row, int column, double voxelCount)
    {
        if (column < kDenseColumns)
            m_dense.add(row, column);
        else
            m_overflow.push_back({ row, column, 1.0 });
        m_voxelCount += voxelCount;
    }
    void addCounter(const ZoneCounter &other)
    {
        m_dense.addMatrix(other.m_dense);
        m_overflow.insert(m_overflow.end(), other.m_overflow.begin(), other.m_overflow.end());
        m_voxelCount += other.m_voxelCount;
    }
    void clear()
    {
        m_dense.clear();
        m_overflow.clear();
        m_voxelCount = 0.0;
    }
    [[nodiscard]] bool empty() const { return m_voxelCount == 0.0; }
    // N_v is the number of voxels the zones cover: the ROI's voxel count of the slice or volume, since
    // every ROI voxel belongs to exactly one zone.
    [[nodiscard]] ZoneMatrix matrix() const
    {
        ZoneMatrix result;
        m_dense.appendSortedEntries(result.entries);
        if (!m_overflow.empty()) {
            result.entries.insert(result.entries.end(), m_overflow.begin(), m_overflow.end());
            compressEntries(result.entries);
        }
        result.voxelCount = m_voxelCount;
        return result;
    }

private:
    TouchedCountMatrix m_dense;
    std::vector<MatrixEntry> m_overflow;
    double m_voxelCount = 0.0;
};

} // namespace

void appendZoneFamilies(RadiomicsFeatures &features, std::span<const ZoneFamily> families,
    const PreparedRoi &roi, const AggregationSettings &aggregation)
{
    if (!hasInterior(roi) || families.empty())
        return;
    const bool needsDistance = std::ranges::any_of(
        families, [](const ZoneFamily &family) { return family.column == ZoneColumn::EdgeDistance; });
    // A zone voxel outside the morphological mask (which re-segmentation cannot produce) would have
    // distance 0; such a zone is treated as lying on the edge.
    const auto columnOf = [](const GreyLevelZone &zone, ZoneColumn column) {
        return column == ZoneColumn::EdgeDistance ? std::max(1, zone.distanceToEdge)
                                                  : static_cast<int>(zone.voxelCount);
    };
    const auto countZone = [&](std::vector<ZoneCounter> &counters, const GreyLevelZone &zone) {
        for (std::size_t family = 0; family < families.size(); ++family)
            counters[family].add(zone.greyLevel, columnOf(zone, families[family].column),
                static_cast<double>(zone.voxelCount));
    };
    const std::vector<ZoneCounter> emptyCounters(families.size(), ZoneCounter(roi.greyLevelCount));
    std::vector<std::vector<std::pair<std::string_view, ZoneFeatureValues>>> results(families.size());

    if (aggregation.slice2D || aggregation.slice25D) {
        std::vector<ZoneCounter> slice = emptyCounters, slicesMerged = emptyCounters;
        std::vector<FeatureMean<kZoneFeatureCount>> perSlice(families.size());
        std::size_t currentSlice = 0;
        const auto closeSlice = [&] {
            for (std::size_t family = 0; family < families.size(); ++family) {
                if (slice[family].empty())
                    continue;
                if (aggregation.slice2D)
                    perSlice[family].add(zoneFeatures(slice[family].matrix()));
                if (aggregation.slice25D)
                    slicesMerged[family].addCounter(slice[family]);
                slice[family].clear();
            }
        };
        const std::vector<int> distance = needsDistance ? edgeDistanceMap(roi, false) : std::vector<int> {};
        forEachGreyLevelZone(roi, false, needsDistance ? &distance : nullptr, [&](const GreyLevelZone &zone) {
            if (zone.slice != currentSlice) {
                closeSlice();
                currentSlice = zone.slice;
            }
            countZone(slice, zone);
        });
        closeSlice();
        for (std::size_t family = 0; family < families.size(); ++family) {
            if (!perSlice[family].empty())
                results[family].emplace_back("_2D", perSlice[family].mean());
            if (!slicesMerged[family].empty())
                results[family].emplace_back("_2_5D", zoneFeatures(slicesMerged[family].matrix()));
        }
    }

    if (aggregation.volume3D) {
        std::vector<ZoneCounter> volume = emptyCounters;
        const std::vector<int> distance = needsDistance ? edgeDistanceMap(roi, true) : std::vector<int> {};
        forEachGreyLevelZone(roi, true, needsDistance ? &distance : nullptr,
            [&](const GreyLevelZone &zone) { countZone(volume, zone); });
        for (std::size_t family = 0; family < families.size(); ++family)
            if (!volume[family].empty())
                results[family].emplace_back("_3D", zoneFeatures(volume[family].matrix()));
    }

    for (std::size_t family = 0; family < families.size(); ++family)
        for (const auto &[suffix, values] : results[family])
            appendFeatures(features, families[family].prefix, families[family].names, values, suffix);
}

} // namespace mosaic::texture
