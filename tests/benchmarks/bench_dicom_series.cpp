// SPDX-License-Identifier: Apache-2.0
// Loading a 300-slice 512 x 512 CT series with a warm page cache, against two references measured in
// the same run: the raw read of the same bytes (the floor) and pydicom (dcmread + pixel_array +
// sort by position, what a Python pipeline would do). The series is generated at start-up from the
// real CT slice dicom-seg/01.dcm: each copy gets a new SOP Instance UID and Image Position (Patient)
// z. This benchmark links DCMTK only to write that input; Mosaic's code under test is core/imaging.
#include "core/imaging/dicom_series_reader.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcuid.h>

#include <benchmark/benchmark.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
constexpr int kSlices = 300;

const fs::path &seriesFolder()
{
    static const fs::path folder = [] {
        const fs::path target = fs::temp_directory_path() / "mosaic_bench_dicom_series";
        fs::remove_all(target);
        fs::create_directories(target);
        DcmFileFormat source;
        if (source.loadFile((fs::path(MOSAIC_SHARED_DATA_DIR) / "imaging/dicom-seg/01.dcm").c_str()).bad()) {
            std::fprintf(stderr, "cannot read dicom-seg/01.dcm\n");
            std::exit(1);
        }
        for (int slice = 0; slice < kSlices; ++slice) {
            DcmFileFormat copy(source);
            DcmDataset *data = copy.getDataset();
            char uid[100];
            dcmGenerateUniqueIdentifier(uid, SITE_INSTANCE_UID_ROOT);
            data->putAndInsertString(DCM_SOPInstanceUID, uid);
            const std::string position = "-200\\-200\\" + std::to_string(-300.0 + 1.25 * slice);
            data->putAndInsertString(DCM_ImagePositionPatient, position.c_str());
            data->putAndInsertString(DCM_ImageOrientationPatient, "1\\0\\0\\0\\1\\0");
            char name[32];
            // Names in reverse order of position, so sorting by name would be wrong.
            std::snprintf(name, sizeof name, "IM%04d.dcm", kSlices - slice);
            if (copy.saveFile((target / name).c_str(), EXS_LittleEndianExplicit).bad()) {
                std::fprintf(stderr, "cannot write %s\n", name);
                std::exit(1);
            }
        }
        return target;
    }();
    return folder;
}

void BM_MosaicReadSeries(benchmark::State &state)
{
    const fs::path &folder = seriesFolder();
    (void)mosaic::readDicomSeries(folder); // warm the page cache
    for (auto _ : state) {
        auto series = mosaic::readDicomSeries(folder);
        if (!series) {
            state.SkipWithError(series.error().message().c_str());
            return;
        }
        benchmark::DoNotOptimize(series->volume.voxels.data());
    }
}

void BM_RawReadOfTheSameBytes(benchmark::State &state)
{
    const fs::path &folder = seriesFolder();
    std::vector<fs::path> files;
    for (const auto &entry : fs::directory_iterator(folder))
        files.push_back(entry.path());
    std::int64_t bytes = 0;
    for (auto _ : state) {
        bytes = 0;
        for (const auto &file : files) {
            std::ifstream in(file, std::ios::binary);
            std::string content(fs::file_size(file), '\0');
            in.read(content.data(), static_cast<std::streamsize>(content.size()));
            bytes += static_cast<std::int64_t>(content.size());
            benchmark::DoNotOptimize(content.data());
        }
    }
    state.counters["MB"] = static_cast<double>(bytes) / 1e6;
}

// pydicom reads, decodes and sorts the same files; its own timer excludes interpreter start-up. The
// iteration time is the wall time of its best of 3; the counter cpu_ms is that run's process CPU time
// (pydicom is single-threaded), to compare with the CPU column of the other rows on a busy machine.
void BM_Pydicom(benchmark::State &state)
{
    const fs::path &folder = seriesFolder();
    const std::string command = "/usr/bin/python3 -c \"\n"
                                "import glob, time, numpy as np, pydicom\n"
                                "files = sorted(glob.glob('"
        + folder.string()
        + "/*'))\n"
          "best = (1e9, 0.0)\n"
          "for repeat in range(3):\n"
          "    start, cpu = time.perf_counter(), time.process_time()\n"
          "    ds = [pydicom.dcmread(f) for f in files]\n"
          "    ds.sort(key=lambda d: float(d.ImagePositionPatient[2]))\n"
          "    volume = np.stack([d.pixel_array.astype(np.float32) * float(d.RescaleSlope) + "
          "float(d.RescaleIntercept) for d in ds])\n"
          "    best = min(best, (time.perf_counter() - start, time.process_time() - cpu))\n"
          "print(best[0], best[1])\n\"";
    double cpuSeconds = 0.0;
    for (auto _ : state) {
        FILE *pipe = popen(command.c_str(), "r");
        double seconds = -1.0;
        if (!pipe || std::fscanf(pipe, "%lf %lf", &seconds, &cpuSeconds) != 2 || pclose(pipe) != 0
            || seconds < 0.0) {
            state.SkipWithError("pydicom is not available to /usr/bin/python3");
            return;
        }
        state.SetIterationTime(seconds);
    }
    state.counters["cpu_ms"] = cpuSeconds * 1e3;
}

} // namespace

// The reader runs helper threads: its CPU column is the whole process's CPU time, not this thread's.
BENCHMARK(BM_MosaicReadSeries)->Unit(benchmark::kMillisecond)->MinTime(2.0)->MeasureProcessCPUTime();
BENCHMARK(BM_RawReadOfTheSameBytes)->Unit(benchmark::kMillisecond)->MinTime(2.0)->MeasureProcessCPUTime();
BENCHMARK(BM_Pydicom)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(1);

BENCHMARK_MAIN();
