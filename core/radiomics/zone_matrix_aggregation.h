// SPDX-License-Identifier: Apache-2.0
// The 2D, 2.5D and 3D aggregation shared by the zone families (GLSZM, GLDZM): zones are counted
// into grey level by column matrices, one per slice (features averaged over slices), the slices'
// merge, and the 3D matrix. Internal to core/radiomics.
#pragma once

#include "core/radiomics/grey_level_zones.h"
#include "core/radiomics/radiomics_settings.h"
#include "core/radiomics/texture_matrix.h"

#include <span>
#include <string_view>

namespace mosaic::texture {

enum class ZoneColumn {
    Size, // GLSZM: the zone's voxel count
    EdgeDistance, // GLDZM: the zone's smallest distance to the ROI edge
};

struct ZoneFamily
{
    std::string_view prefix; // "szm_"
    std::span<const std::string_view> names;
    ZoneColumn column;
};

// The two families, defined beside their feature names in glszm_features.cpp and gldzm_features.cpp.
extern const ZoneFamily kSizeZoneFamily;
extern const ZoneFamily kDistanceZoneFamily;

// Labels the zones of each aggregation that `aggregation` asks for once, counts every zone into each
// family's matrices, then appends the features family by family (all of the first family's, then
// the second's), so the result equals calling this once per family.
void appendZoneFamilies(RadiomicsFeatures &features, std::span<const ZoneFamily> families,
    const PreparedRoi &roi, const AggregationSettings &aggregation);

} // namespace mosaic::texture
