// SPDX-License-Identifier: Apache-2.0
// The whole radiomics pipeline (computeRadiomics: preprocessing, every IBSI 1 family, texture
// included) on synthetic ellipsoid ROIs of ~270,000 and ~2.2 million voxels of 1 mm, random
// intensities from a fixed seed, 32 fixed bins. Targets (Release): < 100 ms and < 0.6 s. The
// per-family benchmarks show where the time goes.
#include "core/radiomics/intensity_histogram_features.h"
#include "core/radiomics/intensity_volume_histogram_features.h"
#include "core/radiomics/local_intensity_features.h"
#include "core/radiomics/morphology_features.h"
#include "core/radiomics/preprocessing.h"
#include "core/radiomics/radiomics_pipeline.h"
#include "core/radiomics/statistics_features.h"
#include "core/radiomics/texture_features.h"

#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <random>

namespace {

using namespace mosaic;

struct Case
{
    Volume image;
    Mask mask;
};

// An ellipsoid with semi-axes (a, b, c) voxels in a box with 10 voxels of background around it.
Case ellipsoid(double a, double b, double c)
{
    Case result;
    auto &geometry = result.image.geometry;
    geometry.size = { static_cast<std::size_t>(2 * a) + 21, static_cast<std::size_t>(2 * b) + 21,
        static_cast<std::size_t>(2 * c) + 21 };
    result.image.voxels.resize(geometry.voxelCount());
    result.mask.geometry = geometry;
    result.mask.voxels.assign(geometry.voxelCount(), 0);
    std::mt19937 random(12345);
    std::uniform_int_distribution<int> intensity(-100, 200);
    const double ci = (static_cast<double>(geometry.size[0]) - 1.0) / 2.0;
    const double cj = (static_cast<double>(geometry.size[1]) - 1.0) / 2.0;
    const double ck = (static_cast<double>(geometry.size[2]) - 1.0) / 2.0;
    for (std::size_t k = 0, n = 0; k < geometry.size[2]; ++k)
        for (std::size_t j = 0; j < geometry.size[1]; ++j)
            for (std::size_t i = 0; i < geometry.size[0]; ++i, ++n) {
                result.image.voxels[n] = static_cast<float>(intensity(random));
                const double x = (static_cast<double>(i) - ci) / a;
                const double y = (static_cast<double>(j) - cj) / b;
                const double z = (static_cast<double>(k) - ck) / c;
                result.mask.voxels[n] = x * x + y * y + z * z <= 1.0 ? 1 : 0;
            }
    return result;
}

const Case &smallCase()
{
    static const Case value = ellipsoid(50, 40, 32); // 4/3 pi 50 40 32 = 268,000 voxels
    return value;
}

const Case &largeCase()
{
    static const Case value = ellipsoid(100, 80, 66); // 2.21 million voxels
    return value;
}

const Case &caseOf(const benchmark::State &state)
{
    return state.range(0) == 0 ? smallCase() : largeCase();
}

RadiomicsSettings settings()
{
    RadiomicsSettings value;
    value.discretisation = { DiscretisationMethod::FixedBinNumber, 32, 1.0, std::nullopt };
    return value;
}

const PreparedRoi &preparedOf(const benchmark::State &state)
{
    static std::map<std::int64_t, PreparedRoi> prepared;
    auto it = prepared.find(state.range(0));
    if (it == prepared.end()) {
        auto roi = prepareRoi(caseOf(state).image, caseOf(state).mask, settings());
        if (!roi) {
            std::fprintf(stderr, "%s\n", roi.error().message().c_str());
            std::exit(1);
        }
        it = prepared.emplace(state.range(0), std::move(*roi)).first;
    }
    return it->second;
}

void BM_ComputeRadiomics(benchmark::State &state)
{
    const Case &input = caseOf(state);
    state.counters["voxels"] = static_cast<double>(input.mask.count());
    for (auto _ : state) {
        auto features = computeRadiomics(input.image, input.mask, settings());
        if (!features)
            state.SkipWithError(features.error().message().c_str());
        benchmark::DoNotOptimize(features);
    }
}

void BM_PrepareRoi(benchmark::State &state)
{
    const Case &input = caseOf(state);
    for (auto _ : state) {
        auto roi = prepareRoi(input.image, input.mask, settings());
        benchmark::DoNotOptimize(roi);
    }
}

template <void (*family)(const PreparedRoi &, RadiomicsFeatures &)> void BM_Family(benchmark::State &state)
{
    const PreparedRoi &roi = preparedOf(state);
    for (auto _ : state) {
        RadiomicsFeatures features;
        family(roi, features);
        benchmark::DoNotOptimize(features);
    }
}

void ivhFamily(const PreparedRoi &roi, RadiomicsFeatures &features)
{
    addIntensityVolumeHistogramFeatures(roi, features);
}

} // namespace

// Argument 0: the ~270,000-voxel ellipsoid; 1: the ~2.2-million-voxel one.
// The families run on two threads: CPU time is the whole process's, both threads.
BENCHMARK(BM_ComputeRadiomics)
    ->Arg(0)
    ->Arg(1)
    ->MeasureProcessCPUTime()
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PrepareRoi)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Family<addMorphologyFeatures>)
    ->Name("BM_Morphology")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Family<addLocalIntensityFeatures>)
    ->Name("BM_LocalIntensity")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Family<addStatisticsFeatures>)
    ->Name("BM_Statistics")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Family<addIntensityHistogramFeatures>)
    ->Name("BM_IntensityHistogram")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Family<ivhFamily>)
    ->Name("BM_IntensityVolumeHistogram")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Family<addTextureFeatures>)->Name("BM_Texture")->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);
