// SPDX-License-Identifier: Apache-2.0
// IBSI 1 chapter 2 image processing: interpolation to a new grid (2.4), re-segmentation (2.5) and
// discretisation (2.7), producing the cropped PreparedRoi that every feature family reads.
#pragma once

#include "core/error.h"
#include "core/imaging/volume.h"
#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/radiomics_settings.h"

#include <vector>

namespace mosaic {

// The radius of the local-intensity sphere of 1 cm^3 (IBSI 1, 3.2): (3 / (4 pi))^(1/3) cm.
inline constexpr double kLocalIntensityRadiusMm = 6.2035049089940;

// The grid an image is interpolated to (IBSI 1, 2.4, "align grid centres"): n_b = ceil(n_a s_a / s_b)
// voxels of the new spacing, centred on the centre of the original grid, same orientation. With
// `inPlaneOnly` the slice axis (k) is kept as it is.
[[nodiscard]] ImageGeometry alignedGrid(
    const ImageGeometry &original, const std::array<double, 3> &spacingMm, bool inPlaneOnly);

// Intensities of `image` sampled at the voxel centres of the box [first, first + size) of `target`
// (a grid with the same orientation, e.g. from alignedGrid). Samples beyond the image take the
// value of the nearest edge voxel.
[[nodiscard]] std::vector<float> interpolateImage(const Volume &image, const ImageGeometry &target,
    const std::array<std::ptrdiff_t, 3> &first, const std::array<std::size_t, 3> &size,
    ImageInterpolation interpolation);

// Prepares the ROI `mask` of `image` for feature computation. Errors: the mask is on another grid,
// the ROI is empty (before or after re-segmentation), discretisation "none" on intensities that are
// not integers >= 1.
[[nodiscard]] Result<PreparedRoi> prepareRoi(
    const Volume &image, const Mask &mask, const RadiomicsSettings &settings);

} // namespace mosaic
