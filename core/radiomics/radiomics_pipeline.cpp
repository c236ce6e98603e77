// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/radiomics_pipeline.h"

#include "core/radiomics/intensity_histogram_features.h"
#include "core/radiomics/intensity_volume_histogram_features.h"
#include "core/radiomics/local_intensity_features.h"
#include "core/radiomics/morphology_features.h"
#include "core/radiomics/preprocessing.h"
#include "core/radiomics/statistics_features.h"
#include "core/radiomics/texture_features.h"

#include <array>
#include <atomic>
#include <exception>
#include <functional>
#include <system_error>
#include <thread>

namespace mosaic {

RadiomicsFeatures computeFeatures(const PreparedRoi &roi, const RadiomicsSettings &settings)
{
    // The families only read the prepared ROI, so they run concurrently: this thread and one helper
    // take the next family from a shared counter. Each family writes its own list, and the lists are
    // appended in the fixed order below, so the output is the same as computed one after the other.
    const AggregationSettings &aggregation = settings.aggregation;
    const std::array<std::function<void(RadiomicsFeatures &)>, 10> families { {
        [&](RadiomicsFeatures &out) { addMorphologyFeatures(roi, out); },
        [&](RadiomicsFeatures &out) { addLocalIntensityFeatures(roi, out); },
        [&](RadiomicsFeatures &out) { addStatisticsFeatures(roi, out); },
        [&](RadiomicsFeatures &out) { addIntensityHistogramFeatures(roi, out); },
        [&](RadiomicsFeatures &out) {
            addIntensityVolumeHistogramFeatures(
                roi, settings.ivhDiscretisation, settings.resegmentation, out);
        },
        [&](RadiomicsFeatures &out) { addGlcmFeatures(roi, aggregation, out); },
        [&](RadiomicsFeatures &out) { addGlrlmFeatures(roi, aggregation, out); },
        [&](RadiomicsFeatures &out) { addGlszmAndGldzmFeatures(roi, aggregation, out); },
        [&](RadiomicsFeatures &out) { addNgtdmFeatures(roi, aggregation, out); },
        [&](RadiomicsFeatures &out) { addNgldmFeatures(roi, aggregation, out); },
    } };
    // Longest first (as measured on large ROIs, docs/performance.md), so the two threads finish together.
    constexpr std::array<std::size_t, 10> kSchedule { 7, 5, 0, 1, 6, 8, 9, 2, 4, 3 };
    std::array<RadiomicsFeatures, 10> parts;
    std::array<std::exception_ptr, 10> errors;
    std::atomic<std::size_t> next { 0 };
    const auto work = [&] {
        for (std::size_t slot = next.fetch_add(1); slot < kSchedule.size(); slot = next.fetch_add(1)) {
            const std::size_t family = kSchedule[slot];
            try {
                families[family](parts[family]);
            } catch (...) {
                errors[family] = std::current_exception();
            }
        }
    };
    {
        std::jthread helper;
        if (std::thread::hardware_concurrency() > 1) {
            try {
                helper = std::jthread(work);
            } catch (const std::system_error &) {
                // No thread to be had: this thread computes every family.
            }
        }
        work();
    } // joins the helper
    for (const std::exception_ptr &error : errors)
        if (error)
            std::rethrow_exception(error);

    RadiomicsFeatures features;
    std::size_t total = 0;
    for (const RadiomicsFeatures &part : parts)
        total += part.size();
    features.reserve(total);
    for (RadiomicsFeatures &part : parts)
        features.insert(
            features.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
    return features;
}

Result<RadiomicsFeatures> computeRadiomics(
    const Volume &image, const Mask &mask, const RadiomicsSettings &settings)
{
    auto roi = prepareRoi(image, mask, settings);
    if (!roi)
        return std::unexpected(roi.error());
    return computeFeatures(*roi, settings);
}

} // namespace mosaic
