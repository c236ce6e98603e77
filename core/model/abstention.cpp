// SPDX-License-Identifier: Apache-2.0
#include "core/model/abstention.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

namespace mosaic {
namespace {

using Json = nlohmann::json;

// An abstention section is a few lines; anything larger is not one.
constexpr std::size_t kMaxSectionBytes = 64 * 1024;

std::string at(std::string_view sourceName, std::string_view path)
{
    return std::string(sourceName) + ", " + std::string(path);
}

// Shortest form: 0.3 -> "0.3", 30.000000000000004 -> "30".
std::string shortNumber(double value)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.6g", value);
    return buffer;
}

// A fraction as a percentage with one decimal; when that would round up to the threshold it falls
// short of, with five, so that a value below a threshold never reads as the threshold itself.
std::string percent(double fraction, double threshold = 2.0)
{
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%.1f%%", fraction * 100.0);
    if (fraction < threshold && std::strtod(buffer, nullptr) >= threshold * 100.0)
        std::snprintf(buffer, sizeof buffer, "%.5f%%", fraction * 100.0);
    return buffer;
}

std::string percentOfThreshold(double fraction)
{
    return shortNumber(fraction * 100.0) + "%";
}

// "1 imaging feature", "4 records features"
std::string featureCount(std::size_t count, Modality modality)
{
    return std::to_string(count) + " " + std::string(modalityName(modality))
        + (count == 1 ? " feature" : " features");
}

std::string modalityList()
{
    return "imaging, genomics or records";
}

Result<double> probabilityAt(const Json &value, std::string_view sourceName, const std::string &path)
{
    if (!value.is_number())
        return fail(ErrorCode::Malformed, "must be a number, not " + std::string(value.type_name()),
            at(sourceName, path));
    const double number = value.get<double>();
    if (!std::isfinite(number) || number < 0.0 || number > 1.0)
        return fail(
            ErrorCode::Malformed, "must be between 0 and 1, not " + value.dump(), at(sourceName, path));
    return number;
}

Result<void> refuseUnknownKeys(const Json &object, std::initializer_list<std::string_view> known,
    std::string_view sourceName, const std::string &path)
{
    for (const auto &[key, value] : object.items())
        if (std::ranges::find(known, key) == known.end()) {
            std::string list;
            for (std::string_view name : known)
                list += (list.empty() ? "" : ", ") + std::string(name);
            return fail(ErrorCode::Malformed, "unknown key '" + key + "' (known: " + list + ")",
                at(sourceName, path));
        }
    return {};
}

} // namespace

Result<AbstentionPolicy> AbstentionPolicy::fromJson(
    std::string_view json, std::string_view sourceName, std::string_view keyPath)
{
    const std::string root(keyPath);
    if (json.size() > kMaxSectionBytes)
        return fail(ErrorCode::LimitExceeded,
            "is " + std::to_string(json.size()) + " bytes; an abstention section is at most "
                + std::to_string(kMaxSectionBytes),
            at(sourceName, root));

    // nlohmann keeps the last of duplicate keys silently; a specification that says two things about
    // one rule is refused instead. The parser callback sees each key with the keys of its object.
    std::vector<std::pair<std::set<std::string>, std::string>> objects; // keys seen, current key
    std::string duplicate;
    const auto callback = [&](int, Json::parse_event_t event, Json &parsed) {
        if (event == Json::parse_event_t::object_start) {
            objects.emplace_back();
        } else if (event == Json::parse_event_t::object_end) {
            if (!objects.empty())
                objects.pop_back();
        } else if (event == Json::parse_event_t::key && !objects.empty() && duplicate.empty()) {
            const auto key = parsed.get<std::string>();
            if (!objects.back().first.insert(key).second) {
                duplicate = root;
                for (std::size_t i = 0; i + 1 < objects.size(); ++i)
                    duplicate += "." + objects[i].second;
                duplicate += "." + key;
            }
            objects.back().second = key;
        }
        return true;
    };
    Json document;
    try {
        document = Json::parse(json.begin(), json.end(), callback);
    } catch (const Json::parse_error &error) {
        return fail(ErrorCode::Malformed,
            error.byte > json.size() ? std::string("is not valid JSON: it ends before the JSON is complete")
                                     : "is not valid JSON (at byte " + std::to_string(error.byte) + ")",
            at(sourceName, root));
    }
    if (!duplicate.empty())
        return fail(ErrorCode::Malformed, "appears twice", at(sourceName, duplicate));
    if (!document.is_object())
        return fail(ErrorCode::Malformed, "must be an object, not " + std::string(document.type_name()),
            at(sourceName, root));
    if (auto known = refuseUnknownKeys(document,
            { "uncertain_band", "minimum_top_probability", "minimum_coverage", "required_modalities" },
            sourceName, root);
        !known)
        return std::unexpected(known.error());

    AbstentionPolicy policy;
    if (document.contains("uncertain_band")) {
        const std::string path = root + ".uncertain_band";
        const Json &band = document["uncertain_band"];
        if (!band.is_object())
            return fail(ErrorCode::Malformed,
                "must be an object {\"low\": ..., \"high\": ...}, not " + std::string(band.type_name()),
                at(sourceName, path));
        if (auto known = refuseUnknownKeys(band, { "low", "high" }, sourceName, path); !known)
            return std::unexpected(known.error());
        for (const char *edge : { "low", "high" })
            if (!band.contains(edge))
                return fail(ErrorCode::Malformed, "has no '" + std::string(edge) + "'", at(sourceName, path));
        auto low = probabilityAt(band["low"], sourceName, path + ".low");
        if (!low)
            return std::unexpected(low.error());
        auto high = probabilityAt(band["high"], sourceName, path + ".high");
        if (!high)
            return std::unexpected(high.error());
        if (*low > *high)
            return fail(ErrorCode::Malformed,
                "low (" + band["low"].dump() + ") is above high (" + band["high"].dump() + ")",
                at(sourceName, path));
        policy.uncertainBand = RiskBand { *low, *high };
    }
    if (document.contains("minimum_top_probability")) {
        auto minimum = probabilityAt(
            document["minimum_top_probability"], sourceName, root + ".minimum_top_probability");
        if (!minimum)
            return std::unexpected(minimum.error());
        policy.minimumTopProbability = *minimum;
    }
    if (document.contains("minimum_coverage")) {
        const std::string path = root + ".minimum_coverage";
        const Json &coverage = document["minimum_coverage"];
        if (!coverage.is_object())
            return fail(ErrorCode::Malformed,
                "must be an object of modality: fraction, not " + std::string(coverage.type_name()),
                at(sourceName, path));
        for (const auto &[name, value] : coverage.items()) {
            const auto modality = modalityFromName(name);
            if (!modality)
                return fail(ErrorCode::Malformed,
                    "unknown modality '" + name + "' (expected " + modalityList() + ")",
                    at(sourceName, path));
            auto fraction = probabilityAt(value, sourceName, path + "." + name);
            if (!fraction)
                return std::unexpected(fraction.error());
            policy.minimumCoverage.push_back({ *modality, *fraction });
        }
    }
    if (document.contains("required_modalities")) {
        const std::string path = root + ".required_modalities";
        const Json &required = document["required_modalities"];
        if (!required.is_array())
            return fail(ErrorCode::Malformed,
                "must be an array of modality names, not " + std::string(required.type_name()),
                at(sourceName, path));
        for (std::size_t i = 0; i < required.size(); ++i) {
            const std::string place = path + "[" + std::to_string(i) + "]";
            if (!required[i].is_string())
                return fail(ErrorCode::Malformed,
                    "must be a modality name, not " + std::string(required[i].type_name()),
                    at(sourceName, place));
            const auto name = required[i].get<std::string>();
            const auto modality = modalityFromName(name);
            if (!modality)
                return fail(ErrorCode::Malformed,
                    "unknown modality '" + name + "' (expected " + modalityList() + ")",
                    at(sourceName, place));
            if (std::ranges::find(policy.requiredModalities, *modality) != policy.requiredModalities.end())
                return fail(ErrorCode::Malformed, "'" + name + "' is listed twice", at(sourceName, place));
            policy.requiredModalities.push_back(*modality);
        }
    }
    return policy;
}

std::string AbstentionPolicy::toJson() const
{
    Json document = Json::object();
    if (uncertainBand)
        document["uncertain_band"] = { { "low", uncertainBand->low }, { "high", uncertainBand->high } };
    if (minimumTopProbability)
        document["minimum_top_probability"] = *minimumTopProbability;
    if (!minimumCoverage.empty()) {
        Json coverage = Json::object();
        for (const auto &requirement : minimumCoverage)
            coverage[std::string(modalityName(requirement.modality))] = requirement.minimumFraction;
        document["minimum_coverage"] = coverage;
    }
    if (!requiredModalities.empty()) {
        Json required = Json::array();
        for (Modality modality : requiredModalities)
            required.push_back(std::string(modalityName(modality)));
        document["required_modalities"] = required;
    }
    return document.dump();
}

Result<void> AbstentionPolicy::checkApplies(const FeatureSchema &schema, bool multiclass) const
{
    if (multiclass && uncertainBand)
        return fail(ErrorCode::InvalidArgument,
            "the abstention policy sets an uncertain risk band, which applies to binary models only; this "
            "model "
            "is multi-class (use minimum_top_probability)");
    if (!multiclass && minimumTopProbability)
        return fail(ErrorCode::InvalidArgument,
            "the abstention policy sets a minimum top-class probability, which applies to multi-class models "
            "only; this model is binary (use uncertain_band)");
    auto hasFeatures = [&](Modality modality) {
        return std::ranges::any_of(schema.definitions(),
            [&](const FeatureDefinition &definition) { return definition.modality == modality; });
    };
    std::vector<Modality> named = requiredModalities;
    for (const auto &requirement : minimumCoverage)
        named.push_back(requirement.modality);
    for (Modality modality : named)
        if (!hasFeatures(modality))
            return fail(ErrorCode::InvalidArgument,
                "the abstention policy sets a coverage rule for " + std::string(modalityName(modality))
                    + " data, but the model has no " + std::string(modalityName(modality)) + " features");
    return {};
}

Result<AbstentionDecision> decideAbstention(const AbstentionPolicy &policy, const FeatureSchema &schema,
    std::span<const float> probabilities, std::span<const float> features)
{
    if (probabilities.empty())
        return fail(ErrorCode::InvalidArgument, "there is no predicted probability to decide on");
    if (features.size() != schema.size())
        return fail(ErrorCode::InvalidArgument,
            "the patient has " + std::to_string(features.size()) + " feature values but the model has "
                + std::to_string(schema.size()) + " features");
    for (float probability : probabilities)
        if (!(probability >= 0.0f && probability <= 1.0f))
            return fail(ErrorCode::InvalidArgument, "a predicted probability is not between 0 and 1");
    const bool multiclass = probabilities.size() > 1;
    if (auto applies = policy.checkApplies(schema, multiclass); !applies)
        return std::unexpected(applies.error());

    AbstentionDecision decision;
    auto abstain = [&](AbstentionReasonKind kind, std::optional<Modality> modality, std::string text) {
        decision.called = false;
        decision.reasons.push_back({ kind, modality, std::move(text) });
    };

    if (policy.uncertainBand) {
        // Compared at the model's float32 precision, so that a predicted 0.3 meets an edge of 0.3.
        const float risk = probabilities[0];
        const RiskBand &band = *policy.uncertainBand;
        if (risk >= static_cast<float>(band.low) && risk <= static_cast<float>(band.high))
            abstain(AbstentionReasonKind::UncertainRisk, std::nullopt,
                "the predicted risk, " + percent(risk) + ", lies in the uncertain band from "
                    + percentOfThreshold(band.low) + " to " + percentOfThreshold(band.high)
                    + " (both included), where the model makes no call");
    }
    if (policy.minimumTopProbability) {
        const auto top = std::ranges::max_element(probabilities);
        const float probability = *top;
        if (probability < static_cast<float>(*policy.minimumTopProbability))
            abstain(AbstentionReasonKind::LowTopProbability, std::nullopt,
                "the most probable class (class " + std::to_string(top - probabilities.begin())
                    + ") has probability "
                    + percent(probability, static_cast<float>(*policy.minimumTopProbability)) + ", below the "
                    + percentOfThreshold(*policy.minimumTopProbability) + " needed for a call");
    }

    auto coverageOf = [&](Modality modality) {
        std::pair<std::size_t, std::size_t> counts { 0, 0 }; // present, in model
        for (std::size_t i = 0; i < schema.size(); ++i)
            if (schema.at(i).modality == modality) {
                ++counts.second;
                counts.first += std::isnan(features[i]) ? 0 : 1;
            }
        return counts;
    };
    for (Modality modality : policy.requiredModalities) {
        const auto [present, inModel] = coverageOf(modality);
        if (present == 0)
            abstain(AbstentionReasonKind::MissingModality, modality,
                "no " + std::string(modalityName(modality)) + " data: none of the model's "
                    + featureCount(inModel, modality) + " is present, and a call needs "
                    + std::string(modalityName(modality)) + " data");
    }
    for (const auto &requirement : policy.minimumCoverage) {
        const auto [present, inModel] = coverageOf(requirement.modality);
        // present / inModel is exact for the fractions a clinician writes (1 of 2 is 0.5, 2 of 4 is 0.5).
        const double fraction = static_cast<double>(present) / static_cast<double>(inModel);
        if (fraction < requirement.minimumFraction)
            abstain(AbstentionReasonKind::LowCoverage, requirement.modality,
                "too little " + std::string(modalityName(requirement.modality))
                    + " data: " + std::to_string(present) + " of the model's "
                    + featureCount(inModel, requirement.modality) + " present ("
                    + percent(fraction, requirement.minimumFraction) + "); a call needs at least "
                    + percentOfThreshold(requirement.minimumFraction));
    }
    return decision;
}

Result<AbstentionReport> reportAbstention(std::span<const AbstentionDecision> decisions,
    const RowMatrixXf &probabilities, std::span<const int> labels)
{
    const std::size_t cases = decisions.size();
    if (cases == 0)
        return fail(ErrorCode::InvalidArgument, "there are no cases to report on");
    if (static_cast<std::size_t>(probabilities.rows()) != cases || labels.size() != cases)
        return fail(ErrorCode::InvalidArgument,
            "there are " + std::to_string(cases) + " decisions, " + std::to_string(probabilities.rows())
                + " predictions and " + std::to_string(labels.size()) + " labels");
    const bool binary = probabilities.cols() == 1;
    const int classes = binary ? 2 : static_cast<int>(probabilities.cols());
    if (classes < 2)
        return fail(ErrorCode::InvalidArgument, "there are no predicted probabilities");
    for (int label : labels)
        if (label < 0 || label >= classes)
            return fail(ErrorCode::InvalidArgument,
                "a label is " + std::to_string(label) + "; labels must be 0 to "
                    + std::to_string(classes - 1));

    AbstentionReport report;
    report.cases = cases;
    std::vector<double> allProbabilities;
    std::vector<int> allLabels;
    std::vector<double> calledProbabilities;
    std::vector<int> calledLabels;
    std::size_t correct = 0;
    std::size_t correctCalled = 0;
    for (std::size_t i = 0; i < cases; ++i) {
        const auto row = static_cast<Eigen::Index>(i);
        const AbstentionDecision &decision = decisions[i];
        if (decision.called)
            ++report.called;
        // Each kind counted once per case, however many modalities fell short.
        auto has = [&](AbstentionReasonKind kind) {
            return std::ranges::find(decision.reasons, kind, &AbstentionReason::kind)
                != decision.reasons.end();
        };
        report.uncertainRisk += has(AbstentionReasonKind::UncertainRisk) ? 1 : 0;
        report.lowTopProbability += has(AbstentionReasonKind::LowTopProbability) ? 1 : 0;
        report.lowCoverage += has(AbstentionReasonKind::LowCoverage) ? 1 : 0;
        report.missingModality += has(AbstentionReasonKind::MissingModality) ? 1 : 0;
        int predicted = 0;
        if (binary) {
            predicted = probabilities(row, 0) >= 0.5f ? 1 : 0;
        } else {
            Eigen::Index best = 0;
            probabilities.row(row).maxCoeff(&best);
            predicted = static_cast<int>(best);
        }
        const bool right = predicted == labels[i];
        correct += right ? 1 : 0;
        if (decision.called)
            correctCalled += right ? 1 : 0;
        if (binary) {
            allProbabilities.push_back(probabilities(row, 0));
            allLabels.push_back(labels[i]);
            if (decision.called) {
                calledProbabilities.push_back(probabilities(row, 0));
                calledLabels.push_back(labels[i]);
            }
        }
    }
    report.abstained = cases - report.called;
    report.abstentionRate = static_cast<double>(report.abstained) / static_cast<double>(cases);
    report.accuracyAll = static_cast<double>(correct) / static_cast<double>(cases);
    if (report.called > 0)
        report.accuracyCalled = static_cast<double>(correctCalled) / static_cast<double>(report.called);
    if (binary) {
        if (auto all = evaluateBinary(allProbabilities, allLabels))
            report.metricsAll = *all;
        else
            report.metricsAllUnavailable = all.error().message();
        if (calledLabels.empty())
            report.metricsCalledUnavailable = "the model called no case";
        else if (auto called = evaluateBinary(calledProbabilities, calledLabels))
            report.metricsCalled = *called;
        else
            report.metricsCalledUnavailable = called.error().message();
    }
    return report;
}

namespace {

std::string_view reasonKindName(AbstentionReasonKind kind)
{
    switch (kind) {
    case AbstentionReasonKind::UncertainRisk: return "uncertain risk";
    case AbstentionReasonKind::LowTopProbability: return "low top-class probability";
    case AbstentionReasonKind::LowCoverage: return "low coverage";
    case AbstentionReasonKind::MissingModality: return "missing modality";
    }
    return "unknown";
}

Json metricsJson(const std::optional<BinaryMetrics> &metrics, const std::string &unavailable)
{
    if (!metrics)
        return { { "unavailable", unavailable } };
    return { { "cases", metrics->cases }, { "positives", metrics->positives },
        { "auroc", metrics->auroc.auroc },
        { "auroc_ci95", { metrics->auroc.ci95.lower, metrics->auroc.ci95.upper } },
        { "auprc", metrics->auprc }, { "brier", metrics->brier },
        { "calibration_slope", metrics->calibration.slope },
        { "calibration_intercept", metrics->calibration.intercept } };
}

} // namespace

std::string decisionToJson(const AbstentionDecision &decision)
{
    Json reasons = Json::array();
    for (const auto &reason : decision.reasons) {
        Json entry = { { "kind", reasonKindName(reason.kind) }, { "text", reason.text } };
        if (reason.modality)
            entry["modality"] = modalityName(*reason.modality);
        reasons.push_back(entry);
    }
    return Json { { "call", decision.called }, { "reasons", reasons } }.dump();
}

std::string reportToJson(const AbstentionReport &report)
{
    Json document = { { "cases", report.cases }, { "called", report.called },
        { "abstained", report.abstained }, { "abstention_rate", report.abstentionRate },
        { "reasons",
            { { "uncertain_risk", report.uncertainRisk }, { "low_top_probability", report.lowTopProbability },
                { "low_coverage", report.lowCoverage }, { "missing_modality", report.missingModality } } },
        { "accuracy_all", report.accuracyAll },
        { "accuracy_called", report.accuracyCalled ? Json(*report.accuracyCalled) : Json(nullptr) } };
    if (report.metricsAll || !report.metricsAllUnavailable.empty()) {
        document["metrics_all"] = metricsJson(report.metricsAll, report.metricsAllUnavailable);
        document["metrics_called"] = metricsJson(report.metricsCalled, report.metricsCalledUnavailable);
    }
    return document.dump();
}

} // namespace mosaic
