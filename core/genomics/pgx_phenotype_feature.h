// SPDX-License-Identifier: Apache-2.0
// A gene's pharmacogenomic phenotype as an ordinal model feature, with the evidence it rests on.
//
// The ordinal scale, kept in pgxPhenotypeOrdinal() alone so that training and prediction agree:
//   metabolizer phenotypes: Poor 0, Intermediate 1, Normal 2, Rapid 3, Ultrarapid 4
//     ("Likely Poor" reads as Poor, "Likely"/"Possible Intermediate" as Intermediate, and the
//      abbreviations PM, IM, NM, RM, UM are accepted for outside calls);
//   function phenotypes (transporters such as SLCO1B1): Poor 0, Decreased 1 (also "Possible
//     Decreased"), Normal 2, Increased 3;
//   VKORC1 -1639G>A (rs9923231): the number of -1639G copies, "-1639 AA" 0, "-1639 AG" 1,
//     "-1639 GG" 2, so that higher means less warfarin-sensitive like the scales above.
// Anything else ("Indeterminate", no call, diplotypes that disagree) has no value: the feature is
// missing, which the model routes as such, never a guess.
#pragma once

#include "core/genomics/pgx_matcher.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

[[nodiscard]] std::optional<int> pgxPhenotypeOrdinal(std::string_view phenotype);

// One position behind a call: where, what the sample carries, and what the called alleles'
// definitions say there.
struct PgxFeatureEvidence
{
    std::string chromosome;
    std::int64_t position = 0;
    std::string rsid;
    std::string genotype; // "A/G"; "./." for a missing position
    std::size_t vcfRecord = 0; // 0: not listed in the file
    bool missing = false;
    std::vector<std::string> alleleDefinitions; // "*2: A", one per called allele that states this position
};

struct PgxPhenotypeFeature
{
    std::string name; // "pgx.CYP2C19.phenotype"
    std::string gene;
    std::optional<int> value; // the ordinal; std::nullopt is a missing feature
    std::string phenotype;
    std::string diplotype; // "*1/*2", "*1/*2 or *1/*35"
    PgxCallQuality quality = PgxCallQuality::NoCall;
    std::string definitionsVersion;
    std::string source; // the genotype file's name, or the outside call's note
    // Positions where a called allele states an allele, plus every missing position. Empty for an
    // outside call, whose evidence lives with the outside caller.
    std::vector<PgxFeatureEvidence> provenance;
};

[[nodiscard]] PgxPhenotypeFeature pgxPhenotypeFeature(
    const PgxGeneCall &call, const PgxGeneDefinition &definition, const std::string &sourceName);

} // namespace mosaic
