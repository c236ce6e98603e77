// SPDX-License-Identifier: Apache-2.0
// mosaic-cli's genomic commands through the process boundary: pgx on PharmCAT's test VCFs (the file
// name states the diplotype; the phenotype is the CPIC table's), prs on the 3,202 genomes of
// tiny1000G (percentiles recomputed here from the printed scores), inspect on each genomic format,
// and genomic-features cached in a workspace and read back without the genome.
#include "core/store/workspace.h"

#include <nlohmann/json.hpp>

#include <QTemporaryDir>
#include <QTest>

#include "tests/app/cli_runner.h"
#include <algorithm>
#include <cmath>

using mosaic::testing::Run;
using mosaic::testing::runCli;
using mosaic::testing::writeFile;

namespace {

const QString kGenomics = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/genomics");
const QString kTestVcfs = kGenomics + "/pharmcat/test-vcfs";
const QString kConsumer23andMe
    = QStringLiteral(MOSAIC_SOURCE_DIR "/tests/data/genomics/consumer/HG00096_chr22_23andme.txt");

// The CSV row whose first cell is `key`, split on commas (these rows hold no quoted commas).
QList<QByteArray> rowOf(const QByteArray &csv, const QByteArray &key)
{
    for (const QByteArray &line : csv.split('\n'))
        if (line.startsWith(key + ','))
            return line.split(',');
    return {};
}

} // namespace

class TestCliGenomics : public QObject
{
    Q_OBJECT

private slots:
    void pgxCallsTheNamedDiplotype_data()
    {
        QTest::addColumn<QString>("vcf");
        QTest::addColumn<QString>("gene");
        QTest::addColumn<QString>("diplotype");
        QTest::addColumn<QString>("phenotype"); // phenotype_<GENE>.json's result for the diplotype
        QTest::newRow("CYP2C19 *1/*2") << "cyp2c19/s1s2.vcf"
                                       << "CYP2C19"
                                       << "*1/*2"
                                       << "Intermediate Metabolizer";
        QTest::newRow("CYP2C19 *2/*2") << "cyp2c19/s2s2.vcf"
                                       << "CYP2C19"
                                       << "*2/*2"
                                       << "Poor Metabolizer";
        QTest::newRow("CYP2C9 *2/*3, no phenotype table here") << "cyp2c9/s2s3.vcf"
                                                               << "CYP2C9"
                                                               << "*2/*3"
                                                               << "";
        // VKORC1's definition names its alleles by rs9923231's base on the forward strand (C = -1639G).
        QTest::newRow("VKORC1 -1639 GG") << "VKORC1/-1639G-1639G.vcf"
                                         << "VKORC1"
                                         << "rs9923231 reference (C)/rs9923231 reference (C)"
                                         << "-1639 GG";
        QTest::newRow("VKORC1 -1639 AG") << "VKORC1/-1639G-1639A.vcf"
                                         << "VKORC1"
                                         << "rs9923231 reference (C)/rs9923231 variant (T)"
                                         << "-1639 AG";
    }

    void pgxCallsTheNamedDiplotype()
    {
        QFETCH(QString, vcf);
        QFETCH(QString, gene);
        QFETCH(QString, diplotype);
        QFETCH(QString, phenotype);
        const Run run = runCli({ "pgx", "--vcf", kTestVcfs + "/" + vcf });
        QCOMPARE(run.exitCode, 0);
        QVERIFY(run.out.startsWith("gene,diplotype,phenotype,activity_score,call_quality,"));
        const QList<QByteArray> row = rowOf(run.out, gene.toUtf8());
        QVERIFY2(row.size() >= 5, run.out.constData());
        QCOMPARE(QString::fromUtf8(row[1]), diplotype);
        QCOMPARE(QString::fromUtf8(row[2]), phenotype);
        QCOMPARE(row[4], QByteArray("called"));
    }

    // CYP2D6 comes from an outside caller; the JSON says so and keeps its phenotype.
    void pgxTakesCyp2d6FromAnOutsideCall()
    {
        QTemporaryDir directory;
        const QString outside = directory.filePath("cyp2d6.tsv");
        writeFile(outside, "CYP2D6\t\tPoor Metabolizer\n");
        const Run run = runCli({ "pgx", "--vcf", kTestVcfs + "/cyp2c19/s1s2.vcf", "--outside-call", outside,
            "--format", "json" });
        QCOMPARE(run.exitCode, 0);
        const auto output = nlohmann::json::parse(run.out.toStdString());
        bool found = false;
        for (const auto &gene : output["genes"])
            if (gene["gene"] == "CYP2D6") {
                found = true;
                QCOMPARE(gene["call_quality"].get<std::string>(), std::string("outside call"));
                QCOMPARE(gene["phenotype"].get<std::string>(), std::string("Poor Metabolizer"));
            }
        QVERIFY(found);
    }

    // A GRCh37 consumer file against GRCh38 definitions would match nothing, silently: refused.
    void pgxRefusesGenotypesOnAnotherBuild()
    {
        const Run run = runCli({ "pgx", "--vcf", kConsumer23andMe });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("HG00096_chr22_23andme.txt: the genotypes are on GRCh37 but the allele "
                                  "definitions are on GRCh38"),
            run.err.constData());
    }

    // Every genome of tiny1000G against itself as the reference: the printed percentile of each is
    // its mid-rank among the printed scores, recomputed here.
    void prsPercentilesAreMidRanks()
    {
        const QString population = kGenomics + "/pgs/tiny1000G.vcf.gz";
        const Run run = runCli({ "prs", "--vcf", population, "--score",
            kGenomics + "/pgs/PGS001229_GRCh38.txt.gz", "--reference", population });
        QCOMPARE(run.exitCode, 0);
        QList<QByteArray> lines = run.out.trimmed().split('\n');
        QCOMPARE(lines.takeFirst(),
            QByteArray(
                "sample,score,variants_matched,variants_used,variants_missing,variants_in_score,percentile"));
        QCOMPARE(lines.size(), 3202);
        std::vector<double> scores;
        std::vector<double> percentiles;
        for (const QByteArray &line : lines) {
            const QList<QByteArray> cells = line.split(',');
            QCOMPARE(cells.size(), 7);
            QCOMPARE(cells[2], QByteArray("986"));
            QCOMPARE(cells[5], QByteArray("51209"));
            bool scoreIsNumber = false;
            bool percentileIsNumber = false;
            scores.push_back(cells[1].toDouble(&scoreIsNumber));
            percentiles.push_back(cells[6].toDouble(&percentileIsNumber));
            QVERIFY2(scoreIsNumber && percentileIsNumber, line.constData()); // "NA" must not read as 0
        }
        for (std::size_t i = 0; i < scores.size(); i += 97) {
            const double below = static_cast<double>(
                std::count_if(scores.begin(), scores.end(), [&](double s) { return s < scores[i]; }));
            const double equal = static_cast<double>(std::count(scores.begin(), scores.end(), scores[i]));
            const double expected = 100.0 * (below + 0.5 * equal) / static_cast<double>(scores.size());
            // The printed score has 10 significant digits and the percentile 4.
            QVERIFY2(std::abs(percentiles[i] - expected) < 0.06, qPrintable(QString::number(i)));
        }
    }

    void inspectDescribesGenomicInputs_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("kind");
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("value");
        QTest::newRow("1000 Genomes chr22 VCF has 5 samples") << kGenomics + "/1000g/chr22.vcf.gz"
                                                              << "vcf"
                                                              << "samples"
                                                              << "5";
        QTest::newRow("23andMe-layout file is build 37") << kConsumer23andMe << "23andme"
                                                         << "build"
                                                         << "GRCh37";
        QTest::newRow("PGS001229 scoring file names its score") << kGenomics + "/pgs/PGS001229_GRCh38.txt.gz"
                                                                << "pgs-scoring-file"
                                                                << "pgs id"
                                                                << "PGS001229";
    }

    void inspectDescribesGenomicInputs()
    {
        QFETCH(QString, path);
        QFETCH(QString, kind);
        QFETCH(QString, key);
        QFETCH(QString, value);
        const Run run = runCli({ "inspect", path });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        const auto output = nlohmann::json::parse(run.out.toStdString());
        QCOMPARE(QString::fromStdString(output["kind"].get<std::string>()), kind);
        bool found = false;
        for (const auto &fact : output["facts"])
            found = found
                || (fact["key"].get<std::string>() == key.toStdString()
                    && QString::fromStdString(fact["value"].get<std::string>()) == value);
        QVERIFY2(found, run.out.constData());
        // Sample names are identifiers: never in a report.
        QVERIFY2(!run.out.contains("HG00096"), "a sample name reached the output");
    }

    void inspectRefusesAlignments()
    {
        QTemporaryDir directory;
        const QString sam = directory.filePath("reads.sam");
        writeFile(sam, "@HD\tVN:1.6\tSO:coordinate\n@SQ\tSN:chr1\tLN:1000\n");
        const Run run = runCli({ "inspect", sam });
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("reads.sam") && run.err.contains("not VCF or BCF"), run.err.constData());
    }

    // Features cached at import are what the workspace gives back: the genome is not needed again.
    void genomicFeaturesAreCachedInTheWorkspace()
    {
        QTemporaryDir directory;
        const QString spec = directory.filePath("spec.json");
        writeFile(spec, R"({"build": "GRCh37", "variants": [
            {"name": "rs7410291_G", "chromosome": "22", "position": 50300078, "allele": "G"},
            {"name": "rs182170314_T", "chromosome": "22", "position": 50300166, "allele": "T"}]})");
        const QString workspacePath = directory.filePath("workspace.db");
        const Run run = runCli({ "genomic-features", "--genotypes", kGenomics + "/1000g/chr22.vcf.gz",
            "--sample", "HG00097", "--spec", spec, "--workspace", workspacePath, "--patient", "P-1" });
        QVERIFY2(run.exitCode == 0, run.err.constData());
        // bcftools query -s HG00097: rs7410291 0|0 DS 0; rs182170314 0|0 DS 0.05.
        QCOMPARE(rowOf(run.out, "rs7410291_G").value(1), QByteArray("0"));
        bool dosageIsNumber = false;
        const double dosage = rowOf(run.out, "rs182170314_T").value(1).toDouble(&dosageIsNumber);
        QVERIFY2(dosageIsNumber, run.out.constData());
        QVERIFY(std::abs(dosage - 0.05) < 1e-6); // DS is stored as a float

        auto workspace = mosaic::Workspace::open(workspacePath.toStdString());
        QVERIFY(workspace);
        auto patients = workspace->patients();
        QVERIFY(patients && patients->size() == 1);
        auto schema
            = mosaic::FeatureSchema::fromDefinitions({ { "rs7410291_G", mosaic::Modality::Genomics, "", "" },
                { "rs182170314_T", mosaic::Modality::Genomics, "", "" } });
        QVERIFY(schema);
        auto stored = workspace->features(
            patients->front().id, std::make_shared<const mosaic::FeatureSchema>(*schema));
        QVERIFY(stored);
        QCOMPARE(stored->value(0), 0.0);
        QVERIFY(std::abs(stored->value(1) - 0.05) < 1e-6);
        QCOMPARE(stored->provenance(1).source, std::string("chr22.vcf.gz"));
        QVERIFY2(stored->provenance(1).location.starts_with("22:50300166 (record "),
            stored->provenance(1).location.c_str());
    }
};

QTEST_APPLESS_MAIN(TestCliGenomics)
#include "tst_cli_genomics.moc"
