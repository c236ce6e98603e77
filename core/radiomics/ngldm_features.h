// SPDX-License-Identifier: Apache-2.0
// Neighbouring grey level dependence matrix features, IBSI 1 section 3.11: coarseness parameter
// alpha = 0, Chebyshev distance 1, only neighbours inside the ROI; the dependence count includes
// the centre voxel, so it starts at 1 (ngl_*_2D averaged over slices, _2_5D from the slices' merged
// matrix, _3D).
#pragma once

#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

// Computes only the aggregations `aggregation` asks for.
void addNgldmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features);

} // namespace mosaic
