// SPDX-License-Identifier: Apache-2.0
// Loading an image and one region of interest on it, whatever their formats: the image a DICOM
// series (folder, file or DICOMDIR) or NIfTI; the mask an RTSTRUCT (rasterised on the image grid),
// a DICOM SEG, or a NIfTI mask on the same grid. One call for `mosaic-cli radiomics`, the case
// studies and the GUI.
#pragma once

#include "core/error.h"
#include "core/imaging/volume.h"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

struct RoiImage
{
    Volume image;
    Mask mask;
    std::string modality;          // "CT", "MR", "PT" for DICOM; "" for NIfTI
    std::string seriesInstanceUid; // empty for NIfTI
    std::vector<std::string> warnings;
};

// `roiName` picks the ROI of an RTSTRUCT or the segment (by label) of a SEG; it may be empty for a
// NIfTI mask or a structure set or SEG with exactly one ROI. Fails when the mask does not belong to
// the image (another frame of reference, another grid).
[[nodiscard]] Result<RoiImage> loadRoiImage(const std::filesystem::path &image, const std::filesystem::path &mask,
    std::string_view roiName, const ImageLimits &limits = {});

// True for ".nii" and ".nii.gz" names.
[[nodiscard]] bool isNiftiPath(const std::filesystem::path &path);

} // namespace mosaic
