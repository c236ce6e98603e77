// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/genome_build.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <string>

namespace mosaic {

namespace {

struct ChromosomeLengths
{
    std::string_view chromosome;
    std::int64_t grch37;
    std::int64_t grch38;
};

// Primary-assembly sequence lengths from the GRC assembly reports of GRCh37 (GCF_000001405.13) and
// GRCh38 (GCF_000001405.26); every chromosome but MT (16,569 in both) changed length.
constexpr std::array<ChromosomeLengths, 24> kLengths { {
    { "1", 249250621, 248956422 },
    { "2", 243199373, 242193529 },
    { "3", 198022430, 198295559 },
    { "4", 191154276, 190214555 },
    { "5", 180915260, 181538259 },
    { "6", 171115067, 170805979 },
    { "7", 159138663, 159345973 },
    { "8", 146364022, 145138636 },
    { "9", 141213431, 138394717 },
    { "10", 135534747, 133797422 },
    { "11", 135006516, 135086622 },
    { "12", 133851895, 133275309 },
    { "13", 115169878, 114364328 },
    { "14", 107349540, 107043718 },
    { "15", 102531392, 101991189 },
    { "16", 90354753, 90338345 },
    { "17", 81195210, 83257441 },
    { "18", 78077248, 80373285 },
    { "19", 59128983, 58617616 },
    { "20", 63025520, 64444167 },
    { "21", 48129895, 46709983 },
    { "22", 51304566, 50818468 },
    { "X", 155270560, 156040895 },
    { "Y", 59373566, 57227415 },
} };

std::string lowercase(std::string_view text)
{
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

// `token` occurs in `text`, not preceded by a letter or digit and not continued by a digit (so "hg19"
// does not match "hg190", nor "b37" a hash that contains it).
bool containsToken(const std::string &text, std::string_view token)
{
    for (std::size_t at = text.find(token); at != std::string::npos; at = text.find(token, at + 1)) {
        const std::size_t after = at + token.size();
        const bool startsWord = at == 0 || !std::isalnum(static_cast<unsigned char>(text[at - 1]));
        if (startsWord && (after >= text.size() || !std::isdigit(static_cast<unsigned char>(text[after]))))
            return true;
    }
    return false;
}

} // namespace

GenomeBuild genomeBuildFromAssemblyName(std::string_view name)
{
    const std::string text = lowercase(name);
    // Names as they appear in ##reference and ##contig assembly= of real files: GRC names, UCSC
    // names, the GenBank accessions of the two assemblies, and the 1000 Genomes / Broad / Illumina
    // reference file names.
    static constexpr std::array<std::string_view, 7> k38 { "grch38", "hg38", "gca_000001405.15",
        "gcf_000001405.26", "hs38", "assembly38", "b38" };
    static constexpr std::array<std::string_view, 8> k37 { "grch37", "hg19", "gca_000001405.1",
        "gcf_000001405.13", "hs37", "human_g1k_v37", "b37", "assembly19" };
    const bool says38
        = std::any_of(k38.begin(), k38.end(), [&](std::string_view t) { return containsToken(text, t); });
    const bool says37
        = std::any_of(k37.begin(), k37.end(), [&](std::string_view t) { return containsToken(text, t); });
    if (says38 == says37)
        return GenomeBuild::Unknown;
    return says38 ? GenomeBuild::GRCh38 : GenomeBuild::GRCh37;
}

GenomeBuild genomeBuildFromContigLength(std::string_view chromosome, std::int64_t length)
{
    for (const ChromosomeLengths &entry : kLengths) {
        if (entry.chromosome != chromosome)
            continue;
        if (length == entry.grch37)
            return GenomeBuild::GRCh37;
        if (length == entry.grch38)
            return GenomeBuild::GRCh38;
        return GenomeBuild::Unknown;
    }
    return GenomeBuild::Unknown;
}

} // namespace mosaic
