// SPDX-License-Identifier: Apache-2.0
// The SEG reader on segmentations built byte by byte in the test, and on dcmqi's real SEG files,
// whose voxel counts are checked against pydicom counting the set bits of each segment's frames.
#include "core/imaging/seg_reader.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/imaging/dicom_byte_builder.h"

using namespace mosaic;
using namespace mosaic::test;

namespace {

QByteArray us(std::uint16_t value)
{
    QByteArray out;
    appendLittleEndian16(out, value);
    return out;
}

struct SegBytes
{
    QByteArray type = "BINARY";
    int bits = 1;
    QList<double> frameZ { 0, 1 };
    QByteArray pixels; // as stored
};

// 3 x 3 frames on the unit grid at z = frameZ, all of segment 1 'Tumour'.
QByteArray segBytes(const SegBytes &spec)
{
    const QByteArray sopClass = "1.2.840.10008.5.1.4.1.1.66.4";
    QByteArray dataset;
    dataset += dicomElement(0x0008, 0x0016, "UI", sopClass);
    dataset += dicomElement(0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.10.1.2");
    dataset += dicomElement(0x0008, 0x0060, "CS", "SEG");
    dataset += dicomElement(0x0020, 0x0052, "UI", "1.2.3");
    dataset += dicomElement(0x0028, 0x0008, "IS", QByteArray::number(spec.frameZ.size()));
    dataset += dicomElement(0x0028, 0x0010, "US", us(3));
    dataset += dicomElement(0x0028, 0x0011, "US", us(3));
    dataset += dicomElement(0x0028, 0x0100, "US", us(static_cast<std::uint16_t>(spec.bits)));
    dataset += dicomElement(0x0062, 0x0001, "CS", spec.type);
    dataset += dicomSequence(0x0062, 0x0002,
        { dicomElement(0x0062, 0x0004, "US", us(1)) + dicomElement(0x0062, 0x0005, "LO", "Tumour") });
    if (spec.bits == 8)
        dataset += dicomElement(0x0062, 0x000e, "US", us(255));
    dataset += dicomSequence(0x5200, 0x9229,
        { dicomSequence(0x0020, 0x9116, { dicomElement(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0") })
            + dicomSequence(0x0028, 0x9110, { dicomElement(0x0028, 0x0030, "DS", "1\\1") }) });
    QList<QByteArray> frames;
    for (double z : spec.frameZ)
        frames.push_back(dicomSequence(0x0020, 0x9113,
                             { dicomElement(0x0020, 0x0032, "DS", "0\\0\\" + QByteArray::number(z)) })
            + dicomSequence(0x0062, 0x000a, { dicomElement(0x0062, 0x000b, "US", us(1)) }));
    dataset += dicomSequence(0x5200, 0x9230, frames);
    dataset += dicomElement(0x7fe0, 0x0010, "OB", spec.pixels);
    return dicomFile(dataset, sopClass);
}

// Bits set at the given pixel numbers over all frames, least significant bit first (PS3.5 8.1.1).
QByteArray packedBits(const QList<int> &setPixels, int pixelCount)
{
    QByteArray bytes((pixelCount + 7) / 8, '\0');
    for (int p : setPixels)
        bytes[p / 8] = static_cast<char>(bytes[p / 8] | (1 << (p % 8)));
    return bytes;
}

std::filesystem::path writeFile(const QTemporaryDir &dir, const QByteArray &bytes)
{
    QFile file(dir.filePath("seg.dcm"));
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size())
        qFatal("cannot write a test file");
    return file.fileName().toStdString();
}

ImageGeometry unitGrid()
{
    ImageGeometry grid;
    grid.size = { 3, 3, 2 };
    grid.frameOfReferenceUid = "1.2.3";
    return grid;
}

// Independent of Mosaic: pydicom and numpy. Grid from the CT slices (axial, sorted by z); for each
// segment the set bits of its frames (little-endian bit order) are counted.
const char *kPythonCounter = R"PY(
import json, sys, glob, os
import numpy as np
import pydicom
ct_dir, seg_path = sys.argv[1], sys.argv[2]
slices = [pydicom.dcmread(f) for f in sorted(glob.glob(os.path.join(ct_dir, '0*.dcm')))]
slices.sort(key=lambda s: float(s.ImagePositionPatient[2]))
first = slices[0]
seg = pydicom.dcmread(seg_path)
rows, cols, n = int(seg.Rows), int(seg.Columns), int(seg.NumberOfFrames)
bits = np.unpackbits(np.frombuffer(seg.PixelData, dtype=np.uint8), bitorder='little')[:rows * cols * n]
frames = bits.reshape(n, rows * cols)
counts = {}
labels = {int(s.SegmentNumber): str(s.SegmentLabel) for s in seg.SegmentSequence}
for f, group in enumerate(seg.PerFrameFunctionalGroupsSequence):
    label = labels[int(group.SegmentIdentificationSequence[0].ReferencedSegmentNumber)]
    counts[label] = counts.get(label, 0) + int(frames[f].sum())
dy, dx = (float(v) for v in first.PixelSpacing)
print(json.dumps({'counts': counts, 'size': [int(first.Columns), int(first.Rows), len(slices)],
                  'spacing': [dx, dy, float(slices[1].ImagePositionPatient[2]) - float(first.ImagePositionPatient[2])],
                  'origin': [float(v) for v in first.ImagePositionPatient],
                  'frameOfReference': str(first.FrameOfReferenceUID)}))
)PY";

} // namespace

Q_DECLARE_METATYPE(SegBytes)
Q_DECLARE_METATYPE(ErrorCode)

class TestSegReader : public QObject
{
    Q_OBJECT

private slots:
    void readsBitsPackedAcrossFrames();
    void thresholdsFractionalAtHalfMaximum();
    void refusesBrokenSegmentations_data();
    void refusesBrokenSegmentations();
    void matchesPydicomOnRealSegs_data();
    void matchesPydicomOnRealSegs();
};

void TestSegReader::readsBitsPackedAcrossFrames()
{
    // 9 pixels a frame: frame 2 starts at bit 1 of byte 1. Frame 1: the diagonal (0, 4, 8);
    // frame 2: pixels 0 and 8 of its own, i.e. bits 9 and 17.
    SegBytes spec;
    spec.pixels = packedBits({ 0, 4, 8, 9, 17 }, 18);
    QTemporaryDir dir;
    const auto seg = readSeg(writeFile(dir, segBytes(spec)));
    QVERIFY2(seg.has_value(), seg ? "" : seg.error().message().c_str());
    std::vector<std::string> warnings;
    const auto mask = segmentToMask(*seg, "Tumour", unitGrid(), {}, warnings);
    QVERIFY2(mask.has_value(), mask ? "" : mask.error().message().c_str());
    const ImageGeometry grid = unitGrid();
    QCOMPARE(mask->count(), std::size_t { 5 });
    QCOMPARE(mask->voxels[grid.linearIndex(0, 0, 0)], std::uint8_t { 1 });
    QCOMPARE(mask->voxels[grid.linearIndex(1, 1, 0)], std::uint8_t { 1 });
    QCOMPARE(mask->voxels[grid.linearIndex(2, 2, 0)], std::uint8_t { 1 });
    QCOMPARE(mask->voxels[grid.linearIndex(0, 0, 1)], std::uint8_t { 1 });
    QCOMPARE(mask->voxels[grid.linearIndex(2, 2, 1)], std::uint8_t { 1 });
    const auto lines = describeSeg(*seg);
    QVERIFY(std::ranges::find(lines, "segment 1 'Tumour': 2 frames") != lines.end());
}

void TestSegReader::thresholdsFractionalAtHalfMaximum()
{
    // Maximum 255: 127 is below one half, 128 at or above it.
    SegBytes spec;
    spec.type = "FRACTIONAL";
    spec.bits = 8;
    spec.frameZ = { 1 };
    spec.pixels = QByteArray::fromHex("00 7f 80 ff 7f 80 00 00 01");
    QTemporaryDir dir;
    std::vector<std::string> warnings;
    const auto mask = readSegMask(writeFile(dir, segBytes(spec)), "", unitGrid(), warnings);
    QVERIFY2(mask.has_value(), mask ? "" : mask.error().message().c_str());
    QCOMPARE(mask->count(), std::size_t { 3 });
}

void TestSegReader::refusesBrokenSegmentations_data()
{
    QTest::addColumn<SegBytes>("spec");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("message");

    SegBytes between;
    between.frameZ = { 0, 0.5 };
    between.pixels = packedBits({ 0 }, 18);
    QTest::newRow("frame between slice planes")
        << between << ErrorCode::IntegrityFailed
        << "SEG 'seg.dcm', segment 1 'Tumour': frame 2 at (0, 0, 0.5) mm is not "
           "on the image's voxel grid";
    SegBytes outside;
    outside.frameZ = { 0, 5 };
    outside.pixels = packedBits({ 0 }, 18);
    QTest::newRow("frame beyond the last slice")
        << outside << ErrorCode::IntegrityFailed
        << "SEG 'seg.dcm', segment 1 'Tumour': frame 2 at slice index 5 lies outside the image's 2 slices";
    SegBytes truncated;
    truncated.pixels = QByteArray(2, '\xff');
    QTest::newRow("pixel data shorter than the frames")
        << truncated << ErrorCode::Malformed
        << "SEG 'seg.dcm': Pixel Data holds 2 bytes, but 2 frames of 3 x 3 pixels need 3";
    SegBytes wrongBits;
    wrongBits.bits = 8;
    wrongBits.pixels = QByteArray(18, '\0');
    QTest::newRow("binary with 8 bits allocated")
        << wrongBits << ErrorCode::Unsupported
        << "SEG 'seg.dcm': Segmentation Type 'BINARY' with Bits Allocated 8 is not supported";
}

void TestSegReader::refusesBrokenSegmentations()
{
    QFETCH(SegBytes, spec);
    QFETCH(ErrorCode, code);
    QFETCH(QString, message);
    QTemporaryDir dir;
    std::vector<std::string> warnings;
    const auto mask = readSegMask(writeFile(dir, segBytes(spec)), "Tumour", unitGrid(), warnings);
    QVERIFY(!mask.has_value());
    QVERIFY2(
        QString::fromStdString(mask.error().message()).startsWith(message), mask.error().message().c_str());
    QCOMPARE(mask.error().code, code);
}

void TestSegReader::matchesPydicomOnRealSegs_data()
{
    QTest::addColumn<QString>("file");
    QTest::newRow("dcmqi liver SEG on three CT slices") << "liver.dcm";
    QTest::newRow("dcmqi five overlapping segments") << "partial_overlaps.dcm";
}

void TestSegReader::matchesPydicomOnRealSegs()
{
    QFETCH(QString, file);
    const QString folder = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/imaging/dicom-seg");
    if (!QDir(folder).exists())
        QSKIP("shared/data/imaging/dicom-seg is absent; the real-data comparison needs it");
    QTemporaryDir dir;
    QFile script(dir.filePath("count.py"));
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write(kPythonCounter);
    script.close();
    QProcess python;
    python.start("/usr/bin/python3", { script.fileName(), folder, folder + "/" + file });
    QVERIFY(python.waitForFinished(120'000));
    if (python.exitCode() != 0)
        QSKIP(qPrintable(
            "pydicom/numpy for /usr/bin/python3 unavailable: " + python.readAllStandardError().right(200)));
    const QJsonObject truth = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    ImageGeometry grid;
    for (int axis = 0; axis < 3; ++axis) {
        grid.size[axis] = static_cast<std::size_t>(truth["size"].toArray()[axis].toInt());
        grid.spacingMm[axis] = truth["spacing"].toArray()[axis].toDouble();
        grid.originMm[axis] = truth["origin"].toArray()[axis].toDouble();
    }
    grid.frameOfReferenceUid = truth["frameOfReference"].toString().toStdString();

    const auto seg = readSeg((folder + "/" + file).toStdString());
    QVERIFY2(seg.has_value(), seg ? "" : seg.error().message().c_str());
    const QJsonObject counts = truth["counts"].toObject();
    QCOMPARE(static_cast<qsizetype>(seg->segments.size()), counts.size());
    for (const SegSegment &segment : seg->segments) {
        std::vector<std::string> warnings;
        const auto mask = segmentToMask(*seg, segment.label, grid, {}, warnings);
        QVERIFY2(mask.has_value(), mask ? "" : mask.error().message().c_str());
        QVERIFY(mask->count() > 0);
        QCOMPARE(
            static_cast<qint64>(mask->count()), counts[QString::fromStdString(segment.label)].toInteger());
        QVERIFY(warnings.empty());
    }
}

QTEST_APPLESS_MAIN(TestSegReader)
#include "tst_seg_reader.moc"
