// SPDX-License-Identifier: Apache-2.0
// Grey level distance zone matrix features, IBSI 1 section 3.9: the zones of the size zone matrix,
// counted by their smallest distance to the ROI edge (dzm_*_2D averaged over slices, _2_5D from the
// slices' merged matrix, _3D).
#pragma once

#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

// Computes only the aggregations `aggregation` asks for.
void addGldzmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features);

// GLSZM and GLDZM together: both count the same zones, so the zones of each aggregation are labelled
// once for the two families. The features equal those of addGlszmFeatures then addGldzmFeatures.
void addGlszmAndGldzmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features);

} // namespace mosaic
