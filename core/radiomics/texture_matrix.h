// SPDX-License-Identifier: Apache-2.0
// Building blocks shared by the texture matrix families of IBSI 1 (sections 3.6 to 3.11): the
// 13 directions, neighbourhood offsets, count matrices that remember which cells they touched (so
// clearing and reading cost the number of non-zero cells, not Ng squared), and the 16 features
// that GLRLM, GLSZM, GLDZM and NGLDM share once their matrix is written as grey level (rows) by
// run length, zone size, distance or dependence count (columns). Internal to core/radiomics.
#pragma once

#include "core/radiomics/prepared_roi.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace mosaic::texture {

struct VoxelStep
{
    int di = 0;
    int dj = 0;
    int dk = 0;
};

// IBSI 1, 3.6.1: one direction of each opposite pair, at Chebyshev distance 1. The first four lie in
// the slice plane (the 2D and 2.5D directions); all thirteen are the 3D directions.
inline constexpr std::array<VoxelStep, 13> kDirections { {
    { 1, 0, 0 },
    { 1, 1, 0 },
    { 0, 1, 0 },
    { -1, 1, 0 },
    { 0, 0, 1 },
    { 1, 0, 1 },
    { 1, 1, 1 },
    { 0, 1, 1 },
    { -1, 1, 1 },
    { -1, 0, 1 },
    { -1, -1, 1 },
    { 0, -1, 1 },
    { 1, -1, 1 },
} };
inline constexpr std::size_t kInPlaneDirectionCount = 4;

[[nodiscard]] std::ptrdiff_t flatOffset(const PreparedRoi &roi, VoxelStep step);

// The 8 in-plane neighbours at Chebyshev distance 1, or all 26 in 3D, as flat index offsets, in
// increasing order: the first half lies before the voxel in scan order, the second half after it.
[[nodiscard]] std::vector<std::ptrdiff_t> neighbourOffsets(const PreparedRoi &roi, bool threeDimensional);

// True when the crop is large enough to hold a margin on every side; feature code walks only the
// interior [1, size - 2] and relies on the margin instead of bounds checks.
[[nodiscard]] bool hasInterior(const PreparedRoi &roi);

// The interior columns [from, to) of one crop row (j, k) outside which the row holds no ROI voxel
// (grey level 0): feature loops walk these instead of the whole crop box, whose margins and corners
// around a round ROI are most of it. Empty (from == to) for rows without ROI voxels.
struct RowSpan
{
    std::size_t from = 0;
    std::size_t to = 0;
};

// One span per row, indexed j + size[1] * k; all empty when the crop has no interior.
[[nodiscard]] std::vector<RowSpan> roiRowSpans(const PreparedRoi &roi);

struct MatrixEntry
{
    int row = 0; // grey level, 1..Ng
    int column = 0; // run length, zone size, distance or dependence count (>= 1), or a second grey level
    double count = 0.0;
};

// Sorts by (row, column) and sums duplicate cells.
void compressEntries(std::vector<MatrixEntry> &entries);

// A rows x columns count matrix stored densely, plus the list of cells that are non-zero.
class TouchedCountMatrix
{
public:
    TouchedCountMatrix(int rows, int columns);

    // Counts are integers: an integer increment has no floating-point latency chain, which matters
    // when a few hundred cells take tens of millions of increments.
    void add(int row, int column)
    {
        const std::size_t cell = static_cast<std::size_t>(row) * m_columns + static_cast<std::size_t>(column);
        if (m_counts[cell]++ == 0)
            m_touched.push_back(cell);
    }
    void addMatrix(const TouchedCountMatrix &other);
    void clear();
    [[nodiscard]] bool empty() const { return m_touched.empty(); }
    [[nodiscard]] int rows() const { return m_rows; }
    [[nodiscard]] int columns() const { return static_cast<int>(m_columns); }

    // Appends the non-zero cells, unsorted.
    void appendEntries(std::vector<MatrixEntry> &entries) const;
    // Appends the non-zero cells sorted by (row, column), as compressEntries would leave them.
    void appendSortedEntries(std::vector<MatrixEntry> &entries) const;

private:
    int m_rows = 0;
    std::size_t m_columns = 0;
    std::vector<std::uint64_t> m_counts;
    std::vector<std::size_t> m_touched;
};

// Grey level by property matrix and the number of voxels it was counted over (IBSI's N_v; for
// merged matrices the sum over the merged ones, IBSI 1, 3.7.2 note on run percentage).
struct ZoneMatrix
{
    std::vector<MatrixEntry> entries; // compressed
    double voxelCount = 0.0;
};

[[nodiscard]] ZoneMatrix zoneMatrixOf(const TouchedCountMatrix &matrix, double voxelCount);
[[nodiscard]] ZoneMatrix mergeZoneMatrices(std::span<const ZoneMatrix> matrices);

// The 16 features of IBSI 1, 3.7 to 3.11 in this order: short emphasis, long emphasis, low grey
// level emphasis, high grey level emphasis, short-low, short-high, long-low, long-high, grey level
// non-uniformity (and normalised), column non-uniformity (and normalised), percentage, grey level
// variance, column variance, entropy; then energy (NGLDM only, 3.11.17).
inline constexpr std::size_t kZoneFeatureCount = 17;
using ZoneFeatureValues = std::array<double, kZoneFeatureCount>;
[[nodiscard]] ZoneFeatureValues zoneFeatures(const ZoneMatrix &matrix);

// Mean of feature vectors (IBSI's averaging over slices or directions).
template <std::size_t N> class FeatureMean
{
public:
    void add(const std::array<double, N> &values)
    {
        for (std::size_t index = 0; index < N; ++index)
            m_sum[index] += values[index];
        ++m_count;
    }
    [[nodiscard]] bool empty() const { return m_count == 0; }
    [[nodiscard]] std::array<double, N> mean() const
    {
        std::array<double, N> result {};
        for (std::size_t index = 0; index < N; ++index)
            result[index] = m_count == 0 ? 0.0 : m_sum[index] / static_cast<double>(m_count);
        return result;
    }

private:
    std::array<double, N> m_sum {};
    std::size_t m_count = 0;
};

// Appends `prefix_name_suffix` for each of `names` (values beyond names.size() are ignored).
void appendFeatures(RadiomicsFeatures &features, std::string_view prefix,
    std::span<const std::string_view> names, std::span<const double> values, std::string_view suffix);

} // namespace mosaic::texture
