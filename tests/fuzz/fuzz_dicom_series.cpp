// SPDX-License-Identifier: Apache-2.0
// libFuzzer target for the DICOM series reader. DCMTK must read from disk (its file reader checks
// declared lengths against what remains; its memory-buffer reader does not), so each input is written
// to a private temporary file and read back as a one-file series. Any outcome but a crash, a
// sanitizer report or a hang is fine: bad files must come back as errors.
#include "core/imaging/dicom_series_reader.h"

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path file = std::filesystem::temp_directory_path()
        / ("mosaic_fuzz_dicom_" + std::to_string(::getpid()) + ".dcm");
    if (FILE *out = std::fopen(file.c_str(), "wb")) {
        std::fwrite(data, 1, size, out);
        std::fclose(out);
    }
    mosaic::ImageLimits limits;
    limits.maxVoxels = std::size_t { 1 } << 26; // keep each run within the fuzzer's memory limit
    auto series = mosaic::readDicomSeries(std::vector<std::filesystem::path> { file },
        mosaic::DicomSeriesOptions { .seriesInstanceUid = {}, .limits = limits });
    if (!series && series.error().message().empty())
        __builtin_trap(); // every refusal must say why
    return 0;
}
