// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/ngldm_features.h"

#include "core/radiomics/texture_matrix.h"

#include <span>

namespace mosaic {
namespace {

using texture::TouchedCountMatrix;

constexpr std::array<std::string_view, 17> kNames { "lde", "hde", "lgce", "hgce", "ldlge", "ldhge", "hdlge",
    "hdhge", "glnu", "glnu_norm", "dcnu", "dcnu_norm", "dc_perc", "gl_var", "dc_var", "dc_entr",
    "dc_energy" };

// Adds one row per ROI voxel of slice k: its grey level and 1 + the number of neighbours inside the
// ROI with the same grey level (|difference| <= alpha = 0). Returns the number of voxels.
double accumulateSlice(const PreparedRoi &roi, std::size_t k, const std::vector<std::ptrdiff_t> &offsets,
    std::span<const texture::RowSpan> spans, TouchedCountMatrix &matrix)
{
    const int *grey = roi.greyLevel.data();
    double voxelCount = 0.0;
    for (std::size_t j = 1; j + 1 < roi.size[1]; ++j) {
        const auto rowStart = static_cast<std::ptrdiff_t>(roi.index(0, j, k));
        const texture::RowSpan span = spans[j + roi.size[1] * k];
        for (std::size_t i = span.from; i < span.to; ++i) {
            const std::ptrdiff_t voxel = rowStart + static_cast<std::ptrdiff_t>(i);
            const int level = grey[voxel];
            if (level == 0)
                continue;
            int dependence = 1;
            for (const std::ptrdiff_t offset : offsets)
                dependence += grey[voxel + offset] == level ? 1 : 0;
            matrix.add(level, dependence);
            voxelCount += 1.0;
        }
    }
    return voxelCount;
}

void append(RadiomicsFeatures &features, const texture::ZoneFeatureValues &values, std::string_view suffix)
{
    texture::appendFeatures(features, "ngl_", kNames, values, suffix);
}

} // namespace

void addNgldmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    if (!texture::hasInterior(roi))
        return;
    const int ng = roi.greyLevelCount;
    const bool inPlane = aggregation.slice2D || aggregation.slice25D;
    const std::vector<std::ptrdiff_t> sliceOffsets = texture::neighbourOffsets(roi, false);
    const std::vector<std::ptrdiff_t> volumeOffsets = texture::neighbourOffsets(roi, true);
    const std::vector<texture::RowSpan> spans = texture::roiRowSpans(roi);
    TouchedCountMatrix slice(ng + 1, 10), slicesMerged(ng + 1, 10), volume(ng + 1, 28);
    texture::FeatureMean<texture::kZoneFeatureCount> perSlice;
    double roiVoxelCount = 0.0;
    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k) {
        const double sliceVoxelCount = inPlane ? accumulateSlice(roi, k, sliceOffsets, spans, slice)
                                               : accumulateSlice(roi, k, volumeOffsets, spans, volume);
        if (inPlane && aggregation.volume3D)
            accumulateSlice(roi, k, volumeOffsets, spans, volume);
        if (sliceVoxelCount == 0.0)
            continue;
        roiVoxelCount += sliceVoxelCount;
        if (!inPlane)
            continue;
        if (aggregation.slice2D)
            perSlice.add(texture::zoneFeatures(texture::zoneMatrixOf(slice, sliceVoxelCount)));
        slicesMerged.addMatrix(slice);
        slice.clear();
    }
    if (roiVoxelCount == 0.0)
        return;
    if (aggregation.slice2D)
        append(features, perSlice.mean(), "_2D");
    if (aggregation.slice25D)
        append(features, texture::zoneFeatures(texture::zoneMatrixOf(slicesMerged, roiVoxelCount)), "_2_5D");
    if (aggregation.volume3D)
        append(features, texture::zoneFeatures(texture::zoneMatrixOf(volume, roiVoxelCount)), "_3D");
}

} // namespace mosaic
