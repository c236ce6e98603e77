// SPDX-License-Identifier: Apache-2.0
// Region queries (VcfReadOptions::region) against bcftools, run by the test through QProcess: for each
// region, `bcftools query -r` on a temporary copy of the 1000 Genomes chr22 subset that bcftools has
// indexed itself is the truth. Mosaic reads its own copy three ways: through the index it builds in a
// directory the test gives (bgzipped VCF and BCF), and by streaming and filtering (plain VCF, and a
// bgzipped VCF without an index directory). Beside Mosaic's copies lies a planted .tbi/.csi of another
// file, which htslib would follow to wrong records if it were ever loaded.
#include "core/genomics/vcf_reader.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <fstream>
#include <sstream>

using namespace mosaic;
namespace fs = std::filesystem;

using mosaic::testing::bcftoolsPath;

namespace {

fs::path chr22()
{
    return fs::path(MOSAIC_SHARED_DATA_DIR) / "genomics/1000g/chr22.vcf.gz";
}
fs::path otherFile() // its index is the planted wrong one
{
    return fs::path(MOSAIC_SHARED_DATA_DIR) / "genomics/1000g/hapmap_exome_chr22.vcf.gz";
}

bool runBcftools(const QStringList &arguments, std::string *output = nullptr)
{
    QProcess process;
    process.start(bcftoolsPath(), arguments);
    if (!process.waitForFinished(120000) || process.exitCode() != 0) {
        qWarning("bcftools %s failed: %s", qPrintable(arguments.join(' ')),
            process.readAllStandardError().constData());
        return false;
    }
    if (output != nullptr)
        *output = process.readAllStandardOutput().toStdString();
    return true;
}

QString q(const fs::path &path)
{
    return QString::fromStdString(path.string());
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

// One line per record as the test's bcftools query format prints it.
std::string describe(const VcfRow &row)
{
    std::string text = row.variant.chromosome + "\t" + std::to_string(row.variant.position) + "\t"
        + row.variant.reference + "\t";
    for (std::size_t i = 0; i < row.variant.alternates.size(); ++i)
        text += (i > 0 ? "," : "") + row.variant.alternates[i];
    if (row.variant.alternates.empty())
        text += ".";
    for (const GenotypeCall &call : row.calls)
        text += "\t" + genotypeText(call);
    return text + "\n";
}

const char *kQueryFormat = "%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n";

struct Copies
{
    QTemporaryDir dir;
    fs::path truth; // bcftools' own copy, indexed by bcftools
    fs::path bgzipped; // Mosaic's copies, each with a wrong index beside it
    fs::path bcf;
    fs::path plain;
    fs::path indexDirectory;
    bool ok = false;
};

// Made once: bcftools converts and indexes, which takes a few seconds.
Copies &copies()
{
    static Copies c;
    static bool made = false;
    if (made)
        return c;
    made = true;
    const fs::path root = c.dir.path().toStdString();
    fs::create_directories(root / "truth");
    fs::create_directories(root / "mosaic");
    c.truth = root / "truth/chr22.vcf.gz";
    c.bgzipped = root / "mosaic/chr22.vcf.gz";
    c.bcf = root / "mosaic/chr22.bcf";
    c.plain = root / "mosaic/chr22.vcf";
    c.indexDirectory = root / "mosaic-index-cache";
    fs::copy_file(chr22(), c.truth);
    fs::copy_file(chr22(), c.bgzipped);
    const fs::path other = root / "other.vcf.gz";
    fs::copy_file(otherFile(), other);
    c.ok = runBcftools({ "index", "-t", q(c.truth) })
        && runBcftools({ "view", "-Ob", "-o", q(c.bcf), q(chr22()) })
        && runBcftools({ "view", "-Ov", "-o", q(c.plain), q(chr22()) })
        && runBcftools({ "index", "-t", "-o", q(c.bgzipped.string() + ".tbi"), q(other) })
        && runBcftools({ "index", "-c", "-o", q(c.bcf.string() + ".csi"), q(other) })
        && runBcftools({ "index", "-t", "-o", q(c.plain.string() + ".tbi"), q(other) });
    return c;
}

} // namespace

class TstVcfRegion : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void regionAgreesWithBcftools_data();
    void regionAgreesWithBcftools();
    void buildsItsOwnIndexOnceAndNeverBeside();
    void refusesAnImpossibleRegion();
};

void TstVcfRegion::initTestCase()
{
    if (bcftoolsPath().isEmpty())
        QSKIP("bcftools is not installed: the independent truth for region queries is missing");
    QVERIFY(copies().ok);
}

void TstVcfRegion::regionAgreesWithBcftools_data()
{
    QTest::addColumn<QString>("copy"); // bgzipped, bcf, plain, bgzipped-streamed
    QTest::addColumn<QString>("chromosome"); // as the caller names it
    QTest::addColumn<qint64>("begin");
    QTest::addColumn<qint64>("end");
    QTest::addColumn<QString>("expectedAccess");
    struct Region
    {
        const char *what;
        const char *chromosome;
        qint64 begin;
        qint64 end;
    };
    const Region regions[] = {
        { "100 kb with 1,250 records, bare name", "22", 50400000, 50500000 },
        { "100 kb with 1,250 records, chr-prefixed name", "chr22", 50400000, 50500000 },
        { "101 bases inside a 1,353-base deletion's REF, which overlaps them", "22", 50809000, 50809100 },
        { "the last record's single base", "22", 50999964, 50999964 },
        { "no record before the subset starts", "22", 16000000, 16100000 },
        { "the whole chromosome", "chr22", 1, std::int64_t { 1 } << 40 },
        { "a chromosome the file does not have", "chr1", 1, 1000000 },
    };
    const struct
    {
        const char *copy;
        const char *access;
    } ways[] = {
        { "bgzipped", "Mosaic's own index" },
        { "bcf", "Mosaic's own index" },
        { "plain", "streamed and filtered" },
        { "bgzipped-streamed", "streamed and filtered" },
    };
    for (const auto &way : ways)
        for (const Region &region : regions)
            QTest::addRow("%s: %s", way.copy, region.what)
                << way.copy << region.chromosome << region.begin << region.end << way.access;
}

void TstVcfRegion::regionAgreesWithBcftools()
{
    QFETCH(QString, copy);
    QFETCH(QString, chromosome);
    QFETCH(qint64, begin);
    QFETCH(qint64, end);
    QFETCH(QString, expectedAccess);
    Copies &c = copies();

    // bcftools names the file's own chromosome ("22"); its whole-chromosome region is written "22".
    const bool fileHasChromosome = normaliseChromosome(chromosome.toStdString()) == "22";
    std::string expected;
    if (fileHasChromosome) {
        const QString region = begin == 1 && end == (qint64 { 1 } << 40)
            ? QStringLiteral("22")
            : QStringLiteral("22:%1-%2").arg(begin).arg(end);
        QVERIFY(runBcftools({ "query", "-r", region, "-f", kQueryFormat, q(c.truth) }, &expected));
    }

    VcfReadOptions options;
    options.region = VcfRegion { chromosome.toStdString(), begin, end };
    options.fields.dosages = false;
    fs::path path = c.bgzipped;
    if (copy == "bcf")
        path = c.bcf;
    else if (copy == "plain")
        path = c.plain;
    if (copy != "bgzipped-streamed")
        options.indexDirectory = c.indexDirectory;
    auto reader = VcfReader::open(path, options);
    QVERIFY2(reader.has_value(), reader ? "" : reader.error().message().c_str());
    QCOMPARE(QString::fromUtf8(reader->regionAccess().data(), qsizetype(reader->regionAccess().size())),
        expectedAccess);
    std::string actual;
    while (true) {
        auto row = reader->next();
        QVERIFY2(row.has_value(), row ? "" : row.error().message().c_str());
        if (!*row)
            break;
        actual += describe(**row);
    }
    QCOMPARE(actual, expected);
}

void TstVcfRegion::buildsItsOwnIndexOnceAndNeverBeside()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const fs::path root = dir.path().toStdString();
    const fs::path input = root / "input/chr22.vcf.gz";
    fs::create_directories(input.parent_path());
    fs::copy_file(chr22(), input);
    const fs::path cache = root / "cache";
    VcfReadOptions options;
    options.region = VcfRegion { "22", 50400000, 50500000 };
    options.indexDirectory = cache;
    auto count = [&]() -> std::size_t {
        auto reader = VcfReader::open(input, options);
        if (!reader)
            return 0;
        std::size_t n = 0;
        while (true) {
            auto row = reader->next();
            if (!row || !*row)
                return n;
            ++n;
        }
    };
    QCOMPARE(count(), std::size_t { 1250 });
    std::vector<fs::path> built;
    for (const auto &entry : fs::directory_iterator(cache))
        built.push_back(entry.path());
    QCOMPARE(built.size(), std::size_t { 1 });
    QCOMPARE(built[0].extension().string(), std::string(".tbi"));
    const auto firstWrite = fs::last_write_time(built[0]);
    QCOMPARE(count(), std::size_t { 1250 });
    QCOMPARE(fs::last_write_time(built[0]), firstWrite); // reused, not rebuilt
    // Nothing was written beside the input.
    std::size_t besideInput = 0;
    for ([[maybe_unused]] const auto &entry : fs::directory_iterator(input.parent_path()))
        ++besideInput;
    QCOMPARE(besideInput, std::size_t { 1 });
}

void TstVcfRegion::refusesAnImpossibleRegion()
{
    VcfReadOptions options;
    options.region = VcfRegion { "22", 500, 100 };
    auto reader = VcfReader::open(chr22(), options);
    QVERIFY(!reader.has_value());
    QCOMPARE(int(reader.error().code), int(ErrorCode::InvalidArgument));
    QVERIFY2(reader.error().message().starts_with("chr22.vcf.gz"), reader.error().message().c_str());
    options.region = VcfRegion { "", 1, 100 };
    QVERIFY(!VcfReader::open(chr22(), options).has_value());
}

QTEST_APPLESS_MAIN(TstVcfRegion)
#include "tst_vcf_region.moc"
