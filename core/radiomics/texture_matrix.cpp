// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/texture_matrix.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <string>

namespace mosaic::texture {

std::ptrdiff_t flatOffset(const PreparedRoi &roi, VoxelStep step)
{
    const auto columns = static_cast<std::ptrdiff_t>(roi.size[0]);
    const auto rows = static_cast<std::ptrdiff_t>(roi.size[1]);
    return step.di + columns * (step.dj + rows * step.dk);
}

std::vector<std::ptrdiff_t> neighbourOffsets(const PreparedRoi &roi, bool threeDimensional)
{
    std::vector<std::ptrdiff_t> offsets;
    offsets.reserve(26);
    const int sliceReach = threeDimensional ? 1 : 0;
    for (int dk = -sliceReach; dk <= sliceReach; ++dk)
        for (int dj = -1; dj <= 1; ++dj)
            for (int di = -1; di <= 1; ++di)
                if (di != 0 || dj != 0 || dk != 0)
                    offsets.push_back(flatOffset(roi, { di, dj, dk }));
    return offsets;
}

bool hasInterior(const PreparedRoi &roi)
{
    return roi.size[0] >= 3 && roi.size[1] >= 3 && roi.size[2] >= 3 && roi.greyLevelCount > 0
        && roi.greyLevel.size() == roi.voxelCount();
}

std::vector<RowSpan> roiRowSpans(const PreparedRoi &roi)
{
    std::vector<RowSpan> spans(roi.size[1] * roi.size[2]);
    if (!hasInterior(roi))
        return spans;
    const std::size_t ni = roi.size[0];
    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k)
        for (std::size_t j = 1; j + 1 < roi.size[1]; ++j) {
            const int *row = roi.greyLevel.data() + roi.index(0, j, k);
            std::size_t from = 1;
            while (from + 1 < ni && row[from] == 0)
                ++from;
            if (from + 1 >= ni)
                continue;
            std::size_t to = ni - 1;
            while (row[to - 1] == 0)
                --to;
            spans[j + roi.size[1] * k] = { from, to };
        }
    return spans;
}

void compressEntries(std::vector<MatrixEntry> &entries)
{
    std::ranges::sort(entries, [](const MatrixEntry &left, const MatrixEntry &right) {
        return left.row != right.row ? left.row < right.row : left.column < right.column;
    });
    std::size_t kept = 0;
    for (std::size_t index = 0; index < entries.size(); ++index) {
        if (kept > 0 && entries[kept - 1].row == entries[index].row
            && entries[kept - 1].column == entries[index].column)
            entries[kept - 1].count += entries[index].count;
        else
            entries[kept++] = entries[index];
    }
    entries.resize(kept);
}

TouchedCountMatrix::TouchedCountMatrix(int rows, int columns)
    : m_rows(rows)
    , m_columns(static_cast<std::size_t>(columns))
    , m_counts(static_cast<std::size_t>(rows) * static_cast<std::size_t>(columns), 0)
{ }

void TouchedCountMatrix::addMatrix(const TouchedCountMatrix &other)
{
    assert(other.m_rows == m_rows && other.m_columns == m_columns);
    for (const std::size_t cell : other.m_touched) {
        if (m_counts[cell] == 0)
            m_touched.push_back(cell);
        m_counts[cell] += other.m_counts[cell];
    }
}

void TouchedCountMatrix::clear()
{
    for (const std::size_t cell : m_touched)
        m_counts[cell] = 0;
    m_touched.clear();
}

void TouchedCountMatrix::appendEntries(std::vector<MatrixEntry> &entries) const
{
    for (const std::size_t cell : m_touched)
        entries.push_back({ static_cast<int>(cell / m_columns), static_cast<int>(cell % m_columns),
            static_cast<double>(m_counts[cell]) });
}

void TouchedCountMatrix::appendSortedEntries(std::vector<MatrixEntry> &entries) const
{
    // Cells are distinct and their index orders them by (row, column): either walk the dense counts
    // (when many cells are touched) or sort the touched indices, cheaper than sorting entries.
    const auto append = [&](std::size_t cell) {
        entries.push_back({ static_cast<int>(cell / m_columns), static_cast<int>(cell % m_columns),
            static_cast<double>(m_counts[cell]) });
    };
    entries.reserve(entries.size() + m_touched.size());
    if (m_touched.size() * 32 >= m_counts.size()) {
        for (std::size_t cell = 0; cell < m_counts.size(); ++cell)
            if (m_counts[cell] != 0)
                append(cell);
        return;
    }
    std::vector<std::size_t> cells = m_touched;
    std::ranges::sort(cells);
    for (const std::size_t cell : cells)
        append(cell);
}

ZoneMatrix zoneMatrixOf(const TouchedCountMatrix &matrix, double voxelCount)
{
    ZoneMatrix result;
    matrix.appendSortedEntries(result.entries);
    result.voxelCount = voxelCount;
    return result;
}

ZoneMatrix mergeZoneMatrices(std::span<const ZoneMatrix> matrices)
{
    ZoneMatrix result;
    for (const ZoneMatrix &matrix : matrices) {
        result.entries.insert(result.entries.end(), matrix.entries.begin(), matrix.entries.end());
        result.voxelCount += matrix.voxelCount;
    }
    compressEntries(result.entries);
    return result;
}

ZoneFeatureValues zoneFeatures(const ZoneMatrix &matrix)
{
    ZoneFeatureValues values {};
    double total = 0.0;
    for (const MatrixEntry &entry : matrix.entries)
        total += entry.count;
    if (total <= 0.0)
        return values;

    double shortEmphasis = 0.0, longEmphasis = 0.0, lowGrey = 0.0, highGrey = 0.0;
    double shortLow = 0.0, shortHigh = 0.0, longLow = 0.0, longHigh = 0.0;
    double greyMean = 0.0, columnMean = 0.0, entropy = 0.0, energy = 0.0;
    double greyNonUniformity = 0.0, rowSum = 0.0;
    int currentRow = -1;
    for (const MatrixEntry &entry : matrix.entries) {
        const double i2 = static_cast<double>(entry.row) * entry.row;
        const double j2 = static_cast<double>(entry.column) * entry.column;
        const double count = entry.count;
        shortEmphasis += count / j2;
        longEmphasis += count * j2;
        lowGrey += count / i2;
        highGrey += count * i2;
        shortLow += count / (i2 * j2);
        shortHigh += count * i2 / j2;
        longLow += count * j2 / i2;
        longHigh += count * i2 * j2;
        const double probability = count / total;
        greyMean += entry.row * probability;
        columnMean += entry.column * probability;
        entropy -= probability * std::log2(probability);
        energy += probability * probability;
        // Entries are sorted by row, so row sums close when the row changes.
        if (entry.row != currentRow) {
            greyNonUniformity += rowSum * rowSum;
            rowSum = 0.0;
            currentRow = entry.row;
        }
        rowSum += count;
    }
    greyNonUniformity += rowSum * rowSum;

    double greyVariance = 0.0, columnVariance = 0.0;
    int maximumColumn = 0;
    for (const MatrixEntry &entry : matrix.entries) {
        const double probability = entry.count / total;
        greyVariance += (entry.row - greyMean) * (entry.row - greyMean) * probability;
        columnVariance += (entry.column - columnMean) * (entry.column - columnMean) * probability;
        maximumColumn = std::max(maximumColumn, entry.column);
    }
    // Column sums. Counts are whole numbers, so the sums and the sum of their squares are exact in any
    // order while the matrix total stays below 9e7 (its square below 2^53; a 2 M-voxel ROI's merged
    // 3D run matrix totals under 3e7): a dense array when the columns are few, else sorted entries.
    double columnNonUniformity = 0.0;
    if (static_cast<std::size_t>(maximumColumn) <= 4 * matrix.entries.size() + 1024) {
        std::vector<double> columnSums(static_cast<std::size_t>(maximumColumn) + 1, 0.0);
        for (const MatrixEntry &entry : matrix.entries)
            columnSums[static_cast<std::size_t>(entry.column)] += entry.count;
        for (const double columnSum : columnSums)
            columnNonUniformity += columnSum * columnSum;
    } else {
        std::vector<std::pair<int, double>> columnCounts;
        columnCounts.reserve(matrix.entries.size());
        for (const MatrixEntry &entry : matrix.entries)
            columnCounts.emplace_back(entry.column, entry.count);
        std::ranges::sort(columnCounts);
        double columnSum = 0.0;
        for (std::size_t index = 0; index < columnCounts.size(); ++index) {
            if (index > 0 && columnCounts[index].first != columnCounts[index - 1].first) {
                columnNonUniformity += columnSum * columnSum;
                columnSum = 0.0;
            }
            columnSum += columnCounts[index].second;
        }
        columnNonUniformity += columnSum * columnSum;
    }

    values = { shortEmphasis / total, longEmphasis / total, lowGrey / total, highGrey / total,
        shortLow / total, shortHigh / total, longLow / total, longHigh / total, greyNonUniformity / total,
        greyNonUniformity / (total * total), columnNonUniformity / total,
        columnNonUniformity / (total * total), matrix.voxelCount > 0.0 ? total / matrix.voxelCount : 0.0,
        greyVariance, columnVariance, entropy, energy };
    return values;
}

void appendFeatures(RadiomicsFeatures &features, std::string_view prefix,
    std::span<const std::string_view> names, std::span<const double> values, std::string_view suffix)
{
    assert(values.size() >= names.size());
    for (std::size_t index = 0; index < names.size(); ++index) {
        std::string tag;
        tag.reserve(prefix.size() + names[index].size() + suffix.size() + 1);
        tag.append(prefix).append(names[index]).append(suffix);
        features.push_back({ std::move(tag), values[index] });
    }
}

} // namespace mosaic::texture
