// SPDX-License-Identifier: Apache-2.0
// The radiomics pipeline (computeRadiomics: preparation and every IBSI 1 family) on the real tumours
// of the 51 soft-tissue-sarcoma patients (../shared/data/imaging/sts): one benchmark per patient and
// modality, so docs/performance.md can give per-patient times beside each ROI's size. Loading the
// series and rasterizing the contour are not timed (bench_dicom_series measures loading).
//
// Two settings per ROI:
// - "case_study": resources/radiomics/sts_pet.json or sts_mr.json, what the validation study
//   extracts (resampled to 3 mm or 2 mm, 3D texture aggregation only);
// - "native_full": the image grid as acquired, 32 fixed bins, every aggregation (2D, 2.5D, 3D): the
//   full IBSI 1 feature set on the largest ROIs the data has.
// The MR series ship in an archive; point MOSAIC_STS_MR_DIR at its unpacked folder (the one holding
// STS_001/MR_T1) to include them, otherwise only PET is run.
#include "core/imaging/roi_image_loader.h"
#include "core/process_environment.h"
#include "core/radiomics/radiomics_pipeline.h"
#include "core/radiomics/radiomics_settings.h"

#include <benchmark/benchmark.h>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>

namespace {

namespace fs = std::filesystem;
using namespace mosaic;

const fs::path kStsDir = fs::path(MOSAIC_SHARED_DATA_DIR) / "imaging" / "sts";
const fs::path kSettingsDir = fs::path(MOSAIC_SOURCE_DIR) / "resources" / "radiomics";

RadiomicsSettings readSettings(const fs::path &file)
{
    std::ifstream in(file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto settings = RadiomicsSettings::fromJson(text, file.filename().string());
    if (!settings) {
        std::fprintf(stderr, "bench_sts_radiomics: %s\n", settings.error().message().c_str());
        std::exit(1);
    }
    return *settings;
}

RadiomicsSettings nativeFullSettings()
{
    RadiomicsSettings settings; // no resampling, every aggregation
    settings.discretisation = { DiscretisationMethod::FixedBinNumber, 32, 1.0, std::nullopt };
    settings.ivhDiscretisation = { DiscretisationMethod::FixedBinNumber, 1000, 1.0, std::nullopt };
    return settings;
}

struct StsRoi
{
    fs::path image;
    fs::path mask;
    std::string roiName;
};

// Loaded once per ROI, on first use, and kept: the benchmark library calls a benchmark more than once.
const RoiImage &loaded(const StsRoi &roi)
{
    static std::map<fs::path, std::unique_ptr<RoiImage>> cache;
    auto &slot = cache[roi.image];
    if (!slot) {
        auto result = loadRoiImage(roi.image, roi.mask, roi.roiName);
        if (!result) {
            std::fprintf(stderr, "bench_sts_radiomics: %s\n", result.error().message().c_str());
            std::exit(1);
        }
        slot = std::make_unique<RoiImage>(std::move(*result));
    }
    return *slot;
}

void computeOnPatient(benchmark::State &state, const StsRoi &roi, const RadiomicsSettings &settings)
{
    const RoiImage &input = loaded(roi);
    std::size_t featureCount = 0;
    for (auto _ : state) {
        auto features = computeRadiomics(input.image, input.mask, settings);
        if (!features) {
            state.SkipWithError(features.error().message().c_str());
            return;
        }
        featureCount = features->size();
        benchmark::DoNotOptimize(features);
    }
    state.counters["roi_voxels"] = static_cast<double>(input.mask.count());
    state.counters["features"] = static_cast<double>(featureCount);
}

void registerModality(const std::string &modality, const fs::path &root, const std::string &seriesFolder,
    const std::string &roiName, const RadiomicsSettings &caseStudy, const RadiomicsSettings &nativeFull)
{
    for (int patient = 1; patient <= 51; ++patient) {
        char id[8];
        std::snprintf(id, sizeof id, "STS_%03d", patient);
        const StsRoi roi { root / id / seriesFolder / "image", root / id / seriesFolder / "mask" / "RS.dcm",
            roiName };
        if (!fs::exists(roi.mask))
            continue;
        for (const auto &[name, settings] :
            { std::pair { "case_study", &caseStudy }, { "native_full", &nativeFull } })
            benchmark::RegisterBenchmark((modality + "/" + name + "/" + id).c_str(),
                [roi, settings](benchmark::State &state) { computeOnPatient(state, roi, *settings); })
                ->Unit(benchmark::kMillisecond);
    }
}

} // namespace

// As mosaic and mosaic-cli do, the malloc tunables and OpenMP wait policy are set by re-executing
// first (core/process_environment.h).
int main(int argc, char **argv)
{
    ensureStartupEnvironment(argv);
    if (!fs::is_directory(kStsDir)) {
        std::fprintf(stderr, "bench_sts_radiomics: %s is absent; nothing to measure\n", kStsDir.c_str());
        return 0;
    }
    static const RadiomicsSettings nativeFull = nativeFullSettings();
    static const RadiomicsSettings pet = readSettings(kSettingsDir / "sts_pet.json");
    static const RadiomicsSettings mr = readSettings(kSettingsDir / "sts_mr.json");
    registerModality("PET", kStsDir, "PET", "GTV_Mass_PET", pet, nativeFull);
    if (const char *mrDir = std::getenv("MOSAIC_STS_MR_DIR"); mrDir != nullptr && *mrDir != '\0')
        registerModality("MR", mrDir, "MR_T1", "GTV_Mass_MR_T1", mr, nativeFull);
    else
        std::fprintf(stderr, "bench_sts_radiomics: MOSAIC_STS_MR_DIR is unset; MR not measured\n");

    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
