// SPDX-License-Identifier: Apache-2.0
// Nested cross-validation with a small hyperparameter search, for binary and multi-class XGBoost
// models. Each outer training fold runs its own inner search: every candidate of the grid is
// trained on the inner training folds with early stopping on the inner validation fold, the
// candidate with the best pooled inner score wins, and it is refitted on the whole outer training
// fold for the averaged best number of rounds. Only then is the outer test fold predicted, so no
// outer test case takes part in choosing or fitting the model that predicts it (Varma & Simon 2006;
// Cawley & Talbot 2010). Folds are stratified and, when rows carry groups (patients with several
// samples), grouped. The final model's hyperparameters come from the same search on all rows.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/model/booster.h"

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stop_token>
#include <vector>

namespace mosaic {

struct HyperparameterCandidate
{
    int maxDepth = 3;
    double learningRate = 0.1;
    double minChildWeight = 1.0;

    friend bool operator==(const HyperparameterCandidate &, const HyperparameterCandidate &) = default;
};

// max_depth {2, 3, 4} x learning_rate {0.05, 0.1} x min_child_weight {1, 5}: 12 candidates.
[[nodiscard]] std::vector<HyperparameterCandidate> defaultHyperparameterGrid();

enum class SelectionCriterion {
    LogLoss, // pooled inner out-of-fold log loss (multi-class: mean -log p of the true class); lower wins
    Auroc // pooled inner out-of-fold AUROC (multi-class: one-vs-rest, averaged over classes); higher wins
};

struct ModelSelectionSettings
{
    int outerFolds = 5;
    int innerFolds = 3;
    int repeats = 1; // outer repeats with seed + repeat; nested search is expensive
    std::uint64_t seed = 20261125;
    // Objective, class count, subsampling, seed and threads of every fit; `rounds` is the most
    // rounds any fit may grow; depth, learning rate and min_child_weight come from the grid.
    TrainingParameters training;
    std::vector<HyperparameterCandidate> grid = defaultHyperparameterGrid();
    int earlyStoppingRounds = 20;
    SelectionCriterion criterion = SelectionCriterion::LogLoss;
    // Balanced class weights (balancedClassWeights), computed from each training set's own labels;
    // the early-stopping metric and the inner log loss are then weighted the same way.
    bool balancedClassWeights = false;
    // Optional fixed outer folds, one fold number 0..outerFolds-1 per row (a site per hospital,
    // say); when empty the outer folds are stratified (and grouped) with the seed. Needs repeats 1.
    std::vector<int> outerFoldOfRow;
};

// The outcome of one inner search.
struct HyperparameterChoice
{
    std::size_t candidate = 0; // index into the grid
    int rounds = 0; // mean of the inner fits' best round counts (best iteration + 1), rounded
    double score = 0.0; // the winner's pooled inner score
    std::vector<double> candidateScores; // per grid entry
    std::vector<double> candidateRounds; // per grid entry: mean best round count
};

struct OuterFoldResult
{
    int repeat = 0;
    int fold = 0;
    std::vector<std::size_t> testRows; // ascending
    HyperparameterChoice choice;
};

struct ModelSelectionResult
{
    std::size_t classes = 2; // K; binary outcomes have one probability column
    // Per repeat, rows x columns: P(label = 1) for binary models (one column), the K class
    // probabilities otherwise. Each case is predicted by the model of the outer fold that held it out.
    std::vector<Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>> outOfFold;
    std::vector<OuterFoldResult> outerFolds; // repeat by repeat, fold by fold
    HyperparameterChoice finalChoice; // the search on all rows
    TrainingParameters finalParameters; // training with finalChoice's candidate and rounds
};

// Called after each fit with (fits done, fits in all).
using ModelSelectionProgress = std::function<void(int, int)>;

// The inner search on `rows`: inner folds (grouped when `groups` is not empty) with `seed`.
Result<HyperparameterChoice> searchHyperparameters(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> groups, std::span<const std::size_t> rows,
    const ModelSelectionSettings &settings, std::uint64_t seed, std::stop_token stop = {},
    const std::function<void()> &fitDone = {});

// Labels are classes 0..K-1 (K = training.classCount for multi:softprob, 2 for binary). `groups` is
// empty or one group code per row (groupCodes). Fails as the folds or training do, with
// InvalidArgument for an empty grid or mismatched sizes, or with Cancelled between fits.
Result<ModelSelectionResult> nestedModelSelection(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> groups, const ModelSelectionSettings &settings, std::stop_token stop = {},
    const ModelSelectionProgress &progress = {});

// The parameters of a candidate on top of `base` with `rounds` rounds.
[[nodiscard]] TrainingParameters parametersOf(
    const TrainingParameters &base, const HyperparameterCandidate &candidate, int rounds);

} // namespace mosaic
