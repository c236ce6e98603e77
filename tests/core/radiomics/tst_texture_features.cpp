// SPDX-License-Identifier: Apache-2.0
// The texture matrix families (IBSI 1, 3.6 to 3.11) against the IBSI digital phantom's reference
// values. The phantom is used as IBSI prescribes for it: no resampling, no re-segmentation and no
// discretisation, so its intensities 1..6 are the grey levels (Ng = 6).
#include "core/imaging/nifti_reader.h"
#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/texture_features.h"

#include <QFile>
#include <QTest>

#include <algorithm>
#include <cmath>

using namespace mosaic;

namespace {

const QString kPhantomDir = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/imaging/ibsi-digital-phantom");

// The phantom cropped to its mask's bounding box plus a margin of one background voxel on every side,
// as core/radiomics/prepared_roi.h describes.
Result<PreparedRoi> preparePhantom()
{
    auto image = readNifti((kPhantomDir + "/nifti/image/phantom.nii.gz").toStdString());
    if (!image)
        return std::unexpected(image.error());
    auto mask = readNiftiMask((kPhantomDir + "/nifti/mask/mask.nii.gz").toStdString());
    if (!mask)
        return std::unexpected(mask.error());
    if (image->geometry.size != mask->geometry.size)
        return fail(ErrorCode::Malformed, "phantom image and mask differ in size");

    const auto &size = image->geometry.size;
    std::array<std::size_t, 3> lower { size[0], size[1], size[2] };
    std::array<std::size_t, 3> upper { 0, 0, 0 };
    for (std::size_t k = 0; k < size[2]; ++k)
        for (std::size_t j = 0; j < size[1]; ++j)
            for (std::size_t i = 0; i < size[0]; ++i) {
                if (mask->voxels[image->geometry.linearIndex(i, j, k)] == 0)
                    continue;
                const std::array<std::size_t, 3> at { i, j, k };
                for (std::size_t axis = 0; axis < 3; ++axis) {
                    lower[axis] = std::min(lower[axis], at[axis]);
                    upper[axis] = std::max(upper[axis], at[axis]);
                }
            }
    if (lower[0] > upper[0])
        return fail(ErrorCode::Malformed, "phantom mask is empty");

    PreparedRoi roi;
    for (std::size_t axis = 0; axis < 3; ++axis)
        roi.size[axis] = upper[axis] - lower[axis] + 3;
    roi.spacingMm = image->geometry.spacingMm;
    roi.intensity.assign(roi.voxelCount(), 0.0f);
    roi.morphologicalMask.assign(roi.voxelCount(), 0);
    roi.intensityMask.assign(roi.voxelCount(), 0);
    roi.greyLevel.assign(roi.voxelCount(), 0);
    for (std::size_t k = lower[2]; k <= upper[2]; ++k)
        for (std::size_t j = lower[1]; j <= upper[1]; ++j)
            for (std::size_t i = lower[0]; i <= upper[0]; ++i) {
                const std::size_t source = image->geometry.linearIndex(i, j, k);
                const std::size_t target = roi.index(i - lower[0] + 1, j - lower[1] + 1, k - lower[2] + 1);
                roi.intensity[target] = image->voxels[source];
                if (mask->voxels[source] == 0)
                    continue;
                roi.morphologicalMask[target] = 1;
                roi.intensityMask[target] = 1;
                roi.greyLevel[target] = static_cast<int>(std::lround(image->voxels[source]));
                roi.greyLevelCount = std::max(roi.greyLevelCount, roi.greyLevel[target]);
            }
    return roi;
}

struct ReferenceRow
{
    QString tag;
    QString printedValue;
    double value = 0.0;
    double tolerance = 0.0;
};

bool isTextureTag(const QString &tag)
{
    static const QStringList prefixes { "cm_", "rlm_", "szm_", "dzm_", "ngt_", "ngl_" };
    return std::ranges::any_of(prefixes, [&tag](const QString &prefix) { return tag.startsWith(prefix); });
}

// Columns are read from the right: the family column is quoted and may contain commas.
QList<ReferenceRow> readReferenceRows()
{
    QList<ReferenceRow> rows;
    QFile file(kPhantomDir + "/reference_values.csv");
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return rows;
    file.readLine(); // header
    while (!file.atEnd()) {
        const QStringList cells = QString::fromUtf8(file.readLine()).trimmed().split(',');
        if (cells.size() < 10 || !isTextureTag(cells.last()))
            continue;
        const qsizetype count = cells.size();
        rows.append(
            { cells[count - 1], cells[count - 6], cells[count - 6].toDouble(), cells[count - 5].toDouble() });
    }
    return rows;
}

// Half a unit in the last significant digit of the printed reference. The table prints three
// significant digits and drops trailing zeros ("7" is 7.00, "1490" is 1.49e3).
double roundingAllowance(const QString &printed, double value)
{
    if (value == 0.0)
        return 1e-9;
    // Digits from the first non-zero one; trailing zeros of a number without a decimal point are
    // placeholders, not significant.
    QString digits;
    for (const QChar character : printed)
        if (character.isDigit() && (!digits.isEmpty() || character != '0'))
            digits.append(character);
    if (!printed.contains('.'))
        while (digits.endsWith('0'))
            digits.chop(1);
    const auto significantDigits = static_cast<int>(digits.size());
    const int shownDigits = std::max(3, significantDigits);
    const int exponent = static_cast<int>(std::floor(std::log10(std::abs(value))));
    return 0.5 * std::pow(10.0, exponent - shownDigits + 1);
}

} // namespace

class TestTextureFeatures : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void phantomHasSixGreyLevels();
    void matchesIbsiReference_data();
    void matchesIbsiReference();
    void everyReferenceTagIsComputed();
    void widerMarginChangesNothing();
    void singleGreyLevelGivesFiniteValues();
    void aggregationSubsetEqualsFullRun_data();
    void aggregationSubsetEqualsFullRun();

private:
    PreparedRoi m_roi;
    RadiomicsFeatures m_features;
};

void TestTextureFeatures::initTestCase()
{
    auto roi = preparePhantom();
    QVERIFY2(roi.has_value(), roi ? "" : roi.error().message().c_str());
    m_roi = std::move(*roi);
    addTextureFeatures(m_roi, m_features);
}

void TestTextureFeatures::phantomHasSixGreyLevels()
{
    QCOMPARE(m_roi.greyLevelCount, 6);
    QCOMPARE(std::ranges::count(m_roi.intensityMask, std::uint8_t { 1 }), 74);
}

void TestTextureFeatures::matchesIbsiReference_data()
{
    QTest::addColumn<QString>("tag");
    QTest::addColumn<QString>("printedValue");
    QTest::addColumn<double>("reference");
    QTest::addColumn<double>("tolerance");
    const QList<ReferenceRow> rows = readReferenceRows();
    QVERIFY(rows.size() == 408);
    for (const ReferenceRow &row : rows)
        QTest::newRow(qPrintable(row.tag)) << row.tag << row.printedValue << row.value << row.tolerance;
}

void TestTextureFeatures::matchesIbsiReference()
{
    QFETCH(QString, tag);
    QFETCH(QString, printedValue);
    QFETCH(double, reference);
    QFETCH(double, tolerance);
    const std::optional<double> value = findFeature(m_features, tag.toStdString());
    QVERIFY2(value.has_value(), qPrintable(tag + " was not computed"));
    const double allowed = tolerance + roundingAllowance(printedValue, reference);
    QVERIFY2(std::abs(*value - reference) <= allowed,
        qPrintable(QStringLiteral("%1: computed %2, reference %3 (allowed difference %4)")
                       .arg(tag)
                       .arg(*value, 0, 'g', 8)
                       .arg(printedValue)
                       .arg(allowed)));
}

// No tag is produced twice and no unknown tag slips in.
void TestTextureFeatures::everyReferenceTagIsComputed()
{
    QStringList tags;
    for (const RadiomicsFeature &feature : m_features)
        tags.append(QString::fromStdString(feature.tag));
    const qsizetype computed = tags.size();
    tags.removeDuplicates();
    QCOMPARE(tags.size(), computed);
    QCOMPARE(computed, qsizetype { 408 });
}

// prepared_roi.h allows a margin wider than one voxel (the local-intensity sphere needs one).
void TestTextureFeatures::widerMarginChangesNothing()
{
    constexpr std::size_t kExtra = 2;
    PreparedRoi padded;
    for (std::size_t axis = 0; axis < 3; ++axis)
        padded.size[axis] = m_roi.size[axis] + 2 * kExtra;
    padded.greyLevelCount = m_roi.greyLevelCount;
    padded.greyLevel.assign(padded.voxelCount(), 0);
    padded.intensityMask.assign(padded.voxelCount(), 0);
    padded.morphologicalMask.assign(padded.voxelCount(), 0);
    for (std::size_t k = 0; k < m_roi.size[2]; ++k)
        for (std::size_t j = 0; j < m_roi.size[1]; ++j)
            for (std::size_t i = 0; i < m_roi.size[0]; ++i) {
                const std::size_t source = m_roi.index(i, j, k);
                const std::size_t target = padded.index(i + kExtra, j + kExtra, k + kExtra);
                padded.greyLevel[target] = m_roi.greyLevel[source];
                padded.intensityMask[target] = m_roi.intensityMask[source];
                padded.morphologicalMask[target] = m_roi.morphologicalMask[source];
            }
    RadiomicsFeatures features;
    addTextureFeatures(padded, features);
    QCOMPARE(features.size(), m_features.size());
    for (std::size_t index = 0; index < features.size(); ++index) {
        QCOMPARE(features[index].tag, m_features[index].tag);
        QCOMPARE(features[index].value, m_features[index].value);
    }
}

// IBSI 1 leaves some features undefined for a ROI of one grey level (GLCM correlation, NGTDM
// coarseness, ...); texture_features.h documents the values chosen. None may be NaN or infinite.
void TestTextureFeatures::singleGreyLevelGivesFiniteValues()
{
    PreparedRoi cube;
    cube.size = { 5, 5, 5 };
    cube.greyLevelCount = 1;
    cube.greyLevel.assign(cube.voxelCount(), 0);
    cube.intensityMask.assign(cube.voxelCount(), 0);
    cube.morphologicalMask.assign(cube.voxelCount(), 0);
    for (std::size_t k = 1; k <= 3; ++k)
        for (std::size_t j = 1; j <= 3; ++j)
            for (std::size_t i = 1; i <= 3; ++i) {
                const std::size_t voxel = cube.index(i, j, k);
                cube.greyLevel[voxel] = 1;
                cube.intensityMask[voxel] = 1;
                cube.morphologicalMask[voxel] = 1;
            }
    RadiomicsFeatures features;
    addTextureFeatures(cube, features);
    QCOMPARE(features.size(), std::size_t { 408 });
    for (const RadiomicsFeature &feature : features)
        QVERIFY2(std::isfinite(feature.value), feature.tag.c_str());
    QCOMPARE(*findFeature(features, "cm_corr_3D_comb"), 1.0);
    QCOMPARE(*findFeature(features, "cm_info_corr1_3D_comb"), 0.0);
    QCOMPARE(*findFeature(features, "ngt_coarseness_3D"), 1.0e6);
    QCOMPARE(*findFeature(features, "szm_zs_var_3D"), 0.0);
}

// The aggregation a tag belongs to, from its suffix (IBSI 1 reference tables).
QString aggregationOf(const std::string &tag)
{
    const QString name = QString::fromStdString(tag);
    if (name.contains(QStringLiteral("_2_5D")))
        return QStringLiteral("2.5D");
    if (name.contains(QStringLiteral("_2D")))
        return QStringLiteral("2D");
    return QStringLiteral("3D");
}

void TestTextureFeatures::aggregationSubsetEqualsFullRun_data()
{
    QTest::addColumn<bool>("slice2D");
    QTest::addColumn<bool>("slice25D");
    QTest::addColumn<bool>("volume3D");
    QTest::newRow("3D only, as the sarcoma case study computes") << false << false << true;
    QTest::newRow("2D only") << true << false << false;
    QTest::newRow("2.5D only") << false << true << false;
    QTest::newRow("2D and 3D, without 2.5D") << true << false << true;
    QTest::newRow("none: no texture feature at all") << false << false << false;
}

// Asking for fewer aggregations skips work but changes no value: the features are exactly the full
// run's features of those aggregations, in the same order, and no others.
void TestTextureFeatures::aggregationSubsetEqualsFullRun()
{
    QFETCH(bool, slice2D);
    QFETCH(bool, slice25D);
    QFETCH(bool, volume3D);
    const AggregationSettings aggregation { slice2D, slice25D, volume3D };
    RadiomicsFeatures expected;
    for (const RadiomicsFeature &feature : m_features) {
        const QString of = aggregationOf(feature.tag);
        if ((of == "2D" && slice2D) || (of == "2.5D" && slice25D) || (of == "3D" && volume3D))
            expected.push_back(feature);
    }
    RadiomicsFeatures features;
    addTextureFeatures(m_roi, aggregation, features);
    QCOMPARE(features.size(), expected.size());
    for (std::size_t index = 0; index < features.size(); ++index) {
        QCOMPARE(features[index].tag, expected[index].tag);
        QCOMPARE(features[index].value, expected[index].value);
    }
}

QTEST_APPLESS_MAIN(TestTextureFeatures)
#include "tst_texture_features.moc"
