// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/gldzm_features.h"

#include "core/radiomics/zone_matrix_aggregation.h"

namespace mosaic {
namespace {

constexpr std::array<std::string_view, 16> kNames { "sde", "lde", "lgze", "hgze", "sdlge", "sdhge", "ldlge",
    "ldhge", "glnu", "glnu_norm", "zdnu", "zdnu_norm", "z_perc", "gl_var", "zd_var", "zd_entr" };

} // namespace

void addGldzmFeatures(const PreparedRoi &roi, RadiomicsFeatures &features)
{
    texture::appendZoneFamily(features, "dzm_", kNames, roi, texture::ZoneColumn::EdgeDistance);
}

} // namespace mosaic
