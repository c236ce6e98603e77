// SPDX-License-Identifier: Apache-2.0
// Outside calls: a diplotype (or phenotype) for a gene made by another tool, in PharmCAT's outside
// call format, so that genes whose alleles a VCF of SNVs cannot show (CYP2D6's deletions,
// duplications and hybrids) are still reported. The format is tab-separated text, one gene a line:
//
//   # comment lines and blank lines are ignored
//   CYP2D6<TAB>*1/*4
//   CYP2C19<TAB>*1/*2<TAB>Intermediate Metabolizer
//   CYP2D6<TAB><TAB><TAB>1.5          (activity score only)
//
// columns: gene, diplotype (alleles joined by '/', one allele for a haploid call; the gene prefix
// "CYP2D6*4" is accepted), phenotype (optional), activity score (optional). The gene must have an
// allele definition, each allele must be named by the definition or by the gene's phenotype table
// (or be a copy-number "*1x2" or tandem "*36+*10" of such names), and a gene appears once. A star
// allele the definitions do not name (structural: CYP2D6*5, *13, *68) is accepted only when the line
// also gives the phenotype or activity score: "CYP2D6<TAB>*1/*5<TAB>Intermediate Metabolizer".
#pragma once

#include "core/error.h"
#include "core/genomics/pgx_definitions.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace mosaic {

struct PgxOutsideCall
{
    std::string gene;
    std::vector<std::string> alleles; // zero (phenotype-only), one (haploid) or two, as written
    std::string phenotype; // empty when not given
    std::optional<double> activityScore;
    std::size_t line = 0; // line number in the file
    // Star alleles the definitions do not name (structural ones such as CYP2D6 *5), accepted only on
    // a line that gives the phenotype or activity score, which is then the caller's alone.
    std::vector<std::string> undefinedAlleles;
};

[[nodiscard]] Result<std::vector<PgxOutsideCall>> readPgxOutsideCalls(
    const std::filesystem::path &path, const PgxDefinitionSet &definitions, const PgxLimits &limits = {});

} // namespace mosaic
