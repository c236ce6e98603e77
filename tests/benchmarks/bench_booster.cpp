// SPDX-License-Identifier: Apache-2.0
// The XGBoost engine on the real heart-failure cohort: training, prediction with SHAP, and the whole
// 10 x 5-fold cross-validation behind the demo model. The thread count is an argument so the cost
// of OpenMP's wait policy can be measured (run once with OMP_WAIT_POLICY=ACTIVE, once PASSIVE).
#include "core/features/cohort_table.h"
#include "core/model/booster.h"
#include "core/model/cross_validation.h"

#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>

namespace {

using namespace mosaic;

struct Cohort
{
    RowMatrixXf features;
    std::vector<float> labels;
};

const Cohort &cohort()
{
    static const Cohort loaded = [] {
        CohortTableOptions options;
        options.labelColumn = "Event";
        options.ignoredColumns = { "TIME" };
        auto table = readCohortTable(MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv", options);
        if (!table) {
            std::fprintf(stderr, "%s\n", table.error().message().c_str());
            std::exit(1);
        }
        Cohort result;
        result.features = table->features;
        result.labels.assign(table->labels->data(), table->labels->data() + table->labels->size());
        return result;
    }();
    return loaded;
}

void trainHeartFailure(benchmark::State &state)
{
    auto data = DMatrix::fromDense(cohort().features, cohort().labels);
    TrainingParameters parameters;
    parameters.threads = static_cast<int>(state.range(0));
    for (auto _ : state) {
        auto booster = Booster::train(*data, parameters);
        benchmark::DoNotOptimize(booster);
    }
    state.SetItemsProcessed(state.iterations() * parameters.rounds);
}
BENCHMARK(trainHeartFailure)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void predictWithShap(benchmark::State &state)
{
    auto data = DMatrix::fromDense(cohort().features, cohort().labels);
    auto booster = Booster::train(*data, TrainingParameters {});
    for (auto _ : state) {
        auto probabilities = booster->predictProbabilities(*data);
        auto contributions = booster->contributions(*data);
        benchmark::DoNotOptimize(probabilities);
        benchmark::DoNotOptimize(contributions);
    }
    state.SetItemsProcessed(state.iterations() * data->rows());
}
BENCHMARK(predictWithShap)->Unit(benchmark::kMillisecond);

void crossValidateHeartFailure(benchmark::State &state)
{
    std::vector<int> labels(cohort().labels.begin(), cohort().labels.end());
    CrossValidationSettings settings;
    settings.training.threads = static_cast<int>(state.range(0));
    for (auto _ : state) {
        auto result = crossValidateBinary(cohort().features, labels, settings);
        benchmark::DoNotOptimize(result);
    }
}
BENCHMARK(crossValidateHeartFailure)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

} // namespace

BENCHMARK_MAIN();
