// SPDX-License-Identifier: Apache-2.0
// Neighbourhood grey tone difference matrix features, IBSI 1 section 3.10: Chebyshev distance 1
// (8 neighbours in a slice, 26 in 3D), only neighbours inside the ROI (ngt_*_2D averaged over
// slices, _2_5D from the slices' merged matrix, _3D).
#pragma once

#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

// Computes only the aggregations `aggregation` asks for.
void addNgtdmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features);

} // namespace mosaic
