// SPDX-License-Identifier: Apache-2.0
// The independent truth is bcftools, run by the test through QProcess: its `query` prints every
// record's chromosome, position, alleles, GT and DS of the 1000 Genomes chr22 subset, and its `view
// -Ob` writes the BCF twin. Without bcftools those cases are skipped. Refusals are built inside the
// test so each case is readable.
#include "core/genomics/genome_build.h"
#include "core/genomics/vcf_reader.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

using namespace mosaic;

using mosaic::testing::bcftoolsPath;
using mosaic::testing::readBytes;
using mosaic::testing::split;
using mosaic::testing::writeFile;

namespace {

std::filesystem::path genomicsDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "genomics";
}
std::filesystem::path chr22()
{
    return genomicsDir() / "1000g/chr22.vcf.gz";
}

// bcftools' GT text: alleles joined by '|' when phased, '/' otherwise, '.' for missing.
std::string genotypeText(const GenotypeCall &call)
{
    std::string text;
    for (std::size_t i = 0; i < call.alleles.size(); ++i) {
        if (i > 0)
            text += call.phased ? '|' : '/';
        text += call.alleles[i] < 0 ? std::string(".") : std::to_string(call.alleles[i]);
    }
    return text;
}

std::string join(const std::vector<std::string> &values)
{
    std::string text;
    for (std::size_t i = 0; i < values.size(); ++i)
        text += (i > 0 ? "," : "") + values[i];
    return text.empty() ? "." : text;
}

std::vector<VcfRow> readAll(const std::filesystem::path &path)
{
    std::vector<VcfRow> rows;
    auto reader = VcfReader::open(path);
    if (!reader) {
        qWarning("%s", reader.error().message().c_str());
        return rows;
    }
    while (true) {
        auto row = reader->next();
        if (!row) {
            qWarning("%s", row.error().message().c_str());
            return {};
        }
        if (!*row)
            return rows;
        rows.push_back(std::move(**row));
    }
}

} // namespace

class TstVcfReader : public QObject
{
    Q_OBJECT

private slots:
    void chr22AgreesWithBcftoolsQuery();
    void bcfReadsLikeVcf();
    void edgeCaseFilesReadOrAreRefusedByName_data();
    void edgeCaseFilesReadOrAreRefusedByName();
    void refusesNonVariantAndDamagedFiles_data();
    void refusesNonVariantAndDamagedFiles();
    void normalisesChromosomeNames();
    void refusesAHeaderOverTheLimit_data();
    void refusesAHeaderOverTheLimit();
    void fieldSubsetsAgreeWithBcftools_data();
    void fieldSubsetsAgreeWithBcftools();
    void genotypeScanMatchesFullReadOnEdgeCases_data();
    void genotypeScanMatchesFullReadOnEdgeCases();
    void detectsGenomeBuildFromHeader_data();
    void detectsGenomeBuildFromHeader();
    void namesBuildsOfReferenceNames_data();
    void namesBuildsOfReferenceNames();
    void reusedRowReadsLikeFreshRows();
};

void TstVcfReader::chr22AgreesWithBcftoolsQuery()
{
    const QString bcftools = bcftoolsPath();
    if (bcftools.isEmpty())
        QSKIP("bcftools is not installed: the independent truth for chr22 is missing");
    QProcess query;
    query.start(bcftools,
        { QStringLiteral("query"), QStringLiteral("-f"),
            QStringLiteral("%CHROM\t%POS\t%REF\t%ALT[\t%GT\t%DS]\n"),
            QString::fromStdString(chr22().string()) });
    QVERIFY(query.waitForFinished(120000));
    QCOMPARE(query.exitCode(), 0);
    const std::vector<std::string> lines = split(query.readAllStandardOutput().toStdString(), '\n');
    QCOMPARE(lines.size(), std::size_t { 10376 });

    auto reader = VcfReader::open(chr22());
    QVERIFY2(reader.has_value(), reader ? "" : reader.error().message().c_str());
    QCOMPARE(reader->sampleCount(), std::size_t { 5 });
    QVERIFY(!reader->isBcf());
    QVERIFY(!reader->sampleIndex("no such sample").has_value());
    std::size_t dosages = 0;
    for (std::size_t n = 0; n < lines.size(); ++n) {
        auto row = reader->next();
        QVERIFY2(row.has_value(), row ? "" : row.error().message().c_str());
        QVERIFY2(row->has_value(), qPrintable(QStringLiteral("ended early at record %1").arg(n + 1)));
        const VcfRow &r = **row;
        const std::vector<std::string> f = split(lines[n], '\t');
        QCOMPARE(f.size(), std::size_t { 4 + 2 * 5 });
        QCOMPARE(r.variant.chromosome, normaliseChromosome(f[0]));
        QCOMPARE(std::to_string(r.variant.position), f[1]);
        QCOMPARE(r.variant.reference, f[2]);
        QCOMPARE(join(r.variant.alternates), f[3]);
        QCOMPARE(r.calls.size(), std::size_t { 5 });
        for (std::size_t s = 0; s < 5; ++s) {
            QCOMPARE(genotypeText(r.calls[s]), f[4 + 2 * s]);
            const std::string &ds = f[5 + 2 * s];
            if (ds == ".") {
                QVERIFY(!r.calls[s].dosage.has_value());
            } else {
                QVERIFY(r.calls[s].dosage.has_value());
                QVERIFY2(
                    std::abs(*r.calls[s].dosage - std::stod(ds)) <= 1e-6 * (1.0 + std::abs(std::stod(ds))),
                    qPrintable(QStringLiteral("record %1 DS").arg(n + 1)));
                ++dosages;
            }
        }
    }
    auto end = reader->next();
    QVERIFY(end.has_value());
    QVERIFY(!end->has_value());
    QCOMPARE(dosages, std::size_t { 10376 * 5 });
}

void TstVcfReader::bcfReadsLikeVcf()
{
    const QString bcftools = bcftoolsPath();
    if (bcftools.isEmpty())
        QSKIP("bcftools is not installed: cannot write the BCF twin of chr22");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::filesystem::path bcf = std::filesystem::path(dir.path().toStdString()) / "chr22.bcf";
    QProcess view;
    view.start(bcftools,
        { QStringLiteral("view"), QStringLiteral("-Ob"), QStringLiteral("-o"),
            QString::fromStdString(bcf.string()), QString::fromStdString(chr22().string()) });
    QVERIFY(view.waitForFinished(120000));
    QCOMPARE(view.exitCode(), 0);

    auto reader = VcfReader::open(bcf);
    QVERIFY2(reader.has_value(), reader ? "" : reader.error().message().c_str());
    QVERIFY(reader->isBcf());
    const std::vector<VcfRow> fromVcf = readAll(chr22());
    const std::vector<VcfRow> fromBcf = readAll(bcf);
    QCOMPARE(fromVcf.size(), std::size_t { 10376 });
    QCOMPARE(fromBcf.size(), fromVcf.size());
    for (std::size_t n = 0; n < fromVcf.size(); ++n) {
        const VcfRow &a = fromVcf[n];
        const VcfRow &b = fromBcf[n];
        QCOMPARE(b.variant.chromosome, a.variant.chromosome);
        QCOMPARE(b.variant.position, a.variant.position);
        QCOMPARE(b.variant.id, a.variant.id);
        QCOMPARE(b.variant.reference, a.variant.reference);
        QCOMPARE(b.variant.alternates, a.variant.alternates);
        QCOMPARE(b.calls.size(), a.calls.size());
        for (std::size_t s = 0; s < a.calls.size(); ++s) {
            QCOMPARE(b.calls[s].alleles, a.calls[s].alleles);
            QCOMPARE(b.calls[s].phased, a.calls[s].phased);
            QCOMPARE(b.calls[s].dosage, a.calls[s].dosage);
        }
    }
}

void TstVcfReader::edgeCaseFilesReadOrAreRefusedByName_data()
{
    QTest::addColumn<QString>("path");
    const std::filesystem::path dir = genomicsDir() / "vcf-edge-cases";
    if (!std::filesystem::is_directory(dir))
        return;
    std::vector<std::filesystem::path> files;
    for (const auto &entry : std::filesystem::directory_iterator(dir))
        if (entry.is_regular_file())
            files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    for (const auto &file : files)
        QTest::newRow(file.filename().string().c_str()) << QString::fromStdString(file.string());
}

void TstVcfReader::edgeCaseFilesReadOrAreRefusedByName()
{
    QFETCH(QString, path);
    const std::filesystem::path file = path.toStdString();
    const std::string name = file.filename().string();
    // Sample names are identifiers: bcftools lists them (when it can parse the header) and none may
    // appear in a refusal. Names shorter than 3 characters would match by accident and are left out.
    std::vector<std::string> sampleNames;
    if (const QString bcftools = bcftoolsPath(); !bcftools.isEmpty()) {
        QProcess list;
        list.start(bcftools, { QStringLiteral("query"), QStringLiteral("-l"), path });
        QVERIFY(list.waitForFinished(60000));
        if (list.exitCode() == 0)
            for (const std::string &sample : split(list.readAllStandardOutput().toStdString(), '\n'))
                if (sample.size() >= 3)
                    sampleNames.push_back(sample);
    }
    auto checkRefusal = [&](const Error &error) {
        const std::string message = error.message();
        qInfo("refused: %s", message.c_str());
        QVERIFY2(message.starts_with(name), message.c_str());
        for (const std::string &sample : sampleNames)
            QVERIFY2(message.find(sample) == std::string::npos, "a sample name appears in the error");
    };
    auto reader = VcfReader::open(file);
    if (!reader) {
        checkRefusal(reader.error());
        return;
    }
    std::size_t records = 0;
    while (true) {
        auto row = reader->next();
        if (!row) {
            checkRefusal(row.error());
            return;
        }
        if (!*row)
            break;
        ++records;
        QCOMPARE((*row)->calls.size(), reader->sampleCount());
    }
    qInfo("%s: %zu records", name.c_str(), records);
}

void TstVcfReader::refusesNonVariantAndDamagedFiles_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");

    QTest::newRow("SAM alignments are not variant data")
        << "reads.sam"
        << QByteArray("@HD\tVN:1.6\tSO:unsorted\n@SQ\tSN:22\tLN:51304566\n"
                      "r1\t0\t22\t100\t60\t4M\t*\t0\t0\tACGT\tIIII\n")
        << int(ErrorCode::Unsupported);
    // htslib recognises both by their magic numbers: "BAM\1" (here uncompressed, which BAM allows) and
    // "CRAM" with a major version of 3.
    QTest::newRow("BAM alignments are not variant data")
        << "reads.bam" << QByteArray("BAM\1\0\0\0\0\1\0\0\0", 12) << int(ErrorCode::Unsupported);
    QTest::newRow("CRAM alignments are not variant data")
        << "reads.cram" << (QByteArray("CRAM\3\1", 6) + QByteArray(20, 'x') + QByteArray(64, '\0'))
        << int(ErrorCode::Unsupported);
    QTest::newRow("a name holding htslib's ##idx## delimiter cannot choose an index")
        << "calls.vcf##idx##calls.vcf.tbi"
        << QByteArray("##fileformat=VCFv4.2\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n22\t1\t.\tA\tC\t."
                      "\t.\t.\n")
        << int(ErrorCode::Unsupported);
    QTest::newRow("an empty file is not variant data")
        << "empty.vcf" << QByteArray() << int(ErrorCode::Unsupported);
    const std::string whole = readBytes(chr22());
    QTest::newRow("bgzip cut in the middle of the records")
        << "truncated.vcf.gz" << QByteArray::fromStdString(whole.substr(0, whole.size() / 2))
        << int(ErrorCode::Malformed);
    QTest::newRow("more alternates than the limit of 4 alleles")
        << "many_alleles.vcf"
        << QByteArray("##fileformat=VCFv4.2\n##contig=<ID=22>\n"
                      "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                      "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n"
                      "22\t100\t.\tA\tC\t.\t.\t.\tGT\t0/1\n"
                      "22\t200\t.\tA\tC,G,T,AA\t.\t.\t.\tGT\t0/4\n")
        << int(ErrorCode::LimitExceeded);
}

void TstVcfReader::refusesNonVariantAndDamagedFiles()
{
    QFETCH(QString, fileName);
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::filesystem::path path
        = std::filesystem::path(dir.path().toStdString()) / fileName.toStdString();
    writeFile(path, bytes.toStdString());

    VcfLimits limits;
    limits.maxAllelesPerRecord = 4;
    auto reader = VcfReader::open(path, limits);
    Error error;
    if (!reader) {
        error = reader.error();
    } else {
        while (true) {
            auto row = reader->next();
            if (!row) {
                error = row.error();
                break;
            }
            QVERIFY2(row->has_value(), "the damaged file read to the end without an error");
        }
    }
    QCOMPARE(int(error.code), code);
    QVERIFY2(error.message().starts_with(fileName.toStdString()), error.message().c_str());
    // Alignment files are refused by what they are ("not VCF or BCF but CRAM version 3.1 ...").
    for (const char *alignment : { "sam", "bam", "cram" })
        if (fileName.endsWith(QLatin1String(".") + QLatin1String(alignment)))
            QVERIFY2(error.message().find(" but " + QString::fromLatin1(alignment).toUpper().toStdString())
                    != std::string::npos,
                error.message().c_str());
    if (code == int(ErrorCode::LimitExceeded))
        QVERIFY2(error.message().find("record 2") != std::string::npos, error.message().c_str());
}

void TstVcfReader::refusesAHeaderOverTheLimit_data()
{
    QTest::addColumn<bool>("bcf");
    QTest::newRow("VCF text: 200 header lines of 60 bytes against a 4 KiB limit") << false;
    QTest::newRow("BCF: the header length it states, 12 KB, against a 4 KiB limit") << true;
}

// 200 distinct ##note lines of 60 bytes make a 12 KB header; with a 4 KiB limit it is refused before
// htslib reads it, and with the default limit the file loads.
void TstVcfReader::refusesAHeaderOverTheLimit()
{
    QFETCH(bool, bcf);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::filesystem::path root = dir.path().toStdString();
    std::string text = "##fileformat=VCFv4.2\n";
    for (int i = 0; i < 200; ++i)
        text += "##note" + std::to_string(1000 + i) + "=" + std::string(49, 'x')
            + "\n"; // distinct: htslib drops repeats
    text += "##contig=<ID=22>\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n22\t1\t.\tA\tC\t.\t.\t.\n";
    std::filesystem::path path = root / "long_header.vcf";
    writeFile(path, text);
    if (bcf) {
        const QString bcftools = bcftoolsPath();
        if (bcftools.isEmpty())
            QSKIP("bcftools is not installed: cannot write the BCF");
        const std::filesystem::path converted = root / "long_header.bcf";
        QProcess view;
        view.start(bcftools,
            { QStringLiteral("view"), QStringLiteral("-Ob"), QStringLiteral("-o"),
                QString::fromStdString(converted.string()), QString::fromStdString(path.string()) });
        QVERIFY(view.waitForFinished(60000));
        QCOMPARE(view.exitCode(), 0);
        path = converted;
    }
    VcfLimits limits;
    limits.maxHeaderBytes = 4096;
    auto refused = VcfReader::open(path, limits);
    QVERIFY(!refused.has_value());
    QCOMPARE(int(refused.error().code), int(ErrorCode::LimitExceeded));
    QVERIFY2(refused.error().message().starts_with(path.filename().string() + ", header: the header"),
        refused.error().message().c_str());
    QVERIFY2(refused.error().message().find("limit of 4096") != std::string::npos,
        refused.error().message().c_str());
    QCOMPARE(readAll(path).size(), std::size_t { 1 });
}

void TstVcfReader::normalisesChromosomeNames()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const std::filesystem::path path = std::filesystem::path(dir.path().toStdString()) / "prefixed.vcf";
    writeFile(path,
        "##fileformat=VCFv4.2\n##contig=<ID=chr1>\n##contig=<ID=chrX>\n##contig=<ID=chrM>\n##contig=<ID=MT>\n"
        "##contig=<ID=7>\n"
        "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
        "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tA\tB\n"
        "chr1\t10\trs1\tA\tG\t.\t.\t.\tGT\t0|1\t./.\n"
        "chrX\t20\t.\tC\t.\t.\t.\t.\tGT\t0\t0/0\n"
        "chrM\t30\t.\tG\tT,C\t.\t.\t.\tGT\t2\t1/2\n"
        "MT\t40\t.\tT\tA\t.\t.\t.\tGT\t1\t0|0\n"
        "7\t50\t.\tA\tT\t.\t.\t.\tGT\t0/1\t1|1\n");
    const std::vector<VcfRow> rows = readAll(path);
    QCOMPARE(rows.size(), std::size_t { 5 });
    const std::vector<std::string> chromosomes { "1", "X", "MT", "MT", "7" };
    const std::vector<std::int64_t> positions { 10, 20, 30, 40, 50 };
    for (std::size_t i = 0; i < rows.size(); ++i) {
        QCOMPARE(rows[i].variant.chromosome, chromosomes[i]);
        QCOMPARE(rows[i].variant.position, positions[i]);
    }
    QCOMPARE(rows[0].variant.id, std::string("rs1"));
    QCOMPARE(rows[0].calls[0].alleles, (std::vector<int> { 0, 1 }));
    QVERIFY(rows[0].calls[0].phased);
    QCOMPARE(rows[0].calls[1].alleles, (std::vector<int> { -1, -1 }));
    QVERIFY(!rows[0].calls[1].phased);
    QVERIFY(rows[1].variant.alternates.empty());
    QCOMPARE(rows[1].calls[0].alleles, (std::vector<int> { 0 }));
    QCOMPARE(rows[2].variant.alternates, (std::vector<std::string> { "T", "C" }));
    QCOMPARE(rows[2].calls[1].alleles, (std::vector<int> { 1, 2 }));
    QVERIFY(!rows[0].calls[0].dosage.has_value());
    QCOMPARE(normaliseChromosome("chr22"), std::string("22"));
    QCOMPARE(normaliseChromosome("chrMT"), std::string("MT"));
    QCOMPARE(normaliseChromosome("M"), std::string("MT"));
    QCOMPARE(normaliseChromosome("chr"), std::string("chr"));
}

void TstVcfReader::fieldSubsetsAgreeWithBcftools_data()
{
    QTest::addColumn<QString>("copy"); // "vcf.gz" (the shared file) or "bcf" (bcftools' twin)
    QTest::addColumn<bool>("genotypes");
    QTest::addColumn<bool>("dosages");
    QTest::addColumn<bool>("checkWholeRecord");
    QTest::newRow("VCF text, GT only, other columns not parsed") << "vcf.gz" << true << false << false;
    QTest::newRow("VCF text, DS only, other columns not parsed") << "vcf.gz" << false << true << false;
    QTest::newRow("VCF text, GT and DS, other columns not parsed") << "vcf.gz" << true << true << false;
    QTest::newRow("VCF text, sites only (no FORMAT)") << "vcf.gz" << false << false << false;
    QTest::newRow("VCF text, GT only, every column checked") << "vcf.gz" << true << false << true;
    QTest::newRow("BCF, GT only, other fields not unpacked") << "bcf" << true << false << false;
    QTest::newRow("BCF, DS only, other fields not unpacked") << "bcf" << false << true << false;
}

// The chosen subset of chr22's GT and DS equals bcftools query's; what was not asked for is absent.
void TstVcfReader::fieldSubsetsAgreeWithBcftools()
{
    QFETCH(QString, copy);
    QFETCH(bool, genotypes);
    QFETCH(bool, dosages);
    QFETCH(bool, checkWholeRecord);
    const QString bcftools = bcftoolsPath();
    if (bcftools.isEmpty())
        QSKIP("bcftools is not installed: the independent truth for chr22 is missing");
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::filesystem::path path = chr22();
    if (copy == "bcf") {
        path = std::filesystem::path(dir.path().toStdString()) / "chr22.bcf";
        QProcess view;
        view.start(bcftools,
            { QStringLiteral("view"), QStringLiteral("-Ob"), QStringLiteral("-o"),
                QString::fromStdString(path.string()), QString::fromStdString(chr22().string()) });
        QVERIFY(view.waitForFinished(120000));
        QCOMPARE(view.exitCode(), 0);
    }
    QProcess query;
    query.start(bcftools,
        { QStringLiteral("query"), QStringLiteral("-f"),
            QStringLiteral("%CHROM\t%POS\t%REF\t%ALT[\t%GT\t%DS]\n"),
            QString::fromStdString(chr22().string()) });
    QVERIFY(query.waitForFinished(120000));
    QCOMPARE(query.exitCode(), 0);
    const std::vector<std::string> lines = split(query.readAllStandardOutput().toStdString(), '\n');
    QCOMPARE(lines.size(), std::size_t { 10376 });

    VcfReadOptions options;
    options.fields
        = VcfFields { .genotypes = genotypes, .dosages = dosages, .checkWholeRecord = checkWholeRecord };
    auto reader = VcfReader::open(path, options);
    QVERIFY2(reader.has_value(), reader ? "" : reader.error().message().c_str());
    for (std::size_t n = 0; n < lines.size(); ++n) {
        auto row = reader->next();
        QVERIFY2(row.has_value(), row ? "" : row.error().message().c_str());
        QVERIFY2(row->has_value(), qPrintable(QStringLiteral("ended early at record %1").arg(n + 1)));
        const VcfRow &r = **row;
        const std::vector<std::string> f = split(lines[n], '\t');
        QCOMPARE(r.variant.chromosome, normaliseChromosome(f[0]));
        QCOMPARE(std::to_string(r.variant.position), f[1]);
        QCOMPARE(r.variant.reference, f[2]);
        QCOMPARE(join(r.variant.alternates), f[3]);
        if (!genotypes && !dosages) {
            QVERIFY(r.calls.empty());
            continue;
        }
        QCOMPARE(r.calls.size(), std::size_t { 5 });
        for (std::size_t s = 0; s < 5; ++s) {
            QCOMPARE(genotypeText(r.calls[s]), genotypes ? f[4 + 2 * s] : std::string());
            const std::string &ds = f[5 + 2 * s];
            if (!dosages || ds == ".") {
                QVERIFY(!r.calls[s].dosage.has_value());
            } else {
                QVERIFY(r.calls[s].dosage.has_value());
                QVERIFY(
                    std::abs(*r.calls[s].dosage - std::stod(ds)) <= 1e-6 * (1.0 + std::abs(std::stod(ds))));
            }
        }
    }
    auto end = reader->next();
    QVERIFY(end.has_value() && !end->has_value());
}

void TstVcfReader::genotypeScanMatchesFullReadOnEdgeCases_data()
{
    edgeCaseFilesReadOrAreRefusedByName_data();
}

// On every dialect of the edge-case folder, the GT-only scan (the line cut down before htslib parses
// it) returns the same records and genotypes as the full read, whose genotypes match bcftools above.
void TstVcfReader::genotypeScanMatchesFullReadOnEdgeCases()
{
    QFETCH(QString, path);
    const std::filesystem::path file = path.toStdString();
    auto full = VcfReader::open(file);
    if (!full)
        return; // refused at open: the scan opens the same way
    VcfReadOptions options;
    options.fields = VcfFields { .genotypes = true, .dosages = false, .checkWholeRecord = false };
    auto scan = VcfReader::open(file, options);
    QVERIFY2(scan.has_value(), scan ? "" : scan.error().message().c_str());
    for (std::size_t n = 1;; ++n) {
        auto a = full->next();
        if (!a)
            return; // the full read refuses a column the scan does not parse; nothing to compare beyond
        auto b = scan->next();
        QVERIFY2(b.has_value(),
            qPrintable(QStringLiteral("record %1: the scan refused what the full read accepted: %2")
                           .arg(n)
                           .arg(QString::fromStdString(b ? "" : b.error().message()))));
        QCOMPARE(b->has_value(), a->has_value());
        if (!*a)
            return;
        const VcfRow &x = **a;
        const VcfRow &y = **b;
        QCOMPARE(y.variant.chromosome, x.variant.chromosome);
        QCOMPARE(y.variant.position, x.variant.position);
        QCOMPARE(y.variant.id, x.variant.id);
        QCOMPARE(y.variant.reference, x.variant.reference);
        QCOMPARE(y.variant.alternates, x.variant.alternates);
        QCOMPARE(y.calls.size(), x.calls.size());
        for (std::size_t s = 0; s < x.calls.size(); ++s) {
            QCOMPARE(y.calls[s].alleles, x.calls[s].alleles);
            QCOMPARE(y.calls[s].phased, x.calls[s].phased);
        }
    }
}

void TstVcfReader::detectsGenomeBuildFromHeader_data()
{
    QTest::addColumn<QString>("file"); // under genomics/, or "hand:<header lines>" written by the test
    QTest::addColumn<int>("build");
    QTest::addColumn<QString>("evidence");
    QTest::newRow("HapMap exome: 25 b37 contigs with their GRCh37 lengths")
        << "1000g/hapmap_exome_chr22.vcf.gz" << int(GenomeBuild::GRCh37)
        << "24 ##contig lengths are GRCh37's";
    QTest::newRow("PharmCAT phasing: ##reference=hg38 and 23 GRCh38 contig lengths")
        << "vcf-edge-cases/VcfReaderTest-phasing.vcf" << int(GenomeBuild::GRCh38)
        << "23 ##contig lengths are GRCh38's";
    QTest::newRow("PharmCAT AD: a CLC hg38 reference path and assembly=GRCh38.p13")
        << "vcf-edge-cases/VcfReaderTest-AD.vcf" << int(GenomeBuild::GRCh38)
        << "##contig assembly= names GRCh38";
    QTest::newRow("chr-prefixed hg19 contigs with GRCh37 lengths")
        << "vcf-edge-cases/null_genotype_mono.vcf.gz" << int(GenomeBuild::GRCh37)
        << "##contig lengths are GRCh37's";
    QTest::newRow("1000 Genomes pilot on NCBI36 (B36): neither build")
        << "vcf-edge-cases/example-4.1.vcf" << int(GenomeBuild::Unknown) << "names no GRCh37 or GRCh38";
    QTest::newRow("tiny1000G declares no contigs: unknown")
        << "pgs/tiny1000G.vcf.gz" << int(GenomeBuild::Unknown) << "names no GRCh37 or GRCh38";
    QTest::newRow("chr22 subset declares contig 22 without a length: unknown")
        << "1000g/chr22.vcf.gz" << int(GenomeBuild::Unknown) << "names no GRCh37 or GRCh38";
    QTest::newRow("##reference=hg19 beside a GRCh38 chr1 length: contradiction, unknown")
        << "hand:##reference=hg19\n##contig=<ID=chr1,length=248956422>" << int(GenomeBuild::Unknown)
        << "contradicts itself";
    QTest::newRow("##assembly=GRCh38 alone")
        << "hand:##assembly=GRCh38" << int(GenomeBuild::GRCh38) << "##assembly names GRCh38";
    QTest::newRow("the unchanged MT length alone says nothing")
        << "hand:##contig=<ID=MT,length=16569>" << int(GenomeBuild::Unknown) << "names no GRCh37 or GRCh38";
}

void TstVcfReader::detectsGenomeBuildFromHeader()
{
    QFETCH(QString, file);
    QFETCH(int, build);
    QFETCH(QString, evidence);
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    std::filesystem::path path = genomicsDir() / file.toStdString();
    if (file.startsWith("hand:")) {
        path = std::filesystem::path(dir.path().toStdString()) / "hand.vcf";
        writeFile(path,
            "##fileformat=VCFv4.2\n" + file.mid(5).replace("\\n", "\n").toStdString()
                + "\n#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n");
    }
    auto reader = VcfReader::open(path);
    QVERIFY2(reader.has_value(), reader ? "" : reader.error().message().c_str());
    QCOMPARE(int(reader->genomeBuild()), build);
    QVERIFY2(reader->genomeBuildEvidence().find(evidence.toStdString()) != std::string::npos,
        reader->genomeBuildEvidence().c_str());
}

void TstVcfReader::namesBuildsOfReferenceNames_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("build");
    // Reference names as real files write them (GATK bundle, 1000 Genomes, UCSC, NCBI accessions).
    QTest::newRow("GATK b37 decoy fasta")
        << "/isilon/GATK_resource_bundle/1.5/b37/human_g1k_v37_decoy.fasta" << int(GenomeBuild::GRCh37);
    QTest::newRow("1000 Genomes hs37d5")
        << "ftp://ftp.1000genomes.ebi.ac.uk/hs37d5.fa.gz" << int(GenomeBuild::GRCh37);
    QTest::newRow("UCSC hg19") << "hg19" << int(GenomeBuild::GRCh37);
    QTest::newRow("GRCh38 patch 13") << "GRCh38.p13" << int(GenomeBuild::GRCh38);
    QTest::newRow("Broad hg38 fasta")
        << "file:///ref/Homo_sapiens_assembly38.fasta" << int(GenomeBuild::GRCh38);
    QTest::newRow("GRCh38 GenBank accession") << "GCA_000001405.15" << int(GenomeBuild::GRCh38);
    QTest::newRow("GRCh37 GenBank accession (.1, not .15)") << "GCA_000001405.1" << int(GenomeBuild::GRCh37);
    QTest::newRow("NCBI36 is neither") << "1000GenomesPilot-NCBI36" << int(GenomeBuild::Unknown);
    QTest::newRow("hg190 is not hg19") << "hg190" << int(GenomeBuild::Unknown);
    QTest::newRow("a hash containing b37 is not b37") << "md5=ab37ff" << int(GenomeBuild::Unknown);
}

void TstVcfReader::namesBuildsOfReferenceNames()
{
    QFETCH(QString, name);
    QFETCH(int, build);
    QCOMPARE(int(genomeBuildFromAssemblyName(name.toStdString())), build);
}

// next(VcfRow&) reuses the row's storage; nothing of one record may leak into the next. The HapMap
// exome file mixes biallelic and multi-allelic records, missing calls and 22 samples; chr22 has DS
// on some records and not others. Both files, decompressed on a second thread, against next().
void TstVcfReader::reusedRowReadsLikeFreshRows()
{
    for (const char *file : { "1000g/chr22.vcf.gz", "1000g/hapmap_exome_chr22.vcf.gz" }) {
        auto fresh = VcfReader::open(genomicsDir() / file);
        VcfReadOptions options;
        options.decompressionThreads = 1;
        auto reusing = VcfReader::open(genomicsDir() / file, options);
        QVERIFY(fresh && reusing);
        VcfRow row;
        std::size_t records = 0;
        for (;;) {
            auto expected = fresh->next();
            auto got = reusing->next(row);
            QVERIFY(expected && got);
            QCOMPARE(*got, expected->has_value());
            if (!*got)
                break;
            ++records;
            const VcfRow &want = **expected;
            QCOMPARE(row.variant.chromosome, want.variant.chromosome);
            QCOMPARE(row.variant.position, want.variant.position);
            QCOMPARE(row.variant.id, want.variant.id);
            QCOMPARE(row.variant.reference, want.variant.reference);
            QCOMPARE(row.variant.alternates, want.variant.alternates);
            QCOMPARE(row.calls.size(), want.calls.size());
            for (std::size_t i = 0; i < want.calls.size(); ++i) {
                QCOMPARE(row.calls[i].alleles, want.calls[i].alleles);
                QCOMPARE(row.calls[i].phased, want.calls[i].phased);
                QCOMPARE(row.calls[i].dosage, want.calls[i].dosage);
            }
        }
        QVERIFY2(records > 1000, file);
    }
}

QTEST_GUILESS_MAIN(TstVcfReader)
#include "tst_vcf_reader.moc"
