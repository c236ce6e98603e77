// SPDX-License-Identifier: Apache-2.0
// PGS Catalog scoring files (format 2.0): the raw files authors submitted and the harmonised ones
// (hmPOS) the Catalog mapped to GRCh37 or GRCh38, plain or gzipped. Columns are found by name. A
// harmonised file's positions are hm_chr/hm_pos in its #HmPOS_build; a raw file's are
// chr_name/chr_position in its #genome_build. The two are never mixed: a row whose position is
// missing in the chosen columns counts as "without position" and is reported, not dropped silently.
//
// Refused: a file whose rows do not add up to its #variants_number (truncated, or not the file it
// says), haplotype/diplotype/interaction terms and per-dosage weights (not additive), no
// effect_allele or effect_weight column, non-numeric weights, and anything beyond PgsLimits.
// Errors name the file (name only) and the line.
#pragma once

#include "core/error.h"
#include "core/genomics/genome_build.h"
#include "core/inspection_report.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

struct PgsLimits
{
    std::size_t maxLineBytes = 64u * 1024u; // one header or variant line
    std::size_t maxVariants = 20'000'000; // the largest Catalog scores have about 7 million
    std::size_t maxHeaderLines = 10'000;
    std::size_t maxColumns = 128;
    std::size_t maxDecompressedBytes = std::size_t { 8 } * 1024u * 1024u * 1024u;
};

// How one variant's effect dosage enters the score. The Catalog's is_dominant / is_recessive columns
// mark the non-additive ones.
enum class PgsInheritance { Additive, Dominant, Recessive };

struct PgsVariant
{
    std::string rsid; // rsID, or hm_rsID in a harmonised file; empty when absent
    std::string chromosome; // normalised (normaliseChromosome); empty when the row has no position
    std::int64_t position = 0; // 1-based; 0 when the row has no position
    std::string effectAllele; // upper case
    std::string otherAllele; // upper case; empty when not stated (nor inferred as one allele)
    double weight = 0.0;
    std::optional<double> effectAlleleFrequency; // allelefrequency_effect
    PgsInheritance inheritance = PgsInheritance::Additive;
    bool otherAlleleInferred = false; // otherAllele comes from hm_inferOtherAllele
    std::size_t line = 0; // 1-based line in the file, for provenance

    [[nodiscard]] bool hasPosition() const { return position > 0; }
};

struct PgsScoringFile
{
    std::string sourceName; // file name only
    std::string formatVersion; // "2.0"; empty for files older than the 2.0 header
    std::string pgsId; // "PGS000001"; empty when the header has none
    std::string pgsName;
    std::string traitReported;
    std::string weightType; // "beta", "log(OR)", "NR", ...; empty when absent
    std::string genomeBuildText; // #genome_build as written ("GRCh37", "hg19", "NR")
    GenomeBuild genomeBuild = GenomeBuild::Unknown; // the authors' build
    bool harmonised = false; // #HmPOS_build present: positions are hm_chr/hm_pos
    GenomeBuild harmonisedBuild = GenomeBuild::Unknown;
    std::optional<std::size_t> variantsDeclared; // #variants_number
    std::vector<PgsVariant> variants; // every row, in file order, with or without a position
    std::size_t variantsWithoutPosition = 0;
    std::vector<std::string> warnings; // understood but worth a reader's attention

    // The build the positions of `variants` refer to: the harmonised build when harmonised.
    [[nodiscard]] GenomeBuild positionBuild() const { return harmonised ? harmonisedBuild : genomeBuild; }
};

// "GRCh37", "hg19", "GRCh38", "hg38" (any case, "NCBI37"/"NCBI38" too); Unknown otherwise ("NR").
[[nodiscard]] GenomeBuild parseGenomeBuild(std::string_view text);

// Reads a scoring file, gzipped or plain (zlib decides by the bytes, not the name).
[[nodiscard]] Result<PgsScoringFile> readPgsScoringFile(
    const std::filesystem::path &path, const PgsLimits &limits = {});

// The same parser over text already in memory (decompressed); `sourceName` names it in errors.
[[nodiscard]] Result<PgsScoringFile> parsePgsScoringText(
    std::string_view text, const std::string &sourceName, const PgsLimits &limits = {});

// Whether a file looks like a PGS Catalog scoring file, for `mosaic-cli inspect` to choose a reader:
// within its first 64 KiB (decompressed), the Catalog banner or a #pgs_id= / #format_version= line,
// or a tab-separated column line naming effect_allele and effect_weight. Reads nothing else.
[[nodiscard]] bool looksLikePgsScoringFile(const std::filesystem::path &path);

// What `mosaic-cli inspect` shows for a scoring file: kind "pgs-scoring-file"; facts pgs id, pgs
// name, trait, format version, genome build, harmonised build, position columns, variants declared,
// variants read, variants without position, weight type, non-additive variants; the parser's
// warnings. A refused file is an Error, as from readPgsScoringFile.
[[nodiscard]] Result<InspectionReport> inspectScoringFile(
    const std::filesystem::path &path, const PgsLimits &limits = {});

} // namespace mosaic
