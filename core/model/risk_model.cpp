// SPDX-License-Identifier: Apache-2.0
#include "core/model/risk_model.h"

#include "core/model/nested_cross_validation.h"
#include "core/timestamp.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <span>

namespace mosaic {

Result<ModelBundle> trainRiskModel(const CohortTable &table, const FeatureSchema &schema,
    const TrainingRequest &request, std::stop_token stop, const TrainingStepProgress &progress)
{
    if (!table.labels)
        return fail(ErrorCode::InvalidArgument, "the table has no label column", table.sourceName);
    auto features = table.select(schema);
    if (!features)
        return std::unexpected(features.error());

    std::vector<int> labels;
    std::vector<float> labelValues;
    labels.reserve(table.rows());
    for (std::size_t row = 0; row < table.rows(); ++row) {
        const float label = (*table.labels)(static_cast<Eigen::Index>(row));
        if (label != 0.0f && label != 1.0f)
            return fail(ErrorCode::InvalidArgument, "a risk model needs labels 0 or 1; this one is not",
                table.sourceName + ", line " + std::to_string(table.lineNumbers[row]));
        labels.push_back(static_cast<int>(label));
        labelValues.push_back(label);
    }

    const int totalSteps = request.validation.folds * request.validation.repeats + 1;
    auto reportProgress = [&](int done, int) {
        if (progress)
            progress(done, totalSteps);
    };

    // Which schema features the final model uses: all of them, or those chosen on the whole table by
    // the same inner procedure that nested cross-validation ran inside each outer fold.
    FeatureSchema modelSchema = schema;
    RowMatrixXf modelFeatures = *features;
    ValidationReport report;
    if (request.featureSelection) {
        NestedCrossValidationSettings nested;
        nested.outer = request.validation;
        nested.innerFolds = request.innerFolds;
        nested.selection = *request.featureSelection;
        auto validation = nestedCrossValidateBinary(*features, labels, nested, stop, reportProgress);
        if (!validation)
            return std::unexpected(validation.error());
        report = makeValidationReport(validation->outer);
        report.protocol = "nested cross-validation: " + std::to_string(nested.outer.repeats)
            + " x repeated stratified " + std::to_string(nested.outer.folds) + "-fold outer loop, seed "
            + std::to_string(nested.outer.seed) + "; in each outer training fold, an inner stratified "
            + std::to_string(nested.innerFolds)
            + "-fold loop chose how many features to keep, ranked by univariate AUROC with redundant ones "
              "(|Spearman| > "
            + std::to_string(nested.selection.maxCorrelation).substr(0, 4)
            + ") skipped; metrics on each repeat's out-of-fold predictions, averaged over repeats";
        std::vector<std::size_t> order(schema.size());
        for (std::size_t i = 0; i < order.size(); ++i)
            order[i] = i;
        std::ranges::stable_sort(order, [&](std::size_t a, std::size_t b) {
            return validation->selectionCount[a] > validation->selectionCount[b];
        });
        for (std::size_t column : order)
            if (validation->selectionCount[column] > 0)
                report.selectionFrequency.emplace_back(schema.at(column).name,
                    static_cast<double>(validation->selectionCount[column]) / validation->outerFits);
        for (std::size_t i = 0; i < nested.selection.featureCounts.size(); ++i)
            report.chosenFeatureCounts.emplace_back(
                nested.selection.featureCounts[i], validation->chosenCountFits[i]);

        std::vector<std::size_t> allRows(table.rows());
        for (std::size_t i = 0; i < allRows.size(); ++i)
            allRows[i] = i;
        auto choice = chooseFeatures(*features, labels, allRows, nested, nested.outer.seed, stop);
        if (!choice)
            return std::unexpected(choice.error());
        std::vector<FeatureDefinition> chosen;
        modelFeatures.resize(features->rows(), static_cast<Eigen::Index>(choice->columns.size()));
        for (std::size_t c = 0; c < choice->columns.size(); ++c) {
            chosen.push_back(schema.at(choice->columns[c]));
            modelFeatures.col(static_cast<Eigen::Index>(c))
                = features->col(static_cast<Eigen::Index>(choice->columns[c]));
        }
        auto chosenSchema = FeatureSchema::fromDefinitions(std::move(chosen));
        if (!chosenSchema)
            return std::unexpected(chosenSchema.error());
        modelSchema = std::move(*chosenSchema);
    } else {
        auto validation = crossValidateBinary(*features, labels, request.validation, stop, reportProgress);
        if (!validation)
            return std::unexpected(validation.error());
        report = makeValidationReport(*validation);
    }

    const std::vector<std::string> names = modelSchema.names();
    auto data = DMatrix::fromDense(modelFeatures, labelValues, names);
    if (!data)
        return std::unexpected(data.error());
    auto booster = Booster::train(*data, request.validation.training, stop);
    if (!booster)
        return std::unexpected(booster.error());
    auto model = booster->save(ModelFormat::Json);
    if (!model)
        return std::unexpected(model.error());
    if (progress)
        progress(totalSteps, totalSteps);

    ModelBundle bundle;
    bundle.name = request.name;
    bundle.labelColumn = request.labelColumn;
    bundle.outcome = request.outcome;
    bundle.schema = std::move(modelSchema);
    bundle.parameters = request.validation.training;
    bundle.trainingSource = table.sourceName;
    bundle.trainingCases = table.rows();
    bundle.trainingPositives = report.metrics.positives;
    auto dataHash = hashTrainingData(modelFeatures, labelValues);
    if (!dataHash)
        return std::unexpected(dataHash.error());
    bundle.trainingDataSha256 = std::move(*dataHash);
    bundle.libraries = currentLibraryVersions();
    bundle.createdAt = utcTimestampNow();
    bundle.validation = std::move(report);
    bundle.xgboostModel = std::move(*model);
    return bundle;
}

std::vector<FeatureContribution> RiskPrediction::topContributions(std::size_t count) const
{
    std::vector<FeatureContribution> sorted = features;
    std::ranges::stable_sort(sorted, [](const FeatureContribution &a, const FeatureContribution &b) {
        return std::abs(a.contribution) > std::abs(b.contribution);
    });
    sorted.resize(std::min(count, sorted.size()));
    return sorted;
}

RiskModel::RiskModel(ModelBundle bundle, Booster booster)
    : m_bundle(std::move(bundle))
    , m_booster(std::move(booster))
{ }

Result<RiskModel> RiskModel::fromBundle(ModelBundle bundle)
{
    if (bundle.parameters.objective != Objective::BinaryLogistic)
        return fail(ErrorCode::Unsupported, "a risk model must be binary; '" + bundle.name + "' is not");
    auto booster = bundle.loadBooster();
    if (!booster)
        return std::unexpected(booster.error());
    return RiskModel(std::move(bundle), std::move(*booster));
}

Result<RiskPrediction> RiskModel::predict(const FeatureVector &features) const
{
    const FeatureSchema &schema = m_bundle.schema;
    RowMatrixXf row = RowMatrixXf::Constant(
        1, static_cast<Eigen::Index>(schema.size()), std::numeric_limits<float>::quiet_NaN());
    std::vector<std::vector<Provenance>> provenance(1, std::vector<Provenance>(schema.size()));
    for (std::size_t i = 0; i < schema.size(); ++i) {
        const auto index = features.schema().indexOf(schema.at(i).name);
        if (!index)
            continue;
        row(0, static_cast<Eigen::Index>(i)) = static_cast<float>(features.value(*index));
        provenance[0][i] = features.provenance(*index);
    }
    auto predictions = predictMatrix(row, provenance);
    if (!predictions)
        return std::unexpected(predictions.error());
    return std::move(predictions->front());
}

Result<std::vector<RiskPrediction>> RiskModel::predict(const CohortTable &table) const
{
    auto features = table.select(m_bundle.schema);
    if (!features)
        return std::unexpected(features.error());
    std::vector<std::vector<Provenance>> provenance(table.rows());
    for (std::size_t row = 0; row < table.rows(); ++row)
        for (const auto &definition : m_bundle.schema.definitions())
            provenance[row].push_back({ table.sourceName,
                "line " + std::to_string(table.lineNumbers[row]) + ", column '" + definition.name + "'" });
    return predictMatrix(*features, provenance);
}

Result<std::vector<RiskPrediction>> RiskModel::predictMatrix(
    const RowMatrixXf &features, const std::vector<std::vector<Provenance>> &provenance) const
{
    const FeatureSchema &schema = m_bundle.schema;
    const std::vector<std::string> names = schema.names();
    auto data = DMatrix::fromDense(features, {}, names);
    if (!data)
        return std::unexpected(data.error());
    auto probabilities = m_booster.predictProbabilities(*data);
    if (!probabilities)
        return std::unexpected(probabilities.error());
    auto margins = m_booster.predictMargin(*data);
    if (!margins)
        return std::unexpected(margins.error());
    auto shap = m_booster.contributions(*data);
    if (!shap)
        return std::unexpected(shap.error());

    // The absence effect: the same rows again with every feature of one modality missing, one
    // batch per modality the model uses (explainPatients() measures it the same way).
    constexpr Modality kModalities[] = { Modality::Imaging, Modality::Genomics, Modality::Records };
    std::vector<std::vector<float>> probabilitiesWithout(std::size(kModalities));
    for (std::size_t m = 0; m < std::size(kModalities); ++m) {
        RowMatrixXf without = features;
        bool used = false;
        for (std::size_t i = 0; i < schema.size(); ++i) {
            if (schema.at(i).modality != kModalities[m])
                continue;
            used = true;
            without.col(static_cast<Eigen::Index>(i)).setConstant(std::numeric_limits<float>::quiet_NaN());
        }
        if (!used)
            continue;
        auto withoutData = DMatrix::fromDense(without, {}, names);
        if (!withoutData)
            return std::unexpected(withoutData.error());
        auto withoutProbabilities = m_booster.predictProbabilities(*withoutData);
        if (!withoutProbabilities)
            return std::unexpected(withoutProbabilities.error());
        probabilitiesWithout[m].assign(
            withoutProbabilities->col(0).begin(), withoutProbabilities->col(0).end());
    }

    const ProbabilityCalibration calibration = m_bundle.calibration.value_or(ProbabilityCalibration {});
    std::vector<RiskPrediction> predictions(static_cast<std::size_t>(features.rows()));
    for (std::size_t row = 0; row < predictions.size(); ++row) {
        RiskPrediction &prediction = predictions[row];
        const auto r = static_cast<Eigen::Index>(row);
        prediction.probability = (*probabilities)(r, 0);
        prediction.risk = calibration.apply(prediction.probability);
        prediction.calibration = calibration.method;
        prediction.margin = (*margins)(r, 0);
        prediction.baseMargin = shap->bias(row);
        for (std::size_t i = 0; i < schema.size(); ++i) {
            FeatureContribution contribution;
            contribution.featureIndex = i;
            contribution.value = features(r, static_cast<Eigen::Index>(i));
            contribution.contribution = shap->at(row, 0, i);
            contribution.provenance = provenance[row][i];
            prediction.features.push_back(std::move(contribution));
        }
        for (std::size_t m = 0; m < std::size(kModalities); ++m) {
            ModalityContribution total;
            total.modality = kModalities[m];
            for (const auto &contribution : prediction.features) {
                if (schema.at(contribution.featureIndex).modality != total.modality)
                    continue;
                ++total.featuresInModel;
                total.featuresPresent += std::isnan(contribution.value) ? 0 : 1;
                total.contribution += contribution.contribution;
            }
            if (total.featuresInModel == 0)
                continue;
            total.probabilityWithout = probabilitiesWithout[m][row];
            total.riskWithout = calibration.apply(total.probabilityWithout);
            total.absenceEffect = total.riskWithout - prediction.risk;
            prediction.modalities.push_back(total);
        }
        if (m_bundle.abstention) {
            const float risk = static_cast<float>(prediction.risk);
            const auto rowValues = features.row(r);
            const std::vector<float> values(rowValues.begin(), rowValues.end());
            auto decision = decideAbstention(*m_bundle.abstention, schema, std::span(&risk, 1), values);
            if (!decision)
                return std::unexpected(decision.error());
            prediction.abstention = std::move(*decision);
        }
    }
    return predictions;
}

} // namespace mosaic

#include <nlohmann/json.hpp>

namespace mosaic {

std::string predictionToJson(const RiskPrediction &prediction, const FeatureSchema &schema, std::size_t top)
{
    nlohmann::json modalities = nlohmann::json::array();
    for (const auto &modality : prediction.modalities)
        modalities.push_back({ { "modality", modalityName(modality.modality) },
            { "contribution", modality.contribution }, { "features_present", modality.featuresPresent },
            { "features_in_model", modality.featuresInModel }, { "coverage", modality.coverage() },
            { "probability_without", modality.probabilityWithout }, { "risk_without", modality.riskWithout },
            { "absence_effect", modality.absenceEffect } });
    nlohmann::json contributions = nlohmann::json::array();
    for (const auto &feature : prediction.topContributions(top == 0 ? prediction.features.size() : top)) {
        const auto &definition = schema.at(feature.featureIndex);
        contributions.push_back({ { "feature", definition.name }, { "unit", definition.unit },
            { "value", std::isnan(feature.value) ? nlohmann::json() : nlohmann::json(feature.value) },
            { "contribution", feature.contribution }, { "source", feature.provenance.source },
            { "location", feature.provenance.location } });
    }
    return nlohmann::json {
        { "probability", prediction.probability }, { "risk", prediction.risk },
        { "calibration", calibrationMethodName(prediction.calibration) },
        { "call",
            prediction.abstention ? nlohmann::json::parse(decisionToJson(*prediction.abstention))
                                  : nlohmann::json() },
        { "margin", prediction.margin }, { "base_margin", prediction.baseMargin },
        { "modalities", modalities }, { "contributions", contributions }
    }.dump();
}

} // namespace mosaic
