// SPDX-License-Identifier: Apache-2.0
// SampleGenotypes on real 1000 Genomes files, with bcftools as the independent truth, run by the test
// through QProcess: `query` prints one sample's translated genotype (%TGT), GT and DS; `view` writes
// the single-sample variant-only VCF a whole-genome caller would (for the absent-site rule) and `norm
// -m-any` splits the HapMap exome file's multi-allelic sites into biallelic records (for the merge).
// Without bcftools those cases are skipped.
#include "core/genomics/sample_genotypes.h"

#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

using namespace mosaic;
namespace fs = std::filesystem;

using mosaic::testing::bcftoolsPath;
using mosaic::testing::split;

namespace {

const fs::path kGenomics = fs::path(MOSAIC_SHARED_DATA_DIR) / "genomics/1000g";
const fs::path kChr22 = kGenomics / "chr22.vcf.gz";
const fs::path kHapmap = kGenomics / "hapmap_exome_chr22.vcf.gz";

// bcftools' %TGT: "A|G", "A/G", "./.", "A" -> alleles ("" for '.').
std::vector<std::string> tgtAlleles(const std::string &text)
{
    std::vector<std::string> alleles;
    std::string current;
    for (const char c : text) {
        if (c == '|' || c == '/') {
            alleles.push_back(current == "." ? std::string() : current);
            current.clear();
        } else {
            current += c;
        }
    }
    alleles.push_back(current == "." ? std::string() : current);
    return alleles;
}

std::vector<std::string> sorted(std::vector<std::string> values)
{
    std::sort(values.begin(), values.end());
    return values;
}

// Runs bcftools; its stdout split into lines, or an empty list on failure (with a warning).
std::vector<std::string> bcftools(const QStringList &arguments)
{
    QProcess process;
    process.start(bcftoolsPath(), arguments);
    if (!process.waitForFinished(120000) || process.exitCode() != 0) {
        qWarning("bcftools %s failed: %s", qPrintable(arguments.join(' ')),
            process.readAllStandardError().constData());
        return {};
    }
    return split(process.readAllStandardOutput().toStdString(), '\n');
}

QString text(const std::vector<std::string> &alleles)
{
    QStringList list;
    for (const std::string &allele : alleles)
        list << (allele.empty() ? QStringLiteral(".") : QString::fromStdString(allele));
    return list.join(QLatin1Char('/'));
}

} // namespace

class TstSampleGenotypes : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void oneSampleAtChosenPositionsAgreesWithBcftools();
    void absentSiteRuleBothWays();
    void mergesSplitMultiAllelicSites();
    void refusesMultiSampleFileWithoutSampleName();
    void refusesMissingSampleWithoutEchoingIt();
    void ruleNamesRoundTrip();

private:
    QTemporaryDir m_dir;
};

void TstSampleGenotypes::initTestCase()
{
    if (!fs::exists(kChr22) || !fs::exists(kHapmap))
        QSKIP("../shared/data/genomics/1000g is absent");
}

void TstSampleGenotypes::oneSampleAtChosenPositionsAgreesWithBcftools()
{
    if (bcftoolsPath().isEmpty())
        QSKIP("bcftools is not installed: the independent truth is missing");
    const std::vector<std::string> lines
        = bcftools({ QStringLiteral("query"), QStringLiteral("-s"), QStringLiteral("HG00099"),
            QStringLiteral("-f"), QStringLiteral("%CHROM\t%POS\t%ID\t%REF\t%ALT\t[%TGT]\t[%GT]\t[%DS]\n"),
            QString::fromStdString(kChr22.string()) });
    QCOMPARE(lines.size(), std::size_t { 10376 });

    // Every 7th record's position, which brings in the other records at those positions too, and
    // one position the file does not list.
    std::set<GenomicPosition> positions;
    for (std::size_t i = 0; i < lines.size(); i += 7) {
        const std::vector<std::string> f = split(lines[i], '\t');
        positions.insert({ f[0], std::stoll(f[1]) });
    }
    positions.insert({ "22", 1 });

    auto sample = SampleGenotypes::fromVcf(kChr22, "HG00099", positions);
    QVERIFY2(sample.has_value(), sample ? "" : sample.error().message().c_str());
    QCOMPARE(sample->sourceName(), std::string("chr22.vcf.gz"));
    std::size_t expectedIndex = 0;
    std::size_t phased = 0;
    std::size_t dosages = 0;
    for (std::size_t record = 0; record < lines.size(); ++record) {
        const std::vector<std::string> f = split(lines[record], '\t');
        QCOMPARE(f.size(), std::size_t { 8 });
        if (!positions.contains({ f[0], std::stoll(f[1]) }))
            continue;
        QVERIFY2(expectedIndex < sample->sites().size(), "fewer sites than bcftools lists");
        const SiteGenotype &site = sample->sites()[expectedIndex++];
        QCOMPARE(site.chromosome, f[0]);
        QCOMPARE(std::to_string(site.position), f[1]);
        QCOMPARE(site.id, f[2]);
        QCOMPARE(site.reference, f[3]);
        std::string alternates;
        for (const std::string &alternate : site.alternates)
            alternates += (alternates.empty() ? "" : ",") + alternate;
        QCOMPARE(alternates, f[4] == "." ? std::string() : f[4]);
        QVERIFY2(site.alleles == tgtAlleles(f[5]),
            qPrintable(QStringLiteral("record %1: bcftools %2, read %3")
                           .arg(record + 1)
                           .arg(QString::fromStdString(f[5]), text(site.alleles))));
        QCOMPARE(site.phased, f[6].find('|') != std::string::npos);
        phased += site.phased ? 1 : 0;
        QCOMPARE(site.line, record + 1);
        if (f[7] == ".") {
            QVERIFY(!site.dosage.has_value());
        } else {
            QVERIFY(site.dosage.has_value());
            QVERIFY(std::fabs(*site.dosage - std::stod(f[7])) < 1e-6);
            ++dosages;
        }
    }
    QCOMPARE(sample->sites().size(), expectedIndex);
    QVERIFY(expectedIndex > 1400);
    QVERIFY(phased > 0);
    QVERIFY(dosages > 0);
    QVERIFY(sample->at({ "22", 1 }).empty());
}

void TstSampleGenotypes::absentSiteRuleBothWays()
{
    if (bcftoolsPath().isEmpty())
        QSKIP("bcftools is not installed: the independent truth is missing");
    // What a whole-genome caller writes for one person: only the sites where they carry an ALT.
    // Subset first: `view -s -i` would filter on every sample's GT before subsetting.
    const QString oneSample = m_dir.filePath(QStringLiteral("HG00096.vcf.gz"));
    const QString variantsOnly = m_dir.filePath(QStringLiteral("HG00096_variants.vcf.gz"));
    bcftools({ QStringLiteral("view"), QStringLiteral("-s"), QStringLiteral("HG00096"), QStringLiteral("-Oz"),
        QStringLiteral("-o"), oneSample, QString::fromStdString(kChr22.string()) });
    bcftools({ QStringLiteral("view"), QStringLiteral("-i"), QStringLiteral("GT=\"alt\""),
        QStringLiteral("-Oz"), QStringLiteral("-o"), variantsOnly, oneSample });
    QVERIFY(fs::exists(variantsOnly.toStdString()));
    const std::vector<std::string> truth = bcftools(
        { QStringLiteral("query"), QStringLiteral("-s"), QStringLiteral("HG00096"), QStringLiteral("-f"),
            QStringLiteral("%CHROM\t%POS\t%REF\t[%TGT]\t[%GT]\n"), QString::fromStdString(kChr22.string()) });
    QCOMPARE(truth.size(), std::size_t { 10376 });
    std::map<GenomicPosition, int> recordsAt;
    for (const std::string &line : truth) {
        const std::vector<std::string> f = split(line, '\t');
        ++recordsAt[{ f[0], std::stoll(f[1]) }];
    }

    auto sample = SampleGenotypes::fromVcf(variantsOnly.toStdString()); // its only sample
    QVERIFY2(sample.has_value(), sample ? "" : sample.error().message().c_str());
    std::size_t absent = 0;
    std::size_t listed = 0;
    for (const std::string &line : truth) {
        const std::vector<std::string> f = split(line, '\t');
        const GenomicPosition position { f[0], std::stoll(f[1]) };
        if (recordsAt[position] > 1)
            continue; // a split site: the other record may be listed
        const std::string &reference = f[2];
        const std::vector<std::string> alleles = tgtAlleles(f[3]);
        const bool carriesAlt = f[4].find('1') != std::string::npos;
        const auto homRef = sample->lookup(position, reference, AbsentSiteRule::HomozygousReference);
        const auto missing = sample->lookup(position, reference, AbsentSiteRule::Missing);
        if (carriesAlt) {
            QVERIFY(homRef.has_value() && missing.has_value());
            QVERIFY(homRef->listed && missing->listed);
            QCOMPARE(homRef->alleles, alleles);
            QCOMPARE(missing->alleles, alleles);
            ++listed;
        } else {
            // Absent from the variants-only file. Homozygous reference reproduces the full file's call;
            // Missing says the file does not know.
            QVERIFY(homRef.has_value());
            QVERIFY(!homRef->listed);
            QCOMPARE(homRef->alleles, alleles);
            QVERIFY(!missing.has_value());
            QVERIFY(
                !sample->lookup(position, std::string(), AbsentSiteRule::HomozygousReference).has_value());
            ++absent;
        }
    }
    QVERIFY(listed > 900);
    // Every record with an ALT copy, and only those, is listed (split sites included).
    const auto carriers = static_cast<std::size_t>(std::count_if(truth.begin(), truth.end(),
        [](const std::string &line) { return split(line, '\t')[4].find('1') != std::string::npos; }));
    QCOMPARE(sample->sites().size(), carriers);
    QVERIFY(absent > 5000);
}

void TstSampleGenotypes::mergesSplitMultiAllelicSites()
{
    if (bcftoolsPath().isEmpty())
        QSKIP("bcftools is not installed: the independent truth is missing");
    const QString splitFile = m_dir.filePath(QStringLiteral("hapmap_split.vcf.gz"));
    bcftools({ QStringLiteral("norm"), QStringLiteral("-m-any"), QStringLiteral("-Oz"), QStringLiteral("-o"),
        splitFile, QString::fromStdString(kHapmap.string()) });
    QVERIFY(fs::exists(splitFile.toStdString()));
    const std::vector<std::string> samples = bcftools(
        { QStringLiteral("query"), QStringLiteral("-l"), QString::fromStdString(kHapmap.string()) });
    QCOMPARE(samples.size(), std::size_t { 22 });
    // The multi-allelic sites as the unsplit file calls them.
    const std::vector<std::string> truth = bcftools(
        { QStringLiteral("query"), QStringLiteral("-i"), QStringLiteral("N_ALT>1"), QStringLiteral("-f"),
            QStringLiteral("%CHROM\t%POS\t%REF\t%ALT[\t%TGT]\n"), QString::fromStdString(kHapmap.string()) });
    QCOMPARE(truth.size(), std::size_t { 40 });
    std::set<GenomicPosition> positions;
    for (const std::string &line : truth) {
        const std::vector<std::string> f = split(line, '\t');
        positions.insert({ f[0], std::stoll(f[1]) });
    }

    std::size_t merged = 0;
    std::size_t nonReference = 0;
    for (std::size_t s = 0; s < samples.size(); ++s) {
        auto sample = SampleGenotypes::fromVcf(splitFile.toStdString(), samples[s], positions);
        QVERIFY2(sample.has_value(), sample ? "" : sample.error().message().c_str());
        for (const std::string &line : truth) {
            const std::vector<std::string> f = split(line, '\t');
            QCOMPARE(f.size(), 4 + samples.size());
            const GenomicPosition position { f[0], std::stoll(f[1]) };
            const std::size_t alternates = split(f[3], ',').size();
            QCOMPARE(sample->at(position).size(), alternates); // one biallelic record per ALT
            const auto lookup = sample->lookup(position, f[2], AbsentSiteRule::Missing);
            QVERIFY(lookup.has_value());
            QVERIFY(lookup->listed);
            const std::vector<std::string> expected = tgtAlleles(f[4 + s]);
            QVERIFY2(sorted(lookup->alleles) == sorted(expected),
                qPrintable(QStringLiteral("sample %1 at %2:%3: bcftools %4 before the split, merged %5")
                               .arg(s)
                               .arg(QString::fromStdString(f[0]), QString::fromStdString(f[1]),
                                   QString::fromStdString(f[4 + s]), text(lookup->alleles))));
            ++merged;
            nonReference += std::any_of(expected.begin(), expected.end(),
                                [&](const std::string &allele) { return !allele.empty() && allele != f[2]; })
                ? 1
                : 0;
        }
    }
    QCOMPARE(merged, std::size_t { 40 * 22 });
    QVERIFY(nonReference > 20);
}

void TstSampleGenotypes::refusesMultiSampleFileWithoutSampleName()
{
    const auto sample = SampleGenotypes::fromVcf(kChr22);
    QVERIFY(!sample.has_value());
    QCOMPARE(sample.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(
        sample.error().message(), std::string("chr22.vcf.gz: the file has 5 samples; name the one to read"));
}

void TstSampleGenotypes::refusesMissingSampleWithoutEchoingIt()
{
    const std::string requested = "NA12878-DoeJane";
    const auto sample = SampleGenotypes::fromVcf(kChr22, requested);
    QVERIFY(!sample.has_value());
    QCOMPARE(sample.error().code, ErrorCode::NotFound);
    QCOMPARE(sample.error().message(), std::string("chr22.vcf.gz: the requested sample is not in the file"));
    QVERIFY(sample.error().message().find("DoeJane") == std::string::npos);
    QVERIFY(sample.error().message().find("NA12878") == std::string::npos);
}

void TstSampleGenotypes::ruleNamesRoundTrip()
{
    for (const AbsentSiteRule rule : { AbsentSiteRule::Missing, AbsentSiteRule::HomozygousReference })
        QCOMPARE(parseAbsentSiteRule(absentSiteRuleName(rule)), std::optional<AbsentSiteRule> { rule });
    QCOMPARE(
        absentSiteRuleName(AbsentSiteRule::HomozygousReference), std::string_view("homozygous-reference"));
    QVERIFY(!parseAbsentSiteRule("hom-ref").has_value());
}

QTEST_APPLESS_MAIN(TstSampleGenotypes)
#include "tst_sample_genotypes.moc"
