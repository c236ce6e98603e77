// SPDX-License-Identifier: Apache-2.0
// Why a model predicted what it did, by feature and by modality (imaging, genomics, records):
// - per patient: SHAP values (TreeSHAP through XGBoost, in margin units: log-odds for binary
//   models) and their signed sum per modality; and the "absence effect" of each modality, measured
//   rather than attributed: every feature of the modality is set missing (NaN) and the model
//   re-predicts, XGBoost routing the missing values down each tree's default branch. This is what
//   the prediction would have been had that modality not been acquired, which SHAP does not say
//   (SHAP compares with the cohort's expected value, not with "not measured");
// - the strongest feature pairs by SHAP interaction value;
// - global importance over a cohort: mean |SHAP| and mean signed SHAP per feature and per
//   modality, beside XGBoost's own gain importance.
// Multi-class models are explained per class (each class has its own margin and SHAP values).
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/model/booster.h"

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace mosaic {

// One modality's part in one patient's prediction of one class.
struct ModalityEffect
{
    Modality modality = Modality::Records;
    std::size_t featuresInModel = 0;
    std::size_t featuresPresent = 0; // not NaN in this patient's row
    double shap = 0.0; // signed sum of its features' SHAP values (margin units)
    // Re-predicted with every feature of this modality set missing. When the patient already lacks
    // them all, these equal the actual prediction.
    double marginWithout = 0.0;
    double probabilityWithout = 0.0;
    // Re-predicted with this modality alone: every feature of the other modalities set missing.
    double marginAlone = 0.0;
    double probabilityAlone = 0.0;

    // How far the prediction moves when the modality is absent: without - actual. Positive when
    // the modality's values lowered the prediction.
    [[nodiscard]] double marginShiftWhenAbsent(double actualMargin) const
    {
        return marginWithout - actualMargin;
    }
    [[nodiscard]] double probabilityShiftWhenAbsent(double actualProbability) const
    {
        return probabilityWithout - actualProbability;
    }
};

struct ClassExplanation
{
    std::size_t classIndex = 0; // 0 for a binary model, whose probability is P(label = 1)
    double probability = 0.0;
    double margin = 0.0; // log-odds for binary models; the class's raw score before softmax otherwise
    double bias = 0.0; // SHAP's expected margin: margin = bias + sum of featureShap
    std::vector<double> featureShap; // in schema order
    std::vector<ModalityEffect> modalities; // only the modalities the model has features of
    // Every feature missing: what the model predicts knowing nothing of the patient.
    double marginAllMissing = 0.0;
    double probabilityAllMissing = 0.0;

    [[nodiscard]] const ModalityEffect *effectOf(Modality modality) const;
};

struct PatientExplanation
{
    std::vector<ClassExplanation> classes; // one for binary models, one per class otherwise
};

// The schema's features must be the model's, in the model's order (a verified bundle guarantees
// it): InvalidArgument when the counts differ or a row has the wrong number of columns.
Result<std::vector<PatientExplanation>> explainPatients(
    const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features);

// A pair of distinct features and their SHAP interaction value. XGBoost splits each pair's
// interaction equally between the two symmetric cells (i, j) and (j, i); `value` is their sum,
// the whole interaction, in margin units.
struct InteractionPair
{
    std::size_t first = 0; // schema index, first < second
    std::size_t second = 0;
    std::string firstName;
    std::string secondName;
    double value = 0.0;
};

struct PatientInteractions
{
    // byClass[c]: at most `count` pairs, largest |value| first; ties in schema order of (first, second).
    std::vector<std::vector<InteractionPair>> byClass;
};

// Interaction values cost rows x classes x (features + 1)^2 floats, so rows go to XGBoost in
// batches of at most `kInteractionBatchValues` values. Pairs whose value is exactly 0 (features
// that never meet on a tree path) are left out.
inline constexpr std::size_t kInteractionBatchValues = std::size_t { 1 } << 24;
Result<std::vector<PatientInteractions>> strongestInteractions(
    const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features, std::size_t count);

struct FeatureImportance
{
    std::size_t featureIndex = 0; // in the schema
    double meanAbsoluteShap = 0.0; // mean over patients of |SHAP|
    double meanShap = 0.0; // mean signed SHAP: the direction it pushes this cohort, on average
};

struct ModalityImportance
{
    Modality modality = Modality::Records;
    // Mean over patients of |sum of the modality's SHAP values|: features of one modality that
    // push in opposite directions cancel within a patient.
    double meanAbsoluteShap = 0.0;
    double sumOfFeatureMeanAbsoluteShap = 0.0; // the sum of its features' meanAbsoluteShap
    double meanShap = 0.0;
};

struct ClassImportance
{
    std::size_t classIndex = 0;
    std::vector<FeatureImportance> features; // schema order
    std::vector<ModalityImportance> modalities; // only the modalities the model has features of
};

struct GainImportance
{
    std::size_t featureIndex = 0;
    double averageGain = 0.0; // XGBoost's "gain": mean loss reduction of the splits on the feature
    double splits = 0.0; // XGBoost's "weight": how many splits use it
};

struct GlobalImportance
{
    std::size_t patients = 0;
    std::vector<ClassImportance> classes;
    // XGBoost's importance over the whole model (every class's trees), features the trees never
    // split on are absent, as in XGBoost; in schema order.
    std::vector<GainImportance> gain;
};

Result<GlobalImportance> globalImportance(
    const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features);

// JSON for the CLI's output and the workspace's prediction record, names from the schema:
// {"classes": [{"class", "probability", "margin", "bias", "margin_all_missing",
//   "probability_all_missing", "features": [{"feature", "modality", "shap"}],
//   "modalities": [{"modality", "features_in_model", "features_present", "shap", "margin_without",
//   "probability_without", "margin_shift_when_absent", "probability_shift_when_absent",
//   "margin_alone", "probability_alone"}], "interactions": [{"first", "second", "value"}]}]}
// "interactions" only when `interactions` is given.
[[nodiscard]] std::string explanationToJson(const PatientExplanation &explanation,
    const FeatureSchema &schema, const PatientInteractions *interactions = nullptr);
// {"patients", "classes": [{"class", "features": [{"feature", "modality", "mean_abs_shap", "mean_shap"}],
//   "modalities": [{"modality", "mean_abs_shap", "sum_of_feature_mean_abs_shap", "mean_shap"}]}],
//  "gain": [{"feature", "average_gain", "splits"}]}
[[nodiscard]] std::string importanceToJson(const GlobalImportance &importance, const FeatureSchema &schema);

} // namespace mosaic
