// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/sample_genotypes.h"

#include <algorithm>

namespace mosaic {

std::string_view absentSiteRuleName(AbsentSiteRule rule)
{
    switch (rule) {
    case AbsentSiteRule::Missing: return "missing";
    case AbsentSiteRule::HomozygousReference: return "homozygous-reference";
    }
    return "missing";
}

std::optional<AbsentSiteRule> parseAbsentSiteRule(std::string_view name)
{
    if (name == "missing")
        return AbsentSiteRule::Missing;
    if (name == "homozygous-reference")
        return AbsentSiteRule::HomozygousReference;
    return std::nullopt;
}

bool SiteGenotype::isNoCall() const
{
    return std::all_of(
        alleles.begin(), alleles.end(), [](const std::string &allele) { return allele.empty(); });
}

SampleGenotypes::SampleGenotypes(std::string sourceName, std::vector<SiteGenotype> sites)
    : sourceName_(std::move(sourceName))
    , sites_(std::move(sites))
{
    for (std::size_t i = 0; i < sites_.size(); ++i) {
        byPosition_.emplace(GenomicPosition { sites_[i].chromosome, sites_[i].position }, i);
        if (!sites_[i].id.empty() && sites_[i].id != ".")
            byId_.emplace(sites_[i].id, i);
    }
}

Result<SampleGenotypes> SampleGenotypes::fromVcf(const std::filesystem::path &path, const std::string &sample,
    const std::set<GenomicPosition> &positions, const VcfLimits &limits)
{
    VcfReadOptions options;
    options.limits = limits;
    options.decompressionThreads = 1; // a whole genome is inflated on a second core while this one parses
    auto reader = VcfReader::open(path, options);
    if (!reader)
        return std::unexpected(reader.error());
    const std::string name = path.filename().string();
    std::size_t column = 0;
    if (sample.empty()) {
        if (reader->sampleCount() != 1)
            return fail(ErrorCode::InvalidArgument,
                "the file has " + std::to_string(reader->sampleCount()) + " samples; name the one to read",
                name);
    } else {
        const auto index = reader->sampleIndex(sample);
        if (!index) // the requested name is an identifier: it is not repeated in the message
            return fail(ErrorCode::NotFound, "the requested sample is not in the file", name);
        column = *index;
    }

    std::vector<SiteGenotype> sites;
    std::size_t recordNumber = 0;
    VcfRow row; // reused: a whole-genome scan keeps a few sites and allocates per record no more
    for (;;) {
        auto read = reader->next(row);
        if (!read)
            return std::unexpected(read.error());
        if (!*read)
            break;
        ++recordNumber;
        VariantRecord &variant = row.variant;
        if (!positions.empty()
            && !positions.contains(GenomicPosition { variant.chromosome, variant.position }))
            continue;
        const GenotypeCall &call = row.calls.at(column);
        SiteGenotype site;
        site.chromosome = std::move(variant.chromosome);
        site.position = variant.position;
        site.id = std::move(variant.id);
        site.reference = std::move(variant.reference);
        site.alternates = std::move(variant.alternates);
        site.phased = call.phased;
        site.dosage = call.dosage;
        site.line = recordNumber;
        for (const int allele : call.alleles) {
            if (allele < 0)
                site.alleles.emplace_back();
            else if (allele == 0)
                site.alleles.push_back(site.reference);
            else if (static_cast<std::size_t>(allele) <= site.alternates.size())
                site.alleles.push_back(site.alternates[static_cast<std::size_t>(allele) - 1]);
            else
                return fail(ErrorCode::Malformed,
                    "genotype allele " + std::to_string(allele) + " but only "
                        + std::to_string(site.alternates.size()) + " alternate alleles",
                    name + ", record " + std::to_string(recordNumber) + " (" + site.chromosome + ":"
                        + std::to_string(site.position) + ")");
        }
        sites.push_back(std::move(site));
    }
    return SampleGenotypes(name, std::move(sites));
}

std::vector<const SiteGenotype *> SampleGenotypes::at(const GenomicPosition &position) const
{
    std::vector<const SiteGenotype *> found;
    const auto [first, last] = byPosition_.equal_range(position);
    for (auto it = first; it != last; ++it)
        found.push_back(&sites_[it->second]);
    return found;
}

const SiteGenotype *SampleGenotypes::byId(const std::string &id) const
{
    const auto it = byId_.find(id);
    return it == byId_.end() ? nullptr : &sites_[it->second];
}

std::optional<SampleGenotypes::Lookup> SampleGenotypes::lookup(
    const GenomicPosition &position, const std::string &reference, AbsentSiteRule rule) const
{
    const std::vector<const SiteGenotype *> records = at(position);
    if (records.empty()) {
        if (rule == AbsentSiteRule::Missing || reference.empty())
            return std::nullopt;
        return Lookup { { reference, reference }, false, false, std::nullopt };
    }
    const SiteGenotype &first = *records.front();
    if (records.size() == 1)
        return Lookup { first.alleles, first.phased, true, first.dosage };

    // Rows without a reference come from a consumer file: several rows at one position are
    // separate probes of the same site (an rsid probe and an internal-id probe), not parts of one
    // call, so nothing is merged and a probe that failed does not hide one that called.
    if (std::all_of(records.begin(), records.end(),
            [](const SiteGenotype *record) { return record->reference.empty(); })) {
        const auto called = std::find_if(
            records.begin(), records.end(), [](const SiteGenotype *record) { return !record->isNoCall(); });
        const SiteGenotype &chosen = called == records.end() ? first : **called;
        return Lookup { chosen.alleles, chosen.phased, true, chosen.dosage };
    }

    // A multi-allelic site split over several records: each record calls its own alternate against
    // the reference. Merge when the non-reference copies fit the ploidy of the first record.
    std::vector<std::string> alternates;
    bool anyMissing = false;
    for (const SiteGenotype *record : records)
        for (const std::string &allele : record->alleles) {
            if (allele.empty())
                anyMissing = true;
            else if (allele != record->reference)
                alternates.push_back(allele);
        }
    const std::size_t ploidy = first.alleles.size();
    if (anyMissing || alternates.size() > ploidy)
        return Lookup { first.alleles, first.phased, true, first.dosage };
    std::vector<std::string> merged = alternates;
    while (merged.size() < ploidy)
        merged.insert(merged.begin(), first.reference);
    return Lookup { merged, false, true, std::nullopt };
}

} // namespace mosaic
