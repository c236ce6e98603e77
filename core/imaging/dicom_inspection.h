// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli inspect` for imaging inputs: says what a path is (a DICOM file, a series folder, a
// DICOMDIR, a NIfTI image, an RTSTRUCT or a SEG) and lists its key facts. Reports never carry patient
// identifiers: no names, IDs, birth dates or study dates, only UIDs, sizes, codes and geometry.
#pragma once

#include "core/error.h"
#include "core/imaging/volume.h"
#include "core/inspection_report.h"

#include <filesystem>

namespace mosaic {

// Kinds: "dicom-file", "dicom-series", "dicomdir", "nifti", "rtstruct" or "seg".

// Refused inputs (unreadable, not an imaging format, a folder with several series) come back as an
// Error whose message starts with the file or folder name.
[[nodiscard]] Result<InspectionReport> inspectPath(
    const std::filesystem::path &path, const ImageLimits &limits = {});

} // namespace mosaic
