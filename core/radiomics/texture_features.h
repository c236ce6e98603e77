// SPDX-License-Identifier: Apache-2.0
// All texture matrix families of IBSI 1 (sections 3.6 to 3.11) in the aggregations of the reference
// tables that the settings ask for; the pipeline calls this once per prepared ROI. An aggregation
// that is not asked for is not computed at all (not computed and then dropped).
//
// Conventions the manual leaves open, chosen once for all families:
// - Ng is PreparedRoi::greyLevelCount (used by GLCM's normalised inverse differences), not the
//   number of grey levels present.
// - 2D averages run over the slices (and, for GLCM and GLRLM, directions) that have a matrix; a
//   slice without ROI voxels, or a direction without a single pair, is left out of the mean.
// - Merged matrices take N_v as the sum over the merged matrices (run and zone percentages).
// - A ROI of one grey level: GLCM correlation 1, information correlation 1 and 2 equal 0; NGTDM
//   coarseness 10^6 and contrast, busyness and strength 0. No feature is NaN.
#pragma once

#include "core/radiomics/glcm_features.h"
#include "core/radiomics/gldzm_features.h"
#include "core/radiomics/glrlm_features.h"
#include "core/radiomics/glszm_features.h"
#include "core/radiomics/ngldm_features.h"
#include "core/radiomics/ngtdm_features.h"
#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

inline void addTextureFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    addGlcmFeatures(roi, aggregation, features);
    addGlrlmFeatures(roi, aggregation, features);
    addGlszmAndGldzmFeatures(roi, aggregation, features);
    addNgtdmFeatures(roi, aggregation, features);
    addNgldmFeatures(roi, aggregation, features);
}

// Every aggregation (2D, 2.5D and 3D), as the IBSI reference tables list them.
inline void addTextureFeatures(const PreparedRoi &roi, RadiomicsFeatures &features)
{
    addTextureFeatures(roi, AggregationSettings {}, features);
}

} // namespace mosaic
