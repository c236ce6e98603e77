// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/radiomics_pipeline.h"

#include "core/radiomics/intensity_histogram_features.h"
#include "core/radiomics/intensity_volume_histogram_features.h"
#include "core/radiomics/local_intensity_features.h"
#include "core/radiomics/morphology_features.h"
#include "core/radiomics/preprocessing.h"
#include "core/radiomics/statistics_features.h"
#include "core/radiomics/texture_features.h"

namespace mosaic {

RadiomicsFeatures computeFeatures(const PreparedRoi &roi, const RadiomicsSettings &settings)
{
    RadiomicsFeatures features;
    features.reserve(512);
    addMorphologyFeatures(roi, features);
    addLocalIntensityFeatures(roi, features);
    addStatisticsFeatures(roi, features);
    addIntensityHistogramFeatures(roi, features);
    addIntensityVolumeHistogramFeatures(roi, settings.ivhDiscretisation, settings.resegmentation, features);
    addTextureFeatures(roi, settings.aggregation, features);
    return features;
}

Result<RadiomicsFeatures> computeRadiomics(
    const Volume &image, const Mask &mask, const RadiomicsSettings &settings)
{
    auto roi = prepareRoi(image, mask, settings);
    if (!roi)
        return std::unexpected(roi.error());
    return computeFeatures(*roi, settings);
}

} // namespace mosaic
