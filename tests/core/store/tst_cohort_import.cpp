// SPDX-License-Identifier: Apache-2.0
// Importing the real heart-failure cohort (Ahmad et al. 2017, 299 patients) into a workspace, and
// building the demo workspace from it. Stored values are checked against the CSV as this test reads
// it with plain splitting, imports against "all or nothing", and the demo's stored predictions
// against the stored model applied anew to each patient's stored values.
#include "core/demo/demo_workspace.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"
#include "core/store/cohort_import.h"
#include "core/store/workspace.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QHash>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

using namespace mosaic;

namespace {

const char *kResourceDirectory = MOSAIC_SOURCE_DIR "/resources";
const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";
const char *kSchemaPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure.schema.json";
const std::string kCohortFile = "heart_failure_S1Data.csv";
constexpr std::size_t kPatients = 299;

template <typename T> QByteArray failureText(const Result<T> &result)
{
    return result ? QByteArray() : QByteArray::fromStdString(result.error().message());
}

std::filesystem::path toPath(const QString &path)
{
    return std::filesystem::path(path.toStdU16String());
}

CohortTable deathTable()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" }; // follow-up time leaks the outcome
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    return std::move(*table);
}

std::shared_ptr<const FeatureSchema> demoSchema()
{
    auto schema = FeatureSchema::readFile(kSchemaPath);
    if (!schema)
        qFatal("%s", schema.error().message().c_str());
    return std::make_shared<const FeatureSchema>(std::move(*schema));
}

// The table as this test reads it: the file has no quoting, so splitting on commas is exact.
// cells[line][column name], line numbered as in the file (the header is line 1).
struct PlainCsv
{
    QHash<int, QHash<QString, QString>> cells;
};

PlainCsv readPlainCsv()
{
    QFile file(QString::fromUtf8(kCohortPath));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open %s", kCohortPath);
    const QList<QByteArray> lines = file.readAll().split('\n');
    const QList<QByteArray> header = lines.at(0).trimmed().split(',');
    PlainCsv csv;
    for (int index = 1; index < lines.size(); ++index) {
        const QByteArray line = lines.at(index).trimmed();
        if (line.isEmpty())
            continue;
        const QList<QByteArray> fields = line.split(',');
        for (int column = 0; column < header.size(); ++column)
            csv.cells[index + 1][QString::fromUtf8(header.at(column))] = QString::fromUtf8(fields.at(column));
    }
    return csv;
}

} // namespace

class TestCohortImport : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void importsOnePatientPerRow();
    void storedFeaturesEqualHandReadCells_data();
    void storedFeaturesEqualHandReadCells();
    void everyStoredFeatureEqualsItsCell();
    void customExternalIdIsUsed();
    void importingTheSameTableTwiceAddsNothing();
    void failureHalfWayLeavesNothingBehind();
    void duplicateIdsWithinOneImportLeaveTheWorkspaceEmpty();
    void schemaColumnMissingFailsBeforeWriting();

    void demoHasEveryPatientInFileOrder();
    void demoModelBundleVerifies();
    void demoPredictionsMatchTheStoredModel();
    void demoBuildIsIdempotent();
    void demoWithMissingTableWritesNothing();
    void demoCancelledWritesNothing();

private:
    Workspace openWorkspace(const QTemporaryDir &directory) const;
    std::vector<std::int64_t> importTable(const CohortImportOptions &options = {});
    std::size_t patientCount(const Workspace &workspace) const;

    CohortTable m_table;
    std::shared_ptr<const FeatureSchema> m_schema;
    PlainCsv m_csv;

    // Per test: a fresh workspace.
    std::unique_ptr<QTemporaryDir> m_directory;
    std::optional<Workspace> m_workspace;

    // Built once: the demo, whose training is the slow part of this suite.
    QTemporaryDir m_demoDirectory;
    std::optional<Workspace> m_demo;
    int m_demoProgressCalls = 0;
};

Workspace TestCohortImport::openWorkspace(const QTemporaryDir &directory) const
{
    auto workspace = Workspace::open(toPath(directory.filePath("workspace.sqlite")));
    if (!workspace)
        qFatal("%s", workspace.error().message().c_str());
    return std::move(*workspace);
}

std::size_t TestCohortImport::patientCount(const Workspace &workspace) const
{
    auto patients = workspace.patients();
    if (!patients)
        qFatal("%s", patients.error().message().c_str());
    return patients->size();
}

std::vector<std::int64_t> TestCohortImport::importTable(const CohortImportOptions &options)
{
    auto ids = importCohort(*m_workspace, m_table, m_schema, options);
    if (!ids)
        qFatal("%s", ids.error().message().c_str());
    return std::move(*ids);
}

void TestCohortImport::initTestCase()
{
    m_table = deathTable();
    m_schema = demoSchema();
    m_csv = readPlainCsv();
    QCOMPARE(m_table.rows(), kPatients);
    QCOMPARE(m_csv.cells.size(), static_cast<qsizetype>(kPatients));

    QVERIFY(m_demoDirectory.isValid());
    m_demo = openWorkspace(m_demoDirectory);
    auto built = buildHeartFailureDemo(
        *m_demo, DemoResources::in(kResourceDirectory), {}, [this](int, int) { ++m_demoProgressCalls; });
    QVERIFY2(built, failureText(built));
}

void TestCohortImport::init()
{
    m_directory = std::make_unique<QTemporaryDir>();
    QVERIFY(m_directory->isValid());
    m_workspace = openWorkspace(*m_directory);
}

void TestCohortImport::cleanup()
{
    m_workspace.reset();
    m_directory.reset();
}

void TestCohortImport::importsOnePatientPerRow()
{
    const auto ids = importTable();
    QCOMPARE(ids.size(), kPatients);
    auto patients = m_workspace->patients();
    QVERIFY(patients);
    QCOMPARE(patients->size(), kPatients);
    for (std::size_t row = 0; row < kPatients; ++row) {
        const PatientSummary &patient = (*patients)[row];
        QCOMPARE(patient.id, ids[row]);
        // Without an id column a patient is known by its line in the file.
        QCOMPARE(patient.externalId, std::to_string(row + 2));
        QCOMPARE(patient.source, kCohortFile);
    }
}

void TestCohortImport::storedFeaturesEqualHandReadCells_data()
{
    QTest::addColumn<int>("line");
    QTest::addColumn<QString>("feature");
    QTest::addColumn<double>("expected");

    // Read off the CSV by eye; the file's line numbers (header is line 1).
    QTest::newRow("line 2: age 43 years") << 2 << "Age" << 43.0;
    QTest::newRow("line 3: smoker") << 3 << "Smoking" << 1.0;
    QTest::newRow("line 2: not a smoker") << 2 << "Smoking" << 0.0;
    QTest::newRow("line 4: creatinine 1.83 mg/dL") << 4 << "Creatinine" << 1.83;
    QTest::newRow("line 4: platelets with a fraction, 263358.03 /uL") << 4 << "Pletelets" << 263358.03;
    QTest::newRow("line 36: ejection fraction 40 %") << 36 << "Ejection.Fraction" << 40.0;
    QTest::newRow("line 300, last patient: CPK 52 U/L") << 300 << "CPK" << 52.0;
}

void TestCohortImport::storedFeaturesEqualHandReadCells()
{
    QFETCH(int, line);
    QFETCH(QString, feature);
    QFETCH(double, expected);

    const auto ids = importTable();
    auto stored = m_workspace->features(ids.at(static_cast<std::size_t>(line - 2)), m_schema);
    QVERIFY2(stored, failureText(stored));
    const auto index = m_schema->indexOf(feature.toStdString());
    QVERIFY(index.has_value());
    // Features are 32-bit floats, as XGBoost holds them.
    QCOMPARE(stored->value(*index), static_cast<double>(static_cast<float>(expected)));
    QCOMPARE(stored->provenance(*index),
        (Provenance {
            kCohortFile, "line " + std::to_string(line) + ", column '" + feature.toStdString() + "'" }));
}

void TestCohortImport::everyStoredFeatureEqualsItsCell()
{
    const auto ids = importTable();
    for (std::size_t row = 0; row < kPatients; ++row) {
        const int line = static_cast<int>(row) + 2;
        auto stored = m_workspace->features(ids[row], m_schema);
        QVERIFY2(stored, failureText(stored));
        QCOMPARE(stored->missingCount(), std::size_t { 0 });
        for (std::size_t index = 0; index < m_schema->size(); ++index) {
            const QString name = QString::fromStdString(m_schema->at(index).name);
            bool isNumber = false;
            const double cell = m_csv.cells[line][name].toDouble(&isNumber);
            QVERIFY2(isNumber, qPrintable(QStringLiteral("line %1, %2").arg(line).arg(name)));
            QVERIFY2(stored->value(index) == static_cast<double>(static_cast<float>(cell)),
                qPrintable(QStringLiteral("line %1, %2: stored %3, cell %4")
                               .arg(line)
                               .arg(name)
                               .arg(stored->value(index))
                               .arg(cell)));
            QCOMPARE(stored->provenance(index).location,
                "line " + std::to_string(line) + ", column '" + name.toStdString() + "'");
        }
    }
}

void TestCohortImport::customExternalIdIsUsed()
{
    std::vector<std::size_t> rowsAsked;
    CohortImportOptions options;
    options.externalId = [&](const CohortTable &table, std::size_t row) {
        rowsAsked.push_back(row);
        return table.sourceName.substr(0, 2) + "-" + std::to_string(row * 10);
    };
    importTable(options);
    auto patients = m_workspace->patients();
    QVERIFY(patients);
    QCOMPARE(patients->size(), kPatients);
    QCOMPARE(patients->front().externalId, std::string("he-0"));
    QCOMPARE(patients->at(1).externalId, std::string("he-10"));
    QCOMPARE(patients->back().externalId, std::string("he-2980"));
    QCOMPARE(rowsAsked.size(), kPatients);
    for (std::size_t row = 0; row < kPatients; ++row)
        QCOMPARE(rowsAsked[row], row);
}

void TestCohortImport::importingTheSameTableTwiceAddsNothing()
{
    const auto firstIds = importTable();
    auto before = m_workspace->patients();
    QVERIFY(before);

    auto second = importCohort(*m_workspace, m_table, m_schema);
    QVERIFY(!second);
    QCOMPARE(second.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(QString::fromStdString(second.error().detail).contains("already in the workspace"),
        second.error().message().c_str());
    // Names the row, never the identifier.
    QCOMPARE(second.error().location, kCohortFile + ", line 2");

    auto after = m_workspace->patients();
    QVERIFY(after);
    QCOMPARE(after->size(), kPatients);
    for (std::size_t row = 0; row < kPatients; ++row) {
        QCOMPARE((*after)[row].id, (*before)[row].id);
        QCOMPARE((*after)[row].externalId, (*before)[row].externalId);
    }
}

void TestCohortImport::failureHalfWayLeavesNothingBehind()
{
    importTable();
    // The second import names its first 150 patients anew, then collides with line 2's patient:
    // 150 rows would be written before the failure if the import were not one transaction.
    CohortImportOptions options;
    options.externalId = [](const CohortTable &, std::size_t row) {
        return row < 150 ? "second-" + std::to_string(row) : std::string("2");
    };
    auto second = importCohort(*m_workspace, m_table, m_schema, options);
    QVERIFY(!second);
    QCOMPARE(second.error().location, kCohortFile + ", line 152");

    auto patients = m_workspace->patients();
    QVERIFY(patients);
    QCOMPARE(patients->size(), kPatients);
    for (const auto &patient : *patients)
        QVERIFY2(
            !QString::fromStdString(patient.externalId).startsWith("second-"), patient.externalId.c_str());
}

void TestCohortImport::duplicateIdsWithinOneImportLeaveTheWorkspaceEmpty()
{
    CohortImportOptions options;
    options.externalId = [](const CohortTable &, std::size_t row) {
        return row == 200 ? std::string("patient-0") : "patient-" + std::to_string(row);
    };
    auto imported = importCohort(*m_workspace, m_table, m_schema, options);
    QVERIFY(!imported);
    QCOMPARE(imported.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(imported.error().location, kCohortFile + ", line 202");
    QCOMPARE(patientCount(*m_workspace), std::size_t { 0 });
}

void TestCohortImport::schemaColumnMissingFailsBeforeWriting()
{
    auto schema = FeatureSchema::fromDefinitions({
        { "Age", Modality::Records, "a", "Age at enrolment" },
        { "NT-proBNP", Modality::Records, "pg/mL", "N-terminal pro-BNP, not in this table" },
    });
    QVERIFY(schema);
    int idsAsked = 0;
    CohortImportOptions options;
    options.externalId = [&](const CohortTable &, std::size_t row) {
        ++idsAsked;
        return std::to_string(row);
    };
    auto imported
        = importCohort(*m_workspace, m_table, std::make_shared<const FeatureSchema>(*schema), options);
    QVERIFY(!imported);
    QCOMPARE(imported.error().code, ErrorCode::NotFound);
    QVERIFY2(QString::fromStdString(imported.error().detail).contains("'NT-proBNP'"),
        imported.error().message().c_str());
    QCOMPARE(idsAsked, 0); // refused before the first patient was named
    QCOMPARE(patientCount(*m_workspace), std::size_t { 0 });
}

void TestCohortImport::demoHasEveryPatientInFileOrder()
{
    auto patients = m_demo->patients();
    QVERIFY(patients);
    QCOMPARE(patients->size(), kPatients);
    QCOMPARE(patients->front().externalId, std::string("HF-001"));
    QCOMPARE(patients->at(9).externalId, std::string("HF-010"));
    QCOMPARE(patients->at(99).externalId, std::string("HF-100"));
    QCOMPARE(patients->back().externalId, std::string("HF-299"));
    for (const auto &patient : *patients)
        QCOMPARE(patient.source, kCohortFile);
    // HF-003 is line 4 of the table: creatinine 1.83 mg/dL, age 70.
    auto third = m_demo->features(patients->at(2).id, m_schema);
    QVERIFY(third);
    QCOMPARE(third->value(*m_schema->indexOf("Creatinine")), static_cast<double>(1.83f));
    QCOMPARE(third->value(*m_schema->indexOf("Age")), 70.0);
    QCOMPARE(third->provenance(*m_schema->indexOf("Age")).location, std::string("line 4, column 'Age'"));
    // Every cross-validation fit and the final one reported progress: 10 x 5 + 1.
    QCOMPARE(m_demoProgressCalls, 51);
}

void TestCohortImport::demoModelBundleVerifies()
{
    auto models = m_demo->models();
    QVERIFY(models);
    QCOMPARE(models->size(), std::size_t { 1 });
    auto trusted = m_demo->trustedKeys();
    QVERIFY2(trusted, failureText(trusted));
    auto bundle = ModelBundle::fromJson(models->front().bundleJson, "demo model", *trusted);
    QVERIFY2(bundle, failureText(bundle));
    // Signed with the workspace's own key, which the workspace trusts; refused without it.
    QCOMPARE(bundle->signerName, std::string("this workspace (models trained here)"));
    QVERIFY(!ModelBundle::fromJson(models->front().bundleJson, "demo model", TrustedKeys {}));
    QVERIFY(!bundle->intendedUse.empty() && !bundle->limitations.empty());
    QCOMPARE(bundle->name, models->front().name);
    QCOMPARE(bundle->labelColumn, std::string("Event"));
    QCOMPARE(bundle->schema, *m_schema);
    QCOMPARE(bundle->trainingSource, kCohortFile);
    QCOMPARE(bundle->trainingCases, kPatients);
    QCOMPARE(bundle->trainingPositives, std::size_t { 96 }); // Ahmad et al. 2017: 96 deaths
    QVERIFY(bundle->validation.has_value());
    QCOMPARE(bundle->validation->folds, 5);
    QCOMPARE(bundle->validation->repeats, 10);
    // The figure the demo shows a new user: Chicco & Jurman 2020 report 0.754 on these features.
    const double auroc = bundle->validation->metrics.auroc.auroc;
    QVERIFY2(auroc >= 0.70 && auroc <= 0.82, qPrintable(QString::number(auroc)));
}

void TestCohortImport::demoPredictionsMatchTheStoredModel()
{
    auto models = m_demo->models();
    QVERIFY(models);
    auto bundle = ModelBundle::fromJson(models->front().bundleJson, "demo model", *m_demo->trustedKeys());
    QVERIFY(bundle);
    auto model = RiskModel::fromBundle(*bundle);
    QVERIFY2(model, failureText(model));
    auto schema = std::make_shared<const FeatureSchema>(bundle->schema);

    auto patients = m_demo->patients();
    QVERIFY(patients);
    for (const auto &patient : *patients) {
        auto predictions = m_demo->predictions(patient.id);
        QVERIFY(predictions);
        QCOMPARE(predictions->size(), std::size_t { 1 });
        const StoredPrediction &stored = predictions->front();
        QCOMPARE(stored.modelId, models->front().id);
        QCOMPARE(stored.patientId, patient.id);

        auto features = m_demo->features(patient.id, schema);
        QVERIFY(features);
        auto fresh = model->predict(*features);
        QVERIFY2(fresh, failureText(fresh));
        QVERIFY2(std::abs(fresh->probability - stored.probability) < 1e-6,
            qPrintable(QStringLiteral("%1: stored %2, recomputed %3")
                           .arg(QString::fromStdString(patient.externalId))
                           .arg(stored.probability)
                           .arg(fresh->probability)));
        const auto explanation = nlohmann::json::parse(stored.explanationJson);
        QVERIFY(std::abs(explanation["probability"].get<double>() - stored.probability) < 1e-12);
    }
}

void TestCohortImport::demoBuildIsIdempotent()
{
    auto patientsBefore = m_demo->patients();
    auto modelsBefore = m_demo->models();
    auto predictionsBefore = m_demo->predictions(patientsBefore->front().id);
    QVERIFY(patientsBefore && modelsBefore && predictionsBefore);

    int progressCalls = 0;
    auto again = buildHeartFailureDemo(
        *m_demo, DemoResources::in(kResourceDirectory), {}, [&](int, int) { ++progressCalls; });
    QVERIFY2(again, failureText(again));
    QCOMPARE(progressCalls, 0); // nothing trained

    auto patientsAfter = m_demo->patients();
    auto modelsAfter = m_demo->models();
    QVERIFY(patientsAfter && modelsAfter);
    QCOMPARE(patientsAfter->size(), patientsBefore->size());
    for (std::size_t i = 0; i < patientsAfter->size(); ++i) {
        QCOMPARE((*patientsAfter)[i].id, (*patientsBefore)[i].id);
        QCOMPARE((*patientsAfter)[i].externalId, (*patientsBefore)[i].externalId);
    }
    QCOMPARE(modelsAfter->size(), std::size_t { 1 });
    QCOMPARE(modelsAfter->front().id, modelsBefore->front().id);
    QCOMPARE(modelsAfter->front().bundleJson, modelsBefore->front().bundleJson);
    for (const auto &patient : *patientsAfter) {
        auto predictions = m_demo->predictions(patient.id);
        QVERIFY(predictions);
        QCOMPARE(predictions->size(), std::size_t { 1 });
    }
    QCOMPARE(m_demo->predictions(patientsAfter->front().id)->front().id, predictionsBefore->front().id);
}

void TestCohortImport::demoWithMissingTableWritesNothing()
{
    DemoResources resources = DemoResources::in(kResourceDirectory);
    resources.cohortTable.replace_filename("heart_failure_absent.csv");
    auto built = buildHeartFailureDemo(*m_workspace, resources);
    QVERIFY(!built);
    QCOMPARE(built.error().code, ErrorCode::NotFound);
    QCOMPARE(patientCount(*m_workspace), std::size_t { 0 });
    QCOMPARE(m_workspace->models()->size(), std::size_t { 0 });
}

void TestCohortImport::demoCancelledWritesNothing()
{
    std::stop_source source;
    source.request_stop();
    auto built
        = buildHeartFailureDemo(*m_workspace, DemoResources::in(kResourceDirectory), source.get_token());
    QVERIFY(!built);
    QCOMPARE(built.error().code, ErrorCode::Cancelled);
    QCOMPARE(patientCount(*m_workspace), std::size_t { 0 });
    QCOMPARE(m_workspace->models()->size(), std::size_t { 0 });
}

QTEST_APPLESS_MAIN(TestCohortImport)
#include "tst_cohort_import.moc"
