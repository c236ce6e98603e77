// SPDX-License-Identifier: Apache-2.0
// IBSI 1, 3.5 intensity-volume histogram features (ivh_*). The IVH has its own discretisation
// (RadiomicsSettings::ivhDiscretisation). ivh_auc is not computed: IBSI 1 did not standardise it.
#pragma once

#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

// `resegmentation` supplies the intensity range of the fraction gamma when it is set.
void addIntensityVolumeHistogramFeatures(const PreparedRoi &roi,
    const DiscretisationSettings &ivhDiscretisation, const ResegmentationSettings &resegmentation,
    RadiomicsFeatures &features);

// With the intensities as they are (no IVH discretisation, no re-segmentation range): the digital phantom.
void addIntensityVolumeHistogramFeatures(const PreparedRoi &roi, RadiomicsFeatures &features);

} // namespace mosaic
