// SPDX-License-Identifier: Apache-2.0
// The expected values of the IBSI digital phantom were read independently of libnifti: the .nii.gz
// decompressed with Python's gzip and the 348-byte NIfTI-1 header unpacked with struct, e.g.
//   b = gzip.open('phantom.nii.gz').read()
//   dim = struct.unpack('<8h', b[40:56])        -> (3, 5, 4, 4, 1, 1, 1, 1)
//   datatype = struct.unpack('<h', b[70:72])    -> 4 (INT16)
//   qform_code, sform_code = b[252:256]         -> 2, 1 (so the sform is used)
//   srow_x, srow_y, srow_z = b[280:328]         -> (-2,0,0,0), (0,-2,0,0), (0,0,2,0)  (RAS)
//   voxels = struct.unpack('<80h', b[352:512]) -> sum 173, min 1, max 9
// and for mask.nii.gz the same header with 74 non-zero voxels (as the IBSI 1 manual states), over
// which the phantom's intensities sum to 159 and range 1..6. The 9 lies outside the ROI.
// Malformed files are built inside the test so each case is readable.
#include "core/imaging/nifti_reader.h"

#include <QTemporaryDir>
#include <QTest>

#include <cstring>
#include <fstream>
#include <numeric>
#include <zlib.h>

using namespace mosaic;

namespace {

std::filesystem::path phantomDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "imaging/ibsi-digital-phantom/nifti";
}

// A minimal NIfTI-1 single file: 348-byte header, 4 bytes of extension flag, then voxels.
std::string makeNifti1(std::array<short, 8> dim, short datatype, short bitpix, const std::string &voxels,
    float slope = 0.0f, float intercept = 0.0f)
{
    std::string bytes(352, '\0');
    auto put = [&bytes](std::size_t offset, const auto &value) {
        std::memcpy(bytes.data() + offset, &value, sizeof value);
    };
    put(0, std::int32_t { 348 });
    put(40, dim);
    put(70, datatype);
    put(72, bitpix);
    const std::array<float, 8> pixdim { 1.0f, 0.5f, 0.75f, 3.0f, 1.0f, 1.0f, 1.0f, 1.0f };
    put(76, pixdim);
    put(108, 352.0f);
    put(112, slope);
    put(116, intercept);
    std::memcpy(bytes.data() + 344, "n+1\0", 4);
    return bytes + voxels;
}

std::string shortsAsBytes(std::initializer_list<std::int16_t> values)
{
    std::string bytes(values.size() * 2, '\0');
    std::memcpy(bytes.data(), std::data(values), bytes.size());
    return bytes;
}

void writeFile(const std::filesystem::path &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

void writeGzip(const std::filesystem::path &path, const std::string &bytes)
{
    gzFile file = gzopen(path.string().c_str(), "wb");
    QVERIFY(file != nullptr);
    QCOMPARE(
        gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
    gzclose(file);
}

} // namespace

class TestNiftiReader : public QObject
{
    Q_OBJECT

private slots:
    void readsIbsiPhantomImage();
    void readsIbsiPhantomMask();
    void appliesSlopeAndPixdimGeometry();
    void refusesBadFiles_data();
    void refusesBadFiles();
};

void TestNiftiReader::readsIbsiPhantomImage()
{
    const auto volume = readNifti(phantomDir() / "image/phantom.nii.gz");
    QVERIFY2(volume.has_value(), volume ? "" : volume.error().message().c_str());
    const ImageGeometry &geometry = volume->geometry;
    QCOMPARE(geometry.size, (std::array<std::size_t, 3> { 5, 4, 4 }));
    QCOMPARE(geometry.spacingMm, (std::array<double, 3> { 2.0, 2.0, 2.0 }));
    QCOMPARE(geometry.originMm, (std::array<double, 3> { 0.0, 0.0, 0.0 }));
    // sform (RAS) i -> (-2, 0, 0) and j -> (0, -2, 0): in LPS both point along +x and +y.
    QCOMPARE(geometry.direction[0], (std::array<double, 3> { 1.0, 0.0, 0.0 }));
    QCOMPARE(geometry.direction[1], (std::array<double, 3> { 0.0, 1.0, 0.0 }));
    QCOMPARE(geometry.direction[2], (std::array<double, 3> { 0.0, 0.0, 1.0 }));
    QCOMPARE(volume->voxels.size(), std::size_t { 80 });
    QCOMPARE(std::accumulate(volume->voxels.begin(), volume->voxels.end(), 0.0), 173.0);
    QCOMPARE(*std::ranges::min_element(volume->voxels), 1.0f);
    QCOMPARE(*std::ranges::max_element(volume->voxels), 9.0f);
    // Single voxels from the Python unpacking, index i + 5 (j + 4 k).
    QCOMPARE(volume->at(1, 0, 0), 4.0f);
    QCOMPARE(volume->at(2, 2, 2), 9.0f);
    QCOMPARE(volume->at(2, 3, 0), 6.0f);
    QVERIFY(volume->unit.empty());

    const auto header = readNiftiHeader(phantomDir() / "image/phantom.nii.gz");
    QVERIFY(header.has_value());
    QCOMPARE(header->version, 1);
    QCOMPARE(header->datatype, std::string("INT16"));
    QCOMPARE(header->geometrySource, std::string("sform"));
}

void TestNiftiReader::readsIbsiPhantomMask()
{
    const auto mask = readNiftiMask(phantomDir() / "mask/mask.nii.gz");
    QVERIFY2(mask.has_value(), mask ? "" : mask.error().message().c_str());
    QCOMPARE(mask->count(), std::size_t { 74 });
    QCOMPARE(mask->roiName, std::string("mask"));
    const auto volume = readNifti(phantomDir() / "image/phantom.nii.gz");
    QVERIFY(volume.has_value());
    QVERIFY(mask->geometry.sameGrid(volume->geometry));
    double sum = 0.0;
    float maximum = 0.0f;
    for (std::size_t index = 0; index < mask->voxels.size(); ++index)
        if (mask->voxels[index] != 0) {
            sum += volume->voxels[index];
            maximum = std::max(maximum, volume->voxels[index]);
        }
    QCOMPARE(sum, 159.0);
    QCOMPARE(maximum, 6.0f);
    QCOMPARE(mask->voxels[volume->geometry.linearIndex(2, 2, 2)], std::uint8_t { 0 }); // the 9 is outside
}

void TestNiftiReader::appliesSlopeAndPixdimGeometry()
{
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath("scaled.nii").toStdString();
    // 2 x 1 x 1 INT16 {10, -3}, slope 0.5, intercept 100, no qform or sform: pixdim only.
    writeFile(path, makeNifti1({ 3, 2, 1, 1, 1, 1, 1, 1 }, 4, 16, shortsAsBytes({ 10, -3 }), 0.5f, 100.0f));
    const auto volume = readNifti(path);
    QVERIFY2(volume.has_value(), volume ? "" : volume.error().message().c_str());
    QCOMPARE(volume->voxels, (std::vector<float> { 105.0f, 98.5f }));
    QCOMPARE(volume->geometry.spacingMm, (std::array<double, 3> { 0.5, 0.75, 3.0 }));
    // Method 1 is taken as RAS: i along RAS +x is LPS -x.
    QCOMPARE(volume->geometry.direction[0], (std::array<double, 3> { -1.0, 0.0, 0.0 }));

    const std::filesystem::path gzPath = dir.filePath("scaled.nii.gz").toStdString();
    writeGzip(gzPath, makeNifti1({ 3, 2, 1, 1, 1, 1, 1, 1 }, 4, 16, shortsAsBytes({ 10, -3 })));
    const auto fromGzip = readNifti(gzPath);
    QVERIFY2(fromGzip.has_value(), fromGzip ? "" : fromGzip.error().message().c_str());
    QCOMPARE(fromGzip->voxels, (std::vector<float> { 10.0f, -3.0f })); // slope 0: stored values as they are
}

void TestNiftiReader::refusesBadFiles_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("words");
    const auto bytes
        = [](const std::string &s) { return QByteArray(s.data(), static_cast<qsizetype>(s.size())); };
    QTest::newRow("empty file is not a header") << QByteArray() << int(ErrorCode::Malformed) << "NIfTI";
    QTest::newRow("truncated voxel data")
        << bytes(makeNifti1({ 3, 4, 4, 4, 1, 1, 1, 1 }, 4, 16, shortsAsBytes({ 1, 2, 3 })))
        << int(ErrorCode::Malformed) << "bytes of voxels";
    QTest::newRow("huge grid refused before allocation")
        << bytes(makeNifti1({ 3, 32767, 32767, 32767, 1, 1, 1, 1 }, 16, 32, {}))
        << int(ErrorCode::LimitExceeded) << "exceeds the limit";
    QTest::newRow("time series with 3 volumes")
        << bytes(makeNifti1({ 4, 2, 1, 1, 3, 1, 1, 1 }, 4, 16, shortsAsBytes({ 1, 2, 3, 4, 5, 6 })))
        << int(ErrorCode::Unsupported) << "time series";
    QTest::newRow("complex datatype")
        << bytes(makeNifti1({ 3, 1, 1, 1, 1, 1, 1, 1 }, 32, 64, std::string(8, '\0')))
        << int(ErrorCode::Unsupported) << "datatype";
    QTest::newRow("negative dimension")
        << bytes(makeNifti1({ 3, 2, -1, 1, 1, 1, 1, 1 }, 4, 16, shortsAsBytes({ 1, 2 })))
        << int(ErrorCode::Malformed) << "not a positive size";
}

void TestNiftiReader::refusesBadFiles()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(QString, words);
    QTemporaryDir dir;
    const std::filesystem::path path = dir.filePath("bad.nii").toStdString();
    writeFile(path, bytes.toStdString());
    const auto volume = readNifti(path);
    QVERIFY(!volume.has_value());
    const QString message = QString::fromStdString(volume.error().message());
    QVERIFY2(message.startsWith("bad.nii"), qPrintable(message));
    QVERIFY2(message.contains(words), qPrintable(message));
    QCOMPARE(int(volume.error().code), code);
    QVERIFY(!readNiftiMask(path).has_value());
}

QTEST_APPLESS_MAIN(TestNiftiReader)
#include "tst_nifti_reader.moc"
