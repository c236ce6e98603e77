// SPDX-License-Identifier: Apache-2.0
// The synthetic multimodal cohort (core/synthetic), read back through Mosaic's own loaders and through
// independent peers: pydicom for the CT series and RTSTRUCT, bcftools for the VCF, Python's json
// module for the FHIR bundle, statsmodels for the outcome model. The lesion mask must contain exactly
// the voxel centres the analytic sphere's contour polygons enclose (a bracket computed here from the
// ground truth's centre and radius), and the same seed must give the same bytes.
#include "core/genomics/genomic_features.h"
#include "core/genomics/vcf_reader.h"
#include "core/imaging/roi_image_loader.h"
#include "core/radiomics/radiomics_settings.h"
#include "core/records/fhir_reader.h"
#include "core/records/record_features.h"
#include "core/synthetic/synthetic_cohort.h"

#include <QDirIterator>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <numbers>
#include <sstream>
#include <string>
#include <vector>

using namespace mosaic;
using namespace mosaic::synthetic;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

const char *kPeerScript = MOSAIC_SOURCE_DIR "/tests/core/synthetic/synthetic_peer.py";
constexpr std::uint64_t kSeed = 20261130;
constexpr std::size_t kPatients = 40;

// The grid of README.md, "Images", typed here rather than taken from the generator's constants.
constexpr double kPixel = 1.5;
constexpr double kSlice = 3.0;
constexpr double kOriginX = -17.25; // centre of voxel (0, 0, 0): 24 voxels of 1.5 mm centred on 0
constexpr double kOriginZ = -16.5; // 12 slices of 3 mm centred on 0

QByteArray run(const QString &program, const QStringList &arguments, int *exitCode = nullptr)
{
    QProcess process;
    process.start(program, arguments);
    if (!process.waitForFinished(300000))
        qFatal("%s did not finish", qPrintable(program));
    if (exitCode)
        *exitCode = process.exitCode();
    else if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        qFatal("%s failed: %s", qPrintable(program), process.readAllStandardError().constData());
    return process.readAllStandardOutput();
}

QJsonObject readJson(const std::filesystem::path &path)
{
    QFile file(QString::fromStdString(path.string()));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", path.string().c_str());
    return QJsonDocument::fromJson(file.readAll()).object();
}

std::vector<std::vector<std::string>> readCsv(const std::filesystem::path &path)
{
    std::ifstream in(path);
    std::vector<std::vector<std::string>> rows;
    for (std::string line; std::getline(in, line);) {
        std::vector<std::string> cells;
        std::stringstream stream(line);
        for (std::string cell; std::getline(stream, cell, ',');)
            cells.push_back(cell);
        if (!line.empty() && line.back() == ',')
            cells.emplace_back();
        rows.push_back(cells);
    }
    return rows;
}

std::map<QString, QByteArray> filesUnder(const std::filesystem::path &folder)
{
    std::map<QString, QByteArray> files;
    const QString root = QString::fromStdString(folder.string());
    QDirIterator it(root, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            qFatal("cannot open %s", qPrintable(path));
        files[path.mid(root.size())] = file.readAll();
    }
    return files;
}

} // namespace

class SyntheticCohortTest : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_temporary;
    std::filesystem::path m_cohort;
    QJsonObject m_truth;
    std::map<std::string, QJsonObject> m_patients; // by id
    std::vector<std::vector<std::string>> m_manifest;

    [[nodiscard]] QJsonObject truthOf(const std::string &id) const { return m_patients.at(id); }

private slots:
    void initTestCase()
    {
        QVERIFY(m_temporary.isValid());
        m_cohort = std::filesystem::path(m_temporary.path().toStdString()) / "cohort";
        SyntheticCohortOptions options;
        options.patients = kPatients;
        options.seed = kSeed;
        options.missingImaging = 0.25;
        options.missingGenotypes = 0.25;
        std::size_t calls = 0;
        auto summary = writeSyntheticCohort(m_cohort, options, [&](std::size_t done, std::size_t total) {
            ++calls;
            return done <= total;
        });
        QVERIFY2(summary, summary ? "" : summary.error().message().c_str());
        QCOMPARE(calls, kPatients);
        QCOMPARE(summary->patients, kPatients);
        m_truth = readJson(m_cohort / "ground_truth.json");
        for (const QJsonValue &value : m_truth["patients"].toArray()) {
            const QJsonObject patient = value.toObject();
            m_patients[patient["patient"].toString().toStdString()] = patient;
        }
        QCOMPARE(m_patients.size(), kPatients);
        m_manifest = readCsv(m_cohort / "cohort.csv");
        // Both kinds of missingness occur at 25% among 40 patients (seeded, so this is fixed).
        QVERIFY(summary->withImaging > 20 && summary->withImaging < kPatients);
        QVERIFY(summary->withGenotypes > 20 && summary->withGenotypes < kPatients);
    }

    void refusesNonEmptyFolderAndBadOptions()
    {
        SyntheticCohortOptions options;
        options.patients = 2;
        auto existing = writeSyntheticCohort(m_cohort, options);
        QVERIFY(!existing);
        QCOMPARE(existing.error().code, ErrorCode::InvalidArgument);
        QVERIFY(existing.error().message().find("not empty") != std::string::npos);

        const std::filesystem::path fresh
            = std::filesystem::path(m_temporary.path().toStdString()) / "refused";
        options.patients = 0;
        QCOMPARE(writeSyntheticCohort(fresh, options).error().code, ErrorCode::InvalidArgument);
        options.patients = 2;
        options.missingImaging = 1.5;
        QCOMPARE(writeSyntheticCohort(fresh, options).error().code, ErrorCode::InvalidArgument);
        options.missingImaging = -0.1;
        QCOMPARE(writeSyntheticCohort(fresh, options).error().code, ErrorCode::InvalidArgument);
        QVERIFY(!std::filesystem::exists(fresh));

        options.missingImaging = 0.0;
        auto cancelled = writeSyntheticCohort(fresh, options, [](std::size_t, std::size_t) { return false; });
        QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    }

    // docs/cohort_format.md: the header, one row per patient, relative paths that exist, and empty
    // cells exactly where the ground truth says a modality is absent.
    void manifestFollowsTheContract()
    {
        QCOMPARE(m_manifest.size(), kPatients + 1);
        const std::vector<std::string> header { "patient", "group", "outcome", "image", "mask", "roi",
            "genotypes", "sample", "records", "index_date", "sex", "age_band" };
        QCOMPARE(m_manifest[0], header);
        for (std::size_t row = 1; row < m_manifest.size(); ++row) {
            const auto &cells = m_manifest[row];
            QCOMPARE(cells.size(), header.size());
            const QJsonObject truth = truthOf(cells[0]);
            QCOMPARE(cells[1], cells[0]);
            QCOMPARE(std::stoi(cells[2]), truth["outcome"].toInt());
            const bool imaging = truth["has_imaging"].toBool();
            QCOMPARE(!cells[3].empty(), imaging);
            QCOMPARE(!cells[4].empty(), imaging);
            QCOMPARE(cells[5], std::string(imaging ? "GTV" : ""));
            QCOMPARE(!cells[6].empty(), truth["has_genotypes"].toBool());
            QCOMPARE(cells[7], truth["has_genotypes"].toBool() ? cells[0] : std::string());
            for (int column : { 3, 4, 6, 8 })
                if (!cells[column].empty()) {
                    QVERIFY(!std::filesystem::path(cells[column]).is_absolute());
                    QVERIFY(std::filesystem::exists(m_cohort / cells[column]));
                }
            QCOMPARE(QString::fromStdString(cells[9]), truth["index_date"].toString());
            QCOMPARE(QString::fromStdString(cells[10]), truth["sex"].toString());
            const int age = truth["age"].toInt();
            QCOMPARE(cells[11], std::to_string(age / 10 * 10) + "-" + std::to_string(age / 10 * 10 + 9));
            QVERIFY(age >= 40 && age <= 84);
        }
        // Labelled synthetic.
        std::ifstream readme(m_cohort / "README.txt");
        std::string first;
        std::getline(readme, first);
        QVERIFY(first.starts_with("SYNTHETIC DATA"));
    }

    void imagingReadsBackWithTheLesion_data()
    {
        QTest::addColumn<QString>("patient");
        for (const auto &[id, truth] : m_patients)
            if (truth["has_imaging"].toBool())
                QTest::newRow(id.c_str()) << QString::fromStdString(id);
    }

    // loadRoiImage (series + RTSTRUCT rasterised by the even-odd, voxel-centre rule). Each slice's
    // contour is a 64-gon inscribed in the lesion's circle of radius r = sqrt(R^2 - dz^2) there, its
    // vertices rounded to 1e-4 mm (moving them by at most 0.71e-4 mm). So the polygon holds every
    // centre closer than r cos(pi/64) - 1e-4 to the axis and none farther than r + 1e-4: the mask's
    // count lies between those two counts, computed here from the ground truth. Volume: every mask
    // voxel lies within R + 1e-4 + h of the centre and every point within R cos(pi/64) - 1e-4 - h is in
    // a mask voxel, h = half the voxel diagonal = 0.5 sqrt(1.5^2 + 1.5^2 + 3^2) = 1.8371 mm.
    void imagingReadsBackWithTheLesion()
    {
        QFETCH(QString, patient);
        const QJsonObject truth = truthOf(patient.toStdString());
        const std::filesystem::path folder = m_cohort / "patients" / patient.toStdString();
        auto loaded = loadRoiImage(folder / "ct", folder / "rtstruct.dcm", "GTV");
        QVERIFY2(loaded, loaded ? "" : loaded.error().message().c_str());
        QVERIFY2(loaded->warnings.empty(), loaded->warnings.empty() ? "" : loaded->warnings.front().c_str());
        QCOMPARE(loaded->modality, std::string("CT"));
        QCOMPARE(loaded->image.unit, std::string("HU"));
        const ImageGeometry &grid = loaded->image.geometry;
        QCOMPARE(grid.size[0], std::size_t { 24 });
        QCOMPARE(grid.size[1], std::size_t { 24 });
        QCOMPARE(grid.size[2], std::size_t { 12 });
        QCOMPARE(grid.spacingMm[0], kPixel);
        QCOMPARE(grid.spacingMm[2], kSlice);
        QCOMPARE(grid.originMm[0], kOriginX);
        QCOMPARE(grid.originMm[2], kOriginZ);

        const double radius = truth["radius_mm"].toDouble(kNotANumber);
        const QJsonArray centre = truth["centre_mm"].toArray();
        const double cx = centre[0].toDouble(kNotANumber), cy = centre[1].toDouble(kNotANumber),
                     cz = centre[2].toDouble(kNotANumber);
        const double shrink = std::cos(std::numbers::pi / 64.0);
        std::size_t lower = 0, upper = 0;
        for (std::size_t k = 0; k < 12; ++k) {
            const double dz = kOriginZ + kSlice * static_cast<double>(k) - cz;
            const double squared = radius * radius - dz * dz;
            if (squared <= 0.05 * 0.05) // the generator draws no contour thinner than 0.05 mm
                continue;
            const double r = std::sqrt(squared);
            for (std::size_t j = 0; j < 24; ++j)
                for (std::size_t i = 0; i < 24; ++i) {
                    const double dx = kOriginX + kPixel * static_cast<double>(i) - cx;
                    const double dy = kOriginX + kPixel * static_cast<double>(j) - cy;
                    const double d = std::sqrt(dx * dx + dy * dy);
                    lower += d < r * shrink - 1e-4 ? 1 : 0;
                    upper += d <= r + 1e-4 ? 1 : 0;
                }
        }
        const std::size_t count = loaded->mask.count();
        QVERIFY2(count >= lower && count <= upper,
            qPrintable(QString("mask %1 voxels, bracket [%2, %3]").arg(count).arg(lower).arg(upper)));

        const double voxelVolume = kPixel * kPixel * kSlice;
        const double h = 0.5 * std::sqrt(kPixel * kPixel * 2 + kSlice * kSlice);
        const double volume = static_cast<double>(count) * voxelVolume;
        const double sphere = 4.0 / 3.0 * std::numbers::pi * std::pow(radius, 3);
        QVERIFY(std::abs(truth["volume_mm3"].toDouble(kNotANumber) - sphere) < 1e-9 * sphere);
        QVERIFY(volume <= 4.0 / 3.0 * std::numbers::pi * std::pow(radius + 1e-4 + h, 3));
        QVERIFY(volume >= 4.0 / 3.0 * std::numbers::pi * std::pow(radius * shrink - 1e-4 - h, 3));

        // Intensities: lesion voxels are N(mean, 10 HU) rounded to integers; 5 standard errors.
        double inside = 0.0;
        double outside = 0.0;
        for (std::size_t v = 0; v < loaded->mask.voxels.size(); ++v)
            (loaded->mask.voxels[v] ? inside : outside) += loaded->image.voxels[v];
        const double outsideCount = static_cast<double>(loaded->mask.voxels.size() - count);
        const double lesionMean = truth["lesion_mean_hu"].toDouble(kNotANumber);
        QVERIFY(
            std::abs(inside / static_cast<double>(count) - lesionMean) < 5.0 * 10.0 / std::sqrt(count) + 0.5);
        QVERIFY(std::abs(outside / outsideCount - 20.0) < 5.0 * 10.0 / std::sqrt(outsideCount) + 0.5);
    }

    // Over the cohort the lattice offset is uniform (centres uniform over +-1.5 mm: whole periods of
    // the 1.5 mm and 3 mm spacings), so E[count] * voxel volume is the polygon solid's volume: the
    // sphere's times the 64-gon's area ratio 64 sin(2 pi / 64) / (2 pi) = 0.99839. The mean ratio must
    // lie within 4 standard errors of it.
    void meanMaskVolumeIsUnbiased()
    {
        std::vector<double> ratios;
        for (const auto &[id, truth] : m_patients) {
            if (!truth["has_imaging"].toBool())
                continue;
            const std::filesystem::path folder = m_cohort / "patients" / id;
            auto loaded = loadRoiImage(folder / "ct", folder / "rtstruct.dcm", "GTV");
            QVERIFY(loaded);
            ratios.push_back(static_cast<double>(loaded->mask.count()) * kPixel * kPixel * kSlice
                / truth["volume_mm3"].toDouble(kNotANumber));
        }
        double mean = 0.0;
        for (double ratio : ratios)
            mean += ratio;
        mean /= static_cast<double>(ratios.size());
        double variance = 0.0;
        for (double ratio : ratios)
            variance += (ratio - mean) * (ratio - mean);
        variance /= static_cast<double>(ratios.size() - 1);
        const double expected = 64.0 * std::sin(2.0 * std::numbers::pi / 64.0) / (2.0 * std::numbers::pi);
        const double standardError = std::sqrt(variance / static_cast<double>(ratios.size()));
        qInfo("mask volume / sphere volume: mean %.4f (expected %.4f), SD %.4f over %zu lesions", mean,
            expected, std::sqrt(variance), ratios.size());
        QVERIFY(std::abs(mean - expected) < 4.0 * standardError);
    }

    void dicomAgreesWithPydicom_data() { imagingReadsBackWithTheLesion_data(); }

    // pydicom reads every file as a Part 10 file (preamble, meta header), decodes the pixel data to
    // 24 x 24 per slice, and its rescaled values equal Mosaic's voxels one for one.
    void dicomAgreesWithPydicom()
    {
        QFETCH(QString, patient);
        const std::filesystem::path folder = m_cohort / "patients" / patient.toStdString();
        const QJsonObject peer = QJsonDocument::fromJson(
            run("/usr/bin/python3",
                { kPeerScript, "dicom", QString::fromStdString((folder / "ct").string()),
                    QString::fromStdString((folder / "rtstruct.dcm").string()) }))
                                     .object();
        QCOMPARE(peer["files"].toInt(), 12);
        QCOMPARE(peer["distinct_sop_instances"].toInt(), 12);
        QCOMPARE(peer["pixel_shape"].toArray(), (QJsonArray { 24, 24 }));
        QCOMPARE(peer["transfer_syntax"].toString(), QString("1.2.840.10008.1.2.1"));
        QCOMPARE(peer["sop_class"].toString(), QString("1.2.840.10008.5.1.4.1.1.2"));
        QCOMPARE(peer["rt_sop_class"].toString(), QString("1.2.840.10008.5.1.4.1.1.481.3"));
        QCOMPARE(peer["rt_modality"].toString(), QString("RTSTRUCT"));
        const QString suffix = patient.mid(4); // "SYN-0001" -> "0001"
        QCOMPARE(peer["patient_name"].toString(), "SYNTHETIC^PATIENT-" + suffix);
        QCOMPARE(peer["rt_patient_name"].toString(), "SYNTHETIC^PATIENT-" + suffix);
        QCOMPARE(peer["patient_id"].toString(), patient);
        QVERIFY(peer["series_description"].toString().startsWith("SYNTHETIC"));
        QVERIFY(peer["image_comments"].toString().startsWith("SYNTHETIC"));
        QVERIFY(peer["uids_valid"].toBool());
        QCOMPARE(peer["rt_roi_names"].toArray(), QJsonArray { "GTV" });
        QVERIFY(peer["rt_frame_matches"].toBool());
        QVERIFY(peer["rt_series_matches"].toBool());
        QVERIFY(peer["rt_study_matches"].toBool());
        QVERIFY(peer["rt_contour_sops_in_series"].toBool());
        QVERIFY(peer["rt_planar"].toBool());
        QCOMPARE(peer["rt_contour_points"].toInt(), 64 * peer["rt_contours"].toInt());
        QCOMPARE(peer["pixel_spacing"].toArray(), (QJsonArray { 1.5, 1.5 }));
        const QJsonArray z = peer["slice_z"].toArray();
        for (int k = 0; k < 12; ++k)
            QCOMPARE(z[k].toDouble(kNotANumber), kOriginZ + kSlice * k);

        auto loaded = loadRoiImage(folder / "ct", folder / "rtstruct.dcm", "GTV");
        QVERIFY(loaded);
        const QJsonArray hu = peer["hu"].toArray();
        QCOMPARE(static_cast<std::size_t>(hu.size()), loaded->image.voxels.size());
        for (qsizetype v = 0; v < hu.size(); ++v)
            if (hu[v].toDouble(kNotANumber)
                != static_cast<double>(loaded->image.voxels[static_cast<std::size_t>(v)]))
                QFAIL(qPrintable(QString("voxel %1: pydicom %2, Mosaic %3")
                                     .arg(v)
                                     .arg(hu[v].toDouble(kNotANumber))
                                     .arg(loaded->image.voxels[static_cast<std::size_t>(v)])));
    }

    // Mosaic's VcfReader and bcftools read the same genotypes, and both equal the ground truth.
    void genotypesAgreeWithMosaicAndBcftools()
    {
        const QStringList names { "syn_chr1_100000123_G", "syn_chr6_50000456_T", "syn_chr10_80000789_A",
            "rs429358_C", "rs7412_T" };
        int checked = 0;
        for (const auto &[id, truth] : m_patients) {
            if (!truth["has_genotypes"].toBool()) {
                QVERIFY(!std::filesystem::exists(m_cohort / "patients" / id / "genotypes.vcf"));
                continue;
            }
            const std::filesystem::path vcf = m_cohort / "patients" / id / "genotypes.vcf";
            const QJsonObject dosages = truth["dosages"].toObject();

            auto reader = VcfReader::open(vcf);
            QVERIFY2(reader, reader ? "" : reader.error().message().c_str());
            QCOMPARE(reader->sampleCount(), std::size_t { 1 });
            QVERIFY(reader->sampleIndex(id).has_value());
            QCOMPARE(reader->genomeBuild(), GenomeBuild::GRCh38);
            QVERIFY(reader->declaresFormat("GT"));
            std::vector<int> mosaicDosages;
            while (true) {
                auto row = reader->next();
                QVERIFY(row);
                if (!*row)
                    break;
                int copies = 0;
                for (int allele : (*row)->calls.at(0).alleles)
                    copies += allele == 1 ? 1 : 0;
                mosaicDosages.push_back(copies);
            }

            QCOMPARE(run("bcftools", { "view", "-h", QString::fromStdString(vcf.string()) })
                         .contains("##source=MosaicSynthetic"),
                true);
            const QList<QByteArray> lines = run("bcftools",
                { "query", "-f", "%CHROM:%POS:%REF:%ALT[\t%GT]\n", QString::fromStdString(vcf.string()) })
                                                .trimmed()
                                                .split('\n');
            QCOMPARE(lines.size(), 5);
            QCOMPARE(mosaicDosages.size(), std::size_t { 5 });
            for (int site = 0; site < 5; ++site) {
                const QByteArray genotype = lines[site].split('\t').at(1);
                const int bcftoolsCopies = static_cast<int>(genotype.count('1'));
                QCOMPARE(bcftoolsCopies, mosaicDosages[static_cast<std::size_t>(site)]);
                QCOMPARE(bcftoolsCopies, dosages[names[site]].toInt());
            }
            QCOMPARE(lines[3].split('\t').at(0), QByteArray("chr19:44908684:T:C"));
            ++checked;
        }
        QVERIFY(checked > 20);
    }

    // Mosaic's FHIR reader and Python's json module read the same values, units and codes, and both
    // equal the ground truth; the bundle is tagged as test data and the patient named Synthetic.
    void recordsAgreeWithMosaicAndPythonJson()
    {
        for (const auto &[id, truth] : m_patients) {
            const std::filesystem::path bundle = m_cohort / "patients" / id / "record.json";
            auto records = records::readFhirFile(bundle);
            QVERIFY2(records, records ? "" : records.error().message().c_str());
            QVERIFY(records->warnings.empty());
            QCOMPARE(records->patients.size(), std::size_t { 1 });
            QCOMPARE(records->unattachedResources, std::size_t { 0 });
            const records::PatientRecord &record = records->patients.front();
            QCOMPARE(record.patient.gender, truth["sex"].toString().toStdString());
            QCOMPARE(record.patient.birthDate->text, truth["birth_date"].toString().toStdString());
            std::map<std::string, records::Quantity> byCode;
            for (const records::Observation &observation : record.observations)
                byCode[observation.code.codings.at(0).code] = *observation.quantity;
            QCOMPARE(byCode.size(), std::size_t { 3 });

            const QJsonObject peer = QJsonDocument::fromJson(
                run("/usr/bin/python3", { kPeerScript, "fhir", QString::fromStdString(bundle.string()) }))
                                         .object();
            QCOMPARE(peer["family"].toString(), QString("Synthetic"));
            QCOMPARE(peer["type"].toString(), QString("collection"));
            for (const QJsonValue &tag : peer["tags"].toArray())
                QCOMPARE(tag.toString(), QString("HTEST"));
            const QJsonObject observations = peer["observations"].toObject();
            const std::map<std::string, std::pair<const char *, const char *>> expected {
                { "2160-0", { "mg/dL", "creatinine_mg_dl" } }, { "4548-4", { "%", "hba1c_percent" } },
                { "8480-6", { "mm[Hg]", "systolic_bp_mm_hg" } }
            };
            for (const auto &[code, unitAndTruth] : expected) {
                const QJsonObject python = observations[QString::fromStdString(code)].toObject();
                QCOMPARE(python["system"].toString(), QString("http://loinc.org"));
                QCOMPARE(python["unit_system"].toString(), QString("http://unitsofmeasure.org"));
                QVERIFY(python["subject_is_patient"].toBool());
                QCOMPARE(byCode.at(code).unit, std::string(unitAndTruth.first));
                QCOMPARE(python["unit"].toString(), QString(unitAndTruth.first));
                QCOMPARE(byCode.at(code).value, python["value"].toDouble(kNotANumber));
                QCOMPARE(byCode.at(code).value, truth[unitAndTruth.second].toDouble(kNotANumber));
            }
            // Conditions follow the documented thresholds: HbA1c >= 6.5 %, systolic >= 140 mm[Hg].
            QStringList conditions;
            for (const QJsonValue &value : peer["conditions"].toArray())
                conditions << value.toString();
            QCOMPARE(conditions.contains("http://snomed.info/sct|44054006"),
                truth["hba1c_percent"].toDouble(kNotANumber) >= 6.5);
            QCOMPARE(conditions.contains("http://snomed.info/sct|38341003"),
                truth["systolic_bp_mm_hg"].toDouble(kNotANumber) >= 140);
            QCOMPARE(record.conditions.size(), static_cast<std::size_t>(conditions.size()));
        }
    }

    // The model specification's sections parse with Mosaic's own readers, and the record features it
    // declares, derived at each patient's index date, are the ground truth's values.
    void specificationSectionsParseAndDeriveTheTruth()
    {
        const QJsonObject spec = readJson(m_cohort / "model_spec.json");
        QCOMPARE(spec["format"].toString(), QString("mosaic-model-spec"));
        QCOMPARE(spec["task"].toObject()["label"].toString(), QString("outcome"));
        const QJsonObject imaging = spec["imaging"].toObject();
        QCOMPARE(imaging["roi"].toString(), QString("GTV"));
        auto settings = RadiomicsSettings::fromJson(
            QJsonDocument(imaging["settings"].toObject()).toJson().toStdString(), "model_spec.json");
        QVERIFY2(settings, settings ? "" : settings.error().message().c_str());
        QVERIFY(settings->validate());
        auto genomic = GenomicFeatureSpec::fromJson(
            QJsonDocument(spec["genomics"].toObject()).toJson().toStdString(), "model_spec.json");
        QVERIFY2(genomic, genomic ? "" : genomic.error().message().c_str());
        QCOMPARE(genomic->variants.size(), std::size_t { 5 });

        auto units = records::UcumUnits::load(
            std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "records/ucum/ucum-essence.xml");
        QVERIFY(units);
        auto recordSpec = records::RecordFeatureSpec::fromJson(
            QJsonDocument(spec["records"].toObject()).toJson().toStdString(), "model_spec.json", *units);
        QVERIFY2(recordSpec, recordSpec ? "" : recordSpec.error().message().c_str());
        for (const auto &[id, truth] : m_patients) {
            auto records = records::readFhirFile(m_cohort / "patients" / id / "record.json");
            QVERIFY(records);
            const auto index = records::parseClinicalTime(truth["index_date"].toString().toStdString());
            QVERIFY(index);
            const auto derived
                = records::deriveRecordFeatures(records->patients.front(), *recordSpec, *index, *units);
            QVERIFY(derived.warnings.empty());
            QCOMPARE(derived.values.values().size(), std::size_t { 4 });
            QCOMPARE(derived.values.values()[0], truth["creatinine_mg_dl"].toDouble(kNotANumber));
            QCOMPARE(derived.values.values()[1], truth["hba1c_percent"].toDouble(kNotANumber));
            QCOMPARE(derived.values.values()[2], truth["systolic_bp_mm_hg"].toDouble(kNotANumber));
            QCOMPARE(derived.values.values()[3], static_cast<double>(truth["age"].toInt()));

            if (!truth["has_genotypes"].toBool())
                continue;
            GenomicFeatureInputs inputs;
            inputs.genotypes = m_cohort / "patients" / id / "genotypes.vcf";
            auto values = extractGenomicFeatures(*genomic, inputs);
            QVERIFY2(values, values ? "" : values.error().message().c_str());
            const QJsonObject dosages = truth["dosages"].toObject();
            for (const GenomicFeatureValue &value : *values)
                QCOMPARE(
                    value.value, static_cast<double>(dosages[QString::fromStdString(value.name)].toInt()));
        }
    }

    // The documented model (README: intercept -2, 1.2 z_size, 0.9 per rs429358 C, 0.8 per 0.2 mg/dL of
    // creatinine above 0.9, 0.6 per 0.7 % of HbA1c above 5.8), recomputed here from the values read
    // out of the files, gives the ground truth's logit and probability.
    void groundTruthLogitFollowsFromTheFiles()
    {
        const QJsonObject model = m_truth["model"].toObject();
        QCOMPARE(model["intercept"].toDouble(kNotANumber), -2.0);
        for (const auto &[id, truth] : m_patients) {
            auto records = records::readFhirFile(m_cohort / "patients" / id / "record.json");
            QVERIFY(records);
            std::map<std::string, double> labs;
            for (const records::Observation &observation : records->patients.front().observations)
                labs[observation.code.codings.at(0).code] = observation.quantity->value;
            const double logit = -2.0 + 1.2 * truth["z_size"].toDouble(kNotANumber)
                + 0.9 * truth["dosages"].toObject()["rs429358_C"].toInt()
                + 0.8 * (labs.at("2160-0") - 0.9) / 0.2 + 0.6 * (labs.at("4548-4") - 5.8) / 0.7;
            QVERIFY(std::abs(logit - truth["logit"].toDouble(kNotANumber)) < 1e-12);
            QVERIFY(std::abs(1.0 / (1.0 + std::exp(-logit)) - truth["probability"].toDouble(kNotANumber))
                < 1e-12);
            QVERIFY(std::abs(truth["radius_mm"].toDouble(kNotANumber)
                        - (8.0 + 1.5 * truth["z_size"].toDouble(kNotANumber)))
                < 1e-12);
        }
    }

    // Same seed: the same bytes, every file, UIDs included. Another seed: other outcomes. Changing the
    // missingness fractions leaves every patient's latent values and outcome as they were.
    void sameSeedSameBytes()
    {
        const std::filesystem::path base = m_temporary.path().toStdString();
        SyntheticCohortOptions options;
        options.patients = 6;
        options.seed = 99;
        options.missingImaging = 0.3;
        QVERIFY(writeSyntheticCohort(base / "first", options));
        QVERIFY(writeSyntheticCohort(base / "second", options));
        const auto first = filesUnder(base / "first");
        const auto second = filesUnder(base / "second");
        QCOMPARE(first.size(), second.size());
        QVERIFY(first.size() > 10);
        for (const auto &[name, bytes] : first)
            QVERIFY2(second.at(name) == bytes, qPrintable(name));

        options.seed = 100;
        QVERIFY(writeSyntheticCohort(base / "other-seed", options));
        QVERIFY(filesUnder(base / "other-seed").at("/cohort.csv") != first.at("/cohort.csv"));

        options.seed = 99;
        options.missingImaging = 0.0;
        options.missingGenotypes = 0.5;
        QVERIFY(writeSyntheticCohort(base / "other-missingness", options));
        const QJsonArray a = readJson(base / "first" / "ground_truth.json")["patients"].toArray();
        const QJsonArray b = readJson(base / "other-missingness" / "ground_truth.json")["patients"].toArray();
        for (qsizetype p = 0; p < a.size(); ++p)
            for (const char *key :
                { "logit", "outcome", "z_size", "creatinine_mg_dl", "dosages", "birth_date" })
                QCOMPARE(
                    a[p].toObject().value(QLatin1String(key)), b[p].toObject().value(QLatin1String(key)));
    }

    // 4,000 patients (ground truth only): the number of positives lies within 4 SD of the sum of
    // probabilities, and statsmodels' logistic regression on the latent values recovers the documented
    // coefficients (each within 4 standard errors) and finds nothing in the noise variables.
    void outcomeFollowsTheModelByStatsmodels()
    {
        const std::filesystem::path folder
            = std::filesystem::path(m_temporary.path().toStdString()) / "large";
        SyntheticCohortOptions options;
        options.patients = 4000;
        options.seed = kSeed;
        options.imaging = false;
        options.genotypes = false;
        options.records = false;
        auto summary = writeSyntheticCohort(folder, options);
        QVERIFY(summary);
        const QJsonArray patients = readJson(folder / "ground_truth.json")["patients"].toArray();
        double expected = 0.0;
        double variance = 0.0;
        for (const QJsonValue &value : patients) {
            const double p = value.toObject()["probability"].toDouble(kNotANumber);
            expected += p;
            variance += p * (1.0 - p);
        }
        qInfo("positives %zu of 4000, expected %.1f", summary->positives, expected);
        QVERIFY(std::abs(static_cast<double>(summary->positives) - expected) < 4.0 * std::sqrt(variance));

        const char *script = R"(
import json, sys
import numpy as np
import statsmodels.api as sm
truth = json.load(open(sys.argv[1]))
rows, y = [], []
for p in truth["patients"]:
    d = p["dosages"]
    rows.append([p["z_size"], d["rs429358_C"], (p["creatinine_mg_dl"] - 0.9) / 0.2, (p["hba1c_percent"] - 5.8) / 0.7,
                 p["z_density"], (p["systolic_bp_mm_hg"] - 130) / 15, (p["age"] - 62) / 13, 1.0 if p["sex"] == "female" else 0.0,
                 d["rs7412_T"], d["syn_chr1_100000123_G"], d["syn_chr6_50000456_T"], d["syn_chr10_80000789_A"]])
    y.append(p["outcome"])
fit = sm.Logit(np.array(y), sm.add_constant(np.array(rows))).fit(disp=0)
print(json.dumps({"params": fit.params.tolist(), "bse": fit.bse.tolist()}))
)";
        const QJsonObject fit = QJsonDocument::fromJson(
            run("/usr/bin/python3",
                { "-c", script, QString::fromStdString((folder / "ground_truth.json").string()) }))
                                    .object();
        const QJsonArray params = fit["params"].toArray();
        const QJsonArray errors = fit["bse"].toArray();
        const std::vector<double> truthCoefficients { -2.0, 1.2, 0.9, 0.8, 0.6, 0, 0, 0, 0, 0, 0, 0, 0 };
        QCOMPARE(params.size(), static_cast<qsizetype>(truthCoefficients.size()));
        for (qsizetype c = 0; c < params.size(); ++c) {
            const double estimate = params[c].toDouble(kNotANumber);
            const double error = errors[c].toDouble(kNotANumber);
            QVERIFY2(std::abs(estimate - truthCoefficients[static_cast<std::size_t>(c)]) < 4.0 * error,
                qPrintable(QString("coefficient %1: %2 +- %3, truth %4")
                               .arg(c)
                               .arg(estimate)
                               .arg(error)
                               .arg(truthCoefficients[static_cast<std::size_t>(c)])));
        }
    }
};

QTEST_APPLESS_MAIN(SyntheticCohortTest)
#include "tst_synthetic_cohort.moc"
