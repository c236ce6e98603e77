// SPDX-License-Identifier: Apache-2.0
// IBSI 1, 3.2 local intensity features: the mean intensity in a sphere of 1 cm^3 (radius 6.2 mm)
// centred on a voxel of the ROI, over all image voxels whose centres lie in the sphere, inside the
// ROI or not. loc_peak_loc centres it on the ROI's most intense voxel(s), loc_peak_glob takes the
// highest mean over every voxel of the ROI.
#pragma once

#include "core/radiomics/prepared_roi.h"

namespace mosaic {

void addLocalIntensityFeatures(const PreparedRoi &roi, RadiomicsFeatures &features);

} // namespace mosaic
