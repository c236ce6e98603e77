// SPDX-License-Identifier: Apache-2.0
// The 2D, 2.5D and 3D aggregation shared by the zone families (GLSZM, GLDZM): zones are counted
// into grey level by column matrices, one per slice (features averaged over slices), the slices'
// merge, and the 3D matrix. Internal to core/radiomics.
#pragma once

#include "core/radiomics/grey_level_zones.h"
#include "core/radiomics/texture_matrix.h"

#include <string_view>

namespace mosaic::texture {

enum class ZoneColumn {
    Size, // GLSZM: the zone's voxel count
    EdgeDistance, // GLDZM: the zone's smallest distance to the ROI edge
};

void appendZoneFamily(RadiomicsFeatures &features, std::string_view prefix,
    std::span<const std::string_view> names, const PreparedRoi &roi, ZoneColumn column);

} // namespace mosaic::texture
