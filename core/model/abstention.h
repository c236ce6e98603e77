// SPDX-License-Identifier: Apache-2.0
// When a model says "no confident call" instead of a prediction: a band of predicted risk too close
// to undecided (binary models), a top class not probable enough (multi-class models), or too little
// of a modality's data present. Set in the model specification's "abstention" section, applied to
// each patient with every reason in words, and reported over a cohort: how often the model
// abstains, and how it performs on the cases it calls against all cases.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/model/metrics.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

struct RiskBand
{
    double low = 0.0; // no call when low <= risk <= high: both edges inclusive
    double high = 0.0;
};

struct CoverageRequirement
{
    Modality modality = Modality::Records;
    // Fraction of the modality's model features that must be present for a call, in [0, 1]; the
    // call needs present / in model >= minimumFraction (inclusive).
    double minimumFraction = 0.0;
};

// The specification's "abstention" object; every key is optional, unknown keys are refused:
//   {"uncertain_band": {"low": 0.3, "high": 0.7},          binary models only
//    "minimum_top_probability": 0.9,                       multi-class models only
//    "minimum_coverage": {"imaging": 1.0, "records": 0.5},
//    "required_modalities": ["genomics"]}                  at least one of its features present
struct AbstentionPolicy
{
    std::optional<RiskBand> uncertainBand;
    // A class is called only when its probability is >= this (inclusive). Capper et al. 2018
    // (Nature 555:469, DNA methylation-based classification of CNS tumours) call a methylation class
    // only at a calibrated score >= 0.9.
    std::optional<double> minimumTopProbability;
    std::vector<CoverageRequirement> minimumCoverage; // in the order the specification lists them
    std::vector<Modality> requiredModalities;

    // Errors name `sourceName` and the key path under `keyPath` ("spec.json, abstention.uncertain_band.low:
    // ..."). Malformed for a document that is not JSON, wrong types, values out of range, low > high,
    // unknown keys and modalities, and duplicates.
    static Result<AbstentionPolicy> fromJson(
        std::string_view json, std::string_view sourceName, std::string_view keyPath = "abstention");
    [[nodiscard]] std::string toJson() const;

    // InvalidArgument when the policy cannot apply to this model: a band for a multi-class model, a
    // minimum top probability for a binary one, or a modality the model has no features of.
    [[nodiscard]] Result<void> checkApplies(const FeatureSchema &schema, bool multiclass) const;
};

enum class AbstentionReasonKind { UncertainRisk, LowTopProbability, LowCoverage, MissingModality };

struct AbstentionReason
{
    AbstentionReasonKind kind = AbstentionReasonKind::UncertainRisk;
    std::optional<Modality> modality; // for LowCoverage and MissingModality
    std::string
        text; // for the clinician, e.g. "predicted risk 42.0% is inside the uncertain band 30% to 70%"
};

struct AbstentionDecision
{
    bool called = true;
    std::vector<AbstentionReason> reasons; // empty when called; otherwise every rule that failed
};

// `probabilities`: one value, P(label = 1), for a binary model; one per class otherwise. They are
// compared with the policy's thresholds at their own float32 precision, so that a predicted 0.9
// meets a threshold of 0.9 (0.9 has no exact binary form, and its float is below its double).
// `features`: the patient's row in schema order, NaN where missing. Fails as checkApplies() does,
// and when the sizes disagree with the schema.
Result<AbstentionDecision> decideAbstention(const AbstentionPolicy &policy, const FeatureSchema &schema,
    std::span<const float> probabilities, std::span<const float> features);

struct AbstentionReport
{
    std::size_t cases = 0;
    std::size_t called = 0;
    std::size_t abstained = 0;
    double abstentionRate = 0.0; // abstained / cases
    // How many cases each kind of reason applied to (a case may count under several).
    std::size_t uncertainRisk = 0;
    std::size_t lowTopProbability = 0;
    std::size_t lowCoverage = 0;
    std::size_t missingModality = 0;
    // Binary models: the metrics of all cases and of the called cases only. A set whose metrics are
    // undefined (one class only, too few cases) has none, and the reason says why.
    std::optional<BinaryMetrics> metricsAll;
    std::optional<BinaryMetrics> metricsCalled;
    std::string metricsAllUnavailable;
    std::string metricsCalledUnavailable;
    // Multi-class models (and binary at 0.5): share of cases whose most probable class is the label.
    double accuracyAll = 0.0;
    std::optional<double> accuracyCalled; // none when no case is called
};

// `probabilities`: cases x 1 (binary, P(label = 1)) or cases x classes; `labels` 0/1 or 0..K-1.
// InvalidArgument when the sizes differ, there are no cases, or a label is out of range.
Result<AbstentionReport> reportAbstention(std::span<const AbstentionDecision> decisions,
    const RowMatrixXf &probabilities, std::span<const int> labels);

// {"call": true|false, "reasons": [{"kind": "uncertain risk" | "low top-class probability" |
//  "low coverage" | "missing modality", "modality" (coverage reasons only), "text"}]}
[[nodiscard]] std::string decisionToJson(const AbstentionDecision &decision);
// {"cases", "called", "abstained", "abstention_rate", "reasons": {"uncertain_risk", ...},
//  "accuracy_all", "accuracy_called" (null when none called), "metrics_all", "metrics_called":
//  {"cases", "positives", "auroc", "auroc_ci95": [lower, upper], "auprc", "brier",
//  "calibration_slope", "calibration_intercept"} or {"unavailable": why}; binary models only}
[[nodiscard]] std::string reportToJson(const AbstentionReport &report);

} // namespace mosaic
