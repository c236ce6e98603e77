// SPDX-License-Identifier: Apache-2.0
// What `mosaic-cli inspect` says about one input, whatever its modality: what kind of file it is, its
// key facts in the order they should be shown, and warnings. Each modality's folder fills it in
// (core/imaging/dicom_inspection.h, core/genomics/genomic_inspection.h). Reports never carry patient
// identifiers: no names, IDs, sample names, birth dates or study dates.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace mosaic {

struct InspectionReport
{
    // A short machine-readable kind, e.g. "dicom-series", "nifti", "vcf", "pgs-scoring-file".
    std::string kind;
    std::vector<std::pair<std::string, std::string>> facts; // ordered as they should be shown
    std::vector<std::string> warnings;
};

} // namespace mosaic
