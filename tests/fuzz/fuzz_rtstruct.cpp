// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the RTSTRUCT reader and rasterizer on arbitrary bytes. The reader takes a path
// (DCMTK loads from disk with a size bound), so each input is written to a per-process temporary
// file. Every ROI read is rasterized onto one fixed grid that covers the STS seeds' tumours
// (PET/mask/RS.dcm of a few patients), so that the fill, the clamps and the limits all run.
// Any outcome is fine except a crash, a sanitizer report, a hang or a runaway allocation.
#include "core/imaging/rtstruct_rasterizer.h"
#include "core/imaging/rtstruct_reader.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path path = std::filesystem::temp_directory_path()
        / ("mosaic-fuzz-rtstruct-" + std::to_string(::getpid()) + ".dcm");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    }
    mosaic::RtStructLimits limits;
    limits.maxPoints = 1'000'000;
    const auto rtStruct = mosaic::readRtStruct(path, limits);
    if (!rtStruct)
        return 0;
    (void)mosaic::describeRtStruct(*rtStruct);

    mosaic::ImageGeometry grid;
    grid.size = { 32, 32, 16 };
    grid.spacingMm = { 8.0, 8.0, 8.0 };
    grid.originMm = { -100.0, -150.0, -900.0 };
    grid.frameOfReferenceUid = rtStruct->frameOfReferenceUid;
    for (const mosaic::RtRoi &roi : rtStruct->rois) {
        std::vector<std::string> warnings;
        (void)mosaic::rasterizeRoi(*rtStruct, roi.name, grid, { "1.2.3" }, warnings);
    }
    return 0;
}
