// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/glrlm_features.h"

#include "core/radiomics/texture_matrix.h"

#include <algorithm>
#include <span>

namespace mosaic {
namespace {

using texture::kDirections;
using texture::kInPlaneDirectionCount;
using texture::TouchedCountMatrix;
using texture::ZoneMatrix;

constexpr std::array<std::string_view, 16> kNames { "sre", "lre", "lgre", "hgre", "srlge", "srhge", "lrlge",
    "lrhge", "glnu", "glnu_norm", "rlnu", "rlnu_norm", "r_perc", "gl_var", "rl_var", "rl_entr" };

void append(RadiomicsFeatures &features, const texture::ZoneFeatureValues &values, std::string_view suffix)
{
    texture::appendFeatures(features, "rlm_", kNames, values, suffix);
}

// Counts the runs that start in slice k along `offset`. A run starts at a voxel whose predecessor
// along the direction has another grey level (or lies outside the ROI, grey level 0); it ends at the
// first voxel that differs, at the latest in the background margin.
void countRunsInSlice(const PreparedRoi &roi, std::span<const texture::RowSpan> spans, std::size_t k,
    std::ptrdiff_t offset, TouchedCountMatrix &matrix)
{
    const int *grey = roi.greyLevel.data();
    for (std::size_t j = 1; j + 1 < roi.size[1]; ++j) {
        const auto rowStart = static_cast<std::ptrdiff_t>(roi.index(0, j, k));
        const texture::RowSpan span = spans[j + roi.size[1] * k];
        for (std::ptrdiff_t voxel = rowStart + static_cast<std::ptrdiff_t>(span.from);
             voxel < rowStart + static_cast<std::ptrdiff_t>(span.to); ++voxel) {
            const int level = grey[voxel];
            if (level == 0 || grey[voxel - offset] == level)
                continue;
            int length = 1;
            for (std::ptrdiff_t next = voxel + offset; grey[next] == level; next += offset)
                ++length;
            matrix.add(level, length);
        }
    }
}

} // namespace

void addGlrlmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    if (!texture::hasInterior(roi) || !(aggregation.slice2D || aggregation.slice25D || aggregation.volume3D))
        return;
    const int ng = roi.greyLevelCount;
    const int longestRun = static_cast<int>(std::ranges::max(roi.size));
    const auto makeMatrix = [ng, longestRun] { return TouchedCountMatrix(ng + 1, longestRun + 1); };
    // The out-of-plane directions enter the 3D matrices only.
    const std::size_t directionCount = aggregation.volume3D ? kDirections.size() : kInPlaneDirectionCount;

    std::vector<TouchedCountMatrix> sliceMatrices(kInPlaneDirectionCount, makeMatrix());
    std::vector<TouchedCountMatrix> volumeMatrices(directionCount, makeMatrix());
    texture::FeatureMean<texture::kZoneFeatureCount> perSliceAndDirection, perSlice;
    double roiVoxelCount = 0.0;

    std::array<ZoneMatrix, kInPlaneDirectionCount> sliceZoneMatrices;
    const std::vector<texture::RowSpan> spans = texture::roiRowSpans(roi);
    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k) {
        double sliceVoxelCount = 0.0;
        for (std::size_t j = 1; j + 1 < roi.size[1]; ++j) {
            const texture::RowSpan span = spans[j + roi.size[1] * k];
            for (std::size_t i = span.from; i < span.to; ++i)
                sliceVoxelCount += roi.greyLevel[roi.index(i, j, k)] > 0 ? 1.0 : 0.0;
        }
        if (sliceVoxelCount == 0.0)
            continue;
        roiVoxelCount += sliceVoxelCount;
        // Every ROI voxel lies in exactly one run per direction, so each in-plane matrix is non-empty
        // and N_v of the slice is its voxel count (IBSI 1, 3.7.13).
        for (std::size_t direction = 0; direction < kInPlaneDirectionCount; ++direction) {
            TouchedCountMatrix &matrix = sliceMatrices[direction];
            countRunsInSlice(roi, spans, k, texture::flatOffset(roi, kDirections[direction]), matrix);
            if (aggregation.slice2D) {
                sliceZoneMatrices[direction] = texture::zoneMatrixOf(matrix, sliceVoxelCount);
                perSliceAndDirection.add(texture::zoneFeatures(sliceZoneMatrices[direction]));
            }
            volumeMatrices[direction].addMatrix(matrix);
            matrix.clear();
        }
        if (aggregation.slice2D)
            perSlice.add(texture::zoneFeatures(texture::mergeZoneMatrices(sliceZoneMatrices)));
        for (std::size_t direction = kInPlaneDirectionCount; direction < directionCount; ++direction)
            countRunsInSlice(
                roi, spans, k, texture::flatOffset(roi, kDirections[direction]), volumeMatrices[direction]);
    }
    if (roiVoxelCount == 0.0)
        return;

    std::vector<ZoneMatrix> directionMatrices;
    texture::FeatureMean<texture::kZoneFeatureCount> perInPlaneDirection, perDirection;
    for (std::size_t direction = 0; direction < directionCount; ++direction) {
        directionMatrices.push_back(texture::zoneMatrixOf(volumeMatrices[direction], roiVoxelCount));
        const auto values = texture::zoneFeatures(directionMatrices.back());
        perDirection.add(values);
        if (direction < kInPlaneDirectionCount)
            perInPlaneDirection.add(values);
    }
    const std::span<const ZoneMatrix> all(directionMatrices);

    if (aggregation.slice2D) {
        append(features, perSliceAndDirection.mean(), "_2D_avg");
        append(features, perSlice.mean(), "_2D_comb");
    }
    if (aggregation.slice25D) {
        append(features, perInPlaneDirection.mean(), "_2_5D_avg");
        append(features, texture::zoneFeatures(texture::mergeZoneMatrices(all.first(kInPlaneDirectionCount))),
            "_2_5D_comb");
    }
    if (aggregation.volume3D) {
        append(features, perDirection.mean(), "_3D_avg");
        append(features, texture::zoneFeatures(texture::mergeZoneMatrices(all)), "_3D_comb");
    }
}

} // namespace mosaic
