// SPDX-License-Identifier: Apache-2.0
// The reference assembly a genotype or scoring file's positions refer to. Positions from different
// builds never match: GRCh37 and GRCh38 coordinates differ for almost every variant.
#pragma once

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

} // namespace mosaic
