// SPDX-License-Identifier: Apache-2.0
// The reference assembly a genotype or scoring file's positions refer to. Positions from different
// builds never match: GRCh37 and GRCh38 coordinates differ for almost every variant.
#pragma once

#include <cstdint>
#include <string_view>

namespace mosaic {

enum class GenomeBuild { Unknown, GRCh37, GRCh38 };

[[nodiscard]] constexpr std::string_view genomeBuildName(GenomeBuild build)
{
    switch (build) {
    case GenomeBuild::GRCh37: return "GRCh37";
    case GenomeBuild::GRCh38: return "GRCh38";
    case GenomeBuild::Unknown: return "unknown";
    }
    return "unknown";
}

// The build a reference or assembly name stands for: "GRCh38", "hg38", "GCA_000001405.15",
// "hs38DH", ".../Homo_sapiens_assembly38.fasta" -> GRCh38; "GRCh37", "hg19", "b37", "hs37d5",
// "human_g1k_v37" -> GRCh37; anything else (NCBI36, other species, a bare path) -> Unknown.
[[nodiscard]] GenomeBuild genomeBuildFromAssemblyName(std::string_view name);

// The build whose primary assembly has chromosome `chromosome` (normalised: "1".."22", "X", "Y") of
// exactly `length` bases (GRC assembly reports GCF_000001405.13 and .26); Unknown for other lengths
// and for chromosomes whose length did not change (MT).
[[nodiscard]] GenomeBuild genomeBuildFromContigLength(std::string_view chromosome, std::int64_t length);

} // namespace mosaic
