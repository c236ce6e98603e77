// SPDX-License-Identifier: Apache-2.0
// One person's genotypes at the sites a caller asks about, with the alleles spelled out, so that a
// VCF sample and a consumer genotype file (23andMe, AncestryDNA) look alike to the pharmacogenomic
// matcher, the polygenic scorer and the feature extractor.
//
// What a site the file does not list means is a rule, never a guess: AbsentSiteRule says it, the
// caller sets it, and every lookup reports which rule produced its answer.
#pragma once

#include "core/error.h"
#include "core/genomics/vcf_reader.h"

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace mosaic {

// What a site that the genotype file does not list means.
enum class AbsentSiteRule {
    // Unknown: the site was not tested, or failed. The safe default, and PharmCAT's reading.
    Missing,
    // Homozygous reference: the file lists only sites that differ from the reference, as a
    // single-sample VCF from a whole-genome caller does. Only sound for such files.
    HomozygousReference,
};

[[nodiscard]] std::string_view absentSiteRuleName(AbsentSiteRule rule); // "missing", "homozygous-reference"
[[nodiscard]] std::optional<AbsentSiteRule> parseAbsentSiteRule(std::string_view name);

// A (chromosome, position) pair; the chromosome normalised as normaliseChromosome() does.
using GenomicPosition = std::pair<std::string, std::int64_t>;

// One listed site of one sample.
struct SiteGenotype
{
    std::string chromosome; // normalised
    std::int64_t position = 0; // 1-based
    std::string id; // rsid or "." (VCF ID column, or the consumer file's rsid)
    std::string reference; // VCF REF; empty when the source does not state it (consumer files)
    std::vector<std::string> alternates; // VCF ALT; empty for consumer files
    // The called allele sequences, one per copy ("A", "AT"); an empty string is a missing copy (".").
    std::vector<std::string> alleles;
    bool phased = false;
    std::optional<double> dosage; // FORMAT/DS: expected number of ALT copies, when present
    std::size_t line = 0; // record number (VCF) or line number (consumer file), for provenance

    [[nodiscard]] bool isNoCall() const; // no copy called
};

class SampleGenotypes
{
public:
    // Reads one sample of a VCF or BCF (by name; the only sample when `sample` is empty and the file
    // has one). Keeps the records at `positions` only, or every record when `positions` is empty;
    // a whole genome is read once, streamed, and only the wanted sites are kept.
    [[nodiscard]] static Result<SampleGenotypes> fromVcf(const std::filesystem::path &path,
        const std::string &sample = {}, const std::set<GenomicPosition> &positions = {},
        const VcfLimits &limits = {});

    // Builds a sample from sites already read (tests, consumer files, the workspace cache).
    SampleGenotypes(std::string sourceName, std::vector<SiteGenotype> sites);

    // Every record listed at this position (a VCF may split a multi-allelic site into several).
    [[nodiscard]] std::vector<const SiteGenotype *> at(const GenomicPosition &position) const;
    [[nodiscard]] const SiteGenotype *byId(const std::string &id) const;
    [[nodiscard]] const std::vector<SiteGenotype> &sites() const { return sites_; }
    [[nodiscard]] const std::string &sourceName() const { return sourceName_; } // file name only

    // The alleles at a position under `rule`: the listed call when the file lists the site; when it
    // does not, two copies of `reference` under HomozygousReference and std::nullopt under Missing.
    // Several records at one position are merged into one call when each copy is called in one
    // record only (a split multi-allelic site); otherwise the first record's call is used. Rows
    // without a reference (consumer files, where repeated rows are separate probes of one site) are
    // never merged: the first row with a call answers.
    struct Lookup
    {
        std::vector<std::string> alleles; // "" = missing copy
        bool phased = false;
        bool listed = false; // false: the answer comes from the absent-site rule
        std::optional<double> dosage;
    };
    [[nodiscard]] std::optional<Lookup> lookup(
        const GenomicPosition &position, const std::string &reference, AbsentSiteRule rule) const;

private:
    std::string sourceName_;
    std::vector<SiteGenotype> sites_;
    std::multimap<GenomicPosition, std::size_t> byPosition_;
    std::map<std::string, std::size_t> byId_;
};

} // namespace mosaic
