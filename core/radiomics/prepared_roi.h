// SPDX-License-Identifier: Apache-2.0
// The region of interest after IBSI 1 preprocessing (interpolation, re-segmentation,
// discretisation): what every feature family reads. Produced by core/radiomics/preprocessing.
// Cropped to the ROI's bounding box with a margin of at least one voxel of background on every side,
// so neighbourhood code can look one step out without bounds checks. The margin is wider where the
// local-intensity sphere (IBSI 1, 3.2: radius 6.2 mm) needs image voxels around the ROI; `insideImage`
// tells which crop voxels lie on the image (near an image edge the crop can reach beyond it).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mosaic {

struct RadiomicsFeature
{
    std::string tag; // as in the IBSI reference tables: "stat_mean", "cm_joint_max_3D_avg", ...
    double value = 0.0;
};

using RadiomicsFeatures = std::vector<RadiomicsFeature>;

struct PreparedRoi
{
    std::array<std::size_t, 3> size{0, 0, 0}; // i (columns), j (rows), k (slices); 2D means within one k
    std::array<double, 3> spacingMm{1.0, 1.0, 1.0};
    std::array<double, 3> originMm{0.0, 0.0, 0.0}; // patient position of voxel (0, 0, 0) of this crop
    std::array<std::array<double, 3>, 3> direction{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};

    std::vector<float> intensity;                // after interpolation; defined everywhere in the crop
    std::vector<std::uint8_t> insideImage;       // 1 where the crop voxel lies on the (interpolated) image
    std::vector<std::uint8_t> morphologicalMask; // the ROI before re-segmentation (IBSI 1, 2.1)
    std::vector<std::uint8_t> intensityMask;     // the ROI after re-segmentation
    std::vector<int> greyLevel;                  // 1..greyLevelCount inside intensityMask, 0 elsewhere
    int greyLevelCount = 0;                      // Ng: the number of discretised grey levels

    [[nodiscard]] std::size_t index(std::size_t i, std::size_t j, std::size_t k) const
    {
        return i + size[0] * (j + size[1] * k);
    }
    [[nodiscard]] std::size_t voxelCount() const { return size[0] * size[1] * size[2]; }
};

} // namespace mosaic

#include <optional>
#include <string_view>

namespace mosaic {

// The value of the feature with this IBSI tag, if it was computed.
[[nodiscard]] std::optional<double> findFeature(const RadiomicsFeatures &features, std::string_view tag);

} // namespace mosaic
