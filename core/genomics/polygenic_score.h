// SPDX-License-Identifier: Apache-2.0
// A polygenic score: the sum over a scoring file's variants of weight x copies of the effect allele,
// computed for every sample of a VCF/BCF streamed once, or for one person's SampleGenotypes.
//
// Matching rules (one score variant matches at most one genotype record, the first that fits):
// - Position: normalised chromosome and 1-based position, in the scoring file's position build
//   (PgsScoringFile::positionBuild); a genotype build that is known and differs is refused.
// - Alleles, stated strand: the effect allele is REF or one of the ALTs of the record and the other
//   allele, when the file states one, is another allele of the same record. Multi-allelic records
//   and records split into biallelic ones both work; the effect allele's index in the record is used.
// - Strand flip: when the stated strand does not match, a SNP whose effect and other alleles are both
//   single bases and NOT complementary (not A/T, C/G) matches if the complements of both are alleles
//   of the record; its effect allele is then the complement. Without an other allele nothing is
//   flipped (the strand cannot be told).
// - Ambiguous SNPs (A/T, C/G): matched on the stated strand only, never flipped, and counted
//   (ambiguousMatched); with PgsScoringOptions::skipAmbiguous they are left out altogether
//   (ambiguousSkipped), as pgsc_calc does by default.
// Dosage of the effect allele: from FORMAT/DS when the record is biallelic and the sample has one (DS
// counts ALT copies, so a REF effect allele is ploidy - DS, ploidy from GT, else 2); otherwise the
// count of GT copies equal to the effect allele. A genotype with any missing copy and no DS is
// missing: it adds nothing to the sum and is counted per sample (no mean imputation, plink2's
// `--score ... no-mean-imputation`). Dominant/recessive variants use GT only: 1 when at least one /
// every copy is the effect allele, else 0.
#pragma once

#include "core/error.h"
#include "core/genomics/genome_build.h"
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/sample_genotypes.h"
#include "core/genomics/vcf_reader.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

namespace mosaic {

struct PgsScoringOptions
{
    bool skipAmbiguous = false; // leave A/T and C/G SNPs out instead of matching their stated strand
    bool useDosage = true; // FORMAT/DS where present (biallelic records)
    // The build of the genotypes when the caller knows it (else the VCF header's, VcfReader::genomeBuild);
    // a known build that differs from the scoring file's position build is refused.
    GenomeBuild genotypeBuild = GenomeBuild::Unknown;
    // true: htslib checks every column of every VCF record (VcfFields::checkWholeRecord), so damage
    // anywhere is refused. false: only CHROM/POS/ID/REF/ALT/GT/DS are parsed, which is faster on large
    // files; damage in INFO or other FORMAT fields then goes unnoticed.
    bool checkWholeRecord = true;
    // false: PolygenicScoreResult::matched stays empty (the counts are kept). A caller that needs only
    // the scores then does not pay for a provenance record per matched variant (a million of them for
    // a genome-wide score). scoreAgainstReference always keeps them: it intersects the two lists.
    bool keepMatchedVariants = true;
    std::stop_token stop; // checked every few thousand records: ErrorCode::Cancelled
};

// One score variant matched to one genotype record.
struct MatchedScoreVariant
{
    std::size_t variantIndex = 0; // into PgsScoringFile::variants
    std::string chromosome; // normalised
    std::int64_t position = 0;
    std::string id; // the record's ID column ("." when absent)
    std::string reference; // the record's alleles as written in the genotype data
    std::vector<std::string> alternates;
    std::string effectAllele; // the effect allele as written in the genotype data (complemented when flipped)
    int effectAlleleIndex = 0; // 0 = REF
    bool strandFlipped = false;
    bool ambiguous = false; // an A/T or C/G SNP, matched on its stated strand
    std::size_t record = 0; // VCF record number (1-based) or consumer file line
};

struct SampleScore
{
    double score = 0.0; // sum of weight x effect dosage over the variants called for this sample
    std::size_t variantsUsed = 0; // matched variants with a call (GT or DS) for this sample
    std::size_t variantsMissing = 0; // matched variants whose genotype is missing: they add nothing
    std::size_t variantsFromDosage = 0; // of variantsUsed, those read from FORMAT/DS
};

struct PolygenicScoreResult
{
    std::string pgsId;
    GenomeBuild build = GenomeBuild::Unknown; // the scoring file's position build
    std::size_t variantsInScore = 0; // every row of the scoring file
    std::size_t variantsWithoutPosition = 0; // rows that cannot be matched by position
    std::size_t variantsMatched = 0; // matched to a record (stated strand or flipped)
    std::size_t matchedByStrandFlip = 0;
    std::size_t ambiguousMatched = 0; // A/T, C/G SNPs matched on the stated strand
    std::size_t ambiguousSkipped = 0; // A/T, C/G SNPs left out (skipAmbiguous)
    std::size_t allelesMismatched = 0; // a record at the position, but neither strand's alleles fit
    std::size_t notFound = 0; // no record at the position
    std::vector<MatchedScoreVariant> matched; // in genotype file order
    // Sample IDs in header order. Identifiers: for the caller's output only, never for errors or logs.
    std::vector<std::string> sampleIds;
    std::vector<SampleScore> samples; // parallel to sampleIds
    std::vector<std::string> warnings;
};

// Scores every sample of a VCF or BCF (plain or bgzipped), streamed once through VcfReader.
[[nodiscard]] Result<PolygenicScoreResult> scoreVcf(const PgsScoringFile &score,
    const std::filesystem::path &vcf, const PgsScoringOptions &options = {}, const VcfLimits &limits = {});

// Scores one person. Sites with a VCF REF/ALT follow the rules above. Sites from a consumer file
// (no REF/ALT) match on the stated strand when every called allele is the effect or other allele,
// flipped (non-ambiguous SNPs) when every called allele is a complement of one; a row without an
// other allele matches only when the effect allele was called. A site the person's file does not list
// is missing whatever the sample's absent-site rule: the scoring file does not say which allele is
// the reference. SampleScore::sampleIds holds the one entry "sample".
[[nodiscard]] Result<PolygenicScoreResult> scoreSample(
    const PgsScoringFile &score, const SampleGenotypes &sample, const PgsScoringOptions &options = {});

// The patient's samples and a reference population (e.g. the 3,202 genomes of tiny1000G) scored over
// the same variants: those matched in both files, so the percentile compares like with like.
struct ScoreAgainstReference
{
    PolygenicScoreResult patient;
    PolygenicScoreResult reference;
    std::vector<double> percentiles; // one per patient sample, see percentileAmong
};
[[nodiscard]] Result<ScoreAgainstReference> scoreAgainstReference(const PgsScoringFile &score,
    const std::filesystem::path &patientVcf, const std::filesystem::path &referenceVcf,
    const PgsScoringOptions &options = {}, const VcfLimits &limits = {});

// The mid-rank percentile of `score` among `reference`: 100 x (number below + half the number equal)
// / size, in [0, 100]. std::nullopt when the reference is empty.
[[nodiscard]] std::optional<double> percentileAmong(double score, std::span<const double> reference);

} // namespace mosaic
