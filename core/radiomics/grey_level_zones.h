// SPDX-License-Identifier: Apache-2.0
// Zones of IBSI 1 sections 3.8 and 3.9: connected voxels of one grey level, connected through
// 8-neighbourhoods within a slice (2D) or 26-neighbourhoods (3D); and the distance of each voxel to
// the ROI edge used by the distance zone matrix. Internal to core/radiomics.
#pragma once

#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/texture_matrix.h"

#include <climits>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace mosaic::texture {

struct GreyLevelZone
{
    int greyLevel = 0;
    std::size_t voxelCount = 0;
    int distanceToEdge = 0; // smallest edge distance of its voxels; 0 when no distance map was given
    std::size_t slice = 0; // the slice k of a 2D zone; the slice of its first voxel for a 3D zone
};

// Calls `visit(const GreyLevelZone &)` for every zone, in slice order (2D zones of slice k come
// before those of slice k + 1). `edgeDistance`, when not null, holds one distance per voxel of the
// crop. Zones are handed over rather than stored: a noisy 2 M-voxel ROI has over a million.
template <typename Visitor>
void forEachGreyLevelZone(
    const PreparedRoi &roi, bool threeDimensional, const std::vector<int> *edgeDistance, Visitor &&visit)
{
    if (!hasInterior(roi))
        return;
    const std::vector<std::ptrdiff_t> offsets = neighbourOffsets(roi, threeDimensional);
    const int *grey = roi.greyLevel.data();
    const int *distance = edgeDistance != nullptr ? edgeDistance->data() : nullptr;
    std::vector<std::uint8_t> visited(roi.voxelCount(), 0);
    std::vector<std::ptrdiff_t> pending;
    const std::vector<RowSpan> spans = roiRowSpans(roi);

    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k)
        for (std::size_t j = 1; j + 1 < roi.size[1]; ++j)
            for (std::size_t i = spans[j + roi.size[1] * k].from; i < spans[j + roi.size[1] * k].to; ++i) {
                const auto seed = static_cast<std::ptrdiff_t>(roi.index(i, j, k));
                const int level = grey[seed];
                if (level == 0 || visited[static_cast<std::size_t>(seed)] != 0)
                    continue;
                GreyLevelZone zone { level, 0, distance != nullptr ? INT_MAX : 0, k };
                visited[static_cast<std::size_t>(seed)] = 1;
                // Every voxel before the seed in scan order is visited already or has another grey
                // level, so the seed looks only at its neighbours after it: the second half of the
                // offsets, which neighbourOffsets lists in increasing order. Most zones of a noisy ROI
                // are single voxels, whose check this halves. The fill continues exactly as before.
                ++zone.voxelCount;
                if (distance != nullptr)
                    zone.distanceToEdge = std::min(zone.distanceToEdge, distance[seed]);
                for (std::size_t o = offsets.size() / 2; o < offsets.size(); ++o) {
                    const std::ptrdiff_t neighbour = seed + offsets[o];
                    if (grey[neighbour] == level && visited[static_cast<std::size_t>(neighbour)] == 0) {
                        visited[static_cast<std::size_t>(neighbour)] = 1;
                        pending.push_back(neighbour);
                    }
                }
                // Depth-first flood fill with an explicit stack; the background margin stops it at the
                // crop's border without bounds checks.
                while (!pending.empty()) {
                    const std::ptrdiff_t voxel = pending.back();
                    pending.pop_back();
                    ++zone.voxelCount;
                    if (distance != nullptr)
                        zone.distanceToEdge = std::min(zone.distanceToEdge, distance[voxel]);
                    for (const std::ptrdiff_t offset : offsets) {
                        const std::ptrdiff_t neighbour = voxel + offset;
                        if (grey[neighbour] == level && visited[static_cast<std::size_t>(neighbour)] == 0) {
                            visited[static_cast<std::size_t>(neighbour)] = 1;
                            pending.push_back(neighbour);
                        }
                    }
                }
                visit(zone);
            }
}

// IBSI 1, 3.9: the distance of a ROI voxel to the ROI edge is the smallest number of steps through
// 4-connected (2D, within the slice) or 6-connected (3D) neighbours that reaches a voxel outside the
// ROI, so voxels on the edge have distance 1. The ROI here is the morphological mask, as in the
// IBSI reference implementations (holes that re-segmentation punches into the intensity mask are
// not edges); when the morphological mask is missing the intensity mask is used. Background voxels
// get 0.
[[nodiscard]] std::vector<int> edgeDistanceMap(const PreparedRoi &roi, bool threeDimensional);

} // namespace mosaic::texture
