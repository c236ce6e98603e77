// SPDX-License-Identifier: Apache-2.0
#include "core/model/model_training.h"

#include "core/model/calibration.h"
#include "core/model/decision_curve.h"
#include "core/model/explanation.h"
#include "core/model/metrics.h"
#include "core/timestamp.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <tuple>

namespace mosaic {
namespace {

using Json = nlohmann::json;

// NaN and infinities are not JSON: an undefined figure is written as null.
Json number(double value)
{
    return std::isfinite(value) ? Json(value) : Json(nullptr);
}

Json intervalJson(const MetricInterval &metric)
{
    Json json = { { "estimate", metric.defined ? number(metric.estimate) : Json(nullptr) },
        { "ci95", { number(metric.ci95.lower), number(metric.ci95.upper) } },
        { "defined_resamples", metric.definedResamples },
        { "undefined_resamples", metric.undefinedResamples } };
    if (!metric.undefinedReason.empty())
        json["undefined_reason"] = metric.undefinedReason;
    return json;
}

Json bootstrapJson(const BinaryBootstrapReport &report)
{
    const ThresholdMetrics &t = report.atThreshold;
    return { { "cases", report.cases }, { "positives", report.positives }, { "resamples", report.resamples },
        { "seed", report.seed },
        { "auroc_delong",
            { { "estimate", number(report.aurocDeLong.auroc) },
                { "ci95",
                    { number(report.aurocDeLong.ci95.lower), number(report.aurocDeLong.ci95.upper) } } } },
        { "auroc", intervalJson(report.auroc) }, { "auprc", intervalJson(report.auprc) },
        { "brier", intervalJson(report.brier) },
        { "calibration_slope", intervalJson(report.calibrationSlope) },
        { "calibration_intercept", intervalJson(report.calibrationIntercept) },
        { "threshold",
            { { "value", t.threshold }, { "true_positives", t.truePositives },
                { "false_positives", t.falsePositives }, { "true_negatives", t.trueNegatives },
                { "false_negatives", t.falseNegatives } } },
        { "sensitivity", intervalJson(report.sensitivity) },
        { "specificity", intervalJson(report.specificity) },
        { "ppv", intervalJson(report.positivePredictiveValue) },
        { "npv", intervalJson(report.negativePredictiveValue) } };
}

Json reliabilityJson(const std::vector<ReliabilityBin> &bins)
{
    Json json = Json::array();
    for (const ReliabilityBin &bin : bins)
        json.push_back({ { "lower", bin.lower }, { "upper", bin.upper }, { "count", bin.count },
            { "mean_predicted", number(bin.meanPredicted) },
            { "observed_fraction", number(bin.observedFraction) } });
    return json;
}

// Slope, intercept (when defined), ECE/MCE and the reliability curve of `probabilities`.
Json calibrationJson(std::span<const double> probabilities, std::span<const int> labels)
{
    Json json = Json::object();
    if (auto fit = calibration(probabilities, labels)) {
        json["slope"] = number(fit->slope);
        json["intercept"] = number(fit->intercept);
    } else {
        json["slope"] = nullptr;
        json["intercept"] = nullptr;
        json["undefined_reason"] = fit.error().detail;
    }
    if (auto error = calibrationError(probabilities, labels)) {
        json["expected_calibration_error"] = error->expected;
        json["maximum_calibration_error"] = error->maximum;
    }
    if (auto curve = reliabilityCurve(probabilities, labels))
        json["reliability_uniform_10"] = reliabilityJson(*curve);
    if (auto curve = reliabilityCurve(probabilities, labels, 10, BinStrategy::Quantile))
        json["reliability_quantile_10"] = reliabilityJson(*curve);
    return json;
}

std::vector<double> defaultDecisionThresholds()
{
    std::vector<double> thresholds;
    for (int step = 1; step <= 19; ++step)
        thresholds.push_back(step * 0.05);
    return thresholds;
}

// The calibrated out-of-fold probabilities for the report: each outer fold's predictions mapped by
// a calibration fitted on the other folds' predictions only.
Result<std::vector<double>> crossFittedCalibration(ProbabilityCalibration::Method method,
    std::span<const double> outOfFold, std::span<const int> labels, const std::vector<OuterFoldResult> &folds)
{
    std::vector<double> calibrated(outOfFold.begin(), outOfFold.end());
    if (method == ProbabilityCalibration::Method::None)
        return calibrated;
    std::vector<char> inFold(outOfFold.size());
    for (const OuterFoldResult &fold : folds) {
        if (fold.repeat != 0)
            continue;
        std::ranges::fill(inFold, 0);
        for (const std::size_t row : fold.testRows)
            inFold[row] = 1;
        std::vector<double> otherProbabilities;
        std::vector<int> otherLabels;
        for (std::size_t row = 0; row < outOfFold.size(); ++row)
            if (!inFold[row]) {
                otherProbabilities.push_back(outOfFold[row]);
                otherLabels.push_back(labels[row]);
            }
        auto map = fitCalibration(method, otherProbabilities, otherLabels);
        if (!map)
            return std::unexpected(map.error());
        for (const std::size_t row : fold.testRows)
            calibrated[row] = map->apply(outOfFold[row]);
    }
    return calibrated;
}

Json choiceJson(const HyperparameterChoice &choice, const std::vector<HyperparameterCandidate> &grid)
{
    const HyperparameterCandidate &candidate = grid.at(choice.candidate);
    return { { "max_depth", candidate.maxDepth }, { "learning_rate", candidate.learningRate },
        { "min_child_weight", candidate.minChildWeight }, { "rounds", choice.rounds },
        { "inner_score", number(choice.score) } };
}

std::string criterionName(SelectionCriterion criterion)
{
    return criterion == SelectionCriterion::LogLoss ? "log loss" : "AUROC";
}

std::string protocolText(const ModelSelectionSettings &s, bool grouped, ProbabilityCalibration::Method method,
    const BootstrapOptions &bootstrap)
{
    std::string text = "nested cross-validation: " + std::to_string(s.outerFolds) + "-fold stratified"
        + (grouped ? " grouped (no patient in two folds)" : "") + " outer loop"
        + (s.repeats > 1 ? " repeated " + std::to_string(s.repeats) + " times" : "") + ", seed "
        + std::to_string(s.seed) + "; in each outer training fold an inner " + std::to_string(s.innerFolds)
        + "-fold search over " + std::to_string(s.grid.size())
        + " hyperparameter candidates (depth, learning rate, minimum child weight) with early stopping after "
        + std::to_string(s.earlyStoppingRounds) + " rounds without improvement, chosen by pooled inner "
        + criterionName(s.criterion) + (s.balancedClassWeights ? ", balanced class weights" : "")
        + "; probabilities calibrated (" + std::string(calibrationMethodName(method))
        + ") by a map fitted on the other outer folds' predictions; 95% intervals from "
        + std::to_string(bootstrap.resamples)
        + " stratified bootstrap resamples of the out-of-fold predictions";
    return text;
}

// The feature pairs whose SHAP interaction values are strongest over the training cases (in-sample):
// for each patient its 10 strongest pairs; a pair's figures are how many patients list it and the
// mean |value| where listed. Too many features for XGBoost's interaction matrix: said, not computed.
Json interactionSummary(const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features)
{
    constexpr std::size_t kPerPatient = 10;
    const std::size_t side = schema.size() + 1;
    if (side * side > kInteractionBatchValues)
        return { { "not_computed",
            "more features than one patient's interaction matrix may hold ("
                + std::to_string(kInteractionBatchValues) + " values)" } };
    auto interactions = strongestInteractions(booster, schema, features, kPerPatient);
    if (!interactions)
        return { { "not_computed", interactions.error().message() } };
    struct Tally
    {
        std::size_t first = 0;
        std::size_t second = 0;
        std::size_t patients = 0;
        double absoluteSum = 0.0;
    };
    std::vector<Tally> tallies;
    for (const PatientInteractions &patient : *interactions)
        for (const InteractionPair &pair : patient.byClass.front()) {
            auto it = std::ranges::find_if(tallies,
                [&](const Tally &tally) { return tally.first == pair.first && tally.second == pair.second; });
            if (it == tallies.end())
                it = tallies.insert(tallies.end(), Tally { pair.first, pair.second, 0, 0.0 });
            ++it->patients;
            it->absoluteSum += std::abs(pair.value);
        }
    std::ranges::stable_sort(
        tallies, [](const Tally &a, const Tally &b) { return a.absoluteSum > b.absoluteSum; });
    Json pairs = Json::array();
    for (std::size_t i = 0; i < std::min<std::size_t>(10, tallies.size()); ++i)
        pairs.push_back({ { "first", schema.at(tallies[i].first).name },
            { "second", schema.at(tallies[i].second).name }, { "patients_listing_it", tallies[i].patients },
            { "mean_absolute_value_where_listed",
                tallies[i].absoluteSum / static_cast<double>(tallies[i].patients) },
            { "sum_absolute_value", tallies[i].absoluteSum } });
    return { { "on",
                 "each training case's 10 strongest SHAP interaction pairs of the final model (in-sample)" },
        { "pairs", std::move(pairs) } };
}

} // namespace

Result<void> readTrainingSection(std::string_view json, std::string_view sourceName, TrainingPlan &plan)
{
    const Json section = Json::parse(json, nullptr, false);
    const std::string source(sourceName);
    if (section.is_discarded() || !section.is_object())
        return fail(ErrorCode::Malformed, "training: not a JSON object", source);
    auto bad = [&](const std::string &key, const std::string &problem) {
        return fail(ErrorCode::InvalidArgument, "training." + key + ": " + problem, source);
    };
    auto integer = [&](const std::string &key, int low, int high, int &target) -> Result<void> {
        if (!section.contains(key))
            return {};
        const Json &value = section[key];
        if (!value.is_number_integer() || value.get<std::int64_t>() < low || value.get<std::int64_t>() > high)
            return bad(
                key, "must be a whole number from " + std::to_string(low) + " to " + std::to_string(high));
        target = value.get<int>();
        return {};
    };
    auto real = [&](const Json &value, const std::string &key, double low, double high) -> Result<double> {
        if (!value.is_number() || !(value.get<double>() >= low && value.get<double>() <= high))
            return bad(key, "must be a number from " + std::to_string(low) + " to " + std::to_string(high));
        return value.get<double>();
    };
    static constexpr std::string_view kKeys[]
        = { "outer_folds", "inner_folds", "repeats", "seed", "max_rounds", "early_stopping_rounds", "grid",
              "criterion", "class_weights", "subsample", "column_sample", "calibration", "threshold",
              "decision_thresholds", "bootstrap_resamples", "bootstrap_seed" };
    for (const auto &[key, value] : section.items())
        if (std::ranges::find(kKeys, key) == std::end(kKeys))
            return bad(key, "is not a training setting Mosaic knows");

    ModelSelectionSettings &s = plan.selection;
    for (auto [key, low, high, target] : { std::tuple { "outer_folds", 2, 100, &s.outerFolds },
             std::tuple { "inner_folds", 2, 20, &s.innerFolds }, std::tuple { "repeats", 1, 100, &s.repeats },
             std::tuple { "max_rounds", 1, 100000, &s.training.rounds },
             std::tuple { "early_stopping_rounds", 1, 10000, &s.earlyStoppingRounds } })
        if (auto read = integer(key, low, high, *target); !read)
            return read;
    if (section.contains("seed")) {
        if (!section["seed"].is_number_unsigned())
            return bad("seed", "must be a whole number from 0");
        s.seed = section["seed"].get<std::uint64_t>();
        s.training.seed = s.seed;
    }
    if (section.contains("grid")) {
        const Json &grid = section["grid"];
        if (!grid.is_object())
            return bad("grid", "must be an object of lists");
        std::vector<int> depths;
        std::vector<double> rates;
        std::vector<double> weights;
        for (const auto &[key, values] : grid.items()) {
            if (key != "max_depth" && key != "learning_rate" && key != "min_child_weight")
                return bad("grid." + key, "is not a hyperparameter the search varies");
            if (!values.is_array() || values.empty() || values.size() > 20)
                return bad("grid." + key, "must be a list of 1 to 20 values");
            for (const Json &value : values) {
                if (key == "max_depth") {
                    if (!value.is_number_integer() || value.get<int>() < 1 || value.get<int>() > 20)
                        return bad("grid.max_depth", "must hold whole numbers from 1 to 20");
                    depths.push_back(value.get<int>());
                } else {
                    auto number = real(value, "grid." + key, key == "learning_rate" ? 1e-4 : 0.0,
                        key == "learning_rate" ? 1.0 : 1e6);
                    if (!number)
                        return std::unexpected(number.error());
                    (key == "learning_rate" ? rates : weights).push_back(*number);
                }
            }
        }
        const auto defaults = defaultHyperparameterGrid();
        auto distinct = [](auto values, auto fallback) {
            if (values.empty())
                for (const auto &candidate : fallback)
                    if (std::ranges::find(values, candidate) == values.end())
                        values.push_back(candidate);
            return values;
        };
        std::vector<int> defaultDepths;
        std::vector<double> defaultRates;
        std::vector<double> defaultWeights;
        for (const auto &candidate : defaults) {
            defaultDepths.push_back(candidate.maxDepth);
            defaultRates.push_back(candidate.learningRate);
            defaultWeights.push_back(candidate.minChildWeight);
        }
        depths = distinct(depths, defaultDepths);
        rates = distinct(rates, defaultRates);
        weights = distinct(weights, defaultWeights);
        s.grid.clear();
        for (const int depth : depths)
            for (const double rate : rates)
                for (const double weight : weights)
                    s.grid.push_back({ depth, rate, weight });
    }
    if (section.contains("criterion")) {
        const Json &value = section["criterion"];
        if (value == "log_loss")
            s.criterion = SelectionCriterion::LogLoss;
        else if (value == "auroc")
            s.criterion = SelectionCriterion::Auroc;
        else
            return bad("criterion", "must be \"log_loss\" or \"auroc\"");
    }
    if (section.contains("class_weights")) {
        const Json &value = section["class_weights"];
        if (value != "balanced" && value != "none")
            return bad("class_weights", "must be \"balanced\" or \"none\"");
        s.balancedClassWeights = value == "balanced";
    }
    for (auto [key, target] : { std::pair { "subsample", &s.training.subsample },
             std::pair { "column_sample", &s.training.columnSample } })
        if (section.contains(key)) {
            auto number = real(section[key], key, 0.01, 1.0);
            if (!number)
                return std::unexpected(number.error());
            *target = *number;
        }
    if (section.contains("calibration")) {
        const Json &value = section["calibration"];
        const auto method
            = value.is_string() ? calibrationMethodFromName(value.get<std::string>()) : std::nullopt;
        if (!method)
            return bad("calibration", "must be \"platt\", \"isotonic\" or \"none\"");
        plan.calibration = *method;
    }
    if (section.contains("threshold")) {
        auto number = real(section["threshold"], "threshold", 1e-6, 1.0 - 1e-6);
        if (!number)
            return std::unexpected(number.error());
        plan.threshold = *number;
    }
    if (section.contains("decision_thresholds")) {
        const Json &values = section["decision_thresholds"];
        if (!values.is_array() || values.empty() || values.size() > 1000)
            return bad("decision_thresholds", "must be a list of 1 to 1000 thresholds");
        plan.decisionThresholds.clear();
        for (const Json &value : values) {
            auto number = real(value, "decision_thresholds", 1e-6, 1.0 - 1e-6);
            if (!number)
                return std::unexpected(number.error());
            plan.decisionThresholds.push_back(*number);
        }
    }
    if (section.contains("bootstrap_resamples")) {
        int resamples = 0;
        if (auto read = integer("bootstrap_resamples", 100, 100000, resamples); !read)
            return read;
        plan.bootstrap.resamples = static_cast<std::size_t>(resamples);
    }
    if (section.contains("bootstrap_seed")) {
        if (!section["bootstrap_seed"].is_number_unsigned())
            return bad("bootstrap_seed", "must be a whole number from 0");
        plan.bootstrap.seed = section["bootstrap_seed"].get<std::uint64_t>();
    }
    return {};
}

Result<TrainedModel> trainModel(const TrainingData &data, const TrainingPlan &plan, std::stop_token stop,
    const TrainingPipelineProgress &progress)
{
    const std::size_t rows = static_cast<std::size_t>(data.features.rows());
    if (data.labels.size() != rows || static_cast<std::size_t>(data.features.cols()) != plan.schema.size()
        || (!data.groups.empty() && data.groups.size() != rows))
        return fail(ErrorCode::InvalidArgument,
            "training needs one label (and group, when given) per row and one column per schema feature",
            data.sourceName);
    if (std::ranges::any_of(data.labels, [](int label) { return label != 0 && label != 1; }))
        return fail(ErrorCode::InvalidArgument, "a risk model needs labels 0 or 1", data.sourceName);
    auto attributeOf = [&](const std::string &name) -> const std::vector<std::string> * {
        for (const auto &[attribute, values] : data.attributes)
            if (attribute == name)
                return &values;
        return nullptr;
    };
    for (const std::string &subgroup : plan.subgroups) {
        const auto *values = attributeOf(subgroup);
        if (!values || values->size() != rows)
            return fail(ErrorCode::InvalidArgument,
                "subgroup '" + subgroup + "' is not a column of the cohort with one value per case",
                data.sourceName);
    }
    if (plan.abstention)
        if (auto applies = plan.abstention->checkApplies(plan.schema, false); !applies)
            return std::unexpected(applies.error());

    ModelSelectionSettings selection = plan.selection;
    selection.training.objective = Objective::BinaryLogistic;
    selection.training.classCount = 2;
    const std::vector<std::string> names = plan.schema.names();

    // Nested search: one step per fit, then the final fit.
    int stepsInAll = 0;
    auto searchProgress = [&](int done, int total) {
        stepsInAll = total + 1;
        if (progress)
            progress(done, stepsInAll);
    };
    auto selected
        = nestedModelSelection(data.features, data.labels, data.groups, selection, stop, searchProgress);
    if (!selected)
        return std::unexpected(selected.error());

    // Out-of-fold probabilities, averaged over repeats.
    std::vector<double> outOfFold(rows, 0.0);
    for (const auto &repeat : selected->outOfFold)
        for (std::size_t row = 0; row < rows; ++row)
            outOfFold[row] += repeat(static_cast<Eigen::Index>(row), 0)
                / static_cast<double>(selected->outOfFold.size());

    auto calibrated = crossFittedCalibration(plan.calibration, outOfFold, data.labels, selected->outerFolds);
    if (!calibrated)
        return std::unexpected(calibrated.error());
    auto shippedCalibration = fitCalibration(plan.calibration, outOfFold, data.labels);
    if (!shippedCalibration)
        return std::unexpected(shippedCalibration.error());

    auto bootstrap = bootstrapBinaryMetrics(*calibrated, data.labels, plan.threshold, plan.bootstrap);
    if (!bootstrap)
        return std::unexpected(bootstrap.error());
    auto uncalibrated = bootstrapBinaryMetrics(outOfFold, data.labels, plan.threshold, plan.bootstrap);
    if (!uncalibrated)
        return std::unexpected(uncalibrated.error());
    const std::vector<double> thresholds
        = plan.decisionThresholds.empty() ? defaultDecisionThresholds() : plan.decisionThresholds;
    auto decision = bootstrapDecisionCurve(*calibrated, data.labels, thresholds, plan.bootstrap);
    if (!decision)
        return std::unexpected(decision.error());

    Json details = Json::object();
    details["protocol"] = protocolText(selection, !data.groups.empty(), plan.calibration, plan.bootstrap);
    details["metrics"] = bootstrapJson(*bootstrap);
    details["metrics_before_calibration"] = bootstrapJson(*uncalibrated);
    details["calibration"] = { { "method", calibrationMethodName(plan.calibration) },
        { "before", calibrationJson(outOfFold, data.labels) },
        { "after_cross_fitted", calibrationJson(*calibrated, data.labels) } };
    Json curve = Json::array();
    for (std::size_t i = 0; i < decision->points.size(); ++i) {
        const NetBenefitPoint &point = decision->points[i];
        curve.push_back({ { "threshold", point.threshold }, { "net_benefit", number(point.model) },
            { "net_benefit_ci95",
                { number(decision->model[i].ci95.lower), number(decision->model[i].ci95.upper) } },
            { "treat_all", number(point.treatAll) }, { "treat_none", 0.0 } });
    }
    details["decision_curve"] = std::move(curve);

    Json subgroups = Json::object();
    for (const std::string &subgroup : plan.subgroups) {
        auto reports = bootstrapBinaryMetricsBySubgroup(
            *calibrated, data.labels, *attributeOf(subgroup), plan.threshold, plan.bootstrap);
        if (!reports)
            return std::unexpected(reports.error());
        Json entries = Json::array();
        for (const SubgroupReport &report : *reports) {
            Json entry
                = { { "value", report.name }, { "cases", report.rows }, { "positives", report.positives } };
            if (report.status == SubgroupStatus::Evaluated)
                entry["metrics"] = bootstrapJson(report.metrics);
            else
                entry["not_evaluated"] = report.note;
            entries.push_back(std::move(entry));
        }
        subgroups[subgroup] = std::move(entries);
    }
    details["subgroups"] = std::move(subgroups);

    Json folds = Json::array();
    for (const OuterFoldResult &fold : selected->outerFolds) {
        Json entry = choiceJson(fold.choice, selection.grid);
        entry["repeat"] = fold.repeat;
        entry["fold"] = fold.fold;
        entry["test_cases"] = fold.testRows.size();
        folds.push_back(std::move(entry));
    }
    details["outer_folds"] = std::move(folds);
    details["final_choice"] = choiceJson(selected->finalChoice, selection.grid);

    ValidationReport report;
    report.protocol = details["protocol"].get<std::string>();
    report.folds = selection.outerFolds;
    report.repeats = selection.repeats;
    report.seed = selection.seed;
    report.calibrationMethod = std::string(calibrationMethodName(plan.calibration));
    report.metrics.cases = rows;
    report.metrics.positives = bootstrap->positives;
    report.metrics.auroc = bootstrap->aurocDeLong;
    report.metrics.auprc = bootstrap->auprc.estimate;
    report.metrics.brier = bootstrap->brier.estimate;
    report.metrics.calibration.slope = bootstrap->calibrationSlope.defined
        ? bootstrap->calibrationSlope.estimate
        : std::numeric_limits<double>::quiet_NaN();
    report.metrics.calibration.intercept = bootstrap->calibrationIntercept.defined
        ? bootstrap->calibrationIntercept.estimate
        : std::numeric_limits<double>::quiet_NaN();
    report.aurocBootstrap95 = bootstrap->auroc.ci95;
    report.brierBootstrap95 = bootstrap->brier.ci95;
    if (auto error = calibrationError(*calibrated, data.labels))
        report.expectedCalibrationError = error->expected;

    // Abstention as the model will practise it, judged on the calibrated out-of-fold risks.
    if (plan.abstention) {
        std::vector<AbstentionDecision> decisions;
        decisions.reserve(rows);
        RowMatrixXf probabilities(static_cast<Eigen::Index>(rows), 1);
        for (std::size_t row = 0; row < rows; ++row) {
            const float risk = static_cast<float>((*calibrated)[row]);
            probabilities(static_cast<Eigen::Index>(row), 0) = risk;
            const auto features = data.features.row(static_cast<Eigen::Index>(row));
            auto decided = decideAbstention(*plan.abstention, plan.schema, std::span<const float>(&risk, 1),
                std::span<const float>(features.data(), static_cast<std::size_t>(features.size())));
            if (!decided)
                return std::unexpected(decided.error());
            decisions.push_back(std::move(*decided));
        }
        auto abstained = reportAbstention(decisions, probabilities, data.labels);
        if (!abstained)
            return std::unexpected(abstained.error());
        report.abstentionRate = abstained->abstentionRate;
        details["abstention"] = Json::parse(reportToJson(*abstained));
        details["abstention"]["policy"] = Json::parse(plan.abstention->toJson());
    }

    // The final model: every case, the hyperparameters the same search chose on all of them.
    std::vector<float> labelValues(data.labels.begin(), data.labels.end());
    auto matrix = DMatrix::fromDense(data.features, labelValues, names);
    if (!matrix)
        return std::unexpected(matrix.error());
    if (selection.balancedClassWeights) {
        auto weights = balancedClassWeights(data.labels, 2);
        if (!weights)
            return std::unexpected(weights.error());
        if (auto set = matrix->setWeights(weights->forRows(data.labels)); !set)
            return std::unexpected(set.error());
    }
    auto booster = Booster::train(*matrix, selected->finalParameters, stop);
    if (!booster)
        return std::unexpected(booster.error());
    auto model = booster->save(ModelFormat::Json);
    if (!model)
        return std::unexpected(model.error());

    // Which modalities the model leans on, over the training cases (in-sample, said so).
    auto importance = globalImportance(*booster, plan.schema, data.features);
    if (!importance)
        return std::unexpected(importance.error());
    {
        Json byModality = Json::array();
        for (const ModalityImportance &modality : importance->classes.front().modalities)
            byModality.push_back({ { "modality", modalityName(modality.modality) },
                { "mean_absolute_shap", modality.meanAbsoluteShap },
                { "sum_of_feature_mean_absolute_shap", modality.sumOfFeatureMeanAbsoluteShap },
                { "mean_shap", modality.meanShap } });
        std::vector<std::size_t> order(plan.schema.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        const auto &features = importance->classes.front().features;
        std::ranges::stable_sort(order, [&](std::size_t a, std::size_t b) {
            return features[a].meanAbsoluteShap > features[b].meanAbsoluteShap;
        });
        Json top = Json::array();
        for (std::size_t i = 0; i < std::min<std::size_t>(20, order.size()); ++i)
            top.push_back({ { "feature", plan.schema.at(order[i]).name },
                { "modality", modalityName(plan.schema.at(order[i]).modality) },
                { "mean_absolute_shap", features[order[i]].meanAbsoluteShap } });
        details["importance"]
            = { { "on", "the final model's SHAP values over its training cases (in-sample)" },
                  { "modalities", std::move(byModality) }, { "top_features", std::move(top) } };
    }
    details["interactions"] = interactionSummary(*booster, plan.schema, data.features);
    if (progress)
        progress(stepsInAll, stepsInAll);

    report.details = details.dump();

    ModelBundle bundle;
    bundle.name = plan.name;
    bundle.labelColumn = plan.labelColumn;
    bundle.outcome = plan.outcome;
    bundle.schema = plan.schema;
    bundle.parameters = selected->finalParameters;
    bundle.trainingSource = data.sourceName;
    bundle.trainingCases = rows;
    bundle.trainingPositives = bootstrap->positives;
    auto dataHash = hashTrainingData(data.features, labelValues);
    if (!dataHash)
        return std::unexpected(dataHash.error());
    bundle.trainingDataSha256 = std::move(*dataHash);
    bundle.libraries = currentLibraryVersions();
    bundle.createdAt = utcTimestampNow();
    bundle.intendedUse = plan.intendedUse;
    bundle.limitations = plan.limitations;
    bundle.specification = plan.specification;
    bundle.validation = std::move(report);
    bundle.calibration = std::move(*shippedCalibration);
    bundle.abstention = plan.abstention;
    bundle.xgboostModel = std::move(*model);

    TrainedModel trained { std::move(bundle), std::move(outOfFold), std::move(*calibrated),
        std::vector<int>(rows, -1) };
    for (const OuterFoldResult &fold : selected->outerFolds)
        if (fold.repeat == 0)
            for (const std::size_t row : fold.testRows)
                trained.outerFold[row] = fold.fold;
    return trained;
}

} // namespace mosaic
