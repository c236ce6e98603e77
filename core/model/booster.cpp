// SPDX-License-Identifier: Apache-2.0
#include "core/model/booster.h"

#include <nlohmann/json.hpp>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <limits>
#include <thread>
#include <utility>

namespace mosaic {
namespace {

// The one place where XGBoost's -1 becomes a Mosaic error: XGBGetLastError() holds the message of
// the last failed call on this thread.
std::unexpected<Error> xgboostError(std::string_view operation)
{
    const char *message = XGBGetLastError();
    std::string detail = "XGBoost could not " + std::string(operation);
    if (message && *message)
        detail += ": " + std::string(message);
    return fail(ErrorCode::ModelFailure, std::move(detail));
}

#define MOSAIC_XGBOOST_CHECK(call, operation)                                                                \
    do {                                                                                                     \
        if ((call) != 0)                                                                                     \
            return xgboostError(operation);                                                                  \
    } while (false)

std::string objectiveName(Objective objective)
{
    switch (objective) {
    case Objective::BinaryLogistic: return "binary:logistic";
    case Objective::MulticlassSoftprob: return "multi:softprob";
    }
    return "binary:logistic";
}

// XGBoost parses parameters from strings; std::to_string would write "0.030000" and lose digits.
std::string parameterText(double value)
{
    return nlohmann::json(value).dump();
}

// Prediction types of XGBoosterPredictFromDMatrix (c_api.h).
constexpr int kPredictNormal = 0;
constexpr int kPredictMargin = 1;
constexpr int kPredictContributions = 2;
constexpr int kPredictInteractions = 4;

struct PredictionOutput
{
    std::vector<std::size_t> shape;
    const float *values = nullptr;
    std::size_t size = 0;
};

Result<PredictionOutput> predictRaw(void *booster, const DMatrix &data, int type)
{
    // XGBoost 1.7 predicts without complaint from a matrix with fewer columns than the model was
    // trained on, reading the wrong values for the missing ones; a prediction must never come from that.
    bst_ulong modelFeatures = 0;
    MOSAIC_XGBOOST_CHECK(XGBoosterGetNumFeature(booster, &modelFeatures), "count the model's features");
    if (data.columns() != static_cast<std::size_t>(modelFeatures))
        return fail(ErrorCode::InvalidArgument,
            "the data has " + std::to_string(data.columns()) + " features but the model expects "
                + std::to_string(modelFeatures));
    // strict_shape gives every model the same layout: (rows, classes[, features + 1[, features + 1]]).
    const nlohmann::json config = { { "type", type }, { "training", false }, { "iteration_begin", 0 },
        { "iteration_end", 0 }, { "strict_shape", true } };
    const bst_ulong *shape = nullptr;
    bst_ulong dimensions = 0;
    const float *result = nullptr;
    MOSAIC_XGBOOST_CHECK(XGBoosterPredictFromDMatrix(
                             booster, data.handle(), config.dump().c_str(), &shape, &dimensions, &result),
        "predict");
    PredictionOutput output;
    output.values = result;
    output.size = 1;
    for (bst_ulong i = 0; i < dimensions; ++i) {
        output.shape.push_back(static_cast<std::size_t>(shape[i]));
        output.size *= static_cast<std::size_t>(shape[i]);
    }
    return output;
}

// The score in XGBoosterEvalOneIter's text "[3]\teval-logloss:0.512345": after the last ':'. The
// Python package parses the same text (_parse_eval_str), so both stop on the same numbers.
Result<double> parseEvaluationScore(std::string_view text)
{
    const auto colon = text.rfind(':');
    double score = 0.0;
    if (colon != std::string_view::npos) {
        const char *begin = text.data() + colon + 1;
        const char *end = text.data() + text.size();
        while (end > begin && (end[-1] == '\n' || end[-1] == ' ' || end[-1] == '\t'))
            --end;
        const auto [last, error] = std::from_chars(begin, end, score);
        if (error == std::errc() && last == end)
            return score;
    }
    return fail(ErrorCode::ModelFailure, "XGBoost returned an evaluation without a score");
}

} // namespace

std::vector<float> ClassWeights::forRows(std::span<const int> labels) const
{
    std::vector<float> weights;
    weights.reserve(labels.size());
    for (const int label : labels)
        weights.push_back(label >= 0 && static_cast<std::size_t>(label) < ofClass.size()
                ? static_cast<float>(ofClass[static_cast<std::size_t>(label)])
                : 0.0f);
    return weights;
}

Result<ClassWeights> balancedClassWeights(std::span<const int> labels, int classCount)
{
    if (labels.empty())
        return fail(ErrorCode::InvalidArgument, "class weights need at least one label");
    if (classCount < 2)
        return fail(ErrorCode::InvalidArgument,
            "class weights need at least 2 classes; the count is " + std::to_string(classCount));
    std::vector<std::size_t> rowsOfClass(static_cast<std::size_t>(classCount), 0);
    for (std::size_t row = 0; row < labels.size(); ++row) {
        if (labels[row] < 0 || labels[row] >= classCount)
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row)
                    + " is not a class 0.." + std::to_string(classCount - 1));
        ++rowsOfClass[static_cast<std::size_t>(labels[row])];
    }
    const auto present
        = static_cast<double>(std::ranges::count_if(rowsOfClass, [](std::size_t n) { return n > 0; }));
    ClassWeights weights;
    for (const std::size_t n : rowsOfClass)
        weights.ofClass.push_back(
            n == 0 ? 0.0 : static_cast<double>(labels.size()) / (present * static_cast<double>(n)));
    return weights;
}

int trainingThreadCount(int requested)
{
    if (requested > 0)
        return requested;
    // Read once: glibc reads /sys/devices/system/cpu/online on every call, which cost 7 to 25 us per
    // one-patient DMatrix (docs/performance.md, "Model scoring and training").
    static const auto cores = static_cast<int>(std::thread::hardware_concurrency());
    return std::max(1, cores - 1);
}

// ---------------------------------------------------------------------------------------------- DMatrix

DMatrix::DMatrix(void *handle, std::size_t rows, std::size_t columns)
    : m_handle(handle)
    , m_rows(rows)
    , m_columns(columns)
{ }

DMatrix::DMatrix(DMatrix &&other) noexcept
    : m_handle(std::exchange(other.m_handle, nullptr))
    , m_rows(std::exchange(other.m_rows, 0))
    , m_columns(std::exchange(other.m_columns, 0))
{ }

DMatrix &DMatrix::operator=(DMatrix &&other) noexcept
{
    if (this != &other) {
        if (m_handle)
            XGDMatrixFree(m_handle);
        m_handle = std::exchange(other.m_handle, nullptr);
        m_rows = std::exchange(other.m_rows, 0);
        m_columns = std::exchange(other.m_columns, 0);
    }
    return *this;
}

DMatrix::~DMatrix()
{
    if (m_handle)
        XGDMatrixFree(m_handle);
}

Result<DMatrix> DMatrix::fromDense(
    const RowMatrixXf &features, std::span<const float> labels, std::span<const std::string> featureNames)
{
    const auto rows = static_cast<std::size_t>(features.rows());
    const auto columns = static_cast<std::size_t>(features.cols());
    if (rows == 0 || columns == 0)
        return fail(ErrorCode::InvalidArgument, "the feature matrix is empty");
    if (!labels.empty() && labels.size() != rows)
        return fail(ErrorCode::InvalidArgument,
            "the matrix has " + std::to_string(rows) + " rows but " + std::to_string(labels.size())
                + " labels");
    if (!featureNames.empty() && featureNames.size() != columns)
        return fail(ErrorCode::InvalidArgument,
            "the matrix has " + std::to_string(columns) + " columns but "
                + std::to_string(featureNames.size()) + " feature names");

    DMatrixHandle handle = nullptr;
    MOSAIC_XGBOOST_CHECK(XGDMatrixCreateFromMat_omp(features.data(), rows, columns,
                             std::numeric_limits<float>::quiet_NaN(), &handle, trainingThreadCount()),
        "create a data matrix");
    DMatrix matrix(handle, rows, columns); // owns the handle from here on
    if (!labels.empty())
        MOSAIC_XGBOOST_CHECK(
            XGDMatrixSetFloatInfo(handle, "label", labels.data(), labels.size()), "set the labels");
    if (!featureNames.empty()) {
        std::vector<const char *> names;
        names.reserve(columns);
        for (const auto &name : featureNames)
            names.push_back(name.c_str());
        MOSAIC_XGBOOST_CHECK(XGDMatrixSetStrFeatureInfo(handle, "feature_name", names.data(), names.size()),
            "set the feature names");
    }
    return matrix;
}

Result<void> DMatrix::setWeights(std::span<const float> weights)
{
    if (weights.size() != m_rows)
        return fail(ErrorCode::InvalidArgument,
            "the matrix has " + std::to_string(m_rows) + " rows but " + std::to_string(weights.size())
                + " weights");
    for (std::size_t row = 0; row < weights.size(); ++row) {
        if (!std::isfinite(weights[row]) || weights[row] < 0.0f)
            return fail(ErrorCode::InvalidArgument,
                "the weight of row " + std::to_string(row) + " is not a finite non-negative number");
    }
    MOSAIC_XGBOOST_CHECK(
        XGDMatrixSetFloatInfo(m_handle, "weight", weights.data(), weights.size()), "set the weights");
    return {};
}

// ---------------------------------------------------------------------------------------------- Booster

Booster::Booster(void *handle)
    : m_handle(handle)
{ }

Booster::Booster(Booster &&other) noexcept
    : m_handle(std::exchange(other.m_handle, nullptr))
{ }

Booster &Booster::operator=(Booster &&other) noexcept
{
    if (this != &other) {
        if (m_handle)
            XGBoosterFree(m_handle);
        m_handle = std::exchange(other.m_handle, nullptr);
    }
    return *this;
}

Booster::~Booster()
{
    if (m_handle)
        XGBoosterFree(m_handle);
}

Result<Booster> Booster::create(
    std::span<const DMatrix *const> matrices, const TrainingParameters &parameters)
{
    const DMatrix &training = *matrices.front();
    bst_ulong labelCount = 0;
    const float *labels = nullptr;
    MOSAIC_XGBOOST_CHECK(
        XGDMatrixGetFloatInfo(training.handle(), "label", &labelCount, &labels), "read the labels");
    if (labelCount == 0)
        return fail(ErrorCode::InvalidArgument, "the training matrix has no labels");
    if (parameters.rounds < 1)
        return fail(ErrorCode::InvalidArgument, "training needs at least one boosting round");

    std::vector<DMatrixHandle> handles;
    for (const DMatrix *matrix : matrices)
        handles.push_back(matrix->handle());
    BoosterHandle handle = nullptr;
    MOSAIC_XGBOOST_CHECK(XGBoosterCreate(handles.data(), handles.size(), &handle), "create a booster");
    Booster booster(handle);

    std::vector<std::pair<std::string, std::string>> settings = {
        { "objective", objectiveName(parameters.objective) },
        { "tree_method", "hist" },
        { "eta", parameterText(parameters.learningRate) },
        { "max_depth", std::to_string(parameters.maxDepth) },
        { "min_child_weight", parameterText(parameters.minChildWeight) },
        { "subsample", parameterText(parameters.subsample) },
        { "colsample_bytree", parameterText(parameters.columnSample) },
        { "lambda", parameterText(parameters.lambda) },
        // XGBoost's seed is a 32-bit integer parameter in 1.7.
        { "seed", std::to_string(parameters.seed % 2147483647u) },
        { "nthread", std::to_string(trainingThreadCount(parameters.threads)) },
        { "validate_parameters", "1" },
    };
    if (parameters.objective == Objective::MulticlassSoftprob) {
        settings.emplace_back("num_class", std::to_string(parameters.classCount));
        settings.emplace_back("eval_metric", "mlogloss");
    } else {
        settings.emplace_back("eval_metric", "logloss");
    }
    for (const auto &[name, value] : settings)
        MOSAIC_XGBOOST_CHECK(
            XGBoosterSetParam(handle, name.c_str(), value.c_str()), "set parameter " + name + " = " + value);

    // The learner does not take feature names from its training matrix (the Python package sets
    // them on the booster after training too); they go into the saved model from here.
    bst_ulong nameCount = 0;
    const char **names = nullptr;
    MOSAIC_XGBOOST_CHECK(XGDMatrixGetStrFeatureInfo(training.handle(), "feature_name", &nameCount, &names),
        "read the feature names");
    if (nameCount > 0)
        MOSAIC_XGBOOST_CHECK(
            XGBoosterSetStrFeatureInfo(handle, "feature_name", names, nameCount), "set the feature names");
    return booster;
}

Result<Booster> Booster::train(const DMatrix &training, const TrainingParameters &parameters,
    std::stop_token stop, const TrainingProgress &progress)
{
    const DMatrix *matrices[] = { &training };
    auto booster = create(matrices, parameters);
    if (!booster)
        return booster;
    for (int round = 0; round < parameters.rounds; ++round) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled,
                "training was cancelled after " + std::to_string(round) + " of "
                    + std::to_string(parameters.rounds) + " rounds");
        MOSAIC_XGBOOST_CHECK(XGBoosterUpdateOneIter(booster->m_handle, round, training.handle()),
            "train round " + std::to_string(round + 1));
        if (progress)
            progress(round + 1, parameters.rounds);
    }
    return booster;
}

Result<EarlyStoppingResult> Booster::trainWithEarlyStopping(const DMatrix &training,
    const DMatrix &evaluation, const TrainingParameters &parameters, int patience, std::stop_token stop,
    const TrainingProgress &progress)
{
    if (patience < 1)
        return fail(ErrorCode::InvalidArgument,
            "early stopping needs a patience of at least 1 round; it is " + std::to_string(patience));
    bst_ulong labelCount = 0;
    const float *labels = nullptr;
    MOSAIC_XGBOOST_CHECK(XGDMatrixGetFloatInfo(evaluation.handle(), "label", &labelCount, &labels),
        "read the evaluation labels");
    if (labelCount == 0)
        return fail(ErrorCode::InvalidArgument, "the evaluation matrix has no labels");

    // The Python package caches the evaluation matrices in the booster too.
    const DMatrix *matrices[] = { &training, &evaluation };
    auto booster = create(matrices, parameters);
    if (!booster)
        return std::unexpected(booster.error());
    DMatrixHandle evaluationHandles[] = { evaluation.handle() };
    const char *evaluationNames[] = { "evaluation" };

    std::vector<double> scores;
    int bestIteration = 0;
    double bestScore = 0.0;
    int roundsWithoutImprovement = 0;
    for (int round = 0; round < parameters.rounds; ++round) {
        if (stop.stop_requested())
            return fail(ErrorCode::Cancelled,
                "training was cancelled after " + std::to_string(round) + " of "
                    + std::to_string(parameters.rounds) + " rounds");
        MOSAIC_XGBOOST_CHECK(XGBoosterUpdateOneIter(booster->m_handle, round, training.handle()),
            "train round " + std::to_string(round + 1));
        const char *text = nullptr;
        MOSAIC_XGBOOST_CHECK(
            XGBoosterEvalOneIter(booster->m_handle, round, evaluationHandles, evaluationNames, 1, &text),
            "evaluate round " + std::to_string(round + 1));
        auto score = parseEvaluationScore(text ? std::string_view(text) : std::string_view());
        if (!score)
            return std::unexpected(score.error());
        scores.push_back(*score);
        if (progress)
            progress(round + 1, parameters.rounds);
        // xgboost.callback.EarlyStopping (1.7): the first round sets the best; later rounds improve
        // only when best - score > 0; training stops when the rounds without improvement reach
        // the patience.
        if (round == 0 || bestScore - *score > 0.0) {
            bestScore = *score;
            bestIteration = round;
            roundsWithoutImprovement = 0;
        } else if (++roundsWithoutImprovement >= patience) {
            break;
        }
    }

    BoosterHandle sliced = nullptr;
    MOSAIC_XGBOOST_CHECK(XGBoosterSlice(booster->m_handle, 0, bestIteration + 1, 1, &sliced),
        "keep the rounds up to the best iteration");
    return EarlyStoppingResult { Booster(sliced), bestIteration, bestScore, std::move(scores) };
}

Result<Booster> Booster::load(std::string_view bytes)
{
    if (bytes.empty())
        return fail(ErrorCode::Malformed, "the model is empty");
    BoosterHandle handle = nullptr;
    MOSAIC_XGBOOST_CHECK(XGBoosterCreate(nullptr, 0, &handle), "create a booster");
    Booster booster(handle);
    MOSAIC_XGBOOST_CHECK(XGBoosterLoadModelFromBuffer(handle, bytes.data(), bytes.size()), "load the model");
    // Predict on cores - 1 threads as training does (XGBoost would take every core): this leaves the
    // interface a core and, on 2 cores, spares one patient's prediction waking a second thread.
    MOSAIC_XGBOOST_CHECK(XGBoosterSetParam(handle, "nthread", std::to_string(trainingThreadCount()).c_str()),
        "set the prediction threads");
    return booster;
}

Result<std::string> Booster::save(ModelFormat format) const
{
    const char *config = format == ModelFormat::Json ? R"({"format": "json"})" : R"({"format": "ubj"})";
    bst_ulong length = 0;
    const char *bytes = nullptr;
    MOSAIC_XGBOOST_CHECK(XGBoosterSaveModelToBuffer(m_handle, config, &length, &bytes), "save the model");
    return std::string(bytes, length);
}

Result<RowMatrixXf> Booster::predictMatrix(const DMatrix &data, int type, std::string_view what) const
{
    auto output = predictRaw(m_handle, data, type);
    if (!output)
        return std::unexpected(output.error());
    if (output->shape.size() != 2 || output->shape[0] != data.rows())
        return fail(
            ErrorCode::ModelFailure, "XGBoost returned " + std::string(what) + " of an unexpected shape");
    RowMatrixXf result(
        static_cast<Eigen::Index>(output->shape[0]), static_cast<Eigen::Index>(output->shape[1]));
    std::copy_n(output->values, output->size, result.data());
    return result;
}

Result<RowMatrixXf> Booster::predictProbabilities(const DMatrix &data) const
{
    return predictMatrix(data, kPredictNormal, "probabilities");
}

Result<RowMatrixXf> Booster::predictMargin(const DMatrix &data) const
{
    return predictMatrix(data, kPredictMargin, "margins");
}

Result<Contributions> Booster::contributions(const DMatrix &data) const
{
    auto output = predictRaw(m_handle, data, kPredictContributions);
    if (!output)
        return std::unexpected(output.error());
    const auto &shape = output->shape;
    if (shape.size() != 3 || shape[0] != data.rows() || shape[2] != data.columns() + 1)
        return fail(ErrorCode::ModelFailure, "XGBoost returned contributions of an unexpected shape");
    Contributions contributions;
    contributions.rows = shape[0];
    contributions.classes = shape[1];
    contributions.features = shape[2] - 1;
    contributions.values.assign(output->values, output->values + output->size);
    return contributions;
}

Result<Interactions> Booster::interactions(const DMatrix &data) const
{
    auto output = predictRaw(m_handle, data, kPredictInteractions);
    if (!output)
        return std::unexpected(output.error());
    const auto &shape = output->shape;
    if (shape.size() != 4 || shape[0] != data.rows() || shape[2] != data.columns() + 1
        || shape[3] != shape[2])
        return fail(ErrorCode::ModelFailure, "XGBoost returned interaction values of an unexpected shape");
    Interactions interactions;
    interactions.rows = shape[0];
    interactions.classes = shape[1];
    interactions.features = shape[2] - 1;
    interactions.values.assign(output->values, output->values + output->size);
    return interactions;
}

Result<std::vector<FeatureScore>> Booster::featureScores(ImportanceType type) const
{
    const nlohmann::json config = { { "importance_type", type == ImportanceType::Gain ? "gain" : "weight" } };
    bst_ulong featureCount = 0;
    const char **names = nullptr;
    bst_ulong dimensions = 0;
    const bst_ulong *shape = nullptr;
    const float *scores = nullptr;
    MOSAIC_XGBOOST_CHECK(XGBoosterFeatureScore(m_handle, config.dump().c_str(), &featureCount, &names,
                             &dimensions, &shape, &scores),
        "compute feature importance");
    // Tree models give one score per feature (dimension 1); a score per class would need a
    // linear booster, which Mosaic does not train.
    if (dimensions != 1 || shape[0] != featureCount)
        return fail(ErrorCode::Unsupported, "feature importance per class is not supported");
    std::vector<FeatureScore> result;
    result.reserve(featureCount);
    for (bst_ulong i = 0; i < featureCount; ++i)
        result.push_back({ names[i], static_cast<double>(scores[i]) });
    return result;
}

Result<std::size_t> Booster::featureCount() const
{
    bst_ulong count = 0;
    MOSAIC_XGBOOST_CHECK(XGBoosterGetNumFeature(m_handle, &count), "count the model's features");
    return static_cast<std::size_t>(count);
}

Result<int> Booster::boostedRounds() const
{
    int rounds = 0;
    MOSAIC_XGBOOST_CHECK(XGBoosterBoostedRounds(m_handle, &rounds), "count the boosted rounds");
    return rounds;
}

} // namespace mosaic
