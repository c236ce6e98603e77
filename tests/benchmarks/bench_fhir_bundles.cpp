// SPDX-License-Identifier: Apache-2.0
// Reading the 60 Synthea FHIR bundles (55 MB) into Mosaic's record model, against Python's json.load
// with the same traversal (fhir_python_peer.py, which times itself so interpreter start-up is not
// counted), in the same run. docs/performance.md, "FHIR records", records the figures and command.
#include "core/records/fhir_reader.h"

#include <algorithm>
#include <array>
#include <benchmark/benchmark.h>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

double gMosaicSeconds = 0.0;
double gPythonSeconds = 0.0;
std::size_t gMosaicObservations = 0;
std::size_t gPythonObservations = 0;

std::vector<std::filesystem::path> bundles()
{
    std::vector<std::filesystem::path> paths;
    for (const auto &entry : std::filesystem::directory_iterator(MOSAIC_SHARED_DATA_DIR "/records/synthea"))
        if (entry.path().extension() == ".json")
            paths.push_back(entry.path());
    std::ranges::sort(paths);
    return paths;
}

void BM_PythonJsonLoad(benchmark::State &state)
{
    std::string command = "/usr/bin/python3 " MOSAIC_SOURCE_DIR "/tests/benchmarks/fhir_python_peer.py";
    for (const auto &path : bundles())
        command += " '" + path.string() + "'";
    for (auto _ : state) {
        std::unique_ptr<FILE, decltype(&pclose)> pipe(popen(command.c_str(), "r"), &pclose);
        std::array<char, 256> line {};
        if (!pipe || std::fgets(line.data(), line.size(), pipe.get()) == nullptr) {
            state.SkipWithError("python3 fhir_python_peer.py failed");
            return;
        }
        std::istringstream fields(line.data());
        double seconds = 0.0;
        fields >> seconds >> gPythonObservations;
        gPythonSeconds = seconds;
        state.SetIterationTime(seconds);
    }
    state.counters["observations"] = static_cast<double>(gPythonObservations);
}

void BM_MosaicFhirReader(benchmark::State &state)
{
    const auto paths = bundles();
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        std::size_t observations = 0;
        for (const auto &path : paths) {
            const auto collection = mosaic::records::readFhirFile(path);
            if (!collection) {
                state.SkipWithError(collection.error().message().c_str());
                return;
            }
            for (const auto &patient : collection->patients)
                observations += patient.observations.size();
        }
        const double seconds
            = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        gMosaicSeconds = gMosaicSeconds == 0.0 ? seconds : std::min(gMosaicSeconds, seconds);
        gMosaicObservations = observations;
        state.SetIterationTime(seconds);
    }
    state.counters["observations"] = static_cast<double>(gMosaicObservations);
    state.counters["MB_per_s"] = 55.0 / gMosaicSeconds;
}

// Registered last: Python's best of 3 over Mosaic's best, and whether both saw the same observations.
void BM_SpeedupOverPython(benchmark::State &state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(gMosaicSeconds);
    if (gMosaicObservations != gPythonObservations)
        state.SkipWithError("Mosaic and Python counted different numbers of observations");
    if (gMosaicSeconds > 0)
        state.counters["python_over_mosaic"] = gPythonSeconds / gMosaicSeconds;
    state.counters["mosaic_s"] = gMosaicSeconds;
    state.counters["python_s"] = gPythonSeconds;
}

} // namespace

BENCHMARK(BM_PythonJsonLoad)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);
BENCHMARK(BM_MosaicFhirReader)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1)->Repetitions(3);
BENCHMARK(BM_SpeedupOverPython)->Iterations(1);
