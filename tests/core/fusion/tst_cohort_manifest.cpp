// SPDX-License-Identifier: Apache-2.0
// The cohort manifest: RFC 4180 cells (quotes, commas and line breaks inside quotes, CRLF, BOM),
// paths resolved against the manifest's folder, defaults; every malformed manifest refused with the
// exact message (file, line, column), never repeating a patient id. Expected cells are written out
// by hand from the text of each case.
#include "core/fusion/cohort_manifest.h"

#include <QTest>

#include <cmath>
#include <string>

using namespace mosaic;

namespace {

const std::filesystem::path kFolder = "/data/cohort";

ModelSpec spec()
{
    const std::string text = R"({"format": "mosaic-model-spec", "version": 1,
        "task": {"type": "binary", "label": "outcome", "classes": ["alive", "dead"]},
        "imaging": {"roi": "GTV", "settings": {}, "features": ["stat_mean"]},
        "genomics": {"variants": [{"name": "v1", "chromosome": "1", "position": 5, "allele": "A"}]},
        "table": {"features": [{"name": "apoe", "modality": "genomics"}]},
        "subgroups": ["sex"]})";
    auto parsed = ModelSpec::fromJson(text, "spec.json", {});
    if (!parsed)
        qFatal("%s", parsed.error().message().c_str());
    return std::move(*parsed);
}

} // namespace

class TestCohortManifest : public QObject
{
    Q_OBJECT

private slots:
    void readsCasesAndResolvesPaths()
    {
        // BOM, CRLF, a quoted image path holding a comma, a quoted attribute spanning two lines, an
        // absolute path, a class name as the label, an empty group (defaults to the patient).
        const std::string text
            = "\xEF\xBB\xBFpatient,group,outcome,image,mask,roi,genotypes,sample,apoe,sex,site\r\n"
              "P1,G1,0,\"img/a,b\",masks/a.nii.gz,,vcf/p1.vcf,S1,2,F,\"north\r\nwing\"\r\n"
              "P2,,dead,,,,/abs/p2.vcf,,NA,M,south\r\n"
              "\r\n"
              "P3,G1,1,../other/img,m.dcm,Tumour,,,,F,\r\n";
        auto manifest = parseCohortManifest(text, "cohort.csv", kFolder, spec());
        QVERIFY2(manifest.has_value(), manifest ? "" : manifest.error().message().c_str());
        QCOMPARE(manifest->cases.size(), std::size_t { 3 });
        QCOMPARE(manifest->attributeColumns, (std::vector<std::string> { "apoe", "sex", "site" }));
        const CohortCase &p1 = manifest->cases[0];
        const CohortCase &p2 = manifest->cases[1];
        const CohortCase &p3 = manifest->cases[2];
        QCOMPARE(p1.line, std::size_t { 2 });
        QCOMPARE(p2.line, std::size_t { 4 }); // P1's quoted site spans lines 2 and 3
        QCOMPARE(p3.line, std::size_t { 6 }); // line 5 is blank
        QCOMPARE(p1.group, std::string("G1"));
        QCOMPARE(p2.group, std::string("P2"));
        QCOMPARE(p1.label, std::optional<int>(0));
        QCOMPARE(p2.label, std::optional<int>(1));
        QCOMPARE(p1.image, std::filesystem::path("/data/cohort/img/a,b"));
        QCOMPARE(p1.mask, std::filesystem::path("/data/cohort/masks/a.nii.gz"));
        QCOMPARE(p1.genotypes, std::filesystem::path("/data/cohort/vcf/p1.vcf"));
        QCOMPARE(p1.sample, std::string("S1"));
        QCOMPARE(p2.genotypes, std::filesystem::path("/abs/p2.vcf"));
        QVERIFY(p2.image.empty() && p2.mask.empty());
        QCOMPARE(p3.image, std::filesystem::path("/data/other/img"));
        QCOMPARE(p3.roi, std::string("Tumour"));
        QVERIFY(p3.genotypes.empty());
        QCOMPARE(p1.table, std::vector<double> { 2.0 });
        QVERIFY(std::isnan(p2.table[0]) && std::isnan(p3.table[0]));
        QCOMPARE(p1.attributes, (std::vector<std::string> { "2", "F", "north\r\nwing" }));
        QCOMPARE(p3.attributes[2], std::string());
    }

    void labelsOptionalForPrediction()
    {
        CohortManifestOptions options;
        options.labelRequired = false;
        auto manifest = parseCohortManifest(
            "patient,image,mask,genotypes,apoe,sex\nP1,,,a.vcf,1,F\n", "c.csv", kFolder, spec(), options);
        QVERIFY2(manifest.has_value(), manifest ? "" : manifest.error().message().c_str());
        QVERIFY(!manifest->cases[0].label.has_value());
    }

    void refused_data()
    {
        QTest::addColumn<QString>("csv");
        QTest::addColumn<QString>("message");
        const QString header = "patient,outcome,image,mask,genotypes,apoe,sex\n";
        QTest::newRow("empty") << ""
                               << "cohort.csv: the manifest is empty (a header row is required)";
        QTest::newRow("header only") << header << "cohort.csv: the manifest has a header but no case rows";
        QTest::newRow("no patient column")
            << "outcome,image,mask,genotypes,apoe,sex\n1,,,,,F\n"
            << "cohort.csv, line 1: the column 'patient' is missing; every case needs its pseudonymous id";
        QTest::newRow("no label column")
            << "patient,image,mask,genotypes,apoe,sex\nP1,,,,,F\n"
            << "cohort.csv, line 1: the column 'outcome' is missing; the task's label is read from it";
        QTest::newRow("no genotypes column") << "patient,outcome,image,mask,apoe,sex\nP1,1,,,,F\n"
                                             << "cohort.csv, line 1: the column 'genotypes' is missing; the "
                                                "specification has genotype features";
        QTest::newRow("no subgroup column")
            << "patient,outcome,image,mask,genotypes,apoe\nP1,1,,,,\n"
            << "cohort.csv, line 1: the column 'sex' is missing; the specification names it as a subgroup";
        QTest::newRow("empty header cell")
            << "patient,outcome,,image,mask,genotypes,apoe,sex\nP1,1,x,,,,,F\n"
            << "cohort.csv, line 1, column 3: a header cell is empty; every column needs a name";
        QTest::newRow("duplicate header")
            << "patient,outcome,image,mask,genotypes,apoe,sex,sex\nP1,1,,,,,F,F\n"
            << "cohort.csv, line 1, column 8: the column name 'sex' appears twice in the header";
        QTest::newRow("ragged row") << header + "P1,1,,,\n"
                                    << "cohort.csv, line 2: the row has 5 cells; the header has 7";
        QTest::newRow("empty patient") << header + ",1,,,,,F\n"
                                       << "cohort.csv, line 2, column 'patient': the patient cell is empty";
        QTest::newRow("duplicate patient") << header + "SECRET-ID,1,,,,,F\nOTHER,0,,,,,M\nSECRET-ID,0,,,,,F\n"
                                           << "cohort.csv, line 4, column 'patient': the patient of line 2 "
                                              "appears again; patients are unique";
        QTest::newRow("binary label 2") << header + "P1,2,,,,,F\n"
                                        << "cohort.csv, line 2, column 'outcome': the label is not valid for "
                                           "this binary task (0 or 1 or a "
                                           "class name of task.classes)";
        QTest::newRow("missing label") << header + "P1,,,,,,F\n"
                                       << "cohort.csv, line 2, column 'outcome': the label is missing";
        QTest::newRow("image without mask")
            << header + "P1,1,scan,,,,F\n"
            << "cohort.csv, line 2, column 'mask': the 'image' cell is given but the 'mask' cell is empty";
        QTest::newRow("mask without image")
            << header + "P1,1,,rs.dcm,,,F\n"
            << "cohort.csv, line 2, column 'image': the 'mask' cell is given but the 'image' cell is empty";
        QTest::newRow("sample without genotypes")
            << "patient,outcome,image,mask,genotypes,sample,apoe,sex\nP1,1,,,,NA12878,,F\n"
            << "cohort.csv, line 2, column 'genotypes': the 'sample' cell is given but the 'genotypes' cell "
               "is "
               "empty";
        QTest::newRow("table cell not a number")
            << header + "P1,1,,,,two,F\n"
            << "cohort.csv, line 2, column 'apoe': the cell is not a number";
        QTest::newRow("table cell infinite")
            << header + "P1,1,,,,inf,F\n"
            << "cohort.csv, line 2, column 'apoe': the number is out of range or not finite";
        QTest::newRow("unterminated quote")
            << header + "P1,1,\"scan,,,,F\n"
            << "cohort.csv, line 2, column 3: a quoted cell is not closed before the end of the file";
        QTest::newRow("text after a closing quote")
            << header + "P1,1,\"scan\"x,m,,,F\n"
            << "cohort.csv, line 2, column 3: text follows the closing quote of a quoted cell";
        QTest::newRow("quote inside a cell")
            << header + "P1,1,sc\"an,m,,,F\n"
            << "cohort.csv, line 2, column 3: a quote inside an unquoted cell (RFC 4180: quote the cell)";
        QTest::newRow("control character in a path")
            << header + "P1,1,,,a\x01.vcf,,F\n"
            << "cohort.csv, line 2, column 'genotypes': a path holds a control character";
    }

    void refused()
    {
        QFETCH(QString, csv);
        QFETCH(QString, message);
        const std::string text = csv.toStdString();
        const auto manifest = parseCohortManifest(text, "cohort.csv", kFolder, spec());
        QVERIFY(!manifest.has_value());
        QCOMPARE(QString::fromStdString(manifest.error().message()), message);
        QVERIFY(manifest.error().message().find("SECRET-ID") == std::string::npos);
    }

    void limits()
    {
        CohortManifestOptions options;
        options.maxRows = 2;
        const std::string text
            = "patient,outcome,image,mask,genotypes,apoe,sex\nA,1,,,,,F\nB,1,,,,,F\nC,1,,,,,F\n";
        auto manifest = parseCohortManifest(text, "cohort.csv", kFolder, spec(), options);
        QVERIFY(!manifest.has_value());
        QVERIFY(manifest.error().code == ErrorCode::LimitExceeded);
        QCOMPARE(QString::fromStdString(manifest.error().message()),
            QString("cohort.csv, line 4: more rows than the limit of 2"));
        options = {};
        options.maxCellBytes = 10; // the longest header name, "genotypes", has 9
        manifest = parseCohortManifest(
            "patient,outcome,image,mask,genotypes,apoe,sex\nA,1,,,a-very-long-name.vcf,,F\n", "cohort.csv",
            kFolder, spec(), options);
        QVERIFY(!manifest.has_value());
        QVERIFY(manifest.error().code == ErrorCode::LimitExceeded);
        QCOMPARE(QString::fromStdString(manifest.error().message()),
            QString("cohort.csv, line 2, column 5: a cell is longer than the limit of 10 bytes"));
    }

    void invalidUtf8()
    {
        // Bytes C3 28: a two-byte lead followed by '(' (QString would repair it, so std::string here).
        // The header is 46 bytes and "P1,1,,,,," 9 more, so the bad lead byte is byte 56.
        const std::string text = "patient,outcome,image,mask,genotypes,apoe,sex\nP1,1,,,,,\xC3\x28\n";
        const auto manifest = parseCohortManifest(text, "cohort.csv", kFolder, spec());
        QVERIFY(!manifest.has_value());
        QCOMPARE(QString::fromStdString(manifest.error().message()),
            QString("cohort.csv: invalid UTF-8 at byte 56"));
    }

    void readFileResolvesAgainstItsFolder()
    {
        const std::filesystem::path folder = std::filesystem::temp_directory_path() / "tst_cohort_manifest";
        std::filesystem::create_directories(folder);
        const std::filesystem::path file = folder / "cohort.csv";
        {
            std::FILE *out = std::fopen(file.c_str(), "wb");
            QVERIFY(out != nullptr);
            const std::string text = "patient,outcome,image,mask,genotypes,apoe,sex\nA,1,,,g/a.vcf,,F\n";
            std::fwrite(text.data(), 1, text.size(), out);
            std::fclose(out);
        }
        auto manifest = readCohortManifest(file, spec());
        QVERIFY2(manifest.has_value(), manifest ? "" : manifest.error().message().c_str());
        QCOMPARE(manifest->cases[0].genotypes, folder / "g" / "a.vcf");
        QCOMPARE(manifest->sourceName, std::string("cohort.csv"));
        const auto missing = readCohortManifest(folder / "absent.csv", spec());
        QVERIFY(!missing.has_value());
        QCOMPARE(QString::fromStdString(missing.error().message()),
            QString("absent.csv: the manifest does not exist or is not a regular file"));
        std::filesystem::remove_all(folder);
    }
};

QTEST_APPLESS_MAIN(TestCohortManifest)
#include "tst_cohort_manifest.moc"
