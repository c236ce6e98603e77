// SPDX-License-Identifier: Apache-2.0
// The workspace: one SQLite database holding the patients, their feature values with provenance,
// the models and the predictions made with them. The schema carries a version (PRAGMA user_version)
// and is brought up to date by ordered migrations, each in its own transaction, so a workspace
// written by an older Mosaic opens in a newer one and a failed step leaves it as it was.
// Only this folder includes <sqlite3.h>.
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/features/feature_vector.h"
#include "core/model/bundle_signature.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace mosaic {

struct PatientSummary
{
    std::int64_t id = 0;
    std::string externalId; // the site's or the cohort's identifier; never written to logs
    std::string source; // where the patient came from, e.g. "heart_failure_S1Data.csv"
    std::string createdAt; // ISO 8601 UTC, "2026-11-25T17:49:00Z"
};

struct StoredModel
{
    std::int64_t id = 0;
    std::string name;
    std::string createdAt;
    std::string bundleJson; // a ModelBundle as written by core/model/model_bundle
};

struct StoredPrediction
{
    std::int64_t id = 0;
    std::int64_t patientId = 0;
    std::int64_t modelId = 0;
    double probability = 0.0;
    std::string explanationJson; // contributions as the caller wrote them
    std::string createdAt;
};

// A public key whose signed model bundles this workspace loads.
struct StoredTrustedKey
{
    std::string name;
    std::string publicKey; // base64 of the 32 bytes
    std::string keyId; // keyIdOf(public key)
    std::string addedAt;
};

class Workspace
{
public:
    static constexpr int kSchemaVersion = 2;

    // Opens the database at `path`, creating it and its parent folder on first use, and migrates
    // it to kSchemaVersion. A database from a newer Mosaic (higher version) is refused
    // (Unsupported) rather than touched. A file that is not SQLite is refused (Malformed).
    static Result<Workspace> open(const std::filesystem::path &path);

    Workspace(Workspace &&other) noexcept;
    Workspace &operator=(Workspace &&other) noexcept;
    Workspace(const Workspace &) = delete;
    Workspace &operator=(const Workspace &) = delete;
    ~Workspace();

    [[nodiscard]] const std::filesystem::path &path() const { return m_path; }
    [[nodiscard]] Result<int> schemaVersion() const;

    // Runs `work` in one transaction: committed when it succeeds, rolled back when it fails, so an
    // import that fails half-way leaves nothing behind. Calls nest: an inner call is a savepoint that
    // undoes only its own work when it fails, and commits with the outermost one.
    Result<void> inTransaction(const std::function<Result<void>()> &work);

    // InvalidArgument for an empty external id; InvalidArgument naming no identifier for a
    // duplicate ("a patient with this identifier is already in the workspace").
    Result<std::int64_t> addPatient(std::string_view externalId, std::string_view source);
    [[nodiscard]] Result<std::vector<PatientSummary>> patients() const;
    [[nodiscard]] Result<PatientSummary> patient(std::int64_t patientId) const;

    // Replaces the patient's stored values for the vector's features (by name); missing values
    // are stored as NULL with their provenance.
    Result<void> storeFeatures(std::int64_t patientId, const FeatureVector &features);
    // The patient's values for `schema`, by feature name; features never stored stay missing.
    [[nodiscard]] Result<FeatureVector> features(
        std::int64_t patientId, std::shared_ptr<const FeatureSchema> schema) const;

    Result<std::int64_t> addModel(std::string_view name, std::string_view bundleJson);
    [[nodiscard]] Result<std::vector<StoredModel>> models() const;
    // The most recently added model; NotFound when the workspace has none.
    [[nodiscard]] Result<StoredModel> latestModel() const;

    // Trusted keys (schema 2). InvalidArgument for an empty name or a key already trusted (the
    // message names its key id and the name it was trusted under). Returns the key id.
    Result<std::string> addTrustedKey(std::string_view name, const PublicKey &key);
    [[nodiscard]] Result<std::vector<StoredTrustedKey>> trustedKeyList() const;
    // The keys to pass to ModelBundle::fromJson. A row whose key does not decode or does not have
    // its stored id is refused (IntegrityFailed) rather than skipped.
    [[nodiscard]] Result<TrustedKeys> trustedKeys() const;
    // NotFound for an unknown id; InvalidArgument for the workspace's own key, which models trained
    // here are signed with.
    Result<void> removeTrustedKey(std::string_view keyId);

    // The workspace's own Ed25519 key for models trained here, made and added to the trusted keys on
    // first use. It lives in the database: whoever can write the workspace can sign models it
    // trusts, which is no more than they could do by adding a key (see core/model/README.md).
    Result<SigningKey> signingKey();

    Result<std::int64_t> addPrediction(
        std::int64_t patientId, std::int64_t modelId, double probability, std::string_view explanationJson);
    // Oldest first. NotFound for an unknown patient.
    [[nodiscard]] Result<std::vector<StoredPrediction>> predictions(std::int64_t patientId) const;

private:
    Workspace(sqlite3 *database, std::filesystem::path path);

    sqlite3 *m_database = nullptr;
    std::filesystem::path m_path;
};

} // namespace mosaic
