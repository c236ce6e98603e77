// SPDX-License-Identifier: Apache-2.0
#include "core/model/nested_cross_validation.h"

#include "core/model/stratified_folds.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace mosaic {
namespace {

RowMatrixXf submatrix(
    const RowMatrixXf &features, std::span<const std::size_t> rows, std::span<const std::size_t> columns)
{
    RowMatrixXf result(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(columns.size()));
    for (std::size_t r = 0; r < rows.size(); ++r)
        for (std::size_t c = 0; c < columns.size(); ++c)
            result(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c))
                = features(static_cast<Eigen::Index>(rows[r]), static_cast<Eigen::Index>(columns[c]));
    return result;
}

// Trains on (trainRows, columns) and returns P(1) for testRows.
Result<std::vector<double>> fitAndPredict(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> trainRows, std::span<const std::size_t> testRows,
    std::span<const std::size_t> columns, const TrainingParameters &training, std::stop_token stop)
{
    std::vector<float> trainLabels;
    trainLabels.reserve(trainRows.size());
    for (std::size_t row : trainRows)
        trainLabels.push_back(static_cast<float>(labels[row]));
    auto trainData = DMatrix::fromDense(submatrix(features, trainRows, columns), trainLabels);
    if (!trainData)
        return std::unexpected(trainData.error());
    auto booster = Booster::train(*trainData, training, stop);
    if (!booster)
        return std::unexpected(booster.error());
    auto testData = DMatrix::fromDense(submatrix(features, testRows, columns));
    if (!testData)
        return std::unexpected(testData.error());
    auto probabilities = booster->predictProbabilities(*testData);
    if (!probabilities)
        return std::unexpected(probabilities.error());
    return std::vector<double>(probabilities->data(), probabilities->data() + probabilities->size());
}

} // namespace

Result<FeatureChoice> chooseFeatures(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> rows, const NestedCrossValidationSettings &settings, std::uint64_t seed,
    std::stop_token stop)
{
    if (settings.selection.featureCounts.empty())
        return fail(ErrorCode::InvalidArgument, "no candidate feature counts to choose from");
    std::vector<int> rowLabels;
    rowLabels.reserve(rows.size());
    for (std::size_t row : rows)
        rowLabels.push_back(labels[row]);
    auto innerFolds = stratifiedKFold(rowLabels, settings.innerFolds, seed);
    if (!innerFolds)
        return std::unexpected(innerFolds.error());

    FeatureChoice best;
    best.innerAuroc = -1.0;
    for (int count : settings.selection.featureCounts) {
        std::vector<double> outOfFold(rows.size(), std::nan(""));
        for (const Fold &fold : *innerFolds) {
            std::vector<std::size_t> trainRows, testRows;
            for (std::size_t i : fold.train)
                trainRows.push_back(rows[i]);
            for (std::size_t i : fold.test)
                testRows.push_back(rows[i]);
            auto columns = selectFeatures(features, labels, trainRows, count, settings.selection);
            if (!columns)
                return std::unexpected(columns.error());
            if (columns->empty())
                return fail(
                    ErrorCode::InvalidArgument, "no feature qualifies for selection in an inner fold");
            auto predicted = fitAndPredict(
                features, labels, trainRows, testRows, *columns, settings.outer.training, stop);
            if (!predicted)
                return std::unexpected(predicted.error());
            for (std::size_t i = 0; i < fold.test.size(); ++i)
                outOfFold[fold.test[i]] = (*predicted)[i];
        }
        auto auroc = aurocDeLong(outOfFold, rowLabels);
        if (!auroc)
            return std::unexpected(auroc.error());
        if (auroc->auroc > best.innerAuroc + 1e-12) {
            best.featureCount = count;
            best.innerAuroc = auroc->auroc;
        }
    }
    auto columns = selectFeatures(features, labels, rows, best.featureCount, settings.selection);
    if (!columns)
        return std::unexpected(columns.error());
    best.columns = std::move(*columns);
    return best;
}

Result<NestedCrossValidationResult> nestedCrossValidateBinary(const RowMatrixXf &features,
    std::span<const int> labels, const NestedCrossValidationSettings &settings, std::stop_token stop,
    const CrossValidationProgress &progress)
{
    const auto &outer = settings.outer;
    if (static_cast<std::size_t>(features.rows()) != labels.size())
        return fail(ErrorCode::InvalidArgument,
            "the cohort has " + std::to_string(features.rows()) + " rows but " + std::to_string(labels.size())
                + " labels");
    if (outer.repeats < 1)
        return fail(ErrorCode::InvalidArgument, "cross-validation needs at least one repeat");

    NestedCrossValidationResult result;
    result.outer.settings = outer;
    result.outer.cases = labels.size();
    result.outer.positives = static_cast<std::size_t>(std::ranges::count(labels, 1));
    result.outer.outOfFoldProbability.assign(labels.size(), 0.0);
    result.selectionCount.assign(static_cast<std::size_t>(features.cols()), 0);
    result.chosenCountFits.assign(settings.selection.featureCounts.size(), 0);

    std::vector<BinaryMetrics> repeats;
    const int totalFits = outer.folds * outer.repeats;
    for (int repeat = 0; repeat < outer.repeats; ++repeat) {
        const std::uint64_t seed = outer.seed + static_cast<std::uint64_t>(repeat);
        auto folds = stratifiedKFold(labels, outer.folds, seed);
        if (!folds)
            return std::unexpected(folds.error());
        std::vector<double> outOfFold(labels.size(), std::nan(""));
        for (const Fold &fold : *folds) {
            if (stop.stop_requested())
                return fail(ErrorCode::Cancelled, "nested cross-validation was cancelled");
            // The inner seed differs from the outer one so inner splits are not aligned with outer ones.
            auto choice = chooseFeatures(features, labels, fold.train, settings, seed * 7919u + 1u, stop);
            if (!choice)
                return std::unexpected(choice.error());
            auto predicted = fitAndPredict(
                features, labels, fold.train, fold.test, choice->columns, outer.training, stop);
            if (!predicted)
                return std::unexpected(predicted.error());
            for (std::size_t i = 0; i < fold.test.size(); ++i)
                outOfFold[fold.test[i]] = (*predicted)[i];
            for (std::size_t column : choice->columns)
                ++result.selectionCount[column];
            const auto countIndex = std::ranges::find(settings.selection.featureCounts, choice->featureCount)
                - settings.selection.featureCounts.begin();
            ++result.chosenCountFits[static_cast<std::size_t>(countIndex)];
            ++result.outerFits;
            if (progress)
                progress(result.outerFits, totalFits);
        }
        auto metrics = evaluateBinary(outOfFold, labels);
        if (!metrics)
            return std::unexpected(metrics.error());
        repeats.push_back(*metrics);
        result.outer.repeatAuroc.push_back(metrics->auroc.auroc);
        for (std::size_t row = 0; row < labels.size(); ++row)
            result.outer.outOfFoldProbability[row] += outOfFold[row] / outer.repeats;
    }
    result.outer.mean = averageMetrics(repeats);
    result.outer.aurocStandardDeviation = standardDeviation(result.outer.repeatAuroc);
    return result;
}

} // namespace mosaic
