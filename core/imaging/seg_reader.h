// SPDX-License-Identifier: Apache-2.0
// Reads a DICOM Segmentation (SEG, PS3.3 A.51 and C.8.20) and turns one segment into a Mask on an
// image grid. Read with dcmdata directly: DCMTK 3.6.7's dcmseg refuses real files over details
// that do not affect the pixels. Binary (1 bit) and fractional (8 bit) segmentations, uncompressed
// transfer syntaxes. Every count is checked against the bytes present before it is used.
#pragma once

#include "core/error.h"
#include "core/imaging/volume.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

enum class SegmentationType { Binary, Fractional };

struct SegSegment
{
    int number = 0; // Segment Number (0062,0004)
    std::string label; // Segment Label (0062,0005), e.g. "Liver"
};

struct SegFrame
{
    int segmentNumber = 0; // Referenced Segment Number (0062,000B) of the frame
    std::array<double, 3> positionMm {}; // Image Position (Patient) of its first pixel
    // Derivation Image -> Source Image Sequence: the image slice(s) the frame was drawn on.
    std::vector<std::string> sourceSopInstanceUids;
};

struct Segmentation
{
    std::string sourceName; // the file's name without folders, for messages
    SegmentationType type = SegmentationType::Binary;
    unsigned maximumFractionalValue = 1; // (0062,000E); 1 for binary
    std::size_t rows = 0;
    std::size_t columns = 0;
    // Image Orientation (Patient): direction of a row (increasing column) and of a column.
    std::array<std::array<double, 3>, 2> orientation { { { 1, 0, 0 }, { 0, 1, 0 } } };
    std::array<double, 2> pixelSpacingMm { 1, 1 }; // Pixel Spacing: between rows, between columns
    std::string frameOfReferenceUid;
    std::vector<std::string> referencedSeriesUids;
    std::vector<SegSegment> segments;
    std::vector<SegFrame> frames;
    // The frames' pixels as stored: 1 bit per pixel packed across frame boundaries (binary) or 1
    // byte per pixel (fractional). Its size was checked against rows * columns * frames.
    std::vector<std::uint8_t> pixelData;
    std::vector<std::string> warnings;
};

struct SegLimits
{
    std::size_t maxFileBytes = std::size_t { 2 } << 30;
    std::size_t maxPixels = std::size_t { 1 } << 31; // rows * columns * frames
};

// Fails with NotFound, LimitExceeded, Unsupported (not a SEG, compressed, other bit depths) or
// Malformed (including pixel data shorter than the frames need).
[[nodiscard]] Result<Segmentation> readSeg(const std::filesystem::path &path, const SegLimits &limits = {});

// The segment labelled `segmentLabel` (empty: the only segment) on `grid`. Each frame is placed by
// its position: it must lie on a slice plane of the grid with its pixels on the grid's voxels,
// else the SEG is refused (resampling would change the segmentation silently). Fractional values
// count as inside from half the Maximum Fractional Value up (PS3.3 C.8.20.2.3: probability or
// occupancy; one half is the usual cut for a label map). Overlapping segments are each complete.
// `seriesSopInstanceUids` (may be empty) are checked against the frames' source images: warn only.
[[nodiscard]] Result<Mask> segmentToMask(const Segmentation &segmentation, std::string_view segmentLabel,
    const ImageGeometry &grid, const std::vector<std::string> &seriesSopInstanceUids,
    std::vector<std::string> &warnings);

// readSeg then segmentToMask, without source-image checks.
[[nodiscard]] Result<Mask> readSegMask(const std::filesystem::path &path, std::string_view segmentLabel,
    const ImageGeometry &grid, std::vector<std::string> &warnings, const SegLimits &limits = {});

// What `mosaic-cli inspect` shows of a SEG: no patient identifiers.
struct SegSummary
{
    SegmentationType type = SegmentationType::Binary;
    std::size_t rows = 0;
    std::size_t columns = 0;
    std::size_t frameCount = 0;
    struct Segment
    {
        int number = 0;
        std::string label;
        std::size_t frameCount = 0;
    };
    std::vector<Segment> segments;
    std::string frameOfReferenceUid;
    std::vector<std::string> referencedSeriesUids;
    std::vector<std::string> warnings;
};

[[nodiscard]] SegSummary summarizeSeg(const Segmentation &segmentation);
[[nodiscard]] std::vector<std::string> describeSeg(const Segmentation &segmentation);

} // namespace mosaic
