// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/glszm_features.h"

#include "core/radiomics/zone_matrix_aggregation.h"

namespace mosaic {
namespace {

constexpr std::array<std::string_view, 16> kNames { "sze", "lze", "lgze", "hgze", "szlge", "szhge", "lzlge",
    "lzhge", "glnu", "glnu_norm", "zsnu", "zsnu_norm", "z_perc", "gl_var", "zs_var", "zs_entr" };

} // namespace

const texture::ZoneFamily texture::kSizeZoneFamily { "szm_", kNames, texture::ZoneColumn::Size };

void addGlszmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    texture::appendZoneFamilies(features, std::span(&texture::kSizeZoneFamily, 1), roi, aggregation);
}

} // namespace mosaic
