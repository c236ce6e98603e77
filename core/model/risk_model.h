// SPDX-License-Identifier: Apache-2.0
// The two use cases of a binary risk model: train one from a cohort table (cross-validate, then
// fit on every patient, and package both as a bundle), and predict one patient with an explanation
// that follows each feature back to its evidence and sums contributions by modality.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_vector.h"
#include "core/model/booster.h"
#include "core/model/cross_validation.h"
#include "core/model/feature_selection.h"
#include "core/model/model_bundle.h"

#include <cstddef>
#include <functional>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace mosaic {

struct TrainingRequest
{
    std::string name; // shown to the clinician
    std::string outcome; // what the probability means: "death during follow-up"
    std::string labelColumn; // the table column the labels came from, recorded in the bundle
    CrossValidationSettings validation;
    // When set, the model does not use every schema feature: features are chosen inside each outer
    // fold by an inner cross-validation (nested cross-validation), and the final model uses those
    // chosen the same way on the whole table. For cohorts with far more features than patients.
    std::optional<FeatureSelectionSettings> featureSelection;
    int innerFolds = 3;
};

// Called with (steps done, steps in all): each cross-validation fit, then the final fit.
using TrainingStepProgress = std::function<void(int, int)>;

// The table's labels must be 0/1 and the schema's features must all be columns of the table.
Result<ModelBundle> trainRiskModel(const CohortTable &table, const FeatureSchema &schema,
    const TrainingRequest &request, std::stop_token stop = {}, const TrainingStepProgress &progress = {});

struct FeatureContribution
{
    std::size_t featureIndex = 0; // in the bundle's schema
    double value = 0.0; // NaN when missing
    double contribution = 0.0; // SHAP value, log-odds
    Provenance provenance;
};

struct ModalityContribution
{
    Modality modality = Modality::Records;
    double contribution = 0.0; // sum of its features' SHAP values, log-odds
    std::size_t featuresPresent = 0;
    std::size_t featuresInModel = 0;
};

struct RiskPrediction
{
    double probability = 0.0;
    double margin = 0.0; // log-odds
    double baseMargin = 0.0; // SHAP bias: the model's expected log-odds before this patient's values
    std::vector<FeatureContribution> features; // in schema order
    std::vector<ModalityContribution> modalities; // only the modalities the model uses

    // The `count` largest contributions by magnitude, largest first.
    [[nodiscard]] std::vector<FeatureContribution> topContributions(std::size_t count) const;
};

class RiskModel
{
public:
    // Loads the verified bundle's booster. Unsupported for a model that is not binary.
    static Result<RiskModel> fromBundle(ModelBundle bundle);

    [[nodiscard]] const ModelBundle &bundle() const { return m_bundle; }

    // Values are matched to the bundle's schema by feature name; a feature the vector lacks is
    // missing, which XGBoost routes down each tree's default branch.
    [[nodiscard]] Result<RiskPrediction> predict(const FeatureVector &features) const;
    [[nodiscard]] Result<std::vector<RiskPrediction>> predict(const CohortTable &table) const;

private:
    RiskModel(ModelBundle bundle, Booster booster);
    Result<std::vector<RiskPrediction>> predictMatrix(
        const RowMatrixXf &features, const std::vector<std::vector<Provenance>> &provenance) const;

    ModelBundle m_bundle;
    Booster m_booster;
};

} // namespace mosaic

namespace mosaic {

// {"probability", "margin", "base_margin", "modalities": [...], "contributions": [{feature, unit,
// value (null when missing), contribution, source, location}]} with the `top` largest contributions
// (all when top is 0). For the CLI's JSON output and the workspace's prediction record.
[[nodiscard]] std::string predictionToJson(
    const RiskPrediction &prediction, const FeatureSchema &schema, std::size_t top = 0);

} // namespace mosaic
