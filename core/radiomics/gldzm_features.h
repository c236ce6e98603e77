// SPDX-License-Identifier: Apache-2.0
// Grey level distance zone matrix features, IBSI 1 section 3.9: the zones of the size zone matrix,
// counted by their smallest distance to the ROI edge (dzm_*_2D averaged over slices, _2_5D from the
// slices' merged matrix, _3D).
#pragma once

#include "core/radiomics/prepared_roi.h"

namespace mosaic {

void addGldzmFeatures(const PreparedRoi &roi, RadiomicsFeatures &features);

} // namespace mosaic
