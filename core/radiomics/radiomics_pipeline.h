// SPDX-License-Identifier: Apache-2.0
// The radiomics use case: one image, one ROI, one settings file in; every IBSI 1 feature out.
#pragma once

#include "core/error.h"
#include "core/imaging/volume.h"
#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

namespace mosaic {

// Prepares the ROI (core/radiomics/preprocessing.h) and computes morphology, local intensity,
// intensity statistics, intensity histogram, intensity-volume histogram and texture features.
[[nodiscard]] Result<RadiomicsFeatures> computeRadiomics(
    const Volume &image, const Mask &mask, const RadiomicsSettings &settings);

// The feature families on an already prepared ROI, on the calling thread and one helper thread (the
// families only read the ROI); the features come in the same order as computed one after the other.
[[nodiscard]] RadiomicsFeatures computeFeatures(const PreparedRoi &roi, const RadiomicsSettings &settings);

} // namespace mosaic
