// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/zone_matrix_aggregation.h"

#include <algorithm>

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
        m_dense.appendEntries(result.entries);
        result.entries.insert(result.entries.end(), m_overflow.begin(), m_overflow.end());
        compressEntries(result.entries);
        result.voxelCount = m_voxelCount;
        return result;
    }

private:
    TouchedCountMatrix m_dense;
    std::vector<MatrixEntry> m_overflow;
    double m_voxelCount = 0.0;
};

} // namespace

void appendZoneFamily(RadiomicsFeatures &features, std::string_view prefix,
    std::span<const std::string_view> names, const PreparedRoi &roi, ZoneColumn column)
{
    if (!hasInterior(roi))
        return;
    const bool byDistance = column == ZoneColumn::EdgeDistance;
    // A zone voxel outside the morphological mask (which re-segmentation cannot produce) would have
    // distance 0; such a zone is treated as lying on the edge.
    const auto columnOf = [byDistance](const GreyLevelZone &zone) {
        return byDistance ? std::max(1, zone.distanceToEdge) : static_cast<int>(zone.voxelCount);
    };
    const int ng = roi.greyLevelCount;

    ZoneCounter slice(ng), slicesMerged(ng);
    FeatureMean<kZoneFeatureCount> perSlice;
    std::size_t currentSlice = 0;
    const auto closeSlice = [&] {
        if (slice.empty())
            return;
        perSlice.add(zoneFeatures(slice.matrix()));
        slicesMerged.addCounter(slice);
        slice.clear();
    };
    {
        const std::vector<int> distance = byDistance ? edgeDistanceMap(roi, false) : std::vector<int> {};
        forEachGreyLevelZone(roi, false, byDistance ? &distance : nullptr, [&](const GreyLevelZone &zone) {
            if (zone.slice != currentSlice) {
                closeSlice();
                currentSlice = zone.slice;
            }
            slice.add(zone.greyLevel, columnOf(zone), static_cast<double>(zone.voxelCount));
        });
        closeSlice();
    }
    if (perSlice.empty())
        return;

    ZoneCounter volume(ng);
    {
        const std::vector<int> distance = byDistance ? edgeDistanceMap(roi, true) : std::vector<int> {};
        forEachGreyLevelZone(roi, true, byDistance ? &distance : nullptr, [&](const GreyLevelZone &zone) {
            volume.add(zone.greyLevel, columnOf(zone), static_cast<double>(zone.voxelCount));
        });
    }
    appendFeatures(features, prefix, names, perSlice.mean(), "_2D");
    appendFeatures(features, prefix, names, zoneFeatures(slicesMerged.matrix()), "_2_5D");
    appendFeatures(features, prefix, names, zoneFeatures(volume.matrix()), "_3D");
}

} // namespace mosaic::texture
