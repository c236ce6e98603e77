// SPDX-License-Identifier: Apache-2.0
// The RTSTRUCT reader on structure sets built byte by byte in the test (valid and broken), and on a
// real one from the STS set, whose voxel count is checked against an independent rasterization
// in Python (pydicom + numpy, even-odd point-in-polygon of voxel centres).
#include "core/imaging/dicom_series_reader.h"
#include "core/imaging/roi_image_loader.h"
#include "core/imaging/rtstruct_rasterizer.h"
#include "core/imaging/rtstruct_reader.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/imaging/dicom_byte_builder.h"
#include <filesystem>

using namespace mosaic;
using namespace mosaic::test;

namespace {

const QByteArray kRtStructClass = "1.2.840.10008.5.1.4.1.1.481.3";
const QByteArray kCtImageClass = "1.2.840.10008.5.1.4.1.1.2";

struct ContourBytes
{
    QByteArray geometry = "CLOSED_PLANAR";
    QByteArray declaredPoints = "4"; // empty: element left out
    QByteArray data = "1.5\\1.5\\0\\6.5\\1.5\\0\\6.5\\4.5\\0\\1.5\\4.5\\0";
};

// `roiFrameOfReference` is the ROI's own Referenced Frame of Reference UID (3006,0024); empty: the
// same as the declared frame.
QByteArray rtStructBytes(const ContourBytes &contour, const QByteArray &sopClass = kRtStructClass,
    const QByteArray &frameOfReference = "1.2.3", const QByteArray &roiFrameOfReference = {})
{
    QByteArray contourItem;
    contourItem += dicomSequence(0x3006, 0x0016, { dicomElement(0x0008, 0x1155, "UI", "1.2.3.100") });
    contourItem += dicomElement(0x3006, 0x0042, "CS", contour.geometry);
    if (!contour.declaredPoints.isEmpty())
        contourItem += dicomElement(0x3006, 0x0046, "IS", contour.declaredPoints);
    contourItem += dicomElement(0x3006, 0x0050, "DS", contour.data);

    QByteArray dataset;
    dataset += dicomElement(0x0008, 0x0016, "UI", sopClass);
    dataset += dicomElement(0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.10.1.1");
    dataset += dicomElement(0x0008, 0x0060, "CS", sopClass == kRtStructClass ? "RTSTRUCT" : "CT");
    const QByteArray series = dicomElement(0x0020, 0x000e, "UI", "1.2.3.4");
    const QByteArray study = dicomSequence(0x3006, 0x0014, { series });
    dataset += dicomSequence(0x3006, 0x0010,
        { dicomElement(0x0020, 0x0052, "UI", frameOfReference) + dicomSequence(0x3006, 0x0012, { study }) });
    dataset += dicomSequence(0x3006, 0x0020,
        { dicomElement(0x3006, 0x0022, "IS", "7")
            + dicomElement(
                0x3006, 0x0024, "UI", roiFrameOfReference.isEmpty() ? frameOfReference : roiFrameOfReference)
            + dicomElement(0x3006, 0x0026, "LO", "GTV") });
    dataset += dicomSequence(0x3006, 0x0039,
        { dicomSequence(0x3006, 0x0040, { contourItem }) + dicomElement(0x3006, 0x0084, "IS", "7") });
    return dicomFile(dataset, sopClass);
}

std::filesystem::path writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &bytes)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write a test file");
    return std::filesystem::path(path.toStdString());
}

ImageGeometry unitGrid()
{
    ImageGeometry grid;
    grid.size = { 10, 10, 1 };
    grid.frameOfReferenceUid = "1.2.3";
    return grid;
}

// Independent of Mosaic: pydicom reads the image slices and the RTSTRUCT; each contour goes to the
// slice of nearest z; centres are tested with the crossing-number (even-odd) rule, which counts an
// edge for y in [min, max) and a crossing for x < x_cross, the same half-open convention as
// rtstruct_rasterizer.h. Contours of one slice combine by exclusive or. Axial images only (checked).
const char *kPythonRasterizer = R"PY(
import json, sys, glob, os
import numpy as np
import pydicom
image_dir, rs_path, roi_name = sys.argv[1], sys.argv[2], sys.argv[3]
slices = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(image_dir, '*.dcm')))]
slices.sort(key=lambda s: float(s.ImagePositionPatient[2]))
first = slices[0]
assert [round(float(v), 6) for v in first.ImageOrientationPatient] == [1, 0, 0, 0, 1, 0], 'axial only'
x0, y0, z0 = (float(v) for v in first.ImagePositionPatient)
dy, dx = (float(v) for v in first.PixelSpacing)  # PixelSpacing is row spacing, column spacing
dz = float(slices[1].ImagePositionPatient[2]) - z0
rows, cols, n = int(first.Rows), int(first.Columns), len(slices)
mask = np.zeros((n, rows, cols), dtype=bool)
rs = pydicom.dcmread(rs_path)
number = [r.ROINumber for r in rs.StructureSetROISequence if r.ROIName == roi_name][0]
jj, ii = np.mgrid[0:rows, 0:cols].astype(float)
for rc in rs.ROIContourSequence:
    if rc.ReferencedROINumber != number:
        continue
    for c in rc.ContourSequence:
        p = np.array([float(v) for v in c.ContourData]).reshape(-1, 3)
        k = int(round((p[:, 2].mean() - z0) / dz))
        px, py = (p[:, 0] - x0) / dx, (p[:, 1] - y0) / dy
        inside = np.zeros((rows, cols), dtype=bool)
        for a in range(len(px)):
            b = (a + 1) % len(px)
            if py[a] == py[b]:
                continue
            spans = (py[a] > jj) != (py[b] > jj)
            xc = px[a] + (jj - py[a]) * (px[b] - px[a]) / (py[b] - py[a])
            inside ^= spans & (ii < xc)
        mask[k] ^= inside
print(json.dumps({'count': int(mask.sum()), 'size': [cols, rows, n], 'spacing': [dx, dy, dz],
                  'origin': [x0, y0, z0], 'frameOfReference': str(first.FrameOfReferenceUID),
                  'sopInstanceUids': [str(s.SOPInstanceUID) for s in slices]}))
)PY";

} // namespace

Q_DECLARE_METATYPE(ContourBytes)
Q_DECLARE_METATYPE(ErrorCode)

class TestRtStructReader : public QObject
{
    Q_OBJECT

private slots:
    void readsBuiltStructureSet();
    void refusesBrokenFiles_data();
    void refusesBrokenFiles();
    void refusesMissingFile();
    void placesRoiWithUndeclaredFrameInTheDeclaredFrame();
    void refusesRoiInDeclaredFrameOtherThanTheImages();
    void rasterizesRealPetContourLikeIndependentRasterizer();
    void loadsRealPetContourWhoseRoiFrameIsStale();
};

void TestRtStructReader::readsBuiltStructureSet()
{
    QTemporaryDir dir;
    const auto path = writeFile(dir, "RS.dcm", rtStructBytes({}));
    const auto rtStruct = readRtStruct(path);
    QVERIFY2(rtStruct.has_value(), rtStruct ? "" : rtStruct.error().message().c_str());
    QCOMPARE(rtStruct->sourceName, std::string("RS.dcm"));
    QCOMPARE(rtStruct->frameOfReferenceUid, std::string("1.2.3"));
    QCOMPARE(rtStruct->referencedSeriesUids, std::vector<std::string> { "1.2.3.4" });
    QCOMPARE(rtStruct->rois.size(), std::size_t { 1 });
    const RtRoi &roi = rtStruct->rois.front();
    QCOMPARE(roi.number, 7);
    QCOMPARE(roi.name, std::string("GTV"));
    QCOMPARE(roi.contours.size(), std::size_t { 1 });
    QCOMPARE(roi.contours.front().pointsMm.size(), std::size_t { 4 });
    QCOMPARE(roi.contours.front().pointsMm[2], (std::array<double, 3> { 6.5, 4.5, 0.0 }));
    QCOMPARE(roi.contours.front().referencedSopInstanceUids, std::vector<std::string> { "1.2.3.100" });

    const auto lines = describeRtStruct(*rtStruct);
    QVERIFY(std::ranges::find(lines, "ROI 7 'GTV': 1 contours (1 closed), 4 points") != lines.end());
    QVERIFY(std::ranges::find(lines, "referenced series: 1.2.3.4") != lines.end());

    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(*rtStruct, "GTV", unitGrid(), {}, warnings);
    QVERIFY(mask.has_value());
    QCOMPARE(mask->count(), std::size_t { 15 }); // centres 2..6 by 2..4
}

void TestRtStructReader::refusesBrokenFiles_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");

    ContourBytes tooMany;
    tooMany.declaredPoints = "10";
    QTest::newRow("Number of Contour Points larger than the data")
        << rtStructBytes(tooMany) << ErrorCode::Malformed
        << "RTSTRUCT 'RS.dcm', ROI 7 'GTV', contour 1: Number of Contour Points (3006,0046) says 10 but "
           "Contour "
           "Data holds 4 points";
    ContourBytes empty;
    empty.data = "";
    empty.declaredPoints = "0";
    QTest::newRow("empty Contour Data")
        << rtStructBytes(empty) << ErrorCode::Malformed
        << "RTSTRUCT 'RS.dcm', ROI 7 'GTV', contour 1: Contour Data (3006,0050) is empty";
    ContourBytes partial;
    partial.data = "1\\2\\3\\4";
    partial.declaredPoints = "";
    QTest::newRow("Contour Data not whole (x, y, z) points")
        << rtStructBytes(partial) << ErrorCode::Malformed
        << "RTSTRUCT 'RS.dcm', ROI 7 'GTV', contour 1: Contour Data (3006,0050) holds 4 numbers, not a whole "
           "number "
           "of (x, y, z) points";
    ContourBytes text;
    text.data = "1\\2\\abc\\4\\5\\6\\7\\8\\9";
    text.declaredPoints = "3";
    QTest::newRow("Contour Data value that is not a number")
        << rtStructBytes(text) << ErrorCode::Malformed
        << "RTSTRUCT 'RS.dcm', ROI 7 'GTV', contour 1: Contour Data (3006,0050) value 3 is not a finite "
           "decimal number";
    ContourBytes geometry;
    geometry.geometry = "CIRCLE";
    QTest::newRow("unknown Contour Geometric Type")
        << rtStructBytes(geometry) << ErrorCode::Malformed
        << "RTSTRUCT 'RS.dcm', ROI 7 'GTV', contour 1: Contour Geometric Type (3006,0042) 'CIRCLE' is not "
           "one of "
           "CLOSED_PLANAR, CLOSEDPLANAR_XOR, POINT, OPEN_PLANAR, OPEN_NONPLANAR";
    QTest::newRow("a CT image, not an RTSTRUCT") << rtStructBytes({}, kCtImageClass) << ErrorCode::Unsupported
                                                 << "RTSTRUCT 'RS.dcm': not an RT Structure Set (SOP class "
                                                    "'1.2.840.10008.5.1.4.1.1.2', modality 'CT')";
    // DCMTK's reason follows the colon; only the start is compared.
    QTest::newRow("bytes that are not DICOM")
        << QByteArray("this is a text file, not DICOM\n") << ErrorCode::Malformed
        << "RTSTRUCT 'RS.dcm': not a readable DICOM file";
    const QByteArray whole = rtStructBytes({});
    QTest::newRow("file cut inside the contour data")
        << whole.left(whole.indexOf("6.5\\4.5")) << ErrorCode::Malformed
        << "RTSTRUCT 'RS.dcm': not a readable DICOM file";
}

void TestRtStructReader::refusesBrokenFiles()
{
    QFETCH(QByteArray, bytes);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const auto rtStruct = readRtStruct(writeFile(dir, "RS.dcm", bytes));
    QVERIFY(!rtStruct.has_value());
    QVERIFY2(QString::fromStdString(rtStruct.error().message()).startsWith(message),
        rtStruct.error().message().c_str());
    QCOMPARE(rtStruct.error().code, code);
}

void TestRtStructReader::refusesMissingFile()
{
    const auto rtStruct = readRtStruct("/nonexistent/RS.dcm");
    QVERIFY(!rtStruct.has_value());
    QCOMPARE(rtStruct.error().code, ErrorCode::NotFound);
    QCOMPARE(rtStruct.error().location, std::string("RTSTRUCT 'RS.dcm'"));
}

// PS3.3 C.8.8.5: an ROI's frame must be one the structure set declares. One that is not is a stale
// reference (STS_046's PET contour); with one declared frame, the ROI is in that one, with a warning.
void TestRtStructReader::placesRoiWithUndeclaredFrameInTheDeclaredFrame()
{
    QTemporaryDir dir;
    const auto rtStruct
        = readRtStruct(writeFile(dir, "RS.dcm", rtStructBytes({}, kRtStructClass, "1.2.3", "9.9.9")));
    QVERIFY2(rtStruct.has_value(), rtStruct ? "" : rtStruct.error().message().c_str());
    QCOMPARE(rtStruct->rois.front().frameOfReferenceUid, std::string("1.2.3"));
    QCOMPARE(rtStruct->warnings.size(), std::size_t { 1 });
    QCOMPARE(rtStruct->warnings.front(),
        std::string("ROI 7 'GTV' names a frame of reference that the structure set does not declare; it is "
                    "taken to be in the structure set's one declared frame"));
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(*rtStruct, "GTV", unitGrid(), {}, warnings);
    QVERIFY2(mask.has_value(), mask ? "" : mask.error().message().c_str());
    QCOMPARE(mask->count(), std::size_t { 15 });
}

// A frame the structure set does declare is believed: if it is not the image's, the contour is refused.
void TestRtStructReader::refusesRoiInDeclaredFrameOtherThanTheImages()
{
    QTemporaryDir dir;
    const auto rtStruct = readRtStruct(writeFile(dir, "RS.dcm", rtStructBytes({}, kRtStructClass, "4.5.6")));
    QVERIFY(rtStruct.has_value());
    QCOMPARE(rtStruct->rois.front().frameOfReferenceUid, std::string("4.5.6"));
    QVERIFY(rtStruct->warnings.empty());
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(*rtStruct, "GTV", unitGrid(), {}, warnings);
    QVERIFY(!mask.has_value());
    QCOMPARE(mask.error().code, ErrorCode::IntegrityFailed);
}

void TestRtStructReader::rasterizesRealPetContourLikeIndependentRasterizer()
{
    const QString patient = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/imaging/sts/STS_001/PET");
    if (!QDir(patient).exists())
        QSKIP("shared/data/imaging/sts is absent; the real-data comparison needs it");
    if (!QFile::exists("/usr/bin/python3"))
        QSKIP("/usr/bin/python3 is absent; the independent rasterization needs it");
    QTemporaryDir dir;
    QFile script(dir.filePath("rasterize.py"));
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write(kPythonRasterizer);
    script.close();
    QProcess python;
    python.start("/usr/bin/python3",
        { script.fileName(), patient + "/image", patient + "/mask/RS.dcm", "GTV_Mass_PET" });
    QVERIFY(python.waitForFinished(120'000));
    if (python.exitCode() != 0 && python.readAllStandardError().contains("No module named"))
        QSKIP("pydicom or numpy is not installed for /usr/bin/python3 (packaging/install-deps.sh installs "
              "them)");
    QCOMPARE(python.exitCode(), 0);
    const QJsonObject truth = QJsonDocument::fromJson(python.readAllStandardOutput()).object();

    // The grid as pydicom saw it, so this test does not depend on Mosaic's series reader.
    ImageGeometry grid;
    for (int axis = 0; axis < 3; ++axis) {
        grid.size[axis] = static_cast<std::size_t>(truth["size"].toArray()[axis].toInt());
        grid.spacingMm[axis] = truth["spacing"].toArray()[axis].toDouble();
        grid.originMm[axis] = truth["origin"].toArray()[axis].toDouble();
    }
    grid.frameOfReferenceUid = truth["frameOfReference"].toString().toStdString();
    std::vector<std::string> sopInstanceUids;
    for (const auto &uid : truth["sopInstanceUids"].toArray())
        sopInstanceUids.push_back(uid.toString().toStdString());

    const auto rtStruct = readRtStruct((patient + "/mask/RS.dcm").toStdString());
    QVERIFY2(rtStruct.has_value(), rtStruct ? "" : rtStruct.error().message().c_str());
    QCOMPARE(rtStruct->rois.front().name, std::string("GTV_Mass_PET"));
    std::vector<std::string> warnings;
    const auto mask = rasterizeRoi(*rtStruct, "GTV_Mass_PET", grid, sopInstanceUids, warnings);
    QVERIFY2(mask.has_value(), mask ? "" : mask.error().message().c_str());
    QVERIFY(mask->count() > 100);
    // Same rule, same inputs: only a point exactly on a centre line could tip differently (the
    // index arithmetic differs), so equality is expected.
    QCOMPARE(static_cast<qint64>(mask->count()), truth["count"].toInteger());
    // Mosaic's own series reader must see the same grid, and give the same mask on it.
    const auto series = readDicomSeries((patient + "/image").toStdString());
    QVERIFY2(series.has_value(), series ? "" : series.error().message().c_str());
    QVERIFY(series->volume.geometry.sameGrid(grid));
    QCOMPARE(series->frameOfReferenceUid, grid.frameOfReferenceUid);
    std::vector<std::string> seriesWarnings;
    const auto seriesMask = rasterizeRoi(
        *rtStruct, "GTV_Mass_PET", series->volume.geometry, series->sopInstanceUids, seriesWarnings);
    QVERIFY(seriesMask.has_value());
    QCOMPARE(seriesMask->voxels, mask->voxels);
    // The per-contour image references point at the uncropped original series (data README).
    QCOMPARE(warnings.size(), std::size_t { 1 });
    QVERIFY2(warnings.front().find("contours reference image instances that are not in this series")
            != std::string::npos,
        warnings.front().c_str());
}

// STS_046's PET structure set declares the PET image's frame, but its ROI names another one that no
// image of the patient is in; its points are the T1 contour's and lie inside the PET image, which
// was cropped 5 cm around them. It loads, with both stale references reported as warnings.
void TestRtStructReader::loadsRealPetContourWhoseRoiFrameIsStale()
{
    const QString patient = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/imaging/sts/STS_046/PET");
    if (!QDir(patient).exists())
        QSKIP("shared/data/imaging/sts is absent; the real-data check needs it");
    const auto loaded = loadRoiImage(
        (patient + "/image").toStdString(), (patient + "/mask/RS.dcm").toStdString(), "GTV_Mass_PET");
    QVERIFY2(loaded.has_value(), loaded ? "" : loaded.error().message().c_str());
    QVERIFY(loaded->mask.count() > 1000);
    const auto has = [&](const char *text) {
        return std::ranges::any_of(loaded->warnings,
            [&](const std::string &warning) { return warning.find(text) != std::string::npos; });
    };
    QVERIFY(
        has("RTSTRUCT 'RS.dcm': ROI 2 'GTV_Mass_PET' names a frame of reference that the structure set does "
            "not declare"));
    QVERIFY(has("contours reference image instances that are not in this series"));
}

QTEST_APPLESS_MAIN(TestRtStructReader)
#include "tst_rtstruct_reader.moc"
