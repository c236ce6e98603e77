// SPDX-License-Identifier: Apache-2.0
// Genomic features a model specification can ask for, extracted from one person's genotypes with
// the evidence behind each value: the dosage of a named allele at a named variant, a gene's
// pharmacogenomic phenotype as an ordinal value, a polygenic score. Each value keeps its provenance
// (file, chromosome:position, record, genotype, allele definition or scoring file), so the
// explanation view can lead from a SHAP bar to the VCF record.
//
// The specification is JSON:
//   {"build": "GRCh38",   (of the variant positions; optional)
//    "absentSites": "missing" | "homozygous-reference",
//    "variants": [{"name": "rs4244285_A", "chromosome": "10", "position": 94781859,
//                  "allele": "A", "reference": "G", "description": "..."}],
//    "pgx":      [{"name": "CYP2C19_phenotype", "gene": "CYP2C19"}],
//    "scores":   [{"name": "height_prs", "file": "PGS001229_GRCh38.txt.gz"}],
//    "expression": {"normalisation": {"floor": 100, "log": {"base": 2, "offset": 0}},
//                   "probes": [{"name": "ABL1_1636_g_at", "probe": "1636_g_at"}]}}
// Relative score paths are resolved against the specification's folder. Expression normalisation
// steps that learn from a cohort (variation filter, quantile, z-score) need the statistics fitted on
// the training samples, which a model bundle carries; without them only per-sample steps apply.
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/features/feature_vector.h"
#include "core/genomics/expression_normalisation.h"
#include "core/genomics/genome_build.h"
#include "core/genomics/pgx_definitions.h"
#include "core/genomics/pgx_outside_call.h"
#include "core/genomics/sample_genotypes.h"

#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

struct VariantFeature
{
    std::string name;
    GenomicPosition position; // chromosome normalised
    std::string allele; // the counted allele, forward strand of the genotype file's build
    std::string reference; // the build's reference allele; needed for the homozygous-reference rule
    std::string description;
};

struct PgxFeature
{
    std::string name;
    std::string gene;
    std::string description;
};

struct ScoreFeature
{
    std::string name;
    std::filesystem::path scoringFile;
    std::string description;
};

struct ExpressionFeature
{
    std::string name;
    std::string probe; // probe or gene id, as the matrix's first column spells it
    std::string description;
};

struct GenomicFeatureSpec
{
    GenomeBuild build = GenomeBuild::Unknown; // of the variant features' positions
    AbsentSiteRule absentSites = AbsentSiteRule::Missing;
    std::vector<VariantFeature> variants;
    std::vector<PgxFeature> pgx;
    std::vector<ScoreFeature> scores;
    std::vector<ExpressionFeature> expression;
    ExpressionNormalisationSettings expressionNormalisation;

    // Errors name `sourceName` and the entry ("variants[2].position: not a positive integer").
    [[nodiscard]] static Result<GenomicFeatureSpec> fromJson(
        std::string_view json, std::string_view sourceName, const std::filesystem::path &baseFolder = {});
    [[nodiscard]] static Result<GenomicFeatureSpec> readFile(const std::filesystem::path &path);

    // The schema entries of these features, modality Genomics, in specification order.
    [[nodiscard]] std::vector<FeatureDefinition> definitions() const;
    // The positions of the variant features, for SampleGenotypes::fromVcf.
    [[nodiscard]] std::set<GenomicPosition> variantPositions() const;
};

struct GenomicFeatureValue
{
    std::string name;
    double value = std::numeric_limits<double>::quiet_NaN(); // NaN: missing
    Provenance provenance;
};

// The dosage of `feature.allele` in `genotypes`: copies counted from the called alleles, or from
// FORMAT/DS when the record has it and the allele is its only ALT (or its REF: ploidy - DS). A site
// the file does not list follows `rule`; a no-call is missing.
[[nodiscard]] GenomicFeatureValue variantDosage(
    const VariantFeature &feature, const SampleGenotypes &genotypes, AbsentSiteRule rule);

// What extraction reads: one person's genotype file (a VCF/BCF sample or a consumer download),
// the pharmacogenomic definitions when the specification names genes, and outside calls.
struct GenomicFeatureInputs
{
    std::filesystem::path genotypes; // VCF, BCF, 23andMe or AncestryDNA file
    std::string sample; // VCF sample name; empty: the file's only sample
    const PgxDefinitionSet *pgxDefinitions = nullptr; // required when the specification has pgx entries
    std::vector<PgxOutsideCall> outsideCalls;
    std::string outsideCallsSource; // the outside-call file's name
    // Expression profile (genes or probes x samples) and the person's column in it.
    std::filesystem::path expression;
    std::string expressionSample; // empty: the matrix's only sample
    // The normalisation fitted on a training cohort, when the specification's steps need one.
    const FittedExpressionNormalisation *fittedExpression = nullptr;
};

// Every feature of `spec` for one person, in specification order (the order of definitions()). The
// genotype file is read once, keeping only the sites the features need; it is not needed when the
// specification has expression features only (and vice versa). Refused: a genotype file
// whose stated build differs from the specification's, the PGx definitions' or a scoring file's; a
// PGx feature without definitions or for a gene they do not define.
[[nodiscard]] Result<std::vector<GenomicFeatureValue>> extractGenomicFeatures(
    const GenomicFeatureSpec &spec, const GenomicFeatureInputs &inputs);

// The values as a FeatureVector over `schema` (which must name every value).
[[nodiscard]] Result<FeatureVector> toFeatureVector(
    const std::vector<GenomicFeatureValue> &values, std::shared_ptr<const FeatureSchema> schema);

} // namespace mosaic
