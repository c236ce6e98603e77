// SPDX-License-Identifier: Apache-2.0
// Star-allele diplotypes from one person's genotypes, by one matcher driven by the allele definitions
// (pgx_definitions.h), with the phenotype from the gene's diplotype table and an honest call quality.
//
// How a gene is called (PharmCAT's named-allele matcher, re-derived):
//  - The gene's positions are looked up in the sample under the AbsentSiteRule. A position that is
//    absent (under Missing) or not called is missing; the named alleles are compared on the
//    positions present only, and every missing position is reported.
//  - A named allele's undefined positions (null in the definition) are read as the reference
//    allele's, so `*2` matches a haplotype that carries *2's variants and the reference elsewhere.
//    An IUPAC code in a definition matches any of its bases.
//  - A pair of named alleles is a candidate when the sample's genotype can be split into the two:
//    phased positions in one orientation for the whole gene (copy 1 to one allele, copy 2 to the
//    other), unphased positions each in either orientation.
//  - A named allele scores the number of positions its definition states among those present (an
//    IUPAC position whose sample allele is the reference does not score); a pair scores the sum.
//    The top-scoring pairs are the call: one pair is Called, several are Ambiguous (typically
//    unphased heterozygous sites). No position present, or no pair fitting, is NoCall.
//  - Alleles marked structuralVariant (deletions, duplications, hybrids) cannot be seen in SNV calls
//    and are left out; CYP2D6 and any other gene can instead be given by an outside call
//    (pgx_outside_call.h), which replaces the matcher for that gene and says so.
// Combinations of alleles on one chromosome ("*2+*17") and partial matches are not called.
#pragma once

#include "core/error.h"
#include "core/genomics/pgx_definitions.h"
#include "core/genomics/pgx_outside_call.h"
#include "core/genomics/sample_genotypes.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

enum class PgxCallQuality {
    Called, // one top-scoring diplotype
    Ambiguous, // several top-scoring diplotypes (unphased heterozygous sites, missing positions)
    NoCall, // no position of the gene present, or no pair of named alleles fits the genotype
    OutsideCall, // given by an outside-call file, not matched from the genotypes
};

[[nodiscard]] std::string_view pgxCallQualityName(PgxCallQuality quality); // "called", "ambiguous", ...

struct PgxDiplotype
{
    std::string allele1; // allele1 <= allele2 in pgxAlleleNameLess order
    std::string allele2; // empty for a haploid outside call
    int score = 0;
    // From the gene's diplotype table; empty (and phenotypeNote set) when there is none.
    std::string phenotype;
    std::optional<double> activityScore;

    [[nodiscard]] std::string text() const; // "*1/*2"
};

// The sample's genotype at one position of the gene, for the report and for provenance.
struct PgxPositionGenotype
{
    std::string chromosome;
    std::int64_t position = 0;
    std::string rsid;
    std::vector<std::string> alleles; // VCF spellings, one per copy; "" for a missing copy
    bool phased = false;
    bool fromAbsentSiteRule = false; // not in the file: homozygous reference by the caller's rule
    std::size_t vcfRecord = 0; // record number in the file; 0 when not listed

    [[nodiscard]] std::string genotypeText() const; // "A/G", "A|G", "./."
};

struct PgxGeneCall
{
    std::string gene;
    PgxCallQuality quality = PgxCallQuality::NoCall;
    std::vector<PgxDiplotype> diplotypes; // the call: the top-scoring pairs, best first
    std::vector<PgxDiplotype> candidates; // every pair that fits, best first (diagnostics)
    std::vector<PgxPositionGenotype> positions; // present positions, in definition order
    std::vector<PgxPositionGenotype> missingPositions; // absent or not called
    std::vector<PgxPositionGenotype> mismatchedPositions; // a called allele the definition does not know
    bool phased = false; // every present heterozygous position is phased
    // The gene-level phenotype: the table's result for the call when every top diplotype agrees.
    std::string phenotype;
    std::optional<double> activityScore;
    // Why there is no phenotype: "no phenotype table", "diplotype not in the phenotype table",
    // "ambiguous diplotypes differ in phenotype", "no call"; empty when phenotype is set.
    std::string phenotypeNote;
    std::string note; // e.g. "outside call from cyp2d6.tsv, line 2"

    [[nodiscard]] std::string diplotypeText() const; // "*1/*2", "*1/*2 or *1/*35", "" for no call
};

struct PgxMatchOptions
{
    AbsentSiteRule absentSiteRule = AbsentSiteRule::Missing;
    // Candidate pairs listed per gene below the call; the call itself always keeps every top pair.
    std::size_t maxCandidates = 1000;
};

// Matches one gene against genotypes already read (the sites at the gene's positions).
[[nodiscard]] Result<PgxGeneCall> matchPgxGene(const PgxGeneDefinition &definition,
    const PgxPhenotypeTable *phenotypeTable, const SampleGenotypes &genotypes,
    const PgxMatchOptions &options = {});

// The call an outside-call line makes for its gene (quality OutsideCall). The phenotype is the line's
// when it gives one, else the table's for the diplotype; the note names the file and line.
[[nodiscard]] PgxGeneCall pgxOutsideGeneCall(
    const PgxOutsideCall &outside, const PgxPhenotypeTable *phenotypeTable, const std::string &sourceName);

struct PgxSampleOptions
{
    PgxMatchOptions match;
    // Genes whose alleles include structural variants a VCF of SNVs cannot show: they are reported
    // from an outside call only, and as NoCall ("needs an outside call") without one.
    std::set<std::string> outsideCallOnlyGenes { "CYP2D6" };
    VcfLimits vcfLimits;
    // The genotypes' build when known (a consumer file's header; callPgxFromVcf reads the VCF's). A
    // known build that differs from the definitions' is refused.
    GenomeBuild genotypeBuild = GenomeBuild::Unknown;
};

struct PgxSampleCall
{
    std::string sourceName; // the genotype file's name
    AbsentSiteRule absentSiteRule = AbsentSiteRule::Missing;
    std::string definitionsVersion; // of the first gene; the files of one release share it
    std::vector<PgxGeneCall> genes; // one per defined gene, in gene-name order
};

// Every gene of `definitions` for one sample: outside calls first, the matcher for the rest.
// `outsideCallsSource` is the outside-call file's name, for the notes.
[[nodiscard]] Result<PgxSampleCall> callPgxSample(const PgxDefinitionSet &definitions,
    const SampleGenotypes &genotypes, const std::vector<PgxOutsideCall> &outsideCalls = {},
    const std::string &outsideCallsSource = {}, const PgxSampleOptions &options = {});

// The same from a VCF or BCF: reads the one sample (or `sample` by name) at the genes' positions.
// This is what `mosaic-cli pgx --vcf PATH [--sample ID]` calls.
[[nodiscard]] Result<PgxSampleCall> callPgxFromVcf(const PgxDefinitionSet &definitions,
    const std::filesystem::path &vcf, const std::string &sample = {},
    const std::vector<PgxOutsideCall> &outsideCalls = {}, const std::string &outsideCallsSource = {},
    const PgxSampleOptions &options = {});

// Every position of every gene, for SampleGenotypes::fromVcf.
[[nodiscard]] std::set<GenomicPosition> pgxPositions(const PgxDefinitionSet &definitions);

// Looks up the phenotype of a diplotype in `table` (nullptr: no table) and fills in phenotype,
// activityScore; returns the note when there is none.
std::string assignPgxPhenotype(const PgxPhenotypeTable *table, PgxDiplotype &diplotype);

} // namespace mosaic
