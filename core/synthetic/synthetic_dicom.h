// SPDX-License-Identifier: Apache-2.0
// The synthetic patient's CT series and RT structure set, written with DCMTK (dcmdata): one
// uncompressed CT Image Storage file per slice on the grid of synthetic_patient.h, a spherical lesion
// of the patient's radius and mean density in noise, and an RTSTRUCT whose ROI "GTV" holds the
// lesion's contour on every slice it crosses, on the series' frame of reference and naming each
// slice's SOP instance. Every file says SYNTHETIC (PatientName, SeriesDescription, ImageComments).
#pragma once

#include "core/error.h"
#include "core/synthetic/synthetic_patient.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mosaic::synthetic {

struct SyntheticDicomUids
{
    std::string study;
    std::string series;
    std::string frameOfReference;
    std::string structureSetSeries;
    std::string structureSetInstance;
    std::vector<std::string> slices; // SOP Instance UID of slice k
};

// From the patient's DicomIdentifiers stream: the same seed and patient give the same UIDs.
[[nodiscard]] SyntheticDicomUids drawDicomUids(std::uint64_t seed, std::size_t number);

// Writes `folder`/CT_000.dcm ... CT_011.dcm (the folder must exist).
[[nodiscard]] Result<void> writeSyntheticCtSeries(const SyntheticPatient &patient,
    const SyntheticDicomUids &uids, std::uint64_t seed, const std::filesystem::path &folder);

// Writes the RT structure set file.
[[nodiscard]] Result<void> writeSyntheticRtStruct(
    const SyntheticPatient &patient, const SyntheticDicomUids &uids, const std::filesystem::path &file);

// The contour polygon of slice k in patient coordinates (x0, y0, z, x1, y1, z, ...), empty when the
// lesion does not reach the slice; as written to ContourData (4 decimals).
[[nodiscard]] std::vector<double> lesionContour(const SyntheticPatient &patient, std::size_t slice);

} // namespace mosaic::synthetic
