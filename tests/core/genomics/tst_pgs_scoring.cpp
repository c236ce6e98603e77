// SPDX-License-Identifier: Apache-2.0
// PGS Catalog scoring files and polygenic scores. The independent truths: the real Catalog files'
// own rows (counts taken with awk from the files in ../shared/data/genomics/pgs), plink2 --score run
// by the test through QProcess on the same genotypes and the same matched variants (PGS001229 over
// the 3,202 genomes of tiny1000G; skipped when plink2 is absent), and small cases computed by hand.
// Malformed files are built inside the test so each case is readable.
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/polygenic_score.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <zlib.h>

using namespace mosaic;

Q_DECLARE_METATYPE(mosaic::ErrorCode)

using mosaic::testing::split;
using mosaic::testing::writeFile;

namespace {

std::filesystem::path pgsDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "genomics/pgs";
}

void writeGzip(const std::filesystem::path &path, const std::string &bytes)
{
    gzFile file = gzopen(path.string().c_str(), "wb");
    gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(file);
}

// A minimal valid header followed by the given column line and rows.
std::string scoringText(const std::string &columns, const std::vector<std::string> &rows, int declared = -1)
{
    std::string text = "###PGS CATALOG SCORING FILE\n#format_version=2.0\n#pgs_id=PGS999999\n"
                       "#genome_build=GRCh38\n";
    text += "#variants_number=" + std::to_string(declared < 0 ? static_cast<int>(rows.size()) : declared)
        + "\n";
    text += columns + "\n";
    for (const std::string &row : rows)
        text += row + "\n";
    return text;
}

const std::string kColumns = "chr_name\tchr_position\teffect_allele\tother_allele\teffect_weight";

} // namespace

class TstPgsScoring : public QObject
{
    Q_OBJECT

private slots:
    void readsRealCatalogFiles_data();
    void readsRealCatalogFiles();
    void refusesTheBadHarmonisedFile();
    void refusesMalformedFiles_data();
    void refusesMalformedFiles();
    void refusesDamagedGzipAndLongLines();
    void readsDominantRecessiveAndInferredAlleles();
    void inspectsAScoringFile();
    void pgs001229OverTiny1000GMatches986With3Flips();
    void pgs001229EqualsPlink2ScoreForEverySample();
    void dosageScoreAgreesWithPlink2DosageDs();
    void handComputedScoreOverASmallVcf();
    void dosageFromDsAndSkippedAmbiguous();
    void oneConsumerSampleUsesTheSameRules();
    void percentileIsTheMidRank();
    void percentileAgainstAReferenceUsesSharedVariants();
};

void TstPgsScoring::readsRealCatalogFiles_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("pgsId");
    QTest::addColumn<bool>("harmonised");
    QTest::addColumn<int>("positionBuild");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("withoutPosition");
    QTest::addColumn<QString>("firstVariant"); // chr:pos effect/other weight, as the file states them

    const int unknown = static_cast<int>(GenomeBuild::Unknown);
    const int grch37 = static_cast<int>(GenomeBuild::GRCh37);
    const int grch38 = static_cast<int>(GenomeBuild::GRCh38);
    // The raw PGS000001 gives chr_name but no chr_position: every row lacks a position.
    QTest::newRow("PGS000001 raw, gzipped, no chr_position column")
        << "PGS000001.txt.gz"
        << "PGS000001" << false << unknown << 77 << 77 << ": T/C 0.16220387987485377";
    QTest::newRow("PGS000001 harmonised to GRCh37")
        << "PGS000001_hmPOS_GRCh37.txt"
        << "PGS000001" << true << grch37 << 77 << 0 << "11:69331418 T/C 0.16220388";
    QTest::newRow("PGS000001 harmonised to GRCh38")
        << "PGS000001_hmPOS_GRCh38.txt"
        << "PGS000001" << true << grch38 << 77 << 0 << "11:69516650 T/C 0.16220388";
    // hm_pos (GRCh37) differs from the authors' chr_position: the harmonised column is the one used.
    QTest::newRow("PGS000802 harmonised to GRCh37, last line without newline")
        << "PGS000802_hmPOS_GRCh37.txt"
        << "PGS000802" << true << grch37 << 19 << 0 << "3:169492101 T/C 0.123";
    QTest::newRow("PGS001229 GRCh38, gzipped, 26 rows without position")
        << "PGS001229_GRCh38.txt.gz"
        << "PGS001229" << false << grch38 << 51209 << 26 << "1:817341 G/A 0.007304277";
}

void TstPgsScoring::readsRealCatalogFiles()
{
    QFETCH(QString, file);
    QFETCH(QString, pgsId);
    QFETCH(bool, harmonised);
    QFETCH(int, positionBuild);
    QFETCH(int, rows);
    QFETCH(int, withoutPosition);
    QFETCH(QString, firstVariant);

    const auto score = readPgsScoringFile(pgsDir() / file.toStdString());
    QVERIFY2(score.has_value(), score ? "" : score.error().message().c_str());
    QCOMPARE(QString::fromStdString(score->pgsId), pgsId);
    QCOMPARE(QString::fromStdString(score->formatVersion), QStringLiteral("2.0"));
    QCOMPARE(score->harmonised, harmonised);
    QCOMPARE(static_cast<int>(score->positionBuild()), positionBuild);
    QCOMPARE(static_cast<int>(score->variants.size()), rows);
    QCOMPARE(score->variantsDeclared.value_or(0), static_cast<std::size_t>(rows));
    QCOMPARE(static_cast<int>(score->variantsWithoutPosition), withoutPosition);

    const PgsVariant &first = score->variants.front();
    std::ostringstream text;
    text.precision(17);
    text << (first.hasPosition() ? first.chromosome + ":" + std::to_string(first.position) : std::string(":"))
         << ' ' << first.effectAllele << '/' << first.otherAllele << ' ';
    // The weight is compared as the file writes it, so print it back with the same digits.
    const std::string weight = firstVariant.toStdString().substr(firstVariant.toStdString().rfind(' ') + 1);
    QCOMPARE(first.weight, std::stod(weight));
    text << weight;
    QCOMPARE(QString::fromStdString(text.str()), firstVariant);
}

void TstPgsScoring::refusesTheBadHarmonisedFile()
{
    // Its header declares 4,861,398 variants; it holds three rows, none with hm_chr/hm_pos.
    const auto score = readPgsScoringFile(pgsDir() / "bad_harmonised.txt");
    QVERIFY(!score.has_value());
    QCOMPARE(score.error().code, ErrorCode::Malformed);
    const std::string message = score.error().message();
    QVERIFY2(message.starts_with("bad_harmonised.txt"), message.c_str());
    QVERIFY2(message.find("4861398") != std::string::npos, message.c_str());
    QVERIFY2(message.find("3 variant rows") != std::string::npos, message.c_str());

    // Declaring the true count, the same rows parse but the file is flagged: nothing has a position.
    std::ifstream in(pgsDir() / "bad_harmonised.txt");
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    text.replace(text.find("#variants_number=4861398"), 24, "#variants_number=3");
    const auto fixed = parsePgsScoringText(text, "fixed.txt");
    QVERIFY2(fixed.has_value(), fixed ? "" : fixed.error().message().c_str());
    QCOMPARE(fixed->harmonisedBuild, GenomeBuild::GRCh38);
    QCOMPARE(fixed->variantsWithoutPosition, std::size_t { 3 });
    QVERIFY(!fixed->warnings.empty());
    QVERIFY2(fixed->warnings.front().find("none of the 3 variants has a position (hm_chr/hm_pos") == 0,
        fixed->warnings.front().c_str());
}

void TstPgsScoring::refusesMalformedFiles_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<mosaic::ErrorCode>("code");
    QTest::addColumn<QString>("where"); // the location, after the file name
    QTest::addColumn<QString>("what"); // a part of the detail

    const auto s = [](const std::string &text) { return QString::fromStdString(text); };
    QTest::newRow("only a header, no column line")
        << s("#format_version=2.0\n#pgs_id=PGS1\n") << ErrorCode::Malformed << ""
        << "no column header line";
    QTest::newRow("a CSV file, not a scoring file")
        << s("a,b,c\n1,2,3\n") << ErrorCode::Malformed << ", line 1"
        << "no effect_allele column";
    QTest::newRow("no effect_weight column")
        << s(scoringText("chr_name\tchr_position\teffect_allele", { "1\t10\tA" })) << ErrorCode::Malformed
        << ", line 6"
        << "no effect_weight column";
    QTest::newRow("per-dosage weights only") << s(scoringText(
        "chr_name\tchr_position\teffect_allele\tdosage_0_weight\tdosage_1_weight", { "1\t10\tA\t0\t0.1" }))
                                             << ErrorCode::Unsupported << ", line 6"
                                             << "per-dosage weights";
    QTest::newRow("weight is not a number")
        << s(scoringText(kColumns, { "1\t10\tA\tG\t0.1", "1\t20\tC\tT\tabc" })) << ErrorCode::Malformed
        << ", line 8"
        << "not a finite number: 'abc'";
    QTest::newRow("weight is infinite")
        << s(scoringText(kColumns, { "1\t10\tA\tG\tinf" })) << ErrorCode::Malformed << ", line 7"
        << "not a finite number";
    QTest::newRow("a row with a missing field")
        << s(scoringText(kColumns, { "1\t10\tA\tG" })) << ErrorCode::Malformed << ", line 7"
        << "4 tab-separated fields, the header has 5";
    QTest::newRow("fewer rows than declared (truncated)")
        << s(scoringText(kColumns, { "1\t10\tA\tG\t0.1" }, 2)) << ErrorCode::Malformed << ""
        << "declares 2 variants (#variants_number) but the file has 1";
    QTest::newRow("variants_number is not a count")
        << s("#variants_number=many\n" + kColumns + "\n1\t10\tA\tG\t0.1\n") << ErrorCode::Malformed
        << ", line 1"
        << "not a count: 'many'";
    QTest::newRow("empty effect allele")
        << s(scoringText(kColumns, { "1\t10\t\tG\t0.1" })) << ErrorCode::Malformed << ", line 7"
        << "the effect allele is empty";
    QTest::newRow("effect allele with a space")
        << s(scoringText(kColumns, { "1\t10\tA G\tG\t0.1" })) << ErrorCode::Malformed << ", line 7"
        << "not an allele: 'A G'";
    QTest::newRow("negative position")
        << s(scoringText(kColumns, { "1\t-5\tA\tG\t0.1" })) << ErrorCode::Malformed << ", line 7"
        << "not a 1-based coordinate: '-5'";
    QTest::newRow("position beyond any chromosome")
        << s(scoringText(kColumns, { "1\t99999999999999999999\tA\tG\t0.1" })) << ErrorCode::Malformed
        << ", line 7"
        << "not a 1-based coordinate";
    QTest::newRow("a haplotype term") << s(
        scoringText(kColumns + "\tis_haplotype", { "1\t10\tA\tG\t0.1\tFalse", "1\t11\tA\tG\t0.1\tTrue" }))
                                      << ErrorCode::Unsupported << ", line 8"
                                      << "a haplotype term";
    QTest::newRow("an interaction term")
        << s(scoringText(kColumns + "\tis_interaction", { "1\t10\tA\tG\t0.1\tTRUE" }))
        << ErrorCode::Unsupported << ", line 7"
        << "an interaction term";
    QTest::newRow("both dominant and recessive")
        << s(scoringText(kColumns + "\tis_dominant\tis_recessive", { "1\t10\tA\tG\t0.1\tTrue\tTrue" }))
        << ErrorCode::Malformed << ", line 7"
        << "both dominant and recessive";
    QTest::newRow("HmPOS_build without hm columns")
        << s("#HmPOS_build=GRCh38\n" + kColumns + "\n1\t10\tA\tG\t0.1\n") << ErrorCode::Malformed
        << ", line 2"
        << "hm_chr and hm_pos columns are missing";
    QTest::newRow("a column named twice")
        << s(scoringText(kColumns + "\teffect_weight", { "1\t10\tA\tG\t0.1\t0.2" })) << ErrorCode::Malformed
        << ", line 6"
        << "'effect_weight' appears twice";
    QTest::newRow("a column line but no rows")
        << s("#pgs_id=PGS1\n" + kColumns + "\n") << ErrorCode::Malformed << ""
        << "no variant rows";
}

void TstPgsScoring::refusesMalformedFiles()
{
    QFETCH(QString, text);
    QFETCH(mosaic::ErrorCode, code);
    QFETCH(QString, where);
    QFETCH(QString, what);

    QTemporaryDir dir;
    const std::filesystem::path path = std::filesystem::path(dir.path().toStdString()) / "built.txt";
    writeFile(path, text.toStdString());
    const auto score = readPgsScoringFile(path);
    QVERIFY(!score.has_value());
    QCOMPARE(score.error().code, code);
    QCOMPARE(QString::fromStdString(score.error().location), "built.txt" + where);
    QVERIFY2(
        score.error().detail.find(what.toStdString()) != std::string::npos, score.error().detail.c_str());

    // The in-memory parser (the fuzz target's entry) says the same.
    const auto again = parsePgsScoringText(text.toStdString(), "built.txt");
    QVERIFY(!again.has_value());
    QCOMPARE(again.error().message(), score.error().message());
}

void TstPgsScoring::refusesDamagedGzipAndLongLines()
{
    QTemporaryDir dir;
    const std::filesystem::path folder(dir.path().toStdString());
    std::string text = scoringText(kColumns, {});
    std::vector<std::string> rows;
    for (int i = 1; i <= 20000; ++i)
        rows.push_back("1\t" + std::to_string(1000 + i) + "\tA\tG\t0.001");
    text = scoringText(kColumns, rows);

    // A gzip file cut in the middle.
    writeGzip(folder / "whole.txt.gz", text);
    const auto whole = readPgsScoringFile(folder / "whole.txt.gz");
    QVERIFY2(whole.has_value(), whole ? "" : whole.error().message().c_str());
    QCOMPARE(whole->variants.size(), std::size_t { 20000 });
    std::ifstream in(folder / "whole.txt.gz", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    writeFile(folder / "cut.txt.gz", bytes.substr(0, bytes.size() / 2));
    const auto cut = readPgsScoringFile(folder / "cut.txt.gz");
    QVERIFY(!cut.has_value());
    QVERIFY2(cut.error().message().starts_with("cut.txt.gz"), cut.error().message().c_str());
    QVERIFY2(cut.error().detail.find("truncated") != std::string::npos, cut.error().message().c_str());

    // A line longer than the limit, and more variants than the limit.
    PgsLimits limits;
    limits.maxLineBytes = 100;
    writeFile(folder / "long.txt",
        scoringText(kColumns, { "1\t10\tA\tG\t0.1", "1\t11\t" + std::string(200, 'A') + "\tG\t0.1" }));
    const auto longLine = readPgsScoringFile(folder / "long.txt", limits);
    QVERIFY(!longLine.has_value());
    QCOMPARE(longLine.error().code, ErrorCode::LimitExceeded);
    QCOMPARE(QString::fromStdString(longLine.error().location), QStringLiteral("long.txt, line 8"));

    limits = {};
    limits.maxVariants = 1000;
    const auto tooMany = readPgsScoringFile(folder / "whole.txt.gz", limits);
    QVERIFY(!tooMany.has_value());
    QCOMPARE(tooMany.error().code, ErrorCode::LimitExceeded);
    QCOMPARE(QString::fromStdString(tooMany.error().location), QStringLiteral("whole.txt.gz, line 1007"));

    writeFile(folder / "empty.txt", "");
    QCOMPARE(readPgsScoringFile(folder / "empty.txt").error().code, ErrorCode::Malformed);
    QCOMPARE(readPgsScoringFile(folder / "absent.txt").error().code, ErrorCode::NotFound);
}

void TstPgsScoring::readsDominantRecessiveAndInferredAlleles()
{
    // PGS000802 marks 7 variants dominant and 7 recessive (awk over columns is_dominant, is_recessive).
    const auto score = readPgsScoringFile(pgsDir() / "PGS000802_hmPOS_GRCh37.txt");
    QVERIFY(score.has_value());
    int dominant = 0;
    int recessive = 0;
    for (const PgsVariant &v : score->variants) {
        dominant += v.inheritance == PgsInheritance::Dominant ? 1 : 0;
        recessive += v.inheritance == PgsInheritance::Recessive ? 1 : 0;
    }
    QCOMPARE(dominant, 7);
    QCOMPARE(recessive, 7);
    QVERIFY(score->variants[0].effectAlleleFrequency.has_value());
    QCOMPARE(*score->variants[0].effectAlleleFrequency, 0.377);

    // hm_inferOtherAllele: a single allele is used (and flagged); "A/G" candidates are not.
    const std::string text = "#HmPOS_build=GRCh38\n#variants_number=2\n"
                             "rsID\teffect_allele\teffect_weight\thm_chr\thm_pos\thm_inferOtherAllele\n"
                             "rs1\tA\t0.5\tchr1\t100\tG\n"
                             "rs2\tc\t0.5\t1\t200\tA/G\n";
    const auto inferred = parsePgsScoringText(text, "inferred.txt");
    QVERIFY2(inferred.has_value(), inferred ? "" : inferred.error().message().c_str());
    QCOMPARE(inferred->variants[0].otherAllele, std::string("G"));
    QVERIFY(inferred->variants[0].otherAlleleInferred);
    QCOMPARE(inferred->variants[0].chromosome, std::string("1"));
    QCOMPARE(inferred->variants[1].effectAllele, std::string("C"));
    QCOMPARE(inferred->variants[1].otherAllele, std::string());
    QCOMPARE(inferred->variants[1].rsid, std::string("rs2"));
}

void TstPgsScoring::inspectsAScoringFile()
{
    const auto report = inspectScoringFile(pgsDir() / "PGS001229_GRCh38.txt.gz");
    QVERIFY(report.has_value());
    QCOMPARE(report->kind, std::string("pgs-scoring-file"));
    std::map<std::string, std::string> facts(report->facts.begin(), report->facts.end());
    QCOMPARE(facts["pgs id"], std::string("PGS001229"));
    QCOMPARE(facts["trait"], std::string("Standing height"));
    QCOMPARE(facts["format version"], std::string("2.0"));
    QCOMPARE(facts["genome build"], std::string("GRCh38"));
    QCOMPARE(facts["harmonised build"], std::string("no"));
    QCOMPARE(facts["variants declared"], std::string("51209"));
    QCOMPARE(facts["variants read"], std::string("51209"));
    QCOMPARE(facts["variants without position"], std::string("26"));
    QCOMPARE(facts["weight type"], std::string("beta"));
    QCOMPARE(report->warnings.size(), std::size_t { 1 });
    QCOMPARE(report->warnings[0],
        std::string(
            "26 of 51209 variants have no position (chr_name/chr_position empty) and cannot be matched"));

    const auto hm = inspectScoringFile(pgsDir() / "PGS000001_hmPOS_GRCh38.txt");
    QVERIFY(hm.has_value());
    std::map<std::string, std::string> hmFacts(hm->facts.begin(), hm->facts.end());
    QCOMPARE(hmFacts["genome build"], std::string("NR (not reported)"));
    QCOMPARE(hmFacts["harmonised build"], std::string("GRCh38"));
    QCOMPARE(hmFacts["position columns"], std::string("hm_chr/hm_pos (GRCh38)"));

    const auto bad = inspectScoringFile(pgsDir() / "bad_harmonised.txt");
    QVERIFY(!bad.has_value());

    // The sniffer `mosaic-cli inspect` uses to pick this reader: every Catalog file, gzipped or not
    // (bad_harmonised.txt too: it is a scoring file, refused when read), and no VCF.
    for (const char *name : { "PGS000001.txt.gz", "PGS000001_hmPOS_GRCh37.txt", "PGS000802_hmPOS_GRCh37.txt",
             "PGS001229_GRCh38.txt.gz", "bad_harmonised.txt" })
        QVERIFY2(looksLikePgsScoringFile(pgsDir() / name), name);
    QVERIFY(!looksLikePgsScoringFile(pgsDir() / "tiny1000G.vcf.gz"));
    QVERIFY(!looksLikePgsScoringFile(pgsDir() / "LICENSE"));
    QVERIFY(!looksLikePgsScoringFile(pgsDir() / "absent.txt"));
}

void TstPgsScoring::pgs001229OverTiny1000GMatches986With3Flips()
{
    const auto score = readPgsScoringFile(pgsDir() / "PGS001229_GRCh38.txt.gz");
    QVERIFY(score.has_value());
    const auto result = scoreVcf(*score, pgsDir() / "tiny1000G.vcf.gz");
    QVERIFY2(result.has_value(), result ? "" : result.error().message().c_str());
    QCOMPARE(result->variantsInScore, std::size_t { 51209 });
    QCOMPARE(result->variantsWithoutPosition, std::size_t { 26 });
    QCOMPARE(result->variantsMatched, std::size_t { 986 });
    QCOMPARE(result->matchedByStrandFlip, std::size_t { 3 });
    QCOMPARE(result->samples.size(), std::size_t { 3202 });
    QCOMPARE(result->sampleIds.front(), std::string("HG00096"));
    // The three flips, read off the files by hand: the score's C/T at 1:148988155 is the VCF's G/A, ...
    std::set<std::string> flipped;
    for (const MatchedScoreVariant &m : result->matched) {
        if (m.strandFlipped)
            flipped.insert(m.chromosome + ":" + std::to_string(m.position) + ":" + m.effectAllele);
    }
    QCOMPARE(flipped, (std::set<std::string> { "1:148988155:G", "10:47296468:C", "15:23111346:A" }));
    // Genotype-free rows: every matched variant of every sample is called in this file.
    for (const SampleScore &s : result->samples) {
        QCOMPARE(s.variantsUsed, std::size_t { 986 });
        QCOMPARE(s.variantsMissing, std::size_t { 0 });
    }
    QCOMPARE(result->variantsMatched + result->allelesMismatched + result->notFound
            + result->variantsWithoutPosition,
        result->variantsInScore);

    // Without the per-variant records the scores and counts are the same, and the list is empty.
    PgsScoringOptions scoresOnly;
    scoresOnly.keepMatchedVariants = false;
    const auto lean = scoreVcf(*score, pgsDir() / "tiny1000G.vcf.gz", scoresOnly);
    QVERIFY(lean.has_value());
    QVERIFY(lean->matched.empty());
    QCOMPARE(lean->variantsMatched, std::size_t { 986 });
    QCOMPARE(lean->matchedByStrandFlip, std::size_t { 3 });
    QCOMPARE(lean->ambiguousMatched, result->ambiguousMatched);
    for (std::size_t i = 0; i < result->samples.size(); ++i)
        QCOMPARE(lean->samples[i].score, result->samples[i].score);
}

void TstPgsScoring::pgs001229EqualsPlink2ScoreForEverySample()
{
    const QString plink2 = QStandardPaths::findExecutable(QStringLiteral("plink2"));
    if (plink2.isEmpty())
        QSKIP("plink2 is not installed: the independent truth for the score is missing");
    const auto score = readPgsScoringFile(pgsDir() / "PGS001229_GRCh38.txt.gz");
    QVERIFY(score.has_value());
    const auto result = scoreVcf(*score, pgsDir() / "tiny1000G.vcf.gz");
    QVERIFY(result.has_value());

    // plink2 sees the same variants: a score file of the matched records' IDs, the effect allele as the
    // VCF writes it (complemented for the three flips) and the weight. plink2 prints six significant
    // digits, too few for 1e-6 on scores above 1, so each weight goes in two columns: the weight
    // rounded to 0.001 (whose sums print exactly) and the remainder (whose sums are small); their sums
    // add up to the score.
    QTemporaryDir dir;
    const std::filesystem::path folder(dir.path().toStdString());
    std::filesystem::copy_file(pgsDir() / "tiny1000G.vcf.gz", folder / "tiny1000G.vcf.gz");
    std::string plinkScore = "ID\tA1\tROUNDED\tREMAINDER\n";
    std::set<std::string> ids;
    for (const MatchedScoreVariant &m : result->matched) {
        QVERIFY(ids.insert(m.id).second); // IDs are unique in tiny1000G (chr:pos:ref:alt)
        const double weight = score->variants[m.variantIndex].weight;
        char rounded[64];
        char remainder[64];
        std::snprintf(rounded, sizeof rounded, "%.3f", weight);
        std::snprintf(remainder, sizeof remainder, "%.17g", weight - std::stod(rounded));
        plinkScore += m.id + "\t" + m.effectAllele + "\t" + rounded + "\t" + remainder + "\n";
    }
    writeFile(folder / "matched.tsv", plinkScore);

    // A haploid chrX call counts one copy in Mosaic; plink2 does the same for males with
    // --xchr-model 1 (its default, 2, counts males 0/2). Sex: male when the sample's X calls are
    // haploid, as the 1000 Genomes calls are for men.
    auto reader = VcfReader::open(pgsDir() / "tiny1000G.vcf.gz");
    QVERIFY(reader.has_value());
    std::vector<int> sex(reader->sampleCount(), 0);
    while (true) {
        auto row = reader->next();
        QVERIFY(row.has_value());
        if (!*row)
            break;
        if ((*row)->variant.chromosome != "X")
            continue;
        for (std::size_t i = 0; i < sex.size(); ++i)
            sex[i] = (*row)->calls[i].alleles.size() == 1 ? 1 : (sex[i] == 1 ? 1 : 2);
    }
    std::string sexFile = "#IID\tSEX\n";
    for (std::size_t i = 0; i < sex.size(); ++i)
        sexFile += result->sampleIds[i] + "\t" + std::to_string(sex[i]) + "\n";
    writeFile(folder / "sex.tsv", sexFile);

    QProcess process;
    process.setWorkingDirectory(dir.path());
    process.start(plink2,
        { "--vcf", "tiny1000G.vcf.gz", "--update-sex", "sex.tsv", "--xchr-model", "1", "--score",
            "matched.tsv", "1", "2", "header-read", "no-mean-imputation", "cols=+scoresums",
            "--score-col-nums", "3-4", "--threads", "1", "--memory", "1024", "--out", "plink" });
    QVERIFY(process.waitForFinished(300000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardOutput().constData());

    std::ifstream in(folder / "plink.sscore");
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = split(line, '\t');
    const auto column = [&](const std::string &name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    const std::size_t roundedColumn = column("ROUNDED_SUM");
    const std::size_t remainderColumn = column("REMAINDER_SUM");
    const std::size_t idColumn = column("#IID");
    QVERIFY2(roundedColumn < header.size() && remainderColumn < header.size() && idColumn < header.size(),
        line.c_str());
    std::size_t sample = 0;
    double largest = 0.0;
    while (std::getline(in, line)) {
        const std::vector<std::string> fields = split(line, '\t');
        QVERIFY(sample < result->samples.size());
        QCOMPARE(fields[idColumn], result->sampleIds[sample]);
        const double expected = std::stod(fields[roundedColumn]) + std::stod(fields[remainderColumn]);
        const double difference = std::abs(result->samples[sample].score - expected);
        largest = std::max(largest, difference);
        if (difference > 1e-6)
            QFAIL(qPrintable(QStringLiteral("sample %1: Mosaic %2, plink2 %3")
                                 .arg(sample + 1)
                                 .arg(result->samples[sample].score, 0, 'g', 12)
                                 .arg(expected, 0, 'g', 12)));
        ++sample;
    }
    QCOMPARE(sample, std::size_t { 3202 });
    qInfo("largest |Mosaic - plink2| over 3202 samples: %.3g", largest);
}

// The DS path against plink2's `--vcf ... dosage=DS`, on the 1000 Genomes chr22 subset (5 samples,
// 10,376 records, DS on every call). The score is built from the file's own records: effect allele ALT
// on even records and REF on odd ones (so 2 - DS is exercised), weights (i mod 41 - 20) / 400. plink2
// stores a dosage in 1/16384 steps, so a DS that is not a multiple of 1/16384 may move by up to
// 1/32768: the tolerance for each sample is that times the sum of |weight| over its such calls, plus
// 1e-6 (weights are again split in two columns for plink2's six printed digits).
void TstPgsScoring::dosageScoreAgreesWithPlink2DosageDs()
{
    const QString plink2 = QStandardPaths::findExecutable(QStringLiteral("plink2"));
    if (plink2.isEmpty())
        QSKIP("plink2 is not installed: the independent truth for the dosage score is missing");
    const std::filesystem::path chr22
        = std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "genomics/1000g/chr22.vcf.gz";
    auto reader = VcfReader::open(chr22);
    QVERIFY(reader.has_value());
    std::vector<std::string> rows;
    std::vector<double> tolerance(reader->sampleCount(), 1e-6);
    std::size_t record = 0;
    while (true) {
        auto row = reader->next();
        QVERIFY(row.has_value());
        if (!*row)
            break;
        const VariantRecord &v = (*row)->variant;
        QCOMPARE(v.alternates.size(), std::size_t { 1 });
        const double weight = static_cast<double>(static_cast<int>(record % 41) - 20) / 400.0;
        const bool effectIsAlt = record % 2 == 0;
        char text[64];
        std::snprintf(text, sizeof text, "%.4f", weight);
        rows.push_back(v.chromosome + "\t" + std::to_string(v.position) + "\t"
            + (effectIsAlt ? v.alternates[0] : v.reference) + "\t"
            + (effectIsAlt ? v.reference : v.alternates[0]) + "\t" + text);
        for (std::size_t i = 0; i < tolerance.size(); ++i) {
            const auto &dosage = (*row)->calls[i].dosage;
            QVERIFY(dosage.has_value());
            const double steps = *dosage * 16384.0;
            if (steps != std::round(steps))
                tolerance[i] += std::abs(weight) / 32768.0;
        }
        ++record;
    }
    QCOMPARE(record, std::size_t { 10376 });
    const auto score = parsePgsScoringText(scoringText(kColumns, rows), "chr22_score.txt");
    QVERIFY2(score.has_value(), score ? "" : score.error().message().c_str());
    const auto result = scoreVcf(*score, chr22);
    QVERIFY2(result.has_value(), result ? "" : result.error().message().c_str());
    QCOMPARE(result->variantsMatched, std::size_t { 10376 });
    for (const SampleScore &s : result->samples)
        QCOMPARE(s.variantsFromDosage, std::size_t { 10376 });

    QTemporaryDir dir;
    const std::filesystem::path folder(dir.path().toStdString());
    std::filesystem::copy_file(chr22, folder / "chr22.vcf.gz");
    std::string plinkScore = "ID\tA1\tROUNDED\tREMAINDER\n";
    for (const MatchedScoreVariant &m : result->matched) {
        const double weight = score->variants[m.variantIndex].weight;
        char rounded[64];
        char remainder[64];
        std::snprintf(rounded, sizeof rounded, "%.3f", weight);
        std::snprintf(remainder, sizeof remainder, "%.17g", weight - std::stod(rounded));
        plinkScore += m.chromosome + ":" + std::to_string(m.position) + ":" + m.reference + ":"
            + m.alternates[0] + "\t" + m.effectAllele + "\t" + rounded + "\t" + remainder + "\n";
    }
    writeFile(folder / "matched.tsv", plinkScore);
    QProcess process;
    process.setWorkingDirectory(dir.path());
    process.start(plink2,
        { "--vcf", "chr22.vcf.gz", "dosage=DS", "--set-all-var-ids", "@:#:$r:$a", "--new-id-max-allele-len",
            "4000", "--score", "matched.tsv", "1", "2", "header-read", "no-mean-imputation",
            "cols=+scoresums", "--score-col-nums", "3-4", "--threads", "1", "--memory", "1024", "--out",
            "plink" });
    QVERIFY(process.waitForFinished(300000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardOutput().constData());

    std::ifstream in(folder / "plink.sscore");
    std::string line;
    std::getline(in, line);
    const std::vector<std::string> header = split(line, '\t');
    const auto column = [&](const std::string &name) {
        return static_cast<std::size_t>(std::find(header.begin(), header.end(), name) - header.begin());
    };
    const std::size_t roundedColumn = column("ROUNDED_SUM");
    const std::size_t remainderColumn = column("REMAINDER_SUM");
    QVERIFY2(roundedColumn < header.size() && remainderColumn < header.size(), line.c_str());
    std::size_t sample = 0;
    while (std::getline(in, line)) {
        const std::vector<std::string> fields = split(line, '\t');
        QVERIFY(sample < result->samples.size());
        const double expected = std::stod(fields[roundedColumn]) + std::stod(fields[remainderColumn]);
        const double difference = std::abs(result->samples[sample].score - expected);
        qInfo("sample %zu: Mosaic %.9f, plink2 %.9f, difference %.2g, tolerance %.2g", sample + 1,
            result->samples[sample].score, expected, difference, tolerance[sample]);
        QVERIFY(difference <= tolerance[sample]);
        ++sample;
    }
    QCOMPARE(sample, std::size_t { 5 });
}

void TstPgsScoring::handComputedScoreOverASmallVcf()
{
    // Three samples. Records: a biallelic SNP, a multi-allelic site, the same site split into two
    // biallelic records, a strand flip, an ambiguous A/T SNP, a missing genotype, an allele mismatch.
    const std::string vcf = "##fileformat=VCFv4.2\n"
                            "##contig=<ID=chr1>\n"
                            "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\tS3\n"
                            "chr1\t100\tv100\tA\tG\t.\t.\t.\tGT\t0/0\t0/1\t1/1\n"
                            "chr1\t200\tv200\tC\tT,G\t.\t.\t.\tGT\t1/2\t2/2\t0/1\n"
                            "chr1\t300\tv300a\tT\tC\t.\t.\t.\tGT\t0/1\t0/0\t1/1\n"
                            "chr1\t300\tv300b\tT\tG\t.\t.\t.\tGT\t0/0\t1/1\t0/1\n"
                            "chr1\t400\tv400\tG\tA\t.\t.\t.\tGT\t0|1\t1|1\t0|0\n"
                            "chr1\t500\tv500\tA\tT\t.\t.\t.\tGT\t0/1\t1/1\t0/0\n"
                            "chr1\t600\tv600\tC\tT\t.\t.\t.\tGT\t./.\t0/1\t1/.\n"
                            "chr1\t700\tv700\tC\tT\t.\t.\t.\tGT\t1/1\t1/1\t1/1\n";
    const std::string scoreText = scoringText(kColumns,
        {
            "1\t100\tG\tA\t1.0", // effect ALT: S1 0, S2 1, S3 2 copies
            "1\t200\tG\tT\t0.5", // effect = 2nd ALT, other = 1st ALT: S1 1, S2 2, S3 0
            "1\t300\tG\tT\t0.25", // matches the split record v300b: S1 0, S2 2, S3 1
            "1\t400\tC\tT\t2.0", // on the other strand: effect C = VCF G (REF): S1 1, S2 0, S3 2
            "1\t500\tT\tA\t4.0", // ambiguous A/T, stated strand: effect T = ALT: S1 1, S2 2, S3 0
            "1\t600\tT\tC\t8.0", // S1 and S3 missing, S2 1 copy
            "1\t700\tG\tT\t16.0", // neither G/T nor its complement C/A fits C/T: not matched
            "2\t100\tA\tG\t32.0", // no record on chromosome 2
        });
    QTemporaryDir dir;
    const std::filesystem::path folder(dir.path().toStdString());
    writeFile(folder / "small.vcf", vcf);
    writeFile(folder / "small.txt", scoreText);
    const auto score = readPgsScoringFile(folder / "small.txt");
    QVERIFY2(score.has_value(), score ? "" : score.error().message().c_str());
    const auto result = scoreVcf(*score, folder / "small.vcf");
    QVERIFY2(result.has_value(), result ? "" : result.error().message().c_str());

    QCOMPARE(result->variantsMatched, std::size_t { 6 });
    QCOMPARE(result->matchedByStrandFlip, std::size_t { 1 });
    QCOMPARE(result->ambiguousMatched, std::size_t { 1 });
    QCOMPARE(result->allelesMismatched, std::size_t { 1 });
    QCOMPARE(result->notFound, std::size_t { 1 });
    QCOMPARE(result->sampleIds, (std::vector<std::string> { "S1", "S2", "S3" }));
    // S1: 0 + 0.5 + 0 + 2 + 4 = 6.5; S2: 1 + 1 + 0.5 + 0 + 8 + 8 = 18.5; S3: 2 + 0 + 0.25 + 4 + 0 = 6.25
    QCOMPARE(result->samples[0].score, 6.5);
    QCOMPARE(result->samples[1].score, 18.5);
    QCOMPARE(result->samples[2].score, 6.25);
    QCOMPARE(result->samples[0].variantsUsed, std::size_t { 5 });
    QCOMPARE(result->samples[0].variantsMissing, std::size_t { 1 });
    QCOMPARE(result->samples[1].variantsUsed, std::size_t { 6 });
    QCOMPARE(result->samples[2].variantsMissing, std::size_t { 1 });
    for (const MatchedScoreVariant &m : result->matched) {
        if (m.position == 300)
            QCOMPARE(m.id, std::string("v300b"));
        if (m.position == 200)
            QCOMPARE(m.effectAlleleIndex, 2);
    }

    // A known genotype build that differs from the score's is refused before anything is read.
    PgsScoringOptions options;
    options.genotypeBuild = GenomeBuild::GRCh37;
    const auto wrongBuild = scoreVcf(*score, folder / "small.vcf", options);
    QVERIFY(!wrongBuild.has_value());
    QCOMPARE(wrongBuild.error().code, ErrorCode::InvalidArgument);
}

void TstPgsScoring::dosageFromDsAndSkippedAmbiguous()
{
    // DS counts ALT copies; a REF effect allele gets 2 - DS. A multi-allelic record's DS is not used.
    const std::string vcf = "##fileformat=VCFv4.2\n"
                            "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                            "##FORMAT=<ID=DS,Number=A,Type=Float,Description=\"Dosage\">\n"
                            "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\tS2\n"
                            "1\t100\t.\tA\tG\t.\t.\t.\tGT:DS\t0/1:0.9\t./.:1.6\n"
                            "1\t200\t.\tC\tT\t.\t.\t.\tGT:DS\t0/0:0.2\t1/1:.\n"
                            "1\t300\t.\tA\tT\t.\t.\t.\tGT:DS\t0/1:1\t1/1:2\n"
                            "1\t400\t.\tC\tA,G\t.\t.\t.\tGT:DS\t0/2:0.5,0.5\t1/2:1,1\n";
    const std::string scoreText = scoringText(kColumns,
        {
            "1\t100\tG\tA\t1.0", // ALT effect: S1 0.9, S2 1.6 (GT missing, DS present)
            "1\t200\tC\tT\t10.0", // REF effect: S1 2 - 0.2 = 1.8, S2 from GT (DS missing) = 0
            "1\t300\tT\tA\t100.0", // ambiguous: skipped with skipAmbiguous
            "1\t400\tG\tA\t1000.0", // multi-allelic: GT only: S1 1, S2 1
        });
    QTemporaryDir dir;
    const std::filesystem::path folder(dir.path().toStdString());
    writeFile(folder / "ds.vcf", vcf);
    const auto score = parsePgsScoringText(scoreText, "ds.txt");
    QVERIFY(score.has_value());
    PgsScoringOptions options;
    options.skipAmbiguous = true;
    const auto result = scoreVcf(*score, folder / "ds.vcf", options);
    QVERIFY2(result.has_value(), result ? "" : result.error().message().c_str());
    QCOMPARE(result->variantsMatched, std::size_t { 3 });
    QCOMPARE(result->ambiguousSkipped, std::size_t { 1 });
    QVERIFY(std::abs(result->samples[0].score - (0.9 + 18.0 + 1000.0)) < 1e-5);
    QVERIFY(std::abs(result->samples[1].score - (1.6 + 0.0 + 1000.0)) < 1e-5);
    QCOMPARE(result->samples[0].variantsFromDosage, std::size_t { 2 });
    QCOMPARE(result->samples[1].variantsFromDosage, std::size_t { 1 });

    // Without DS, the same file is scored from GT: S2's missing GT at 100 is missing.
    options.useDosage = false;
    const auto gtOnly = scoreVcf(*score, folder / "ds.vcf", options);
    QVERIFY(gtOnly.has_value());
    QCOMPARE(gtOnly->samples[0].score, 1.0 + 20.0 + 1000.0);
    QCOMPARE(gtOnly->samples[1].score, 0.0 + 0.0 + 1000.0);
    QCOMPARE(gtOnly->samples[1].variantsMissing, std::size_t { 1 });
}

void TstPgsScoring::oneConsumerSampleUsesTheSameRules()
{
    // A consumer file states only the called alleles, on the forward strand or not.
    auto site = [](std::int64_t position, std::vector<std::string> alleles) {
        SiteGenotype s;
        s.chromosome = "1";
        s.position = position;
        s.alleles = std::move(alleles);
        s.line = static_cast<std::size_t>(position);
        return s;
    };
    const SampleGenotypes sample("consumer.txt",
        {
            site(100, { "A", "G" }), // effect G, other A: 1 copy
            site(200, { "T", "T" }), // effect G, other A, reported on the other strand (C/T): 0 copies of C
            site(300, { "C", "A" }), // effect G other A: C is on neither strand: mismatch
            site(400, { "", "" }), // a no-call: matched, missing
            site(500, { "A", "T" }), // ambiguous A/T, effect T: 1 copy on the stated strand
            site(600, { "G", "G" }), // effect G, no other allele given: 2 copies
        });
    const auto score = parsePgsScoringText(scoringText(kColumns,
                                               {
                                                   "1\t100\tG\tA\t1.0",
                                                   "1\t200\tG\tA\t2.0",
                                                   "1\t300\tG\tA\t4.0",
                                                   "1\t400\tG\tA\t8.0",
                                                   "1\t500\tT\tA\t16.0",
                                                   "1\t600\tG\t\t32.0",
                                                   "1\t700\tG\tA\t64.0",
                                               }),
        "consumer_score.txt");
    QVERIFY2(score.has_value(), score ? "" : score.error().message().c_str());
    const auto result = scoreSample(*score, sample);
    QVERIFY2(result.has_value(), result ? "" : result.error().message().c_str());
    QCOMPARE(result->variantsMatched, std::size_t { 5 });
    QCOMPARE(result->matchedByStrandFlip, std::size_t { 1 });
    QCOMPARE(result->allelesMismatched, std::size_t { 1 });
    QCOMPARE(result->notFound, std::size_t { 1 });
    QCOMPARE(result->samples[0].score, 1.0 + 0.0 + 16.0 + 64.0);
    QCOMPARE(result->samples[0].variantsMissing, std::size_t { 1 });
    QCOMPARE(result->samples[0].variantsUsed, std::size_t { 4 });
}

void TstPgsScoring::percentileIsTheMidRank()
{
    const std::vector<double> reference { 1.0, 2.0, 2.0, 3.0, 5.0 };
    // 2.0: one below, two equal: (1 + 1) / 5 = 40 %.
    QCOMPARE(*percentileAmong(2.0, reference), 40.0);
    QCOMPARE(*percentileAmong(0.0, reference), 0.0);
    QCOMPARE(*percentileAmong(9.0, reference), 100.0);
    QCOMPARE(*percentileAmong(4.0, reference), 80.0);
    QVERIFY(!percentileAmong(1.0, {}).has_value());
}

void TstPgsScoring::percentileAgainstAReferenceUsesSharedVariants()
{
    // The "patient" is the first record lines of tiny1000G's first sample, written out by hand from
    // the file; the reference is all 3,202 genomes. Only the patient's variants are scored in both.
    const std::filesystem::path tiny = pgsDir() / "tiny1000G.vcf.gz";
    const auto score = readPgsScoringFile(pgsDir() / "PGS001229_GRCh38.txt.gz");
    QVERIFY(score.has_value());
    gzFile in = gzopen(tiny.string().c_str(), "rb");
    QVERIFY(in != nullptr);
    std::string text;
    char buffer[1 << 16];
    int count = 0;
    while ((count = gzread(in, buffer, sizeof buffer)) > 0)
        text.append(buffer, static_cast<std::size_t>(count));
    gzclose(in);
    std::istringstream lines(text);
    std::string line;
    std::string patient;
    int records = 0;
    while (std::getline(lines, line) && records < 40) {
        std::vector<std::string> fields = split(line, '\t');
        if (line.starts_with("##")) {
            patient += line + "\n";
            continue;
        }
        fields.resize(10); // the first nine columns and the first sample
        std::string kept;
        for (std::size_t i = 0; i < fields.size(); ++i)
            kept += (i > 0 ? "\t" : "") + fields[i];
        patient += kept + "\n";
        records += line.starts_with("#") ? 0 : 1;
    }
    QTemporaryDir dir;
    const std::filesystem::path folder(dir.path().toStdString());
    writeFile(folder / "patient.vcf", patient);
    const auto compared = scoreAgainstReference(*score, folder / "patient.vcf", tiny);
    QVERIFY2(compared.has_value(), compared ? "" : compared.error().message().c_str());
    QCOMPARE(compared->patient.variantsMatched, compared->reference.variantsMatched);
    QVERIFY(compared->patient.variantsMatched > 0 && compared->patient.variantsMatched <= 40);
    // The patient is HG00096, the reference's first genome: same variants, same score.
    QCOMPARE(compared->patient.samples[0].score, compared->reference.samples[0].score);
    std::vector<double> referenceScores;
    for (const SampleScore &s : compared->reference.samples)
        referenceScores.push_back(s.score);
    std::size_t below = 0;
    std::size_t equal = 0;
    for (double value : referenceScores) {
        below += value < compared->patient.samples[0].score ? 1 : 0;
        equal += value == compared->patient.samples[0].score ? 1 : 0;
    }
    QCOMPARE(compared->percentiles[0], 100.0 * (below + 0.5 * equal) / 3202.0);
}

QTEST_APPLESS_MAIN(TstPgsScoring)
#include "tst_pgs_scoring.moc"
