// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the PGS Catalog scoring-file parser on arbitrary bytes, twice: from a file (zlib
// reads it, so gzip members, truncated streams and lines split across read chunks are covered) by
// inspectScoringFile, and from memory by parsePgsScoringText; the two must agree on success or
// failure. Every parsed file is then scored against one fixed person (SampleGenotypes with VCF-style
// and consumer-style sites) so that the allele matching runs on whatever alleles the parser let
// through. Any outcome is fine except a crash, a sanitizer report, a hang, a runaway allocation, or
// the two parsers disagreeing.
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/polygenic_score.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <unistd.h>

namespace {

const mosaic::SampleGenotypes &person()
{
    static const mosaic::SampleGenotypes sample = [] {
        std::vector<mosaic::SiteGenotype> sites;
        auto add = [&](std::string chromosome, std::int64_t position, std::string reference,
                       std::vector<std::string> alternates, std::vector<std::string> alleles) {
            mosaic::SiteGenotype site;
            site.chromosome = std::move(chromosome);
            site.position = position;
            site.reference = std::move(reference);
            site.alternates = std::move(alternates);
            site.alleles = std::move(alleles);
            site.line = sites.size() + 1;
            sites.push_back(std::move(site));
        };
        add("1", 10, "A", { "G" }, { "A", "G" });
        add("1", 20, "C", { "T", "G" }, { "T", "G" });
        add("1", 30, "A", { "T" }, { "", "" });
        add("11", 69331418, "C", { "T" }, { "T", "T" });
        add("X", 5, "", {}, { "G" }); // consumer-style: alleles only
        add("MT", 7, "", {}, { "A", "C" });
        return mosaic::SampleGenotypes("fuzz.vcf", std::move(sites));
    }();
    return sample;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path path
        = std::filesystem::temp_directory_path() / ("mosaic-fuzz-pgs-" + std::to_string(::getpid()) + ".txt");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    }
    mosaic::PgsLimits limits;
    limits.maxLineBytes = 4096;
    limits.maxVariants = 20'000;
    limits.maxHeaderLines = 1'000;
    limits.maxDecompressedBytes = 16u * 1024u * 1024u;

    const auto report = mosaic::inspectScoringFile(path, limits);
    const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    const auto parsed = mosaic::parsePgsScoringText(text, path.filename().string(), limits);
    // Plain text must read the same from a file as from memory.
    if (!gzip && parsed.has_value() != report.has_value())
        std::abort();
    if (!parsed)
        return 0;
    const auto scored = mosaic::scoreSample(*parsed, person());
    if (scored
        && scored->variantsMatched + scored->allelesMismatched + scored->notFound + scored->ambiguousSkipped
                + scored->variantsWithoutPosition
            != scored->variantsInScore)
        std::abort();
    return 0;
}
