// SPDX-License-Identifier: Apache-2.0
// Replays every reproducer in tests/fuzz/regressions (inputs with which the libFuzzer targets in
// tests/fuzz once crashed a reader, leaked or exhausted memory) through the readers those targets
// drive, with the targets' limits: readDicomSeries on a one-file series (fuzz_dicom_series),
// readRtStruct then rasterizeRoi of every ROI on the fuzz grid (fuzz_rtstruct), and inspectPath as
// `mosaic-cli inspect` runs it, and the VCF reader's full read, GT-only scan and inspection
// (fuzz_vcf_reader). Each reader must return a value or an error whose message names the
// file, and the reader of the target that found the input must refuse it by the check that now
// catches it. Under the asan preset this also proves that no reproducer leaks.
#include "core/genomics/variant_inspection.h"
#include "core/genomics/vcf_reader.h"
#include "core/imaging/dicom_inspection.h"
#include "core/imaging/dicom_series_reader.h"
#include "core/imaging/rtstruct_rasterizer.h"
#include "core/imaging/rtstruct_reader.h"

#include <QTest>

#include <optional>
#include <set>

using namespace mosaic;
namespace fs = std::filesystem;

namespace {

const fs::path kRegressions = fs::path(MOSAIC_SOURCE_DIR) / "tests/fuzz/regressions";

struct Reproducer
{
    const char *row; // what the input shows
    const char *file; // in tests/fuzz/regressions
    const char *reader; // the fuzz target's reader: "readDicomSeries", "readRtStruct" or "VcfReader"
    const char *refusal; // a phrase of that reader's refusal (the check that catches it now)
};

const Reproducer kReproducers[] = {
    { "DICOMDIR record type of 1030 characters: DCMTK threw out_of_range mid-parse and leaked",
        "dicomdir_record_out_of_range.dcm", "readDicomSeries",
        "(0004,1430) at byte 766: Directory Record Type is 1030 bytes long" },
    { "record type of 262 characters in a file without preamble or meta header: same throw and leak",
        "dicomdir_record_type_without_meta_header.dcm", "readDicomSeries",
        "(0004,1430) at byte 20: Directory Record Type is 262 bytes long" },
    { "record type of 55 characters after a meta element DCMTK reads as implicit VR: same throw and leak",
        "dicomdir_record_type_behind_implicit_meta_element.dcm", "readDicomSeries",
        "(0004,1430) at byte 36: Directory Record Type is 55 bytes long" },
    { "deflated 5 KB file whose element declares 3.6 GB: DCMTK allocated it before reading",
        "deflate_declared_length_exceeds_data.dcm", "readDicomSeries",
        "(5A5A,5A5A) at byte 262682 of the inflated data set: declares 3579468378 bytes where 7267 remain" },
    { "sequences nested 7000 deep (crafted, 140 KB): DCMTK's recursive parse overflowed the stack",
        "sequences_nested_7000_deep.dcm", "readRtStruct",
        "(0008,1115) at byte 2746: sequences are nested more than 128 deep" },
    { "VCF whose FORMAT has an empty key before an undeclared GT: htslib stored GT untyped and exit(1)ed",
        "vcf_gt_untyped_after_empty_format_key.vcf", "VcfReader",
        "record 1 (:0): FORMAT/GT is stored as no type (null), not as allele numbers" },
};

// Empty when `error` is an acceptable refusal of the file `name`, else what is wrong with it.
QString problemWith(const Error &error, const std::string &name, const std::string &refusal)
{
    const std::string message = error.message();
    if (message.empty())
        return "an empty message";
    if (message.find(name) == std::string::npos)
        return QString::fromStdString("a message that does not name the file: " + message);
    if (!refusal.empty() && message.find(refusal) == std::string::npos)
        return QString::fromStdString("not the expected refusal ('" + refusal + "'): " + message);
    return {};
}

} // namespace

class TestFuzzRegressions : public QObject
{
    Q_OBJECT

private slots:
    void everyReproducerHasARow();
    void replaysThroughTheReaders_data();
    void replaysThroughTheReaders();
};

void TestFuzzRegressions::everyReproducerHasARow()
{
    std::set<std::string> rows;
    for (const Reproducer &reproducer : kReproducers) {
        rows.insert(reproducer.file);
        QVERIFY2(fs::is_regular_file(kRegressions / reproducer.file), reproducer.file);
    }
    for (const auto &entry : fs::directory_iterator(kRegressions))
        if (entry.is_regular_file())
            QVERIFY2(rows.contains(entry.path().filename().string()),
                qPrintable("no row replays " + QString::fromStdString(entry.path().filename().string())));
}

void TestFuzzRegressions::replaysThroughTheReaders_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("reader");
    QTest::addColumn<QString>("refusal");
    for (const Reproducer &reproducer : kReproducers)
        QTest::newRow(reproducer.row) << reproducer.file << reproducer.reader << reproducer.refusal;
}

void TestFuzzRegressions::replaysThroughTheReaders()
{
    QFETCH(QString, file);
    QFETCH(QString, reader);
    QFETCH(QString, refusal);
    const fs::path path = kRegressions / file.toStdString();
    const std::string name = file.toStdString();
    const auto expected = [&](const char *thisReader) {
        return reader == thisReader ? refusal.toStdString() : std::string();
    };

    // fuzz_dicom_series: a one-file series, with the target's voxel limit.
    ImageLimits limits;
    limits.maxVoxels = std::size_t { 1 } << 26;
    const auto series = readDicomSeries(
        std::vector<fs::path> { path }, DicomSeriesOptions { .seriesInstanceUid = {}, .limits = limits });
    if (series) {
        QVERIFY2(expected("readDicomSeries").empty(), "readDicomSeries loaded a file it must refuse");
    } else {
        const QString problem = problemWith(series.error(), name, expected("readDicomSeries"));
        QVERIFY2(problem.isEmpty(), qPrintable("readDicomSeries returned " + problem));
    }

    // fuzz_rtstruct: the reader, then every ROI on the target's fixed grid.
    RtStructLimits rtLimits;
    rtLimits.maxPoints = 1'000'000;
    const auto rtStruct = readRtStruct(path, rtLimits);
    if (rtStruct) {
        QVERIFY2(expected("readRtStruct").empty(), "readRtStruct loaded a file it must refuse");
        QVERIFY(!describeRtStruct(*rtStruct).empty());
        ImageGeometry grid;
        grid.size = { 32, 32, 16 };
        grid.spacingMm = { 8.0, 8.0, 8.0 };
        grid.originMm = { -100.0, -150.0, -900.0 };
        grid.frameOfReferenceUid = rtStruct->frameOfReferenceUid;
        for (const RtRoi &roi : rtStruct->rois) {
            std::vector<std::string> warnings;
            const auto mask = rasterizeRoi(*rtStruct, roi.name, grid, { "1.2.3" }, warnings);
            if (mask) {
                QCOMPARE(mask->voxels.size(), grid.voxelCount());
            } else {
                const QString problem = problemWith(mask.error(), name, {});
                QVERIFY2(problem.isEmpty(), qPrintable("rasterizeRoi returned " + problem));
            }
        }
    } else {
        const QString problem = problemWith(rtStruct.error(), name, expected("readRtStruct"));
        QVERIFY2(problem.isEmpty(), qPrintable("readRtStruct returned " + problem));
    }

    // fuzz_vcf_reader: every column parsed (what the target found), the GT-only scan, inspection.
    VcfLimits vcfLimits;
    vcfLimits.maxSamples = 4096;
    vcfLimits.maxAllelesPerRecord = 64;
    vcfLimits.maxRecordBytes = 1u << 20;
    for (const bool wholeRecord : { true, false }) {
        VcfReadOptions options;
        options.limits = vcfLimits;
        options.fields
            = VcfFields { .genotypes = true, .dosages = wholeRecord, .checkWholeRecord = wholeRecord };
        auto vcf = VcfReader::open(path, options);
        std::optional<Error> error;
        if (!vcf)
            error = vcf.error();
        while (vcf && !error) {
            auto row = vcf->next();
            if (!row)
                error = row.error();
            else if (!*row)
                break;
        }
        const std::string vcfRefusal = wholeRecord ? expected("VcfReader") : std::string();
        if (!error) {
            QVERIFY2(vcfRefusal.empty(), "VcfReader read a file it must refuse");
        } else {
            const QString problem = problemWith(*error, name, vcfRefusal);
            QVERIFY2(problem.isEmpty(), qPrintable("VcfReader returned " + problem));
        }
    }
    const auto variants = inspectVariantFile(path, vcfLimits);
    if (!variants) {
        const QString problem = problemWith(variants.error(), name, {});
        QVERIFY2(problem.isEmpty(), qPrintable("inspectVariantFile returned " + problem));
    }

    // mosaic-cli inspect.
    const auto report = inspectPath(path, limits);
    if (report) {
        QVERIFY(!report->kind.empty());
    } else {
        const QString problem = problemWith(report.error(), name, {});
        QVERIFY2(problem.isEmpty(), qPrintable("inspectPath returned " + problem));
    }
}

QTEST_APPLESS_MAIN(TestFuzzRegressions)
#include "tst_fuzz_regressions.moc"
