// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/rtstruct_rasterizer.h"

#include "core/imaging/message_text.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <unordered_set>

namespace mosaic {

using message_text::textOf;

namespace {

// See the header: a contour further than this from its slice plane was drawn on another grid.
constexpr double kPlaneToleranceSlices = 0.25;
// Exporters put points exactly on voxel centres when contouring on the image grid; toIndex solves
// a linear system and returns 2.9999999999 for 3. Snapping keeps the half-open rule exact there.
constexpr double kSnapVoxels = 1e-6;
// Edge crossings of one slice are buffered; a zig-zag contour of n points crossing every row would
// otherwise make n * rows of them.
constexpr std::size_t kMaxCrossingsPerSlice = std::size_t { 1 } << 26;

double snapToInteger(double value)
{
    const double nearest = std::round(value);
    return std::abs(value - nearest) < kSnapVoxels ? nearest : value;
}

struct Point2
{
    double i = 0.0;
    double j = 0.0;
};

struct PlacedContour
{
    std::size_t slice = 0;
    double depth = 0.0; // mean continuous k, to notice contours of different depths on one slice
    std::vector<Point2> polygon;
};

// Counts of contours set aside, reported once per kind rather than once per contour.
struct SkipTally
{
    std::size_t count = 0;
    std::size_t firstContour = 0; // 1-based, for the message
    void add(std::size_t contourNumber)
    {
        if (count++ == 0)
            firstContour = contourNumber;
    }
};

Result<void> checkGrid(const ImageGeometry &grid, const std::string &place)
{
    const ImageLimits limits;
    for (int axis = 0; axis < 3; ++axis) {
        if (grid.size[axis] == 0)
            return fail(ErrorCode::InvalidArgument, "the image grid has no voxels", place);
        if (!std::isfinite(grid.spacingMm[axis]) || grid.spacingMm[axis] <= 0.0
            || !std::isfinite(grid.originMm[axis]))
            return fail(ErrorCode::InvalidArgument, "the image grid has an invalid spacing or origin", place);
        for (double component : grid.direction[axis])
            if (!std::isfinite(component))
                return fail(ErrorCode::InvalidArgument, "the image grid has an invalid direction", place);
    }
    if (grid.size[0] > limits.maxVoxels / grid.size[1]
        || grid.size[0] * grid.size[1] > limits.maxVoxels / grid.size[2])
        return fail(
            ErrorCode::LimitExceeded, "the image grid has more voxels than the configured limit", place);
    return {};
}

// Even-odd scanline fill of every polygon of one slice into `sliceVoxels` (size[0] * size[1]).
// Rows are the lines j = const through voxel centres. An edge from a to b crosses row j when
// j lies in [min(a.j, b.j), max(a.j, b.j)): a vertex exactly on the row is counted once for an edge
// passing through and zero or two times at a local extremum, so nothing is double counted.
// Within a row, centre i is inside when it lies in [x0, x1), [x2, x3), ... of the sorted crossings.
// Cost: O(edges + crossings + filled voxels).
Result<void> fillSlice(const std::vector<const PlacedContour *> &contours, const ImageGeometry &grid,
    std::vector<std::vector<double>> &rowCrossings, std::uint8_t *sliceVoxels, const std::string &place)
{
    const auto rows = static_cast<double>(grid.size[1]);
    const auto columns = static_cast<double>(grid.size[0]);
    auto rowRange = [&](double low, double high) {
        // Clamp before converting: contour points far outside the grid give huge indices.
        const double first = std::clamp(std::ceil(low), 0.0, rows);
        const double pastLast = std::clamp(std::ceil(high), 0.0, rows);
        return std::pair { static_cast<std::size_t>(first), static_cast<std::size_t>(pastLast) };
    };

    std::size_t crossings = 0;
    for (const PlacedContour *contour : contours) {
        const std::vector<Point2> &polygon = contour->polygon;
        for (std::size_t e = 0; e < polygon.size(); ++e) {
            const Point2 &a = polygon[e];
            const Point2 &b = polygon[(e + 1) % polygon.size()];
            if (a.j == b.j)
                continue;
            const auto [first, pastLast] = rowRange(std::min(a.j, b.j), std::max(a.j, b.j));
            crossings += pastLast - first;
        }
    }
    if (crossings > kMaxCrossingsPerSlice)
        return fail(ErrorCode::LimitExceeded,
            textOf("contours of slice ", contours.front()->slice, " cross its rows ", crossings,
                " times, more than the limit of ", kMaxCrossingsPerSlice),
            place);

    for (auto &row : rowCrossings)
        row.clear();
    std::size_t firstRow = grid.size[1];
    std::size_t pastLastRow = 0;
    for (const PlacedContour *contour : contours) {
        const std::vector<Point2> &polygon = contour->polygon;
        for (std::size_t e = 0; e < polygon.size(); ++e) {
            const Point2 &a = polygon[e];
            const Point2 &b = polygon[(e + 1) % polygon.size()];
            if (a.j == b.j)
                continue;
            const auto [first, pastLast] = rowRange(std::min(a.j, b.j), std::max(a.j, b.j));
            firstRow = std::min(firstRow, first);
            pastLastRow = std::max(pastLastRow, pastLast);
            const double slope = (b.i - a.i) / (b.j - a.j);
            for (std::size_t j = first; j < pastLast; ++j)
                rowCrossings[j].push_back(snapToInteger(a.i + (static_cast<double>(j) - a.j) * slope));
        }
    }

    for (std::size_t j = firstRow; j < pastLastRow; ++j) {
        std::vector<double> &row = rowCrossings[j];
        std::ranges::sort(row);
        std::uint8_t *rowVoxels = sliceVoxels + j * grid.size[0];
        for (std::size_t c = 0; c + 1 < row.size(); c += 2) {
            const auto begin = static_cast<std::size_t>(std::clamp(std::ceil(row[c]), 0.0, columns));
            const auto end = static_cast<std::size_t>(std::clamp(std::ceil(row[c + 1]), 0.0, columns));
            for (std::size_t i = begin; i < end; ++i)
                rowVoxels[i] = 1;
        }
    }
    return {};
}

} // namespace

Result<Mask> rasterizeRoi(const RtStruct &rtStruct, std::string_view roiName, const ImageGeometry &grid,
    const std::vector<std::string> &seriesSopInstanceUids, std::vector<std::string> &warnings)
{
    const std::string file = textOf("RTSTRUCT '", rtStruct.sourceName, "'");
    const auto roiIt
        = std::ranges::find_if(rtStruct.rois, [&](const RtRoi &roi) { return roi.name == roiName; });
    if (roiIt == rtStruct.rois.end()) {
        // ROI names ("GTV", "Liver") describe anatomy, not the patient, so they may be listed.
        std::string names;
        for (const RtRoi &roi : rtStruct.rois)
            names += (names.empty() ? "'" : ", '") + roi.name + "'";
        return fail(ErrorCode::NotFound,
            textOf("has no ROI named '", roiName, "'; its ROIs are: ", names.empty() ? "(none)" : names),
            file);
    }
    const RtRoi &roi = *roiIt;
    const std::string place = textOf(file, ", ROI '", roi.name, "'");
    if (auto gridOk = checkGrid(grid, place); !gridOk)
        return std::unexpected(gridOk.error());

    // PS3.3 C.7.4.1: patient coordinates mean something only within one frame of reference.
    // Contours in another frame would land on the wrong anatomy with no visible error.
    if (!roi.frameOfReferenceUid.empty() && !grid.frameOfReferenceUid.empty()
        && roi.frameOfReferenceUid != grid.frameOfReferenceUid)
        return fail(ErrorCode::IntegrityFailed,
            textOf("contour '", roi.name, "' is in frame of reference ", roi.frameOfReferenceUid,
                ", the image in ", grid.frameOfReferenceUid),
            file);
    if (!roi.frameOfReferenceUid.empty() && grid.frameOfReferenceUid.empty())
        warnings.push_back(textOf(place,
            ": the image has no frame of reference (NIfTI?); contours are placed by patient coordinates "
            "alone"));

    Mask mask;
    mask.geometry = grid;
    mask.roiName = roi.name;
    mask.voxels.assign(grid.voxelCount(), 0);

    // Contour Image Sequence references (PS3.3 C.8.8.6) are advisory: a re-export can leave them
    // pointing at the original series while the frame of reference and coordinates stay right.
    if (!seriesSopInstanceUids.empty()) {
        const std::unordered_set<std::string> series(
            seriesSopInstanceUids.begin(), seriesSopInstanceUids.end());
        // Counted, not quoted: instance UIDs can lead back to a patient, and warnings reach logs.
        std::size_t stale = 0;
        std::size_t firstStale = 0;
        for (std::size_t c = 0; c < roi.contours.size(); ++c)
            for (const std::string &uid : roi.contours[c].referencedSopInstanceUids)
                if (!series.contains(uid)) {
                    if (stale++ == 0)
                        firstStale = c + 1;
                    break;
                }
        if (stale > 0)
            warnings.push_back(textOf(place, ": ", stale, " of ", roi.contours.size(),
                " contours reference image instances that are not in this series (first: contour ", firstStale,
                "); contours are placed by frame of reference and patient coordinates"));
    }

    SkipTally notClosed, degenerate, betweenPlanes, notParallel, outside;
    std::vector<PlacedContour> placed;
    placed.reserve(roi.contours.size());
    const auto slices = static_cast<double>(grid.size[2]);
    for (std::size_t c = 0; c < roi.contours.size(); ++c) {
        const RtContour &contour = roi.contours[c];
        if (contour.geometry != ContourGeometry::ClosedPlanar
            && contour.geometry != ContourGeometry::ClosedPlanarXor) {
            notClosed.add(c + 1);
            continue;
        }
        if (contour.pointsMm.size() < 3) {
            degenerate.add(c + 1);
            continue;
        }
        PlacedContour target;
        target.polygon.reserve(contour.pointsMm.size());
        double depthSum = 0.0;
        double minDepth = std::numeric_limits<double>::infinity();
        double maxDepth = -std::numeric_limits<double>::infinity();
        bool finite = true;
        for (const auto &point : contour.pointsMm) {
            const auto index = grid.toIndex(point);
            if (!std::isfinite(index[0]) || !std::isfinite(index[1]) || !std::isfinite(index[2]))
                finite = false;
            target.polygon.push_back({ snapToInteger(index[0]), snapToInteger(index[1]) });
            depthSum += index[2];
            minDepth = std::min(minDepth, index[2]);
            maxDepth = std::max(maxDepth, index[2]);
        }
        target.depth = depthSum / static_cast<double>(contour.pointsMm.size());
        if (!finite || target.depth < -0.5 || target.depth >= slices - 0.5) {
            outside.add(c + 1);
            continue;
        }
        const double plane = std::round(target.depth);
        if (std::abs(target.depth - plane) > kPlaneToleranceSlices) {
            betweenPlanes.add(c + 1);
            continue;
        }
        if (plane - minDepth > kPlaneToleranceSlices || maxDepth - plane > kPlaneToleranceSlices) {
            notParallel.add(c + 1);
            continue;
        }
        target.slice = static_cast<std::size_t>(plane);
        placed.push_back(std::move(target));
    }

    auto report = [&](const SkipTally &tally, std::string_view what) {
        if (tally.count > 0)
            warnings.push_back(textOf(place, ": ", tally.count, " of ", roi.contours.size(), " contours ",
                what, " (first: contour ", tally.firstContour, "); skipped"));
    };
    report(notClosed, "are POINT or OPEN contours, which enclose no volume");
    report(degenerate, "have fewer than 3 points");
    report(outside, "lie outside the image's slices");
    report(betweenPlanes, "lie between slice planes (more than a quarter slice from the nearest)");
    report(notParallel,
        "are not parallel to the image's slices (points more than a quarter slice off the plane)");

    std::ranges::sort(placed, {}, &PlacedContour::slice);
    std::vector<std::vector<double>> rowCrossings(grid.size[1]);
    std::size_t mixedSlices = 0;
    const std::size_t sliceVoxels = grid.size[0] * grid.size[1];
    for (std::size_t begin = 0; begin < placed.size();) {
        std::size_t end = begin;
        std::vector<const PlacedContour *> sliceContours;
        double minDepth = placed[begin].depth;
        double maxDepth = placed[begin].depth;
        while (end < placed.size() && placed[end].slice == placed[begin].slice) {
            sliceContours.push_back(&placed[end]);
            minDepth = std::min(minDepth, placed[end].depth);
            maxDepth = std::max(maxDepth, placed[end].depth);
            ++end;
        }
        // Contours from different planes of a finer grid would be combined by even-odd as if one
        // were a hole in the other.
        if (maxDepth - minDepth > 0.05)
            ++mixedSlices;
        const std::size_t slice = placed[begin].slice;
        if (auto filled
            = fillSlice(sliceContours, grid, rowCrossings, mask.voxels.data() + slice * sliceVoxels, place);
            !filled)
            return std::unexpected(filled.error());
        begin = end;
    }
    if (mixedSlices > 0)
        warnings.push_back(textOf(place, ": on ", mixedSlices,
            " slice(s), contours drawn at different depths were combined (even-odd); the contours were "
            "probably drawn on a finer grid"));
    return mask;
}

} // namespace mosaic
