// SPDX-License-Identifier: Apache-2.0
// Reads a DICOM RT Structure Set (RTSTRUCT, PS3.3 A.19) into Mosaic's own contour types. The file
// is untrusted: every count is checked against the data actually present before it is used, and
// an error names the file (its name only, no folders), the ROI and the contour.
// Turning contours into a voxel mask is rtstruct_rasterizer.h's job.
#pragma once

#include "core/error.h"

#include <array>
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

namespace mosaic {

// PS3.3 C.8.8.6.1: Contour Geometric Type.
enum class ContourGeometry {
    ClosedPlanar, // a polygon, last point joined to the first
    ClosedPlanarXor, // CLOSEDPLANAR_XOR (PS3.3 2021+): combined with the others by exclusive or
    Point, // a single point: encloses no volume
    OpenPlanar, // a polyline: encloses no volume
    OpenNonplanar,
};

[[nodiscard]] std::string_view contourGeometryName(ContourGeometry geometry);

struct RtContour
{
    ContourGeometry geometry = ContourGeometry::ClosedPlanar;
    std::vector<std::array<double, 3>> pointsMm; // patient coordinates (LPS), millimetres
    // Contour Image Sequence (PS3.3 C.8.8.6): the image(s) the contour was drawn on. May be stale
    // after a re-export (see shared/data/README.md on the STS set), so only ever a warning.
    std::vector<std::string> referencedSopInstanceUids;
};

struct RtRoi
{
    int number = 0; // ROI Number (3006,0022), the key between the two ROI sequences
    std::string name; // ROI Name (3006,0026), e.g. "GTV_Mass_PET"
    // Referenced Frame of Reference UID (3006,0024). One the structure set does not declare in its
    // Referenced Frame of Reference Sequence is replaced by the one frame it does declare, with a warning.
    std::string frameOfReferenceUid;
    std::vector<RtContour> contours;
};

struct RtStruct
{
    std::string sourceName; // the file's name without folders, for messages
    std::string frameOfReferenceUid; // first item of Referenced Frame of Reference Sequence
    std::vector<std::string> referencedSeriesUids; // RT Referenced Series Sequence, all studies
    std::vector<RtRoi> rois;
    std::vector<std::string> warnings; // things accepted but worth telling the user
};

struct RtStructLimits
{
    std::size_t maxFileBytes = std::size_t { 512 } << 20; // a structure set is contours, not pixels
    std::size_t maxRois = 10'000;
    std::size_t maxPoints = 20'000'000; // over all contours of the file
};

// Fails with NotFound (no such file), LimitExceeded, Unsupported (not an RTSTRUCT) or Malformed.
[[nodiscard]] Result<RtStruct> readRtStruct(
    const std::filesystem::path &path, const RtStructLimits &limits = {});

// What `mosaic-cli inspect` shows of an RTSTRUCT. Holds no patient identifiers: ROI names, counts
// and UIDs of the referenced series and frame of reference only.
struct RtStructSummary
{
    struct Roi
    {
        int number = 0;
        std::string name;
        std::size_t contourCount = 0;
        std::size_t pointCount = 0;
        std::size_t closedContourCount = 0; // contours that enclose volume
    };
    std::string frameOfReferenceUid;
    std::vector<std::string> referencedSeriesUids;
    std::vector<Roi> rois;
    std::vector<std::string> warnings;
};

[[nodiscard]] RtStructSummary summarizeRtStruct(const RtStruct &rtStruct);
// One line per fact, e.g. "ROI 1 'GTV_Mass_PET': 32 contours (32 closed), 7714 points".
[[nodiscard]] std::vector<std::string> describeRtStruct(const RtStruct &rtStruct);

} // namespace mosaic
