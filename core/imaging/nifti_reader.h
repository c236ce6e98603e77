// SPDX-License-Identifier: Apache-2.0
// NIfTI-1 and NIfTI-2 images (.nii, .nii.gz, .hdr/.img) read through libnifti2 into Mosaic's Volume and
// Mask. The header is read and checked against ImageLimits before any voxel is allocated; positions are
// converted from NIfTI's RAS+ world to DICOM's LPS patient coordinates.
#pragma once

#include "core/error.h"
#include "core/imaging/volume.h"

#include <array>
#include <filesystem>
#include <string>

namespace mosaic {

// What the header says, for `mosaic-cli inspect`; read without loading voxels. The description field
// (descrip) is left out on purpose: exporters sometimes put patient names there.
struct NiftiHeaderInfo
{
    int version = 1; // 1 or 2
    std::array<std::size_t, 4> dims { 0, 0, 0, 0 }; // nx, ny, nz, nt
    std::string datatype; // libnifti's name, e.g. "INT16"
    std::string geometrySource; // "sform", "qform" or "pixdim"
    double slope = 0.0;
    double intercept = 0.0;
    ImageGeometry geometry; // LPS
};

[[nodiscard]] Result<NiftiHeaderInfo> readNiftiHeader(
    const std::filesystem::path &path, const ImageLimits &limits = {});

// Intensities as stored times scl_slope plus scl_inter (NIfTI-1 header, when the slope is non-zero
// and finite). The unit is left empty: NIfTI does not say what its numbers measure.
[[nodiscard]] Result<Volume> readNifti(const std::filesystem::path &path, const ImageLimits &limits = {});

// A label image as a region: every stored value other than zero (and NaN) is inside. The ROI is named
// after the file (without .nii/.nii.gz).
[[nodiscard]] Result<Mask> readNiftiMask(const std::filesystem::path &path, const ImageLimits &limits = {});

} // namespace mosaic
