// SPDX-License-Identifier: Apache-2.0
// IBSI 1, 3.4 intensity histogram features (ih_*), on the discretised grey levels of the ROI.
#pragma once

#include "core/radiomics/prepared_roi.h"

namespace mosaic {

void addIntensityHistogramFeatures(const PreparedRoi &roi, RadiomicsFeatures &features);

} // namespace mosaic
