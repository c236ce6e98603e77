// SPDX-License-Identifier: Apache-2.0
// The pharmacogenomic allele definitions and diplotype-to-phenotype tables that PharmCAT publishes
// from CPIC and PharmVar, read into Mosaic's own types: `<GENE>_translation.json` (the positions of a
// gene and each named allele's allele at each of them) and `phenotype_<GENE>.json` (each diplotype's
// gene result and activity score). The matcher (pgx_matcher.h) is driven by these files alone; no
// gene has code of its own.
//
// The files are untrusted: sizes are checked against PgxLimits before they are read, their nesting
// depth before they are parsed, and every count before it is used. A refusal names the file (its
// name only) and the entry ("variant 3 (chr10:94761900)", "named allele '*2'").
#pragma once

#include "core/error.h"
#include "core/genomics/genome_build.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

struct PgxLimits
{
    std::uintmax_t maxFileBytes = 16u * 1024u * 1024u; // CYP2D6's definition file is 0.9 MB
    std::size_t maxJsonDepth = 32; // the files nest four deep
    std::size_t maxVariantsPerGene = 1000; // CYP2D6 has 156
    std::size_t maxNamedAllelesPerGene = 1000; // CYP2D6 has 171
    // Named alleles times variants: the definition table's cells, which the matcher walks per pair.
    std::size_t maxAlleleCells = 1'000'000; // CYP2D6 has 26,676
    std::size_t maxAlleleLength = 1000; // bases in one VCF allele spelling
    std::size_t maxNameLength = 200; // gene, allele and phenotype names
    std::size_t maxDiplotypeRows = 200'000; // rows of one phenotype table
    std::size_t maxGenes = 100; // definition files in one folder
    std::size_t maxOutsideCallLines = 10'000;
};

// One position of a gene's definition, as the VCF spells it (GRCh38).
struct PgxVariant
{
    std::string chromosome; // normalised as normaliseChromosome() does: "10", not "chr10"
    std::int64_t position = 0; // VCF position, 1-based (an indel's anchor base)
    std::string rsid; // may be empty
    std::string reference; // VCF REF
    std::vector<std::string> alternates; // VCF ALT spellings this definition knows
    std::map<std::string, std::string> cpicToVcf; // CPIC allele spelling -> VCF spelling
};

// A star allele (or other named haplotype). `alleles[i]` is the VCF spelling at variants[i], or
// std::nullopt where the definition says nothing. A single IUPAC ambiguity code (R, Y, M, ...) at a
// single-base position stands for any of its bases.
struct PgxNamedAllele
{
    std::string name; // "*2", "rs9923231 variant (T)"
    std::string id;
    std::vector<std::optional<std::string>> alleles;
    bool reference = false; // the allele the gene's reference sequence carries
    bool structuralVariant = false; // deletions, duplications, hybrids: not callable from SNVs
};

struct PgxGeneDefinition
{
    std::string gene;
    std::string chromosome; // normalised
    GenomeBuild build = GenomeBuild::Unknown;
    std::string version; // the definitions' release, e.g. "2025-11-05-00-25"
    std::vector<PgxVariant> variants; // in the file's order (ascending position)
    std::vector<PgxNamedAllele> namedAlleles;
    std::size_t referenceAllele = 0; // index into namedAlleles

    [[nodiscard]] const PgxNamedAllele *namedAllele(std::string_view name) const;
};

// One row of a diplotype table: an unordered pair of allele names and what it means.
struct PgxDiplotypePhenotype
{
    std::string allele1;
    std::string allele2; // allele1 <= allele2 in pgxAlleleNameLess order
    std::string geneResult; // "Intermediate Metabolizer", "-1639 AG", "Indeterminate"
    std::optional<double> activityScore;
};

struct PgxPhenotypeTable
{
    std::string gene;
    std::string version;
    std::map<std::string, std::string> alleleFunction; // "*2" -> "No function"
    std::map<std::string, double> alleleActivity; // activity value per allele, where given
    std::vector<PgxDiplotypePhenotype> diplotypes;

    // The row for this pair of alleles, in either order; nullptr when the table has none.
    [[nodiscard]] const PgxDiplotypePhenotype *lookup(
        std::string_view allele1, std::string_view allele2) const;
};

// Every gene of one definitions folder, with the phenotype tables that exist for them.
struct PgxDefinitionSet
{
    std::vector<PgxGeneDefinition> genes; // sorted by gene name
    std::map<std::string, PgxPhenotypeTable> phenotypeTables; // by gene

    [[nodiscard]] const PgxGeneDefinition *gene(std::string_view name) const;
    [[nodiscard]] const PgxPhenotypeTable *phenotypeTable(std::string_view gene) const;
};

[[nodiscard]] Result<PgxGeneDefinition> readPgxGeneDefinition(
    const std::filesystem::path &path, const PgxLimits &limits = {});
[[nodiscard]] Result<PgxPhenotypeTable> readPgxPhenotypeTable(
    const std::filesystem::path &path, const PgxLimits &limits = {});

// Reads every `<GENE>_translation.json` of `directory` and every `phenotype_<GENE>.json` whose gene
// has a definition; a phenotype table without a definition, or whose alleles the definition does not
// name, is refused.
[[nodiscard]] Result<PgxDefinitionSet> loadPgxDefinitions(
    const std::filesystem::path &directory, const PgxLimits &limits = {});

// Star-allele order: digit runs compare as numbers, so "*2" < "*17" < "*17B" < "*38".
[[nodiscard]] bool pgxAlleleNameLess(std::string_view a, std::string_view b);

// The bases an IUPAC code stands for ("R" -> "AG"), the base itself for A, C, G, T, and an empty
// view for anything else.
[[nodiscard]] std::string_view iupacBases(char code);

} // namespace mosaic
