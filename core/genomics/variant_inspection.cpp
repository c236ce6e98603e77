// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/variant_inspection.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace mosaic {

namespace {

// At most this many names in a list fact; the count is always given in full.
constexpr std::size_t kListedNames = 25;

std::string listOf(const std::vector<std::string> &names)
{
    std::string text;
    for (std::size_t i = 0; i < names.size() && i < kListedNames; ++i)
        text += (i > 0 ? ", " : "") + names[i];
    if (names.size() > kListedNames)
        text += ", ... (" + std::to_string(names.size() - kListedNames) + " more)";
    return text.empty() ? "none" : text;
}

std::string share(std::size_t part, std::size_t whole)
{
    if (whole == 0)
        return "n/a";
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", static_cast<double>(part) / static_cast<double>(whole));
    return std::string(text) + " (" + std::to_string(part) + " of " + std::to_string(whole) + ")";
}

} // namespace

Result<InspectionReport> inspectVariantFile(const std::filesystem::path &path, const VcfLimits &limits)
{
    VcfReadOptions options;
    options.limits = limits;
    auto opened = VcfReader::open(path, options);
    if (!opened)
        return std::unexpected(opened.error());
    VcfReader &reader = *opened;

    std::size_t records = 0;
    std::size_t multiAllelic = 0;
    std::size_t withGenotype = 0; // at least one sample has a called or missing GT
    std::size_t withDosage = 0; // at least one sample has a DS value
    std::size_t polyploidCalls = 0; // calls of two or more alleles, none missing
    std::size_t phasedCalls = 0;
    std::vector<std::string> chromosomesSeen; // in file order
    std::map<std::string, std::size_t> recordsPerChromosome;
    std::set<std::string> finishedChromosomes;
    std::string currentChromosome;
    std::int64_t lastPosition = 0;
    std::size_t firstUnsortedRecord = 0;
    while (true) {
        auto row = reader.next();
        if (!row)
            return std::unexpected(row.error());
        if (!*row)
            break;
        const VcfRow &r = **row;
        ++records;
        if (r.variant.alternates.size() > 1)
            ++multiAllelic;
        bool genotype = false;
        bool dosage = false;
        for (const GenotypeCall &call : r.calls) {
            genotype = genotype || !call.alleles.empty();
            dosage = dosage || call.dosage.has_value();
            if (call.alleles.size() < 2)
                continue;
            bool called = true;
            for (const int allele : call.alleles)
                called = called && allele >= 0;
            if (!called)
                continue;
            ++polyploidCalls;
            if (call.phased)
                ++phasedCalls;
        }
        withGenotype += genotype ? 1 : 0;
        withDosage += dosage ? 1 : 0;

        if (r.variant.chromosome != currentChromosome) {
            if (!currentChromosome.empty())
                finishedChromosomes.insert(currentChromosome);
            if (finishedChromosomes.contains(r.variant.chromosome) && firstUnsortedRecord == 0)
                firstUnsortedRecord = records;
            currentChromosome = r.variant.chromosome;
            lastPosition = 0;
        }
        if (r.variant.position < lastPosition && firstUnsortedRecord == 0)
            firstUnsortedRecord = records;
        lastPosition = r.variant.position;
        if (recordsPerChromosome[r.variant.chromosome]++ == 0)
            chromosomesSeen.push_back(r.variant.chromosome);
    }

    InspectionReport report;
    report.kind = reader.isBcf() ? "bcf" : "vcf";
    auto fact = [&](std::string name, std::string value) {
        report.facts.emplace_back(std::move(name), std::move(value));
    };
    fact("format", reader.formatVersion().empty() ? "no ##fileformat line" : reader.formatVersion());
    fact("compression", std::string(reader.compression()));
    fact("samples", std::to_string(reader.sampleCount()));
    fact("genome build", std::string(genomeBuildName(reader.genomeBuild())));
    fact("genome build evidence", reader.genomeBuildEvidence());
    const std::vector<std::string> contigs = reader.contigs();
    fact("contigs declared", std::to_string(contigs.size()));
    std::vector<std::string> withCounts;
    for (const std::string &chromosome : chromosomesSeen)
        withCounts.push_back(chromosome + " (" + std::to_string(recordsPerChromosome[chromosome]) + ")");
    fact("chromosomes with records", listOf(withCounts));
    fact("records", std::to_string(records));
    fact("multi-allelic records", std::to_string(multiAllelic));
    fact("GT",
        std::string(reader.declaresFormat("GT") ? "declared" : "not declared") + ", in "
            + std::to_string(withGenotype) + " records");
    fact("DS",
        std::string(reader.declaresFormat("DS") ? "declared" : "not declared") + ", in "
            + std::to_string(withDosage) + " records");
    fact(
        "phased share", share(phasedCalls, polyploidCalls) + " of called genotypes with two or more alleles");

    for (const char *suffix : { ".tbi", ".csi" }) {
        std::error_code ec;
        std::filesystem::path beside = path;
        beside += suffix;
        if (std::filesystem::exists(beside, ec))
            report.warnings.push_back("the index file " + beside.filename().string()
                + " beside the input was ignored: Mosaic streams the file or builds its own index");
    }
    if (reader.recordsWithUndeclaredContig() > 0)
        report.warnings.push_back(std::to_string(reader.recordsWithUndeclaredContig())
            + " records use a chromosome the header does not declare (tolerated)");
    if (reader.recordsWithUndeclaredTag() > 0)
        report.warnings.push_back(std::to_string(reader.recordsWithUndeclaredTag())
            + " records use an INFO or FORMAT key the header does not declare (tolerated)");
    if (reader.genomeBuild() == GenomeBuild::Unknown)
        report.warnings.push_back("genome build unknown: " + reader.genomeBuildEvidence()
            + "; positions can only be matched to a score or definition of a stated build");
    if (firstUnsortedRecord > 0)
        report.warnings.push_back("records are not sorted by chromosome and position (first at record "
            + std::to_string(firstUnsortedRecord) + "): region queries stream the whole file");
    else if (!reader.isBgzipped() && records > 0)
        report.warnings.push_back("not bgzip-compressed: region queries stream the whole file");
    if (reader.sampleCount() > 0 && withGenotype == 0 && withDosage == 0 && records > 0)
        report.warnings.push_back("no record carries a genotype (GT) or dosage (DS)");
    return report;
}

} // namespace mosaic
