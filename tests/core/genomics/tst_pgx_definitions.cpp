// SPDX-License-Identifier: Apache-2.0
// Reading PharmCAT's allele definitions and phenotype tables. The counts asserted for the real files
// were read with Python's json module (len(variants), len(namedAlleles), the reference flag, the
// diplotype rows); the refusals are built inside the test from a small valid definition, one damage
// at a time, so each case is readable.
#include "core/genomics/pgx_definitions.h"

#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <fstream>

using namespace mosaic;

Q_DECLARE_METATYPE(mosaic::ErrorCode)

using mosaic::testing::writeFile;

namespace {

std::filesystem::path definitionsDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "genomics/pharmcat/definitions";
}

// Two positions on chr1; *1 is the reference, *2 is G at 100, *3 is T at 200.
const std::string kToyDefinition = R"({
  "gene": "TOY", "chromosome": "chr1", "genomeBuild": "GRCh38.p14", "version": "toy-1",
  "variants": [
    {"chromosome": "chr1", "position": 100, "rsid": "rs1", "ref": "A", "alts": ["G"],
     "cpicToVcfAlleleMap": {"A": "A", "G": "G"}},
    {"chromosome": "chr1", "position": 200, "rsid": "rs2", "ref": "C", "alts": ["T"]}
  ],
  "namedAlleles": [
    {"name": "*1", "id": "a1", "alleles": ["A", "C"], "reference": true, "structuralVariant": false},
    {"name": "*2", "id": "a2", "alleles": ["G", null], "reference": false, "structuralVariant": false},
    {"name": "*3", "id": "a3", "alleles": [null, "T"], "reference": false, "structuralVariant": false}
  ]
})";

const std::string kToyPhenotypes = R"({
  "gene": "TOY", "version": "toy-1",
  "haplotypes": {"*1": "Normal function", "*2": "No function", "*3": "Decreased function"},
  "activityValues": {},
  "diplotypes": [
    {"generesult": "Normal Metabolizer", "diplotypekey": {"*1": 2}, "activityScore": "2.0"},
    {"generesult": "Intermediate Metabolizer", "diplotypekey": {"*1": 1, "*2": 1}, "activityScore": null},
    {"generesult": "Poor Metabolizer", "diplotypekey": {"*2": 2}, "activityScore": null}
  ]
})";

std::string replaced(std::string text, const std::string &from, const std::string &to)
{
    const auto at = text.find(from);
    if (at == std::string::npos)
        qFatal("test text does not contain '%s'", from.c_str());
    return text.replace(at, from.size(), to);
}

} // namespace

class TstPgxDefinitions : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void readsEveryPharmcatDefinitionAndTable();
    void toyDefinitionReads();
    void refusesDamagedDefinitions_data();
    void refusesDamagedDefinitions();
    void refusesDamagedPhenotypeTables_data();
    void refusesDamagedPhenotypeTables();
    void folderRefusesATableForAnotherGene();
    void sortsStarAllelesNumerically();

private:
    QTemporaryDir m_dir;
};

void TstPgxDefinitions::initTestCase()
{
    QVERIFY(m_dir.isValid());
}

void TstPgxDefinitions::readsEveryPharmcatDefinitionAndTable()
{
    if (!std::filesystem::exists(definitionsDir()))
        QSKIP("../shared/data/genomics/pharmcat is not present");
    auto set = loadPgxDefinitions(definitionsDir());
    QVERIFY2(set.has_value(), set ? "" : set.error().message().c_str());
    QCOMPARE(set->genes.size(), std::size_t { 10 });
    QCOMPARE(set->phenotypeTables.size(), std::size_t { 4 });
    QVERIFY(set->phenotypeTable("CYP2C19") && set->phenotypeTable("SLCO1B1") && set->phenotypeTable("TPMT")
        && set->phenotypeTable("VKORC1"));
    QVERIFY(!set->phenotypeTable("CYP2D6"));

    const PgxGeneDefinition *cyp2c19 = set->gene("CYP2C19");
    QVERIFY(cyp2c19);
    QCOMPARE(cyp2c19->chromosome, std::string("10"));
    QCOMPARE(cyp2c19->build, GenomeBuild::GRCh38);
    QCOMPARE(cyp2c19->variants.size(), std::size_t { 35 });
    QCOMPARE(cyp2c19->namedAlleles.size(), std::size_t { 36 });
    QCOMPARE(cyp2c19->namedAlleles[cyp2c19->referenceAllele].name, std::string("*38"));
    QCOMPARE(cyp2c19->variants.front().position, std::int64_t { 94761900 });
    QCOMPARE(cyp2c19->variants.front().rsid, std::string("rs12248560"));
    // *2 at rs58973490 (94775507) is the IUPAC code R (A or G).
    const PgxNamedAllele *star2 = cyp2c19->namedAllele("*2");
    QVERIFY(star2);
    QCOMPARE(cyp2c19->variants[17].position, std::int64_t { 94775507 });
    QCOMPARE(star2->alleles[17].value_or(""), std::string("R"));
    QVERIFY(!star2->alleles[0].has_value());

    const PgxGeneDefinition *cyp2c9 = set->gene("CYP2C9");
    QVERIFY(cyp2c9);
    QCOMPARE(cyp2c9->variants.size(), std::size_t { 83 });
    QCOMPARE(cyp2c9->namedAlleles.size(), std::size_t { 88 });
    // An indel as the VCF spells it: *25 deletes AGAAATGGAA after the anchor C at 94942205.
    const auto indel = std::find_if(cyp2c9->variants.begin(), cyp2c9->variants.end(),
        [](const PgxVariant &v) { return v.position == 94942205; });
    QVERIFY(indel != cyp2c9->variants.end());
    QCOMPARE(indel->reference, std::string("CAATGGAAAGA"));
    QCOMPARE(indel->alternates, std::vector<std::string> { "C" });
    QCOMPARE(indel->cpicToVcf.at("delAGAAATGGAA"), std::string("C"));

    QCOMPARE(set->gene("CYP2D6")->variants.size(), std::size_t { 156 });
    QCOMPARE(set->gene("CYP2D6")->namedAlleles.size(), std::size_t { 171 });
    QCOMPARE(set->gene("VKORC1")->namedAlleles.size(), std::size_t { 2 });

    const PgxPhenotypeTable *table = set->phenotypeTable("CYP2C19");
    QCOMPARE(table->diplotypes.size(), std::size_t { 666 });
    QCOMPARE(table->alleleFunction.at("*2"), std::string("No function"));
    const PgxDiplotypePhenotype *row = table->lookup("*2", "*1"); // either order
    QVERIFY(row);
    QCOMPARE(row->geneResult, std::string("Intermediate Metabolizer"));
    QVERIFY(!row->activityScore.has_value());
    QCOMPARE(table->lookup("*17", "*17")->geneResult, std::string("Ultrarapid Metabolizer"));
    QVERIFY(!table->lookup("*1", "*999"));
    QCOMPARE(
        set->phenotypeTable("VKORC1")->lookup("rs9923231 variant (T)", "rs9923231 reference (C)")->geneResult,
        std::string("-1639 AG"));
}

void TstPgxDefinitions::toyDefinitionReads()
{
    const auto path = std::filesystem::path(m_dir.path().toStdString()) / "TOY_translation.json";
    writeFile(path, kToyDefinition);
    auto definition = readPgxGeneDefinition(path);
    QVERIFY2(definition.has_value(), definition ? "" : definition.error().message().c_str());
    QCOMPARE(definition->gene, std::string("TOY"));
    QCOMPARE(definition->chromosome, std::string("1"));
    QCOMPARE(definition->version, std::string("toy-1"));
    QCOMPARE(definition->namedAlleles.size(), std::size_t { 3 });
    QCOMPARE(definition->referenceAllele, std::size_t { 0 });
    QVERIFY(!definition->namedAlleles[2].alleles[0].has_value());

    const auto tablePath = std::filesystem::path(m_dir.path().toStdString()) / "phenotype_TOY.json";
    writeFile(tablePath, kToyPhenotypes);
    auto table = readPgxPhenotypeTable(tablePath);
    QVERIFY2(table.has_value(), table ? "" : table.error().message().c_str());
    QCOMPARE(table->diplotypes.size(), std::size_t { 3 });
    QCOMPARE(table->lookup("*1", "*1")->activityScore.value_or(-1.0), 2.0);

    // Three named alleles over two variants are six cells.
    PgxLimits limits;
    limits.maxAlleleCells = 5;
    auto tooMany = readPgxGeneDefinition(path, limits);
    QVERIFY(!tooMany.has_value());
    QCOMPARE(tooMany.error().code, ErrorCode::LimitExceeded);
    QCOMPARE(tooMany.error().message(),
        std::string("TOY_translation.json: 3 named alleles over 2 variants; the limit is 5 cells"));
    limits.maxAlleleCells = 6;
    QVERIFY(readPgxGeneDefinition(path, limits).has_value());
}

void TstPgxDefinitions::refusesDamagedDefinitions_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<int>("maxFileBytes");
    QTest::addColumn<int>("maxVariants");
    QTest::addColumn<mosaic::ErrorCode>("code");
    QTest::addColumn<QString>("message");

    const auto row = [](const char *name, const std::string &text, ErrorCode code, const char *message,
                         int maxFileBytes = 1 << 24, int maxVariants = 2000) {
        QTest::newRow(name) << QString::fromStdString(text) << maxFileBytes << maxVariants << code
                            << QString::fromUtf8(message);
    };
    row("a named allele lists fewer alleles than there are variants",
        replaced(kToyDefinition, R"("alleles": ["G", null])", R"("alleles": ["G"])"), ErrorCode::Malformed,
        "bad_translation.json, named allele '*2': it lists 1 alleles for 2 variants");
    row("two reference alleles",
        replaced(kToyDefinition, R"(["G", null], "reference": false)", R"(["G", "C"], "reference": true)"),
        ErrorCode::Malformed, "named allele '*2': a second reference allele; '*1' is already the reference");
    row("no reference allele",
        replaced(kToyDefinition, R"(["A", "C"], "reference": true)", R"(["A", "C"], "reference": false)"),
        ErrorCode::Malformed, "bad_translation.json: no named allele is marked as the reference");
    row("the reference allele leaves a position undefined",
        replaced(kToyDefinition, R"(["A", "C"], "reference": true)", R"(["A", null], "reference": true)"),
        ErrorCode::Malformed, "named allele '*1': the reference allele must define every position");
    row("a repeated position", replaced(kToyDefinition, R"("position": 200)", R"("position": 100)"),
        ErrorCode::Malformed,
        "bad_translation.json, variant 2 (1:100): positions are not strictly ascending: 100 follows 100");
    row("an allele that is neither REF nor ALT", replaced(kToyDefinition, R"(["G", null])", R"(["X", null])"),
        ErrorCode::Malformed,
        "named allele '*2', variant 1 (1:100): allele 'X' is neither REF, an ALT nor an IUPAC code");
    row("an IUPAC code at an indel position is refused",
        replaced(replaced(replaced(kToyDefinition, R"("ref": "A", "alts": ["G"])",
                              R"("ref": "AT", "alts": ["A"])"),
                     R"({"A": "A", "G": "G"})", "{}"),
            R"(["A", "C"], "reference": true)", R"(["AT", "C"], "reference": true)"),
        ErrorCode::Malformed, "allele 'G' is neither REF, an ALT nor an IUPAC code of this variant");
    row("a variant on another chromosome",
        replaced(kToyDefinition, R"("chromosome": "chr1", "position": 200)",
            R"("chromosome": "chr2", "position": 200)"),
        ErrorCode::Malformed, "variant 2 (2:200): the variant is on chromosome 2 but the gene is on 1");
    row("a position given as text", replaced(kToyDefinition, R"("position": 200)", R"("position": "200")"),
        ErrorCode::Malformed, "bad_translation.json, variant 2: no integer position");
    row("a negative position", replaced(kToyDefinition, R"("position": 200)", R"("position": -5)"),
        ErrorCode::Malformed, "position -5 is out of range");
    row("cpicToVcfAlleleMap names a spelling the variant does not have",
        replaced(kToyDefinition, R"({"A": "A", "G": "G"})", R"({"A": "A", "G": "T"})"), ErrorCode::Malformed,
        "cpicToVcfAlleleMap maps 'G' to 'T', which is neither REF nor an ALT");
    row("a name used twice", replaced(kToyDefinition, R"("name": "*3")", R"("name": "*2")"),
        ErrorCode::Malformed, "named allele '*2': the name is used twice");
    row("an allele that defines nothing", replaced(kToyDefinition, R"([null, "T"])", R"([null, null])"),
        ErrorCode::Malformed, "named allele '*3': the allele defines no position");
    row("GRCh37 positions", replaced(kToyDefinition, "GRCh38.p14", "GRCh37.p13"), ErrorCode::Unsupported,
        "bad_translation.json: the definitions are not on GRCh38");
    row("truncated JSON", kToyDefinition.substr(0, kToyDefinition.size() / 2), ErrorCode::Malformed,
        "bad_translation.json: not valid JSON");
    row("a top-level array", "[1, 2, 3]", ErrorCode::Malformed, "the top level is not a JSON object");
    row("nesting far deeper than the format", std::string(500, '[') + std::string(500, ']'),
        ErrorCode::LimitExceeded, "JSON nested deeper than 32 levels");
    row("a file larger than the limit", kToyDefinition, ErrorCode::LimitExceeded, "bytes; the limit is 100",
        100);
    row("more variants than the limit", kToyDefinition, ErrorCode::LimitExceeded,
        "2 variants; the limit is 1", 1 << 24, 1);
    row("no variants", replaced(kToyDefinition, R"("variants": [)", R"("variants": [], "x": [)"),
        ErrorCode::Malformed, "no list of variants");
}

void TstPgxDefinitions::refusesDamagedDefinitions()
{
    QFETCH(QString, text);
    QFETCH(int, maxFileBytes);
    QFETCH(int, maxVariants);
    QFETCH(mosaic::ErrorCode, code);
    QFETCH(QString, message);
    const auto path = std::filesystem::path(m_dir.path().toStdString()) / "bad_translation.json";
    writeFile(path, text.toStdString());
    PgxLimits limits;
    limits.maxFileBytes = static_cast<std::uintmax_t>(maxFileBytes);
    limits.maxVariantsPerGene = static_cast<std::size_t>(maxVariants);
    auto definition = readPgxGeneDefinition(path, limits);
    QVERIFY(!definition.has_value());
    QCOMPARE(definition.error().code, code);
    const std::string got = definition.error().message();
    QVERIFY2(got.find(message.toStdString()) != std::string::npos, got.c_str());
    QVERIFY2(got.find(m_dir.path().toStdString()) == std::string::npos, "the message names the file only");
}

void TstPgxDefinitions::refusesDamagedPhenotypeTables_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("message");
    QTest::newRow("an allele counted three times")
        << QString::fromStdString(replaced(kToyPhenotypes, R"({"*2": 2})", R"({"*2": 3})"))
        << "phenotype_BAD.json, diplotype row 3: allele '*2' has a count other than 1 or 2";
    QTest::newRow("a diplotype of one copy")
        << QString::fromStdString(replaced(kToyPhenotypes, R"({"*2": 2})", R"({"*2": 1})"))
        << "diplotype row 3: the diplotype has 1 allele copies, not 2";
    QTest::newRow("a diplotype listed twice")
        << QString::fromStdString(replaced(kToyPhenotypes, R"({"*2": 2})", R"({"*2": 1, "*1": 1})"))
        << "diplotype row 3: diplotype *1/*2 is listed twice";
    QTest::newRow("a row without a gene result")
        << QString::fromStdString(replaced(kToyPhenotypes, R"("generesult": "Poor Metabolizer", )", ""))
        << "diplotype row 3: no gene result";
    QTest::newRow("an activity score that is an object")
        << QString::fromStdString(
               replaced(kToyPhenotypes, R"("activityScore": "2.0")", R"("activityScore": {})"))
        << "diplotype row 1: the activity score is not a number";
    QTest::newRow("no diplotype list")
        << QString::fromStdString(replaced(kToyPhenotypes, R"("diplotypes")", R"("rows")"))
        << "phenotype_BAD.json: no list of diplotypes";
}

void TstPgxDefinitions::refusesDamagedPhenotypeTables()
{
    QFETCH(QString, text);
    QFETCH(QString, message);
    const auto path = std::filesystem::path(m_dir.path().toStdString()) / "phenotype_BAD.json";
    writeFile(path, text.toStdString());
    auto table = readPgxPhenotypeTable(path);
    QVERIFY(!table.has_value());
    QCOMPARE(table.error().code, ErrorCode::Malformed);
    const std::string got = table.error().message();
    QVERIFY2(got.find(message.toStdString()) != std::string::npos, got.c_str());
}

void TstPgxDefinitions::folderRefusesATableForAnotherGene()
{
    const auto folder = std::filesystem::path(m_dir.path().toStdString()) / "folder";
    std::filesystem::create_directories(folder);
    writeFile(folder / "TOY_translation.json", kToyDefinition);
    writeFile(folder / "phenotype_TOY.json", kToyPhenotypes);
    auto set = loadPgxDefinitions(folder);
    QVERIFY2(set.has_value(), set ? "" : set.error().message().c_str());
    QVERIFY(set->phenotypeTable("TOY"));

    writeFile(
        folder / "phenotype_OTHER.json", replaced(kToyPhenotypes, R"("gene": "TOY")", R"("gene": "OTHER")"));
    auto orphan = loadPgxDefinitions(folder);
    QVERIFY(!orphan.has_value());
    QCOMPARE(orphan.error().message(),
        std::string("phenotype_OTHER.json: there is no allele definition for gene OTHER"));
    std::filesystem::remove(folder / "phenotype_OTHER.json");

    writeFile(
        folder / "phenotype_TOY.json", replaced(kToyPhenotypes, R"("gene": "TOY")", R"("gene": "TOX")"));
    auto misnamed = loadPgxDefinitions(folder);
    QVERIFY(!misnamed.has_value());
    QCOMPARE(misnamed.error().message(),
        std::string("phenotype_TOY.json: the table is for gene 'TOX', not the 'TOY' its name says"));

    const auto empty = std::filesystem::path(m_dir.path().toStdString()) / "empty";
    std::filesystem::create_directories(empty);
    auto none = loadPgxDefinitions(empty);
    QVERIFY(!none.has_value());
    QCOMPARE(none.error().code, ErrorCode::NotFound);
}

void TstPgxDefinitions::sortsStarAllelesNumerically()
{
    QVERIFY(pgxAlleleNameLess("*2", "*17"));
    QVERIFY(pgxAlleleNameLess("*17", "*17B"));
    QVERIFY(pgxAlleleNameLess("*4", "*38"));
    QVERIFY(!pgxAlleleNameLess("*38", "*4"));
    QVERIFY(!pgxAlleleNameLess("*1", "*1"));
    QVERIFY(pgxAlleleNameLess("rs9923231 reference (C)", "rs9923231 variant (T)"));
    QCOMPARE(iupacBases('R'), std::string_view("AG"));
    QCOMPARE(iupacBases('N'), std::string_view("ACGT"));
    QVERIFY(iupacBases('X').empty());
}

QTEST_APPLESS_MAIN(TstPgxDefinitions)
#include "tst_pgx_definitions.moc"
