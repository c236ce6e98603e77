// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/pgx_phenotype_feature.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace mosaic {

namespace {

std::string lowered(std::string_view text)
{
    std::string result;
    for (const char c : text)
        result += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto first = result.find_first_not_of(' ');
    if (first == std::string::npos)
        return {};
    return result.substr(first, result.find_last_not_of(' ') - first + 1);
}

} // namespace

std::optional<int> pgxPhenotypeOrdinal(std::string_view phenotype)
{
    static constexpr std::array<std::pair<std::string_view, int>, 26> kScale { {
        { "poor metabolizer", 0 },
        { "likely poor metabolizer", 0 },
        { "pm", 0 },
        { "intermediate metabolizer", 1 },
        { "likely intermediate metabolizer", 1 },
        { "possible intermediate metabolizer", 1 },
        { "im", 1 },
        { "normal metabolizer", 2 },
        { "likely normal metabolizer", 2 },
        { "nm", 2 },
        { "rapid metabolizer", 3 },
        { "likely rapid metabolizer", 3 },
        { "rm", 3 },
        { "ultrarapid metabolizer", 4 },
        { "likely ultrarapid metabolizer", 4 },
        { "um", 4 },
        { "poor function", 0 },
        { "decreased function", 1 },
        { "possible decreased function", 1 },
        { "normal function", 2 },
        { "increased function", 3 },
        { "possible increased function", 3 },
        { "-1639 aa", 0 },
        { "-1639 ag", 1 },
        { "-1639 ga", 1 },
        { "-1639 gg", 2 },
    } };
    const std::string key = lowered(phenotype);
    for (const auto &[name, value] : kScale)
        if (name == key)
            return value;
    return std::nullopt;
}

PgxPhenotypeFeature pgxPhenotypeFeature(
    const PgxGeneCall &call, const PgxGeneDefinition &definition, const std::string &sourceName)
{
    PgxPhenotypeFeature feature;
    feature.name = "pgx." + call.gene + ".phenotype";
    feature.gene = call.gene;
    feature.phenotype = call.phenotype;
    feature.diplotype = call.diplotypeText();
    feature.quality = call.quality;
    feature.definitionsVersion = definition.version;
    feature.source = call.quality == PgxCallQuality::OutsideCall ? call.note : sourceName;
    if (!call.phenotype.empty())
        feature.value = pgxPhenotypeOrdinal(call.phenotype);
    if (call.quality == PgxCallQuality::OutsideCall)
        return feature;

    // The named alleles of the call, each once.
    std::vector<const PgxNamedAllele *> called;
    for (const PgxDiplotype &diplotype : call.diplotypes)
        for (const std::string *name : { &diplotype.allele1, &diplotype.allele2 })
            if (const PgxNamedAllele *allele = definition.namedAllele(*name);
                allele && std::find(called.begin(), called.end(), allele) == called.end())
                called.push_back(allele);

    const auto indexOf = [&](std::int64_t position) -> std::size_t {
        for (std::size_t i = 0; i < definition.variants.size(); ++i)
            if (definition.variants[i].position == position)
                return i;
        return definition.variants.size();
    };
    for (const PgxPositionGenotype &site : call.positions) {
        const std::size_t index = indexOf(site.position);
        if (index == definition.variants.size())
            continue;
        PgxFeatureEvidence evidence { site.chromosome, site.position, site.rsid, site.genotypeText(),
            site.vcfRecord, false, {} };
        for (const PgxNamedAllele *allele : called)
            if (allele->alleles[index] && !allele->reference)
                evidence.alleleDefinitions.push_back(allele->name + ": " + *allele->alleles[index]);
        // A position no called variant allele states is evidence only when it is not the reference:
        // it is what rules out the other alleles, and there are many such positions.
        const bool allReference = std::all_of(site.alleles.begin(), site.alleles.end(),
            [&](const std::string &allele) { return allele == definition.variants[index].reference; });
        if (!evidence.alleleDefinitions.empty() || !allReference)
            feature.provenance.push_back(std::move(evidence));
    }
    for (const PgxPositionGenotype &site : call.missingPositions)
        feature.provenance.push_back(PgxFeatureEvidence {
            site.chromosome, site.position, site.rsid, site.genotypeText(), site.vcfRecord, true, {} });
    return feature;
}

} // namespace mosaic
