// SPDX-License-Identifier: Apache-2.0
// Turns one ROI of an RTSTRUCT into a voxel mask on an image grid.
//
// The rule, stated once (tests count voxels by it):
// - Each contour point is mapped to a continuous voxel index (i, j, k) with ImageGeometry::toIndex,
//   so oblique grids work: the polygon lives in the slice's (i, j) index plane.
// - A closed contour belongs to the slice whose k is nearest; it must lie within a quarter of a
//   slice spacing of that plane (every point), else it is skipped with a warning: it was drawn on
//   another grid, and snapping it to a plane would move it by up to half a slice.
// - A voxel is inside when its CENTRE is inside the polygon. All contours of one slice combine by
//   the even-odd rule (PS3.3 C.8.8.6.3: a contour inside another is a hole), so holes work.
// - Boundaries are half-open, as in a scanline fill: a centre exactly on a left or lower edge
//   (smaller i or j) is inside, one exactly on a right or upper edge is outside. Two contours that
//   share an edge therefore neither both claim nor both drop the voxels on it.
#pragma once

#include "core/error.h"
#include "core/imaging/rtstruct_reader.h"
#include "core/imaging/volume.h"

#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

// `seriesSopInstanceUids` are the SOP Instance UIDs of the image series behind `grid` (may be
// empty: then per-contour image references are not checked). Stale references only warn.
// Fails with NotFound (no ROI of that name; the message lists the names there are),
// IntegrityFailed (frames of reference differ), InvalidArgument (an unusable grid) or
// LimitExceeded.
[[nodiscard]] Result<Mask> rasterizeRoi(const RtStruct &rtStruct, std::string_view roiName,
    const ImageGeometry &grid, const std::vector<std::string> &seriesSopInstanceUids,
    std::vector<std::string> &warnings);

} // namespace mosaic
