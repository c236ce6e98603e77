// SPDX-License-Identifier: Apache-2.0
#include "core/store/workspace.h"

#include "core/timestamp.h"

#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <limits>
#include <system_error>
#include <utility>

namespace mosaic {
namespace {

// Migration i takes a workspace from schema version i to i + 1, applied in one transaction together
// with the user_version bump. Append only: a released script never changes, because workspaces out
// there have already run it.
constexpr std::array<std::string_view, Workspace::kSchemaVersion> kMigrations = {
    // 0 -> 1: patients, their feature values with provenance, models and predictions.
    R"sql(
CREATE TABLE patients (
    id INTEGER PRIMARY KEY,
    external_id TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE patient_features (
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL,
    source TEXT NOT NULL,
    location TEXT NOT NULL,
    PRIMARY KEY (patient_id, name)
);
CREATE TABLE models (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    bundle TEXT NOT NULL
);
CREATE TABLE predictions (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
    model_id INTEGER NOT NULL REFERENCES models(id),
    probability REAL NOT NULL CHECK (probability BETWEEN 0 AND 1),
    explanation TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX predictions_by_patient ON predictions (patient_id);
)sql",
    // 1 -> 2: the public keys whose signed model bundles the workspace loads, and the workspace's own
    // signing key for models trained here (one row at most).
    R"sql(
CREATE TABLE trusted_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    public_key TEXT NOT NULL UNIQUE,
    key_id TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL
);
CREATE TABLE workspace_signing_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    secret_key TEXT NOT NULL,
    key_id TEXT NOT NULL,
    created_at TEXT NOT NULL
);
)sql",
};

// Another process waiting on the write lock (a second Mosaic window, a CLI import) is normal on a
// workstation; five seconds covers a large import's commit without leaving the user staring at a
// frozen window.
constexpr int kBusyTimeoutMs = 5000;

// SQLite takes file names in UTF-8 on every platform; path::string() is the ANSI code page on Windows.
std::string utf8Path(const std::filesystem::path &path)
{
    const std::u8string text = path.u8string();
    return std::string(text.begin(), text.end());
}

std::string databaseLocation(sqlite3 *database)
{
    const char *file = sqlite3_db_filename(database, "main");
    return file ? std::string(file) : std::string();
}

// sqlite3_errmsg names the constraint or the I/O problem but never a value, and every value reaches
// SQLite as a bound parameter, so the message cannot carry a patient identifier.
Error storageError(sqlite3 *database, std::string_view operation)
{
    return Error { ErrorCode::StorageFailure, std::string(operation) + " failed: " + sqlite3_errmsg(database),
        databaseLocation(database) };
}

Result<void> execute(sqlite3 *database, const char *sql, std::string_view operation)
{
    assert(database && "use of a moved-from Workspace");
    if (sqlite3_exec(database, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        return std::unexpected(storageError(database, operation));
    return {};
}

// One prepared statement, finalized when it goes out of scope. Binding errors are kept and reported
// by the next step(), so call sites can bind in a chain.
class Statement
{
public:
    // `operation` names what the caller is doing ("storing features") and must outlive the statement.
    static Result<Statement> prepare(sqlite3 *database, std::string_view sql, std::string_view operation)
    {
        assert(database && "use of a moved-from Workspace");
        sqlite3_stmt *statement = nullptr;
        if (sqlite3_prepare_v2(database, sql.data(), static_cast<int>(sql.size()), &statement, nullptr)
            != SQLITE_OK) {
            sqlite3_finalize(statement);
            return std::unexpected(storageError(database, operation));
        }
        return Statement(database, statement, operation);
    }

    Statement(Statement &&other) noexcept
        : m_database(other.m_database)
        , m_statement(std::exchange(other.m_statement, nullptr))
        , m_operation(other.m_operation)
        , m_bindResult(other.m_bindResult)
        , m_failureCode(other.m_failureCode)
    { }
    Statement &operator=(Statement &&) = delete;
    Statement(const Statement &) = delete;
    Statement &operator=(const Statement &) = delete;
    ~Statement() { sqlite3_finalize(m_statement); }

    Statement &bind(int index, std::int64_t value)
    {
        keepBindResult(sqlite3_bind_int64(m_statement, index, value));
        return *this;
    }

    // NaN is how Mosaic spells a missing value; in the database that is NULL.
    Statement &bind(int index, double value)
    {
        keepBindResult(std::isnan(value) ? sqlite3_bind_null(m_statement, index)
                                         : sqlite3_bind_double(m_statement, index, value));
        return *this;
    }

    Statement &bind(int index, std::string_view text)
    {
        keepBindResult(
            sqlite3_bind_text64(m_statement, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
        return *this;
    }

    // True while a row is available, false when the statement is done.
    Result<bool> step()
    {
        if (m_bindResult != SQLITE_OK) {
            m_failureCode = m_bindResult;
            return fail(ErrorCode::StorageFailure,
                std::string(m_operation) + " failed: " + sqlite3_errstr(m_bindResult),
                databaseLocation(m_database));
        }
        const int result = sqlite3_step(m_statement);
        if (result == SQLITE_ROW)
            return true;
        if (result == SQLITE_DONE)
            return false;
        m_failureCode = sqlite3_extended_errcode(m_database);
        return std::unexpected(storageError(m_database, m_operation));
    }

    // For statements that return no rows (INSERT, UPDATE).
    Result<void> run()
    {
        auto stepped = step();
        if (!stepped)
            return std::unexpected(stepped.error());
        return {};
    }

    // Makes the statement ready to run again with new bindings.
    void reset() { sqlite3_reset(m_statement); }

    // The extended SQLite result code of the last failed step, e.g. SQLITE_CONSTRAINT_UNIQUE.
    [[nodiscard]] int failureCode() const { return m_failureCode; }

    [[nodiscard]] bool isNull(int column) const
    {
        return sqlite3_column_type(m_statement, column) == SQLITE_NULL;
    }
    [[nodiscard]] std::int64_t integer(int column) const { return sqlite3_column_int64(m_statement, column); }
    [[nodiscard]] double real(int column) const { return sqlite3_column_double(m_statement, column); }
    [[nodiscard]] std::string text(int column) const
    {
        // sqlite3_column_bytes must follow sqlite3_column_text: it reports the size of that conversion.
        const auto *characters = sqlite3_column_text(m_statement, column);
        const int size = sqlite3_column_bytes(m_statement, column);
        if (!characters)
            return {};
        return std::string(reinterpret_cast<const char *>(characters), static_cast<std::size_t>(size));
    }

private:
    Statement(sqlite3 *database, sqlite3_stmt *statement, std::string_view operation)
        : m_database(database)
        , m_statement(statement)
        , m_operation(operation)
    { }

    void keepBindResult(int result)
    {
        if (m_bindResult == SQLITE_OK)
            m_bindResult = result;
    }

    sqlite3 *m_database = nullptr;
    sqlite3_stmt *m_statement = nullptr;
    std::string_view m_operation;
    int m_bindResult = SQLITE_OK;
    int m_failureCode = SQLITE_OK;
};

// A write that lands whole or not at all, rolled back unless commit() succeeds. Outside a transaction
// it is a BEGIN IMMEDIATE: taking the write lock up front lets a concurrent writer make it wait for
// the busy timeout, where a deferred transaction that read first would fail half-way with
// SQLITE_BUSY. Inside Workspace::inTransaction it is a savepoint, so a failed step undoes only itself
// and leaves the caller's transaction intact.
class WriteScope
{
public:
    static Result<WriteScope> begin(sqlite3 *database, std::string_view operation)
    {
        const bool nested = sqlite3_get_autocommit(database) == 0;
        if (auto begun = execute(database, nested ? "SAVEPOINT mosaic_write" : "BEGIN IMMEDIATE", operation);
            !begun)
            return std::unexpected(begun.error());
        return WriteScope(database, nested, operation);
    }

    WriteScope(WriteScope &&other) noexcept
        : m_database(other.m_database)
        , m_nested(other.m_nested)
        , m_open(std::exchange(other.m_open, false))
        , m_operation(other.m_operation)
    { }
    WriteScope &operator=(WriteScope &&) = delete;
    WriteScope(const WriteScope &) = delete;
    WriteScope &operator=(const WriteScope &) = delete;

    ~WriteScope()
    {
        if (!m_open)
            return;
        // Errors are ignored: SQLite may already have rolled the transaction back itself (disk full,
        // I/O error), and either way nothing of this scope remains.
        if (m_nested) {
            sqlite3_exec(
                m_database, "ROLLBACK TO mosaic_write; RELEASE mosaic_write", nullptr, nullptr, nullptr);
        } else if (sqlite3_get_autocommit(m_database) == 0) {
            sqlite3_exec(m_database, "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }

    Result<void> commit()
    {
        // On failure m_open stays true, so the destructor rolls back what COMMIT could not write.
        auto committed = execute(m_database, m_nested ? "RELEASE mosaic_write" : "COMMIT", m_operation);
        if (committed)
            m_open = false;
        return committed;
    }

private:
    WriteScope(sqlite3 *database, bool nested, std::string_view operation)
        : m_database(database)
        , m_nested(nested)
        , m_open(true)
        , m_operation(operation)
    { }

    sqlite3 *m_database = nullptr;
    bool m_nested = false;
    bool m_open = false;
    std::string_view m_operation;
};

// "1.5" rather than std::to_string's "1.500000".
std::string shortestText(double value)
{
    std::array<char, 32> buffer {};
    const auto written = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return std::string(buffer.data(), written.ptr);
}

Result<int> readUserVersion(sqlite3 *database)
{
    auto statement = Statement::prepare(database, "PRAGMA user_version", "reading the schema version");
    if (!statement)
        return std::unexpected(statement.error());
    auto row = statement->step();
    if (!row)
        return std::unexpected(row.error());
    return *row ? static_cast<int>(statement->integer(0)) : 0;
}

std::unexpected<Error> newerSchemaError(int version, std::string location)
{
    return fail(ErrorCode::Unsupported,
        "the workspace was written by a newer Mosaic (schema " + std::to_string(version)
            + ", this one reads up to " + std::to_string(Workspace::kSchemaVersion) + ")",
        std::move(location));
}

// Brings the schema to kSchemaVersion one migration at a time. The version is read again under the
// write lock, because another Mosaic opening the same workspace may have migrated it meanwhile.
Result<void> migrate(sqlite3 *database)
{
    for (;;) {
        auto scope = WriteScope::begin(database, "upgrading the workspace schema");
        if (!scope)
            return std::unexpected(scope.error());
        auto version = readUserVersion(database);
        if (!version)
            return std::unexpected(version.error());
        if (*version > Workspace::kSchemaVersion)
            return newerSchemaError(*version, databaseLocation(database));
        if (*version == Workspace::kSchemaVersion)
            return {}; // nothing written; the scope ends the read transaction
        const std::string target = std::to_string(*version + 1);
        const std::string operation = "upgrading the workspace schema to version " + target;
        if (auto applied
            = execute(database, kMigrations.at(static_cast<std::size_t>(*version)).data(), operation);
            !applied)
            return applied;
        // PRAGMA takes no bound parameters; the number is ours, never input.
        const std::string bump = "PRAGMA user_version = " + target;
        if (auto bumped = execute(database, bump.c_str(), operation); !bumped)
            return bumped;
        if (auto committed = scope->commit(); !committed)
            return committed;
    }
}

constexpr std::string_view kWorkspaceKeyName = "this workspace (models trained here)";

// Best effort: a copy of secret key material does not outlive its use in our own buffers.
template <typename Buffer> void sodiumFreeWipe(Buffer &buffer)
{
    volatile unsigned char *bytes = reinterpret_cast<volatile unsigned char *>(buffer.data());
    for (std::size_t i = 0; i < buffer.size(); ++i)
        bytes[i] = 0;
}

Result<bool> rowExists(sqlite3 *database, const char *sql, std::int64_t id, std::string_view operation)
{
    auto statement = Statement::prepare(database, sql, operation);
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, id);
    return statement->step();
}

Result<bool> patientExists(sqlite3 *database, std::int64_t patientId, std::string_view operation)
{
    return rowExists(database, "SELECT 1 FROM patients WHERE id = ?1", patientId, operation);
}

// The workspace row id is Mosaic's own number, not the site's identifier, so it may be named.
std::unexpected<Error> patientNotFound(sqlite3 *database, std::int64_t patientId)
{
    return fail(ErrorCode::NotFound, "no patient with workspace id " + std::to_string(patientId),
        databaseLocation(database));
}

} // namespace

Workspace::Workspace(sqlite3 *database, std::filesystem::path path)
    : m_database(database)
    , m_path(std::move(path))
{ }

Workspace::Workspace(Workspace &&other) noexcept
    : m_database(std::exchange(other.m_database, nullptr))
    , m_path(std::move(other.m_path))
{ }

Workspace &Workspace::operator=(Workspace &&other) noexcept
{
    if (this != &other) {
        sqlite3_close_v2(m_database);
        m_database = std::exchange(other.m_database, nullptr);
        m_path = std::move(other.m_path);
    }
    return *this;
}

Workspace::~Workspace()
{
    // close_v2 rather than close: it cannot fail with SQLITE_BUSY and leak the handle.
    sqlite3_close_v2(m_database);
}

Result<Workspace> Workspace::open(const std::filesystem::path &path)
{
    const std::string location = utf8Path(path);
    if (path.has_parent_path()) {
        std::error_code error;
        std::filesystem::create_directories(path.parent_path(), error);
        if (error)
            return fail(ErrorCode::StorageFailure, "cannot create the workspace folder: " + error.message(),
                location);
    }

    sqlite3 *database = nullptr;
    const int opened
        = sqlite3_open_v2(location.c_str(), &database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    // Owns the handle from here on: SQLite allocates one even when opening fails.
    Workspace workspace(database, path);
    if (opened != SQLITE_OK) {
        return fail(ErrorCode::StorageFailure,
            std::string("cannot open the workspace: ")
                + (database ? sqlite3_errmsg(database) : sqlite3_errstr(opened)),
            location);
    }
    sqlite3_extended_result_codes(database, 1);
    sqlite3_busy_timeout(database, kBusyTimeoutMs);

    // The first read checks the file header. Nothing is written before this succeeds, so a file that
    // is not a workspace (a CSV renamed .sqlite, a newer Mosaic's database) is left exactly as it was.
    auto version = readUserVersion(database);
    if (!version) {
        switch (sqlite3_errcode(database) & 0xff) {
        case SQLITE_NOTADB:
            return fail(ErrorCode::Malformed, "this file is not a Mosaic workspace (not an SQLite database)",
                location);
        case SQLITE_CORRUPT:
            return fail(ErrorCode::IntegrityFailed,
                std::string("the workspace database is damaged: ") + sqlite3_errmsg(database), location);
        default: return std::unexpected(version.error());
        }
    }
    if (*version > kSchemaVersion)
        return newerSchemaError(*version, location);
    if (*version < 0)
        return fail(ErrorCode::Malformed,
            "the workspace has an invalid schema version (" + std::to_string(*version) + ")", location);
    // SQLite falls back to read-only when the file is write-protected; every save would then fail,
    // after the specialist has done the work. Better to say so now.
    if (sqlite3_db_readonly(database, "main") == 1)
        return fail(ErrorCode::StorageFailure, "the workspace file is read-only; Mosaic needs to write to it",
            location);
    if (*version == 0) {
        // Version 0 with tables is some other program's database (a browser's history, another tool's
        // store); adding Mosaic's tables to it would be writing where we were not asked to.
        auto statement
            = Statement::prepare(database, "SELECT 1 FROM sqlite_master LIMIT 1", "inspecting the workspace");
        if (!statement)
            return std::unexpected(statement.error());
        auto hasObjects = statement->step();
        if (!hasObjects)
            return std::unexpected(hasObjects.error());
        if (*hasObjects)
            return fail(ErrorCode::Malformed,
                "this file is an SQLite database of another program, not a Mosaic workspace", location);
    }

    // foreign_keys is off by default in SQLite and per connection: without it ON DELETE CASCADE and
    // the model reference are decoration. synchronous=FULL: clinical data, so a commit is on disk
    // before Mosaic says it is saved, at the price of an fsync per transaction. If WAL cannot be
    // enabled (a file system without shared memory), SQLite keeps its rollback journal, which is
    // just as safe, only slower with several readers.
    for (const char *pragma :
        { "PRAGMA foreign_keys = ON", "PRAGMA journal_mode = WAL", "PRAGMA synchronous = FULL" }) {
        if (auto configured = execute(database, pragma, "configuring the workspace"); !configured)
            return std::unexpected(configured.error());
    }

    if (*version < kSchemaVersion) {
        if (auto migrated = migrate(database); !migrated)
            return std::unexpected(migrated.error());
    }
    return workspace;
}

Result<int> Workspace::schemaVersion() const
{
    return readUserVersion(m_database);
}

Result<void> Workspace::inTransaction(const std::function<Result<void>()> &work)
{
    assert(m_database && "use of a moved-from Workspace");
    // Inside another transaction this is a savepoint: a failure undoes only this work, and
    // nothing is committed until the outermost transaction is.
    auto scope = WriteScope::begin(m_database, "starting a transaction");
    if (!scope)
        return std::unexpected(scope.error());
    Result<void> outcome;
    try {
        outcome = work();
    } catch (const std::exception &) {
        // what() is left out: it may quote the data being written, identifiers included.
        return fail(ErrorCode::StorageFailure,
            "the work in a transaction stopped with an unexpected exception; nothing was written",
            databaseLocation(m_database));
    }
    if (!outcome)
        return outcome; // the scope rolls back
    return scope->commit();
}

Result<std::int64_t> Workspace::addPatient(std::string_view externalId, std::string_view source)
{
    if (externalId.empty())
        return fail(
            ErrorCode::InvalidArgument, "a patient needs an identifier", databaseLocation(m_database));
    auto statement = Statement::prepare(m_database,
        "INSERT INTO patients (external_id, source, created_at) VALUES (?1, ?2, ?3)", "adding a patient");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, externalId).bind(2, source).bind(3, utcTimestampNow());
    if (auto inserted = statement->run(); !inserted) {
        if (statement->failureCode() == SQLITE_CONSTRAINT_UNIQUE)
            return fail(ErrorCode::InvalidArgument,
                "a patient with this identifier is already in the workspace", databaseLocation(m_database));
        return std::unexpected(inserted.error());
    }
    return sqlite3_last_insert_rowid(m_database);
}

Result<std::vector<PatientSummary>> Workspace::patients() const
{
    auto statement = Statement::prepare(m_database,
        "SELECT id, external_id, source, created_at FROM patients ORDER BY id", "listing patients");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<PatientSummary> result;
    for (;;) {
        auto row = statement->step();
        if (!row)
            return std::unexpected(row.error());
        if (!*row)
            return result;
        result.push_back(
            { statement->integer(0), statement->text(1), statement->text(2), statement->text(3) });
    }
}

Result<PatientSummary> Workspace::patient(std::int64_t patientId) const
{
    auto statement = Statement::prepare(m_database,
        "SELECT id, external_id, source, created_at FROM patients WHERE id = ?1", "reading a patient");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, patientId);
    auto row = statement->step();
    if (!row)
        return std::unexpected(row.error());
    if (!*row)
        return patientNotFound(m_database, patientId);
    return PatientSummary { statement->integer(0), statement->text(1), statement->text(2),
        statement->text(3) };
}

Result<void> Workspace::storeFeatures(std::int64_t patientId, const FeatureVector &features)
{
    constexpr std::string_view kOperation = "storing features";
    // All the vector's values or none: a failure half-way must not leave a mix of old and new values.
    auto scope = WriteScope::begin(m_database, kOperation);
    if (!scope)
        return std::unexpected(scope.error());
    auto exists = patientExists(m_database, patientId, kOperation);
    if (!exists)
        return std::unexpected(exists.error());
    if (!*exists)
        return patientNotFound(m_database, patientId);

    auto statement = Statement::prepare(m_database,
        "INSERT INTO patient_features (patient_id, name, value, source, location) "
        "VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (patient_id, name) DO UPDATE SET "
        "value = excluded.value, source = excluded.source, "
        "location = excluded.location",
        kOperation);
    if (!statement)
        return std::unexpected(statement.error());
    const FeatureSchema &schema = features.schema();
    for (std::size_t index = 0; index < features.size(); ++index) {
        const Provenance &provenance = features.provenance(index);
        statement->bind(1, patientId)
            .bind(2, std::string_view(schema.at(index).name))
            .bind(3, features.value(index))
            .bind(4, std::string_view(provenance.source))
            .bind(5, std::string_view(provenance.location));
        if (auto stored = statement->run(); !stored)
            return stored;
        statement->reset();
    }
    return scope->commit();
}

Result<FeatureVector> Workspace::features(
    std::int64_t patientId, std::shared_ptr<const FeatureSchema> schema) const
{
    if (!schema)
        return fail(ErrorCode::InvalidArgument, "reading features needs a feature schema");
    // One statement, so the patient check and the values come from the same snapshot.
    auto statement = Statement::prepare(m_database,
        "SELECT f.name, f.value, f.source, f.location FROM patients AS p "
        "LEFT JOIN patient_features AS f ON f.patient_id = p.id WHERE p.id = ?1",
        "reading features");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, patientId);
    FeatureVector result(std::move(schema));
    bool patientFound = false;
    for (;;) {
        auto row = statement->step();
        if (!row)
            return std::unexpected(row.error());
        if (!*row)
            break;
        patientFound = true;
        if (statement->isNull(0))
            continue; // the patient has no stored values at all
        // Values stored for features this schema does not have belong to other models; skip them.
        const auto index = result.schema().indexOf(statement->text(0));
        if (!index)
            continue;
        const double value
            = statement->isNull(1) ? std::numeric_limits<double>::quiet_NaN() : statement->real(1);
        result.set(*index, value, Provenance { statement->text(2), statement->text(3) });
    }
    if (!patientFound)
        return patientNotFound(m_database, patientId);
    return result;
}

Result<std::int64_t> Workspace::addModel(std::string_view name, std::string_view bundleJson)
{
    if (name.empty())
        return fail(ErrorCode::InvalidArgument, "a model needs a name", databaseLocation(m_database));
    auto statement = Statement::prepare(
        m_database, "INSERT INTO models (name, created_at, bundle) VALUES (?1, ?2, ?3)", "adding a model");
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, name).bind(2, utcTimestampNow()).bind(3, bundleJson);
    if (auto inserted = statement->run(); !inserted)
        return std::unexpected(inserted.error());
    return sqlite3_last_insert_rowid(m_database);
}

Result<std::vector<StoredModel>> Workspace::models() const
{
    auto statement = Statement::prepare(
        m_database, "SELECT id, name, created_at, bundle FROM models ORDER BY id", "listing models");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<StoredModel> result;
    for (;;) {
        auto row = statement->step();
        if (!row)
            return std::unexpected(row.error());
        if (!*row)
            return result;
        result.push_back(
            { statement->integer(0), statement->text(1), statement->text(2), statement->text(3) });
    }
}

Result<StoredModel> Workspace::latestModel() const
{
    // By id, not created_at: two models saved within the same second would tie.
    auto statement = Statement::prepare(m_database,
        "SELECT id, name, created_at, bundle FROM models ORDER BY id DESC LIMIT 1",
        "reading the latest model");
    if (!statement)
        return std::unexpected(statement.error());
    auto row = statement->step();
    if (!row)
        return std::unexpected(row.error());
    if (!*row)
        return fail(ErrorCode::NotFound, "the workspace has no model yet", databaseLocation(m_database));
    return StoredModel { statement->integer(0), statement->text(1), statement->text(2), statement->text(3) };
}

Result<std::string> Workspace::addTrustedKey(std::string_view name, const PublicKey &key)
{
    constexpr std::string_view kOperation = "adding a trusted key";
    if (name.empty())
        return fail(ErrorCode::InvalidArgument, "a trusted key needs a name", databaseLocation(m_database));
    const std::string keyId = keyIdOf(key);
    auto scope = WriteScope::begin(m_database, kOperation);
    if (!scope)
        return std::unexpected(scope.error());
    auto existing
        = Statement::prepare(m_database, "SELECT name FROM trusted_keys WHERE key_id = ?1", kOperation);
    if (!existing)
        return std::unexpected(existing.error());
    existing->bind(1, std::string_view(keyId));
    auto found = existing->step();
    if (!found)
        return std::unexpected(found.error());
    if (*found)
        return fail(ErrorCode::InvalidArgument,
            "key " + keyId + " is already trusted, as '" + existing->text(0) + "'",
            databaseLocation(m_database));
    auto statement = Statement::prepare(m_database,
        "INSERT INTO trusted_keys (name, public_key, key_id, added_at) VALUES (?1, ?2, ?3, ?4)", kOperation);
    if (!statement)
        return std::unexpected(statement.error());
    const std::string publicKey = toBase64(key);
    statement->bind(1, name)
        .bind(2, std::string_view(publicKey))
        .bind(3, std::string_view(keyId))
        .bind(4, utcTimestampNow());
    if (auto inserted = statement->run(); !inserted)
        return std::unexpected(inserted.error());
    if (auto committed = scope->commit(); !committed)
        return std::unexpected(committed.error());
    return keyId;
}

Result<std::vector<StoredTrustedKey>> Workspace::trustedKeyList() const
{
    auto statement = Statement::prepare(m_database,
        "SELECT name, public_key, key_id, added_at FROM trusted_keys ORDER BY id", "listing trusted keys");
    if (!statement)
        return std::unexpected(statement.error());
    std::vector<StoredTrustedKey> result;
    for (;;) {
        auto row = statement->step();
        if (!row)
            return std::unexpected(row.error());
        if (!*row)
            return result;
        result.push_back({ statement->text(0), statement->text(1), statement->text(2), statement->text(3) });
    }
}

Result<TrustedKeys> Workspace::trustedKeys() const
{
    auto list = trustedKeyList();
    if (!list)
        return std::unexpected(list.error());
    TrustedKeys keys;
    for (const auto &stored : *list) {
        // The database is a file like any other: a row edited by hand must not become trust.
        const std::string where
            = databaseLocation(m_database) + ", trusted key " + stored.keyId.substr(0, 16);
        auto bytes = fromBase64(stored.publicKey, kPublicKeyBytes, "the stored public key", where);
        if (!bytes)
            return std::unexpected(bytes.error());
        PublicKey key {};
        std::copy(bytes->begin(), bytes->end(), key.begin());
        if (keyIdOf(key) != stored.keyId)
            return fail(ErrorCode::IntegrityFailed,
                "the stored key id is not the id of the stored public key", where);
        if (auto added = keys.add(stored.name, key); !added)
            return fail(added.error().code, added.error().detail, where);
    }
    return keys;
}

Result<void> Workspace::removeTrustedKey(std::string_view keyId)
{
    constexpr std::string_view kOperation = "removing a trusted key";
    auto scope = WriteScope::begin(m_database, kOperation);
    if (!scope)
        return std::unexpected(scope.error());
    auto own
        = Statement::prepare(m_database, "SELECT 1 FROM workspace_signing_key WHERE key_id = ?1", kOperation);
    if (!own)
        return std::unexpected(own.error());
    own->bind(1, keyId);
    auto isOwn = own->step();
    if (!isOwn)
        return std::unexpected(isOwn.error());
    if (*isOwn)
        return fail(ErrorCode::InvalidArgument,
            "key " + std::string(keyId) + " is this workspace's own signing key; models trained here need it",
            databaseLocation(m_database));
    auto statement = Statement::prepare(m_database, "DELETE FROM trusted_keys WHERE key_id = ?1", kOperation);
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, keyId);
    if (auto deleted = statement->run(); !deleted)
        return deleted;
    if (sqlite3_changes(m_database) == 0)
        return fail(ErrorCode::NotFound, "no trusted key has id " + std::string(keyId.substr(0, 64)),
            databaseLocation(m_database));
    return scope->commit();
}

Result<SigningKey> Workspace::signingKey()
{
    constexpr std::string_view kOperation = "reading the workspace's signing key";
    auto scope = WriteScope::begin(m_database, kOperation);
    if (!scope)
        return std::unexpected(scope.error());
    auto statement = Statement::prepare(
        m_database, "SELECT secret_key, key_id FROM workspace_signing_key WHERE id = 1", kOperation);
    if (!statement)
        return std::unexpected(statement.error());
    auto row = statement->step();
    if (!row)
        return std::unexpected(row.error());
    const std::string where = databaseLocation(m_database) + ", the workspace's signing key";
    if (*row) {
        std::string text = statement->text(0);
        auto bytes = fromBase64(text, kSecretKeyBytes, "the stored secret key", where);
        sodiumFreeWipe(text);
        if (!bytes)
            return std::unexpected(bytes.error());
        auto key = SigningKey::fromSecretBytes(*bytes, where);
        sodiumFreeWipe(*bytes);
        if (!key)
            return key;
        if (key->keyId() != statement->text(1))
            return fail(
                ErrorCode::IntegrityFailed, "the stored key id is not the id of the stored key", where);
        return key; // the scope ends the read transaction
    }
    auto key = SigningKey::generate();
    if (!key)
        return key;
    std::string secret = toBase64(key->secretBytes());
    auto insert = Statement::prepare(m_database,
        "INSERT INTO workspace_signing_key (id, secret_key, key_id, created_at) VALUES (1, ?1, ?2, ?3)",
        kOperation);
    if (!insert)
        return std::unexpected(insert.error());
    const std::string keyId = key->keyId();
    insert->bind(1, std::string_view(secret)).bind(2, std::string_view(keyId)).bind(3, utcTimestampNow());
    sodiumFreeWipe(secret);
    if (auto inserted = insert->run(); !inserted)
        return std::unexpected(inserted.error());
    const std::string publicKey = toBase64(key->publicKey());
    auto trust = Statement::prepare(m_database,
        "INSERT INTO trusted_keys (name, public_key, key_id, added_at) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT DO NOTHING",
        kOperation);
    if (!trust)
        return std::unexpected(trust.error());
    trust->bind(1, std::string_view(kWorkspaceKeyName))
        .bind(2, std::string_view(publicKey))
        .bind(3, std::string_view(keyId))
        .bind(4, utcTimestampNow());
    if (auto trusted = trust->run(); !trusted)
        return std::unexpected(trusted.error());
    if (auto committed = scope->commit(); !committed)
        return std::unexpected(committed.error());
    return key;
}

Result<std::int64_t> Workspace::addPrediction(
    std::int64_t patientId, std::int64_t modelId, double probability, std::string_view explanationJson)
{
    constexpr std::string_view kOperation = "storing a prediction";
    // Checked here as well as by the table's CHECK so the message says what is wrong; NaN fails both
    // comparisons.
    if (!(probability >= 0.0 && probability <= 1.0))
        return fail(ErrorCode::InvalidArgument,
            "a predicted probability must lie between 0 and 1, not " + shortestText(probability),
            databaseLocation(m_database));
    auto scope = WriteScope::begin(m_database, kOperation);
    if (!scope)
        return std::unexpected(scope.error());
    auto patientFound = patientExists(m_database, patientId, kOperation);
    if (!patientFound)
        return std::unexpected(patientFound.error());
    if (!*patientFound)
        return patientNotFound(m_database, patientId);
    auto modelFound = rowExists(m_database, "SELECT 1 FROM models WHERE id = ?1", modelId, kOperation);
    if (!modelFound)
        return std::unexpected(modelFound.error());
    if (!*modelFound)
        return fail(ErrorCode::NotFound, "no model with workspace id " + std::to_string(modelId),
            databaseLocation(m_database));

    auto statement = Statement::prepare(m_database,
        "INSERT INTO predictions (patient_id, model_id, probability, explanation, "
        "created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        kOperation);
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, patientId)
        .bind(2, modelId)
        .bind(3, probability)
        .bind(4, explanationJson)
        .bind(5, utcTimestampNow());
    if (auto inserted = statement->run(); !inserted)
        return std::unexpected(inserted.error());
    const std::int64_t predictionId = sqlite3_last_insert_rowid(m_database);
    if (auto committed = scope->commit(); !committed)
        return std::unexpected(committed.error());
    return predictionId;
}

Result<std::vector<StoredPrediction>> Workspace::predictions(std::int64_t patientId) const
{
    constexpr std::string_view kOperation = "listing predictions";
    auto found = patientExists(m_database, patientId, kOperation);
    if (!found)
        return std::unexpected(found.error());
    if (!*found)
        return patientNotFound(m_database, patientId);
    auto statement = Statement::prepare(m_database,
        "SELECT id, patient_id, model_id, probability, explanation, created_at "
        "FROM predictions WHERE patient_id = ?1 ORDER BY id",
        kOperation);
    if (!statement)
        return std::unexpected(statement.error());
    statement->bind(1, patientId);
    std::vector<StoredPrediction> result;
    for (;;) {
        auto row = statement->step();
        if (!row)
            return std::unexpected(row.error());
        if (!*row)
            return result;
        result.push_back({ statement->integer(0), statement->integer(1), statement->integer(2),
            statement->real(3), statement->text(4), statement->text(5) });
    }
}

} // namespace mosaic
