// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/polygenic_score.h"

#include <htslib/hts.h>
#include <htslib/vcf.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace mosaic {

namespace {

char complementBase(char base)
{
    switch (base) {
    case 'A': return 'T';
    case 'T': return 'A';
    case 'C': return 'G';
    case 'G': return 'C';
    default: return '\0';
    }
}

bool isBase(const std::string &allele)
{
    return allele.size() == 1 && complementBase(allele[0]) != '\0';
}

bool isAmbiguousSnp(const PgsVariant &variant)
{
    return isBase(variant.effectAllele) && isBase(variant.otherAllele)
        && complementBase(variant.effectAllele[0]) == variant.otherAllele[0];
}

bool equalsUpper(std::string_view data, std::string_view upper)
{
    if (data.size() != upper.size())
        return false;
    for (std::size_t i = 0; i < data.size(); ++i) {
        char c = data[i];
        if (c >= 'a' && c <= 'z')
            c = static_cast<char>(c - 32);
        if (c != upper[i])
            return false;
    }
    return true;
}

int indexOf(const std::vector<std::string_view> &alleles, std::string_view upper)
{
    for (std::size_t i = 0; i < alleles.size(); ++i) {
        if (equalsUpper(alleles[i], upper))
            return static_cast<int>(i);
    }
    return -1;
}

enum class MatchKind { Stated, Flipped, AmbiguousSkipped, Mismatch };

struct AlleleMatch
{
    MatchKind kind = MatchKind::Mismatch;
    int effectIndex = -1;
};

// The rules in polygenic_score.h, for a record whose alleles (REF first) are known.
AlleleMatch matchAlleles(
    const PgsVariant &variant, const std::vector<std::string_view> &alleles, const PgsScoringOptions &options)
{
    if (options.skipAmbiguous && isAmbiguousSnp(variant))
        return { MatchKind::AmbiguousSkipped, -1 };
    const int effect = indexOf(alleles, variant.effectAllele);
    if (effect >= 0) {
        if (variant.otherAllele.empty())
            return { MatchKind::Stated, effect };
        const int other = indexOf(alleles, variant.otherAllele);
        if (other >= 0 && other != effect)
            return { MatchKind::Stated, effect };
    }
    if (isBase(variant.effectAllele) && isBase(variant.otherAllele) && !isAmbiguousSnp(variant)) {
        const char flippedEffect[2] = { complementBase(variant.effectAllele[0]), '\0' };
        const char flippedOther[2] = { complementBase(variant.otherAllele[0]), '\0' };
        const int e = indexOf(alleles, flippedEffect);
        const int o = indexOf(alleles, flippedOther);
        if (e >= 0 && o >= 0 && e != o)
            return { MatchKind::Flipped, e };
    }
    return { MatchKind::Mismatch, -1 };
}

// Effect allele copies of one call; std::nullopt when missing. `fromDosage` says whether DS was used.
std::optional<double> effectDosage(const GenotypeCall &call, int effectIndex, bool biallelic,
    PgsInheritance inheritance, const PgsScoringOptions &options, bool &fromDosage)
{
    fromDosage = false;
    const bool gtCalled = !call.alleles.empty()
        && std::none_of(call.alleles.begin(), call.alleles.end(), [](int a) { return a < 0; });
    if (inheritance == PgsInheritance::Additive && options.useDosage && biallelic && call.dosage) {
        const double ploidy = gtCalled ? static_cast<double>(call.alleles.size()) : 2.0;
        const double ds = *call.dosage;
        if (ds >= 0.0 && ds <= ploidy) {
            fromDosage = true;
            return effectIndex == 1 ? ds : ploidy - ds;
        }
    }
    if (!gtCalled)
        return std::nullopt;
    const auto copies
        = static_cast<std::size_t>(std::count(call.alleles.begin(), call.alleles.end(), effectIndex));
    switch (inheritance) {
    case PgsInheritance::Dominant: return copies >= 1 ? 1.0 : 0.0;
    case PgsInheritance::Recessive: return copies == call.alleles.size() ? 1.0 : 0.0;
    case PgsInheritance::Additive: break;
    }
    return static_cast<double>(copies);
}

// Score variants with a position, sorted by position within each normalised chromosome.
class PositionIndex
{
public:
    PositionIndex(const PgsScoringFile &score, const std::vector<bool> &only)
    {
        for (std::size_t i = 0; i < score.variants.size(); ++i) {
            const PgsVariant &v = score.variants[i];
            if (v.hasPosition() && (only.empty() || only[i]))
                m_byChromosome[v.chromosome].emplace_back(v.position, i);
        }
        for (auto &[chromosome, entries] : m_byChromosome)
            std::sort(entries.begin(), entries.end());
    }

    // The score variants at a position (in file order), empty when none.
    std::span<const std::pair<std::int64_t, std::size_t>> at(
        const std::string &chromosome, std::int64_t position)
    {
        if (chromosome != m_lastChromosome) {
            m_lastChromosome = chromosome;
            const auto found = m_byChromosome.find(chromosome);
            m_current = found == m_byChromosome.end() ? nullptr : &found->second;
        }
        if (m_current == nullptr)
            return {};
        const auto range = std::equal_range(m_current->begin(), m_current->end(),
            std::pair<std::int64_t, std::size_t> { position, 0 },
            [](const auto &a, const auto &b) { return a.first < b.first; });
        return { range.first, range.second };
    }

private:
    std::unordered_map<std::string, std::vector<std::pair<std::int64_t, std::size_t>>> m_byChromosome;
    std::string m_lastChromosome;
    const std::vector<std::pair<std::int64_t, std::size_t>> *m_current = nullptr;
};

struct HeaderReader
{
    void operator()(htsFile *file) const { hts_close(file); }
    void operator()(bcf_hdr_t *header) const { bcf_hdr_destroy(header); }
};

// Sample IDs from the header (VcfReader gives indices only). The file was opened by VcfReader first,
// so it is known to be VCF/BCF with a readable header.
std::vector<std::string> sampleIdsOf(const std::filesystem::path &path)
{
    hts_set_log_level(HTS_LOG_OFF);
    std::vector<std::string> ids;
    std::unique_ptr<htsFile, HeaderReader> file(hts_open(path.string().c_str(), "r"));
    if (!file)
        return ids;
    std::unique_ptr<bcf_hdr_t, HeaderReader> header(bcf_hdr_read(file.get()));
    if (!header)
        return ids;
    const int count = bcf_hdr_nsamples(header.get());
    for (int i = 0; i < count; ++i)
        ids.emplace_back(header->samples[i]);
    return ids;
}

Result<void> checkBuild(
    const PgsScoringFile &score, const PgsScoringOptions &options, const std::string &where)
{
    if (options.genotypeBuild != GenomeBuild::Unknown && score.positionBuild() != GenomeBuild::Unknown
        && options.genotypeBuild != score.positionBuild())
        return fail(ErrorCode::InvalidArgument,
            "the scoring file's positions are " + std::string(genomeBuildName(score.positionBuild()))
                + " but the genotypes are " + std::string(genomeBuildName(options.genotypeBuild))
                + ": use the scoring file harmonised to the genotypes' build",
            where);
    return {};
}

void finishCounts(const PgsScoringFile &score, const std::vector<bool> &only, const std::vector<char> &state,
    PolygenicScoreResult &result)
{
    // state: 0 no record at the position, 1 record but alleles mismatched, 2 matched, 3 ambiguous skipped
    for (std::size_t i = 0; i < score.variants.size(); ++i) {
        if (!score.variants[i].hasPosition() || (!only.empty() && !only[i]))
            continue;
        switch (state[i]) {
        case 0: ++result.notFound; break;
        case 1: ++result.allelesMismatched; break;
        case 3: ++result.ambiguousSkipped; break;
        default: break;
        }
    }
    if (score.positionBuild() == GenomeBuild::Unknown)
        result.warnings.push_back("the scoring file does not say which genome build its positions are in");
    if (result.variantsMatched == 0)
        result.warnings.push_back("no variant of the score matched the genotypes: check the genome build");
    if (result.ambiguousMatched > 0)
        result.warnings.push_back(std::to_string(result.ambiguousMatched)
            + " ambiguous A/T or C/G SNPs were matched on the stated strand only");
}

PolygenicScoreResult startResult(const PgsScoringFile &score)
{
    PolygenicScoreResult result;
    result.pgsId = score.pgsId;
    result.build = score.positionBuild();
    result.variantsInScore = score.variants.size();
    result.variantsWithoutPosition = score.variantsWithoutPosition;
    return result;
}

Result<PolygenicScoreResult> scoreVcfOver(const PgsScoringFile &score, const std::filesystem::path &vcf,
    const PgsScoringOptions &options, const VcfLimits &limits, const std::vector<bool> &only)
{
    const std::string name = vcf.filename().string();
    VcfReadOptions read;
    read.limits = limits;
    read.fields.genotypes = true;
    read.fields.dosages = options.useDosage;
    read.fields.checkWholeRecord = options.checkWholeRecord;
    read.decompressionThreads = 1; // a whole-genome scan: inflate on a second core while this one parses
    auto reader = VcfReader::open(vcf, read);
    if (!reader)
        return std::unexpected(reader.error());
    // The caller's build wins; otherwise the header's (##reference, ##contig lengths), when it says.
    PgsScoringOptions buildCheck;
    buildCheck.genotypeBuild
        = options.genotypeBuild != GenomeBuild::Unknown ? options.genotypeBuild : reader->genomeBuild();
    if (auto ok = checkBuild(score, buildCheck, name); !ok)
        return std::unexpected(ok.error());
    PolygenicScoreResult result = startResult(score);
    const std::size_t sampleCount = reader->sampleCount();
    if (sampleCount == 0)
        return fail(ErrorCode::InvalidArgument, "the file has no samples to score", name);
    result.sampleIds = sampleIdsOf(vcf);
    if (result.sampleIds.size() != sampleCount)
        return fail(ErrorCode::Malformed, "the sample names could not be read from the header", name);
    result.samples.resize(sampleCount);

    PositionIndex index(score, only);
    // Capacity for every positioned variant; pages are only touched as matches arrive.
    if (options.keepMatchedVariants)
        result.matched.reserve(score.variants.size() - score.variantsWithoutPosition);
    std::vector<char> state(score.variants.size(), 0);
    std::vector<std::string_view> alleles;
    VcfRow row;
    std::size_t record = 0;
    while (true) {
        if ((record & 4095u) == 0 && options.stop.stop_requested())
            return fail(
                ErrorCode::Cancelled, "scoring was cancelled", name + ", record " + std::to_string(record));
        auto got = reader->next(row); // reuses the row's per-sample storage
        if (!got)
            return std::unexpected(got.error());
        if (!*got)
            break;
        ++record;
        const auto candidates = index.at(row.variant.chromosome, row.variant.position);
        if (candidates.empty())
            continue;
        alleles.clear();
        alleles.push_back(row.variant.reference);
        for (const std::string &alt : row.variant.alternates)
            alleles.push_back(alt);
        const bool biallelic = row.variant.alternates.size() == 1;
        for (const auto &[position, variantIndex] : candidates) {
            if (state[variantIndex] >= 2)
                continue;
            const PgsVariant &variant = score.variants[variantIndex];
            const AlleleMatch match = matchAlleles(variant, alleles, options);
            if (match.kind == MatchKind::AmbiguousSkipped) {
                state[variantIndex] = 3;
                continue;
            }
            if (match.kind == MatchKind::Mismatch) {
                state[variantIndex] = 1;
                continue;
            }
            state[variantIndex] = 2;
            ++result.variantsMatched;
            result.matchedByStrandFlip += match.kind == MatchKind::Flipped ? 1 : 0;
            result.ambiguousMatched += isAmbiguousSnp(variant) ? 1 : 0;
            if (options.keepMatchedVariants) {
                MatchedScoreVariant matched;
                matched.variantIndex = variantIndex;
                matched.chromosome = row.variant.chromosome;
                matched.position = row.variant.position;
                matched.id = row.variant.id;
                matched.reference = row.variant.reference;
                matched.alternates = row.variant.alternates;
                matched.effectAlleleIndex = match.effectIndex;
                matched.effectAllele = std::string(alleles[static_cast<std::size_t>(match.effectIndex)]);
                matched.strandFlipped = match.kind == MatchKind::Flipped;
                matched.ambiguous = isAmbiguousSnp(variant);
                matched.record = record;
                result.matched.push_back(std::move(matched));
            }

            for (std::size_t s = 0; s < sampleCount; ++s) {
                bool fromDosage = false;
                const auto dosage = effectDosage(
                    row.calls[s], match.effectIndex, biallelic, variant.inheritance, options, fromDosage);
                SampleScore &sample = result.samples[s];
                if (!dosage) {
                    ++sample.variantsMissing;
                    continue;
                }
                sample.score += variant.weight * *dosage;
                ++sample.variantsUsed;
                sample.variantsFromDosage += fromDosage ? 1 : 0;
            }
        }
    }
    finishCounts(score, only, state, result);
    return result;
}

} // namespace

Result<PolygenicScoreResult> scoreVcf(const PgsScoringFile &score, const std::filesystem::path &vcf,
    const PgsScoringOptions &options, const VcfLimits &limits)
{
    return scoreVcfOver(score, vcf, options, limits, {});
}

Result<PolygenicScoreResult> scoreSample(
    const PgsScoringFile &score, const SampleGenotypes &sample, const PgsScoringOptions &options)
{
    if (auto ok = checkBuild(score, options, sample.sourceName()); !ok)
        return std::unexpected(ok.error());
    PolygenicScoreResult result = startResult(score);
    result.sampleIds = { "sample" };
    result.samples.resize(1);
    SampleScore &total = result.samples[0];
    std::vector<char> state(score.variants.size(), 0);
    std::vector<std::string_view> alleles;
    for (std::size_t i = 0; i < score.variants.size(); ++i) {
        const PgsVariant &variant = score.variants[i];
        if (!variant.hasPosition())
            continue;
        for (const SiteGenotype *site : sample.at({ variant.chromosome, variant.position })) {
            if (state[i] >= 2)
                break;
            AlleleMatch match;
            GenotypeCall call;
            // The effect allele as a consumer file spells it; `alleles` views it, so it lives as long
            // as this site's iteration (found by the asan preset: it once died with its branch).
            std::string effectInData;
            call.dosage = site->dosage;
            call.phased = site->phased;
            bool biallelic = false;
            if (!site->reference.empty()) {
                // VCF-sourced: the record's alleles decide, as for scoreVcf.
                alleles.clear();
                alleles.push_back(site->reference);
                for (const std::string &alt : site->alternates)
                    alleles.push_back(alt);
                biallelic = site->alternates.size() == 1;
                match = matchAlleles(variant, alleles, options);
                for (const std::string &copy : site->alleles)
                    call.alleles.push_back(copy.empty() ? -1 : indexOf(alleles, copy));
            } else {
                // Consumer file: only the called alleles are known. Allele 0 stands for the effect
                // allele (as written in the data), 1 for anything else that the rules allow.
                if (options.skipAmbiguous && isAmbiguousSnp(variant)) {
                    match.kind = MatchKind::AmbiguousSkipped;
                } else {
                    std::vector<std::string_view> called;
                    for (const std::string &copy : site->alleles) {
                        if (!copy.empty())
                            called.push_back(copy);
                    }
                    auto allIn = [&](const std::string &a, const std::string &b) {
                        return std::all_of(called.begin(), called.end(), [&](std::string_view c) {
                            return equalsUpper(c, a) || (!b.empty() && equalsUpper(c, b));
                        });
                    };
                    if (called.empty()) {
                        match.kind = MatchKind::Stated; // a no-call: matched, missing below
                        effectInData = variant.effectAllele;
                    } else if (variant.otherAllele.empty()) {
                        if (indexOf(called, variant.effectAllele) >= 0) {
                            match.kind = MatchKind::Stated;
                            effectInData = variant.effectAllele;
                        }
                    } else if (allIn(variant.effectAllele, variant.otherAllele)) {
                        match.kind = MatchKind::Stated;
                        effectInData = variant.effectAllele;
                    } else if (isBase(variant.effectAllele) && isBase(variant.otherAllele)
                        && !isAmbiguousSnp(variant)) {
                        const std::string e(1, complementBase(variant.effectAllele[0]));
                        const std::string o(1, complementBase(variant.otherAllele[0]));
                        if (allIn(e, o)) {
                            match.kind = MatchKind::Flipped;
                            effectInData = e;
                        }
                    }
                    if (match.kind == MatchKind::Stated || match.kind == MatchKind::Flipped) {
                        match.effectIndex = 0;
                        alleles.clear();
                        alleles.push_back(effectInData);
                        for (const std::string &copy : site->alleles)
                            call.alleles.push_back(
                                copy.empty() ? -1 : (equalsUpper(copy, effectInData) ? 0 : 1));
                    }
                }
            }
            if (match.kind == MatchKind::AmbiguousSkipped) {
                state[i] = 3;
                continue;
            }
            if (match.kind == MatchKind::Mismatch) {
                state[i] = 1;
                continue;
            }
            state[i] = 2;
            MatchedScoreVariant matched;
            matched.variantIndex = i;
            matched.chromosome = site->chromosome;
            matched.position = site->position;
            matched.id = site->id;
            matched.reference = site->reference;
            matched.alternates = site->alternates;
            matched.effectAlleleIndex = match.effectIndex;
            matched.effectAllele = std::string(alleles[static_cast<std::size_t>(match.effectIndex)]);
            matched.strandFlipped = match.kind == MatchKind::Flipped;
            matched.ambiguous = isAmbiguousSnp(variant);
            matched.record = site->line;
            ++result.variantsMatched;
            result.matchedByStrandFlip += matched.strandFlipped ? 1 : 0;
            result.ambiguousMatched += matched.ambiguous ? 1 : 0;
            result.matched.push_back(std::move(matched));

            // Consumer files carry no DS; a VCF-sourced site may.
            if (site->reference.empty())
                call.dosage.reset();
            bool fromDosage = false;
            const auto dosage
                = effectDosage(call, match.effectIndex, biallelic, variant.inheritance, options, fromDosage);
            if (!dosage) {
                ++total.variantsMissing;
                continue;
            }
            total.score += variant.weight * *dosage;
            ++total.variantsUsed;
            total.variantsFromDosage += fromDosage ? 1 : 0;
        }
    }
    finishCounts(score, {}, state, result);
    return result;
}

Result<ScoreAgainstReference> scoreAgainstReference(const PgsScoringFile &score,
    const std::filesystem::path &patientVcf, const std::filesystem::path &referenceVcf,
    const PgsScoringOptions &given, const VcfLimits &limits)
{
    PgsScoringOptions options = given;
    options.keepMatchedVariants = true; // the two lists are intersected below
    auto patient = scoreVcfOver(score, patientVcf, options, limits, {});
    if (!patient)
        return std::unexpected(patient.error());
    std::vector<bool> inPatient(score.variants.size(), false);
    for (const MatchedScoreVariant &m : patient->matched)
        inPatient[m.variantIndex] = true;
    auto reference = scoreVcfOver(score, referenceVcf, options, limits, inPatient);
    if (!reference)
        return std::unexpected(reference.error());
    if (reference->variantsMatched < patient->variantsMatched) {
        // Some of the patient's variants are absent from the reference: score the patient again over
        // the shared ones only.
        std::vector<bool> shared(score.variants.size(), false);
        for (const MatchedScoreVariant &m : reference->matched)
            shared[m.variantIndex] = true;
        const std::size_t before = patient->variantsMatched;
        patient = scoreVcfOver(score, patientVcf, options, limits, shared);
        if (!patient)
            return std::unexpected(patient.error());
        patient->warnings.push_back(std::to_string(before - patient->variantsMatched)
            + " matched variants are not in the reference population and were left out of both scores");
    }
    ScoreAgainstReference out;
    std::vector<double> referenceScores;
    referenceScores.reserve(reference->samples.size());
    for (const SampleScore &s : reference->samples)
        referenceScores.push_back(s.score);
    for (const SampleScore &s : patient->samples)
        out.percentiles.push_back(percentileAmong(s.score, referenceScores).value_or(std::nan("")));
    out.patient = std::move(*patient);
    out.reference = std::move(*reference);
    return out;
}

std::optional<double> percentileAmong(double score, std::span<const double> reference)
{
    if (reference.empty())
        return std::nullopt;
    std::size_t below = 0;
    std::size_t equal = 0;
    for (double value : reference) {
        below += value < score ? 1 : 0;
        equal += value == score ? 1 : 0;
    }
    return 100.0 * (static_cast<double>(below) + 0.5 * static_cast<double>(equal))
        / static_cast<double>(reference.size());
}

} // namespace mosaic
