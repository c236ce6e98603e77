// SPDX-License-Identifier: Apache-2.0
// Grey level co-occurrence matrix features, IBSI 1 section 3.6: distance 1 (Chebyshev), symmetric
// matrices, 4 directions in a slice and 13 in 3D, every aggregation of the reference tables
// (cm_*_2D_avg, _2D_comb, _2_5D_avg, _2_5D_comb, _3D_avg, _3D_comb).
#pragma once

#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

// Computes only the aggregations `aggregation` asks for.
void addGlcmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features);

} // namespace mosaic
