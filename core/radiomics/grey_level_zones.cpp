// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/grey_level_zones.h"

#include "core/radiomics/texture_matrix.h"

#include <climits>

#include <algorithm>

namespace mosaic::texture {

std::vector<int> edgeDistanceMap(const PreparedRoi &roi, bool threeDimensional)
{
    std::vector<int> distance(roi.voxelCount(), 0);
    if (!hasInterior(roi))
        return distance;
    const bool useMorphological = roi.morphologicalMask.size() == roi.voxelCount();
    const int unreached = INT_MAX / 2;
    // ROI voxels start unreached, the rest stay 0. Each row's span of ROI voxels is kept so that the
    // passes below skip the background around them, which they would leave unchanged.
    std::vector<RowSpan> spans(roi.size[1] * roi.size[2]);
    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k)
        for (std::size_t j = 1; j + 1 < roi.size[1]; ++j) {
            RowSpan &span = spans[j + roi.size[1] * k];
            for (std::size_t i = 1; i + 1 < roi.size[0]; ++i) {
                const std::size_t voxel = roi.index(i, j, k);
                const bool inside
                    = useMorphological ? roi.morphologicalMask[voxel] != 0 : roi.greyLevel[voxel] > 0;
                if (!inside)
                    continue;
                distance[voxel] = unreached;
                if (span.from == span.to)
                    span.from = i;
                span.to = i + 1;
            }
        }

    // Two-pass city-block distance transform (Rosenfeld and Pfaltz): exact for the 4- and
    // 6-connected step metric. The margin is background, so every ROI voxel reaches an edge.
    const std::ptrdiff_t stepI = 1;
    const auto stepJ = static_cast<std::ptrdiff_t>(roi.size[0]);
    const auto stepK = static_cast<std::ptrdiff_t>(roi.size[0] * roi.size[1]);
    int *map = distance.data();
    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k)
        for (std::size_t j = 1; j + 1 < roi.size[1]; ++j)
            for (std::size_t i = spans[j + roi.size[1] * k].from; i < spans[j + roi.size[1] * k].to; ++i) {
                const auto voxel = static_cast<std::ptrdiff_t>(roi.index(i, j, k));
                if (map[voxel] == 0)
                    continue;
                int best = std::min(map[voxel - stepI], map[voxel - stepJ]);
                if (threeDimensional)
                    best = std::min(best, map[voxel - stepK]);
                map[voxel] = std::min(map[voxel], best + 1);
            }
    for (std::size_t k = roi.size[2] - 2; k >= 1; --k)
        for (std::size_t j = roi.size[1] - 2; j >= 1; --j)
            for (std::size_t i = spans[j + roi.size[1] * k].to; i-- > spans[j + roi.size[1] * k].from;) {
                const auto voxel = static_cast<std::ptrdiff_t>(roi.index(i, j, k));
                if (map[voxel] == 0)
                    continue;
                int best = std::min(map[voxel + stepI], map[voxel + stepJ]);
                if (threeDimensional)
                    best = std::min(best, map[voxel + stepK]);
                map[voxel] = std::min(map[voxel], best + 1);
            }
    return distance;
}

} // namespace mosaic::texture
