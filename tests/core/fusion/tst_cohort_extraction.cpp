// SPDX-License-Identifier: Apache-2.0
// Cohort extraction over real data: three soft-tissue-sarcoma patients' FDG-PET with their GTV
// contour (TCIA, IBSI validation set), PharmCAT's CYP2C19 test VCFs, and Synthea FHIR bundles, joined
// in one manifest (a synthetic linkage: no real patient has all three). Each extracted value must equal
// what the single-modality core functions give for that case (the code behind mosaic-cli radiomics,
// genomic-features and record-features), and one value per modality is checked against an
// independent peer: the IBSI digital phantom's consensus values, the genotype as bcftools reads it
// with CPIC's phenotype for the file's named diplotype, and the body weight as Python's json module
// reads the bundle. Missing cells and a broken file leave NaN, coverage and an error for that case
// only; strict extraction fails; 1 and 4 threads give the same result; a stop request cancels.
#include "core/fusion/cohort_extraction.h"
#include "core/imaging/roi_image_loader.h"
#include "core/radiomics/radiomics_pipeline.h"
#include "core/records/fhir_reader.h"

#include <QProcess>
#include <QTest>

#include <atomic>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <mutex>
#include <stop_token>
#include <string>

using namespace mosaic;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

const std::filesystem::path kSource = MOSAIC_SOURCE_DIR;
const std::filesystem::path kData = MOSAIC_SHARED_DATA_DIR;
const std::filesystem::path kSts = kData / "imaging" / "sts";
const std::filesystem::path kCyp2c19 = kData / "genomics" / "pharmcat" / "test-vcfs" / "cyp2c19";
const std::filesystem::path kSynthea = kData / "records" / "synthea";
const std::string kBundle1 = "Abdul_Koepp_e925b0f3-8006-43f6-aa31-94bd215e55e7.json";
const std::string kBundle2 = "Adalberto_Hartmann_44ec4447-9e2c-4eb9-bd4f-0bdb416b806e.json";
const std::string kBundle3 = "Adolfo_Marquardt_50635536-8051-4085-bfd4-511a05062ac2.json";
const std::string kBundle5 = "Adolph_Smith_0c6b1f3d-edb2-422b-a0af-a262fb90ed07.json";

const std::vector<std::string> kTags { "morph_volume", "stat_mean", "stat_max", "cm_joint_max_3D_avg" };

const std::string kGenomicsSection = R"({"build": "GRCh38",
    "variants": [{"name": "rs4244285_A", "chromosome": "chr10", "position": 94781859, "allele": "A", "reference": "G"}],
    "pgx": [{"name": "CYP2C19_phenotype", "gene": "CYP2C19"}]})";
const std::string kRecordsSection = R"({"features": [
    {"name": "body_weight", "derivation": "latest", "codes": ["LOINC|29463-7"], "unit": "kg"},
    {"name": "age", "derivation": "age"}]})";

std::string specText()
{
    return R"({"format": "mosaic-model-spec", "version": 1, "name": "fusion test",
        "task": {"type": "binary", "label": "outcome", "outcome": "lung metastasis"},
        "imaging": {"roi": "GTV_Mass_PET", "settings_file": ")"
        + (kSource / "resources" / "radiomics" / "sts_pet.json").string() + R"(",
                    "features": ["morph_volume", "stat_mean", "stat_max", "cm_joint_max_3D_avg"]},
        "genomics": )"
        + kGenomicsSection + R"(, "records": )" + kRecordsSection + R"(,
        "table": {"features": [{"name": "apoe_e4", "modality": "genomics"}]},
        "subgroups": ["sex"]})";
}

bool sameFloat(float a, float b)
{
    return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

// Runs /usr/bin/python3 with `script` and returns its stdout trimmed; fails the test on error.
QString python(const QString &script, const QStringList &arguments)
{
    QProcess process;
    process.start("/usr/bin/python3", QStringList { "-c", script } + arguments);
    if (!process.waitForFinished(60'000) || process.exitCode() != 0)
        qWarning("python peer failed: %s", process.readAllStandardError().constData());
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

// The latest body weight (LOINC 29463-7) at or before `index` ("" = any), by Python's json module.
double pythonLatestWeight(const std::filesystem::path &bundle, const QString &index)
{
    const QString script = R"(
import json, sys
from datetime import datetime, timezone
bundle = json.load(open(sys.argv[1]))
index = sys.argv[2]
limit = datetime.fromisoformat(index).replace(tzinfo=timezone.utc) if index else None
best = None
for entry in bundle['entry']:
    r = entry['resource']
    if r['resourceType'] != 'Observation' or not any(c.get('code') == '29463-7' for c in r['code']['coding']):
        continue
    t = datetime.fromisoformat(r['effectiveDateTime'])
    if limit is not None and t > limit:
        continue
    if best is None or t > best[0]:
        best = (t, r['valueQuantity']['value'])
print(repr(best[1]))
)";
    return python(script, { QString::fromStdString(bundle.string()), index }).toDouble();
}

// Completed years from the bundle's Patient.birthDate to `index`, by Python.
int pythonAge(const std::filesystem::path &bundle, const QString &index)
{
    const QString script = R"(
import json, sys
from datetime import date
bundle = json.load(open(sys.argv[1]))
birth = next(e['resource']['birthDate'] for e in bundle['entry'] if e['resource']['resourceType'] == 'Patient')
b = date.fromisoformat(birth); i = date.fromisoformat(sys.argv[2])
print(i.year - b.year - ((i.month, i.day) < (b.month, b.day)))
)";
    return python(script, { QString::fromStdString(bundle.string()), index }).toInt();
}

// The copies of A at chr10:94781859 as bcftools reads the genotype.
int bcftoolsDosage(const std::filesystem::path &vcf)
{
    QProcess process;
    process.start("bcftools",
        { "query", "-i", "POS=94781859", "-f", "[%GT]\\n", QString::fromStdString(vcf.string()) });
    if (!process.waitForFinished(30'000) || process.exitCode() != 0)
        return -1;
    const QString genotype = QString::fromUtf8(process.readAllStandardOutput()).trimmed(); // e.g. "0/1"
    return static_cast<int>(genotype.count('1'));
}

} // namespace

class TestCohortExtraction : public QObject
{
    Q_OBJECT

    std::filesystem::path m_folder;
    std::shared_ptr<const records::UcumUnits> m_units;
    std::optional<PgxDefinitionSet> m_pgx;
    std::optional<ModelSpec> m_spec;
    std::optional<CohortManifest> m_manifest;
    std::optional<CohortFeatures> m_single; // one worker

    void writeFile(const std::filesystem::path &path, const std::string &text)
    {
        std::ofstream out(path, std::ios::binary);
        out << text;
    }

    Result<CohortFeatures> extract(unsigned workers, bool strict = false)
    {
        CohortExtractionOptions options;
        options.workers = workers;
        options.strict = strict;
        options.pgxDefinitions = &*m_pgx;
        return extractCohortFeatures(*m_spec, *m_manifest, options);
    }

private slots:
    void initTestCase()
    {
        if (!std::filesystem::exists(kSts / "STS_003") || !std::filesystem::exists(kSynthea / kBundle5))
            QSKIP("../shared/data (sarcoma PET, PharmCAT VCFs, Synthea) is absent");
        auto units = records::UcumUnits::load(kSource / "resources" / "ucum" / "ucum-essence.xml");
        QVERIFY(units.has_value());
        m_units = std::make_shared<const records::UcumUnits>(std::move(*units));
        auto pgx = loadPgxDefinitions(kSource / "resources" / "pgx");
        QVERIFY2(pgx.has_value(), pgx ? "" : pgx.error().message().c_str());
        m_pgx = std::move(*pgx);

        m_folder = std::filesystem::temp_directory_path()
            / ("tst_cohort_extraction_" + std::to_string(::getpid()));
        std::filesystem::create_directories(m_folder / "genotypes");
        writeFile(m_folder / "genotypes" / "broken.vcf", "##fileformat=VCFv4.2\nthis is not a VCF header\n");
        const auto pet = [](const char *patient) {
            return (kSts / patient / "PET" / "image").string() + ","
                + (kSts / patient / "PET" / "mask" / "RS.dcm").string();
        };
        // C4: no image, no records, no apoe; C5: a broken genotype file (relative path) and no image.
        const std::string manifest
            = "patient,group,outcome,image,mask,roi,genotypes,sample,records,index_date,apoe_e4,sex\n"
              "C1,,0,"
            + pet("STS_001") + ",," + (kCyp2c19 / "s1s1.vcf").string() + ",," + (kSynthea / kBundle1).string()
            + ",,1,M\n"
              "C2,,1,"
            + pet("STS_002") + ",," + (kCyp2c19 / "s1s2.vcf").string() + ",," + (kSynthea / kBundle2).string()
            + ",2020-01-01,0,M\n"
              "C3,,1,"
            + pet("STS_003") + ",," + (kCyp2c19 / "s2s2.vcf").string() + ",," + (kSynthea / kBundle3).string()
            + ",2019-06-30,2,F\n"
              "C4,,0,,,,"
            + (kCyp2c19 / "s1s2.vcf").string()
            + ",,,,NA,F\n"
              "C5,,0,,,,genotypes/broken.vcf,,"
            + (kSynthea / kBundle5).string() + ",,1,F\n";
        writeFile(m_folder / "cohort.csv", manifest);

        auto spec = ModelSpec::fromJson(specText(), "spec.json", kSource, m_units);
        QVERIFY2(spec.has_value(), spec ? "" : spec.error().message().c_str());
        m_spec = std::move(*spec);
        auto read = readCohortManifest(m_folder / "cohort.csv", *m_spec);
        QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
        m_manifest = std::move(*read);

        std::vector<std::pair<std::size_t, std::size_t>> calls;
        std::mutex callsMutex;
        CohortExtractionOptions options;
        options.workers = 1;
        options.pgxDefinitions = &*m_pgx;
        options.progress = [&](std::size_t done, std::size_t total) {
            std::scoped_lock lock(callsMutex);
            calls.emplace_back(done, total);
        };
        auto features = extractCohortFeatures(*m_spec, *m_manifest, options);
        QVERIFY2(features.has_value(), features ? "" : features.error().message().c_str());
        m_single = std::move(*features);
        QCOMPARE(calls.size(), std::size_t { 5 });
        for (std::size_t i = 0; i < calls.size(); ++i)
            QCOMPARE(calls[i], (std::pair<std::size_t, std::size_t> { i + 1, 5 }));
    }

    void cleanupTestCase()
    {
        if (!m_folder.empty())
            std::filesystem::remove_all(m_folder);
    }

    void layout()
    {
        const CohortFeatures &cohort = *m_single;
        QCOMPARE(cohort.rows(), std::size_t { 5 });
        QCOMPARE(cohort.ids, (std::vector<std::string> { "C1", "C2", "C3", "C4", "C5" }));
        QCOMPARE(cohort.groups, cohort.ids); // no group cell: each case is its own group
        QCOMPARE(cohort.lineNumbers, (std::vector<std::size_t> { 2, 3, 4, 5, 6 }));
        const std::vector<std::string> names { "img_morph_volume", "img_stat_mean", "img_stat_max",
            "img_cm_joint_max_3D_avg", "rs4244285_A", "CYP2C19_phenotype", "body_weight", "age", "apoe_e4" };
        QCOMPARE(cohort.schema->names(), names);
        QCOMPARE(cohort.features.rows(), Eigen::Index { 5 });
        QCOMPARE(cohort.features.cols(), Eigen::Index { 9 });
        const std::vector<float> labels { 0, 1, 1, 0, 0 };
        for (std::size_t r = 0; r < 5; ++r)
            QCOMPARE(cohort.labels[static_cast<Eigen::Index>(r)], labels[r]);
        QCOMPARE(*cohort.attribute("sex"), (std::vector<std::string> { "M", "M", "F", "F", "F" }));
        // Table column: apoe_e4 from the manifest, NA read as missing.
        QCOMPARE(cohort.features(0, 8), 1.0f);
        QCOMPARE(cohort.features(2, 8), 2.0f);
        QVERIFY(std::isnan(cohort.features(3, 8)));
        QCOMPARE(cohort.provenanceAt(2, 8), (Provenance { "cohort.csv", "line 4, column 'apoe_e4'" }));
        const CohortTable table = cohort.toCohortTable();
        QCOMPARE(table.featureColumns, names);
        QVERIFY(table.labels.has_value());
    }

    void imagingEqualsTheRadiomicsPipeline()
    {
        // The same calls mosaic-cli radiomics makes, on each patient's PET and GTV contour.
        std::ifstream settingsFile(kSource / "resources" / "radiomics" / "sts_pet.json");
        const std::string settingsText(
            (std::istreambuf_iterator<char>(settingsFile)), std::istreambuf_iterator<char>());
        auto settings = RadiomicsSettings::fromJson(settingsText, "sts_pet.json");
        QVERIFY(settings.has_value());
        const char *patients[] { "STS_001", "STS_002", "STS_003" };
        for (std::size_t r = 0; r < 3; ++r) {
            auto roi = loadRoiImage(kSts / patients[r] / "PET" / "image",
                kSts / patients[r] / "PET" / "mask" / "RS.dcm", "GTV_Mass_PET");
            QVERIFY(roi.has_value());
            auto features = computeRadiomics(roi->image, roi->mask, *settings);
            QVERIFY(features.has_value());
            for (std::size_t t = 0; t < kTags.size(); ++t) {
                const auto expected = findFeature(*features, kTags[t]);
                QVERIFY(expected.has_value());
                QCOMPARE(m_single->features(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(t)),
                    static_cast<float>(*expected));
            }
            const Provenance &provenance = m_single->provenanceAt(r, 1);
            QCOMPARE(provenance.source, std::string("image"));
            QVERIFY2(provenance.location.starts_with("ROI 'GTV_Mass_PET', series " + roi->seriesInstanceUid),
                provenance.location.c_str());
        }
        // A tumour has a positive volume and its SUV maximum is at least its mean.
        QVERIFY(m_single->features(0, 0) > 0.0f);
        QVERIFY(m_single->features(0, 2) >= m_single->features(0, 1));
    }

    void imagingAgainstTheIbsiPhantom()
    {
        // Independent truth for imaging: the IBSI 1 digital phantom's consensus values (volume 556 mm3,
        // tolerance 4; intensity mean 2.15, tolerance 0), with the phantom's settings (no
        // discretisation, every aggregation). As in tst_ibsi_phantom: |ours - reference| <= tolerance
        // + half a unit in the reference's last printed digit (0.5 for 556, 0.005 for 2.15).
        const std::filesystem::path phantom = kData / "imaging" / "ibsi-digital-phantom" / "nifti";
        if (!std::filesystem::exists(phantom))
            QSKIP("the IBSI digital phantom is absent");
        const std::string spec = R"({"format": "mosaic-model-spec", "version": 1,
            "task": {"type": "binary", "label": "y"},
            "imaging": {"settings": {"discretisation": {"method": "none"}, "ivhDiscretisation": {"method": "none"}},
                        "features": ["morph_volume", "stat_mean"], "prefix": ""}})";
        auto parsed = ModelSpec::fromJson(spec, "phantom.json", {});
        QVERIFY2(parsed.has_value(), parsed ? "" : parsed.error().message().c_str());
        const std::string csv = "patient,y,image,mask\nphantom,1,"
            + (phantom / "image" / "phantom.nii.gz").string() + ","
            + (phantom / "mask" / "mask.nii.gz").string() + "\n";
        auto manifest = parseCohortManifest(csv, "cohort.csv", m_folder, *parsed);
        QVERIFY(manifest.has_value());
        auto features = extractCohortFeatures(*parsed, *manifest);
        QVERIFY2(features.has_value(), features ? "" : features.error().message().c_str());
        QVERIFY2(features->reports[0].modalities[0].error.empty(),
            features->reports[0].modalities[0].error.c_str());
        QVERIFY(std::abs(features->features(0, 0) - 556.0f) <= 4.5f);
        QVERIFY(std::abs(features->features(0, 1) - 2.15f) <= 0.005f);
    }

    void genomicsEqualsTheGenomicFeatures()
    {
        auto section = GenomicFeatureSpec::fromJson(kGenomicsSection, "genomics.json");
        QVERIFY(section.has_value());
        const std::filesystem::path vcfs[] { kCyp2c19 / "s1s1.vcf", kCyp2c19 / "s1s2.vcf",
            kCyp2c19 / "s2s2.vcf", kCyp2c19 / "s1s2.vcf" };
        // CPIC: *1/*1 normal (2), *1/*2 intermediate (1), *2/*2 poor (0) on pgx_phenotype_feature.h's scale.
        const float phenotypes[] { 2.0f, 1.0f, 0.0f, 1.0f };
        for (std::size_t r = 0; r < 4; ++r) {
            GenomicFeatureInputs inputs;
            inputs.genotypes = vcfs[r];
            inputs.pgxDefinitions = &*m_pgx;
            auto values = extractGenomicFeatures(*section, inputs);
            QVERIFY(values.has_value());
            const auto row = static_cast<Eigen::Index>(r);
            QCOMPARE(m_single->features(row, 4), static_cast<float>((*values)[0].value));
            QCOMPARE(m_single->features(row, 5), static_cast<float>((*values)[1].value));
            QCOMPARE(m_single->provenanceAt(r, 4), (*values)[0].provenance);
            // Independent: the genotype as bcftools reads it, the phenotype CPIC gives the diplotype.
            QCOMPARE(m_single->features(row, 4), static_cast<float>(bcftoolsDosage(vcfs[r])));
            QCOMPARE(m_single->features(row, 5), phenotypes[r]);
        }
        QCOMPARE(m_single->features(1, 4), 1.0f); // s1s2: heterozygous for *2's A
    }

    void recordsEqualTheRecordFeatures()
    {
        auto section = records::RecordFeatureSpec::fromJson(kRecordsSection, "records.json", *m_units);
        QVERIFY(section.has_value());
        const std::string bundles[] { kBundle1, kBundle2, kBundle3, "", kBundle5 };
        const QString indexes[] { "", "2020-01-01", "2019-06-30", "", "" };
        for (const std::size_t r : { 0u, 1u, 2u, 4u }) {
            auto collection = records::readFhirFile(kSynthea / bundles[r]);
            QVERIFY(collection.has_value());
            QCOMPARE(collection->patients.size(), std::size_t { 1 });
            const auto row = static_cast<Eigen::Index>(r);
            if (!indexes[r].isEmpty()) {
                const auto index = records::parseClinicalTime(indexes[r].toStdString());
                const auto derived
                    = records::deriveRecordFeatures(collection->patients[0], *section, *index, *m_units);
                QCOMPARE(m_single->features(row, 6), static_cast<float>(derived.values.value(0)));
                QCOMPARE(m_single->features(row, 7), static_cast<float>(derived.values.value(1)));
                QCOMPARE(m_single->provenanceAt(r, 6), derived.values.provenance(0));
                QCOMPARE(m_single->features(row, 7),
                    static_cast<float>(pythonAge(kSynthea / bundles[r], indexes[r])));
            }
            // Independent: the latest weight at the index (the record's last event when none is given).
            const double weight = pythonLatestWeight(kSynthea / bundles[r], indexes[r]);
            QVERIFY(weight > 0.0);
            QCOMPARE(m_single->features(row, 6), static_cast<float>(weight));
        }
    }

    void missingAndBrokenInputsStayWithTheirCase()
    {
        const CohortFeatures &cohort = *m_single;
        // Modalities in Modality order: imaging, genomics, records.
        for (std::size_t r = 0; r < 3; ++r) {
            for (const ModalityCoverage &coverage : cohort.reports[r].modalities) {
                QVERIFY2(coverage.error.empty(), coverage.error.c_str());
                QVERIFY(coverage.inputGiven);
                QCOMPARE(coverage.present, coverage.inModel);
            }
        }
        // C4: no image and no records: their features are NaN, nothing is an error.
        const CaseReport &c4 = cohort.reports[3];
        QVERIFY(c4.modalities[0].modality == Modality::Imaging);
        QVERIFY(!c4.modalities[0].inputGiven);
        QCOMPARE(c4.modalities[0].present, std::size_t { 0 });
        QCOMPARE(c4.modalities[0].inModel, std::size_t { 4 });
        QVERIFY(c4.modalities[0].error.empty());
        QCOMPARE(c4.modalities[1].present, std::size_t { 2 }); // variant and phenotype; apoe_e4 is NA
        QCOMPARE(c4.modalities[1].inModel, std::size_t { 3 });
        QVERIFY(!c4.modalities[2].inputGiven);
        QCOMPARE(c4.modalities[2].present, std::size_t { 0 });
        for (Eigen::Index f : { 0, 1, 2, 3, 6, 7, 8 })
            QVERIFY(std::isnan(cohort.features(3, f)));
        // C5: the broken VCF makes genomics absent for C5 alone, with the manifest place and the file.
        const ModalityCoverage &genomics = cohort.reports[4].modalities[1];
        QVERIFY(genomics.inputGiven);
        QCOMPARE(genomics.present, std::size_t { 1 }); // apoe_e4 from the manifest
        QVERIFY2(genomics.error.starts_with("cohort.csv, line 6, column 'genotypes': broken.vcf"),
            genomics.error.c_str());
        QVERIFY(genomics.error.find("C5") == std::string::npos);
        QVERIFY(std::isnan(cohort.features(4, 4)) && std::isnan(cohort.features(4, 5)));
        QCOMPARE(cohort.reports[4].modalities[2].present, std::size_t { 2 });
    }

    void strictFailsTheCohort()
    {
        auto strict = extract(2, true);
        QVERIFY(!strict.has_value());
        QVERIFY2(strict.error().location == "cohort.csv, line 6, column 'genotypes'",
            strict.error().message().c_str());
        QVERIFY(strict.error().message().find("broken.vcf") != std::string::npos);
    }

    void sameResultWithFourThreads()
    {
        auto parallel = extract(4);
        QVERIFY(parallel.has_value());
        QCOMPARE(parallel->ids, m_single->ids);
        for (Eigen::Index r = 0; r < parallel->features.rows(); ++r)
            for (Eigen::Index f = 0; f < parallel->features.cols(); ++f)
                QVERIFY(sameFloat(parallel->features(r, f), m_single->features(r, f)));
        QVERIFY(parallel->provenance == m_single->provenance);
        for (std::size_t r = 0; r < parallel->rows(); ++r)
            for (std::size_t m = 0; m < parallel->reports[r].modalities.size(); ++m) {
                const ModalityCoverage &a = parallel->reports[r].modalities[m];
                const ModalityCoverage &b = m_single->reports[r].modalities[m];
                QCOMPARE(a.present, b.present);
                QCOMPARE(a.inputGiven, b.inputGiven);
                QCOMPARE(a.error, b.error);
                QCOMPARE(a.warnings, b.warnings);
            }
    }

    void genotypesAndExpressionAreSeparateInputs()
    {
        // One genomics section with a variant and an expression probe (Golub 1999, no normalisation):
        // a case with only the VCF gets the variant, one with only the matrix gets the probe, one with
        // both gets both. The probe value is checked against Python's csv module.
        const std::filesystem::path golub = kData / "expression" / "golub_multtest_expr.csv";
        if (!std::filesystem::exists(golub))
            QSKIP("the Golub expression matrix is absent");
        const std::string spec = R"({"format": "mosaic-model-spec", "version": 1,
            "task": {"type": "binary", "label": "y"},
            "genomics": {"variants": [{"name": "rs4244285_A", "chromosome": "chr10", "position": 94781859, "allele": "A"}],
                         "expression": {"probes": [{"name": "M97935_MB", "probe": "AFFX-HUMISGF3A/M97935_MB_at"}]}}})";
        auto parsed = ModelSpec::fromJson(spec, "spec.json", {});
        QVERIFY2(parsed.has_value(), parsed ? "" : parsed.error().message().c_str());
        const std::string vcf = (kCyp2c19 / "s2s2.vcf").string();
        const std::string csv = "patient,y,genotypes,expression,expression_sample\n"
                                "A,0,"
            + vcf
            + ",,\n"
              "B,1,,"
            + golub.string()
            + ",S3\n"
              "C,1,"
            + vcf + "," + golub.string() + ",S38\n";
        auto manifest = parseCohortManifest(csv, "cohort.csv", m_folder, *parsed);
        QVERIFY2(manifest.has_value(), manifest ? "" : manifest.error().message().c_str());
        auto features = extractCohortFeatures(*parsed, *manifest);
        QVERIFY2(features.has_value(), features ? "" : features.error().message().c_str());
        const auto cell = [&](const QString &sample) {
            const QString script = R"(
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    if row['probe_id'] == 'AFFX-HUMISGF3A/M97935_MB_at':
        print(row[sys.argv[2]]); break
)";
            return python(script, { QString::fromStdString(golub.string()), sample }).toDouble();
        };
        QCOMPARE(features->features(0, 0), 2.0f); // s2s2: two copies of A
        QVERIFY(std::isnan(features->features(0, 1)));
        QVERIFY(std::isnan(features->features(1, 0)));
        QCOMPARE(features->features(1, 1), static_cast<float>(cell("S3"))); // -0.09052 in the file
        QCOMPARE(features->features(2, 0), 2.0f);
        QCOMPARE(features->features(2, 1), static_cast<float>(cell("S38")));
        for (std::size_t r = 0; r < 3; ++r) {
            const ModalityCoverage &coverage = features->reports[r].modalities[0];
            QVERIFY2(coverage.error.empty(), coverage.error.c_str());
            QCOMPARE(coverage.present, r == 2 ? std::size_t { 2 } : std::size_t { 1 });
        }
    }

    void cancellationStopsEarly()
    {
        // Twenty genotype-only cases; the stop is requested when the first is done.
        const std::string spec = R"({"format": "mosaic-model-spec", "version": 1,
            "task": {"type": "binary", "label": "y"}, "genomics": )"
            + kGenomicsSection + "}";
        auto parsed = ModelSpec::fromJson(spec, "spec.json", {});
        QVERIFY(parsed.has_value());
        std::string csv = "patient,y,genotypes\n";
        for (int i = 0; i < 20; ++i)
            csv += "P" + std::to_string(i) + ",0," + (kCyp2c19 / "s1s2.vcf").string() + "\n";
        auto manifest = parseCohortManifest(csv, "cohort.csv", m_folder, *parsed);
        QVERIFY(manifest.has_value());
        std::stop_source stop;
        std::atomic<std::size_t> calls { 0 };
        CohortExtractionOptions options;
        options.workers = 1;
        options.pgxDefinitions = &*m_pgx;
        options.progress = [&](std::size_t, std::size_t) {
            ++calls;
            stop.request_stop();
        };
        auto result = extractCohortFeatures(*parsed, *manifest, options, stop.get_token());
        QVERIFY(!result.has_value());
        QVERIFY(result.error().code == ErrorCode::Cancelled);
        QCOMPARE(calls.load(), std::size_t { 1 });
        QCOMPARE(QString::fromStdString(result.error().message()),
            QString("cohort.csv: cohort extraction was stopped after 1 of 20 cases"));
        // Without PGx definitions a specification with PGx features is refused before any work.
        options.pgxDefinitions = nullptr;
        auto refused = extractCohortFeatures(*parsed, *manifest, options);
        QVERIFY(!refused.has_value());
        QVERIFY(refused.error().code == ErrorCode::InvalidArgument);
    }
};

QTEST_APPLESS_MAIN(TestCohortExtraction)
#include "tst_cohort_extraction.moc"
