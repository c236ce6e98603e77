// SPDX-License-Identifier: Apache-2.0
// Mosaic's gradient-boosted tree engine: XGBoost through its C API. One RAII owner per handle
// (DMatrix, Booster); every C API failure becomes an Error carrying XGBoost's own message. Only
// this folder includes <xgboost/c_api.h>; the rest of Mosaic sees these types.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

// A matrix handed to XGBoost: rows are patients, columns features, NaN is missing.
class DMatrix
{
public:
    // `labels` may be empty (prediction); otherwise it has one entry per row. `featureNames` may be
    // empty; otherwise one per column, and they travel into the saved model.
    static Result<DMatrix> fromDense(const RowMatrixXf &features, std::span<const float> labels = {},
        std::span<const std::string> featureNames = {});

    DMatrix(DMatrix &&other) noexcept;
    DMatrix &operator=(DMatrix &&other) noexcept;
    DMatrix(const DMatrix &) = delete;
    DMatrix &operator=(const DMatrix &) = delete;
    ~DMatrix();

    // Per-row weights (XGBoost's "weight" field): a row of weight 2 counts as two identical rows in
    // the gradients, the hessians (so in min_child_weight) and in the evaluation metrics.
    // InvalidArgument unless there is one finite, non-negative weight per row.
    Result<void> setWeights(std::span<const float> weights);

    [[nodiscard]] std::size_t rows() const { return m_rows; }
    [[nodiscard]] std::size_t columns() const { return m_columns; }
    [[nodiscard]] void *handle() const { return m_handle; }

private:
    DMatrix(void *handle, std::size_t rows, std::size_t columns);

    void *m_handle = nullptr; // DMatrixHandle
    std::size_t m_rows = 0;
    std::size_t m_columns = 0;
};

enum class Objective {
    BinaryLogistic, // "binary:logistic": labels 0/1, one probability per row
    MulticlassSoftprob // "multi:softprob": labels 0..K-1, K probabilities per row
};

struct TrainingParameters
{
    Objective objective = Objective::BinaryLogistic;
    int classCount = 2; // used by MulticlassSoftprob only
    int rounds = 300;
    double learningRate = 0.03;
    int maxDepth = 3;
    double minChildWeight = 1.0;
    double subsample = 0.8;
    double columnSample = 0.8;
    double lambda = 1.0;
    std::uint64_t seed = 20261125;
    int threads = 0; // 0: one fewer than the cores, so the user interface keeps a core
};

// Class weights for imbalanced outcomes. "Balanced" is scikit-learn's compute_class_weight rule:
// class c weighs n / (K * n_c), n the rows, K the classes present and n_c the rows of class c, so
// every class carries the same total weight n / K. Absent classes weigh 0.
struct ClassWeights
{
    std::vector<double> ofClass; // indexed by label

    // One weight per row from its label. Labels outside ofClass get weight 0.
    [[nodiscard]] std::vector<float> forRows(std::span<const int> labels) const;
};

// InvalidArgument when a label is outside [0, classCount) or there are no labels.
Result<ClassWeights> balancedClassWeights(std::span<const int> labels, int classCount);

// Threads for training: `requested` when positive, else cores - 1, at least 1.
[[nodiscard]] int trainingThreadCount(int requested = 0);

// Called after each boosting round with (rounds done, rounds in all).
using TrainingProgress = std::function<void(int, int)>;

// SHAP values (TreeSHAP, Lundberg et al. 2020): for each row and class, one contribution per feature
// plus the bias in the last slot; they add up to the raw margin (log-odds for binary models).
struct Contributions
{
    std::size_t rows = 0;
    std::size_t classes = 0; // 1 for binary models
    std::size_t features = 0; // without the bias
    std::vector<float> values; // rows x classes x (features + 1), row-major

    [[nodiscard]] float at(std::size_t row, std::size_t classIndex, std::size_t feature) const
    {
        return values.at((row * classes + classIndex) * (features + 1) + feature);
    }
    [[nodiscard]] float bias(std::size_t row, std::size_t classIndex = 0) const
    {
        return at(row, classIndex, features);
    }
};

// SHAP interaction values: rows x classes x (features + 1) x (features + 1). Each row of the
// matrix adds up to that feature's contribution; the diagonal holds the main effects.
struct Interactions
{
    std::size_t rows = 0;
    std::size_t classes = 0;
    std::size_t features = 0;
    std::vector<float> values;

    [[nodiscard]] float at(
        std::size_t row, std::size_t classIndex, std::size_t first, std::size_t second) const
    {
        return values.at(((row * classes + classIndex) * (features + 1) + first) * (features + 1) + second);
    }
};

enum class ImportanceType {
    Gain, // average gain of the splits that use the feature
    Weight // number of splits that use the feature
};

struct FeatureScore
{
    std::string feature; // the model's feature name, or "f<index>" when it has none
    double score = 0.0;
};

enum class ModelFormat { Json, Ubjson };

struct EarlyStoppingResult;

class Booster
{
public:
    // InvalidArgument when the matrix has no labels; ModelFailure with XGBoost's message when
    // XGBoost refuses (a label out of range for the objective, say); Cancelled when `stop` is
    // requested between rounds.
    static Result<Booster> train(const DMatrix &training, const TrainingParameters &parameters,
        std::stop_token stop = {}, const TrainingProgress &progress = {});

    // Trains up to parameters.rounds rounds, scoring `evaluation` after each with the objective's
    // metric (logloss, or mlogloss for multi:softprob; weighted when the matrix has weights), and
    // stops once the score has not improved (strictly fallen) for `patience` rounds, as
    // xgboost.train(early_stopping_rounds = patience) does, reading the same score text. The model
    // returned is cut to the best round (rounds 0..bestIteration), so it predicts as the best
    // iteration did. InvalidArgument when patience < 1 or `evaluation` has no labels.
    static Result<EarlyStoppingResult> trainWithEarlyStopping(const DMatrix &training,
        const DMatrix &evaluation, const TrainingParameters &parameters, int patience,
        std::stop_token stop = {}, const TrainingProgress &progress = {});

    // Loads a model saved by save() in either format. XGBoost does not validate model files:
    // callers verify a bundle's hash before handing its bytes here (core/model/model_bundle).
    static Result<Booster> load(std::string_view bytes);

    Booster(Booster &&other) noexcept;
    Booster &operator=(Booster &&other) noexcept;
    Booster(const Booster &) = delete;
    Booster &operator=(const Booster &) = delete;
    ~Booster();

    [[nodiscard]] Result<std::string> save(ModelFormat format) const;

    // rows x classes: P(label = 1) for binary models (one column), class probabilities otherwise.
    [[nodiscard]] Result<RowMatrixXf> predictProbabilities(const DMatrix &data) const;
    // rows x classes: the raw margin (log-odds for binary models) before the link function.
    [[nodiscard]] Result<RowMatrixXf> predictMargin(const DMatrix &data) const;
    [[nodiscard]] Result<Contributions> contributions(const DMatrix &data) const;
    [[nodiscard]] Result<Interactions> interactions(const DMatrix &data) const;
    // One score per feature the trees use; unused features are absent, as in XGBoost.
    [[nodiscard]] Result<std::vector<FeatureScore>> featureScores(ImportanceType type) const;

    [[nodiscard]] Result<std::size_t> featureCount() const;
    [[nodiscard]] Result<int> boostedRounds() const;

private:
    explicit Booster(void *handle);
    Result<RowMatrixXf> predictMatrix(const DMatrix &data, int type, std::string_view what) const;
    // A booster configured with `parameters`, caching `matrices` (the training matrix first).
    static Result<Booster> create(
        std::span<const DMatrix *const> matrices, const TrainingParameters &parameters);

    void *m_handle = nullptr; // BoosterHandle
};

struct EarlyStoppingResult
{
    Booster booster; // rounds 0..bestIteration only
    int bestIteration = 0; // 0-based, as Python's Booster.best_iteration
    double bestScore = 0.0; // the evaluation metric at bestIteration
    std::vector<double> scores; // the evaluation metric after each round trained
};

} // namespace mosaic
