// SPDX-License-Identifier: Apache-2.0
// Mosaic's own image types. Everything that reads images (DICOM through DCMTK, NIfTI through
// libnifti) produces these; nothing outside core/imaging sees a DCMTK or libnifti type.
// All lengths are in millimetres, all positions in DICOM patient coordinates (LPS: x to the
// patient's left, y to posterior, z to head). NIfTI's RAS is converted on reading.
#pragma once

#include "core/error.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mosaic {

// Voxel (i, j, k): i runs along a row (columns), j down the columns (rows), k across slices.
struct ImageGeometry
{
    std::array<std::size_t, 3> size{0, 0, 0};
    std::array<double, 3> spacingMm{1.0, 1.0, 1.0};
    std::array<double, 3> originMm{0.0, 0.0, 0.0}; // centre of voxel (0, 0, 0)
    // Unit direction of the i, j and k axes in patient coordinates: direction[axis][xyz].
    std::array<std::array<double, 3>, 3> direction{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}};
    std::string frameOfReferenceUid; // empty when the source has none (NIfTI)

    [[nodiscard]] std::size_t voxelCount() const { return size[0] * size[1] * size[2]; }
    [[nodiscard]] std::size_t linearIndex(std::size_t i, std::size_t j, std::size_t k) const
    {
        return i + size[0] * (j + size[1] * k);
    }
    // Patient position of the centre of voxel (i, j, k), continuous indices allowed.
    [[nodiscard]] std::array<double, 3> toPatient(double i, double j, double k) const;
    // Continuous voxel index of a patient position (the inverse of toPatient).
    [[nodiscard]] std::array<double, 3> toIndex(const std::array<double, 3> &patientMm) const;
    // Same size, and spacing, origin and direction equal within `toleranceMm` (and 1e-4 for directions).
    [[nodiscard]] bool sameGrid(const ImageGeometry &other, double toleranceMm = 1e-3) const;
};

// Intensities in the units of `unit`: "HU" for CT, "SUVbw" for PET in standardised uptake values,
// "" when the modality has no physical unit (MR).
struct Volume
{
    ImageGeometry geometry;
    std::vector<float> voxels; // geometry.voxelCount() values, i fastest
    std::string unit;

    [[nodiscard]] float at(std::size_t i, std::size_t j, std::size_t k) const
    {
        return voxels[geometry.linearIndex(i, j, k)];
    }
};

// A region of interest on an image grid: 1 inside, 0 outside.
struct Mask
{
    ImageGeometry geometry;
    std::vector<std::uint8_t> voxels;
    std::string roiName;

    [[nodiscard]] std::size_t count() const;
};

// Limits for reading untrusted images: checked before anything is allocated from a header.
struct ImageLimits
{
    std::size_t maxVoxels = std::size_t{1} << 31;     // 2 G voxels: 8 GiB as float
    std::size_t maxFileBytes = std::size_t{4} << 30;  // a single file
    std::size_t maxFiles = 20'000;                    // a series
};

} // namespace mosaic
