// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/pgx_matcher.h"

#include <algorithm>
#include <array>

namespace mosaic {

namespace {

// Whether a definition's spelling (a VCF allele, or a single IUPAC code) stands for a sample allele.
bool spellingMatches(const std::string &definition, const std::string &sample)
{
    if (definition == sample)
        return true;
    if (definition.size() != 1 || sample.size() != 1)
        return false;
    const std::string_view bases = iupacBases(definition[0]);
    return bases.size() > 1 && bases.find(sample[0]) != std::string_view::npos;
}

bool isWobble(const std::string &spelling)
{
    return spelling.size() == 1 && iupacBases(spelling[0]).size() > 1;
}

// One named allele reduced to the positions the sample has.
struct Candidate
{
    const PgxNamedAllele *allele = nullptr;
    std::vector<std::string> spelling; // per present position; reference-filled where undefined
    std::vector<bool> wobble; // the definition states an IUPAC code here
    int score = 0; // positions the definition states among those present
};

struct PresentSite
{
    std::size_t variant = 0; // index into the definition's variants
    std::array<std::string, 2> alleles;
    bool phased = false;
    bool homozygous = false;
};

// The best score of the pair (a, b) over the ways the genotype splits into them, or -1 when it
// cannot. Phased sites take one orientation for the whole gene; unphased sites take either.
int pairScore(const Candidate &a, const Candidate &b, const std::vector<PresentSite> &sites,
    const std::vector<PgxVariant> &variants)
{
    int best = -1;
    for (int orientation = 0; orientation < 2; ++orientation) {
        int deduction = 0;
        bool fits = true;
        for (std::size_t s = 0; s < sites.size() && fits; ++s) {
            const PresentSite &site = sites[s];
            const std::string &first = site.alleles[0];
            const std::string &second = site.alleles[1];
            const bool straight
                = spellingMatches(a.spelling[s], first) && spellingMatches(b.spelling[s], second);
            const bool swapped
                = spellingMatches(a.spelling[s], second) && spellingMatches(b.spelling[s], first);
            bool useStraight = straight;
            bool useSwapped = swapped;
            if (site.phased && !site.homozygous) {
                useStraight = orientation == 0 && straight;
                useSwapped = orientation == 1 && swapped;
            }
            if (!useStraight && !useSwapped) {
                fits = false;
                break;
            }
            // An IUPAC position scores only when the allele it stands for here is not the reference;
            // where the site can be split either way, the split that keeps more score is taken.
            const std::string &reference = variants[site.variant].reference;
            const auto deductionFor = [&](const std::string &alleleOfA, const std::string &alleleOfB) {
                return (a.wobble[s] && alleleOfA == reference ? 1 : 0)
                    + (b.wobble[s] && alleleOfB == reference ? 1 : 0);
            };
            int siteDeduction = 2;
            if (useStraight)
                siteDeduction = std::min(siteDeduction, deductionFor(first, second));
            if (useSwapped)
                siteDeduction = std::min(siteDeduction, deductionFor(second, first));
            deduction += siteDeduction;
        }
        if (fits)
            best = std::max(best, a.score + b.score - deduction);
    }
    return best;
}

PgxPositionGenotype describe(const PgxVariant &variant)
{
    PgxPositionGenotype position;
    position.chromosome = variant.chromosome;
    position.position = variant.position;
    position.rsid = variant.rsid;
    return position;
}

bool knownSpelling(const PgxVariant &variant, const std::string &allele)
{
    return allele == variant.reference
        || std::find(variant.alternates.begin(), variant.alternates.end(), allele)
        != variant.alternates.end();
}

} // namespace

std::string_view pgxCallQualityName(PgxCallQuality quality)
{
    switch (quality) {
    case PgxCallQuality::Called: return "called";
    case PgxCallQuality::Ambiguous: return "ambiguous";
    case PgxCallQuality::NoCall: return "no call";
    case PgxCallQuality::OutsideCall: return "outside call";
    }
    return "no call";
}

std::string PgxDiplotype::text() const
{
    return allele2.empty() ? allele1 : allele1 + "/" + allele2;
}

std::string PgxPositionGenotype::genotypeText() const
{
    if (alleles.empty())
        return "./.";
    std::string text;
    for (std::size_t i = 0; i < alleles.size(); ++i) {
        if (i > 0)
            text += phased ? '|' : '/';
        text += alleles[i].empty() ? std::string(".") : alleles[i];
    }
    return text;
}

std::string PgxGeneCall::diplotypeText() const
{
    std::string text;
    for (const PgxDiplotype &diplotype : diplotypes)
        text += (text.empty() ? "" : " or ") + diplotype.text();
    return text;
}

std::set<GenomicPosition> pgxPositions(const PgxDefinitionSet &definitions)
{
    std::set<GenomicPosition> positions;
    for (const PgxGeneDefinition &gene : definitions.genes)
        for (const PgxVariant &variant : gene.variants)
            positions.emplace(variant.chromosome, variant.position);
    return positions;
}

std::string assignPgxPhenotype(const PgxPhenotypeTable *table, PgxDiplotype &diplotype)
{
    if (!table)
        return "no phenotype table";
    const PgxDiplotypePhenotype *row = table->lookup(diplotype.allele1, diplotype.allele2);
    if (!row)
        return "diplotype not in the phenotype table";
    diplotype.phenotype = row->geneResult;
    diplotype.activityScore = row->activityScore;
    return {};
}

Result<PgxGeneCall> matchPgxGene(const PgxGeneDefinition &definition, const PgxPhenotypeTable *phenotypeTable,
    const SampleGenotypes &genotypes, const PgxMatchOptions &options)
{
    PgxGeneCall call;
    call.gene = definition.gene;
    const std::vector<PgxVariant> &variants = definition.variants;

    std::vector<PresentSite> sites;
    bool anyUnphasedHeterozygous = false;
    for (std::size_t i = 0; i < variants.size(); ++i) {
        const PgxVariant &variant = variants[i];
        PgxPositionGenotype position = describe(variant);
        const auto lookup = genotypes.lookup(GenomicPosition { variant.chromosome, variant.position },
            variant.reference, options.absentSiteRule);
        if (!lookup) {
            call.missingPositions.push_back(std::move(position));
            continue;
        }
        position.alleles = lookup->alleles;
        position.phased = lookup->phased;
        position.fromAbsentSiteRule = !lookup->listed;
        if (lookup->listed) {
            const auto records = genotypes.at(GenomicPosition { variant.chromosome, variant.position });
            if (!records.empty())
                position.vcfRecord = records.front()->line;
        }
        // A diploid call with both copies called is usable; anything else (a no-call, half a call,
        // a haploid call on these autosomal genes) leaves the position missing.
        const bool usable = lookup->alleles.size() == 2
            && std::none_of(lookup->alleles.begin(), lookup->alleles.end(),
                [](const std::string &allele) { return allele.empty(); });
        if (!usable) {
            call.missingPositions.push_back(std::move(position));
            continue;
        }
        PresentSite site;
        site.variant = i;
        site.alleles = { lookup->alleles[0], lookup->alleles[1] };
        site.phased = lookup->phased;
        site.homozygous = site.alleles[0] == site.alleles[1];
        if (!site.homozygous && !site.phased)
            anyUnphasedHeterozygous = true;
        if (!knownSpelling(variant, site.alleles[0]) || !knownSpelling(variant, site.alleles[1]))
            call.mismatchedPositions.push_back(position);
        call.positions.push_back(std::move(position));
        sites.push_back(std::move(site));
    }
    call.phased = !anyUnphasedHeterozygous;

    if (sites.empty()) {
        call.quality = PgxCallQuality::NoCall;
        call.phenotypeNote = "no call";
        return call;
    }

    const PgxNamedAllele &reference = definition.namedAlleles[definition.referenceAllele];
    std::vector<Candidate> candidates;
    for (const PgxNamedAllele &allele : definition.namedAlleles) {
        if (allele.structuralVariant)
            continue;
        Candidate candidate;
        candidate.allele = &allele;
        bool fitsSomeCopy = true;
        for (const PresentSite &site : sites) {
            const auto &defined = allele.alleles[site.variant];
            const std::string &spelling = defined ? *defined : *reference.alleles[site.variant];
            if (defined)
                ++candidate.score;
            candidate.wobble.push_back(defined && isWobble(*defined));
            if (!spellingMatches(spelling, site.alleles[0]) && !spellingMatches(spelling, site.alleles[1]))
                fitsSomeCopy = false;
            candidate.spelling.push_back(spelling);
        }
        // An allele whose every stated position is missing says nothing about this sample.
        if (candidate.score == 0 || !fitsSomeCopy)
            continue;
        candidates.push_back(std::move(candidate));
    }

    // Pairs are scored as small records first; only the kept ones become named diplotypes. The
    // definitions' limits bound the work (named alleles squared times positions).
    struct ScoredPair
    {
        int score;
        std::size_t a;
        std::size_t b;
    };
    std::vector<ScoredPair> scored;
    for (std::size_t a = 0; a < candidates.size(); ++a)
        for (std::size_t b = a; b < candidates.size(); ++b)
            if (const int score = pairScore(candidates[a], candidates[b], sites, variants); score >= 0)
                scored.push_back({ score, a, b });
    std::vector<PgxDiplotype> pairs;
    pairs.reserve(scored.size());
    for (const ScoredPair &pair : scored) {
        PgxDiplotype diplotype;
        diplotype.allele1 = candidates[pair.a].allele->name;
        diplotype.allele2 = candidates[pair.b].allele->name;
        if (pgxAlleleNameLess(diplotype.allele2, diplotype.allele1))
            std::swap(diplotype.allele1, diplotype.allele2);
        diplotype.score = pair.score;
        pairs.push_back(std::move(diplotype));
    }
    std::sort(pairs.begin(), pairs.end(), [](const PgxDiplotype &x, const PgxDiplotype &y) {
        if (x.score != y.score)
            return x.score > y.score;
        if (x.allele1 != y.allele1)
            return pgxAlleleNameLess(x.allele1, y.allele1);
        return pgxAlleleNameLess(x.allele2, y.allele2);
    });
    if (pairs.empty()) {
        call.quality = PgxCallQuality::NoCall;
        call.phenotypeNote = "no call";
        return call;
    }
    // The call keeps every top-scoring pair; the diagnostic list below it is cut at the limit.
    std::size_t keep = 0;
    while (keep < pairs.size() && (keep < options.maxCandidates || pairs[keep].score == pairs.front().score))
        ++keep;
    if (keep < pairs.size()) {
        call.note = "candidate list cut at " + std::to_string(keep) + " of " + std::to_string(pairs.size());
        pairs.resize(keep);
    }
    for (PgxDiplotype &pair : pairs)
        assignPgxPhenotype(phenotypeTable, pair);
    call.candidates = pairs;
    for (const PgxDiplotype &pair : pairs)
        if (pair.score == pairs.front().score)
            call.diplotypes.push_back(pair);
    call.quality = call.diplotypes.size() == 1 ? PgxCallQuality::Called : PgxCallQuality::Ambiguous;

    // The gene's phenotype is stated only when every top diplotype gives the same one.
    PgxDiplotype first = call.diplotypes.front();
    call.phenotypeNote = assignPgxPhenotype(phenotypeTable, first);
    if (call.phenotypeNote.empty()) {
        const bool agree
            = std::all_of(call.diplotypes.begin(), call.diplotypes.end(), [&](const PgxDiplotype &d) {
                  return d.phenotype == first.phenotype && d.activityScore == first.activityScore;
              });
        if (agree) {
            call.phenotype = first.phenotype;
            call.activityScore = first.activityScore;
        } else {
            call.phenotypeNote = "ambiguous diplotypes differ in phenotype";
        }
    } else if (call.diplotypes.size() > 1 && phenotypeTable) {
        call.phenotypeNote = "ambiguous diplotypes, at least one not in the phenotype table";
    }
    return call;
}

PgxGeneCall pgxOutsideGeneCall(
    const PgxOutsideCall &outside, const PgxPhenotypeTable *phenotypeTable, const std::string &sourceName)
{
    PgxGeneCall call;
    call.gene = outside.gene;
    call.quality = PgxCallQuality::OutsideCall;
    call.note = "outside call from " + (sourceName.empty() ? std::string("an outside-call file") : sourceName)
        + ", line " + std::to_string(outside.line);
    if (!outside.alleles.empty()) {
        PgxDiplotype diplotype;
        diplotype.allele1 = outside.alleles[0];
        if (outside.alleles.size() > 1) {
            diplotype.allele2 = outside.alleles[1];
            if (pgxAlleleNameLess(diplotype.allele2, diplotype.allele1))
                std::swap(diplotype.allele1, diplotype.allele2);
            if (outside.undefinedAlleles.empty())
                call.phenotypeNote = assignPgxPhenotype(phenotypeTable, diplotype);
        } else {
            call.phenotypeNote = phenotypeTable ? "haploid call: no diplotype row" : "no phenotype table";
        }
        call.diplotypes.push_back(diplotype);
        call.phenotype = diplotype.phenotype;
        call.activityScore = diplotype.activityScore;
    } else {
        call.phenotypeNote = "no diplotype";
    }
    if (!outside.undefinedAlleles.empty()) {
        std::string names;
        for (const std::string &name : outside.undefinedAlleles)
            names += (names.empty() ? "" : ", ") + name;
        call.note += "; " + names + " not in the " + outside.gene
            + " definitions (structural alleles are not): the phenotype is the outside caller's";
    }
    // What the outside caller says wins over the table; a disagreement is kept in the note.
    if (!outside.phenotype.empty()) {
        if (!call.phenotype.empty() && call.phenotype != outside.phenotype)
            call.note += "; the phenotype table gives '" + call.phenotype + "' for this diplotype";
        call.phenotype = outside.phenotype;
    }
    if (outside.activityScore)
        call.activityScore = outside.activityScore;
    if (!call.phenotype.empty() || call.activityScore)
        call.phenotypeNote.clear();
    return call;
}

Result<PgxSampleCall> callPgxSample(const PgxDefinitionSet &definitions, const SampleGenotypes &genotypes,
    const std::vector<PgxOutsideCall> &outsideCalls, const std::string &outsideCallsSource,
    const PgxSampleOptions &options)
{
    // Definitions on one build and genotypes on another share no coordinates: every position would
    // read as missing (or, under the homozygous-reference rule, as reference). Refused instead.
    for (const PgxGeneDefinition &definition : definitions.genes)
        if (definition.build != GenomeBuild::Unknown && options.genotypeBuild != GenomeBuild::Unknown
            && definition.build != options.genotypeBuild)
            return fail(ErrorCode::InvalidArgument,
                "the genotypes are on " + std::string(genomeBuildName(options.genotypeBuild))
                    + " but the allele definitions are on " + std::string(genomeBuildName(definition.build))
                    + "; lift the genotypes over first",
                genotypes.sourceName());

    PgxSampleCall sample;
    sample.sourceName = genotypes.sourceName();
    sample.absentSiteRule = options.match.absentSiteRule;
    if (!definitions.genes.empty())
        sample.definitionsVersion = definitions.genes.front().version;
    for (const PgxGeneDefinition &definition : definitions.genes) {
        const PgxPhenotypeTable *table = definitions.phenotypeTable(definition.gene);
        const auto outside = std::find_if(outsideCalls.begin(), outsideCalls.end(),
            [&](const PgxOutsideCall &call) { return call.gene == definition.gene; });
        if (outside != outsideCalls.end()) {
            sample.genes.push_back(pgxOutsideGeneCall(*outside, table, outsideCallsSource));
            continue;
        }
        if (options.outsideCallOnlyGenes.contains(definition.gene)) {
            PgxGeneCall call;
            call.gene = definition.gene;
            call.quality = PgxCallQuality::NoCall;
            call.phenotypeNote = "no call";
            call.note = definition.gene
                + " needs an outside call: its structural alleles are not seen in SNV calls";
            sample.genes.push_back(std::move(call));
            continue;
        }
        auto call = matchPgxGene(definition, table, genotypes, options.match);
        if (!call)
            return std::unexpected(call.error());
        sample.genes.push_back(std::move(*call));
    }
    return sample;
}

Result<PgxSampleCall> callPgxFromVcf(const PgxDefinitionSet &definitions, const std::filesystem::path &vcf,
    const std::string &sample, const std::vector<PgxOutsideCall> &outsideCalls,
    const std::string &outsideCallsSource, const PgxSampleOptions &options)
{
    const std::set<GenomicPosition> positions = pgxPositions(definitions);
    if (positions.empty()) // an empty set would keep every record of a whole genome
        return fail(
            ErrorCode::InvalidArgument, "no pharmacogenomic positions are defined", vcf.filename().string());
    PgxSampleOptions checked = options;
    if (checked.genotypeBuild == GenomeBuild::Unknown) {
        auto reader = VcfReader::open(vcf, options.vcfLimits); // the header only, for its stated build
        if (!reader)
            return std::unexpected(reader.error());
        checked.genotypeBuild = reader->genomeBuild();
    }
    auto genotypes = SampleGenotypes::fromVcf(vcf, sample, positions, options.vcfLimits);
    if (!genotypes)
        return std::unexpected(genotypes.error());
    return callPgxSample(definitions, *genotypes, outsideCalls, outsideCallsSource, checked);
}

} // namespace mosaic
