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
    // The prediction had this modality not been acquired: the model re-predicts with every one of
    // its features missing (NaN, routed down each tree's default branch), as explainPatients()
    // does. Equal to the actual prediction when the patient already lacks them all.
    double probabilityWithout = 0.0; // the model's raw probability
    double riskWithout = 0.0; // after the bundle's calibration, as RiskPrediction::risk
    // riskWithout - risk: how far the risk shown moves when the modality is absent; positive when
    // this modality's values lowered the risk.
    double absenceEffect = 0.0;

    // featuresPresent / featuresInModel, in [0, 1].
    [[nodiscard]] double coverage() const
    {
        return featuresInModel == 0
            ? 0.0
            : static_cast<double>(featuresPresent) / static_cast<double>(featuresInModel);
    }
};

struct RiskPrediction
{
    // The model's own probability, as XGBoost computes it from the trees. On the cohort it was
    // fitted on, and often on new patients, it is over- or under-confident.
    double probability = 0.0;
    // The risk shown to the clinician: the bundle's calibration (fitted on out-of-fold predictions,
    // core/model/calibration.h) applied to `probability`, or `probability` itself when the bundle
    // has no calibration. Abstention is decided on this value.
    double risk = 0.0;
    // How `risk` was obtained from `probability` (None: they are equal).
    ProbabilityCalibration::Method calibration = ProbabilityCalibration::Method::None;
    // Set when the bundle has an abstention policy: whether the model makes a call for this
    // patient, and every reason when it does not ("no confident call").
    std::optional<AbstentionDecision> abstention;
    double margin = 0.0; // log-odds of `probability`
    double baseMargin = 0.0; // SHAP bias: the model's expected log-odds before this patient's values
    std::vector<FeatureContribution> features; // in schema order
    std::vector<ModalityContribution> modalities; // only the modalities the model uses

    // The `count` largest contributions by magnitude, largest first.
    [[nodiscard]] std::vector<FeatureContribution> topContributions(std::size_t count) const;
    // False only when the bundle's policy abstains for this patient.
    [[nodiscard]] bool called() const { return !abstention || abstention->called; }
};

class RiskModel
{
public:
    // Loads the verified bundle's booster. Unsupported for a model that is not binary.
    static Result<RiskModel> fromBundle(ModelBundle bundle);

    [[nodiscard]] const ModelBundle &bundle() const { return m_bundle; }

    // Values are matched to the bundle's schema by feature name; a feature the vector lacks is
    // missing, which XGBoost routes down each tree's default branch. Each prediction carries the
    // calibrated risk, the abstention decision (when the bundle has a policy) and, per modality,
    // the absence effect: one extra prediction per modality the model uses.
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

// {"probability" (the model's raw probability), "risk" (calibrated: what the clinician is shown),
//  "calibration": "platt" | "isotonic" | "none", "call": {"call": true|false, "reasons": [...]} as
//  decisionToJson() (null when the bundle has no abstention policy), "margin", "base_margin",
//  "modalities": [{modality, contribution, features_present, features_in_model, coverage,
//  probability_without, risk_without, absence_effect}], "contributions": [{feature, unit, value
//  (null when missing), contribution, source, location}]} with the `top` largest contributions
// (all when top is 0). For the CLI's JSON output and the workspace's prediction record.
[[nodiscard]] std::string predictionToJson(
    const RiskPrediction &prediction, const FeatureSchema &schema, std::size_t top = 0);

} // namespace mosaic
