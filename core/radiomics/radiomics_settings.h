// SPDX-License-Identifier: Apache-2.0
// How an ROI is prepared before features are computed: the image-processing choices of IBSI 1
// chapter 2 (interpolation 2.4, re-segmentation 2.5, discretisation 2.7) and which texture
// aggregations to compute. Settings files are JSON; resources/radiomics/ibsi_config_*.json hold the
// IBSI 1 configurations A to E. All lengths in millimetres, intensities in the image's unit.
#pragma once

#include "core/error.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace mosaic {

enum class ImageInterpolation {
    Nearest,
    Linear, // trilinear, or bilinear when resampling in plane only
    Cubic, // tricubic (Catmull-Rom convolution kernel)
};

enum class DiscretisationMethod {
    None, // intensities used as grey levels as they are; they must be integers >= 1
    FixedBinNumber, // IBSI 1, 2.7.1: Ng bins between the ROI minimum and maximum
    FixedBinSize, // IBSI 1, 2.7.2: bins of a fixed width from a lower bound
};

struct DiscretisationSettings
{
    DiscretisationMethod method = DiscretisationMethod::FixedBinNumber;
    int binCount = 32; // FixedBinNumber
    double binWidth = 25.0; // FixedBinSize, in intensity units
    // FixedBinSize: the intensity where bin 1 starts. Unset: the re-segmentation minimum, or the
    // ROI minimum when there is no re-segmentation range.
    std::optional<double> lowerBound;

    friend bool operator==(const DiscretisationSettings &, const DiscretisationSettings &) = default;
};

struct ResamplingSettings
{
    // Unset: no interpolation, features on the image grid as it is.
    std::optional<std::array<double, 3>> spacingMm;
    // Resample within each slice only (IBSI configuration B); the slice spacing is kept.
    bool inPlaneOnly = false;
    ImageInterpolation imageInterpolation = ImageInterpolation::Linear;
    // The mask is interpolated linearly and a voxel belongs to the ROI when the interpolated value
    // is at least this partial-volume threshold (IBSI 1, 2.4: 0.5).
    double maskPartialVolumeThreshold = 0.5;
    // Round interpolated intensities to integers (IBSI 1, 2.4: CT in HU).
    bool roundIntensities = false;

    friend bool operator==(const ResamplingSettings &, const ResamplingSettings &) = default;
};

struct ResegmentationSettings
{
    std::optional<double> minimum; // keep voxels with intensity >= minimum
    std::optional<double> maximum; // keep voxels with intensity <= maximum
    // IBSI 1, 2.5: remove voxels outside mean +- outlierSigmas standard deviations of the ROI.
    bool removeOutliers = false;
    double outlierSigmas = 3.0;

    friend bool operator==(const ResegmentationSettings &, const ResegmentationSettings &) = default;
};

// Which texture aggregations to compute (IBSI 1, 3.6.1: 2D slice-wise, 2.5D, 3D volume).
struct AggregationSettings
{
    bool slice2D = true;
    bool slice25D = true;
    bool volume3D = true;

    friend bool operator==(const AggregationSettings &, const AggregationSettings &) = default;
};

struct RadiomicsSettings
{
    ResamplingSettings resampling;
    ResegmentationSettings resegmentation;
    DiscretisationSettings discretisation;
    // The intensity-volume histogram has its own discretisation (IBSI 1, 4.1); None uses the
    // intensities as they are, which suits integer CT and the digital phantom.
    DiscretisationSettings ivhDiscretisation { DiscretisationMethod::None, 1000, 2.5, std::nullopt };
    AggregationSettings aggregation;

    // Parses a settings file. `sourceName` names the file in errors; every error names the key.
    [[nodiscard]] static Result<RadiomicsSettings> fromJson(
        std::string_view text, std::string_view sourceName);
    // The settings as JSON that fromJson reads back to equal settings.
    [[nodiscard]] std::string toJson() const;

    // Errors for values no computation can use (negative spacing, zero bins, min > max, ...).
    [[nodiscard]] Result<void> validate(std::string_view sourceName = {}) const;

    friend bool operator==(const RadiomicsSettings &, const RadiomicsSettings &) = default;
};

} // namespace mosaic
