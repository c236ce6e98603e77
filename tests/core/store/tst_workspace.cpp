// SPDX-License-Identifier: Apache-2.0
#include "core/store/workspace.h"
#include "core/store/workspace_location.h"

// The tests reach around Workspace with the C API to build databases Workspace itself would never
// write (a newer schema, another program's tables) and to check what is on disk afterwards.
#include <sqlite3.h>

#include <QByteArray>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

using namespace mosaic;

Q_DECLARE_METATYPE(mosaic::ErrorCode)

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

template <typename T> QByteArray failureText(const Result<T> &result)
{
    return result ? QByteArray() : QByteArray::fromStdString(result.error().message());
}

std::filesystem::path toPath(const QString &path)
{
    return std::filesystem::path(path.toStdU16String());
}

struct DatabaseCloser
{
    void operator()(sqlite3 *database) const { sqlite3_close_v2(database); }
};
using DatabaseHandle = std::unique_ptr<sqlite3, DatabaseCloser>;

DatabaseHandle openRaw(const QString &path)
{
    sqlite3 *database = nullptr;
    const int opened = sqlite3_open_v2(
        path.toUtf8().constData(), &database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    DatabaseHandle handle(database);
    return opened == SQLITE_OK ? std::move(handle) : nullptr;
}

bool executeRaw(const QString &path, const char *sql)
{
    const auto database = openRaw(path);
    return database && sqlite3_exec(database.get(), sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

// Any single integer a query returns, e.g. PRAGMA user_version; nullopt when it fails.
std::optional<long long> queryInteger(const QString &path, const char *sql)
{
    const auto database = openRaw(path);
    if (!database)
        return std::nullopt;
    sqlite3_stmt *statement = nullptr;
    if (sqlite3_prepare_v2(database.get(), sql, -1, &statement, nullptr) != SQLITE_OK)
        return std::nullopt;
    std::optional<long long> value;
    if (sqlite3_step(statement) == SQLITE_ROW)
        value = sqlite3_column_int64(statement, 0);
    sqlite3_finalize(statement);
    return value;
}

std::shared_ptr<const FeatureSchema> makeSchema()
{
    auto schema = FeatureSchema::fromDefinitions({
        { "Creatinine", Modality::Records, "mg/dL", "Serum creatinine" },
        { "Ejection.Fraction", Modality::Records, "%", "Left ventricular ejection fraction" },
        { "stat_mean", Modality::Imaging, "HU", "Mean intensity in the ROI" },
    });
    if (!schema)
        qFatal("test schema refused: %s", schema.error().message().c_str());
    return std::make_shared<const FeatureSchema>(std::move(*schema));
}

// Sets or unsets environment variables for one test and puts back what was there.
class EnvironmentOverride
{
public:
    void set(const char *name, const QString &value)
    {
        remember(name);
        qputenv(name, value.toLocal8Bit());
    }
    void unset(const char *name)
    {
        remember(name);
        qunsetenv(name);
    }
    ~EnvironmentOverride()
    {
        for (const auto &saved : m_saved) {
            if (saved.wasSet)
                qputenv(saved.name.constData(), saved.value);
            else
                qunsetenv(saved.name.constData());
        }
    }

private:
    struct Saved
    {
        QByteArray name;
        bool wasSet = false;
        QByteArray value;
    };
    void remember(const char *name)
    {
        for (const auto &saved : m_saved) {
            if (saved.name == name)
                return;
        }
        m_saved.push_back({ name, qEnvironmentVariableIsSet(name), qgetenv(name) });
    }
    std::vector<Saved> m_saved;
};

const QString kUnset = QStringLiteral("(unset)");

} // namespace

class TestWorkspace : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void createsWorkspaceAndParentFolders();
    void reopeningKeepsEverything();
    void secondConnectionSeesCommittedData();
    void movedWorkspaceKeepsItsDatabase();
    void timestampsAreIsoUtc();

    void refusesEmptyExternalId();
    void refusesDuplicateExternalIdWithoutNamingIt();
    void unknownPatientIsNotFound();

    void committedTransactionKeepsItsRows();
    void failedTransactionLeavesNoRows_data();
    void failedTransactionLeavesNoRows();
    void nestedTransactionsCommitOnlyWithTheOuter();
    void failedStoreInsideTransactionUndoesOnlyItself();

    void refusesNonSqliteFile_data();
    void refusesNonSqliteFile();
    void refusesNewerSchemaAndLeavesItUntouched();
    void refusesAnotherProgramsDatabase();
    void migratesVersionZero_data();
    void migratesVersionZero();
    void migratesVersionOneKeepingItsData();

    void trustedKeysAreAddedListedAndRemoved();
    void refusesTamperedTrustedKeyRows_data();
    void refusesTamperedTrustedKeyRows();
    void signingKeyIsMadeOnceAndTrusted();

    void storeFeaturesForUnknownPatientIsNotFound();
    void storeFeaturesReplacesByName();
    void featuresOutsideTheSchemaAreIgnored();

    void predictionProbability_data();
    void predictionProbability();
    void predictionForUnknownPatientOrModelIsNotFound();
    void latestModelOfEmptyWorkspaceIsNotFound();
    void latestModelIsTheLastAdded();

    void defaultDataDirectory_data();
    void defaultDataDirectory();

private:
    QString filePath(const QString &name) const { return m_directory->filePath(name); }
    Workspace openWorkspace(const QString &name = QStringLiteral("workspace.sqlite"));

    std::unique_ptr<QTemporaryDir> m_directory;
};

void TestWorkspace::init()
{
    m_directory = std::make_unique<QTemporaryDir>();
    QVERIFY(m_directory->isValid());
}

void TestWorkspace::cleanup()
{
    m_directory.reset();
}

Workspace TestWorkspace::openWorkspace(const QString &name)
{
    auto workspace = Workspace::open(toPath(filePath(name)));
    if (!workspace)
        qFatal("cannot open test workspace: %s", workspace.error().message().c_str());
    return std::move(*workspace);
}

void TestWorkspace::createsWorkspaceAndParentFolders()
{
    const QString path = filePath(QStringLiteral("site/reader 1/workspace.sqlite"));
    auto workspace = Workspace::open(toPath(path));
    QVERIFY2(workspace, failureText(workspace).constData());
    QVERIFY(QFile::exists(path));
    QCOMPARE(workspace->path(), toPath(path));
    const auto version = workspace->schemaVersion();
    QVERIFY2(version, failureText(version).constData());
    QCOMPARE(*version, Workspace::kSchemaVersion);
    const auto patients = workspace->patients();
    QVERIFY2(patients, failureText(patients).constData());
    QVERIFY(patients->empty());
    QCOMPARE(queryInteger(path, "PRAGMA user_version"), std::optional<long long>(Workspace::kSchemaVersion));
}

void TestWorkspace::reopeningKeepsEverything()
{
    const auto schema = makeSchema();
    std::int64_t patientId = 0;
    std::int64_t modelId = 0;
    {
        Workspace workspace = openWorkspace();
        const auto patient = workspace.addPatient("HF-0042", "heart_failure_S1Data.csv");
        QVERIFY2(patient, failureText(patient).constData());
        patientId = *patient;

        FeatureVector features(schema);
        features.set(0, 1.9, { "heart_failure_S1Data.csv", "line 14, column 'Creatinine'" });
        features.set(
            1, kMissing, { "heart_failure_S1Data.csv", "line 14, column 'Ejection.Fraction' (empty)" });
        const auto stored = workspace.storeFeatures(patientId, features);
        QVERIFY2(stored, failureText(stored).constData());

        const auto model = workspace.addModel("heart failure mortality", R"({"format": "mosaic-bundle"})");
        QVERIFY2(model, failureText(model).constData());
        modelId = *model;
        const auto prediction = workspace.addPrediction(patientId, modelId, 0.27, R"({"Creatinine": 0.8})");
        QVERIFY2(prediction, failureText(prediction).constData());
    }

    Workspace workspace = openWorkspace();
    const auto patients = workspace.patients();
    QVERIFY2(patients, failureText(patients).constData());
    QCOMPARE(patients->size(), std::size_t(1));
    QCOMPARE(patients->front().id, patientId);
    QCOMPARE(QString::fromStdString(patients->front().externalId), QStringLiteral("HF-0042"));
    QCOMPARE(QString::fromStdString(patients->front().source), QStringLiteral("heart_failure_S1Data.csv"));
    const auto single = workspace.patient(patientId);
    QVERIFY2(single, failureText(single).constData());
    QCOMPARE(QString::fromStdString(single->externalId), QStringLiteral("HF-0042"));

    const auto features = workspace.features(patientId, schema);
    QVERIFY2(features, failureText(features).constData());
    QCOMPARE(features->value(0), 1.9);
    QCOMPARE(
        features->provenance(0), (Provenance { "heart_failure_S1Data.csv", "line 14, column 'Creatinine'" }));
    QVERIFY(features->isMissing(1));
    QCOMPARE(features->provenance(1),
        (Provenance { "heart_failure_S1Data.csv", "line 14, column 'Ejection.Fraction' (empty)" }));
    QVERIFY(features->isMissing(2));
    QCOMPARE(features->provenance(2), Provenance {});

    const auto models = workspace.models();
    QVERIFY2(models, failureText(models).constData());
    QCOMPARE(models->size(), std::size_t(1));
    QCOMPARE(models->front().id, modelId);
    QCOMPARE(QString::fromStdString(models->front().name), QStringLiteral("heart failure mortality"));
    QCOMPARE(
        QString::fromStdString(models->front().bundleJson), QStringLiteral(R"({"format": "mosaic-bundle"})"));

    const auto predictions = workspace.predictions(patientId);
    QVERIFY2(predictions, failureText(predictions).constData());
    QCOMPARE(predictions->size(), std::size_t(1));
    QCOMPARE(predictions->front().patientId, patientId);
    QCOMPARE(predictions->front().modelId, modelId);
    QCOMPARE(predictions->front().probability, 0.27);
    QCOMPARE(QString::fromStdString(predictions->front().explanationJson),
        QStringLiteral(R"({"Creatinine": 0.8})"));
}

void TestWorkspace::secondConnectionSeesCommittedData()
{
    Workspace first = openWorkspace();
    Workspace second = openWorkspace();
    const auto added = first.addPatient("P-1", "cohort.csv");
    QVERIFY2(added, failureText(added).constData());
    const auto patients = second.patients();
    QVERIFY2(patients, failureText(patients).constData());
    QCOMPARE(patients->size(), std::size_t(1));
}

void TestWorkspace::movedWorkspaceKeepsItsDatabase()
{
    Workspace first = openWorkspace(QStringLiteral("first.sqlite"));
    Workspace second = openWorkspace(QStringLiteral("second.sqlite"));
    QVERIFY(second.addPatient("P-2", "cohort.csv"));
    first = std::move(second);
    QCOMPARE(first.path(), toPath(filePath(QStringLiteral("second.sqlite"))));
    Workspace third(std::move(first));
    const auto patients = third.patients();
    QVERIFY2(patients, failureText(patients).constData());
    QCOMPARE(patients->size(), std::size_t(1));
}

void TestWorkspace::timestampsAreIsoUtc()
{
    Workspace workspace = openWorkspace();
    const auto patientId = workspace.addPatient("P-1", "cohort.csv");
    QVERIFY2(patientId, failureText(patientId).constData());
    const auto patient = workspace.patient(*patientId);
    QVERIFY2(patient, failureText(patient).constData());
    const QRegularExpression iso(QStringLiteral(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$)"));
    QVERIFY2(iso.match(QString::fromStdString(patient->createdAt)).hasMatch(), patient->createdAt.c_str());
}

void TestWorkspace::refusesEmptyExternalId()
{
    Workspace workspace = openWorkspace();
    const auto added = workspace.addPatient("", "cohort.csv");
    QVERIFY(!added);
    QCOMPARE(added.error().code, ErrorCode::InvalidArgument);
}

void TestWorkspace::refusesDuplicateExternalIdWithoutNamingIt()
{
    Workspace workspace = openWorkspace();
    QVERIFY(workspace.addPatient("MRN-7731904", "cohort.csv"));
    const auto duplicate = workspace.addPatient("MRN-7731904", "other.csv");
    QVERIFY(!duplicate);
    QCOMPARE(duplicate.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(duplicate.error().message().find("7731904") == std::string::npos,
        duplicate.error().message().c_str());
    QVERIFY(duplicate.error().detail.find("already in the workspace") != std::string::npos);
    const auto patients = workspace.patients();
    QVERIFY2(patients, failureText(patients).constData());
    QCOMPARE(patients->size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(patients->front().source), QStringLiteral("cohort.csv"));
}

void TestWorkspace::unknownPatientIsNotFound()
{
    Workspace workspace = openWorkspace();
    const auto patient = workspace.patient(12);
    QVERIFY(!patient);
    QCOMPARE(patient.error().code, ErrorCode::NotFound);
    const auto features = workspace.features(12, makeSchema());
    QVERIFY(!features);
    QCOMPARE(features.error().code, ErrorCode::NotFound);
    const auto predictions = workspace.predictions(12);
    QVERIFY(!predictions);
    QCOMPARE(predictions.error().code, ErrorCode::NotFound);
}

void TestWorkspace::committedTransactionKeepsItsRows()
{
    Workspace workspace = openWorkspace();
    const auto committed = workspace.inTransaction([&]() -> Result<void> {
        for (const char *id : { "P-1", "P-2" }) {
            if (auto added = workspace.addPatient(id, "cohort.csv"); !added)
                return std::unexpected(added.error());
        }
        return {};
    });
    QVERIFY2(committed, failureText(committed).constData());
    const auto patients = workspace.patients();
    QVERIFY2(patients, failureText(patients).constData());
    QCOMPARE(patients->size(), std::size_t(2));
}

void TestWorkspace::failedTransactionLeavesNoRows_data()
{
    QTest::addColumn<bool>("throws");
    QTest::addColumn<ErrorCode>("expectedCode");
    QTest::newRow("work returns an error after adding a patient") << false << ErrorCode::Malformed;
    QTest::newRow("work throws after adding a patient") << true << ErrorCode::StorageFailure;
}

void TestWorkspace::failedTransactionLeavesNoRows()
{
    QFETCH(bool, throws);
    QFETCH(ErrorCode, expectedCode);
    Workspace workspace = openWorkspace();
    QVERIFY(workspace.addPatient("P-before", "cohort.csv"));

    const auto outcome = workspace.inTransaction([&]() -> Result<void> {
        if (auto added = workspace.addPatient("P-half-imported", "cohort.csv"); !added)
            return std::unexpected(added.error());
        if (throws)
            throw std::runtime_error("row for P-half-imported broke the parser");
        return fail(
            ErrorCode::Malformed, "cell is not a number: 'abc'", "cohort.csv, line 12, column 'Sodium'");
    });
    QVERIFY(!outcome);
    QCOMPARE(outcome.error().code, expectedCode);
    if (!throws)
        QCOMPARE(
            QString::fromStdString(outcome.error().detail), QStringLiteral("cell is not a number: 'abc'"));
    QVERIFY2(outcome.error().message().find("P-half-imported") == std::string::npos,
        outcome.error().message().c_str());

    const auto patients = workspace.patients();
    QVERIFY2(patients, failureText(patients).constData());
    QCOMPARE(patients->size(), std::size_t(1));
    QCOMPARE(QString::fromStdString(patients->front().externalId), QStringLiteral("P-before"));
    // The connection is usable again: no transaction was left open.
    QVERIFY(workspace.inTransaction([] { return Result<void> {}; }));
}

void TestWorkspace::nestedTransactionsCommitOnlyWithTheOuter()
{
    // A failed inner transaction undoes only its own work; the outer one still commits.
    {
        Workspace workspace = openWorkspace(QStringLiteral("inner-fails.sqlite"));
        Result<void> inner;
        const auto outer = workspace.inTransaction([&]() -> Result<void> {
            if (auto added = workspace.addPatient("P-outer", "cohort.csv"); !added)
                return std::unexpected(added.error());
            inner = workspace.inTransaction([&]() -> Result<void> {
                if (auto added = workspace.addPatient("P-inner", "cohort.csv"); !added)
                    return std::unexpected(added.error());
                return fail(ErrorCode::Malformed, "the inner import found a bad row");
            });
            return {};
        });
        QVERIFY2(outer, failureText(outer).constData());
        QVERIFY(!inner);
        QCOMPARE(inner.error().code, ErrorCode::Malformed);
        const auto patients = workspace.patients();
        QVERIFY2(patients, failureText(patients).constData());
        QCOMPARE(patients->size(), std::size_t(1));
        QCOMPARE(QString::fromStdString(patients->front().externalId), QStringLiteral("P-outer"));
    }
    // A successful inner transaction is undone with a failed outer one: nothing is half-written.
    {
        Workspace workspace = openWorkspace(QStringLiteral("outer-fails.sqlite"));
        Result<void> inner;
        const auto outer = workspace.inTransaction([&]() -> Result<void> {
            inner = workspace.inTransaction([&]() -> Result<void> {
                if (auto added = workspace.addPatient("P-inner", "cohort.csv"); !added)
                    return std::unexpected(added.error());
                return {};
            });
            return fail(ErrorCode::ModelFailure, "training failed after the import");
        });
        QVERIFY(inner);
        QVERIFY(!outer);
        const auto patients = workspace.patients();
        QVERIFY2(patients, failureText(patients).constData());
        QVERIFY(patients->empty());
    }
}

void TestWorkspace::failedStoreInsideTransactionUndoesOnlyItself()
{
    Workspace workspace = openWorkspace();
    FeatureVector features(makeSchema());
    features.set(0, 1.1, { "cohort.csv", "line 2" });
    Result<void> store;
    std::int64_t patientId = 0;
    const auto outer = workspace.inTransaction([&]() -> Result<void> {
        auto added = workspace.addPatient("P-1", "cohort.csv");
        if (!added)
            return std::unexpected(added.error());
        patientId = *added;
        store = workspace.storeFeatures(*added + 100, features);
        return workspace.storeFeatures(*added, features);
    });
    QVERIFY2(outer, failureText(outer).constData());
    QVERIFY(!store);
    QCOMPARE(store.error().code, ErrorCode::NotFound);
    const auto stored = workspace.features(patientId, features.sharedSchema());
    QVERIFY2(stored, failureText(stored).constData());
    QCOMPARE(stored->value(0), 1.1);
}

void TestWorkspace::refusesNonSqliteFile_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::newRow("a CSV file renamed .sqlite")
        << QByteArray("patient,age,creatinine\nHF-0042,61,1.9\nHF-0043,74,\n");
    QTest::newRow("a few binary bytes") << QByteArray("\x89PNG\r\n\x1a\n\x00\x00", 10);
    QTest::newRow("the SQLite magic followed by an impossible header")
        << (QByteArray("SQLite format 3", 16) + QByteArray(4080, '\xff'));
}

void TestWorkspace::refusesNonSqliteFile()
{
    QFETCH(QByteArray, content);
    const QString path = filePath(QStringLiteral("cohort.sqlite"));
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QCOMPARE(file.write(content), content.size());
    }

    const auto workspace = Workspace::open(toPath(path));
    QVERIFY(!workspace);
    QCOMPARE(workspace.error().code, ErrorCode::Malformed);
    QVERIFY2(workspace.error().message().find("cohort.sqlite") != std::string::npos,
        workspace.error().message().c_str());
    QVERIFY2(workspace.error().message().find("HF-0042") == std::string::npos,
        workspace.error().message().c_str());

    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), content);
    QVERIFY(!QFile::exists(path + QStringLiteral("-wal")));
    QVERIFY(!QFile::exists(path + QStringLiteral("-journal")));
}

void TestWorkspace::refusesNewerSchemaAndLeavesItUntouched()
{
    const QString path = filePath(QStringLiteral("future.sqlite"));
    QVERIFY(executeRaw(path, "CREATE TABLE cases (id INTEGER PRIMARY KEY); PRAGMA user_version = 99;"));
    const auto journalMode = [&] {
        const auto database = openRaw(path);
        sqlite3_stmt *statement = nullptr;
        sqlite3_prepare_v2(database.get(), "PRAGMA journal_mode", -1, &statement, nullptr);
        QString mode;
        if (sqlite3_step(statement) == SQLITE_ROW)
            mode = QString::fromUtf8(reinterpret_cast<const char *>(sqlite3_column_text(statement, 0)));
        sqlite3_finalize(statement);
        return mode;
    };
    const QString modeBefore = journalMode();

    const auto workspace = Workspace::open(toPath(path));
    QVERIFY(!workspace);
    QCOMPARE(workspace.error().code, ErrorCode::Unsupported);
    QVERIFY2(workspace.error().detail.find("newer Mosaic (schema 99, this one reads up to 2)")
            != std::string::npos,
        workspace.error().detail.c_str());

    QCOMPARE(queryInteger(path, "PRAGMA user_version"), std::optional<long long>(99));
    QCOMPARE(queryInteger(path, "SELECT count(*) FROM sqlite_master WHERE name = 'patients'"),
        std::optional<long long>(0));
    QCOMPARE(journalMode(), modeBefore);
}

void TestWorkspace::refusesAnotherProgramsDatabase()
{
    const QString path = filePath(QStringLiteral("places.sqlite"));
    QVERIFY(executeRaw(path, "CREATE TABLE moz_places (id INTEGER PRIMARY KEY, url TEXT);"));
    const auto workspace = Workspace::open(toPath(path));
    QVERIFY(!workspace);
    QCOMPARE(workspace.error().code, ErrorCode::Malformed);
    QCOMPARE(queryInteger(path, "SELECT count(*) FROM sqlite_master"), std::optional<long long>(1));
    QCOMPARE(queryInteger(path, "PRAGMA user_version"), std::optional<long long>(0));
}

void TestWorkspace::migratesVersionZero_data()
{
    QTest::addColumn<QByteArray>("setupSql"); // empty: a zero-byte file
    QTest::newRow("a zero-byte file") << QByteArray();
    QTest::newRow("an SQLite database with no tables and user_version 0")
        << QByteArray("CREATE TABLE scratch (x); DROP TABLE scratch;");
}

void TestWorkspace::migratesVersionZero()
{
    QFETCH(QByteArray, setupSql);
    const QString path = filePath(QStringLiteral("old.sqlite"));
    if (setupSql.isEmpty()) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
    } else {
        QVERIFY(executeRaw(path, setupSql.constData()));
        QVERIFY(QFileInfo(path).size() > 0);
    }
    QCOMPARE(queryInteger(path, "PRAGMA user_version"), std::optional<long long>(0));

    auto workspace = Workspace::open(toPath(path));
    QVERIFY2(workspace, failureText(workspace).constData());
    const auto version = workspace->schemaVersion();
    QVERIFY2(version, failureText(version).constData());
    QCOMPARE(*version, Workspace::kSchemaVersion);
    QVERIFY(workspace->addPatient("P-1", "cohort.csv"));
    QCOMPARE(queryInteger(path, "SELECT count(*) FROM patients"), std::optional<long long>(1));
}

void TestWorkspace::migratesVersionOneKeepingItsData()
{
    // A schema-1 workspace as Mosaic wrote it before trusted keys, with a patient and a model.
    const QString path = filePath(QStringLiteral("version1.sqlite"));
    QVERIFY(executeRaw(path, R"sql(
CREATE TABLE patients (id INTEGER PRIMARY KEY, external_id TEXT NOT NULL UNIQUE, source TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE TABLE patient_features (patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    name TEXT NOT NULL, value REAL, source TEXT NOT NULL, location TEXT NOT NULL, PRIMARY KEY (patient_id, name));
CREATE TABLE models (id INTEGER PRIMARY KEY, name TEXT NOT NULL, created_at TEXT NOT NULL, bundle TEXT NOT NULL);
CREATE TABLE predictions (id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    model_id INTEGER NOT NULL REFERENCES models(id),
    probability REAL NOT NULL CHECK (probability BETWEEN 0 AND 1), explanation TEXT NOT NULL,
    created_at TEXT NOT NULL);
CREATE INDEX predictions_by_patient ON predictions (patient_id);
INSERT INTO patients VALUES (1, 'P-1', 'cohort.csv', '2026-11-25T17:49:00Z');
INSERT INTO models VALUES (1, 'old model', '2026-11-25T17:49:00Z', '{}');
PRAGMA user_version = 1;
)sql"));

    auto workspace = Workspace::open(toPath(path));
    QVERIFY2(workspace, failureText(workspace).constData());
    QCOMPARE(*workspace->schemaVersion(), 2);
    QCOMPARE(queryInteger(path, "PRAGMA user_version"), std::optional<long long>(2));
    QCOMPARE(workspace->patients()->size(), std::size_t { 1 });
    QCOMPARE(workspace->models()->front().name, std::string("old model"));
    auto keys = workspace->trustedKeyList();
    QVERIFY2(keys, failureText(keys).constData());
    QVERIFY(keys->empty());
    QCOMPARE(queryInteger(path, "SELECT count(*) FROM workspace_signing_key"), std::optional<long long>(0));
}

void TestWorkspace::trustedKeysAreAddedListedAndRemoved()
{
    auto site = SigningKey::generate();
    auto other = SigningKey::generate();
    QVERIFY(site && other);
    {
        Workspace workspace = openWorkspace();
        auto id = workspace.addTrustedKey("Cardiology models", site->publicKey());
        QVERIFY2(id, failureText(id).constData());
        QCOMPARE(*id, site->keyId());
        QVERIFY(workspace.addTrustedKey("Oncology models", other->publicKey()));

        auto again = workspace.addTrustedKey("Same key, other name", site->publicKey());
        QVERIFY(!again);
        QCOMPARE(again.error().code, ErrorCode::InvalidArgument);
        QCOMPARE(
            again.error().detail, "key " + site->keyId() + " is already trusted, as 'Cardiology models'");
        QCOMPARE(workspace.addTrustedKey("", other->publicKey()).error().code, ErrorCode::InvalidArgument);
    }
    // Reopened: what was added is on disk.
    Workspace workspace = openWorkspace();
    auto list = workspace.trustedKeyList();
    QVERIFY2(list, failureText(list).constData());
    QCOMPARE(list->size(), std::size_t { 2 });
    QCOMPARE(list->at(0).name, std::string("Cardiology models"));
    QCOMPARE(list->at(0).keyId, site->keyId());
    // Base64 by Qt, independently of libsodium.
    const QByteArray raw(reinterpret_cast<const char *>(site->publicKey().data()), 32);
    QCOMPARE(QByteArray::fromStdString(list->at(0).publicKey), raw.toBase64());
    QVERIFY(QRegularExpression(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$)")
                .match(QString::fromStdString(list->at(0).addedAt))
                .hasMatch());

    auto keys = workspace.trustedKeys();
    QVERIFY2(keys, failureText(keys).constData());
    QCOMPARE(keys->size(), std::size_t { 2 });
    QCOMPARE(keys->find(other->keyId())->publicKey, other->publicKey());

    QVERIFY(workspace.removeTrustedKey(site->keyId()));
    QVERIFY(workspace.trustedKeys()->find(site->keyId()) == nullptr);
    auto removedTwice = workspace.removeTrustedKey(site->keyId());
    QVERIFY(!removedTwice);
    QCOMPARE(removedTwice.error().code, ErrorCode::NotFound);
    QCOMPARE(workspace.trustedKeyList()->size(), std::size_t { 1 });
}

void TestWorkspace::refusesTamperedTrustedKeyRows_data()
{
    QTest::addColumn<QByteArray>("update");
    QTest::addColumn<mosaic::ErrorCode>("expected");
    QTest::addColumn<QString>("detail");

    QTest::newRow("key id of another key")
        << QByteArray("UPDATE trusted_keys SET key_id = '0123456789abcdef'") << ErrorCode::IntegrityFailed
        << "is not the id of the stored public key";
    QTest::newRow("public key cut short")
        << QByteArray("UPDATE trusted_keys SET public_key = substr(public_key, 1, 40)")
        << ErrorCode::Malformed << "40 characters of base64";
    QTest::newRow("public key of a megabyte")
        << QByteArray("UPDATE trusted_keys SET public_key = hex(zeroblob(524288))") << ErrorCode::Malformed
        << "1048576 characters of base64";
}

void TestWorkspace::refusesTamperedTrustedKeyRows()
{
    QFETCH(QByteArray, update);
    QFETCH(mosaic::ErrorCode, expected);
    QFETCH(QString, detail);
    auto site = SigningKey::generate();
    QVERIFY(site);
    {
        Workspace workspace = openWorkspace();
        QVERIFY(workspace.addTrustedKey("Cardiology models", site->publicKey()));
    }
    QVERIFY(executeRaw(filePath(QStringLiteral("workspace.sqlite")), update.constData()));
    Workspace workspace = openWorkspace();
    auto keys = workspace.trustedKeys();
    QVERIFY(!keys);
    QCOMPARE(keys.error().code, expected);
    QVERIFY2(QString::fromStdString(keys.error().detail).contains(detail), keys.error().message().c_str());
}

void TestWorkspace::signingKeyIsMadeOnceAndTrusted()
{
    std::string keyId;
    {
        Workspace workspace = openWorkspace();
        QVERIFY(workspace.trustedKeyList()->empty());
        auto key = workspace.signingKey();
        QVERIFY2(key, failureText(key).constData());
        keyId = key->keyId();
        auto keys = workspace.trustedKeys();
        QVERIFY2(keys, failureText(keys).constData());
        QCOMPARE(keys->size(), std::size_t { 1 });
        QCOMPARE(keys->find(keyId)->name, std::string("this workspace (models trained here)"));
        // A message the workspace key signs verifies with the trusted copy of its public key.
        QVERIFY(verifySignature(keys->find(keyId)->publicKey, "model", key->sign("model")));
    }
    Workspace workspace = openWorkspace();
    auto again = workspace.signingKey();
    QVERIFY2(again, failureText(again).constData());
    QCOMPARE(again->keyId(), keyId);
    QCOMPARE(workspace.trustedKeyList()->size(), std::size_t { 1 });
    QCOMPARE(queryInteger(
                 filePath(QStringLiteral("workspace.sqlite")), "SELECT count(*) FROM workspace_signing_key"),
        std::optional<long long>(1));
    auto removed = workspace.removeTrustedKey(keyId);
    QVERIFY(!removed);
    QCOMPARE(removed.error().code, ErrorCode::InvalidArgument);
    QVERIFY(workspace.trustedKeys()->find(keyId) != nullptr);
}

void TestWorkspace::storeFeaturesForUnknownPatientIsNotFound()
{
    Workspace workspace = openWorkspace();
    FeatureVector features(makeSchema());
    features.set(0, 1.2, { "cohort.csv", "line 3" });
    const auto stored = workspace.storeFeatures(7, features);
    QVERIFY(!stored);
    QCOMPARE(stored.error().code, ErrorCode::NotFound);
    QCOMPARE(
        queryInteger(filePath(QStringLiteral("workspace.sqlite")), "SELECT count(*) FROM patient_features"),
        std::optional<long long>(0));
}

void TestWorkspace::storeFeaturesReplacesByName()
{
    Workspace workspace = openWorkspace();
    const auto schema = makeSchema();
    const auto patientId = workspace.addPatient("P-1", "cohort.csv");
    QVERIFY2(patientId, failureText(patientId).constData());

    FeatureVector first(schema);
    first.set(0, 1.2, { "cohort.csv", "line 3, column 'Creatinine'" });
    first.set(2, 41.5, { "CT 1.2.840.1", "ROI 'GTV'" });
    QVERIFY(workspace.storeFeatures(*patientId, first));

    // A later import of the records only: creatinine now missing, imaging untouched.
    const auto recordsSchema = std::make_shared<const FeatureSchema>(
        *FeatureSchema::fromDefinitions({ { "Creatinine", Modality::Records, "mg/dL", "" } }));
    FeatureVector second(recordsSchema);
    second.set(0, kMissing, { "cohort-2.csv", "line 9, column 'Creatinine' (empty)" });
    const auto stored = workspace.storeFeatures(*patientId, second);
    QVERIFY2(stored, failureText(stored).constData());

    const auto features = workspace.features(*patientId, schema);
    QVERIFY2(features, failureText(features).constData());
    QVERIFY(features->isMissing(0));
    QCOMPARE(features->provenance(0), (Provenance { "cohort-2.csv", "line 9, column 'Creatinine' (empty)" }));
    QCOMPARE(features->value(2), 41.5);
    QCOMPARE(features->provenance(2), (Provenance { "CT 1.2.840.1", "ROI 'GTV'" }));
}

void TestWorkspace::featuresOutsideTheSchemaAreIgnored()
{
    Workspace workspace = openWorkspace();
    const auto patientId = workspace.addPatient("P-1", "cohort.csv");
    QVERIFY2(patientId, failureText(patientId).constData());
    FeatureVector full(makeSchema());
    full.set(1, 35.0, { "echo.csv", "line 4" });
    full.set(2, 12.0, { "CT 1.2.3", "ROI 'GTV'" });
    QVERIFY(workspace.storeFeatures(*patientId, full));

    const auto narrowSchema = std::make_shared<const FeatureSchema>(
        *FeatureSchema::fromDefinitions({ { "Ejection.Fraction", Modality::Records, "%", "" },
            { "Sodium", Modality::Records, "mmol/L", "" } }));
    const auto features = workspace.features(*patientId, narrowSchema);
    QVERIFY2(features, failureText(features).constData());
    QCOMPARE(features->size(), std::size_t(2));
    QCOMPARE(features->value(0), 35.0);
    QVERIFY(features->isMissing(1));
    QCOMPARE(features->provenance(1), Provenance {});
}

void TestWorkspace::predictionProbability_data()
{
    QTest::addColumn<double>("probability");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("exactly zero is a probability") << 0.0 << true;
    QTest::newRow("exactly one is a probability") << 1.0 << true;
    QTest::newRow("1.5 is not a probability") << 1.5 << false;
    QTest::newRow("a negative value is not a probability") << -0.01 << false;
    QTest::newRow("NaN is not a probability") << kMissing << false;
    QTest::newRow("infinity is not a probability") << std::numeric_limits<double>::infinity() << false;
}

void TestWorkspace::predictionProbability()
{
    QFETCH(double, probability);
    QFETCH(bool, accepted);
    Workspace workspace = openWorkspace();
    const auto patientId = workspace.addPatient("P-1", "cohort.csv");
    const auto modelId = workspace.addModel("mortality", "{}");
    QVERIFY(patientId && modelId);

    const auto prediction = workspace.addPrediction(*patientId, *modelId, probability, "{}");
    QCOMPARE(bool(prediction), accepted);
    if (!accepted)
        QCOMPARE(prediction.error().code, ErrorCode::InvalidArgument);
    const auto predictions = workspace.predictions(*patientId);
    QVERIFY2(predictions, failureText(predictions).constData());
    QCOMPARE(predictions->size(), std::size_t(accepted ? 1 : 0));
}

void TestWorkspace::predictionForUnknownPatientOrModelIsNotFound()
{
    Workspace workspace = openWorkspace();
    const auto patientId = workspace.addPatient("P-1", "cohort.csv");
    const auto modelId = workspace.addModel("mortality", "{}");
    QVERIFY(patientId && modelId);

    const auto unknownModel = workspace.addPrediction(*patientId, *modelId + 1, 0.5, "{}");
    QVERIFY(!unknownModel);
    QCOMPARE(unknownModel.error().code, ErrorCode::NotFound);
    const auto unknownPatient = workspace.addPrediction(*patientId + 1, *modelId, 0.5, "{}");
    QVERIFY(!unknownPatient);
    QCOMPARE(unknownPatient.error().code, ErrorCode::NotFound);
}

void TestWorkspace::latestModelOfEmptyWorkspaceIsNotFound()
{
    Workspace workspace = openWorkspace();
    const auto latest = workspace.latestModel();
    QVERIFY(!latest);
    QCOMPARE(latest.error().code, ErrorCode::NotFound);
    const auto models = workspace.models();
    QVERIFY2(models, failureText(models).constData());
    QVERIFY(models->empty());
}

void TestWorkspace::latestModelIsTheLastAdded()
{
    Workspace workspace = openWorkspace();
    QVERIFY(workspace.addModel("first", R"({"version": 1})"));
    const auto second = workspace.addModel("second", R"({"version": 2})");
    QVERIFY2(second, failureText(second).constData());
    const auto latest = workspace.latestModel();
    QVERIFY2(latest, failureText(latest).constData());
    QCOMPARE(latest->id, *second);
    QCOMPARE(QString::fromStdString(latest->name), QStringLiteral("second"));
    QCOMPARE(QString::fromStdString(latest->bundleJson), QStringLiteral(R"({"version": 2})"));
}

void TestWorkspace::defaultDataDirectory_data()
{
    QTest::addColumn<QString>("mosaicDataDir");
    QTest::addColumn<QString>("xdgDataHome");
    QTest::addColumn<QString>("home");
    QTest::addColumn<QString>("expected"); // empty: NotFound

    QTest::newRow("MOSAIC_DATA_DIR wins over everything") << "/srv/mosaic"
                                                          << "/home/reader/.data"
                                                          << "/home/reader"
                                                          << "/srv/mosaic";
#ifndef _WIN32
    QTest::newRow("an empty MOSAIC_DATA_DIR is no preference") << "" << kUnset << "/home/reader"
                                                               << "/home/reader/.local/share/Mosaic";
    QTest::newRow("XDG_DATA_HOME when set") << kUnset << "/home/reader/.data"
                                            << "/home/reader"
                                            << "/home/reader/.data/Mosaic";
    QTest::newRow("a relative XDG_DATA_HOME is ignored, as the XDG spec says")
        << kUnset << "relative/data"
        << "/home/reader"
        << "/home/reader/.local/share/Mosaic";
    QTest::newRow("HOME when nothing else is set") << kUnset << kUnset << "/home/reader"
                                                   << "/home/reader/.local/share/Mosaic";
    QTest::newRow("nothing set is NotFound") << kUnset << kUnset << kUnset << "";
#endif
}

void TestWorkspace::defaultDataDirectory()
{
    QFETCH(QString, mosaicDataDir);
    QFETCH(QString, xdgDataHome);
    QFETCH(QString, home);
    QFETCH(QString, expected);

    EnvironmentOverride environment;
    const auto apply = [&](const char *name, const QString &value) {
        if (value == kUnset)
            environment.unset(name);
        else
            environment.set(name, value);
    };
    apply("MOSAIC_DATA_DIR", mosaicDataDir);
    apply("XDG_DATA_HOME", xdgDataHome);
    apply("HOME", home);

    const auto directory = mosaic::defaultDataDirectory();
    const auto workspacePath = defaultWorkspacePath();
    if (expected.isEmpty()) {
        QVERIFY(!directory);
        QCOMPARE(directory.error().code, ErrorCode::NotFound);
        QVERIFY(!workspacePath);
        return;
    }
    QVERIFY2(directory, failureText(directory).constData());
    QCOMPARE(*directory, toPath(expected));
    QVERIFY2(workspacePath, failureText(workspacePath).constData());
    QCOMPARE(*workspacePath, toPath(expected) / "workspace.sqlite");
}

QTEST_APPLESS_MAIN(TestWorkspace)

#include "tst_workspace.moc"
