// SPDX-License-Identifier: Apache-2.0
#include "core/model/cross_validation.h"

#include "core/model/stratified_folds.h"

#include <algorithm>
#include <cmath>

namespace mosaic {
namespace {

RowMatrixXf selectRows(const RowMatrixXf &features, const std::vector<std::size_t> &rows)
{
    RowMatrixXf selected(static_cast<Eigen::Index>(rows.size()), features.cols());
    for (std::size_t i = 0; i < rows.size(); ++i)
        selected.row(static_cast<Eigen::Index>(i)) = features.row(static_cast<Eigen::Index>(rows[i]));
    return selected;
}

} // namespace

BinaryMetrics averageMetrics(std::span<const BinaryMetrics> repeats)
{
    BinaryMetrics mean;
    if (repeats.empty())
        return mean;
    for (const BinaryMetrics &m : repeats) {
        mean.auroc.auroc += m.auroc.auroc;
        mean.auroc.standardError += m.auroc.standardError;
        mean.auroc.ci95.lower += m.auroc.ci95.lower;
        mean.auroc.ci95.upper += m.auroc.ci95.upper;
        mean.auprc += m.auprc;
        mean.brier += m.brier;
        mean.calibration.slope += m.calibration.slope;
        mean.calibration.intercept += m.calibration.intercept;
    }
    const double n = static_cast<double>(repeats.size());
    mean.auroc.auroc /= n;
    mean.auroc.standardError /= n;
    mean.auroc.ci95.lower /= n;
    mean.auroc.ci95.upper /= n;
    mean.auprc /= n;
    mean.brier /= n;
    mean.calibration.slope /= n;
    mean.calibration.intercept /= n;
    mean.cases = repeats.front().cases;
    mean.positives = repeats.front().positives;
    return mean;
}

double standardDeviation(std::span<const double> values)
{
    if (values.size() < 2)
        return 0.0;
    double mean = 0.0;
    for (double value : values)
        mean += value;
    mean /= static_cast<double>(values.size());
    double squares = 0.0;
    for (double value : values)
        squares += (value - mean) * (value - mean);
    return std::sqrt(squares / static_cast<double>(values.size() - 1));
}

Result<CrossValidationResult> crossValidateBinary(const RowMatrixXf &features, std::span<const int> labels,
    const CrossValidationSettings &settings, std::stop_token stop, const CrossValidationProgress &progress)
{
    if (static_cast<std::size_t>(features.rows()) != labels.size())
        return fail(ErrorCode::InvalidArgument,
            "the cohort has " + std::to_string(features.rows()) + " rows but " + std::to_string(labels.size())
                + " labels");
    if (settings.repeats < 1)
        return fail(ErrorCode::InvalidArgument, "cross-validation needs at least one repeat");
    if (settings.training.objective != Objective::BinaryLogistic)
        return fail(
            ErrorCode::Unsupported, "cross-validation reports binary metrics; the model is not binary");

    CrossValidationResult result;
    result.settings = settings;
    result.cases = labels.size();
    result.positives = static_cast<std::size_t>(std::count(labels.begin(), labels.end(), 1));
    result.outOfFoldProbability.assign(labels.size(), 0.0);

    const int totalFits = settings.folds * settings.repeats;
    int fitsDone = 0;
    std::vector<BinaryMetrics> repeatMetrics;
    for (int repeat = 0; repeat < settings.repeats; ++repeat) {
        auto folds
            = stratifiedKFold(labels, settings.folds, settings.seed + static_cast<std::uint64_t>(repeat));
        if (!folds)
            return std::unexpected(folds.error());
        std::vector<double> outOfFold(labels.size(), std::nan(""));
        for (const Fold &fold : *folds) {
            std::vector<float> trainLabels;
            trainLabels.reserve(fold.train.size());
            for (std::size_t row : fold.train)
                trainLabels.push_back(static_cast<float>(labels[row]));
            auto trainData = DMatrix::fromDense(selectRows(features, fold.train), trainLabels);
            if (!trainData)
                return std::unexpected(trainData.error());
            auto booster = Booster::train(*trainData, settings.training, stop);
            if (!booster)
                return std::unexpected(booster.error());
            auto testData = DMatrix::fromDense(selectRows(features, fold.test));
            if (!testData)
                return std::unexpected(testData.error());
            auto probabilities = booster->predictProbabilities(*testData);
            if (!probabilities)
                return std::unexpected(probabilities.error());
            for (std::size_t i = 0; i < fold.test.size(); ++i)
                outOfFold[fold.test[i]] = (*probabilities)(static_cast<Eigen::Index>(i), 0);
            if (progress)
                progress(++fitsDone, totalFits);
        }
        auto metrics = evaluateBinary(outOfFold, labels);
        if (!metrics)
            return std::unexpected(metrics.error());
        result.repeatAuroc.push_back(metrics->auroc.auroc);
        repeatMetrics.push_back(*metrics);
        for (std::size_t row = 0; row < labels.size(); ++row)
            result.outOfFoldProbability[row] += outOfFold[row] / settings.repeats;
    }
    result.mean = averageMetrics(repeatMetrics);
    result.aurocStandardDeviation = standardDeviation(result.repeatAuroc);
    return result;
}

} // namespace mosaic
