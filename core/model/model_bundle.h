// SPDX-License-Identifier: Apache-2.0
// A model bundle: everything needed to use a trained model and to judge it, in one JSON document.
// It carries the XGBoost model, the feature schema it was trained with (so prediction builds the
// same vector), what it predicts, how it was trained (parameters, a hash of the training data, the
// library versions, the date), its cross-validation report, its intended use and limitations and,
// optionally, the model specification it was built from.
//
// Reading checks, in this order: the size, that it is JSON, the format version, the SHA-256 over the
// content, the Ed25519 signature (present, by a trusted key, valid: core/model/bundle_signature.h),
// then the content's fields and the trees' structure against the schema; only after all of these
// may XGBoost see the model (loadBooster), because XGBoost itself does not validate model files.
//
// Format 2 added the signature and the training metadata. Format 1 bundles were unsigned and are
// refused: nothing vouches for them, so the model must be trained again (or its file re-signed
// after it is rebuilt) with this Mosaic.
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/model/abstention.h"
#include "core/model/booster.h"
#include "core/model/bundle_signature.h"
#include "core/model/calibration.h"
#include "core/model/cross_validation.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mosaic {

struct ValidationReport
{
    std::string protocol; // in words, e.g. "10 x repeated stratified 5-fold cross-validation, seed 20261125"
    int folds = 0;
    int repeats = 0;
    std::uint64_t seed = 0;
    BinaryMetrics metrics; // averaged over repeats
    double aurocStandardDeviation = 0.0; // across repeats
    // With nested feature selection: each feature's share of the outer fits that chose it, most
    // often chosen first. Empty when the model uses every schema feature.
    std::vector<std::pair<std::string, double>> selectionFrequency;
    // With nested feature selection: each candidate number of features and in how many outer fits
    // the inner loop chose it, in the order the candidates were given.
    std::vector<std::pair<int, int>> chosenFeatureCounts;

    // From the training pipeline (core/model/model_training.h); empty in reports of plain repeated
    // cross-validation. Figures of the probabilities the clinician is shown (calibrated).
    std::string calibrationMethod; // "platt", "isotonic" or "none"
    std::optional<ConfidenceInterval> aurocBootstrap95; // stratified bootstrap percentile interval
    std::optional<ConfidenceInterval> brierBootstrap95;
    std::optional<double> expectedCalibrationError; // 10 equal-width bins
    std::optional<double> abstentionRate; // share of out-of-fold cases the policy would not call
    // The whole report as a JSON object (text): every interval, subgroups, decision curve,
    // reliability curves, the hyperparameters chosen per outer fold, global importance by modality.
    std::string details;
};

struct LibraryVersions
{
    std::string xgboost; // "1.7.4", from XGBoostVersion() of the library linked in
    std::string mosaic; // the CMake project version, "0.1.0"
};

// The versions of the libraries in this build, for a bundle trained now.
[[nodiscard]] LibraryVersions currentLibraryVersions();

// SHA-256 (lower-case hex) identifying a training set, over these bytes in this order:
//   the 24 ASCII bytes "mosaic-training-data-v1\n";
//   the row count, then the column count, each as an unsigned 64-bit little-endian integer;
//   every feature value, row by row (row 0 columns 0..n-1, then row 1, ...), each as an IEEE 754
//   binary32 in little-endian byte order, every NaN (a missing value) written as 0x7FC00000;
//   every label in row order, binary32 little-endian likewise.
// Recompute it from the training table by selecting the bundle's schema columns in schema order.
// InvalidArgument when there are not as many labels as rows.
[[nodiscard]] Result<std::string> hashTrainingData(
    const RowMatrixXf &features, std::span<const float> labels);

struct ModelBundle
{
    static constexpr int kFormatVersion = 2;
    static constexpr std::size_t kMaxBytes = std::size_t { 256 } << 20;

    std::string name; // "Death during follow-up (heart failure)"
    std::string labelColumn; // the table column that holds the outcome
    std::string outcome; // what probability means, e.g. "death during follow-up"
    FeatureSchema schema;
    TrainingParameters parameters;
    std::string trainingSource; // file name of the training table
    std::size_t trainingCases = 0;
    std::size_t trainingPositives = 0;
    std::string trainingDataSha256; // hashTrainingData() of the matrix the final model was fitted on
    LibraryVersions libraries; // the versions that trained it
    std::string createdAt; // ISO 8601 UTC
    std::string intendedUse; // in words, for whom and what decision; may be empty ("not stated")
    std::string limitations; // in words: populations, data and uses it was not validated for
    // The model specification (JSON object text) the model was built from; written into the bundle
    // as a JSON object, so it comes back as the compact dump of that object.
    std::optional<std::string> specification;
    std::optional<ValidationReport> validation;
    // The map from the model's probability to the risk shown, fitted on out-of-fold predictions.
    std::optional<ProbabilityCalibration> calibration;
    // When the model declines to call a case (core/model/abstention.h).
    std::optional<AbstentionPolicy> abstention;
    std::string xgboostModel; // the model as XGBoost's JSON text

    // Set when the bundle was read: the trusted key that signed it.
    std::string signerKeyId;
    std::string signerName;

    // The signed document. InvalidArgument when the specification is not a JSON object.
    [[nodiscard]] Result<std::string> toJson(const SigningKey &key) const;
    // Checks everything named in the header comment. Errors name `sourceName` and, for signature
    // problems, the key id.
    static Result<ModelBundle> fromJson(
        std::string_view json, std::string_view sourceName, const TrustedKeys &trusted);

    Result<void> writeFile(const std::filesystem::path &path, const SigningKey &key) const;
    static Result<ModelBundle> readFile(const std::filesystem::path &path, const TrustedKeys &trusted);

    // The verified model, ready to predict.
    [[nodiscard]] Result<Booster> loadBooster() const;
};

// Signs a bundle again with `key`, replacing any signature it has: after checking its size, JSON,
// format version, SHA-256 and content (fields and tree structure), but not the old signature. The
// content is kept byte for byte. For `mosaic-cli sign`: a site's modeller vouches for a bundle.
[[nodiscard]] Result<std::string> resignBundleJson(
    std::string_view json, std::string_view sourceName, const SigningKey &key);
Result<void> resignBundleFile(const std::filesystem::path &path, const SigningKey &key);

[[nodiscard]] ValidationReport makeValidationReport(const CrossValidationResult &result);

} // namespace mosaic
