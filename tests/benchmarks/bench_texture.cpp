// SPDX-License-Identifier: Apache-2.0
// The six texture matrix families (IBSI 1, 3.6 to 3.11) on a large synthetic ROI: a 130 x 130 x 130
// cube (2.2 M voxels) of uniformly random grey levels 1..32 with a fixed seed, each family alone and
// all six together, on one core.
#include "core/radiomics/prepared_roi.h"
#include "core/radiomics/texture_features.h"

#include <benchmark/benchmark.h>
#include <random>

namespace {

using namespace mosaic;

constexpr std::size_t kEdgeVoxels = 130;
constexpr int kGreyLevels = 32;

const PreparedRoi &syntheticRoi()
{
    static const PreparedRoi roi = [] {
        PreparedRoi result;
        result.size = { kEdgeVoxels + 2, kEdgeVoxels + 2, kEdgeVoxels + 2 }; // one background voxel each side
        result.greyLevelCount = kGreyLevels;
        result.greyLevel.assign(result.voxelCount(), 0);
        result.intensityMask.assign(result.voxelCount(), 0);
        result.morphologicalMask.assign(result.voxelCount(), 0);
        result.intensity.assign(result.voxelCount(), 0.0f);
        std::mt19937 generator(20240601);
        std::uniform_int_distribution<int> level(1, kGreyLevels);
        for (std::size_t k = 1; k <= kEdgeVoxels; ++k)
            for (std::size_t j = 1; j <= kEdgeVoxels; ++j)
                for (std::size_t i = 1; i <= kEdgeVoxels; ++i) {
                    const std::size_t voxel = result.index(i, j, k);
                    result.greyLevel[voxel] = level(generator);
                    result.intensity[voxel] = static_cast<float>(result.greyLevel[voxel]);
                    result.intensityMask[voxel] = 1;
                    result.morphologicalMask[voxel] = 1;
                }
        return result;
    }();
    return roi;
}

// Every aggregation (2D, 2.5D, 3D), as IBSI's reference tables list them.
template <void (*AddFamily)(const PreparedRoi &, const AggregationSettings &, RadiomicsFeatures &)>
void familyBenchmark(benchmark::State &state)
{
    const PreparedRoi &roi = syntheticRoi();
    const AggregationSettings everyAggregation;
    for (auto _ : state) {
        RadiomicsFeatures features;
        AddFamily(roi, everyAggregation, features);
        benchmark::DoNotOptimize(features.data());
    }
    state.counters["voxels"] = static_cast<double>(kEdgeVoxels * kEdgeVoxels * kEdgeVoxels);
}

BENCHMARK(familyBenchmark<addGlcmFeatures>)->Name("glcm")->Unit(benchmark::kMillisecond);
BENCHMARK(familyBenchmark<addGlrlmFeatures>)->Name("glrlm")->Unit(benchmark::kMillisecond);
BENCHMARK(familyBenchmark<addGlszmFeatures>)->Name("glszm")->Unit(benchmark::kMillisecond);
BENCHMARK(familyBenchmark<addGldzmFeatures>)->Name("gldzm")->Unit(benchmark::kMillisecond);
BENCHMARK(familyBenchmark<addGlszmAndGldzmFeatures>)->Name("glszm_and_gldzm")->Unit(benchmark::kMillisecond);
BENCHMARK(familyBenchmark<addNgtdmFeatures>)->Name("ngtdm")->Unit(benchmark::kMillisecond);
BENCHMARK(familyBenchmark<addNgldmFeatures>)->Name("ngldm")->Unit(benchmark::kMillisecond);
BENCHMARK(familyBenchmark<addTextureFeatures>)->Name("all_six_families")->Unit(benchmark::kMillisecond);

} // namespace
