// SPDX-License-Identifier: Apache-2.0
// Genomic features for model specifications. Independent truth: bcftools' GT and DS of the 1000
// Genomes chr22 subset for the dosages, and small VCFs written here whose answers are counted by hand.
#include "core/genomics/genomic_features.h"
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/polygenic_score.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <cmath>
#include <fstream>
#include <sstream>

using namespace mosaic;

using mosaic::testing::writeFile;

namespace {

std::filesystem::path sharedGenomics()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "genomics";
}

std::filesystem::path pgxDefinitions()
{
    return std::filesystem::path(MOSAIC_SOURCE_DIR) / "resources/pgx";
}

std::filesystem::path chr22()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "genomics/1000g/chr22.vcf.gz";
}

// A single-sample VCF without DS: counts come from GT.
const char *kSmallVcf = "##fileformat=VCFv4.2\n"
                        "##contig=<ID=chr10>\n"
                        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
                        "chr10\t100\trs1\tG\tA\t.\tPASS\t.\tGT\t0/1\n"
                        "chr10\t200\trs2\tC\tT\t.\tPASS\t.\tGT\t1|1\n"
                        "chr10\t300\trs3\tA\tG\t.\tPASS\t.\tGT\t./.\n"
                        "chr10\t400\trs4\tT\tC,G\t.\tPASS\t.\tGT\t1/2\n";

} // namespace

class GenomicFeaturesTest : public QObject
{
    Q_OBJECT

private slots:
    void dosagesEqualBcftools()
    {
        const QString bcftools = QStandardPaths::findExecutable("bcftools");
        if (bcftools.isEmpty())
            QSKIP("bcftools is not installed");
        QProcess query;
        query.start(bcftools,
            { "query", "-s", "HG00097", "-f", "%CHROM\t%POS\t%REF\t%ALT\t[%GT\t%DS]\n",
                QString::fromStdString(chr22().string()) });
        QVERIFY(query.waitForFinished(60000));
        QCOMPARE(query.exitCode(), 0);
        std::istringstream lines(query.readAllStandardOutput().toStdString());

        // The first 300 biallelic records: the ALT dosage is DS, the REF dosage 2 - DS.
        std::vector<VariantFeature> features;
        std::vector<double> expected;
        std::string line;
        while (features.size() < 600 && std::getline(lines, line)) {
            std::istringstream fields(line);
            std::string chromosome, position, reference, alternate, genotype, dosage;
            std::getline(fields, chromosome, '\t');
            std::getline(fields, position, '\t');
            std::getline(fields, reference, '\t');
            std::getline(fields, alternate, '\t');
            std::getline(fields, genotype, '\t');
            std::getline(fields, dosage, '\t');
            if (alternate.find(',') != std::string::npos || dosage == ".")
                continue;
            const std::int64_t at = std::stoll(position);
            features.push_back({ "alt_" + position, { chromosome, at }, alternate, reference, {} });
            expected.push_back(std::stod(dosage));
            features.push_back({ "ref_" + position, { chromosome, at }, reference, reference, {} });
            expected.push_back(2.0 - std::stod(dosage));
        }
        QCOMPARE(features.size(), std::size_t(600));

        std::set<GenomicPosition> positions;
        for (const VariantFeature &feature : features)
            positions.insert(feature.position);
        auto genotypes = SampleGenotypes::fromVcf(chr22(), "HG00097", positions);
        QVERIFY2(genotypes, genotypes ? "" : genotypes.error().message().c_str());
        for (std::size_t i = 0; i < features.size(); ++i) {
            const GenomicFeatureValue value = variantDosage(features[i], *genotypes, AbsentSiteRule::Missing);
            QVERIFY2(std::abs(value.value - expected[i]) < 1e-6, features[i].name.c_str());
            QCOMPARE(value.provenance.source, std::string("chr22.vcf.gz"));
            QVERIFY(value.provenance.location.find("(from DS)") != std::string::npos);
        }
    }

    void countsFromGenotypes_data()
    {
        QTest::addColumn<QString>("chromosome");
        QTest::addColumn<qint64>("position");
        QTest::addColumn<QString>("allele");
        QTest::addColumn<QString>("reference");
        QTest::addColumn<bool>("homozygousReferenceRule");
        QTest::addColumn<double>("expected"); // NaN: missing

        const double missing = std::nan("");
        QTest::newRow("heterozygous, alternate counted") << "chr10" << qint64(100) << "A"
                                                         << "G" << false << 1.0;
        QTest::newRow("heterozygous, reference counted") << "10" << qint64(100) << "G"
                                                         << "G" << false << 1.0;
        QTest::newRow("phased homozygous alternate") << "10" << qint64(200) << "T"
                                                     << "C" << false << 2.0;
        QTest::newRow("allele not in the call") << "10" << qint64(200) << "G"
                                                << "C" << false << 0.0;
        QTest::newRow("no call is missing") << "10" << qint64(300) << "G"
                                            << "A" << false << missing;
        QTest::newRow("no call stays missing under the reference rule") << "10" << qint64(300) << "G"
                                                                        << "A" << true << missing;
        QTest::newRow("multi-allelic, second alternate") << "10" << qint64(400) << "G"
                                                         << "T" << false << 1.0;
        QTest::newRow("multi-allelic, reference") << "10" << qint64(400) << "T"
                                                  << "T" << false << 0.0;
        QTest::newRow("absent site, missing rule") << "10" << qint64(500) << "A"
                                                   << "G" << false << missing;
        QTest::newRow("absent site, homozygous reference rule, alternate") << "10" << qint64(500) << "A"
                                                                           << "G" << true << 0.0;
        QTest::newRow("absent site, homozygous reference rule, reference") << "10" << qint64(500) << "G"
                                                                           << "G" << true << 2.0;
    }

    void countsFromGenotypes()
    {
        QFETCH(QString, chromosome);
        QFETCH(qint64, position);
        QFETCH(QString, allele);
        QFETCH(QString, reference);
        QFETCH(bool, homozygousReferenceRule);
        QFETCH(double, expected);

        QTemporaryDir dir;
        const std::filesystem::path path = std::filesystem::path(dir.path().toStdString()) / "small.vcf";
        writeFile(path, kSmallVcf);
        auto genotypes = SampleGenotypes::fromVcf(path);
        QVERIFY2(genotypes, genotypes ? "" : genotypes.error().message().c_str());
        const VariantFeature feature { "f", { normaliseChromosome(chromosome.toStdString()), position },
            allele.toStdString(), reference.toStdString(), {} };
        const GenomicFeatureValue value = variantDosage(feature, *genotypes,
            homozygousReferenceRule ? AbsentSiteRule::HomozygousReference : AbsentSiteRule::Missing);
        if (std::isnan(expected))
            QVERIFY2(std::isnan(value.value), value.provenance.location.c_str());
        else
            QCOMPARE(value.value, expected);
        QVERIFY(value.provenance.location.starts_with("10:" + std::to_string(position)));
    }

    void specificationReadsEveryKind()
    {
        const char *json = R"({"absentSites": "homozygous-reference",
            "variants": [{"name": "rs4244285_A", "chromosome": "chr10", "position": 94781859,
                          "allele": "A", "reference": "G"}],
            "pgx": [{"name": "CYP2C19_phenotype", "gene": "CYP2C19"}],
            "scores": [{"name": "height", "file": "PGS001229_GRCh38.txt.gz"}]})";
        auto spec = GenomicFeatureSpec::fromJson(json, "spec.json", "/scores");
        QVERIFY2(spec, spec ? "" : spec.error().message().c_str());
        QCOMPARE(spec->absentSites, AbsentSiteRule::HomozygousReference);
        QCOMPARE(spec->variants.at(0).position, (GenomicPosition { "10", 94781859 }));
        QCOMPARE(spec->scores.at(0).scoringFile, std::filesystem::path("/scores/PGS001229_GRCh38.txt.gz"));
        const auto definitions = spec->definitions();
        QCOMPARE(definitions.size(), std::size_t(3));
        for (const FeatureDefinition &definition : definitions)
            QCOMPARE(definition.modality, Modality::Genomics);
    }

    void specificationRefusals_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not JSON") << "{"
                                  << "spec.json: not a JSON object";
        QTest::newRow("no features") << "{}"
                                     << "names no genomic feature";
        QTest::newRow("unknown absent-site rule") << R"({"absentSites": "guess"})"
                                                  << "'absentSites' must be";
        QTest::newRow("position not an integer")
            << R"({"variants": [{"name": "a", "chromosome": "1", "position": "12", "allele": "A"}]})"
            << "spec.json, variants[0]: 'position' must be a positive integer";
        QTest::newRow("allele not a sequence")
            << R"({"variants": [{"name": "a", "chromosome": "1", "position": 12, "allele": "<DEL>"}]})"
            << "'allele' must be spelled";
        QTest::newRow("reference rule without a reference") << R"({"absentSites": "homozygous-reference",
                  "variants": [{"name": "a", "chromosome": "1", "position": 12, "allele": "A"}]})"
                                                            << "'reference' is required";
        QTest::newRow("duplicate name")
            << R"({"pgx": [{"name": "a", "gene": "TPMT"}], "scores": [{"name": "a", "file": "x"}]})"
            << "spec.json, scores[0]: feature name 'a' is used twice";
        QTest::newRow("gene missing") << R"({"pgx": [{"name": "a"}]})"
                                      << "pgx[0]: 'gene' must be";
    }

    void specificationRefusals()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        auto spec = GenomicFeatureSpec::fromJson(json.toStdString(), "spec.json");
        QVERIFY(!spec);
        QVERIFY2(spec.error().message().find(expected.toStdString()) != std::string::npos,
            spec.error().message().c_str());
    }

    // CYP2C19 *1/*2 is an intermediate metabolizer in the CPIC table (phenotype_CYP2C19.json:
    // "*1/*2" -> "Intermediate Metabolizer"): ordinal 1. The provenance names the *2 position
    // (rs4244285, chr10:94781859) with the sample's genotype.
    void pgxPhenotypeFeatureFromVcf()
    {
        auto definitions = loadPgxDefinitions(pgxDefinitions());
        QVERIFY2(definitions, definitions ? "" : definitions.error().message().c_str());
        auto spec = GenomicFeatureSpec::fromJson(
            R"({"pgx": [{"name": "cyp2c19", "gene": "CYP2C19"}, {"name": "cyp2c9", "gene": "CYP2C9"}]})",
            "spec.json");
        QVERIFY(spec);
        GenomicFeatureInputs inputs;
        inputs.genotypes = sharedGenomics() / "pharmcat/test-vcfs/cyp2c19/s1s2.vcf";
        inputs.pgxDefinitions = &*definitions;
        auto values = extractGenomicFeatures(*spec, inputs);
        QVERIFY2(values, values ? "" : values.error().message().c_str());
        QCOMPARE(values->size(), std::size_t(2));
        QCOMPARE(values->at(0).value, 1.0);
        const std::string &location = values->at(0).provenance.location;
        QVERIFY2(location.find("*1/*2") != std::string::npos, location.c_str());
        QVERIFY2(location.find("Intermediate Metabolizer") != std::string::npos, location.c_str());
        QVERIFY2(location.find("10:94781859 rs4244285") != std::string::npos, location.c_str());
        QCOMPARE(values->at(0).provenance.source, std::string("s1s2.vcf"));
        // The file lists no CYP2C9 position: no call, and a missing feature rather than a guess.
        QVERIFY(std::isnan(values->at(1).value));
        QVERIFY2(values->at(1).provenance.location.find("no call") != std::string::npos,
            values->at(1).provenance.location.c_str());
    }

    // The score of one tiny1000G genome, read as one person, equals the same genome's score in the
    // whole-population scan (scoreVcf, which tst_pgs_scoring checks against plink2 --score).
    void polygenicScoreFeatureMatchesPopulationScan()
    {
        const auto scoringFile = sharedGenomics() / "pgs/PGS001229_GRCh38.txt.gz";
        const auto population = sharedGenomics() / "pgs/tiny1000G.vcf.gz";
        auto score = readPgsScoringFile(scoringFile);
        QVERIFY(score);
        auto scan = scoreVcf(*score, population);
        QVERIFY2(scan, scan ? "" : scan.error().message().c_str());
        const std::size_t person = 1234;
        QVERIFY(scan->sampleIds.size() > person);

        auto spec = GenomicFeatureSpec::fromJson(
            R"({"scores": [{"name": "height", "file": "PGS001229_GRCh38.txt.gz"}]})", "spec.json",
            scoringFile.parent_path());
        QVERIFY(spec);
        GenomicFeatureInputs inputs;
        inputs.genotypes = population;
        inputs.sample = scan->sampleIds[person];
        auto values = extractGenomicFeatures(*spec, inputs);
        QVERIFY2(values, values ? "" : values.error().message().c_str());
        QVERIFY(std::abs(values->at(0).value - scan->samples[person].score) < 1e-12);
        QVERIFY2(values->at(0).provenance.location.starts_with("PGS001229: "),
            values->at(0).provenance.location.c_str());
        QVERIFY2(values->at(0).provenance.location.find("986 matched, 3 by strand flip") != std::string::npos,
            values->at(0).provenance.location.c_str());
    }

    // A consumer download gives the same dosage as the VCF it was converted from (bcftools' GT for
    // HG00096 at rs7410291, 22:50300078, is 0|0: two copies of A, none of G).
    void variantDosageFromConsumerFile()
    {
        const auto file = std::filesystem::path(MOSAIC_SOURCE_DIR)
            / "tests/data/genomics/consumer/HG00096_chr22_23andme.txt";
        auto spec = GenomicFeatureSpec::fromJson(R"({"build": "GRCh37", "variants": [
                {"name": "a", "chromosome": "22", "position": 50300078, "allele": "A"},
                {"name": "g", "chromosome": "22", "position": 50300078, "allele": "G"}]})",
            "spec.json");
        QVERIFY(spec);
        GenomicFeatureInputs inputs;
        inputs.genotypes = file;
        auto values = extractGenomicFeatures(*spec, inputs);
        QVERIFY2(values, values ? "" : values.error().message().c_str());
        QCOMPARE(values->at(0).value, 2.0);
        QCOMPARE(values->at(1).value, 0.0);

        // The same positions read as GRCh38 are refused: the file says build 37.
        auto grch38 = GenomicFeatureSpec::fromJson(
            R"({"build": "GRCh38", "variants": [{"name": "a", "chromosome": "22", "position": 50300078, "allele": "A"}]})",
            "spec.json");
        QVERIFY(grch38);
        auto refused = extractGenomicFeatures(*grch38, inputs);
        QVERIFY(!refused);
        QVERIFY2(
            refused.error().message().find("on GRCh38 but the genotypes are on GRCh37") != std::string::npos,
            refused.error().message().c_str());
    }

    // A two-person matrix: person B's probes clipped to [100, 16000] and log2'd, by hand:
    // P1 50 -> 100 -> log2 100 = 6.643856; P2 20000 -> 16000 -> 13.965784; P3 is absent.
    void expressionFeaturesApplyPerSampleSteps()
    {
        QTemporaryDir dir;
        const std::filesystem::path matrix = std::filesystem::path(dir.path().toStdString()) / "profile.csv";
        writeFile(matrix, "probe,A,B\nP1,300,50\nP2,400,20000\n");
        auto spec = GenomicFeatureSpec::fromJson(R"({"expression": {
                "normalisation": {"floor": 100, "ceiling": 16000, "log": {"base": 2, "offset": 0}},
                "probes": [{"name": "p1", "probe": "P1"}, {"name": "p2", "probe": "P2"}, {"name": "p3", "probe": "P3"}]}})",
            "spec.json");
        QVERIFY2(spec, spec ? "" : spec.error().message().c_str());
        GenomicFeatureInputs inputs;
        inputs.expression = matrix;
        inputs.expressionSample = "B";
        auto values = extractGenomicFeatures(*spec, inputs);
        QVERIFY2(values, values ? "" : values.error().message().c_str());
        QCOMPARE(values->size(), std::size_t(3));
        QVERIFY(std::abs(values->at(0).value - std::log2(100.0)) < 1e-12);
        QVERIFY(std::abs(values->at(1).value - std::log2(16000.0)) < 1e-12);
        QVERIFY(std::isnan(values->at(2).value));
        QCOMPARE(values->at(0).provenance.source, std::string("profile.csv"));
        QVERIFY2(values->at(1).provenance.location
                == "probe P2, sample column 2: measured 20000, normalised (clip 100..16000, log2(x + 0)) "
                   "13.9658",
            values->at(1).provenance.location.c_str());
        QCOMPARE(values->at(2).provenance.location, std::string("probe P3: not in the matrix"));

        // Two people and no sample named: refused, as is an unknown sample (without echoing it).
        inputs.expressionSample.clear();
        auto unnamed = extractGenomicFeatures(*spec, inputs);
        QVERIFY(!unnamed);
        inputs.expressionSample = "PERSON-X";
        auto unknown = extractGenomicFeatures(*spec, inputs);
        QVERIFY(!unknown);
        QVERIFY(unknown.error().message().find("PERSON-X") == std::string::npos);
    }

    // A z-score needs the training cohort's mean and SD: without a fitted normalisation, refused.
    void expressionZScoreNeedsFittedStatistics()
    {
        QTemporaryDir dir;
        const std::filesystem::path matrix = std::filesystem::path(dir.path().toStdString()) / "profile.csv";
        writeFile(matrix, "probe,A\nP1,300\n");
        auto spec = GenomicFeatureSpec::fromJson(
            R"({"expression": {"normalisation": {"z_score_per_probe": true}, "probes": [{"name": "p1", "probe": "P1"}]}})",
            "spec.json");
        QVERIFY2(spec, spec ? "" : spec.error().message().c_str());
        GenomicFeatureInputs inputs;
        inputs.expression = matrix;
        auto refused = extractGenomicFeatures(*spec, inputs);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message().find("learns from the training cohort") != std::string::npos,
            refused.error().message().c_str());

        // With statistics fitted on a training cohort (mean 200, SD 100): (300 - 200) / 100 = 1.
        FittedExpressionNormalisation fitted;
        fitted.settings = spec->expressionNormalisation;
        fitted.probeIds = { "P1" };
        fitted.probeMean = { 200.0 };
        fitted.probeStandardDeviation = { 100.0 };
        fitted.trainingSamples = 3;
        inputs.fittedExpression = &fitted;
        auto values = extractGenomicFeatures(*spec, inputs);
        QVERIFY2(values, values ? "" : values.error().message().c_str());
        QCOMPARE(values->at(0).value, 1.0);
    }
};

QTEST_APPLESS_MAIN(GenomicFeaturesTest)
#include "tst_genomic_features.moc"
