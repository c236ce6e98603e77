// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/seg_reader.h"

#include "core/imaging/dicom_item_access.h"
#include "core/imaging/message_text.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_set>

namespace mosaic {

using dicom_access::firstItemOf;
using dicom_access::itemAt;
using dicom_access::sequenceOf;
using dicom_access::stringOf;
using message_text::textOf;

namespace {

// A frame must sit on the grid to this fraction of a voxel: SEG positions are written as DS text
// with limited digits (dcmqi writes -235.199997 for -235.2).
constexpr double kOnGridToleranceVoxels = 0.01;
constexpr double kDirectionTolerance = 1e-4;
constexpr double kSpacingToleranceMm = 1e-3;

// A functional group macro (PS3.3 C.7.6.16) is in the frame's Per-Frame item or, when the same for
// all frames, in the Shared Functional Groups item.
DcmItem *macroItem(DcmItem *perFrame, DcmItem *shared, const DcmTagKey &tag)
{
    if (perFrame)
        if (DcmItem *item = firstItemOf(*perFrame, tag))
            return item;
    return shared ? firstItemOf(*shared, tag) : nullptr;
}

template <std::size_t N> bool readDoubles(DcmItem &item, const DcmTagKey &tag, std::array<double, N> &values)
{
    for (std::size_t index = 0; index < N; ++index) {
        Float64 value = 0.0;
        if (item.findAndGetFloat64(tag, value, static_cast<unsigned long>(index)).bad()
            || !std::isfinite(value))
            return false;
        values[index] = value;
    }
    return true;
}

} // namespace

Result<Segmentation> readSeg(const std::filesystem::path &path, const SegLimits &limits)
{
    Segmentation seg;
    seg.sourceName = path.filename().string();
    const std::string file = textOf("SEG '", seg.sourceName, "'");

    auto loaded = dicom_access::loadDicomFile(path, limits.maxFileBytes, file);
    if (!loaded)
        return std::unexpected(loaded.error());
    DcmDataset &dataset = *(*loaded)->getDataset();

    const std::string sopClass = stringOf(dataset, DCM_SOPClassUID);
    if (sopClass != UID_SegmentationStorage)
        return fail(ErrorCode::Unsupported,
            textOf("not a DICOM Segmentation (SOP class '", sopClass.substr(0, 64), "', modality '",
                stringOf(dataset, DCM_Modality).substr(0, 16), "')"),
            file);
    const DcmXfer transferSyntax(dataset.getOriginalXfer());
    if (transferSyntax.isEncapsulated() || transferSyntax.isBigEndian())
        return fail(ErrorCode::Unsupported,
            textOf("pixel data in transfer syntax '", transferSyntax.getXferName(),
                "' is not supported; convert to explicit VR little endian (e.g. dcmconv +te)"),
            file);

    // PS3.3 C.8.20.2: Segmentation Type; BINARY is 1 bit, FRACTIONAL 8 bits.
    const std::string type = stringOf(dataset, DCM_SegmentationType);
    Uint16 bitsAllocated = 0;
    (void)dataset.findAndGetUint16(DCM_BitsAllocated, bitsAllocated);
    if (type == "BINARY" && bitsAllocated == 1) {
        seg.type = SegmentationType::Binary;
    } else if (type == "FRACTIONAL" && bitsAllocated == 8) {
        seg.type = SegmentationType::Fractional;
        Uint16 maximum = 0;
        if (dataset.findAndGetUint16(DCM_MaximumFractionalValue, maximum).bad() || maximum == 0)
            return fail(ErrorCode::Malformed,
                "fractional SEG without a positive Maximum Fractional Value (0062,000E)", file);
        seg.maximumFractionalValue = maximum;
    } else {
        return fail(ErrorCode::Unsupported,
            textOf("Segmentation Type '", type.substr(0, 16), "' with Bits Allocated ",
                unsigned { bitsAllocated },
                " is not supported (BINARY with 1 bit, FRACTIONAL with 8 bits are)"),
            file);
    }

    Uint16 rows = 0;
    Uint16 columns = 0;
    Sint32 frameCount = 0;
    if (dataset.findAndGetUint16(DCM_Rows, rows).bad() || dataset.findAndGetUint16(DCM_Columns, columns).bad()
        || rows == 0 || columns == 0)
        return fail(ErrorCode::Malformed, "Rows (0028,0010) or Columns (0028,0011) is missing or zero", file);
    if (dataset.findAndGetSint32(DCM_NumberOfFrames, frameCount).bad() || frameCount <= 0)
        return fail(ErrorCode::Malformed, "Number of Frames (0028,0008) is missing or not positive", file);
    seg.rows = rows;
    seg.columns = columns;
    const std::size_t framePixels = seg.rows * seg.columns;
    const auto frames = static_cast<std::size_t>(frameCount);
    if (frames > limits.maxPixels / framePixels)
        return fail(ErrorCode::LimitExceeded,
            textOf(frames, " frames of ", seg.rows, " x ", seg.columns, " pixels exceed the limit of ",
                limits.maxPixels, " pixels"),
            file);
    const std::size_t totalPixels = frames * framePixels;
    // PS3.5 8.1.1: 1-bit pixels are packed with no padding between frames, so a frame may start
    // in the middle of a byte; the byte count is for all frames together.
    const std::size_t neededBytes
        = seg.type == SegmentationType::Binary ? (totalPixels + 7) / 8 : totalPixels;

    DcmElement *pixelElement = nullptr;
    if (dataset.findAndGetElement(DCM_PixelData, pixelElement).bad() || !pixelElement)
        return fail(ErrorCode::Malformed, "Pixel Data (7FE0,0010) is missing", file);
    const Uint32 storedBytes = pixelElement->getLength();
    if (storedBytes < neededBytes)
        return fail(ErrorCode::Malformed,
            textOf("Pixel Data holds ", storedBytes, " bytes, but ", frames, " frames of ", seg.rows, " x ",
                seg.columns, " pixels need ", neededBytes),
            file);
    Uint8 *pixels = nullptr;
    if (pixelElement->getUint8Array(pixels).bad() || !pixels)
        return fail(ErrorCode::Malformed, "Pixel Data cannot be read", file);
    static_assert(std::endian::native == std::endian::little, "pixel bytes are taken in little-endian order");
    seg.pixelData.assign(pixels, pixels + neededBytes);

    seg.frameOfReferenceUid = stringOf(dataset, DCM_FrameOfReferenceUID);
    if (DcmSequenceOfItems *series = sequenceOf(dataset, DCM_ReferencedSeriesSequence))
        for (unsigned long s = 0; s < series->card(); ++s)
            if (DcmItem *item = itemAt(*series, s)) {
                std::string uid = stringOf(*item, DCM_SeriesInstanceUID);
                if (!uid.empty())
                    seg.referencedSeriesUids.push_back(std::move(uid));
            }

    // Segment Sequence (PS3.3 C.8.20.2): number and label of each segment.
    DcmSequenceOfItems *segments = sequenceOf(dataset, DCM_SegmentSequence);
    if (!segments || segments->card() == 0)
        return fail(ErrorCode::Malformed, "Segment Sequence (0062,0002) is missing or empty", file);
    if (segments->card() > 65535)
        return fail(ErrorCode::LimitExceeded, "more than 65535 segments", file);
    for (unsigned long s = 0; s < segments->card(); ++s) {
        DcmItem *item = itemAt(*segments, s);
        Uint16 number = 0;
        if (!item || item->findAndGetUint16(DCM_SegmentNumber, number).bad())
            return fail(ErrorCode::Malformed,
                textOf("Segment Sequence item ", s + 1, " has no Segment Number (0062,0004)"), file);
        seg.segments.push_back({ number, stringOf(*item, DCM_SegmentLabel) });
    }

    // Multi-frame Functional Groups (PS3.3 C.7.6.16): orientation and spacing normally shared,
    // position and segment per frame.
    DcmItem *shared = firstItemOf(dataset, DCM_SharedFunctionalGroupsSequence);
    DcmSequenceOfItems *perFrame = sequenceOf(dataset, DCM_PerFrameFunctionalGroupsSequence);
    if (!perFrame || perFrame->card() != frames)
        return fail(ErrorCode::Malformed,
            textOf("Per-Frame Functional Groups Sequence (5200,9230) has ", perFrame ? perFrame->card() : 0,
                " items for ", frames, " frames"),
            file);
    for (std::size_t f = 0; f < frames; ++f) {
        DcmItem *frameItem = itemAt(*perFrame, static_cast<unsigned long>(f));
        const std::string where = textOf(file, ", frame ", f + 1);
        DcmItem *orientationItem = macroItem(frameItem, shared, DCM_PlaneOrientationSequence);
        DcmItem *measuresItem = macroItem(frameItem, shared, DCM_PixelMeasuresSequence);
        DcmItem *positionItem = macroItem(frameItem, shared, DCM_PlanePositionSequence);
        DcmItem *segmentItem = macroItem(frameItem, shared, DCM_SegmentIdentificationSequence);
        std::array<double, 6> orientation {};
        std::array<double, 2> spacing {};
        SegFrame frame;
        Uint16 segmentNumber = 0;
        if (!orientationItem || !readDoubles(*orientationItem, DCM_ImageOrientationPatient, orientation))
            return fail(ErrorCode::Malformed,
                "no valid Image Orientation (Patient) in Plane Orientation Sequence", where);
        if (!measuresItem || !readDoubles(*measuresItem, DCM_PixelSpacing, spacing) || spacing[0] <= 0
            || spacing[1] <= 0)
            return fail(ErrorCode::Malformed, "no valid Pixel Spacing in Pixel Measures Sequence", where);
        if (!positionItem || !readDoubles(*positionItem, DCM_ImagePositionPatient, frame.positionMm))
            return fail(
                ErrorCode::Malformed, "no valid Image Position (Patient) in Plane Position Sequence", where);
        if (!segmentItem || segmentItem->findAndGetUint16(DCM_ReferencedSegmentNumber, segmentNumber).bad())
            return fail(ErrorCode::Malformed,
                "no Referenced Segment Number in Segment Identification Sequence", where);
        frame.segmentNumber = segmentNumber;
        const std::array<std::array<double, 3>, 2> frameOrientation {
            { { orientation[0], orientation[1], orientation[2] },
                { orientation[3], orientation[4], orientation[5] } }
        };
        if (f == 0) {
            seg.orientation = frameOrientation;
            seg.pixelSpacingMm = spacing;
        } else {
            for (int axis = 0; axis < 2; ++axis) {
                for (int xyz = 0; xyz < 3; ++xyz)
                    if (std::abs(frameOrientation[axis][xyz] - seg.orientation[axis][xyz])
                        > kDirectionTolerance)
                        return fail(ErrorCode::Unsupported,
                            "frames of different orientations are not supported", where);
                if (std::abs(spacing[axis] - seg.pixelSpacingMm[axis]) > kSpacingToleranceMm)
                    return fail(ErrorCode::Unsupported,
                        "frames of different pixel spacings are not supported", where);
            }
        }
        if (DcmSequenceOfItems *derivations
            = frameItem ? sequenceOf(*frameItem, DCM_DerivationImageSequence) : nullptr)
            for (unsigned long d = 0; d < derivations->card(); ++d) {
                DcmItem *derivation = itemAt(*derivations, d);
                DcmSequenceOfItems *sources
                    = derivation ? sequenceOf(*derivation, DCM_SourceImageSequence) : nullptr;
                for (unsigned long s = 0; sources && s < sources->card(); ++s)
                    if (DcmItem *source = itemAt(*sources, s)) {
                        std::string uid = stringOf(*source, DCM_ReferencedSOPInstanceUID);
                        if (!uid.empty())
                            frame.sourceSopInstanceUids.push_back(std::move(uid));
                    }
            }
        seg.frames.push_back(std::move(frame));
    }
    return seg;
}

Result<Mask> segmentToMask(const Segmentation &seg, std::string_view segmentLabel, const ImageGeometry &grid,
    const std::vector<std::string> &seriesSopInstanceUids, std::vector<std::string> &warnings)
{
    const std::string file = textOf("SEG '", seg.sourceName, "'");
    const SegSegment *segment = nullptr;
    if (segmentLabel.empty() && seg.segments.size() == 1) {
        segment = &seg.segments.front();
    } else {
        for (const SegSegment &candidate : seg.segments)
            if (candidate.label == segmentLabel) {
                segment = &candidate;
                break;
            }
    }
    if (!segment) {
        std::string labels;
        for (const SegSegment &candidate : seg.segments)
            labels += (labels.empty() ? "'" : ", '") + candidate.label + "'";
        return fail(segmentLabel.empty() ? ErrorCode::InvalidArgument : ErrorCode::NotFound,
            segmentLabel.empty()
                ? textOf("holds ", seg.segments.size(), " segments; name one of ", labels)
                : textOf("has no segment labelled '", segmentLabel, "'; its segments are: ", labels),
            file);
    }
    const std::string place = textOf(file, ", segment ", segment->number, " '", segment->label, "'");

    const ImageLimits limits;
    if (grid.size[0] == 0 || grid.size[1] == 0 || grid.size[2] == 0
        || grid.size[0] > limits.maxVoxels / grid.size[1]
        || grid.size[0] * grid.size[1] > limits.maxVoxels / grid.size[2])
        return fail(
            ErrorCode::InvalidArgument, "the image grid is empty or larger than the voxel limit", place);
    if (!seg.frameOfReferenceUid.empty() && !grid.frameOfReferenceUid.empty()
        && seg.frameOfReferenceUid != grid.frameOfReferenceUid)
        return fail(ErrorCode::IntegrityFailed,
            textOf("segment '", segment->label, "' is in frame of reference ", seg.frameOfReferenceUid,
                ", the image in ", grid.frameOfReferenceUid),
            file);

    // The SEG's pixel axes must be the grid's i and j axes with the same spacing; PS3.3 C.7.6.2.1.1:
    // Pixel Spacing is (between rows, between columns), i.e. (j, i).
    for (int axis = 0; axis < 2; ++axis) {
        for (int xyz = 0; xyz < 3; ++xyz)
            if (std::abs(seg.orientation[axis][xyz] - grid.direction[axis][xyz]) > kDirectionTolerance)
                return fail(ErrorCode::IntegrityFailed,
                    "the SEG's pixel rows and columns are not oriented like the image's", place);
        if (std::abs(seg.pixelSpacingMm[1 - axis] - grid.spacingMm[axis]) > kSpacingToleranceMm)
            return fail(ErrorCode::IntegrityFailed,
                textOf("the SEG's pixels are ", seg.pixelSpacingMm[1], " x ", seg.pixelSpacingMm[0],
                    " mm, the image's ", grid.spacingMm[0], " x ", grid.spacingMm[1], " mm"),
                place);
    }

    Mask mask;
    mask.geometry = grid;
    mask.roiName = segment->label;
    mask.voxels.assign(grid.voxelCount(), 0);

    const std::unordered_set<std::string> series(seriesSopInstanceUids.begin(), seriesSopInstanceUids.end());
    std::size_t staleFrames = 0;
    std::size_t pixelsOutside = 0;
    const std::size_t framePixels = seg.rows * seg.columns;
    for (std::size_t f = 0; f < seg.frames.size(); ++f) {
        const SegFrame &frame = seg.frames[f];
        if (frame.segmentNumber != segment->number)
            continue;
        const auto index = grid.toIndex(frame.positionMm);
        std::array<double, 3> nearest {};
        for (int axis = 0; axis < 3; ++axis) {
            nearest[axis] = std::round(index[axis]);
            if (!std::isfinite(index[axis]) || std::abs(index[axis] - nearest[axis]) > kOnGridToleranceVoxels)
                return fail(ErrorCode::IntegrityFailed,
                    textOf("frame ", f + 1, " at (", frame.positionMm[0], ", ", frame.positionMm[1], ", ",
                        frame.positionMm[2], ") mm is not on the image's voxel grid (index ", index[0], ", ",
                        index[1], ", ", index[2], ")"),
                    place);
        }
        if (nearest[2] < 0 || nearest[2] >= static_cast<double>(grid.size[2]))
            return fail(ErrorCode::IntegrityFailed,
                textOf("frame ", f + 1, " at slice index ", nearest[2], " lies outside the image's ",
                    grid.size[2], " slices"),
                place);
        if (!series.empty() && std::ranges::any_of(frame.sourceSopInstanceUids, [&](const std::string &uid) {
                return !series.contains(uid);
            }))
            ++staleFrames;
        const auto k = static_cast<std::size_t>(nearest[2]);
        // Clamped above by the finite check; offsets may be negative when the SEG covers more
        // than the image.
        const auto i0 = static_cast<long long>(std::clamp(nearest[0], -1e12, 1e12));
        const auto j0 = static_cast<long long>(std::clamp(nearest[1], -1e12, 1e12));
        const std::size_t firstPixel = f * framePixels;
        for (std::size_t r = 0; r < seg.rows; ++r) {
            for (std::size_t c = 0; c < seg.columns; ++c) {
                const std::size_t p = firstPixel + r * seg.columns + c;
                // PS3.5 8.1.1: with 1 bit allocated the first pixel is the least significant bit.
                const bool inside = seg.type == SegmentationType::Binary
                    ? ((seg.pixelData[p >> 3] >> (p & 7)) & 1) != 0
                    : 2u * seg.pixelData[p] >= seg.maximumFractionalValue;
                if (!inside)
                    continue;
                const long long i = i0 + static_cast<long long>(c);
                const long long j = j0 + static_cast<long long>(r);
                if (i < 0 || j < 0 || i >= static_cast<long long>(grid.size[0])
                    || j >= static_cast<long long>(grid.size[1])) {
                    ++pixelsOutside;
                    continue;
                }
                mask.voxels[grid.linearIndex(static_cast<std::size_t>(i), static_cast<std::size_t>(j), k)]
                    = 1;
            }
        }
    }
    if (staleFrames > 0)
        warnings.push_back(textOf(place, ": ", staleFrames,
            " frame(s) name source images that are not in this series; frames are placed by position"));
    if (pixelsOutside > 0)
        warnings.push_back(
            textOf(place, ": ", pixelsOutside, " segmented pixel(s) lie outside the image; ignored"));
    return mask;
}

Result<Mask> readSegMask(const std::filesystem::path &path, std::string_view segmentLabel,
    const ImageGeometry &grid, std::vector<std::string> &warnings, const SegLimits &limits)
{
    auto seg = readSeg(path, limits);
    if (!seg)
        return std::unexpected(seg.error());
    warnings.insert(warnings.end(), seg->warnings.begin(), seg->warnings.end());
    return segmentToMask(*seg, segmentLabel, grid, {}, warnings);
}

SegSummary summarizeSeg(const Segmentation &seg)
{
    SegSummary summary;
    summary.type = seg.type;
    summary.rows = seg.rows;
    summary.columns = seg.columns;
    summary.frameCount = seg.frames.size();
    summary.frameOfReferenceUid = seg.frameOfReferenceUid;
    summary.referencedSeriesUids = seg.referencedSeriesUids;
    summary.warnings = seg.warnings;
    std::map<int, std::size_t> framesPerSegment;
    for (const SegFrame &frame : seg.frames)
        ++framesPerSegment[frame.segmentNumber];
    for (const SegSegment &segment : seg.segments)
        summary.segments.push_back({ segment.number, segment.label, framesPerSegment[segment.number] });
    return summary;
}

std::vector<std::string> describeSeg(const Segmentation &seg)
{
    const SegSummary summary = summarizeSeg(seg);
    std::vector<std::string> lines;
    lines.push_back(textOf(summary.type == SegmentationType::Binary ? "binary" : "fractional",
        " segmentation, ", summary.frameCount, " frames of ", summary.rows, " x ", summary.columns,
        " pixels, ", summary.segments.size(), " segment(s)"));
    lines.push_back(textOf("frame of reference: ",
        summary.frameOfReferenceUid.empty() ? std::string("(none)") : summary.frameOfReferenceUid));
    for (const std::string &series : summary.referencedSeriesUids)
        lines.push_back(textOf("referenced series: ", series));
    for (const SegSummary::Segment &segment : summary.segments)
        lines.push_back(
            textOf("segment ", segment.number, " '", segment.label, "': ", segment.frameCount, " frames"));
    for (const std::string &warning : summary.warnings)
        lines.push_back("warning: " + warning);
    return lines;
}

} // namespace mosaic
