// SPDX-License-Identifier: Apache-2.0
// inspectVariantFile on every file of the shared VCF edge cases (PyVCF's and PharmCAT's test files,
// their licence text and a JSON among them) and PharmCAT's single-sample test VCFs. Each file has a
// row saying whether it loads or how it is refused; a file without a row fails the suite. For a file
// that loads, the record and sample counts must equal bcftools' (`bcftools view -H` lines and `bcftools
// query -l` lines, run by the test). A refusal must start with the file's name, say what is wrong, and
// hold no sample name. Inspection of a hand-made file checks the counted facts and the warnings.
#include "core/genomics/variant_inspection.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

using namespace mosaic;
namespace fs = std::filesystem;

using mosaic::testing::bcftoolsPath;

namespace {

fs::path genomicsDir()
{
    return fs::path(MOSAIC_SHARED_DATA_DIR) / "genomics";
}

// The expected outcome of each file, by its path under genomics/: "loads", or a phrase of the refusal.
// The four refusals: the Debian licence text and PharmCAT's JSON expectations are not variant data;
// PharmCAT's badAllele file calls an allele its record does not have; example-4.2's #CHROM line is
// separated by spaces, which htslib (and bcftools) refuse.
const std::map<std::string, std::string> kExpected = {
    { "pharmcat/test-vcfs/VKORC1/-1639A-1639A.vcf", "loads" },
    { "pharmcat/test-vcfs/VKORC1/-1639G-1639A.vcf", "loads" },
    { "pharmcat/test-vcfs/VKORC1/-1639G-1639G.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/noCall.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/rs12769205call.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/rs12769205missingrs4244285het.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/rs12769205only.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/rs12769205ref.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s15s28.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s1.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s17.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s17s1s4bmissing.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s17s1s4bmissingmore.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s1rs12248560missing.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s2.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s28.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s2rs3758581missing.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s2rs3758581missingRs58973490het.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s2rs58973490het.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s35.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s4b.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s1s4s17.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s2s2.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s2s3.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s4as4b.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s4bs17.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s4bs17rs28399504missing.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s4s17het.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/s4s17missingS1.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c19/sUnks17.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s1s1.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s1s61.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s24s24.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s24s2pluss24.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s2s24.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s2s24only.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s2s25.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s2s3.vcf", "loads" },
    { "pharmcat/test-vcfs/cyp2c9/s3s18m94981296.vcf", "loads" },
    { "vcf-edge-cases/1kg.vcf.gz", "loads" },
    { "vcf-edge-cases/DEBIAN_COPYRIGHT", "not VCF or BCF" },
    { "vcf-edge-cases/VcfReaderTest-AD-invalid.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-AD-missing.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-AD-unknown.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-AD.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-alleleOrder.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-badAllele.vcf", "record 1 (2:233760233): sample 1 calls allele 2 of 2" },
    { "vcf-edge-cases/VcfReaderTest-filters.json", "not VCF or BCF" },
    { "vcf-edge-cases/VcfReaderTest-filters.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-phaseSet.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-phasing.vcf", "loads" },
    { "vcf-edge-cases/VcfReaderTest-structuralAlt.vcf", "loads" },
    { "vcf-edge-cases/bad-info-character.vcf", "loads" },
    { "vcf-edge-cases/example-4.0.vcf", "loads" },
    { "vcf-edge-cases/example-4.1.vcf", "loads" },
    { "vcf-edge-cases/example-4.2.vcf.gz", "the #CHROM line (line 48) is not tab-separated" },
    { "vcf-edge-cases/info-type-character.vcf", "loads" },
    { "vcf-edge-cases/issue-214.vcf", "loads" },
    { "vcf-edge-cases/null_genotype_mono.vcf.gz", "loads" },
    { "vcf-edge-cases/samples-space.vcf", "loads" },
    { "vcf-edge-cases/string_as_flag.vcf", "loads" },
};

std::vector<std::string> bcftoolsLines(const QStringList &arguments, bool *ok)
{
    QProcess process;
    process.start(bcftoolsPath(), arguments);
    *ok = process.waitForFinished(60000) && process.exitStatus() == QProcess::NormalExit
        && process.exitCode() == 0;
    std::vector<std::string> lines;
    std::istringstream stream(process.readAllStandardOutput().toStdString());
    for (std::string line; std::getline(stream, line);)
        lines.push_back(line);
    return lines;
}

std::string factOf(const InspectionReport &report, const std::string &name)
{
    for (const auto &[key, value] : report.facts)
        if (key == name)
            return value;
    return "(no fact '" + name + "')";
}

std::vector<std::string> walkedFiles()
{
    std::vector<std::string> files;
    for (const char *folder : { "vcf-edge-cases", "pharmcat/test-vcfs" }) {
        const fs::path dir = genomicsDir() / folder;
        if (!fs::is_directory(dir))
            continue;
        for (const auto &entry : fs::recursive_directory_iterator(dir))
            if (entry.is_regular_file())
                files.push_back(fs::relative(entry.path(), genomicsDir()).string());
    }
    std::sort(files.begin(), files.end());
    return files;
}

} // namespace

class TstVcfInspection : public QObject
{
    Q_OBJECT

private slots:
    void everyFileHasARow();
    void sharedFilesLoadOrAreRefusedByName_data();
    void sharedFilesLoadOrAreRefusedByName();
    void countsAndWarnsOnAHandMadeFile();
};

void TstVcfInspection::everyFileHasARow()
{
    const std::vector<std::string> files = walkedFiles();
    if (files.empty())
        QSKIP("../shared/data/genomics is not present");
    for (const std::string &file : files)
        QVERIFY2(kExpected.contains(file), ("no row for " + file).c_str());
    for (const auto &[file, outcome] : kExpected)
        QVERIFY2(std::find(files.begin(), files.end(), file) != files.end(),
            ("a row for a missing file: " + file).c_str());
}

void TstVcfInspection::sharedFilesLoadOrAreRefusedByName_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("outcome");
    for (const std::string &file : walkedFiles()) {
        const auto expected = kExpected.find(file);
        QTest::newRow(file.c_str()) << QString::fromStdString(
            file) << QString::fromStdString(expected != kExpected.end() ? expected->second : "no row");
    }
}

void TstVcfInspection::sharedFilesLoadOrAreRefusedByName()
{
    QFETCH(QString, file);
    QFETCH(QString, outcome);
    if (bcftoolsPath().isEmpty())
        QSKIP("bcftools is not installed: the record and sample counts are missing");
    const fs::path path = genomicsDir() / file.toStdString();
    const std::string name = path.filename().string();
    bool listed = false;
    std::vector<std::string> samples
        = bcftoolsLines({ "query", "-l", QString::fromStdString(path.string()) }, &listed);

    const auto report = inspectVariantFile(path);
    if (!report) {
        const std::string message = report.error().message();
        qInfo("refused: %s", message.c_str());
        QVERIFY2(outcome != "loads", ("refused a file that should load: " + message).c_str());
        QVERIFY2(message.starts_with(name + ",") || message.starts_with(name + ":"), message.c_str());
        QVERIFY2(message.find(outcome.toStdString()) != std::string::npos, message.c_str());
        for (const std::string &sample : samples)
            if (sample.size() >= 3)
                QVERIFY2(message.find(sample) == std::string::npos, "a sample name appears in the refusal");
        return;
    }
    QVERIFY2(outcome == "loads", qPrintable("loaded a file that should be refused: " + outcome));
    bool viewed = false;
    const std::vector<std::string> records
        = bcftoolsLines({ "view", "-H", QString::fromStdString(path.string()) }, &viewed);
    QVERIFY2(listed && viewed, "bcftools could not read a file Mosaic loads");
    QCOMPARE(factOf(*report, "records"), std::to_string(records.size()));
    QCOMPARE(factOf(*report, "samples"), std::to_string(samples.size()));
    QVERIFY(report->kind == "vcf" || report->kind == "bcf");
    for (const auto &[key, value] : report->facts)
        for (const std::string &sample : samples)
            if (sample.size() >= 3)
                QVERIFY2(value.find(sample) == std::string::npos,
                    ("a sample name appears in fact " + key).c_str());
    qInfo("%s: %s records, build %s", name.c_str(), factOf(*report, "records").c_str(),
        factOf(*report, "genome build").c_str());
}

void TstVcfInspection::countsAndWarnsOnAHandMadeFile()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path path = fs::path(dir.path().toStdString()) / "hand.vcf";
    {
        std::ofstream out(path, std::ios::binary);
        // GRCh38 by two contig lengths; chr3 and the key XX are not declared; chr2 comes back after
        // chr1 (unsorted). Called genotypes with two alleles: 0|1 1/1, 0|0 1|2, 0/0, 0|1, 0|1 0|0 -> 6
        // phased of 8; "./." and the haploid "1" do not count.
        out << "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n##contig=<ID=chr2,length="
               "242193529>\n"
               "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
               "##FORMAT=<ID=DS,Number=1,Type=Float,Description=\"Dosage\">\n"
               "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tPatientA\tPatientB\n"
               "chr2\t100\t.\tA\tG\t.\t.\t.\tGT:DS\t0|1:1\t1/1:2\n"
               "chr1\t200\t.\tA\tG,T\t.\t.\t.\tGT\t0|0\t1|2\n"
               "chr1\t300\t.\tC\tT\t.\t.\tXX=1\tGT\t./.\t0/0\n"
               "chr2\t50\t.\tG\tA\t.\t.\t.\tGT\t1\t0|1\n"
               "chr3\t10\t.\tT\tC\t.\t.\t.\tGT:DS\t0|1:0.9\t0|0:.\n";
    }
    std::ofstream(fs::path(path.string() + ".tbi")) << "not an index";
    const auto report = inspectVariantFile(path);
    QVERIFY2(report.has_value(), report ? "" : report.error().message().c_str());
    QCOMPARE(report->kind, std::string("vcf"));
    QCOMPARE(factOf(*report, "format"), std::string("VCFv4.2"));
    QCOMPARE(factOf(*report, "compression"), std::string("none"));
    QCOMPARE(factOf(*report, "samples"), std::string("2"));
    QCOMPARE(factOf(*report, "genome build"), std::string("GRCh38"));
    QCOMPARE(factOf(*report, "records"), std::string("5"));
    QCOMPARE(factOf(*report, "multi-allelic records"), std::string("1"));
    QCOMPARE(factOf(*report, "chromosomes with records"), std::string("2 (2), 1 (2), 3 (1)"));
    QCOMPARE(factOf(*report, "GT"), std::string("declared, in 5 records"));
    QCOMPARE(factOf(*report, "DS"), std::string("declared, in 2 records"));
    QVERIFY2(factOf(*report, "phased share").starts_with("0.750 (6 of 8)"),
        factOf(*report, "phased share").c_str());
    const std::string warnings = [&] {
        std::string all;
        for (const std::string &warning : report->warnings)
            all += warning + "\n";
        return all;
    }();
    QVERIFY2(
        warnings.find("hand.vcf.tbi beside the input was ignored") != std::string::npos, warnings.c_str());
    QVERIFY2(warnings.find("1 records use a chromosome the header does not declare") != std::string::npos,
        warnings.c_str());
    QVERIFY2(warnings.find("1 records use an INFO or FORMAT key") != std::string::npos, warnings.c_str());
    QVERIFY2(warnings.find("not sorted by chromosome and position (first at record 4)") != std::string::npos,
        warnings.c_str());
    QVERIFY2(warnings.find("Patient") == std::string::npos, "a sample name appears in a warning");
}

QTEST_APPLESS_MAIN(TstVcfInspection)
#include "tst_vcf_inspection.moc"
