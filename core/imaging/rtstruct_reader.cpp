// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/rtstruct_reader.h"

#include "core/imaging/dicom_item_access.h"
#include "core/imaging/message_text.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <system_error>

namespace mosaic {

using message_text::textOf;

namespace {

using dicom_access::itemAt;
using dicom_access::sequenceOf;
using dicom_access::stringOf;

std::string roiPlace(const RtRoi &roi)
{
    return textOf("ROI ", roi.number, " '", roi.name, "'");
}

// Contour Data (3006,0050) is DS, multi-valued x\y\z triplets. DCMTK's per-value accessor rescans
// the string for each index (quadratic on contours of thousands of points), so the value is split
// once here. Each number is checked: DS allows only finite decimals.
Result<std::vector<std::array<double, 3>>> parseContourData(
    const std::string &text, std::size_t pointBudget, const std::string &where)
{
    std::vector<std::array<double, 3>> points;
    std::array<double, 3> point {};
    std::size_t valueIndex = 0;
    std::size_t start = 0;
    if (text.find_first_not_of(std::string_view(" \\\0", 3)) == std::string::npos)
        return fail(ErrorCode::Malformed, "Contour Data (3006,0050) is empty", where);
    while (start <= text.size()) {
        std::size_t end = text.find('\\', start);
        if (end == std::string::npos)
            end = text.size();
        std::size_t first = start;
        std::size_t last = end;
        while (first < last && (text[first] == ' ' || text[first] == '\0'))
            ++first;
        while (last > first && (text[last - 1] == ' ' || text[last - 1] == '\0'))
            --last;
        double value = 0.0;
        const char *begin = text.data() + first;
        // from_chars rejects a leading '+', which DS allows (PS3.5 6.2).
        if (first < last && *begin == '+')
            ++begin;
        const auto [parsedEnd, errorCode] = std::from_chars(begin, text.data() + last, value);
        if (first == last || errorCode != std::errc {} || parsedEnd != text.data() + last
            || !std::isfinite(value))
            return fail(ErrorCode::Malformed,
                textOf("Contour Data (3006,0050) value ", valueIndex + 1, " is not a finite decimal number"),
                where);
        point[valueIndex % 3] = value;
        ++valueIndex;
        if (valueIndex % 3 == 0) {
            if (points.size() >= pointBudget)
                return fail(ErrorCode::LimitExceeded,
                    "the structure set holds more contour points than the configured limit", where);
            points.push_back(point);
        }
        start = end + 1;
    }
    if (valueIndex % 3 != 0)
        return fail(ErrorCode::Malformed,
            textOf("Contour Data (3006,0050) holds ", valueIndex,
                " numbers, not a whole number of (x, y, z) points"),
            where);
    return points;
}

std::optional<ContourGeometry> parseGeometry(std::string_view text)
{
    if (text == "CLOSED_PLANAR")
        return ContourGeometry::ClosedPlanar;
    if (text == "CLOSEDPLANAR_XOR")
        return ContourGeometry::ClosedPlanarXor;
    if (text == "POINT")
        return ContourGeometry::Point;
    if (text == "OPEN_PLANAR")
        return ContourGeometry::OpenPlanar;
    if (text == "OPEN_NONPLANAR")
        return ContourGeometry::OpenNonplanar;
    return std::nullopt;
}

Result<RtContour> readContour(DcmItem &item, std::size_t &pointBudget, const std::string &where)
{
    RtContour contour;
    const std::string geometryText = stringOf(item, DCM_ContourGeometricType);
    const auto geometry = parseGeometry(geometryText);
    if (!geometry)
        return fail(ErrorCode::Malformed,
            textOf("Contour Geometric Type (3006,0042) '", geometryText.substr(0, 32),
                "' is not one of CLOSED_PLANAR, CLOSEDPLANAR_XOR, POINT, OPEN_PLANAR, OPEN_NONPLANAR"),
            where);
    contour.geometry = *geometry;

    // The raw value, backslashes included: DCMTK's findAndGetOFStringArray rebuilds it value by
    // value and rescans from the start for each, quadratic in the points (found by fuzzing: a
    // 500 KB contour took minutes).
    const char *data = nullptr;
    Uint32 length = 0;
    if (item.findAndGetString(DCM_ContourData, data, length).bad())
        return fail(ErrorCode::Malformed, "Contour Data (3006,0050) is missing", where);
    auto points = parseContourData(data ? std::string(data, length) : std::string(), pointBudget, where);
    if (!points)
        return std::unexpected(points.error());
    contour.pointsMm = std::move(*points);
    pointBudget -= contour.pointsMm.size();

    // PS3.3 C.8.8.6: Number of Contour Points is type 1 and must match the data; a mismatch means
    // the writer lost or invented points, so neither number can be trusted.
    const std::string countText = stringOf(item, DCM_NumberOfContourPoints);
    if (!countText.empty()) {
        std::size_t declared = 0;
        const auto [end, errorCode]
            = std::from_chars(countText.data(), countText.data() + countText.size(), declared);
        if (errorCode != std::errc {} || end != countText.data() + countText.size())
            return fail(ErrorCode::Malformed,
                textOf("Number of Contour Points (3006,0046) '", countText.substr(0, 16), "' is not a count"),
                where);
        if (declared != contour.pointsMm.size())
            return fail(ErrorCode::Malformed,
                textOf("Number of Contour Points (3006,0046) says ", declared, " but Contour Data holds ",
                    contour.pointsMm.size(), " points"),
                where);
    }

    if (DcmSequenceOfItems *images = sequenceOf(item, DCM_ContourImageSequence)) {
        for (unsigned long index = 0; index < images->card(); ++index)
            if (DcmItem *image = itemAt(*images, index)) {
                std::string uid = stringOf(*image, DCM_ReferencedSOPInstanceUID);
                if (!uid.empty())
                    contour.referencedSopInstanceUids.push_back(std::move(uid));
            }
    }
    return contour;
}

} // namespace

std::string_view contourGeometryName(ContourGeometry geometry)
{
    switch (geometry) {
    case ContourGeometry::ClosedPlanar: return "CLOSED_PLANAR";
    case ContourGeometry::ClosedPlanarXor: return "CLOSEDPLANAR_XOR";
    case ContourGeometry::Point: return "POINT";
    case ContourGeometry::OpenPlanar: return "OPEN_PLANAR";
    case ContourGeometry::OpenNonplanar: return "OPEN_NONPLANAR";
    }
    return "unknown";
}

Result<RtStruct> readRtStruct(const std::filesystem::path &path, const RtStructLimits &limits)
{
    RtStruct result;
    result.sourceName = path.filename().string();
    const std::string file = textOf("RTSTRUCT '", result.sourceName, "'");

    auto loaded = dicom_access::loadDicomFile(path, limits.maxFileBytes, file);
    if (!loaded)
        return std::unexpected(loaded.error());
    DcmDataset &dataset = *(*loaded)->getDataset();

    // PS3.3 A.19: RT Structure Set IOD. Accept by SOP class, or by modality when a writer left the
    // class out; anything else (an image, a SEG, an RT plan) is refused here rather than read as
    // an empty structure set.
    const std::string sopClass = stringOf(dataset, DCM_SOPClassUID);
    const std::string modality = stringOf(dataset, DCM_Modality);
    if (sopClass != UID_RTStructureSetStorage && !(sopClass.empty() && modality == "RTSTRUCT"))
        return fail(ErrorCode::Unsupported,
            textOf("not an RT Structure Set (SOP class '", sopClass.substr(0, 64), "', modality '",
                modality.substr(0, 16), "')"),
            file);

    // Referenced Frame of Reference Sequence (PS3.3 C.8.8.5) -> RT Referenced Study -> RT Referenced
    // Series: the series the contours were drawn on.
    std::vector<std::string> declaredFrames;
    if (DcmSequenceOfItems *frames = sequenceOf(dataset, DCM_ReferencedFrameOfReferenceSequence)) {
        for (unsigned long f = 0; f < frames->card(); ++f) {
            DcmItem *frame = itemAt(*frames, f);
            if (!frame)
                continue;
            std::string frameUid = stringOf(*frame, DCM_FrameOfReferenceUID);
            if (result.frameOfReferenceUid.empty())
                result.frameOfReferenceUid = frameUid;
            if (!frameUid.empty() && std::ranges::find(declaredFrames, frameUid) == declaredFrames.end())
                declaredFrames.push_back(std::move(frameUid));
            DcmSequenceOfItems *studies = sequenceOf(*frame, DCM_RTReferencedStudySequence);
            for (unsigned long s = 0; studies && s < studies->card(); ++s) {
                DcmItem *study = itemAt(*studies, s);
                DcmSequenceOfItems *series
                    = study ? sequenceOf(*study, DCM_RTReferencedSeriesSequence) : nullptr;
                for (unsigned long r = 0; series && r < series->card(); ++r)
                    if (DcmItem *seriesItem = itemAt(*series, r)) {
                        std::string uid = stringOf(*seriesItem, DCM_SeriesInstanceUID);
                        if (!uid.empty()
                            && std::ranges::find(result.referencedSeriesUids, uid)
                                == result.referencedSeriesUids.end())
                            result.referencedSeriesUids.push_back(std::move(uid));
                    }
            }
        }
    }

    // Structure Set ROI Sequence (PS3.3 C.8.8.5): number, name, frame of reference of each ROI.
    DcmSequenceOfItems *roiSequence = sequenceOf(dataset, DCM_StructureSetROISequence);
    if (!roiSequence)
        return fail(ErrorCode::Malformed, "Structure Set ROI Sequence (3006,0020) is missing", file);
    if (roiSequence->card() > limits.maxRois)
        return fail(ErrorCode::LimitExceeded,
            textOf(roiSequence->card(), " ROIs, more than the limit of ", limits.maxRois), file);
    std::map<int, std::size_t> roiByNumber;
    for (unsigned long index = 0; index < roiSequence->card(); ++index) {
        DcmItem *item = itemAt(*roiSequence, index);
        if (!item)
            continue;
        RtRoi roi;
        Sint32 number = 0;
        if (item->findAndGetSint32(DCM_ROINumber, number).bad())
            return fail(ErrorCode::Malformed,
                textOf("Structure Set ROI Sequence item ", index + 1, " has no valid ROI Number (3006,0022)"),
                file);
        roi.number = number;
        roi.name = stringOf(*item, DCM_ROIName);
        roi.frameOfReferenceUid = stringOf(*item, DCM_ReferencedFrameOfReferenceUID);
        // PS3.3 C.8.8.5: an ROI's frame is one of those in the Referenced Frame of Reference Sequence.
        // One that is not dangles: a re-export that rewrote the structure set's frame but left the
        // ROI's (STS_046's PET contour, from a structure set named 'Axial T1 to PET', names a frame
        // that no image of the patient is in, while its points lie in the PET image's). When
        // the structure set declares one frame, that is the only frame the ROI can be in; a frame
        // that is declared but differs from the image's is still refused by the rasterizer.
        if (roi.frameOfReferenceUid.empty()) {
            roi.frameOfReferenceUid = result.frameOfReferenceUid;
        } else if (declaredFrames.size() == 1 && roi.frameOfReferenceUid != declaredFrames.front()) {
            // Not quoted: UIDs can lead back to a patient, and warnings reach logs.
            result.warnings.push_back(textOf("ROI ", roi.number, " '", roi.name,
                "' names a frame of reference that the structure set does not declare; it is taken to "
                "be in the structure set's one declared frame"));
            roi.frameOfReferenceUid = declaredFrames.front();
        }
        if (roiByNumber.contains(roi.number))
            return fail(
                ErrorCode::Malformed, textOf("ROI Number ", roi.number, " is used by two ROIs"), file);
        roiByNumber.emplace(roi.number, result.rois.size());
        result.rois.push_back(std::move(roi));
    }

    // ROI Contour Sequence (PS3.3 C.8.8.6): the contours, keyed by Referenced ROI Number.
    std::size_t pointBudget = limits.maxPoints;
    if (DcmSequenceOfItems *contourRois = sequenceOf(dataset, DCM_ROIContourSequence)) {
        for (unsigned long index = 0; index < contourRois->card(); ++index) {
            DcmItem *item = itemAt(*contourRois, index);
            if (!item)
                continue;
            Sint32 number = 0;
            if (item->findAndGetSint32(DCM_ReferencedROINumber, number).bad())
                return fail(ErrorCode::Malformed,
                    textOf("ROI Contour Sequence item ", index + 1,
                        " has no valid Referenced ROI Number (3006,0084)"),
                    file);
            const auto found = roiByNumber.find(number);
            if (found == roiByNumber.end()) {
                result.warnings.push_back(
                    textOf(file, ": ROI Contour Sequence item ", index + 1, " refers to ROI number ", number,
                        ", which the Structure Set ROI Sequence does not define; its contours are ignored"));
                continue;
            }
            RtRoi &roi = result.rois[found->second];
            DcmSequenceOfItems *contours = sequenceOf(*item, DCM_ContourSequence);
            for (unsigned long c = 0; contours && c < contours->card(); ++c) {
                DcmItem *contourItem = itemAt(*contours, c);
                if (!contourItem)
                    continue;
                const std::string where = textOf(file, ", ", roiPlace(roi), ", contour ", c + 1);
                auto contour = readContour(*contourItem, pointBudget, where);
                if (!contour)
                    return std::unexpected(contour.error());
                roi.contours.push_back(std::move(*contour));
            }
        }
    }
    return result;
}

RtStructSummary summarizeRtStruct(const RtStruct &rtStruct)
{
    RtStructSummary summary;
    summary.frameOfReferenceUid = rtStruct.frameOfReferenceUid;
    summary.referencedSeriesUids = rtStruct.referencedSeriesUids;
    summary.warnings = rtStruct.warnings;
    for (const RtRoi &roi : rtStruct.rois) {
        RtStructSummary::Roi line;
        line.number = roi.number;
        line.name = roi.name;
        line.contourCount = roi.contours.size();
        for (const RtContour &contour : roi.contours) {
            line.pointCount += contour.pointsMm.size();
            if (contour.geometry == ContourGeometry::ClosedPlanar
                || contour.geometry == ContourGeometry::ClosedPlanarXor)
                ++line.closedContourCount;
        }
        summary.rois.push_back(std::move(line));
    }
    return summary;
}

std::vector<std::string> describeRtStruct(const RtStruct &rtStruct)
{
    const RtStructSummary summary = summarizeRtStruct(rtStruct);
    std::vector<std::string> lines;
    lines.push_back(textOf("RT Structure Set with ", summary.rois.size(), " ROI(s)"));
    lines.push_back(textOf("frame of reference: ",
        summary.frameOfReferenceUid.empty() ? std::string("(none)") : summary.frameOfReferenceUid));
    for (const std::string &series : summary.referencedSeriesUids)
        lines.push_back(textOf("referenced series: ", series));
    for (const RtStructSummary::Roi &roi : summary.rois)
        lines.push_back(textOf("ROI ", roi.number, " '", roi.name, "': ", roi.contourCount, " contours (",
            roi.closedContourCount, " closed), ", roi.pointCount, " points"));
    for (const std::string &warning : summary.warnings)
        lines.push_back("warning: " + warning);
    return lines;
}

} // namespace mosaic
