// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/gldzm_features.h"

#include "core/radiomics/zone_matrix_aggregation.h"

namespace mosaic {
namespace {

constexpr std::array<std::string_view, 16> kNames { "sde", "lde", "lgze", "hgze", "sdlge", "sdhge", "ldlge",
    "ldhge", "glnu", "glnu_norm", "zdnu", "zdnu_norm", "z_perc", "gl_var", "zd_var", "zd_entr" };

} // namespace

const texture::ZoneFamily texture::kDistanceZoneFamily { "dzm_", kNames, texture::ZoneColumn::EdgeDistance };

void addGldzmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    texture::appendZoneFamilies(features, std::span(&texture::kDistanceZoneFamily, 1), roi, aggregation);
}

void addGlszmAndGldzmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    const std::array families { texture::kSizeZoneFamily, texture::kDistanceZoneFamily };
    texture::appendZoneFamilies(features, families, roi, aggregation);
}

} // namespace mosaic
