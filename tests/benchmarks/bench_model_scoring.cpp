// SPDX-License-Identifier: Apache-2.0
// Scoring and training at the size of issue 7's targets, through Mosaic's API, against
// python3-xgboost (xgboost_python_peer.py, which times itself) in the same run.
//
// Data: 10,000 generated patients x 200 features (standard normal, 2 % missing) with a known
// logistic outcome driven by the first 10 features (terms below), seed kSeed.
// Scoring: a model of 500 trees of depth 6 (eta 0.1) trained once at start-up on all rows, saved as
// JSON and loaded back as the app loads a bundle's model; Python loads the same file. One patient
// arrives as a vector, so every one-patient figure includes making the DMatrix from it.
// Training: the 5 fits of one stratified 5-fold cross-validation (100 rounds, depth 6, eta 0.1,
// hist), Mosaic's crossValidateBinary against Python doing the same fits on the same folds with
// the same parameters, at 1 and 2 threads; both out-of-fold AUROCs must agree.
// docs/performance.md, "Model scoring and training (issue 7)", records the figures and command.
#include "core/model/booster.h"
#include "core/model/cross_validation.h"
#include "core/model/risk_model.h"
#include "core/model/stratified_folds.h"

#include <nlohmann/json.hpp>

#include <array>
#include <benchmark/benchmark.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace mosaic;

constexpr std::uint64_t kSeed = 20261130;
constexpr Eigen::Index kRows = 10000;
constexpr Eigen::Index kColumns = 200;
constexpr int kScoringTrees = 500;
constexpr int kFoldRounds = 100;
constexpr int kPatients = 1000; // the one-patient benchmarks take patients 0..999 in turn

[[noreturn]] void die(const std::string &message)
{
    std::fprintf(stderr, "bench_model_scoring: %s\n", message.c_str());
    std::exit(1);
}

// The working directory for the files both sides read; removed at exit.
struct WorkDirectory
{
    std::filesystem::path path = std::filesystem::temp_directory_path()
        / ("mosaic-bench-model-scoring-" + std::to_string(::getpid()));
    WorkDirectory() { std::filesystem::create_directories(path); }
    ~WorkDirectory()
    {
        std::error_code ignored;
        std::filesystem::remove_all(path, ignored);
    }
};

const std::filesystem::path &workDirectory()
{
    static const WorkDirectory directory;
    return directory.path;
}

struct Cohort
{
    RowMatrixXf features;
    std::vector<int> labels;
    std::vector<float> labelValues;
    std::vector<std::int32_t> testFold; // the fold of crossValidateBinary(seed kSeed) testing each row
};

// Written once: features (float32, row-major), labels (float32), test folds (int32), native order.
const Cohort &cohort()
{
    static const Cohort generated = [] {
        Cohort cohort;
        cohort.features.resize(kRows, kColumns);
        std::mt19937_64 engine(kSeed);
        std::normal_distribution<float> normal;
        std::uniform_real_distribution<double> uniform;
        for (Eigen::Index row = 0; row < kRows; ++row) {
            for (Eigen::Index column = 0; column < kColumns; ++column)
                cohort.features(row, column)
                    = uniform(engine) < 0.02 ? std::numeric_limits<float>::quiet_NaN() : normal(engine);
            const auto x = [&](Eigen::Index column) {
                const float value = cohort.features(row, column);
                return std::isnan(value) ? 0.0 : static_cast<double>(value);
            };
            const double logit = -1.0 + 1.0 * x(0) - 0.8 * x(1) + 0.6 * x(2) * x(3) + 0.9 * (x(4) > 0.5)
                - 0.5 * x(5) * x(5) + 0.4 * x(6) + 0.3 * x(7) - 0.3 * x(8) + 0.2 * x(9);
            const int label = uniform(engine) < 1.0 / (1.0 + std::exp(-logit)) ? 1 : 0;
            cohort.labels.push_back(label);
            cohort.labelValues.push_back(static_cast<float>(label));
        }
        auto folds = stratifiedKFold(cohort.labels, 5, kSeed);
        if (!folds)
            die(folds.error().message());
        cohort.testFold.assign(static_cast<std::size_t>(kRows), -1);
        for (std::size_t fold = 0; fold < folds->size(); ++fold)
            for (std::size_t row : (*folds)[fold].test)
                cohort.testFold[row] = static_cast<std::int32_t>(fold);

        std::ofstream out(workDirectory() / "data.bin", std::ios::binary);
        out.write(reinterpret_cast<const char *>(cohort.features.data()),
            static_cast<std::streamsize>(cohort.features.size() * sizeof(float)));
        out.write(reinterpret_cast<const char *>(cohort.labelValues.data()),
            static_cast<std::streamsize>(cohort.labelValues.size() * sizeof(float)));
        out.write(reinterpret_cast<const char *>(cohort.testFold.data()),
            static_cast<std::streamsize>(cohort.testFold.size() * sizeof(std::int32_t)));
        if (!out.flush())
            die("could not write " + (workDirectory() / "data.bin").string());
        return cohort;
    }();
    return generated;
}

std::vector<std::string> featureNames()
{
    std::vector<std::string> names;
    for (Eigen::Index column = 0; column < kColumns; ++column) {
        std::string name = std::to_string(column);
        names.push_back("x" + std::string(3 - name.size(), '0') + name);
    }
    return names;
}

struct ScoringModel
{
    std::string json; // as saved by Booster::save, as a bundle carries it
    Booster booster; // loaded back from `json`, as the app loads a bundle's model
    RiskModel risk;
    std::shared_ptr<const FeatureSchema> schema;
    std::size_t leaves = 0;
    int deepest = 0;
};

TrainingParameters scoringParameters()
{
    TrainingParameters parameters;
    parameters.rounds = kScoringTrees;
    parameters.maxDepth = 6;
    parameters.learningRate = 0.1;
    parameters.threads = 1;
    return parameters;
}

// The depth of each tree's deepest leaf and the number of leaves, from the saved JSON.
void countTrees(const std::string &json, ScoringModel &model)
{
    const auto document = nlohmann::json::parse(json);
    const auto &trees = document.at("learner").at("gradient_booster").at("model").at("trees");
    for (const auto &tree : trees) {
        const auto left = tree.at("left_children").get<std::vector<int>>();
        const auto right = tree.at("right_children").get<std::vector<int>>();
        std::vector<std::pair<int, int>> stack { { 0, 0 } };
        while (!stack.empty()) {
            const auto [node, depth] = stack.back();
            stack.pop_back();
            if (left.at(static_cast<std::size_t>(node)) < 0) {
                ++model.leaves;
                model.deepest = std::max(model.deepest, depth);
                continue;
            }
            stack.push_back({ left.at(static_cast<std::size_t>(node)), depth + 1 });
            stack.push_back({ right.at(static_cast<std::size_t>(node)), depth + 1 });
        }
    }
}

// The model's JSON: read from the cache file a previous run wrote, else trained (on one thread, about
// 20 s on the idle machine) and written there. The file name carries everything that shapes the model.
std::string scoringModelJson()
{
    const auto cache = std::filesystem::temp_directory_path()
        / ("mosaic-bench-model-scoring-v1-seed" + std::to_string(kSeed) + "-" + std::to_string(kScoringTrees)
            + "-trees.json");
    std::ifstream cached(cache, std::ios::binary);
    std::string json((std::istreambuf_iterator<char>(cached)), std::istreambuf_iterator<char>());
    if (!json.empty() && Booster::load(json)) {
        std::fprintf(stderr, "bench_model_scoring: the scoring model from %s\n", cache.string().c_str());
        return json;
    }
    const Cohort &data = cohort();
    auto matrix = DMatrix::fromDense(data.features, data.labelValues, featureNames());
    if (!matrix)
        die(matrix.error().message());
    const auto start = std::chrono::steady_clock::now();
    auto booster = Booster::train(*matrix, scoringParameters());
    if (!booster)
        die(booster.error().message());
    std::fprintf(stderr, "bench_model_scoring: trained the %d-tree scoring model in %.1f s, cached in %s\n",
        kScoringTrees, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(),
        cache.string().c_str());
    auto saved = booster->save(ModelFormat::Json);
    if (!saved)
        die(saved.error().message());
    std::ofstream(cache, std::ios::binary) << *saved;
    return *saved;
}

// Never destroyed: XGBoost's per-thread learner registry is gone by the time static objects are
// destroyed, and freeing a booster then corrupts the heap.
const ScoringModel &scoringModel()
{
    static const ScoringModel *const model = [] {
        const std::string json = scoringModelJson();
        std::ofstream(workDirectory() / "model.json", std::ios::binary) << json;

        const auto names = featureNames();
        std::vector<FeatureDefinition> definitions;
        for (std::size_t i = 0; i < names.size(); ++i)
            definitions.push_back({ names[i],
                i < 70        ? Modality::Imaging
                    : i < 140 ? Modality::Genomics
                              : Modality::Records,
                "", "" });
        auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
        if (!schema)
            die(schema.error().message());
        ModelBundle bundle;
        bundle.name = "benchmark model";
        bundle.outcome = "the generated outcome";
        bundle.schema = *schema;
        bundle.parameters = scoringParameters();
        bundle.xgboostModel = json;
        auto risk = RiskModel::fromBundle(std::move(bundle));
        if (!risk)
            die(risk.error().message());
        auto loaded = Booster::load(json);
        if (!loaded)
            die(loaded.error().message());
        auto *result = new ScoringModel { json, std::move(*loaded), std::move(*risk),
            std::make_shared<const FeatureSchema>(std::move(*schema)) };
        countTrees(result->json, *result);
        return result;
    }();
    return *model;
}

RowMatrixXf patientRow(Eigen::Index patient)
{
    return cohort().features.row(patient);
}

void setModelCounters(benchmark::State &state)
{
    state.counters["trees"] = kScoringTrees;
    state.counters["leaves"] = static_cast<double>(scoringModel().leaves);
    state.counters["depth"] = scoringModel().deepest;
}

// ------------------------------------------------------------------------------------------ Mosaic

void mosaicOnePatientProbability(benchmark::State &state)
{
    const Booster &booster = scoringModel().booster;
    Eigen::Index patient = 0;
    for (auto _ : state) {
        auto data = DMatrix::fromDense(patientRow(patient));
        auto probability = data ? booster.predictProbabilities(*data) : std::unexpected(data.error());
        if (!probability) {
            state.SkipWithError(probability.error().message().c_str());
            return;
        }
        benchmark::DoNotOptimize(*probability);
        patient = (patient + 1) % kPatients;
    }
    setModelCounters(state);
}

void mosaicOnePatientShap(benchmark::State &state)
{
    const Booster &booster = scoringModel().booster;
    Eigen::Index patient = 0;
    for (auto _ : state) {
        auto data = DMatrix::fromDense(patientRow(patient));
        auto shap = data ? booster.contributions(*data) : std::unexpected(data.error());
        if (!shap) {
            state.SkipWithError(shap.error().message().c_str());
            return;
        }
        benchmark::DoNotOptimize(shap->values.data());
        patient = (patient + 1) % kPatients;
    }
}

// The app's path: a FeatureVector with provenance in, probability, log-odds, SHAP per feature and
// per modality out (RiskModel::predict, which builds the DMatrix and predicts three times).
void mosaicOnePatientRiskModel(benchmark::State &state)
{
    const ScoringModel &model = scoringModel();
    std::vector<FeatureVector> patients;
    for (Eigen::Index patient = 0; patient < kPatients; ++patient) {
        FeatureVector vector(model.schema);
        for (Eigen::Index column = 0; column < kColumns; ++column)
            vector.set(static_cast<std::size_t>(column), cohort().features(patient, column),
                { "generated", "column " + std::to_string(column) });
        patients.push_back(std::move(vector));
    }
    std::size_t patient = 0;
    for (auto _ : state) {
        auto prediction = model.risk.predict(patients[patient]);
        if (!prediction) {
            state.SkipWithError(prediction.error().message().c_str());
            return;
        }
        benchmark::DoNotOptimize(prediction->probability);
        patient = (patient + 1) % patients.size();
    }
}

void mosaicBatchProbabilities(benchmark::State &state)
{
    const Booster &booster = scoringModel().booster;
    const RowMatrixXf rows = cohort().features.topRows(state.range(0));
    for (auto _ : state) {
        auto data = DMatrix::fromDense(rows);
        auto probabilities = data ? booster.predictProbabilities(*data) : std::unexpected(data.error());
        if (!probabilities) {
            state.SkipWithError(probabilities.error().message().c_str());
            return;
        }
        benchmark::DoNotOptimize(probabilities->data());
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
}

// ------------------------------------------------------------------------------------------ Python

// Runs the peer and reads its "<key> <value>" lines; nullopt when it fails.
std::optional<std::map<std::string, double>> runPeer(const std::string &arguments)
{
    const std::string command
        = "/usr/bin/python3 " MOSAIC_SOURCE_DIR "/tests/benchmarks/xgboost_python_peer.py " + arguments;
    std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
    if (!pipe)
        return std::nullopt;
    std::map<std::string, double> values;
    std::array<char, 512> line {};
    while (std::fgets(line.data(), line.size(), pipe.get()) != nullptr) {
        std::istringstream fields(line.data());
        std::string key;
        double value = 0.0;
        if (fields >> key >> value)
            values[key] = value;
    }
    if (pclose(pipe.release()) != 0)
        return std::nullopt;
    return values;
}

const std::optional<std::map<std::string, double>> &pythonScoring()
{
    static const auto results = [] {
        const ScoringModel &model = scoringModel();
        (void)model;
        return runPeer("score '" + (workDirectory() / "model.json").string() + "' '"
            + (workDirectory() / "data.bin").string() + "' " + std::to_string(kRows) + " "
            + std::to_string(kColumns));
    }();
    return results;
}

// One figure of the peer's scoring run as this benchmark's time; also checks that Python's
// probability for patient 0 is Mosaic's.
void reportPython(benchmark::State &state, const std::string &key, std::int64_t rows)
{
    const auto &results = pythonScoring();
    if (!results || !results->contains(key) || !results->contains("probability0")) {
        state.SkipWithError("python3 xgboost_python_peer.py score failed");
        return;
    }
    auto data = DMatrix::fromDense(patientRow(0));
    auto mosaic = data ? scoringModel().booster.predictProbabilities(*data) : std::unexpected(data.error());
    if (!mosaic || std::abs((*mosaic)(0, 0) - results->at("probability0")) > 1e-6) {
        state.SkipWithError("Python's probability for patient 0 differs from Mosaic's");
        return;
    }
    for (auto _ : state)
        state.SetIterationTime(results->at(key));
    if (rows > 1)
        state.SetItemsProcessed(state.iterations() * rows);
}

void pythonOnePatientDMatrixPredict(benchmark::State &state)
{
    reportPython(state, "one_patient_dmatrix_predict_s", 1);
}
void pythonOnePatientInplacePredict(benchmark::State &state)
{
    reportPython(state, "one_patient_inplace_predict_s", 1);
}
void pythonOnePatientShap(benchmark::State &state)
{
    reportPython(state, "one_patient_shap_s", 1);
}
void pythonBatchPredict(benchmark::State &state)
{
    reportPython(state, "batch_" + std::to_string(state.range(0)) + "_s", state.range(0));
}

// ---------------------------------------------------------------------------------------- Training

TrainingParameters foldParameters(int threads)
{
    TrainingParameters parameters;
    parameters.rounds = kFoldRounds;
    parameters.maxDepth = 6;
    parameters.learningRate = 0.1;
    parameters.threads = threads;
    return parameters;
}

struct FiveFoldRun
{
    double seconds = 0.0;
    double cpuSeconds = 0.0; // the process's, all threads
    double auroc = 0.0;
};

double processCpuSeconds()
{
    timespec now {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}
std::map<int, FiveFoldRun> gMosaicFiveFold;
std::map<int, FiveFoldRun> gPythonFiveFold;

void mosaicFiveFold(benchmark::State &state)
{
    const int threads = static_cast<int>(state.range(0));
    CrossValidationSettings settings;
    settings.folds = 5;
    settings.repeats = 1;
    settings.seed = kSeed;
    settings.training = foldParameters(threads);
    const Cohort &data = cohort();
    for (auto _ : state) {
        const double startCpu = processCpuSeconds();
        const auto start = std::chrono::steady_clock::now();
        auto result = crossValidateBinary(data.features, data.labels, settings);
        const double seconds
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        const double cpuSeconds = processCpuSeconds() - startCpu;
        if (!result) {
            state.SkipWithError(result.error().message().c_str());
            return;
        }
        state.SetIterationTime(seconds);
        gMosaicFiveFold[threads] = { seconds, cpuSeconds, result->repeatAuroc.front() };
    }
    state.counters["auroc"] = gMosaicFiveFold[threads].auroc;
    state.counters["cpu_s"] = gMosaicFiveFold[threads].cpuSeconds;
}

// The parameters Booster::train sets (core/model/booster.cpp), for xgboost.train.
std::filesystem::path writePythonParameters(int threads)
{
    const TrainingParameters p = foldParameters(threads);
    const nlohmann::json parameters = { { "objective", "binary:logistic" }, { "tree_method", "hist" },
        { "eta", p.learningRate }, { "max_depth", p.maxDepth }, { "min_child_weight", p.minChildWeight },
        { "subsample", p.subsample }, { "colsample_bytree", p.columnSample }, { "lambda", p.lambda },
        { "seed", p.seed % 2147483647u }, { "nthread", threads }, { "validate_parameters", 1 },
        { "eval_metric", "logloss" } };
    const auto path = workDirectory() / ("parameters-" + std::to_string(threads) + ".json");
    std::ofstream(path) << parameters.dump();
    return path;
}

void pythonFiveFold(benchmark::State &state)
{
    const int threads = static_cast<int>(state.range(0));
    (void)cohort(); // writes data.bin
    const auto parameters = writePythonParameters(threads);
    for (auto _ : state) {
        const auto results
            = runPeer("train '" + (workDirectory() / "data.bin").string() + "' " + std::to_string(kRows) + " "
                + std::to_string(kColumns) + " '" + parameters.string() + "' " + std::to_string(kFoldRounds));
        if (!results || !results->contains("five_fold_s") || !results->contains("five_fold_cpu_s")
            || !results->contains("auroc")) {
            state.SkipWithError("python3 xgboost_python_peer.py train failed");
            return;
        }
        state.SetIterationTime(results->at("five_fold_s"));
        gPythonFiveFold[threads]
            = { results->at("five_fold_s"), results->at("five_fold_cpu_s"), results->at("auroc") };
    }
    state.counters["auroc"] = gPythonFiveFold[threads].auroc;
    state.counters["cpu_s"] = gPythonFiveFold[threads].cpuSeconds;
}

// Registered after both: Mosaic's time over Python's, and whether both reached the same AUROC.
void fiveFoldMosaicOverPython(benchmark::State &state)
{
    const int threads = static_cast<int>(state.range(0));
    for (auto _ : state)
        benchmark::DoNotOptimize(threads);
    if (!gMosaicFiveFold.contains(threads) || !gPythonFiveFold.contains(threads)) {
        state.SkipWithError("run mosaicFiveFold and pythonFiveFold with this thread count first");
        return;
    }
    const FiveFoldRun &mosaic = gMosaicFiveFold[threads];
    const FiveFoldRun &python = gPythonFiveFold[threads];
    if (std::abs(mosaic.auroc - python.auroc) > 1e-6)
        state.SkipWithError("Mosaic and Python reached different out-of-fold AUROCs");
    state.counters["mosaic_over_python"] = mosaic.seconds / python.seconds;
    state.counters["cpu_mosaic_over_python"] = mosaic.cpuSeconds / python.cpuSeconds;
    state.counters["mosaic_s"] = mosaic.seconds;
    state.counters["python_s"] = python.seconds;
}

} // namespace

BENCHMARK(mosaicOnePatientProbability)->Unit(benchmark::kMicrosecond);
BENCHMARK(pythonOnePatientDMatrixPredict)->Unit(benchmark::kMicrosecond)->UseManualTime()->Iterations(1);
BENCHMARK(pythonOnePatientInplacePredict)->Unit(benchmark::kMicrosecond)->UseManualTime()->Iterations(1);
BENCHMARK(mosaicOnePatientShap)->Unit(benchmark::kMicrosecond);
BENCHMARK(pythonOnePatientShap)->Unit(benchmark::kMicrosecond)->UseManualTime()->Iterations(1);
BENCHMARK(mosaicOnePatientRiskModel)->Unit(benchmark::kMicrosecond);
// Real time, so items_per_second is rows per wall-clock second as the peer's is.
BENCHMARK(mosaicBatchProbabilities)->Arg(1000)->Arg(10000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(pythonBatchPredict)
    ->Arg(1000)
    ->Arg(10000)
    ->Unit(benchmark::kMillisecond)
    ->UseManualTime()
    ->Iterations(1);
BENCHMARK(mosaicFiveFold)->Arg(1)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);
BENCHMARK(pythonFiveFold)->Arg(1)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);
BENCHMARK(mosaicFiveFold)->Arg(2)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);
BENCHMARK(pythonFiveFold)->Arg(2)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);
BENCHMARK(fiveFoldMosaicOverPython)->Arg(1)->Arg(2)->Iterations(1);
