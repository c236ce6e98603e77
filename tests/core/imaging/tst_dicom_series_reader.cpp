// SPDX-License-Identifier: Apache-2.0
// The peer for every expected value here is pydicom (2.3, Debian's python3-pydicom), run at test time:
// it sorts the slices by their position projected on the slice normal, works out the spacing and
// rescales the stored values itself, and writes modified copies (BQML PET, broken geometry). Tests
// that need it are skipped when /usr/bin/python3 cannot import pydicom. Files DCMTK decodes but
// pydicom cannot (JPEG-LS without plugins) are compared with their uncompressed siblings instead.
#include "core/imaging/dicom_series_reader.h"

// DCMTK only writes the JPEG-compressed twin of a test file; the code under test is mosaic_imaging.
#include <dcmtk/dcmdata/dctk.h>
#include <dcmtk/dcmjpeg/djencode.h>
#include <dcmtk/dcmjpeg/djrplol.h>

#include <QDebug>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <random>

using namespace mosaic;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(MOSAIC_SHARED_DATA_DIR) / "imaging";
const fs::path kPetFolder = kData / "sts/STS_001/PET/image";
const fs::path kEdgeFolder = kData / "dicom-edge-cases/pydicom";

// Shared Python: slices sorted by projection of Image Position (Patient) on the normal of Image
// Orientation (Patient) (PS3.3 C.7.6.2.1.1), exactly as the reader under test is meant to.
const char *kPythonPrelude = R"(
import sys, os, json, glob
import numpy as np
import pydicom
def load(folder):
    ds = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(folder, '*')))]
    iop = np.array(ds[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    ds.sort(key=lambda d: float(np.dot(np.array(d.ImagePositionPatient, dtype=float), normal)))
    return ds, normal
)";

bool pydicomAvailable()
{
    static const bool available = [] {
        QProcess python;
        python.start("/usr/bin/python3", { "-c", "import pydicom, numpy" });
        return python.waitForFinished(60000) && python.exitStatus() == QProcess::NormalExit
            && python.exitCode() == 0;
    }();
    return available;
}

// Runs the prelude plus `body` with `arguments`; returns stdout parsed as JSON (or an empty object).
QJsonObject runPython(const QString &body, const QStringList &arguments = {})
{
    QProcess python;
    python.start("/usr/bin/python3", QStringList { "-c", QString(kPythonPrelude) + body } + arguments);
    if (!python.waitForFinished(120000) || python.exitCode() != 0) {
        qWarning() << "python failed:" << python.readAllStandardError();
        return {};
    }
    return QJsonDocument::fromJson(python.readAllStandardOutput()).object();
}

std::vector<fs::path> filesIn(const fs::path &folder)
{
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(folder))
        if (entry.is_regular_file())
            files.push_back(entry.path());
    std::ranges::sort(files);
    return files;
}

QString messageOf(const Error &error)
{
    return QString::fromStdString(error.message());
}

} // namespace

class TestDicomSeriesReader : public QObject
{
    Q_OBJECT

private slots:
    void readsStsPetLikePydicom();
    void shuffledFileNamesGiveTheSameVolume();
    void convertsBqmlToSuvbw();
    void refusesBrokenGeometry_data();
    void refusesBrokenGeometry();
    void refusesMissingMiddleSlice();
    void refusesTwoSeriesInOneFolder();
    void decodesCompressedLikeUncompressed_data();
    void decodesCompressedLikeUncompressed();
    void decodesDeflateLikePydicom();
    void decodesJpegLosslessLikeUncompressed();
    void refusesWhatItCannotRead_data();
    void refusesWhatItCannotRead();
    void readsDicomdir();
};

void TestDicomSeriesReader::readsStsPetLikePydicom()
{
    if (!pydicomAvailable())
        QSKIP("pydicom is not importable by /usr/bin/python3");
    const auto series = readDicomSeries(kPetFolder);
    QVERIFY2(series.has_value(), series ? "" : qPrintable(messageOf(series.error())));
    const QJsonObject expected = runPython(R"(
ds, normal = load(sys.argv[1])
pos = [[float(v) for v in d.ImagePositionPatient] for d in ds]
steps = np.diff([np.dot(p, normal) for p in pos])
voxels = [[0, 0, 0], [20, 21, 29], [40, 42, 58], [7, 30, 11]]
values = [float(ds[k].pixel_array[j, i]) * float(ds[k].RescaleSlope) + float(ds[k].RescaleIntercept) for i, j, k in voxels]
print(json.dumps({'size': [int(ds[0].Columns), int(ds[0].Rows), len(ds)], 'first': pos[0], 'last': pos[-1],
  'spacing': [float(ds[0].PixelSpacing[1]), float(ds[0].PixelSpacing[0]), float(np.median(steps))],
  'voxels': voxels, 'values': values, 'sop': [d.SOPInstanceUID for d in ds], 'units': ds[0].Units}))
)",
        { QString::fromStdString(kPetFolder.string()) });
    QVERIFY(!expected.isEmpty());
    const ImageGeometry &geometry = series->volume.geometry;
    QCOMPARE(series->modality, std::string("PT"));
    QCOMPARE(series->volume.unit, std::string("SUVbw")); // Units GML: already SUVbw
    QCOMPARE(geometry.size[2], std::size_t { 59 });
    for (int axis = 0; axis < 3; ++axis) {
        QCOMPARE(geometry.size[axis], std::size_t(expected["size"].toArray()[axis].toInt()));
        QVERIFY(std::abs(geometry.spacingMm[axis] - expected["spacing"].toArray()[axis].toDouble()) < 1e-6);
        QVERIFY(std::abs(geometry.originMm[axis] - expected["first"].toArray()[axis].toDouble()) < 1e-6);
        QVERIFY(std::abs(series->slicePositionsMm.back()[axis] - expected["last"].toArray()[axis].toDouble())
            < 1e-6);
    }
    for (qsizetype index = 0; index < expected["voxels"].toArray().size(); ++index) {
        const QJsonArray ijk = expected["voxels"].toArray()[index].toArray();
        const double value = expected["values"].toArray()[index].toDouble();
        const float actual = series->volume.at(
            std::size_t(ijk[0].toInt()), std::size_t(ijk[1].toInt()), std::size_t(ijk[2].toInt()));
        QVERIFY2(std::abs(actual - value) <= 1e-5 * std::max(1.0, std::abs(value)),
            qPrintable(QString("voxel %1: %2 vs pydicom %3").arg(index).arg(actual).arg(value)));
    }
    const QJsonArray sops = expected["sop"].toArray();
    QCOMPARE(series->sopInstanceUids.size(), std::size_t(sops.size()));
    for (qsizetype k = 0; k < sops.size(); ++k)
        QCOMPARE(QString::fromStdString(series->sopInstanceUids[std::size_t(k)]), sops[k].toString());
    QVERIFY(!series->seriesInstanceUid.empty());
    QVERIFY(!series->frameOfReferenceUid.empty());
    QCOMPARE(geometry.frameOfReferenceUid, series->frameOfReferenceUid);
    QVERIFY(series->warnings.empty());
}

void TestDicomSeriesReader::shuffledFileNamesGiveTheSameVolume()
{
    const auto original = readDicomSeries(kPetFolder);
    QVERIFY(original.has_value());
    QTemporaryDir dir;
    auto files = filesIn(kPetFolder);
    std::vector<int> names(files.size());
    std::iota(names.begin(), names.end(), 0);
    std::shuffle(names.begin(), names.end(), std::mt19937(20240601));
    for (std::size_t index = 0; index < files.size(); ++index)
        fs::copy_file(files[index],
            fs::path(dir.path().toStdString()) / ("x" + std::to_string(names[index] * 7919 % 1000)));
    const auto shuffled = readDicomSeries(fs::path(dir.path().toStdString()));
    QVERIFY2(shuffled.has_value(), shuffled ? "" : qPrintable(messageOf(shuffled.error())));
    QVERIFY(shuffled->volume.geometry.sameGrid(original->volume.geometry, 0.0));
    QVERIFY(shuffled->volume.voxels == original->volume.voxels);
    QVERIFY(shuffled->sopInstanceUids == original->sopInstanceUids);
}

void TestDicomSeriesReader::convertsBqmlToSuvbw()
{
    if (!pydicomAvailable())
        QSKIP("pydicom is not importable by /usr/bin/python3");
    // pydicom rewrites the GML series as Bq/ml decay-corrected to the series start: each Rescale Slope
    // is multiplied by the decayed dose / weight in g, the inverse of SUVbw (QIBA). Reading it back
    // must give the original SUVs, up to the 16-character DS precision of the rewritten slope.
    QTemporaryDir dir;
    const QJsonObject written = runPython(R"(
ds, normal = load(sys.argv[1])
for index, d in enumerate(ds):
    drug = d.RadiopharmaceuticalInformationSequence[0]
    def seconds(tm):
        return int(tm[0:2]) * 3600 + int(tm[2:4]) * 60 + float(tm[4:])
    elapsed = seconds(d.SeriesTime) - seconds(drug.RadiopharmaceuticalStartTime)
    decayed = float(drug.RadionuclideTotalDose) * 2 ** (-elapsed / float(drug.RadionuclideHalfLife))
    d.RescaleSlope = ('%.10g' % (float(d.RescaleSlope) * decayed / (float(d.PatientWeight) * 1000)))
    d.Units = 'BQML'
    d.DecayCorrection = 'START'
    d.save_as(os.path.join(sys.argv[2], 'slice%03d.dcm' % index))
print(json.dumps({'elapsed': elapsed}))
)",
        { QString::fromStdString(kPetFolder.string()), dir.path() });
    QCOMPARE(written["elapsed"].toDouble(), 2711.0); // 10:35:00 injection, 11:20:11 series start
    const auto suv = readDicomSeries(fs::path(dir.path().toStdString()));
    QVERIFY2(suv.has_value(), suv ? "" : qPrintable(messageOf(suv.error())));
    QCOMPARE(suv->volume.unit, std::string("SUVbw"));
    const auto original = readDicomSeries(kPetFolder);
    QVERIFY(original.has_value());
    double worst = 0.0;
    for (std::size_t index = 0; index < original->volume.voxels.size(); ++index)
        worst = std::max(worst,
            double(std::abs(suv->volume.voxels[index] - original->volume.voxels[index]))
                / std::max(1e-3, double(std::abs(original->volume.voxels[index]))));
    QVERIFY2(worst < 1e-5, qPrintable(QString("worst relative difference %1").arg(worst)));
}

void TestDicomSeriesReader::refusesBrokenGeometry_data()
{
    QTest::addColumn<QString>("change"); // Python applied to the sorted slices `ds`
    QTest::addColumn<QString>("words");
    QTest::newRow("two slices at one position") << "ds[30].ImagePositionPatient = ds[29].ImagePositionPatient"
                                                << "same position";
    QTest::newRow("uneven spacing by half a slice")
        << "p = ds[30].ImagePositionPatient; ds[30].ImagePositionPatient = [p[0], p[1], float(p[2]) + 1.6]"
        << "uneven slice spacing";
    QTest::newRow("one slice tilted") << "ds[12].ImageOrientationPatient = [1, 0, 0, 0, 0.9, 0.43588989]"
                                      << "mixed orientations";
    QTest::newRow("one slice of another matrix size")
        << "ds[5].Rows = 42; ds[5].PixelData = ds[5].PixelData[:41*42*2]"
        << "where";
    QTest::newRow("slice without position") << "del ds[40].ImagePositionPatient"
                                            << "(0020,0032)";
    QTest::newRow("sheared stack (gantry tilt)")
        << "import math\nfor k, d in enumerate(ds):\n    p = d.ImagePositionPatient; d.ImagePositionPatient "
           "= [p[0], float(p[1]) + 0.5 * k, p[2]]"
        << "shifted in-plane";
}

void TestDicomSeriesReader::refusesBrokenGeometry()
{
    if (!pydicomAvailable())
        QSKIP("pydicom is not importable by /usr/bin/python3");
    QFETCH(QString, change);
    QFETCH(QString, words);
    QTemporaryDir dir;
    runPython("ds, normal = load(sys.argv[1])\n" + change + R"(
for index, d in enumerate(ds):
    d.save_as(os.path.join(sys.argv[2], 'slice%03d.dcm' % index))
print('{}')
)",
        { QString::fromStdString(kPetFolder.string()), dir.path() });
    QCOMPARE(filesIn(dir.path().toStdString()).size(), std::size_t { 59 });
    const auto series = readDicomSeries(fs::path(dir.path().toStdString()));
    QVERIFY(!series.has_value());
    const QString message = messageOf(series.error());
    QVERIFY2(message.startsWith("slice0"), qPrintable(message));
    QVERIFY2(message.contains(words), qPrintable(message));
}

void TestDicomSeriesReader::refusesMissingMiddleSlice()
{
    // Which file is slice 29 comes from reading each file alone, not from its name.
    QTemporaryDir dir;
    std::map<double, fs::path> byHeight;
    for (const auto &file : filesIn(kPetFolder)) {
        const auto single = readDicomSeries(file);
        QVERIFY(single.has_value());
        byHeight[single->slicePositionsMm.front()[2]] = file;
    }
    QCOMPARE(byHeight.size(), std::size_t { 59 });
    auto dropped = std::next(byHeight.begin(), 29);
    for (const auto &[height, file] : byHeight)
        if (file != dropped->second)
            fs::copy_file(file, fs::path(dir.path().toStdString()) / file.filename());
    const auto series = readDicomSeries(fs::path(dir.path().toStdString()));
    QVERIFY(!series.has_value());
    const QString message = messageOf(series.error());
    QVERIFY2(message.contains("missing slice") && message.contains("gap of 6.5"), qPrintable(message));
    QVERIFY2(message.contains(QString::fromStdString(std::prev(dropped)->second.filename().string()))
            && message.contains(QString::fromStdString(std::next(dropped)->second.filename().string())),
        qPrintable(message));
}

void TestDicomSeriesReader::refusesTwoSeriesInOneFolder()
{
    QTemporaryDir dir;
    const fs::path folder = dir.path().toStdString();
    for (const auto &file : filesIn(kPetFolder))
        fs::copy_file(file, folder / file.filename());
    for (const char *name : { "01.dcm", "02.dcm", "03.dcm" })
        fs::copy_file(kData / "dicom-seg" / name, folder / (std::string("ct_") + name));
    fs::copy_file(kData / "sts/STS_001/PET/mask/RS.dcm", folder / "RS.dcm"); // no pixel data: skipped
    const auto both = readDicomSeries(folder);
    QVERIFY(!both.has_value());
    const QString message = messageOf(both.error());
    QVERIFY2(message.contains("holds 2 series") && message.contains("PT, 59 file(s)")
            && message.contains("CT, 3 file(s)"),
        qPrintable(message));

    const auto pet = readDicomSeries(kPetFolder);
    QVERIFY(pet.has_value());
    const auto chosen = readDicomSeries(
        folder, DicomSeriesOptions { .seriesInstanceUid = pet->seriesInstanceUid, .limits = {} });
    QVERIFY2(chosen.has_value(), chosen ? "" : qPrintable(messageOf(chosen.error())));
    QVERIFY(chosen->volume.voxels == pet->volume.voxels);
    QVERIFY(std::ranges::any_of(chosen->warnings,
        [](const std::string &w) { return w.find("without pixel data") != std::string::npos; }));
}

void TestDicomSeriesReader::decodesCompressedLikeUncompressed_data()
{
    QTest::addColumn<QString>("compressed");
    QTest::addColumn<QString>("uncompressed");
    // pydicom's README: MR_small in several encodings of the same pixels.
    QTest::newRow("RLE lossless") << "MR_small_RLE.dcm"
                                  << "MR_small.dcm";
    QTest::newRow("JPEG-LS lossless") << "MR_small_jpeg_ls_lossless.dcm"
                                      << "MR_small.dcm";
    QTest::newRow("explicit VR big endian") << "MR_small_bigendian.dcm"
                                            << "MR_small.dcm";
    QTest::newRow("implicit VR little endian") << "MR_small_implicit.dcm"
                                               << "MR_small.dcm";
    QTest::newRow("RT dose RLE, 15 frames") << "rtdose_rle.dcm"
                                            << "rtdose.dcm";
}

void TestDicomSeriesReader::decodesCompressedLikeUncompressed()
{
    QFETCH(QString, compressed);
    QFETCH(QString, uncompressed);
    const auto packed = readDicomSeries(kEdgeFolder / compressed.toStdString());
    const auto plain = readDicomSeries(kEdgeFolder / uncompressed.toStdString());
    QVERIFY2(packed.has_value(), packed ? "" : qPrintable(messageOf(packed.error())));
    QVERIFY2(plain.has_value(), plain ? "" : qPrintable(messageOf(plain.error())));
    QVERIFY(packed->volume.geometry.sameGrid(plain->volume.geometry));
    QVERIFY(packed->volume.voxels == plain->volume.voxels);
    QVERIFY(std::ranges::any_of(plain->volume.voxels, [](float v) { return v != 0.0f; }));
}

// pydicom's collection has no grey-level JPEG image with an uncompressed twin, so the test makes one:
// DCMTK's encoder writes MR_small.dcm as JPEG lossless, process 14, first-order prediction (PS3.5
// A.4.1, 1.2.840.10008.1.2.4.70). Lossless means the decoded volume must equal the original exactly.
void TestDicomSeriesReader::decodesJpegLosslessLikeUncompressed()
{
    QTemporaryDir dir;
    const fs::path compressedPath = fs::path(dir.path().toStdString()) / "MR_small_jpeg_lossless.dcm";
    {
        DJEncoderRegistration::registerCodecs();
        DcmFileFormat file;
        QVERIFY(file.loadFile((kEdgeFolder / "MR_small.dcm").c_str()).good());
        const DJ_RPLossless firstOrderPrediction(1, 0);
        QVERIFY(file.getDataset()->chooseRepresentation(EXS_JPEGProcess14SV1, &firstOrderPrediction).good());
        QVERIFY(file.getDataset()->canWriteXfer(EXS_JPEGProcess14SV1));
        QVERIFY(file.saveFile(compressedPath.c_str(), EXS_JPEGProcess14SV1).good());
        DJEncoderRegistration::cleanup();
    }
    const auto packed = readDicomSeries(compressedPath);
    const auto plain = readDicomSeries(kEdgeFolder / "MR_small.dcm");
    QVERIFY2(packed.has_value(), packed ? "" : qPrintable(messageOf(packed.error())));
    QVERIFY2(plain.has_value(), plain ? "" : qPrintable(messageOf(plain.error())));
    QVERIFY(packed->volume.geometry.sameGrid(plain->volume.geometry));
    QVERIFY(packed->volume.voxels == plain->volume.voxels);
    QVERIFY(std::ranges::any_of(plain->volume.voxels, [](float v) { return v != 0.0f; }));
}

void TestDicomSeriesReader::decodesDeflateLikePydicom()
{
    if (!pydicomAvailable())
        QSKIP("pydicom is not importable by /usr/bin/python3");
    // image_dfl.dcm (Deflated Explicit VR Little Endian) has no Image Plane attributes, so pydicom adds
    // them and writes it back deflated (checked below), then inflates it itself for the expected sums.
    QTemporaryDir dir;
    const fs::path file = fs::path(dir.path().toStdString()) / "image_dfl_placed.dcm";
    const QJsonObject expected = runPython(R"(
d = pydicom.dcmread(sys.argv[1])
d.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]; d.ImagePositionPatient = [0, 0, 0]; d.PixelSpacing = [1, 1]
d.save_as(sys.argv[2])
d = pydicom.dcmread(sys.argv[2])
a = d.pixel_array.astype(float)
print(json.dumps({'ts': str(d.file_meta.TransferSyntaxUID), 'sum': float(a.sum()), 'columns': int(d.Columns),
  'value': float(a[100, 300])}))
)",
        { QString::fromStdString((kEdgeFolder / "image_dfl.dcm").string()),
            QString::fromStdString(file.string()) });
    QCOMPARE(expected["ts"].toString(), QString("1.2.840.10008.1.2.1.99")); // still deflated
    const auto series = readDicomSeries(file);
    QVERIFY2(series.has_value(), series ? "" : qPrintable(messageOf(series.error())));
    double sum = 0.0;
    for (float v : series->volume.voxels)
        sum += v;
    QCOMPARE(series->volume.geometry.size[0], std::size_t(expected["columns"].toInt()));
    QCOMPARE(sum, expected["sum"].toDouble());
    QCOMPARE(double(series->volume.at(300, 100, 0)), expected["value"].toDouble());
}

void TestDicomSeriesReader::refusesWhatItCannotRead_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("words");
    QTest::newRow("JPEG 2000 has no DCMTK decoder") << "JPEG2000.dcm"
                                                    << "JPEG 2000";
    QTest::newRow("RGB colour image") << "SC_rgb_rle.dcm"
                                      << "colour image";
    QTest::newRow("truncated file") << "MR_truncated.dcm"
                                    << "MR_truncated.dcm";
    QTest::newRow("RT plan has no pixels") << "rtplan.dcm"
                                           << "no pixel data";
    QTest::newRow("SEG with 1-bit pixels") << "liver_1frame.dcm"
                                           << "Bits Allocated 1";
}

void TestDicomSeriesReader::refusesWhatItCannotRead()
{
    QFETCH(QString, file);
    QFETCH(QString, words);
    const auto series = readDicomSeries(kEdgeFolder / file.toStdString());
    QVERIFY(!series.has_value());
    const QString message = messageOf(series.error());
    QVERIFY2(message.startsWith(file), qPrintable(message));
    QVERIFY2(message.contains(words), qPrintable(message));
}

void TestDicomSeriesReader::readsDicomdir()
{
    const fs::path dicomdir = kEdgeFolder / "dicomdirtests/TINY_ALPHA/DICOMDIR";
    const auto files = dicomdirReferencedFiles(dicomdir);
    QVERIFY2(files.has_value(), files ? "" : qPrintable(messageOf(files.error())));
    QVERIFY(!files->empty());
    for (const auto &file : *files)
        QVERIFY(fs::exists(file));
    // A DICOMDIR pointing outside its folder is refused: built here from the real one by pydicom.
    if (!pydicomAvailable())
        return;
    QTemporaryDir dir;
    fs::copy(dicomdir.parent_path(), dir.path().toStdString(), fs::copy_options::recursive);
    runPython(R"(
d = pydicom.dcmread(os.path.join(sys.argv[1], 'DICOMDIR'))
for r in d.DirectoryRecordSequence:
    if 'ReferencedFileID' in r:
        r.ReferencedFileID = ['..', '..', 'ETC', 'PASSWD']
        break
d.save_as(os.path.join(sys.argv[1], 'DICOMDIR'))
print('{}')
)",
        { dir.path() });
    const auto escaped = dicomdirReferencedFiles(fs::path(dir.path().toStdString()) / "DICOMDIR");
    QVERIFY(!escaped.has_value());
    QVERIFY2(messageOf(escaped.error()).startsWith("DICOMDIR") && messageOf(escaped.error()).contains("'..'"),
        qPrintable(messageOf(escaped.error())));
}

QTEST_APPLESS_MAIN(TestDicomSeriesReader)
#include "tst_dicom_series_reader.moc"
