// SPDX-License-Identifier: Apache-2.0
#include "core/model/explanation.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

namespace mosaic {
namespace {

constexpr std::array kModalities = { Modality::Imaging, Modality::Genomics, Modality::Records };

Result<void> checkShapes(const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features)
{
    auto modelFeatures = booster.featureCount();
    if (!modelFeatures)
        return std::unexpected(modelFeatures.error());
    if (*modelFeatures != schema.size())
        return fail(ErrorCode::InvalidArgument,
            "the schema has " + std::to_string(schema.size()) + " features but the model has "
                + std::to_string(*modelFeatures));
    if (static_cast<std::size_t>(features.cols()) != schema.size())
        return fail(ErrorCode::InvalidArgument,
            "the data have " + std::to_string(features.cols()) + " columns but the schema has "
                + std::to_string(schema.size()) + " features");
    if (features.rows() == 0)
        return fail(ErrorCode::InvalidArgument, "there are no patients to explain");
    return {};
}

Result<DMatrix> matrixOf(const RowMatrixXf &features, const FeatureSchema &schema)
{
    const std::vector<std::string> names = schema.names();
    return DMatrix::fromDense(features, {}, names);
}

// The modalities the schema has features of, in the fixed order imaging, genomics, records.
std::vector<Modality> modalitiesOf(const FeatureSchema &schema)
{
    std::vector<Modality> used;
    for (Modality modality : kModalities)
        if (std::ranges::any_of(schema.definitions(),
                [&](const FeatureDefinition &definition) { return definition.modality == modality; }))
            used.push_back(modality);
    return used;
}

struct Prediction
{
    RowMatrixXf margin;
    RowMatrixXf probability;
};

Result<Prediction> predict(const Booster &booster, const RowMatrixXf &features, const FeatureSchema &schema)
{
    auto data = matrixOf(features, schema);
    if (!data)
        return std::unexpected(data.error());
    auto margin = booster.predictMargin(*data);
    if (!margin)
        return std::unexpected(margin.error());
    auto probability = booster.predictProbabilities(*data);
    if (!probability)
        return std::unexpected(probability.error());
    return Prediction { std::move(*margin), std::move(*probability) };
}

// A copy of `features` with the columns for which `missing(modality)` holds set to NaN.
template <typename Predicate>
RowMatrixXf withMissing(const RowMatrixXf &features, const FeatureSchema &schema, Predicate missing)
{
    RowMatrixXf copy = features;
    for (std::size_t column = 0; column < schema.size(); ++column)
        if (missing(schema.at(column).modality))
            copy.col(static_cast<Eigen::Index>(column)).setConstant(std::numeric_limits<float>::quiet_NaN());
    return copy;
}

// Maps a name from XGBoost's importance to the schema: the model's own feature name, or "f<index>"
// for a model saved without names.
std::optional<std::size_t> schemaIndexOf(const FeatureSchema &schema, std::string_view name)
{
    if (auto index = schema.indexOf(name))
        return index;
    if (name.size() < 2 || name.front() != 'f')
        return std::nullopt;
    std::size_t index = 0;
    const auto *end = name.data() + name.size();
    const auto [pointer, error] = std::from_chars(name.data() + 1, end, index);
    if (error != std::errc {} || pointer != end || index >= schema.size())
        return std::nullopt;
    return index;
}

} // namespace

const ModalityEffect *ClassExplanation::effectOf(Modality modality) const
{
    const auto found = std::ranges::find(modalities, modality, &ModalityEffect::modality);
    return found == modalities.end() ? nullptr : &*found;
}

Result<std::vector<PatientExplanation>> explainPatients(
    const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features)
{
    if (auto checked = checkShapes(booster, schema, features); !checked)
        return std::unexpected(checked.error());
    auto data = matrixOf(features, schema);
    if (!data)
        return std::unexpected(data.error());
    auto shap = booster.contributions(*data);
    if (!shap)
        return std::unexpected(shap.error());
    auto actual = predict(booster, features, schema);
    if (!actual)
        return std::unexpected(actual.error());
    auto allMissing = predict(booster, withMissing(features, schema, [](Modality) { return true; }), schema);
    if (!allMissing)
        return std::unexpected(allMissing.error());

    // Two re-predictions of the whole batch per modality: without it, and with it alone.
    const std::vector<Modality> modalities = modalitiesOf(schema);
    std::vector<Prediction> without;
    std::vector<Prediction> alone;
    for (Modality modality : modalities) {
        auto absent = predict(
            booster, withMissing(features, schema, [&](Modality m) { return m == modality; }), schema);
        if (!absent)
            return std::unexpected(absent.error());
        without.push_back(std::move(*absent));
        auto only = predict(
            booster, withMissing(features, schema, [&](Modality m) { return m != modality; }), schema);
        if (!only)
            return std::unexpected(only.error());
        alone.push_back(std::move(*only));
    }

    const std::size_t classes = shap->classes;
    if (static_cast<std::size_t>(actual->margin.cols()) != classes
        || static_cast<std::size_t>(actual->probability.cols()) != classes)
        return fail(
            ErrorCode::ModelFailure, "XGBoost returned predictions and contributions for different classes");

    std::vector<PatientExplanation> explanations(static_cast<std::size_t>(features.rows()));
    for (std::size_t row = 0; row < explanations.size(); ++row) {
        const auto r = static_cast<Eigen::Index>(row);
        for (std::size_t c = 0; c < classes; ++c) {
            const auto k = static_cast<Eigen::Index>(c);
            ClassExplanation explanation;
            explanation.classIndex = c;
            explanation.probability = actual->probability(r, k);
            explanation.margin = actual->margin(r, k);
            explanation.bias = shap->bias(row, c);
            explanation.marginAllMissing = allMissing->margin(r, k);
            explanation.probabilityAllMissing = allMissing->probability(r, k);
            explanation.featureShap.reserve(schema.size());
            for (std::size_t feature = 0; feature < schema.size(); ++feature)
                explanation.featureShap.push_back(shap->at(row, c, feature));
            for (std::size_t m = 0; m < modalities.size(); ++m) {
                ModalityEffect effect;
                effect.modality = modalities[m];
                for (std::size_t feature = 0; feature < schema.size(); ++feature) {
                    if (schema.at(feature).modality != effect.modality)
                        continue;
                    ++effect.featuresInModel;
                    effect.featuresPresent
                        += std::isnan(features(r, static_cast<Eigen::Index>(feature))) ? 0 : 1;
                    effect.shap += explanation.featureShap[feature];
                }
                effect.marginWithout = without[m].margin(r, k);
                effect.probabilityWithout = without[m].probability(r, k);
                effect.marginAlone = alone[m].margin(r, k);
                effect.probabilityAlone = alone[m].probability(r, k);
                explanation.modalities.push_back(effect);
            }
            explanations[row].classes.push_back(std::move(explanation));
        }
    }
    return explanations;
}

Result<std::vector<PatientInteractions>> strongestInteractions(
    const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features, std::size_t count)
{
    if (auto checked = checkShapes(booster, schema, features); !checked)
        return std::unexpected(checked.error());
    // The class count, from one row's margin, sizes the batches.
    auto first = predict(booster, features.topRows(1), schema);
    if (!first)
        return std::unexpected(first.error());
    const auto classes = static_cast<std::size_t>(first->margin.cols());
    const std::size_t width = schema.size() + 1;
    const std::size_t perRow = classes * width * width;
    if (perRow > kInteractionBatchValues)
        return fail(ErrorCode::LimitExceeded,
            "interaction values for " + std::to_string(schema.size()) + " features and "
                + std::to_string(classes) + " classes need " + std::to_string(perRow)
                + " values per patient; the limit is " + std::to_string(kInteractionBatchValues));
    const auto batchRows = static_cast<Eigen::Index>(kInteractionBatchValues / perRow);

    std::vector<PatientInteractions> result;
    result.reserve(static_cast<std::size_t>(features.rows()));
    for (Eigen::Index start = 0; start < features.rows(); start += batchRows) {
        const Eigen::Index rows = std::min(batchRows, features.rows() - start);
        const RowMatrixXf batch = features.middleRows(start, rows);
        auto data = matrixOf(batch, schema);
        if (!data)
            return std::unexpected(data.error());
        auto interactions = booster.interactions(*data);
        if (!interactions)
            return std::unexpected(interactions.error());
        if (interactions->classes != classes)
            return fail(
                ErrorCode::ModelFailure, "XGBoost returned interaction values for an unexpected class count");
        for (std::size_t row = 0; row < static_cast<std::size_t>(rows); ++row) {
            PatientInteractions patient;
            for (std::size_t c = 0; c < classes; ++c) {
                std::vector<InteractionPair> pairs;
                for (std::size_t i = 0; i < schema.size(); ++i)
                    for (std::size_t j = i + 1; j < schema.size(); ++j) {
                        const double value = static_cast<double>(interactions->at(row, c, i, j))
                            + static_cast<double>(interactions->at(row, c, j, i));
                        if (value != 0.0)
                            pairs.push_back({ i, j, {}, {}, value });
                    }
                // Stable, so equal magnitudes keep the (first, second) order they were listed in.
                std::ranges::stable_sort(pairs, [](const InteractionPair &a, const InteractionPair &b) {
                    return std::abs(a.value) > std::abs(b.value);
                });
                pairs.resize(std::min(count, pairs.size()));
                for (auto &pair : pairs) {
                    pair.firstName = schema.at(pair.first).name;
                    pair.secondName = schema.at(pair.second).name;
                }
                patient.byClass.push_back(std::move(pairs));
            }
            result.push_back(std::move(patient));
        }
    }
    return result;
}

Result<GlobalImportance> globalImportance(
    const Booster &booster, const FeatureSchema &schema, const RowMatrixXf &features)
{
    if (auto checked = checkShapes(booster, schema, features); !checked)
        return std::unexpected(checked.error());
    auto data = matrixOf(features, schema);
    if (!data)
        return std::unexpected(data.error());
    auto shap = booster.contributions(*data);
    if (!shap)
        return std::unexpected(shap.error());

    const std::vector<Modality> modalities = modalitiesOf(schema);
    const auto patients = static_cast<double>(shap->rows);
    GlobalImportance importance;
    importance.patients = shap->rows;
    for (std::size_t c = 0; c < shap->classes; ++c) {
        ClassImportance result;
        result.classIndex = c;
        for (std::size_t feature = 0; feature < schema.size(); ++feature) {
            FeatureImportance entry;
            entry.featureIndex = feature;
            for (std::size_t row = 0; row < shap->rows; ++row) {
                const double value = shap->at(row, c, feature);
                entry.meanAbsoluteShap += std::abs(value);
                entry.meanShap += value;
            }
            entry.meanAbsoluteShap /= patients;
            entry.meanShap /= patients;
            result.features.push_back(entry);
        }
        for (Modality modality : modalities) {
            ModalityImportance entry;
            entry.modality = modality;
            for (std::size_t row = 0; row < shap->rows; ++row) {
                double sum = 0.0;
                for (std::size_t feature = 0; feature < schema.size(); ++feature)
                    if (schema.at(feature).modality == modality)
                        sum += shap->at(row, c, feature);
                entry.meanAbsoluteShap += std::abs(sum);
                entry.meanShap += sum;
            }
            entry.meanAbsoluteShap /= patients;
            entry.meanShap /= patients;
            for (const auto &feature : result.features)
                if (schema.at(feature.featureIndex).modality == modality)
                    entry.sumOfFeatureMeanAbsoluteShap += feature.meanAbsoluteShap;
            result.modalities.push_back(entry);
        }
        importance.classes.push_back(std::move(result));
    }

    auto gain = booster.featureScores(ImportanceType::Gain);
    if (!gain)
        return std::unexpected(gain.error());
    auto weight = booster.featureScores(ImportanceType::Weight);
    if (!weight)
        return std::unexpected(weight.error());
    std::vector<std::optional<GainImportance>> bySchema(schema.size());
    for (const auto &score : *gain) {
        const auto index = schemaIndexOf(schema, score.feature);
        if (!index)
            return fail(ErrorCode::ModelFailure,
                "XGBoost reported the importance of '" + score.feature
                    + "', which is not a feature of the schema");
        bySchema[*index] = GainImportance { *index, score.score, 0.0 };
    }
    for (const auto &score : *weight) {
        const auto index = schemaIndexOf(schema, score.feature);
        if (!index || !bySchema[*index])
            return fail(ErrorCode::ModelFailure,
                "XGBoost reported splits on '" + score.feature + "' but no gain for it");
        bySchema[*index]->splits = score.score;
    }
    for (const auto &entry : bySchema)
        if (entry)
            importance.gain.push_back(*entry);
    return importance;
}

std::string explanationToJson(const PatientExplanation &explanation, const FeatureSchema &schema,
    const PatientInteractions *interactions)
{
    nlohmann::json classes = nlohmann::json::array();
    for (const auto &perClass : explanation.classes) {
        nlohmann::json features = nlohmann::json::array();
        for (std::size_t i = 0; i < perClass.featureShap.size() && i < schema.size(); ++i)
            features.push_back({ { "feature", schema.at(i).name },
                { "modality", modalityName(schema.at(i).modality) }, { "shap", perClass.featureShap[i] } });
        nlohmann::json modalities = nlohmann::json::array();
        for (const auto &effect : perClass.modalities)
            modalities.push_back({ { "modality", modalityName(effect.modality) },
                { "features_in_model", effect.featuresInModel },
                { "features_present", effect.featuresPresent }, { "shap", effect.shap },
                { "margin_without", effect.marginWithout },
                { "probability_without", effect.probabilityWithout },
                { "margin_shift_when_absent", effect.marginShiftWhenAbsent(perClass.margin) },
                { "probability_shift_when_absent", effect.probabilityShiftWhenAbsent(perClass.probability) },
                { "margin_alone", effect.marginAlone }, { "probability_alone", effect.probabilityAlone } });
        nlohmann::json entry = { { "class", perClass.classIndex }, { "probability", perClass.probability },
            { "margin", perClass.margin }, { "bias", perClass.bias },
            { "margin_all_missing", perClass.marginAllMissing },
            { "probability_all_missing", perClass.probabilityAllMissing }, { "features", features },
            { "modalities", modalities } };
        if (interactions && perClass.classIndex < interactions->byClass.size()) {
            nlohmann::json pairs = nlohmann::json::array();
            for (const auto &pair : interactions->byClass[perClass.classIndex])
                pairs.push_back(
                    { { "first", pair.firstName }, { "second", pair.secondName }, { "value", pair.value } });
            entry["interactions"] = pairs;
        }
        classes.push_back(entry);
    }
    return nlohmann::json { { "classes", classes } }.dump();
}

std::string importanceToJson(const GlobalImportance &importance, const FeatureSchema &schema)
{
    nlohmann::json classes = nlohmann::json::array();
    for (const auto &perClass : importance.classes) {
        nlohmann::json features = nlohmann::json::array();
        for (const auto &feature : perClass.features)
            features.push_back({ { "feature", schema.at(feature.featureIndex).name },
                { "modality", modalityName(schema.at(feature.featureIndex).modality) },
                { "mean_abs_shap", feature.meanAbsoluteShap }, { "mean_shap", feature.meanShap } });
        nlohmann::json modalities = nlohmann::json::array();
        for (const auto &modality : perClass.modalities)
            modalities.push_back({ { "modality", modalityName(modality.modality) },
                { "mean_abs_shap", modality.meanAbsoluteShap },
                { "sum_of_feature_mean_abs_shap", modality.sumOfFeatureMeanAbsoluteShap },
                { "mean_shap", modality.meanShap } });
        classes.push_back(
            { { "class", perClass.classIndex }, { "features", features }, { "modalities", modalities } });
    }
    nlohmann::json gain = nlohmann::json::array();
    for (const auto &entry : importance.gain)
        gain.push_back({ { "feature", schema.at(entry.featureIndex).name },
            { "average_gain", entry.averageGain }, { "splits", entry.splits } });
    return nlohmann::json {
        { "patients", importance.patients }, { "classes", classes }, { "gain", gain }
    }.dump();
}

} // namespace mosaic
