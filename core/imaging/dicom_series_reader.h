// SPDX-License-Identifier: Apache-2.0
// A DICOM image series (CT, MR, PET; single-frame slices or enhanced multi-frame) read through DCMTK
// into one Volume in LPS patient coordinates. Every file is untrusted: each is size-checked and loaded
// from disk with a bound on the elements read eagerly, and the geometry of the slices is verified
// (one orientation, even spacing, no gaps or duplicates) rather than assumed from file names.
#pragma once

#include "core/error.h"
#include "core/imaging/volume.h"

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace mosaic {

struct DicomSeries
{
    Volume volume; // unit "HU" (CT), "SUVbw" or "BQML" (PET), "Gy" (RT dose), "" (MR and others)
    std::string modality; // (0008,0060), e.g. "CT", "MR", "PT"
    std::string seriesInstanceUid;
    std::string studyInstanceUid;
    std::string frameOfReferenceUid;
    // One entry per slice k, ordered like k: the SOP instance holding that slice and the patient
    // position of its first voxel. A multi-frame instance repeats its UID for each of its frames.
    std::vector<std::string> sopInstanceUids;
    std::vector<std::array<double, 3>> slicePositionsMm;
    // Things a reader should know but that do not stop loading, e.g. PET left in Bq/ml because the
    // dose or weight is missing.
    std::vector<std::string> warnings;
};

struct DicomSeriesOptions
{
    // Which series to read when the input holds several; empty: the input must hold exactly one.
    std::string seriesInstanceUid;
    ImageLimits limits;
};

// `path` is a folder (its files, not subfolders; files that are not DICOM are skipped with a
// warning), a DICOMDIR file, or a single DICOM file.
[[nodiscard]] Result<DicomSeries> readDicomSeries(
    const std::filesystem::path &path, const DicomSeriesOptions &options = {});

// Exactly these files; any that is not a readable DICOM image is an error naming it.
[[nodiscard]] Result<DicomSeries> readDicomSeries(
    const std::vector<std::filesystem::path> &files, const DicomSeriesOptions &options = {});

// The files a DICOMDIR references (PS3.10 section 8.2, PS3.3 F.3.2.2 Referenced File ID), resolved
// against the DICOMDIR's folder. A reference that escapes that folder or does not exist is an error.
[[nodiscard]] Result<std::vector<std::filesystem::path>> dicomdirReferencedFiles(
    const std::filesystem::path &dicomdir, const ImageLimits &limits = {});

// What one file is, without decoding its pixels; for `mosaic-cli inspect`. No patient identifiers.
struct DicomFileSummary
{
    std::string sopClassUid;
    std::string sopClassName; // DCMTK's dictionary name, e.g. "CTImageStorage"
    std::string transferSyntaxUid;
    std::string transferSyntaxName;
    std::string modality;
    std::string seriesInstanceUid;
    std::size_t rows = 0;
    std::size_t columns = 0;
    std::size_t frames = 0; // 0 when the file holds no pixel data
    std::size_t samplesPerPixel = 0;
    std::size_t bitsAllocated = 0;
    bool isDicomdir = false;
    bool hasPixelData = false;
};

[[nodiscard]] Result<DicomFileSummary> readDicomFileSummary(
    const std::filesystem::path &file, const ImageLimits &limits = {});

// True when the file has the DICOM preamble and "DICM" prefix (PS3.10 section 7.1).
[[nodiscard]] bool hasDicomPrefix(const std::filesystem::path &file);

} // namespace mosaic
