// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the 23andMe / AncestryDNA reader on arbitrary bytes. The reader takes a path
// (zlib opens it, plain or gzip-compressed), so each input is written to a per-process temporary
// file. It runs the sniffer the CLI's inspect dispatch calls, the reader, the inspection report, and
// SampleGenotypes' lookups on what was read, so the duplicate and merge paths run on fuzzed rows.
// The line limit is lowered so that the fuzzer's inputs reach it; the record limit is the default.
// Any outcome is fine except a crash, a sanitizer report, a hang or a runaway allocation.
#include "core/genomics/consumer_genotype_file.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path path = std::filesystem::temp_directory_path()
        / ("mosaic-fuzz-consumer-" + std::to_string(::getpid()) + ".txt");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    }
    mosaic::ConsumerGenotypeLimits limits;
    limits.maxLineBytes = 256;
    (void)mosaic::detectConsumerGenotypeFormat(path);
    const auto file = mosaic::readConsumerGenotypeFile(path, limits);
    if (!file) {
        if (file.error().message().find(path.filename().string()) == std::string::npos)
            __builtin_trap(); // every refusal names the file
        return 0;
    }
    const mosaic::SampleGenotypes &genotypes = file->genotypes;
    for (const mosaic::SiteGenotype &site : genotypes.sites()) {
        if (genotypes.byId(site.id) == nullptr)
            __builtin_trap();
        for (const auto rule :
            { mosaic::AbsentSiteRule::Missing, mosaic::AbsentSiteRule::HomozygousReference }) {
            const auto lookup = genotypes.lookup({ site.chromosome, site.position }, "A", rule);
            if (!lookup || !lookup->listed)
                __builtin_trap(); // a listed site is never answered by the rule
        }
        (void)genotypes.lookup(
            { site.chromosome, site.position + 1 }, "C", mosaic::AbsentSiteRule::HomozygousReference);
    }
    (void)mosaic::inspectConsumerGenotypeFile(path, limits);
    return 0;
}
