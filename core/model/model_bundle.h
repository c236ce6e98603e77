// SPDX-License-Identifier: Apache-2.0
// A model bundle: everything needed to use a trained model and to judge it, in one JSON document.
// It carries the XGBoost model, the feature schema it was trained with (so prediction builds the
// same vector), what it predicts, how it was trained and its cross-validation report. A SHA-256
// over the content is checked before anything else is read, and the embedded model is checked
// against the schema before XGBoost sees it, because XGBoost itself does not validate model files.
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/model/booster.h"
#include "core/model/cross_validation.h"

#include <cstddef>
#include <filesystem>
#include <optional>
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
};

struct ModelBundle
{
    static constexpr int kFormatVersion = 1;
    static constexpr std::size_t kMaxBytes = std::size_t { 256 } << 20;

    std::string name; // "Death during follow-up (heart failure)"
    std::string labelColumn; // the table column that holds the outcome
    std::string outcome; // what probability means, e.g. "death during follow-up"
    FeatureSchema schema;
    TrainingParameters parameters;
    std::string trainingSource; // file name of the training table
    std::size_t trainingCases = 0;
    std::size_t trainingPositives = 0;
    std::string createdAt; // ISO 8601 UTC
    std::optional<ValidationReport> validation;
    std::string xgboostModel; // the model as XGBoost's JSON text

    [[nodiscard]] std::string toJson() const;
    // Verifies the format version, the SHA-256 and the structure (the embedded model's feature
    // count and names equal the schema's, its objective is binary). Errors name `sourceName`.
    static Result<ModelBundle> fromJson(std::string_view json, std::string_view sourceName);

    Result<void> writeFile(const std::filesystem::path &path) const;
    static Result<ModelBundle> readFile(const std::filesystem::path &path);

    // The verified model, ready to predict.
    [[nodiscard]] Result<Booster> loadBooster() const;
};

[[nodiscard]] ValidationReport makeValidationReport(const CrossValidationResult &result);

} // namespace mosaic
