// SPDX-License-Identifier: Apache-2.0
// IBSI 1 chapter 2 preprocessing on volumes small enough to compute by hand: discretisation (2.7),
// re-segmentation (2.5), interpolation and grid alignment (2.4), and the failure paths.
#include "core/radiomics/preprocessing.h"

#include <QTest>

#include <cmath>

using namespace mosaic;

namespace {

// A row of voxels along i, spacing 1 mm, every voxel in the ROI.
struct Row
{
    Volume image;
    Mask mask;
};

Row rowOf(const QList<double> &values)
{
    Row row;
    row.image.geometry.size = { static_cast<std::size_t>(values.size()), 1, 1 };
    for (const double value : values)
        row.image.voxels.push_back(static_cast<float>(value));
    row.mask.geometry = row.image.geometry;
    row.mask.voxels.assign(row.image.voxels.size(), 1);
    row.mask.roiName = "row";
    return row;
}

// Values of `roi` inside `mask` in crop order, which keeps the order of the original row.
template <typename Value>
QList<double> inside(
    const PreparedRoi &roi, const std::vector<Value> &values, const std::vector<std::uint8_t> &mask)
{
    QList<double> out;
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (mask[n] != 0)
            out.append(static_cast<double>(values[n]));
    return out;
}

} // namespace

class TestPreprocessing : public QObject
{
    Q_OBJECT

private slots:
    void fixedBinNumber();
    void fixedBinSize_data();
    void fixedBinSize();
    void resegmentationRange();
    void outliersBeyondThreeSigmas_data();
    void outliersBeyondThreeSigmas();
    void alignedGridIsCentredOnTheOriginal();
    void linearInterpolationOfARamp();
    void nearestNeighbourOfARamp();
    void preparedRoiAfterResampling();
    void cropKeepsTheLocalIntensityMargin();
    void rejectsAMaskOnAnotherGrid();
    void rejectsAnEmptyRoi();
    void rejectsNonIntegerIntensitiesWithoutDiscretisation();
};

void TestPreprocessing::fixedBinNumber()
{
    // Ng = 4 over [0, 10]: floor(4 x / 10) + 1, and the maximum goes to bin Ng.
    const Row row = rowOf({ 0.0, 2.5, 7.5, 10.0, 4.9 });
    RadiomicsSettings settings;
    settings.discretisation = { DiscretisationMethod::FixedBinNumber, 4, 1.0, std::nullopt };
    const auto roi = prepareRoi(row.image, row.mask, settings);
    QVERIFY2(roi, roi ? "" : roi.error().message().c_str());
    QCOMPARE(inside(*roi, roi->greyLevel, roi->intensityMask), (QList<double> { 1, 2, 4, 4, 2 }));
    QCOMPARE(roi->greyLevelCount, 4);
}

void TestPreprocessing::fixedBinSize_data()
{
    QTest::addColumn<std::optional<double>>("lowerBound");
    QTest::addColumn<QList<double>>("levels");
    QTest::addColumn<int>("levelCount");
    // Width 25: floor((x - min_b) / 25) + 1.
    QTest::newRow("lower bound defaults to the ROI minimum -10")
        << std::optional<double>() << QList<double> { 1, 1, 2, 2, 3 } << 3;
    QTest::newRow("lower bound -50 set explicitly")
        << std::optional<double>(-50.0) << QList<double> { 2, 3, 3, 4, 5 } << 5;
}

void TestPreprocessing::fixedBinSize()
{
    QFETCH(std::optional<double>, lowerBound);
    QFETCH(QList<double>, levels);
    QFETCH(int, levelCount);
    const Row row = rowOf({ -10.0, 0.0, 24.9, 25.0, 60.0 });
    RadiomicsSettings settings;
    settings.discretisation = { DiscretisationMethod::FixedBinSize, 32, 25.0, lowerBound };
    const auto roi = prepareRoi(row.image, row.mask, settings);
    QVERIFY2(roi, roi ? "" : roi.error().message().c_str());
    QCOMPARE(inside(*roi, roi->greyLevel, roi->intensityMask), levels);
    QCOMPARE(roi->greyLevelCount, levelCount);
}

void TestPreprocessing::resegmentationRange()
{
    // Range [0, 30]: -10 and 60 leave the intensity mask but stay in the morphological mask. Fixed
    // bin size 10 then starts at the range minimum 0: 0 -> 1, 24.9 -> 3, 25 -> 3.
    const Row row = rowOf({ -10.0, 0.0, 24.9, 25.0, 60.0 });
    RadiomicsSettings settings;
    settings.resegmentation.minimum = 0.0;
    settings.resegmentation.maximum = 30.0;
    settings.discretisation = { DiscretisationMethod::FixedBinSize, 32, 10.0, std::nullopt };
    const auto roi = prepareRoi(row.image, row.mask, settings);
    QVERIFY2(roi, roi ? "" : roi.error().message().c_str());
    QCOMPARE(inside(*roi, roi->intensity, roi->morphologicalMask), (QList<double> { -10, 0, 24.9f, 25, 60 }));
    QCOMPARE(inside(*roi, roi->intensity, roi->intensityMask), (QList<double> { 0, 24.9f, 25 }));
    QCOMPARE(inside(*roi, roi->greyLevel, roi->intensityMask), (QList<double> { 1, 3, 3 }));
}

void TestPreprocessing::outliersBeyondThreeSigmas_data()
{
    // One voxel of 100 among n - 1 zeros: mean 100 / n, SD 100 sqrt(n - 1) / n. The voxel lies
    // 100 (n - 1) / n from the mean, beyond 3 SD exactly when sqrt(n - 1) > 3, i.e. n > 10.
    QTest::addColumn<int>("count");
    QTest::addColumn<int>("kept");
    QTest::newRow("20 voxels: 100 is 4.4 SD from the mean 5 and is removed") << 20 << 19;
    QTest::newRow("8 voxels: 100 is 2.6 SD from the mean 12.5 and stays") << 8 << 8;
}

void TestPreprocessing::outliersBeyondThreeSigmas()
{
    QFETCH(int, count);
    QFETCH(int, kept);
    QList<double> values(count, 0.0);
    values.back() = 100.0;
    const Row row = rowOf(values);
    RadiomicsSettings settings;
    settings.resegmentation.removeOutliers = true;
    const auto roi = prepareRoi(row.image, row.mask, settings);
    QVERIFY2(roi, roi ? "" : roi.error().message().c_str());
    QCOMPARE(inside(*roi, roi->intensity, roi->intensityMask).size(), kept);
    QCOMPARE(inside(*roi, roi->intensity, roi->morphologicalMask).size(), count);
}

void TestPreprocessing::alignedGridIsCentredOnTheOriginal()
{
    // 2 voxels of 2 mm (centres 0 and 2, extent -1..3) to 1 mm: ceil(2 * 2 / 1) = 4 voxels whose
    // centres -0.5, 0.5, 1.5, 2.5 share the centre 1. 5 voxels of 1 mm to 2 mm: ceil(5 / 2) = 3
    // voxels centred on 2: centres 0, 2, 4.
    ImageGeometry original;
    original.size = { 2, 5, 3 };
    original.spacingMm = { 2.0, 1.0, 3.0 };
    original.originMm = { 10.0, 20.0, 30.0 };
    const ImageGeometry grid = alignedGrid(original, { 1.0, 2.0, 1.0 }, false);
    QCOMPARE(grid.size, (std::array<std::size_t, 3> { 4, 3, 9 }));
    QCOMPARE(grid.spacingMm, (std::array<double, 3> { 1.0, 2.0, 1.0 }));
    QCOMPARE(grid.originMm[0], 9.5);
    QCOMPARE(grid.originMm[1], 20.0);
    QCOMPARE(grid.originMm[2], 29.0); // 3 x 3 mm centred on 33 -> 9 x 1 mm from 29 to 37

    const ImageGeometry inPlane = alignedGrid(original, { 1.0, 2.0, 1.0 }, true);
    QCOMPARE(inPlane.size[2], std::size_t { 3 });
    QCOMPARE(inPlane.spacingMm[2], 3.0);
    QCOMPARE(inPlane.originMm[2], 30.0);
}

void TestPreprocessing::linearInterpolationOfARamp()
{
    // A 2 x 2 x 2 ramp 10 i + 20 j + 40 k at 2 mm, resampled to 1 mm. New voxel m sits at old index
    // 0.5 + (m - 1.5) / 2 = -0.25, 0.25, 0.75, 1.25; beyond the image the edge value holds, so each
    // axis contributes the fractions 0, 0.25, 0.75, 1 of its step.
    Volume ramp;
    ramp.geometry.size = { 2, 2, 2 };
    ramp.geometry.spacingMm = { 2.0, 2.0, 2.0 };
    for (int k = 0; k < 2; ++k)
        for (int j = 0; j < 2; ++j)
            for (int i = 0; i < 2; ++i)
                ramp.voxels.push_back(static_cast<float>(10 * i + 20 * j + 40 * k));
    const ImageGeometry grid = alignedGrid(ramp.geometry, { 1.0, 1.0, 1.0 }, false);
    const auto values = interpolateImage(ramp, grid, { 0, 0, 0 }, grid.size, ImageInterpolation::Linear);
    QCOMPARE(values.size(), std::size_t { 64 });
    const double fraction[] = { 0.0, 0.25, 0.75, 1.0 };
    for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t j = 0; j < 4; ++j)
            for (std::size_t i = 0; i < 4; ++i)
                QCOMPARE(values[grid.linearIndex(i, j, k)],
                    static_cast<float>(10 * fraction[i] + 20 * fraction[j] + 40 * fraction[k]));
    QCOMPARE(values[grid.linearIndex(1, 2, 3)], 57.5f); // 2.5 + 15 + 40
}

void TestPreprocessing::nearestNeighbourOfARamp()
{
    // Old indices -0.25, 0.25, 0.75, 1.25 round to 0, 0, 1, 1.
    Volume ramp;
    ramp.geometry.size = { 2, 1, 1 };
    ramp.geometry.spacingMm = { 2.0, 1.0, 1.0 };
    ramp.voxels = { 0.0f, 10.0f };
    const ImageGeometry grid = alignedGrid(ramp.geometry, { 1.0, 1.0, 1.0 }, false);
    const auto values = interpolateImage(ramp, grid, { 0, 0, 0 }, grid.size, ImageInterpolation::Nearest);
    QCOMPARE(values, (std::vector<float> { 0.0f, 0.0f, 10.0f, 10.0f }));
}

void TestPreprocessing::preparedRoiAfterResampling()
{
    // The ramp of linearInterpolationOfARamp with its whole grid as ROI: the linearly interpolated
    // mask is 1 everywhere, so 64 voxels of 1 mm^3; intensities rounded half away from zero: 2.5 -> 3.
    Volume ramp;
    ramp.geometry.size = { 2, 2, 2 };
    ramp.geometry.spacingMm = { 2.0, 2.0, 2.0 };
    for (int k = 0; k < 2; ++k)
        for (int j = 0; j < 2; ++j)
            for (int i = 0; i < 2; ++i)
                ramp.voxels.push_back(static_cast<float>(10 * i + 20 * j + 40 * k));
    Mask mask { ramp.geometry, std::vector<std::uint8_t>(8, 1), "ramp" };
    RadiomicsSettings settings;
    settings.resampling.spacingMm = std::array<double, 3> { 1.0, 1.0, 1.0 };
    settings.resampling.roundIntensities = true;
    const auto roi = prepareRoi(ramp, mask, settings);
    QVERIFY2(roi, roi ? "" : roi.error().message().c_str());
    const QList<double> values = inside(*roi, roi->intensity, roi->intensityMask);
    QCOMPARE(values.size(), 64);
    QCOMPARE(values.first(), 0.0);
    QCOMPARE(values[1], 3.0); // 2.5 rounded
    QCOMPARE(values[2], 8.0); // 7.5 rounded
    QCOMPARE(values.last(), 70.0);
    QCOMPARE(roi->spacingMm, (std::array<double, 3> { 1.0, 1.0, 1.0 }));
}

void TestPreprocessing::cropKeepsTheLocalIntensityMargin()
{
    // Spacing 1 x 2 x 4 mm: the 6.2 mm sphere needs 7, 4 and 2 voxels around the ROI. Crop voxels
    // beyond the 10 x 10 x 10 image are flagged outside.
    Volume image;
    image.geometry.size = { 10, 10, 10 };
    image.geometry.spacingMm = { 1.0, 2.0, 4.0 };
    image.voxels.assign(1000, 1.0f);
    Mask mask { image.geometry, std::vector<std::uint8_t>(1000, 0), "corner" };
    mask.voxels[image.geometry.linearIndex(0, 5, 5)] = 1;
    const auto roi = prepareRoi(image, mask, {});
    QVERIFY2(roi, roi ? "" : roi.error().message().c_str());
    QCOMPARE(roi->size, (std::array<std::size_t, 3> { 15, 9, 5 }));
    QCOMPARE(roi->insideImage[roi->index(0, 4, 2)], std::uint8_t { 0 }); // i = -7 on the image grid
    QCOMPARE(roi->insideImage[roi->index(7, 4, 2)], std::uint8_t { 1 }); // the ROI voxel
    QCOMPARE(roi->morphologicalMask[roi->index(7, 4, 2)], std::uint8_t { 1 });
    QCOMPARE(roi->originMm[0], -7.0);
}

void TestPreprocessing::rejectsAMaskOnAnotherGrid()
{
    Row row = rowOf({ 1.0, 2.0 });
    row.mask.geometry.spacingMm[0] = 0.5;
    const auto roi = prepareRoi(row.image, row.mask, {});
    QVERIFY(!roi);
    const QString message = QString::fromStdString(roi.error().message());
    QVERIFY2(message.contains("ROI 'row'") && message.contains("differs from the image grid"),
        qPrintable(message));
    QVERIFY2(message.contains("0.5x1x1 mm") && message.contains("1x1x1 mm"), qPrintable(message));
}

void TestPreprocessing::rejectsAnEmptyRoi()
{
    Row row = rowOf({ 1.0, 2.0 });
    row.mask.voxels.assign(2, 0);
    const auto roi = prepareRoi(row.image, row.mask, {});
    QVERIFY(!roi);
    QVERIFY(QString::fromStdString(roi.error().message()).contains("the ROI is empty"));

    // Emptied by re-segmentation.
    Row high = rowOf({ 1.0, 2.0 });
    RadiomicsSettings settings;
    settings.resegmentation.minimum = 5.0;
    const auto resegmented = prepareRoi(high.image, high.mask, settings);
    QVERIFY(!resegmented);
    QVERIFY(QString::fromStdString(resegmented.error().message()).contains("after re-segmentation"));
}

void TestPreprocessing::rejectsNonIntegerIntensitiesWithoutDiscretisation()
{
    const Row row = rowOf({ 1.0, 2.5 });
    RadiomicsSettings settings;
    settings.discretisation.method = DiscretisationMethod::None;
    const auto roi = prepareRoi(row.image, row.mask, settings);
    QVERIFY(!roi);
    QVERIFY(QString::fromStdString(roi.error().message()).contains("integer intensities"));
}

QTEST_APPLESS_MAIN(TestPreprocessing)
#include "tst_preprocessing.moc"
