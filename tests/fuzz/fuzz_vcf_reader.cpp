// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the VCF/BCF reader and VCF inspection on arbitrary bytes (VCF text, bgzipped VCF
// and BCF are told apart by htslib from the content). The reader takes a path, so each input is
// written to a per-process temporary file. Each input is read four ways: inspection (every column
// parsed, as `mosaic-cli inspect` does), the GT-only scan (the line-reducing path), a region query
// streamed and filtered, and a region query through Mosaic's own index (built in a per-process
// directory, removed after each input). Any outcome is fine except a crash, a sanitizer report, a
// hang or a runaway allocation.
#include "core/genomics/variant_inspection.h"
#include "core/genomics/vcf_reader.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

namespace {

mosaic::VcfLimits fuzzLimits()
{
    mosaic::VcfLimits limits;
    limits.maxSamples = 4096;
    limits.maxAllelesPerRecord = 64;
    limits.maxRecordBytes = 1u << 20;
    return limits;
}

void readAll(const std::filesystem::path &path, const mosaic::VcfReadOptions &options)
{
    auto reader = mosaic::VcfReader::open(path, options);
    if (!reader)
        return;
    (void)reader->genomeBuild();
    (void)reader->contigs();
    for (int records = 0; records < 100000; ++records) {
        auto row = reader->next();
        if (!row || !*row)
            return;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::string stem = "mosaic-fuzz-vcf-" + std::to_string(::getpid());
    static const std::filesystem::path path = std::filesystem::temp_directory_path() / (stem + ".vcf");
    static const std::filesystem::path indexDirectory
        = std::filesystem::temp_directory_path() / (stem + "-index");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    }
    (void)mosaic::inspectVariantFile(path, fuzzLimits());

    mosaic::VcfReadOptions scan;
    scan.limits = fuzzLimits();
    scan.fields = { .genotypes = true, .dosages = false, .checkWholeRecord = false };
    readAll(path, scan);

    mosaic::VcfReadOptions region = scan;
    region.fields.dosages = true;
    region.region = mosaic::VcfRegion { "chr1", 100, 100000 };
    readAll(path, region);
    region.indexDirectory = indexDirectory;
    readAll(path, region);
    std::error_code ec;
    std::filesystem::remove_all(indexDirectory, ec);
    return 0;
}
