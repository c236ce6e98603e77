// SPDX-License-Identifier: Apache-2.0
// IBSI 1, 3.1 morphological features (morph_*). The surface mesh comes from marching cubes on the
// morphological mask at iso-level 0.5; intensities come from the intensity mask. OMBB and MVEE
// densities are not computed: IBSI 1 did not standardise them.
#pragma once

#include "core/radiomics/prepared_roi.h"

#include <cstddef>

namespace mosaic {

// Above this many ROI voxels, Moran's I and Geary's C are estimated from seeded random voxel pairs
// instead of all n^2 pairs (2 million voxels would mean 2e12 pairs).
inline constexpr std::size_t kExactSpatialAutocorrelationVoxels = 2000;

void addMorphologyFeatures(const PreparedRoi &roi, RadiomicsFeatures &features);

} // namespace mosaic
