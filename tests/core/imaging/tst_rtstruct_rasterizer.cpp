// SPDX-License-Identifier: Apache-2.0
// The rasterizer on hand-counted cases. Contours are given in voxel-index coordinates and mapped to
// patient millimetres through the grid, so the same case runs on axial and oblique grids; the
// expected voxels are counted by hand with the rule in rtstruct_rasterizer.h: a centre is inside
// when it lies in [left, right) x [low, high) of the polygon (half-open), contours of one slice
// combine by even-odd.
#include "core/imaging/rtstruct_rasterizer.h"

#include <QTest>

#include <algorithm>
#include <cmath>
#include <numbers>

using namespace mosaic;

namespace {

using IndexPolygon = QList<QPointF>; // (i, j) of each point
struct IndexContour
{
    IndexPolygon polygon;
    double k = 0.0;
};

ImageGeometry axialGrid(std::size_t columns, std::size_t rows, std::size_t slices)
{
    ImageGeometry grid;
    grid.size = { columns, rows, slices };
    grid.spacingMm = { 2.0, 1.5, 3.0 };
    grid.originMm = { -10.0, 20.0, 100.0 };
    grid.frameOfReferenceUid = "1.2.3";
    return grid;
}

// Rotated by 30 degrees about an axis that is not a coordinate axis: every index axis is oblique.
ImageGeometry obliqueGrid(std::size_t columns, std::size_t rows, std::size_t slices)
{
    ImageGeometry grid = axialGrid(columns, rows, slices);
    const double angle = std::numbers::pi / 6.0;
    const double norm = std::sqrt(3.0);
    const std::array<double, 3> axis { 1.0 / norm, 1.0 / norm, 1.0 / norm };
    const double c = std::cos(angle);
    const double s = std::sin(angle);
    for (int column = 0; column < 3; ++column) {
        std::array<double, 3> unit { 0, 0, 0 };
        unit[column] = 1.0;
        // Rodrigues' rotation of the unit vector.
        const std::array<double, 3> cross { axis[1] * unit[2] - axis[2] * unit[1],
            axis[2] * unit[0] - axis[0] * unit[2], axis[0] * unit[1] - axis[1] * unit[0] };
        const double dot = axis[column];
        for (int xyz = 0; xyz < 3; ++xyz)
            grid.direction[column][xyz] = unit[xyz] * c + cross[xyz] * s + axis[xyz] * dot * (1 - c);
    }
    return grid;
}

RtContour toPatient(const ImageGeometry &grid, const IndexContour &contour)
{
    RtContour result;
    for (const QPointF &point : contour.polygon)
        result.pointsMm.push_back(grid.toPatient(point.x(), point.y(), contour.k));
    return result;
}

RtStruct structureOf(const ImageGeometry &grid, const QList<IndexContour> &contours)
{
    RtStruct rtStruct;
    rtStruct.sourceName = "RS.dcm";
    rtStruct.frameOfReferenceUid = grid.frameOfReferenceUid;
    RtRoi roi;
    roi.number = 1;
    roi.name = "GTV";
    roi.frameOfReferenceUid = grid.frameOfReferenceUid;
    for (const IndexContour &contour : contours)
        roi.contours.push_back(toPatient(grid, contour));
    rtStruct.rois.push_back(roi);
    return rtStruct;
}

IndexPolygon rectangle(double left, double low, double right, double high)
{
    return { { left, low }, { right, low }, { right, high }, { left, high } };
}

} // namespace

Q_DECLARE_METATYPE(IndexContour)
Q_DECLARE_METATYPE(QList<IndexContour>)

class TestRtStructRasterizer : public QObject
{
    Q_OBJECT

private slots:
    void countsVoxelCentresInside_data();
    void countsVoxelCentresInside();
    void halfOpenTriangleIncludesLowerAndLeftEdgesOnly();
    void sharedEdgeTilesWithoutGapOrOverlap();
    void skipsContourBetweenSlicePlanesWithWarning();
    void skipsContourNotParallelToSlicesWithWarning();
    void skipsPointContoursWithWarning();
    void refusesOtherFrameOfReference();
    void unknownRoiNameListsAvailableNames();
    void staleImageReferencesWarnButRasterize();
    void refusesEmptyGrid();
    void farAwayPointsDoNotOverflow();
};

void TestRtStructRasterizer::countsVoxelCentresInside_data()
{
    QTest::addColumn<bool>("oblique");
    QTest::addColumn<QList<IndexContour>>("contours");
    QTest::addColumn<int>("expectedVoxels");

    for (const bool oblique : { false, true }) {
        const QByteArray grid = oblique ? " (oblique grid)" : " (axial grid)";
        // Corners between centres: centres i = 2..6 and j = 2..4 are inside, 5 x 3.
        QTest::newRow("rectangle between centres covers 5 x 3" + grid)
            << oblique << QList<IndexContour> { { rectangle(1.5, 1.5, 6.5, 4.5), 2 } } << 15;
        // Corners on centres: left/lower edges in, right/upper out, so i = 2..4, j = 2..4.
        QTest::newRow("square with corners on centres covers 3 x 3 (half-open)" + grid)
            << oblique << QList<IndexContour> { { rectangle(2, 2, 5, 5), 1 } } << 9;
        // Outer 1..8 (8 x 8 = 64) minus inner 3..5 (3 x 3 = 9).
        QTest::newRow("square with a square hole keeps the ring (even-odd)" + grid)
            << oblique
            << QList<IndexContour> { { rectangle(0.5, 0.5, 8.5, 8.5), 3 },
                   { rectangle(2.5, 2.5, 5.5, 5.5), 3 } }
            << 55;
        // 4 x 4 + 4 x 4 with a 2 x 2 overlap, which even-odd removes: 16 + 16 - 2 * 4.
        QTest::newRow("overlapping contours on one slice combine by exclusive or" + grid)
            << oblique
            << QList<IndexContour> { { rectangle(0.5, 0.5, 4.5, 4.5), 0 },
                   { rectangle(2.5, 2.5, 6.5, 6.5), 0 } }
            << 24;
        // 3 x 3 and 2 x 2, apart, plus 1 x 4 on another slice.
        QTest::newRow("disjoint contours on one slice and another slice add up" + grid)
            << oblique
            << QList<IndexContour> { { rectangle(0.5, 0.5, 3.5, 3.5), 2 },
                   { rectangle(5.5, 5.5, 7.5, 7.5), 2 }, { rectangle(3.5, 0.5, 4.5, 4.5), 3 } }
            << 17;
        // Clockwise point order encloses the same centres.
        QTest::newRow("clockwise contour equals counter-clockwise" + grid)
            << oblique
            << QList<IndexContour> { { IndexPolygon {
                                           { 1.5, 1.5 }, { 1.5, 4.5 }, { 6.5, 4.5 }, { 6.5, 1.5 } },
                   2 } }
            << 15;
        // A contour reaching past the grid is clipped: centres 0..9 by 0..9 on 10 x 10.
        QTest::newRow("contour larger than the grid is clipped to it" + grid)
            << oblique << QList<IndexContour> { { rectangle(-5.5, -5.5, 20.5, 20.5), 0 } } << 100;
        // Contours drawn on the image carry a rounding error well under kPlaneToleranceSlices.
        QTest::newRow("contour 0.2 slice off its plane is still placed" + grid)
            << oblique << QList<IndexContour> { { rectangle(1.5, 1.5, 6.5, 4.5), 2.2 } } << 15;
    }
}

void TestRtStructRasterizer::countsVoxelCentresInside()
{
    QFETCH(bool, oblique);
    QFETCH(QList<IndexContour>, contours);
    QFETCH(int, expectedVoxels);

    const ImageGeometry grid = oblique ? obliqueGrid(10, 10, 5) : axialGrid(10, 10, 5);
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(structureOf(grid, contours), "GTV", grid, {}, warnings);
    QVERIFY2(mask.has_value(), mask ? "" : mask.error().message().c_str());
    QCOMPARE(mask->count(), static_cast<std::size_t>(expectedVoxels));
    QVERIFY(mask->geometry.sameGrid(grid));
    QCOMPARE(mask->roiName, std::string("GTV"));
    QVERIFY2(warnings.empty(), warnings.empty() ? "" : warnings.front().c_str());
}

void TestRtStructRasterizer::halfOpenTriangleIncludesLowerAndLeftEdgesOnly()
{
    // Triangle (0,0), (6,0), (0,6): its hypotenuse i + j = 6 passes exactly through the centres
    // (6,0), (5,1), ..., (0,6). Row j (0 <= j < 6; row 6 touches only the apex, an upper vertex)
    // holds the centres i in [0, 6 - j): 6 + 5 + 4 + 3 + 2 + 1 = 21. Centres on the hypotenuse
    // (a right edge) are out, those on i = 0 and j = 0 (left and lower edges) are in.
    for (const bool oblique : { false, true }) {
        const ImageGeometry grid = oblique ? obliqueGrid(10, 10, 1) : axialGrid(10, 10, 1);
        std::vector<std::string> warnings;
        const auto mask
            = rasterizeRoi(structureOf(grid, { { IndexPolygon { { 0, 0 }, { 6, 0 }, { 0, 6 } }, 0 } }), "GTV",
                grid, {}, warnings);
        QVERIFY(mask.has_value());
        QCOMPARE(mask->count(), std::size_t { 21 });
        QCOMPARE(mask->voxels[grid.linearIndex(0, 0, 0)], std::uint8_t { 1 }); // corner on both lower edges
        QCOMPARE(mask->voxels[grid.linearIndex(5, 0, 0)], std::uint8_t { 1 });
        QCOMPARE(mask->voxels[grid.linearIndex(6, 0, 0)], std::uint8_t { 0 }); // on the hypotenuse
        QCOMPARE(mask->voxels[grid.linearIndex(3, 3, 0)], std::uint8_t { 0 }); // on the hypotenuse
        QCOMPARE(mask->voxels[grid.linearIndex(2, 3, 0)], std::uint8_t { 1 });
        QCOMPARE(mask->voxels[grid.linearIndex(0, 5, 0)], std::uint8_t { 1 });
        QCOMPARE(mask->voxels[grid.linearIndex(0, 6, 0)], std::uint8_t { 0 }); // the apex
    }
}

void TestRtStructRasterizer::sharedEdgeTilesWithoutGapOrOverlap()
{
    // Two contours sharing the edge i = 3, which runs through centres: [0.5, 3) and [3, 5.5) by
    // rows [0.5, 2.5). As separate ROIs they claim i = 1..2 and 3..5 (2 x 2 and 3 x 2); on one slice
    // of one ROI the shared edge is crossed twice and cancels, leaving the whole 5 x 2.
    const ImageGeometry grid = axialGrid(10, 10, 1);
    std::vector<std::string> warnings;
    const auto left
        = rasterizeRoi(structureOf(grid, { { rectangle(0.5, 0.5, 3, 2.5), 0 } }), "GTV", grid, {}, warnings);
    const auto right
        = rasterizeRoi(structureOf(grid, { { rectangle(3, 0.5, 5.5, 2.5), 0 } }), "GTV", grid, {}, warnings);
    const auto both = rasterizeRoi(
        structureOf(grid, { { rectangle(0.5, 0.5, 3, 2.5), 0 }, { rectangle(3, 0.5, 5.5, 2.5), 0 } }), "GTV",
        grid, {}, warnings);
    QVERIFY(left && right && both);
    QCOMPARE(left->count(), std::size_t { 4 });
    QCOMPARE(right->count(), std::size_t { 6 });
    QCOMPARE(both->count(), std::size_t { 10 });
    for (std::size_t v = 0; v < grid.voxelCount(); ++v)
        QVERIFY(!(left->voxels[v] && right->voxels[v]));
}

void TestRtStructRasterizer::skipsContourBetweenSlicePlanesWithWarning()
{
    const ImageGeometry grid = axialGrid(10, 10, 5);
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(
        structureOf(grid, { { rectangle(1.5, 1.5, 6.5, 4.5), 1.5 }, { rectangle(1.5, 1.5, 6.5, 4.5), 3 } }),
        "GTV", grid, {}, warnings);
    QVERIFY(mask.has_value());
    QCOMPARE(mask->count(), std::size_t { 15 }); // only the contour on k = 3
    QCOMPARE(warnings.size(), std::size_t { 1 });
    QVERIFY2(warnings.front().find("1 of 2 contours lie between slice planes") != std::string::npos,
        warnings.front().c_str());
    QVERIFY(warnings.front().find("RTSTRUCT 'RS.dcm', ROI 'GTV'") != std::string::npos);
}

void TestRtStructRasterizer::skipsContourNotParallelToSlicesWithWarning()
{
    const ImageGeometry grid = axialGrid(10, 10, 5);
    RtStruct rtStruct = structureOf(grid, {});
    // Tilted: k runs from 1 to 3 across the contour.
    RtContour tilted;
    tilted.pointsMm = { grid.toPatient(1, 1, 1), grid.toPatient(6, 1, 1), grid.toPatient(6, 5, 3),
        grid.toPatient(1, 5, 3) };
    rtStruct.rois.front().contours.push_back(tilted);
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(rtStruct, "GTV", grid, {}, warnings);
    QVERIFY(mask.has_value());
    QCOMPARE(mask->count(), std::size_t { 0 });
    QCOMPARE(warnings.size(), std::size_t { 1 });
    QVERIFY2(warnings.front().find("not parallel") != std::string::npos, warnings.front().c_str());
}

void TestRtStructRasterizer::skipsPointContoursWithWarning()
{
    const ImageGeometry grid = axialGrid(10, 10, 5);
    RtStruct rtStruct = structureOf(grid, { { rectangle(1.5, 1.5, 6.5, 4.5), 2 } });
    RtContour point;
    point.geometry = ContourGeometry::Point;
    point.pointsMm = { grid.toPatient(3, 3, 2) };
    rtStruct.rois.front().contours.push_back(point);
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(rtStruct, "GTV", grid, {}, warnings);
    QVERIFY(mask.has_value());
    QCOMPARE(mask->count(), std::size_t { 15 });
    QCOMPARE(warnings.size(), std::size_t { 1 });
    QVERIFY2(warnings.front().find("POINT or OPEN") != std::string::npos, warnings.front().c_str());
}

void TestRtStructRasterizer::refusesOtherFrameOfReference()
{
    const ImageGeometry grid = axialGrid(10, 10, 5);
    RtStruct rtStruct = structureOf(grid, { { rectangle(1.5, 1.5, 6.5, 4.5), 2 } });
    rtStruct.rois.front().frameOfReferenceUid = "4.5.6";
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(rtStruct, "GTV", grid, {}, warnings);
    QVERIFY(!mask.has_value());
    QCOMPARE(mask.error().code, ErrorCode::IntegrityFailed);
    QCOMPARE(mask.error().message(),
        std::string("RTSTRUCT 'RS.dcm': contour 'GTV' is in frame of reference 4.5.6, the image in 1.2.3"));
}

void TestRtStructRasterizer::unknownRoiNameListsAvailableNames()
{
    const ImageGeometry grid = axialGrid(10, 10, 5);
    RtStruct rtStruct = structureOf(grid, { { rectangle(1.5, 1.5, 6.5, 4.5), 2 } });
    RtRoi other;
    other.number = 2;
    other.name = "Liver";
    rtStruct.rois.push_back(other);
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(rtStruct, "CTV", grid, {}, warnings);
    QVERIFY(!mask.has_value());
    QCOMPARE(mask.error().code, ErrorCode::NotFound);
    QCOMPARE(mask.error().message(),
        std::string("RTSTRUCT 'RS.dcm': has no ROI named 'CTV'; its ROIs are: 'GTV', 'Liver'"));
}

void TestRtStructRasterizer::staleImageReferencesWarnButRasterize()
{
    const ImageGeometry grid = axialGrid(10, 10, 5);
    RtStruct rtStruct
        = structureOf(grid, { { rectangle(1.5, 1.5, 6.5, 4.5), 2 }, { rectangle(1.5, 1.5, 6.5, 4.5), 3 } });
    rtStruct.rois.front().contours[0].referencedSopInstanceUids = { "1.2.3.100" };
    rtStruct.rois.front().contours[1].referencedSopInstanceUids = { "1.2.3.999" };
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(rtStruct, "GTV", grid, { "1.2.3.100", "1.2.3.101" }, warnings);
    QVERIFY(mask.has_value());
    QCOMPARE(mask->count(), std::size_t { 30 });
    QCOMPARE(warnings.size(), std::size_t { 1 });
    // The stale UID itself is never quoted: instance UIDs can identify a patient.
    QVERIFY(warnings.front().find("1.2.3.999") == std::string::npos);
    QVERIFY2(
        warnings.front().find("1 of 2 contours reference image instances that are not in this series (first: "
                              "contour 2)")
            != std::string::npos,
        warnings.front().c_str());
}

void TestRtStructRasterizer::refusesEmptyGrid()
{
    ImageGeometry grid = axialGrid(10, 10, 5);
    const RtStruct rtStruct = structureOf(grid, { { rectangle(1.5, 1.5, 6.5, 4.5), 2 } });
    grid.size[2] = 0;
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(rtStruct, "GTV", grid, {}, warnings);
    QVERIFY(!mask.has_value());
    QCOMPARE(mask.error().code, ErrorCode::InvalidArgument);
}

void TestRtStructRasterizer::farAwayPointsDoNotOverflow()
{
    // Points 1e300 mm away map to indices far beyond any integer type; the fill must clamp.
    const ImageGeometry grid = axialGrid(10, 10, 5);
    RtStruct rtStruct = structureOf(grid, {});
    RtContour huge;
    const auto centre = grid.toPatient(0, 0, 2);
    huge.pointsMm = { { -1e300, -1e300, centre[2] }, { 1e300, -1e300, centre[2] },
        { 1e300, 1e300, centre[2] }, { -1e300, 1e300, centre[2] } };
    rtStruct.rois.front().contours.push_back(huge);
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(rtStruct, "GTV", grid, {}, warnings);
    QVERIFY(mask.has_value());
    QCOMPARE(mask->count(), std::size_t { 100 });
}

QTEST_APPLESS_MAIN(TestRtStructRasterizer)
#include "tst_rtstruct_rasterizer.moc"
