// SPDX-License-Identifier: Apache-2.0
#include "core/model/model_selection.h"

#include "core/model/metrics.h"
#include "core/model/stratified_folds.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace mosaic {
namespace {

using Probabilities = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

int classCountOf(const TrainingParameters &training)
{
    return training.objective == Objective::MulticlassSoftprob ? training.classCount : 2;
}

RowMatrixXf selectRows(const RowMatrixXf &features, std::span<const std::size_t> rows)
{
    RowMatrixXf selected(static_cast<Eigen::Index>(rows.size()), features.cols());
    for (std::size_t i = 0; i < rows.size(); ++i)
        selected.row(static_cast<Eigen::Index>(i)) = features.row(static_cast<Eigen::Index>(rows[i]));
    return selected;
}

template <typename T> std::vector<T> pick(std::span<const T> values, std::span<const std::size_t> rows)
{
    std::vector<T> picked;
    picked.reserve(rows.size());
    for (const std::size_t row : rows)
        picked.push_back(values[row]);
    return picked;
}

Result<std::vector<Fold>> splitFolds(
    std::span<const int> labels, std::span<const std::size_t> groups, int k, std::uint64_t seed)
{
    return groups.empty() ? stratifiedKFold(labels, k, seed) : stratifiedGroupKFold(labels, groups, k, seed);
}

// A labelled matrix of `rows`; weighted by `weights` when it is set.
Result<DMatrix> labelledMatrix(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> rows, const std::optional<ClassWeights> &weights)
{
    const std::vector<int> rowLabels = pick(labels, rows);
    std::vector<float> floatLabels(rowLabels.begin(), rowLabels.end());
    auto matrix = DMatrix::fromDense(selectRows(features, rows), floatLabels);
    if (!matrix)
        return matrix;
    if (weights) {
        auto set = matrix->setWeights(weights->forRows(rowLabels));
        if (!set)
            return std::unexpected(set.error());
    }
    return matrix;
}

// Balanced weights from the labels of `rows` only, when the settings ask for them.
Result<std::optional<ClassWeights>> weightsFor(
    std::span<const int> labels, std::span<const std::size_t> rows, const ModelSelectionSettings &settings)
{
    if (!settings.balancedClassWeights)
        return std::optional<ClassWeights>();
    auto weights = balancedClassWeights(pick(labels, rows), classCountOf(settings.training));
    if (!weights)
        return std::unexpected(weights.error());
    return std::optional<ClassWeights>(std::move(*weights));
}

// Probability that each row has its own label, from a binary (one column) or multi-class matrix.
double probabilityOfLabel(const Probabilities &probabilities, Eigen::Index row, int label)
{
    if (probabilities.cols() == 1)
        return label == 1 ? probabilities(row, 0) : 1.0 - probabilities(row, 0);
    return probabilities(row, label);
}

// Mean -log p(true class), clipped to [1e-15, 1 - 1e-15] as scikit-learn's log_loss; weighted mean
// when weights are given.
double logLoss(
    const Probabilities &probabilities, std::span<const int> labels, std::span<const float> weights)
{
    double total = 0.0;
    double weightSum = 0.0;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        const double p
            = std::clamp(probabilityOfLabel(probabilities, static_cast<Eigen::Index>(row), labels[row]),
                1e-15, 1.0 - 1e-15);
        const double weight = weights.empty() ? 1.0 : static_cast<double>(weights[row]);
        total -= weight * std::log(p);
        weightSum += weight;
    }
    return total / weightSum;
}

// Binary AUROC, or one-vs-rest AUROC averaged over the classes.
Result<double> auroc(const Probabilities &probabilities, std::span<const int> labels)
{
    if (probabilities.cols() == 1) {
        const std::vector<double> scores(probabilities.data(), probabilities.data() + probabilities.size());
        auto estimate = aurocDeLong(scores, labels);
        if (!estimate)
            return std::unexpected(estimate.error());
        return estimate->auroc;
    }
    double sum = 0.0;
    for (Eigen::Index c = 0; c < probabilities.cols(); ++c) {
        std::vector<double> scores(labels.size());
        std::vector<int> isClass(labels.size());
        for (std::size_t row = 0; row < labels.size(); ++row) {
            scores[row] = probabilities(static_cast<Eigen::Index>(row), c);
            isClass[row] = labels[row] == c ? 1 : 0;
        }
        auto estimate = aurocDeLong(scores, isClass);
        if (!estimate)
            return fail(estimate.error().code, "class " + std::to_string(c) + ": " + estimate.error().detail);
        sum += estimate->auroc;
    }
    return sum / static_cast<double>(probabilities.cols());
}

Probabilities toDouble(const RowMatrixXf &values)
{
    return values.cast<double>();
}

Result<Probabilities> fitAndPredict(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> trainRows, std::span<const std::size_t> testRows,
    const ModelSelectionSettings &settings, const TrainingParameters &parameters, std::stop_token stop)
{
    auto weights = weightsFor(labels, trainRows, settings);
    if (!weights)
        return std::unexpected(weights.error());
    auto training = labelledMatrix(features, labels, trainRows, *weights);
    if (!training)
        return std::unexpected(training.error());
    auto booster = Booster::train(*training, parameters, stop);
    if (!booster)
        return std::unexpected(booster.error());
    auto test = DMatrix::fromDense(selectRows(features, testRows));
    if (!test)
        return std::unexpected(test.error());
    auto predicted = booster->predictProbabilities(*test);
    if (!predicted)
        return std::unexpected(predicted.error());
    return toDouble(*predicted);
}

Result<void> checkInputs(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> groups, const ModelSelectionSettings &settings)
{
    if (static_cast<std::size_t>(features.rows()) != labels.size())
        return fail(ErrorCode::InvalidArgument,
            "the cohort has " + std::to_string(features.rows()) + " rows but " + std::to_string(labels.size())
                + " labels");
    if (!groups.empty() && groups.size() != labels.size())
        return fail(ErrorCode::InvalidArgument,
            "the cohort has " + std::to_string(labels.size()) + " rows but " + std::to_string(groups.size())
                + " group codes");
    if (settings.grid.empty())
        return fail(ErrorCode::InvalidArgument, "the hyperparameter grid has no candidates");
    if (settings.earlyStoppingRounds < 1)
        return fail(ErrorCode::InvalidArgument, "early stopping needs a patience of at least 1 round");
    if (settings.repeats < 1)
        return fail(ErrorCode::InvalidArgument, "cross-validation needs at least one repeat");
    const int classes = classCountOf(settings.training);
    if (classes < 2)
        return fail(ErrorCode::InvalidArgument, "a multi-class model needs at least 2 classes");
    for (std::size_t row = 0; row < labels.size(); ++row) {
        if (labels[row] < 0 || labels[row] >= classes)
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row)
                    + " is not a class 0.." + std::to_string(classes - 1));
    }
    return {};
}

} // namespace

std::vector<HyperparameterCandidate> defaultHyperparameterGrid()
{
    std::vector<HyperparameterCandidate> grid;
    for (const int depth : { 2, 3, 4 })
        for (const double rate : { 0.05, 0.1 })
            for (const double childWeight : { 1.0, 5.0 })
                grid.push_back({ depth, rate, childWeight });
    return grid;
}

TrainingParameters parametersOf(
    const TrainingParameters &base, const HyperparameterCandidate &candidate, int rounds)
{
    TrainingParameters parameters = base;
    parameters.maxDepth = candidate.maxDepth;
    parameters.learningRate = candidate.learningRate;
    parameters.minChildWeight = candidate.minChildWeight;
    parameters.rounds = rounds;
    return parameters;
}

Result<HyperparameterChoice> searchHyperparameters(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> groups, std::span<const std::size_t> rows,
    const ModelSelectionSettings &settings, std::uint64_t seed, std::stop_token stop,
    const std::function<void()> &fitDone)
{
    const std::vector<int> rowLabels = pick(labels, rows);
    const std::vector<std::size_t> rowGroups
        = groups.empty() ? std::vector<std::size_t>() : pick(groups, rows);
    auto folds = splitFolds(rowLabels, rowGroups, settings.innerFolds, seed);
    if (!folds)
        return std::unexpected(folds.error());

    const std::size_t candidates = settings.grid.size();
    const Eigen::Index columns = settings.training.objective == Objective::MulticlassSoftprob
        ? static_cast<Eigen::Index>(settings.training.classCount)
        : 1;
    std::vector<Probabilities> pooled(
        candidates, Probabilities::Zero(static_cast<Eigen::Index>(rows.size()), columns));
    std::vector<double> roundSum(candidates, 0.0);
    for (const Fold &fold : *folds) {
        // Indices into `rows` become cohort rows; the matrices serve every candidate.
        std::vector<std::size_t> trainRows, validationRows;
        for (const std::size_t i : fold.train)
            trainRows.push_back(rows[i]);
        for (const std::size_t i : fold.test)
            validationRows.push_back(rows[i]);
        auto weights = weightsFor(labels, trainRows, settings);
        if (!weights)
            return std::unexpected(weights.error());
        auto training = labelledMatrix(features, labels, trainRows, *weights);
        if (!training)
            return std::unexpected(training.error());
        auto validation = labelledMatrix(features, labels, validationRows, *weights);
        if (!validation)
            return std::unexpected(validation.error());
        for (std::size_t c = 0; c < candidates; ++c) {
            if (stop.stop_requested())
                return fail(ErrorCode::Cancelled, "the hyperparameter search was cancelled");
            const TrainingParameters parameters
                = parametersOf(settings.training, settings.grid[c], settings.training.rounds);
            auto fitted = Booster::trainWithEarlyStopping(
                *training, *validation, parameters, settings.earlyStoppingRounds, stop);
            if (!fitted)
                return std::unexpected(fitted.error());
            auto predicted = fitted->booster.predictProbabilities(*validation);
            if (!predicted)
                return std::unexpected(predicted.error());
            for (std::size_t i = 0; i < fold.test.size(); ++i)
                pooled[c].row(static_cast<Eigen::Index>(fold.test[i]))
                    = predicted->row(static_cast<Eigen::Index>(i)).cast<double>();
            roundSum[c] += fitted->bestIteration + 1;
            if (fitDone)
                fitDone();
        }
    }

    std::vector<float> scoreWeights;
    if (settings.balancedClassWeights) {
        auto weights = balancedClassWeights(rowLabels, classCountOf(settings.training));
        if (!weights)
            return std::unexpected(weights.error());
        scoreWeights = weights->forRows(rowLabels);
    }
    HyperparameterChoice choice;
    for (std::size_t c = 0; c < candidates; ++c) {
        double score = 0.0;
        if (settings.criterion == SelectionCriterion::LogLoss) {
            score = logLoss(pooled[c], rowLabels, scoreWeights);
        } else {
            auto area = auroc(pooled[c], rowLabels);
            if (!area)
                return std::unexpected(area.error());
            score = *area;
        }
        choice.candidateScores.push_back(score);
        choice.candidateRounds.push_back(roundSum[c] / static_cast<double>(folds->size()));
        // Ties keep the earlier candidate, so the grid's order is the caller's preference.
        const bool better = c == 0
            || (settings.criterion == SelectionCriterion::LogLoss ? score < choice.score
                                                                  : score > choice.score);
        if (better) {
            choice.candidate = c;
            choice.score = score;
        }
    }
    choice.rounds = std::max(1, static_cast<int>(std::lround(choice.candidateRounds[choice.candidate])));
    return choice;
}

Result<ModelSelectionResult> nestedModelSelection(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> groups, const ModelSelectionSettings &settings, std::stop_token stop,
    const ModelSelectionProgress &progress)
{
    if (auto valid = checkInputs(features, labels, groups, settings); !valid)
        return std::unexpected(valid.error());
    const bool fixedFolds = !settings.outerFoldOfRow.empty();
    if (fixedFolds) {
        if (settings.outerFoldOfRow.size() != labels.size())
            return fail(ErrorCode::InvalidArgument,
                "the fixed outer folds name " + std::to_string(settings.outerFoldOfRow.size()) + " rows of "
                    + std::to_string(labels.size()));
        if (settings.repeats != 1)
            return fail(ErrorCode::InvalidArgument, "fixed outer folds cannot be repeated");
        if (settings.outerFolds < 2)
            return fail(ErrorCode::InvalidArgument, "cross-validation needs at least 2 outer folds");
        std::vector<std::size_t> rowsOfFold(static_cast<std::size_t>(settings.outerFolds), 0);
        for (std::size_t row = 0; row < labels.size(); ++row) {
            const int fold = settings.outerFoldOfRow[row];
            if (fold < 0 || fold >= settings.outerFolds)
                return fail(ErrorCode::InvalidArgument,
                    "row " + std::to_string(row) + " is in fold " + std::to_string(fold) + ", not one of 0.."
                        + std::to_string(settings.outerFolds - 1));
            ++rowsOfFold[static_cast<std::size_t>(fold)];
        }
        if (std::ranges::find(rowsOfFold, std::size_t { 0 }) != rowsOfFold.end())
            return fail(ErrorCode::InvalidArgument, "a fixed outer fold holds no rows");
    }

    const int searchFits = static_cast<int>(settings.grid.size()) * settings.innerFolds;
    const int totalFits = settings.repeats * settings.outerFolds * (searchFits + 1) + searchFits;
    int fitsDone = 0;
    const auto fitDone = [&] {
        ++fitsDone;
        if (progress)
            progress(fitsDone, totalFits);
    };

    ModelSelectionResult result;
    result.classes = static_cast<std::size_t>(classCountOf(settings.training));
    const Eigen::Index columns = settings.training.objective == Objective::MulticlassSoftprob
        ? static_cast<Eigen::Index>(result.classes)
        : 1;
    for (int repeat = 0; repeat < settings.repeats; ++repeat) {
        const std::uint64_t seed = settings.seed + static_cast<std::uint64_t>(repeat);
        std::vector<Fold> folds;
        if (fixedFolds) {
            folds.resize(static_cast<std::size_t>(settings.outerFolds));
            for (std::size_t row = 0; row < labels.size(); ++row)
                for (std::size_t fold = 0; fold < folds.size(); ++fold)
                    (static_cast<int>(fold) == settings.outerFoldOfRow[row] ? folds[fold].test
                                                                            : folds[fold].train)
                        .push_back(row);
        } else {
            auto split = splitFolds(labels, groups, settings.outerFolds, seed);
            if (!split)
                return std::unexpected(split.error());
            folds = std::move(*split);
        }
        Probabilities outOfFold
            = Probabilities::Constant(static_cast<Eigen::Index>(labels.size()), columns, std::nan(""));
        for (std::size_t f = 0; f < folds.size(); ++f) {
            const Fold &fold = folds[f];
            if (stop.stop_requested())
                return fail(ErrorCode::Cancelled, "nested model selection was cancelled");
            // The inner seed differs from the outer one so inner splits are not aligned with outer ones.
            auto choice = searchHyperparameters(
                features, labels, groups, fold.train, settings, seed * 7919u + 1u, stop, fitDone);
            if (!choice)
                return std::unexpected(choice.error());
            if (stop.stop_requested())
                return fail(ErrorCode::Cancelled, "nested model selection was cancelled");
            const TrainingParameters parameters
                = parametersOf(settings.training, settings.grid[choice->candidate], choice->rounds);
            auto predicted
                = fitAndPredict(features, labels, fold.train, fold.test, settings, parameters, stop);
            if (!predicted)
                return std::unexpected(predicted.error());
            for (std::size_t i = 0; i < fold.test.size(); ++i)
                outOfFold.row(static_cast<Eigen::Index>(fold.test[i]))
                    = predicted->row(static_cast<Eigen::Index>(i));
            fitDone();
            result.outerFolds.push_back({ repeat, static_cast<int>(f), fold.test, std::move(*choice) });
        }
        result.outOfFold.push_back(std::move(outOfFold));
    }

    std::vector<std::size_t> allRows(labels.size());
    for (std::size_t row = 0; row < allRows.size(); ++row)
        allRows[row] = row;
    auto finalChoice = searchHyperparameters(
        features, labels, groups, allRows, settings, settings.seed * 7919u + 2u, stop, fitDone);
    if (!finalChoice)
        return std::unexpected(finalChoice.error());
    result.finalChoice = std::move(*finalChoice);
    result.finalParameters = parametersOf(
        settings.training, settings.grid[result.finalChoice.candidate], result.finalChoice.rounds);
    return result;
}

} // namespace mosaic
