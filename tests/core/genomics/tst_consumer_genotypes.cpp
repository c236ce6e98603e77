// SPDX-License-Identifier: Apache-2.0
// The independent truth for the two converted files (tests/data/genomics/consumer, see NOTES.md) is
// bcftools, run by the test through QProcess on the 1000 Genomes VCF they were made from: each row
// is expected where the conversion rules (NOTES.md) put it, with the alleles bcftools reports. Without
// bcftools those cases are skipped. Haploid, sex-chromosome, build, duplicate and malformed cases are
// small files built inside the test, each with hand-computed expectations; every refusal is compared
// as the whole message, so the file, line and chromosome:position it names are checked exactly.
#include "core/genomics/consumer_genotype_file.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <zlib.h>

using namespace mosaic;
namespace fs = std::filesystem;

using mosaic::testing::bcftoolsPath;
using mosaic::testing::split;
using mosaic::testing::writeFile;

namespace {

const fs::path kConsumerDir = fs::path(MOSAIC_SOURCE_DIR) / "tests/data/genomics/consumer";
const fs::path kChr22 = fs::path(MOSAIC_SHARED_DATA_DIR) / "genomics/1000g/chr22.vcf.gz";

// A header comment of the kind real downloads carry; it must never reach a message or a report.
const std::string kPersonalComment = "# Name: Jane Q Example, kit FC-48213977\n";

std::string gzipped(const std::string &bytes, const fs::path &scratch)
{
    gzFile file = gzopen(scratch.c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
    std::ifstream in(scratch, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::vector<std::string> sorted(std::vector<std::string> values)
{
    std::sort(values.begin(), values.end());
    return values;
}

QString joined(const std::vector<std::string> &alleles)
{
    QStringList list;
    for (const std::string &allele : alleles)
        list << (allele.empty() ? QStringLiteral("<missing>") : QString::fromStdString(allele));
    return list.join(QLatin1Char('/'));
}

// One expected row: what the conversion rules in NOTES.md make of a bcftools row.
struct ExpectedRow
{
    std::string id;
    std::string chromosome;
    std::int64_t position = 0;
    std::vector<std::string> alleles; // sorted; empty when a no-call
    bool indel = false;
};

std::string allText(const InspectionReport &report)
{
    std::string text = report.kind;
    for (const auto &[key, value] : report.facts)
        text += "\n" + key + "=" + value;
    for (const std::string &warning : report.warnings)
        text += "\n" + warning;
    return text;
}

std::string factOf(const InspectionReport &report, const std::string &key)
{
    for (const auto &[name, value] : report.facts)
        if (name == key)
            return value;
    return "<absent>";
}

} // namespace

class TstConsumerGenotypes : public QObject
{
    Q_OBJECT

private slots:
    void convertedFilesAgreeWithBcftools_data();
    void convertedFilesAgreeWithBcftools();
    void readsHaploidAndSexChromosomes();
    void readsAncestryChromosomeCodes();
    void buildComesFromTheHeader_data();
    void buildComesFromTheHeader();
    void keepsAndCountsDuplicates();
    void readsGzipAndWindowsLineEnds();
    void detectsFormats_data();
    void detectsFormats();
    void refusesMalformedFiles_data();
    void refusesMalformedFiles();
    void recordLimitIsEnforced();

private:
    QTemporaryDir m_dir;
};

void TstConsumerGenotypes::convertedFilesAgreeWithBcftools_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("sample");
    QTest::addColumn<int>("snpOffset");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("headerLines");
    QTest::newRow("23andMe layout, HG00096, every third SNP from the first")
        << "HG00096_chr22_23andme.txt"
        << "HG00096" << 0 << "23andme" << 6;
    QTest::newRow("AncestryDNA layout, HG00097, every third SNP from the second")
        << "HG00097_chr22_ancestrydna.txt"
        << "HG00097" << 1 << "ancestrydna" << 5;
}

void TstConsumerGenotypes::convertedFilesAgreeWithBcftools()
{
    QFETCH(QString, file);
    QFETCH(QString, sample);
    QFETCH(int, snpOffset);
    QFETCH(QString, kind);
    QFETCH(int, headerLines);
    const QString bcftools = bcftoolsPath();
    if (bcftools.isEmpty())
        QSKIP("bcftools is not installed: the independent truth for the converted files is missing");
    if (!fs::exists(kChr22))
        QSKIP("../shared/data/genomics/1000g/chr22.vcf.gz is absent");

    QProcess query;
    query.start(bcftools,
        { QStringLiteral("query"), QStringLiteral("-s"), sample, QStringLiteral("-i"),
            QStringLiteral("N_ALT=1 && ID~\"^rs\""), QStringLiteral("-f"),
            QStringLiteral("%CHROM\t%POS\t%ID\t%REF\t%ALT\t%TYPE[\t%GT\t%DS]\n"),
            QString::fromStdString(kChr22.string()) });
    QVERIFY(query.waitForFinished(120000));
    QCOMPARE(query.exitCode(), 0);

    std::vector<ExpectedRow> expected;
    std::size_t snpIndex = 0;
    std::size_t indelIndex = 0;
    for (const std::string &line : split(query.readAllStandardOutput().toStdString(), '\n')) {
        const std::vector<std::string> f = split(line, '\t');
        QCOMPARE(f.size(), std::size_t { 8 });
        const std::string &ref = f[3];
        const std::string &alt = f[4];
        bool keep = false;
        bool indel = false;
        if (f[5] == "SNP") {
            keep = snpIndex++ % 3 == static_cast<std::size_t>(snpOffset);
        } else if (f[5] == "INDEL") {
            keep = indelIndex++ % 10 == 0;
            indel = true;
        }
        if (!keep)
            continue;
        // GT "0|1" -> copies; the longer indel allele is I, the shorter D.
        std::vector<std::string> alleles;
        int altCopies = 0;
        for (const char c : f[6]) {
            if (c != '0' && c != '1')
                continue;
            altCopies += c == '1' ? 1 : 0;
            const std::string &spelled = c == '0' ? ref : alt;
            const std::string &other = c == '0' ? alt : ref;
            alleles.push_back(indel ? (spelled.size() > other.size() ? "I" : "D") : spelled);
        }
        const bool noCall = f[7] == "." || std::fabs(std::stod(f[7]) - altCopies) > 0.3;
        expected.push_back({ f[2], f[0], std::stoll(f[1]),
            noCall ? std::vector<std::string> {} : sorted(alleles), indel && !noCall });
    }
    QVERIFY(expected.size() > 3000);

    const fs::path path = kConsumerDir / file.toStdString();
    QCOMPARE(detectConsumerGenotypeFormat(path).has_value(), true);
    auto read = readConsumerGenotypeFile(path);
    QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
    QCOMPARE(QString::fromStdString(std::string(consumerGenotypeFormatName(read->format))), kind);
    QCOMPARE(read->build, GenomeBuild::GRCh37);
    QCOMPARE(read->statedBuild, std::optional<int> { 37 });
    QVERIFY(read->warnings.empty());
    const std::vector<SiteGenotype> &sites = read->genotypes.sites();
    QCOMPARE(sites.size(), expected.size());
    std::size_t noCalls = 0;
    std::size_t indels = 0;
    for (std::size_t i = 0; i < sites.size(); ++i) {
        const SiteGenotype &site = sites[i];
        const ExpectedRow &row = expected[i];
        QCOMPARE(site.id, row.id);
        QCOMPARE(site.chromosome, row.chromosome);
        QCOMPARE(site.position, row.position);
        QVERIFY(site.reference.empty());
        QVERIFY(site.alternates.empty());
        QCOMPARE(site.line, static_cast<std::size_t>(headerLines) + i + 1);
        QCOMPARE(site.alleles.size(), std::size_t { 2 });
        if (row.alleles.empty()) {
            QVERIFY2(site.isNoCall(),
                qPrintable(QStringLiteral("%1: expected a no-call, read %2")
                               .arg(QString::fromStdString(row.id), joined(site.alleles))));
            ++noCalls;
        } else {
            QVERIFY2(sorted(site.alleles) == row.alleles,
                qPrintable(QStringLiteral("%1 (22:%2): bcftools says %3, the file reads as %4")
                               .arg(QString::fromStdString(row.id))
                               .arg(row.position)
                               .arg(joined(row.alleles), joined(site.alleles))));
        }
        indels += row.indel ? 1 : 0;
        QCOMPARE(read->genotypes.byId(row.id), &site);
    }
    QVERIFY(noCalls > 0);
    QVERIFY(indels > 0);
    QCOMPARE(read->counts.records, expected.size());
    QCOMPARE(read->counts.noCalls, noCalls);
    QCOMPARE(read->counts.indels, indels);
    QCOMPARE(read->counts.haploid, std::size_t { 0 });
    QCOMPARE(read->counts.perChromosome.size(), std::size_t { 1 });
    QCOMPARE(read->counts.perChromosome.front().first, std::string("22"));
    QCOMPARE(read->counts.perChromosome.front().second, expected.size());

    // A listed site's lookup is its call, whatever the absent-site rule.
    const ExpectedRow &called = *std::find_if(
        expected.begin(), expected.end(), [](const ExpectedRow &row) { return !row.alleles.empty(); });
    const auto lookup
        = read->genotypes.lookup({ "22", called.position }, "", AbsentSiteRule::HomozygousReference);
    QVERIFY(lookup.has_value());
    QVERIFY(lookup->listed);
    QCOMPARE(sorted(lookup->alleles), called.alleles);

    auto report = inspectConsumerGenotypeFile(path);
    QVERIFY2(report.has_value(), report ? "" : report.error().message().c_str());
    QCOMPARE(QString::fromStdString(report->kind), kind);
    QCOMPARE(factOf(*report, "samples"), std::string("1"));
    QCOMPARE(factOf(*report, "build"), std::string("GRCh37"));
    QCOMPARE(factOf(*report, "records"), std::to_string(expected.size()));
    QCOMPARE(factOf(*report, "no-calls"), std::to_string(noCalls));
    QCOMPARE(factOf(*report, "indel records"), std::to_string(indels));
    QCOMPARE(factOf(*report, "records per chromosome"), "22:" + std::to_string(expected.size()));
    // The header names the 1000 Genomes sample: the report must not.
    QVERIFY(allText(*report).find(sample.toStdString()) == std::string::npos);
}

void TstConsumerGenotypes::readsHaploidAndSexChromosomes()
{
    const fs::path path = fs::path(m_dir.path().toStdString()) / "male_23andme.txt";
    writeFile(path,
        "# This data file generated by 23andMe at: Mon Nov 30 2026\n" + kPersonalComment
            + "# More information on reference human assembly build 37 (a.k.a. Annotation Release 104)\n"
              "# rsid\tchromosome\tposition\tgenotype\n"
              "rs3094315\t1\t752566\tAG\n" // line 5
              "i6019299\t1\t752721\t--\n"
              "rs5939319\tX\t2700157\tG\n" // haploid X (male)
              "rs2032597\tY\t2655180\tC\n"
              "i4000690\tMT\t73\tG\n"
              "rs28357980\tMT\t146\t--\n"
              "i5000101\t7\t117199644\tDI\n" // CFTR F508del probe
              "i5000102\tX\t3000000\tI\n"); // haploid insertion
    auto read = readConsumerGenotypeFile(path);
    QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
    QCOMPARE(read->format, ConsumerGenotypeFormat::TwentyThreeAndMe);
    const std::vector<SiteGenotype> &sites = read->genotypes.sites();
    QCOMPARE(sites.size(), std::size_t { 8 });
    QCOMPARE(sites[0].alleles, (std::vector<std::string> { "A", "G" }));
    QCOMPARE(sites[0].line, std::size_t { 5 });
    QVERIFY(sites[1].isNoCall());
    QCOMPARE(sites[2].chromosome, std::string("X"));
    QCOMPARE(sites[2].alleles, std::vector<std::string> { "G" });
    QCOMPARE(sites[3].alleles, std::vector<std::string> { "C" });
    QCOMPARE(sites[4].chromosome, std::string("MT"));
    QCOMPARE(sites[4].position, std::int64_t { 73 });
    QVERIFY(sites[5].isNoCall());
    QCOMPARE(sites[6].alleles, (std::vector<std::string> { "D", "I" }));
    QCOMPARE(sites[7].alleles, std::vector<std::string> { "I" });
    QCOMPARE(read->counts.records, std::size_t { 8 });
    QCOMPARE(read->counts.noCalls, std::size_t { 2 });
    QCOMPARE(read->counts.haploid, std::size_t { 4 });
    QCOMPARE(read->counts.indels, std::size_t { 2 });
    const std::vector<std::pair<std::string, std::size_t>> perChromosome { { "1", 2 }, { "7", 1 }, { "X", 2 },
        { "Y", 1 }, { "MT", 2 } };
    QCOMPARE(read->counts.perChromosome, perChromosome);
    QCOMPARE(read->build, GenomeBuild::GRCh37);
    // Absent sites: the rule decides, and says so.
    QVERIFY(!read->genotypes.lookup({ "1", 1000 }, "A", AbsentSiteRule::Missing).has_value());
    const auto assumed = read->genotypes.lookup({ "1", 1000 }, "A", AbsentSiteRule::HomozygousReference);
    QVERIFY(assumed.has_value());
    QVERIFY(!assumed->listed);
    QCOMPARE(assumed->alleles, (std::vector<std::string> { "A", "A" }));

    auto report = inspectConsumerGenotypeFile(path);
    QVERIFY(report.has_value());
    QCOMPARE(factOf(*report, "haploid records"), std::string("4"));
    QCOMPARE(factOf(*report, "records per chromosome"), std::string("1:2 7:1 X:2 Y:1 MT:2"));
    QVERIFY(allText(*report).find("Jane") == std::string::npos);
    QVERIFY(allText(*report).find("48213977") == std::string::npos);
}

void TstConsumerGenotypes::readsAncestryChromosomeCodes()
{
    const fs::path path = fs::path(m_dir.path().toStdString()) / "codes_ancestry.txt";
    writeFile(path,
        "#AncestryDNA raw data download\n" + kPersonalComment
            + "#Columns two and three contain the chromosome and basepair position of the SNP using human "
              "reference build 37.1 coordinates.\n"
              "rsid\tchromosome\tposition\tallele1\tallele2\n"
              "rs4477212\t1\t82154\tA\tA\n" // line 5
              "rs3131972\t1\t752721\t0\t0\n"
              "rs1000\t23\t2700157\tG\tG\n"
              "rs1001\t24\t2655180\tC\tC\n"
              "rs1002\t25\t2699520\tA\tG\n"
              "rs1003\t26\t73\tG\tG\n"
              "rs1004\t2\t1000\tA\t0\n"
              "rs1005\t3\t2000\tD\tI\n");
    auto read = readConsumerGenotypeFile(path);
    QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
    QCOMPARE(read->format, ConsumerGenotypeFormat::AncestryDna);
    QCOMPARE(read->build, GenomeBuild::GRCh37);
    const std::vector<SiteGenotype> &sites = read->genotypes.sites();
    QCOMPARE(sites.size(), std::size_t { 8 });
    QCOMPARE(sites[0].line, std::size_t { 5 });
    QVERIFY(sites[1].isNoCall());
    QCOMPARE(sites[2].chromosome, std::string("X"));
    QCOMPARE(sites[3].chromosome, std::string("Y"));
    QCOMPARE(sites[4].chromosome, std::string("X")); // 25: pseudo-autosomal, X coordinates
    QCOMPARE(sites[4].alleles, (std::vector<std::string> { "A", "G" }));
    QCOMPARE(sites[5].chromosome, std::string("MT"));
    QCOMPARE(sites[6].alleles, (std::vector<std::string> { "A", "" }));
    QVERIFY(!sites[6].isNoCall());
    QCOMPARE(sites[7].alleles, (std::vector<std::string> { "D", "I" }));
    QCOMPARE(read->counts.noCalls, std::size_t { 1 });
    QCOMPARE(read->counts.partialCalls, std::size_t { 1 });
    QCOMPARE(read->counts.pseudoAutosomal, std::size_t { 1 });
    QCOMPARE(read->counts.indels, std::size_t { 1 });
    QCOMPARE(read->counts.haploid, std::size_t { 0 });
    QCOMPARE(read->warnings,
        std::vector<std::string> {
            "1 rows have one allele called and the other not (0); the missing copy is kept as missing" });
    const std::vector<std::pair<std::string, std::size_t>> perChromosome { { "1", 2 }, { "2", 1 }, { "3", 1 },
        { "X", 2 }, { "Y", 1 }, { "MT", 1 } };
    QCOMPARE(read->counts.perChromosome, perChromosome);
    QVERIFY(read->genotypes.byId("rs1002") == &sites[4]);
}

void TstConsumerGenotypes::buildComesFromTheHeader_data()
{
    QTest::addColumn<QString>("header");
    QTest::addColumn<int>("build"); // 0 unknown, 37, 38
    QTest::addColumn<int>("stated"); // 0 none
    QTest::addColumn<QString>("warning");
    const QString noBuild = QStringLiteral("the header names no genome build: positions cannot be matched to "
                                           "GRCh37 or GRCh38 until the build is "
                                           "known");
    QTest::newRow("23andMe v5 wording, build 37") << "# reference human assembly build 37 (a.k.a. Annotation "
                                                     "Release 104)\n"
                                                  << 37 << 37 << "";
    QTest::newRow("build 38") << "# reference human assembly build 38\n" << 38 << 38 << "";
    QTest::newRow("GRCh38 named") << "# coordinates on GRCh38\n" << 38 << 38 << "";
    QTest::newRow("build 36 is stated but not matched")
        << "# reference human assembly build 36\n"
        << 0 << 36
        << "the header names build 36 (NCBI36): Mosaic matches GRCh37 and GRCh38 positions only, so the "
           "build is "
           "left unknown";
    QTest::newRow("two builds named")
        << "# build 37\n# lifted to build 38\n"
        << 0 << 0 << "the header names more than one genome build; the build is left unknown";
    QTest::newRow("no build named") << "# This data file generated by 23andMe\n" << 0 << 0 << noBuild;
    QTest::newRow("build 370 is not build 37") << "# build 370\n" << 0 << 0 << noBuild;
}

void TstConsumerGenotypes::buildComesFromTheHeader()
{
    QFETCH(QString, header);
    QFETCH(int, build);
    QFETCH(int, stated);
    QFETCH(QString, warning);
    const fs::path path = fs::path(m_dir.path().toStdString()) / "build.txt";
    writeFile(path, header.toStdString() + "# rsid\tchromosome\tposition\tgenotype\nrs1\t1\t100\tAG\n");
    auto read = readConsumerGenotypeFile(path);
    QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
    const GenomeBuild expected
        = build == 37 ? GenomeBuild::GRCh37 : (build == 38 ? GenomeBuild::GRCh38 : GenomeBuild::Unknown);
    QCOMPARE(read->build, expected);
    QCOMPARE(read->statedBuild, stated == 0 ? std::optional<int> {} : std::optional<int> { stated });
    if (warning.isEmpty())
        QVERIFY(read->warnings.empty());
    else
        QCOMPARE(read->warnings, std::vector<std::string> { warning.toStdString() });
}

void TstConsumerGenotypes::keepsAndCountsDuplicates()
{
    const fs::path path = fs::path(m_dir.path().toStdString()) / "duplicates.txt";
    writeFile(path,
        "# build 37\n# rsid\tchromosome\tposition\tgenotype\n"
        "rs10\t1\t100\tAG\n" // line 3
        "i10\t1\t100\tGA\n" // same position, same call
        "rs20\t1\t200\tAA\n"
        "i20\t1\t200\tAG\n" // same position, another call
        "rs30\t1\t300\t--\n"
        "i30\t1\t300\tCC\n" // a no-call does not disagree
        "rs10\t2\t500\tTT\n"); // the same id again
    auto read = readConsumerGenotypeFile(path);
    QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
    QCOMPARE(read->counts.records, std::size_t { 7 });
    QCOMPARE(read->counts.duplicatePositions, std::size_t { 3 });
    QCOMPARE(read->counts.conflictingDuplicatePositions, std::size_t { 1 });
    QCOMPARE(read->counts.duplicateIds, std::size_t { 1 });
    QCOMPARE(read->warnings,
        (std::vector<std::string> { "3 positions are listed more than once (1 of them with different calls); "
                                    "a lookup by position sees "
                                    "every row",
            "1 ids are listed more than once; a lookup by id returns the first row" }));
    QCOMPARE(read->genotypes.at({ "1", 200 }).size(), std::size_t { 2 });
    // Repeated rows are separate probes: never merged; the first row with a call answers.
    const auto failedThenCalled = read->genotypes.lookup({ "1", 300 }, "", AbsentSiteRule::Missing);
    QVERIFY(failedThenCalled.has_value() && failedThenCalled->listed);
    QCOMPARE(failedThenCalled->alleles, (std::vector<std::string> { "C", "C" }));
    const auto disagreeing = read->genotypes.lookup({ "1", 200 }, "", AbsentSiteRule::Missing);
    QVERIFY(disagreeing.has_value());
    QCOMPARE(disagreeing->alleles, (std::vector<std::string> { "A", "A" }));
    const auto agreeing = read->genotypes.lookup({ "1", 100 }, "", AbsentSiteRule::Missing);
    QVERIFY(agreeing.has_value());
    QCOMPARE(agreeing->alleles, (std::vector<std::string> { "A", "G" }));
    QCOMPARE(read->genotypes.byId("rs10")->line, std::size_t { 3 });
}

void TstConsumerGenotypes::readsGzipAndWindowsLineEnds()
{
    const std::string text = "# build 37\r\n# rsid\tchromosome\tposition\tgenotype\r\n"
                             "rs1\t1\t100\tAG\r\nrs2\tX\t200\tT\r\n\r\n";
    const fs::path dir = m_dir.path().toStdString();
    writeFile(dir / "crlf.txt", text);
    auto plain = readConsumerGenotypeFile(dir / "crlf.txt");
    QVERIFY2(plain.has_value(), plain ? "" : plain.error().message().c_str());
    QCOMPARE(plain->genotypes.sites().size(), std::size_t { 2 });
    QCOMPARE(plain->genotypes.sites()[1].alleles, std::vector<std::string> { "T" });

    const std::string compressed = gzipped(text, dir / "crlf.txt.gz");
    auto gz = readConsumerGenotypeFile(dir / "crlf.txt.gz");
    QVERIFY2(gz.has_value(), gz ? "" : gz.error().message().c_str());
    QCOMPARE(gz->genotypes.sites().size(), std::size_t { 2 });
    QCOMPARE(gz->genotypes.sites()[0].alleles, (std::vector<std::string> { "A", "G" }));

    // Cut short: the reader notices instead of reading a clean end.
    writeFile(dir / "cut.txt.gz", compressed.substr(0, compressed.size() - 12));
    auto cut = readConsumerGenotypeFile(dir / "cut.txt.gz");
    QVERIFY(!cut.has_value());
    QCOMPARE(cut.error().code, ErrorCode::Malformed);
    QVERIFY2(cut.error().message().starts_with("cut.txt.gz, line "), cut.error().message().c_str());
    QVERIFY2(cut.error().message().ends_with(": the compressed data is damaged or cut short"),
        cut.error().message().c_str());
}

void TstConsumerGenotypes::detectsFormats_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected"); // "" = neither
    QTest::newRow("23andMe commented column line")
        << QByteArray("# some text\n# rsid\tchromosome\tposition\tgenotype\nrs1\t1\t100\tAG\n") << "23andme";
    QTest::newRow("AncestryDNA column line")
        << QByteArray("#x\nrsid\tchromosome\tposition\tallele1\tallele2\n") << "ancestrydna";
    QTest::newRow("headerless 23andMe rows") << QByteArray("rs1\t1\t100\tAG\nrs2\t1\t200\t--\n") << "23andme";
    QTest::newRow("headerless AncestryDNA rows") << QByteArray("rs1\t23\t100\tA\tG\n") << "ancestrydna";
    QTest::newRow("company named, no rows yet")
        << QByteArray("# This data file generated by 23andMe at: x\n") << "23andme";
    QTest::newRow("VCF whose header names 23andMe") << QByteArray(
        "##fileformat=VCFv4.2\n##source=23andMe converted\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n"
        "1\t100\trs1\tA\tG\t.\t.\t.\n") << "";
    QTest::newRow("CSV table") << QByteArray("age,sodium\n61,140\n") << "";
    QTest::newRow("four columns that are not genotypes") << QByteArray("a\tb\tc\td\n") << "";
    QTest::newRow("binary bytes in the first line") << QByteArray("rs1\t1\t1\tA\0G\n", 12) << "";
    QTest::newRow("empty") << QByteArray() << "";
}

void TstConsumerGenotypes::detectsFormats()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    const fs::path path = fs::path(m_dir.path().toStdString()) / "sniff.txt";
    writeFile(path, content.toStdString());
    const auto format = detectConsumerGenotypeFormat(path);
    QCOMPARE(format ? QString::fromStdString(std::string(consumerGenotypeFormatName(*format))) : QString(),
        expected);
    // The real VCF and the missing file are neither.
    if (fs::exists(kChr22))
        QVERIFY(!detectConsumerGenotypeFormat(kChr22).has_value());
    QVERIFY(!detectConsumerGenotypeFormat(path.string() + ".absent").has_value());
}

void TstConsumerGenotypes::refusesMalformedFiles_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const QByteArray header23 = QByteArray("# build 37\n") + kPersonalComment.c_str()
        + "# rsid\tchromosome\tposition\tgenotype\nrs1\t1\t100\tAG\n"; // data from line 4
    const QByteArray headerAnc = QByteArray("#AncestryDNA raw data download\n") + kPersonalComment.c_str()
        + "rsid\tchromosome\tposition\tallele1\tallele2\nrs1\t1\t100\tA\tG\n"; // data from line 4
    const int malformed = static_cast<int>(ErrorCode::Malformed);
    const int limit = static_cast<int>(ErrorCode::LimitExceeded);
    const int unsupported = static_cast<int>(ErrorCode::Unsupported);

    QTest::newRow("23andMe row with three columns")
        << header23 + "rs2\t1\t200\n"
        << malformed
        << "bad.txt, line 5: expected 4 TAB-separated fields (rsid, chromosome, position, genotype), found 3";
    QTest::newRow("23andMe row with the genotype split in two columns")
        << header23 + "rs2\t1\t200\tA\tG\n"
        << malformed
        << "bad.txt, line 5: expected 4 TAB-separated fields (rsid, chromosome, position, genotype), found 5";
    QTest::newRow("AncestryDNA row with four columns")
        << headerAnc + "rs2\t1\t200\tAG\n"
        << malformed
        << "bad.txt, line 5: expected 5 TAB-separated fields (rsid, chromosome, position, allele1, allele2), "
           "found 4";
    QTest::newRow("23andMe space-separated row")
        << header23 + "rs2 1 200 AG\n"
        << malformed
        << "bad.txt, line 5: expected 4 TAB-separated fields (rsid, chromosome, position, genotype), found 1";
    QTest::newRow("23andMe chromosome 23 (an AncestryDNA code)")
        << header23 + "rs2\t23\t200\tAG\n"
        << malformed << "bad.txt, line 5: the chromosome is not one of 1-22, X, Y, MT";
    QTest::newRow("23andMe chromosome with chr prefix")
        << header23 + "rs2\tchr1\t200\tAG\n"
        << malformed << "bad.txt, line 5: the chromosome is not one of 1-22, X, Y, MT";
    QTest::newRow("AncestryDNA chromosome 27") << headerAnc + "rs2\t27\t200\tA\tG\n"
                                               << malformed
                                               << "bad.txt, line 5: the chromosome is not one of 1-26 (23 = "
                                                  "X, 24 = Y, 25 = X/Y pseudo-autosomal, 26 = MT)";
    QTest::newRow("AncestryDNA chromosome X by letter")
        << headerAnc + "rs2\tX\t200\tA\tG\n"
        << malformed
        << "bad.txt, line 5: the chromosome is not one of 1-26 (23 = X, 24 = Y, 25 = X/Y pseudo-autosomal, "
           "26 = MT)";
    QTest::newRow("position with a letter")
        << header23 + "rs2\t1\t20a0\tAG\n"
        << malformed << "bad.txt, line 5: the position is not a whole number from 1 to 2147483647";
    QTest::newRow("position zero")
        << header23 + "rs2\t1\t0\tAG\n"
        << malformed << "bad.txt, line 5: the position is not a whole number from 1 to 2147483647";
    QTest::newRow("negative position")
        << header23 + "rs2\t1\t-5\tAG\n"
        << malformed << "bad.txt, line 5: the position is not a whole number from 1 to 2147483647";
    QTest::newRow("position past 2^31-1")
        << header23 + "rs2\t1\t2147483648\tAG\n"
        << malformed << "bad.txt, line 5: the position is not a whole number from 1 to 2147483647";
    QTest::newRow("genotype with a letter that is no base")
        << header23 + "rs2\t1\t200\tAZ\n"
        << malformed
        << "bad.txt, line 5 (1:200): the genotype is not two of A, C, G, T, D, I (one on X, Y, MT) or '--'";
    QTest::newRow("lower-case genotype")
        << header23 + "rs2\t1\t200\tag\n"
        << malformed
        << "bad.txt, line 5 (1:200): the genotype is not two of A, C, G, T, D, I (one on X, Y, MT) or '--'";
    QTest::newRow("three alleles")
        << header23 + "rs2\t1\t200\tAAG\n"
        << malformed
        << "bad.txt, line 5 (1:200): the genotype is not two of A, C, G, T, D, I (one on X, Y, MT) or '--'";
    QTest::newRow("one allele on an autosome") << header23 + "rs2\t7\t117199644\tA\n"
                                               << malformed
                                               << "bad.txt, line 5 (7:117199644): one allele on an autosome; "
                                                  "23andMe writes one allele only on X, Y and "
                                                  "MT";
    QTest::newRow("indel code mixed with a base")
        << header23 + "rs2\t1\t200\tAD\n"
        << malformed << "bad.txt, line 5 (1:200): the genotype mixes an indel code (D, I) with a base";
    QTest::newRow("AncestryDNA allele N")
        << headerAnc + "rs2\t1\t200\tA\tN\n"
        << malformed << "bad.txt, line 5 (1:200): allele2 is not one of A, C, G, T, D, I or 0 (no call)";
    QTest::newRow("AncestryDNA two letters in one allele column")
        << headerAnc + "rs2\t1\t200\tAG\tG\n"
        << malformed << "bad.txt, line 5 (1:200): allele1 is not one of A, C, G, T, D, I or 0 (no call)";
    QTest::newRow("empty id")
        << header23 + "\t1\t200\tAG\n"
        << malformed
        << "bad.txt, line 5: the id field is empty, longer than 64 bytes, or holds characters "
           "other than letters, digits, '_', '-', '.' and ':'";
    QTest::newRow("overlong line") << header23 + "rs2\t1\t200\t" + QByteArray(2000, 'A') + "\n"
                                   << limit << "bad.txt, line 5: line is longer than 1024 bytes";
    QTest::newRow("overlong header comment") << "# " + QByteArray(5000, 'x') + "\n" + header23 << limit
                                             << "bad.txt, line 1: line is longer than 1024 bytes";
    QTest::newRow("binary garbage after the header")
        << header23 + QByteArray("\x7f\x45\x4c\x46\x02\x01\x01\x00\x00\x00", 10) + "\n"
        << malformed << "bad.txt, line 5: holds the control byte 0x7f: binary data, not a text genotype file";
    QTest::newRow("NUL byte inside a row")
        << header23 + QByteArray("rs2\t1\t2\0\t0\tAG\n", 14) << malformed
        << "bad.txt, line 5: holds the control byte 0x00: binary data, not a text genotype file";
    QTest::newRow("binary garbage from the start")
        << QByteArray("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16) << unsupported
        << "bad.txt: not a 23andMe or AncestryDNA genotype file: no column line, company name or data row of "
           "either format in its first 64 KiB";
    QTest::newRow("ZIP archive as downloaded")
        << QByteArray("PK\x03\x04\x14\0\0\0", 8) << unsupported
        << "bad.txt: a ZIP archive: extract the genotype .txt file inside "
           "it and read that";
    QTest::newRow("empty file") << QByteArray() << malformed << "bad.txt: the file is empty";
    QTest::newRow("header without rows") << QByteArray("# build 37\n# rsid\tchromosome\tposition\tgenotype\n")
                                         << malformed << "bad.txt: the file has no genotype rows";
}

void TstConsumerGenotypes::refusesMalformedFiles()
{
    QFETCH(QByteArray, content);
    QFETCH(int, code);
    QFETCH(QString, message);
    const fs::path path = fs::path(m_dir.path().toStdString()) / "bad.txt";
    writeFile(path, content.toStdString());
    auto read = readConsumerGenotypeFile(path);
    QVERIFY2(!read.has_value(), "a malformed file was read");
    QCOMPARE(QString::fromStdString(read.error().message()), message);
    QCOMPARE(static_cast<int>(read.error().code), code);
    auto report = inspectConsumerGenotypeFile(path);
    QVERIFY(!report.has_value());
    QCOMPARE(QString::fromStdString(report.error().message()), message);
    // Not the directory, and never the header comment.
    QVERIFY(report.error().message().find(m_dir.path().toStdString()) == std::string::npos);
    QVERIFY(report.error().message().find("Jane") == std::string::npos);
}

void TstConsumerGenotypes::recordLimitIsEnforced()
{
    const fs::path path = fs::path(m_dir.path().toStdString()) / "limit.txt";
    writeFile(
        path, "# rsid\tchromosome\tposition\tgenotype\nrs1\t1\t100\tAG\nrs2\t1\t200\tAG\nrs3\t2\t300\tCC\n");
    ConsumerGenotypeLimits limits;
    limits.maxRecords = 2;
    auto read = readConsumerGenotypeFile(path, limits);
    QVERIFY(!read.has_value());
    QCOMPARE(read.error().code, ErrorCode::LimitExceeded);
    QCOMPARE(read.error().message(), std::string("limit.txt, line 4 (2:300): more than 2 genotype rows"));
    limits.maxRecords = 3;
    limits.maxLines = 3;
    read = readConsumerGenotypeFile(path, limits);
    QVERIFY(!read.has_value());
    QCOMPARE(read.error().message(), std::string("limit.txt, line 4: more than 3 lines"));
    QVERIFY(!readConsumerGenotypeFile(path.string() + ".absent").has_value());
    QCOMPARE(readConsumerGenotypeFile(path.string() + ".absent").error().code, ErrorCode::NotFound);
}

QTEST_APPLESS_MAIN(TstConsumerGenotypes)
#include "tst_consumer_genotypes.moc"
