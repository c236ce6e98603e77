// SPDX-License-Identifier: Apache-2.0
// Grey level size zone matrix features, IBSI 1 section 3.8: zones connected through 8 neighbours in
// a slice or 26 in 3D (szm_*_2D averaged over slices, _2_5D from the slices' merged matrix, _3D).
#pragma once

#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

// Computes only the aggregations `aggregation` asks for.
void addGlszmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features);

} // namespace mosaic
