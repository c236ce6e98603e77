// SPDX-License-Identifier: Apache-2.0
#include "app/genomics_commands.h"

#include "app/cli_support.h"
#include "core/genomics/consumer_genotype_file.h"
#include "core/genomics/genomic_features.h"
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/pgx_definitions.h"
#include "core/genomics/pgx_matcher.h"
#include "core/genomics/pgx_outside_call.h"
#include "core/genomics/polygenic_score.h"
#include "core/genomics/vcf_reader.h"
#include "core/store/workspace.h"

#include <nlohmann/json.hpp>

#include <iostream>

namespace mosaic::cli {

namespace {

using OrderedJson = nlohmann::ordered_json;

std::filesystem::path definitionsFolder(const std::string &given)
{
    return given.empty() ? resourceDirectory() / "pgx" : std::filesystem::path(given);
}

Result<std::vector<PgxOutsideCall>> outsideCalls(const std::string &path, const PgxDefinitionSet &definitions)
{
    if (path.empty())
        return std::vector<PgxOutsideCall> {};
    return readPgxOutsideCalls(path, definitions);
}

std::string positionText(const PgxPositionGenotype &position)
{
    std::string text = position.chromosome + ":" + std::to_string(position.position);
    if (!position.rsid.empty())
        text += " (" + position.rsid + ")";
    return text;
}

void printWarnings(const std::vector<std::string> &warnings)
{
    for (const std::string &warning : warnings)
        std::cerr << "mosaic-cli: warning: " << warning << '\n';
}

// ---------------------------------------------------------------------------------------------- pgx

int runPgx(const PgxArguments &arguments)
{
    auto definitions = loadPgxDefinitions(definitionsFolder(arguments.definitions));
    if (!definitions)
        return reportError(definitions.error());
    auto outside = outsideCalls(arguments.outsideCall, *definitions);
    if (!outside)
        return reportError(outside.error());
    const std::string outsideName = std::filesystem::path(arguments.outsideCall).filename().string();
    PgxSampleOptions options;
    options.match.absentSiteRule
        = parseAbsentSiteRule(arguments.absentSites).value_or(AbsentSiteRule::Missing);

    const std::filesystem::path genotypes(arguments.genotypes);
    const std::string fileName = genotypes.filename().string();
    // A consumer download is one person read whole (its build from its header); a VCF is read at
    // the genes' positions only, for the sample asked for.
    const auto callGenes = [&]() -> Result<PgxSampleCall> {
        if (!detectConsumerGenotypeFormat(genotypes))
            return callPgxFromVcf(*definitions, genotypes, arguments.sample, *outside, outsideName, options);
        if (!arguments.sample.empty())
            return fail(ErrorCode::InvalidArgument, "a consumer genotype file holds one person: no --sample",
                fileName);
        auto file = readConsumerGenotypeFile(genotypes);
        if (!file)
            return std::unexpected(file.error());
        printWarnings(file->warnings);
        options.genotypeBuild = file->build;
        return callPgxSample(*definitions, file->genotypes, *outside, outsideName, options);
    };
    const Result<PgxSampleCall> call = callGenes();
    if (!call)
        return reportError(call.error());

    if (arguments.format == "json") {
        OrderedJson genes = OrderedJson::array();
        for (const PgxGeneCall &gene : call->genes) {
            OrderedJson diplotypes = OrderedJson::array();
            for (const PgxDiplotype &diplotype : gene.diplotypes)
                diplotypes.push_back(diplotype.text());
            OrderedJson missing = OrderedJson::array();
            for (const PgxPositionGenotype &position : gene.missingPositions)
                missing.push_back(positionText(position));
            OrderedJson mismatched = OrderedJson::array();
            for (const PgxPositionGenotype &position : gene.mismatchedPositions)
                mismatched.push_back(positionText(position) + " " + position.genotypeText());
            genes.push_back({ { "gene", gene.gene }, { "diplotype", gene.diplotypeText() },
                { "diplotypes", diplotypes }, { "phenotype", gene.phenotype },
                { "activity_score", gene.activityScore ? OrderedJson(*gene.activityScore) : OrderedJson() },
                { "call_quality", pgxCallQualityName(gene.quality) },
                { "phased", gene.positions.empty() ? OrderedJson() : OrderedJson(gene.phased) },
                { "positions_present", gene.positions.size() }, { "positions_missing", missing },
                { "positions_unexpected_allele", mismatched }, { "phenotype_note", gene.phenotypeNote },
                { "note", gene.note } });
        }
        std::cout << OrderedJson {
            { "source", call->sourceName }, { "absent_sites", absentSiteRuleName(call->absentSiteRule) },
            { "definitions_version", call->definitionsVersion }, { "genes", genes }
        }.dump(2) << '\n';
        return 0;
    }
    const char separator = arguments.format == "tsv" ? '\t' : ',';
    std::cout << "gene" << separator << "diplotype" << separator << "phenotype" << separator
              << "activity_score" << separator << "call_quality" << separator << "positions_present"
              << separator << "positions_missing" << separator << "missing" << separator << "note\n";
    for (const PgxGeneCall &gene : call->genes) {
        // A gene with no position in the file is missing all of them; the list says nothing more.
        std::string missing = gene.positions.empty() && !gene.missingPositions.empty() ? "all" : "";
        if (missing.empty())
            for (const PgxPositionGenotype &position : gene.missingPositions)
                missing += (missing.empty() ? "" : "; ") + positionText(position);
        std::string note = gene.note;
        if (!gene.phenotypeNote.empty())
            note += (note.empty() ? "" : "; ") + gene.phenotypeNote;
        std::cout << gene.gene << separator << quoteCell(gene.diplotypeText(), separator) << separator
                  << quoteCell(gene.phenotype, separator) << separator
                  << (gene.activityScore ? formatNumber(*gene.activityScore, 4) : std::string()) << separator
                  << pgxCallQualityName(gene.quality) << separator << gene.positions.size() << separator
                  << gene.missingPositions.size() << separator << quoteCell(missing, separator) << separator
                  << quoteCell(note, separator) << '\n';
    }
    return 0;
}

// ---------------------------------------------------------------------------------------------- prs

int runPrs(const PrsArguments &arguments)
{
    auto score = readPgsScoringFile(arguments.score);
    if (!score)
        return reportError(score.error());
    printWarnings(score->warnings);
    PgsScoringOptions options;
    options.skipAmbiguous = arguments.skipAmbiguous;
    options.keepMatchedVariants = false; // the output is the scores and the counts

    const std::filesystem::path genotypes(arguments.genotypes);
    PolygenicScoreResult result;
    std::vector<double> percentiles;
    if (detectConsumerGenotypeFormat(genotypes)) {
        if (!arguments.reference.empty())
            return reportError({ ErrorCode::Unsupported,
                "a percentile against a reference population is computed for VCF/BCF genotypes only",
                genotypes.filename().string() });
        auto file = readConsumerGenotypeFile(genotypes);
        if (!file)
            return reportError(file.error());
        printWarnings(file->warnings);
        options.genotypeBuild = file->build;
        auto scored = scoreSample(*score, file->genotypes, options);
        if (!scored)
            return reportError(scored.error());
        result = std::move(*scored);
    } else if (!arguments.reference.empty()) {
        auto scored = scoreAgainstReference(*score, genotypes, arguments.reference, options);
        if (!scored)
            return reportError(scored.error());
        result = std::move(scored->patient);
        percentiles = std::move(scored->percentiles);
        std::cerr << "mosaic-cli: percentiles among " << scored->reference.samples.size()
                  << " reference genomes over the " << result.variantsMatched
                  << " variants matched in both files\n";
    } else {
        auto scored = scoreVcf(*score, genotypes, options);
        if (!scored)
            return reportError(scored.error());
        result = std::move(*scored);
    }
    printWarnings(result.warnings);

    if (arguments.format == "json") {
        OrderedJson samples = OrderedJson::array();
        for (std::size_t i = 0; i < result.samples.size(); ++i) {
            const SampleScore &sample = result.samples[i];
            OrderedJson row { { "sample", result.sampleIds.at(i) }, { "score", sample.score },
                { "variants_used", sample.variantsUsed }, { "variants_missing", sample.variantsMissing },
                { "variants_from_dosage", sample.variantsFromDosage } };
            if (!percentiles.empty())
                row["percentile"] = percentiles.at(i);
            samples.push_back(std::move(row));
        }
        std::cout << OrderedJson {
            { "pgs_id", result.pgsId }, { "build", genomeBuildName(result.build) },
            { "variants_in_score", result.variantsInScore },
            { "variants_without_position", result.variantsWithoutPosition },
            { "variants_matched", result.variantsMatched },
            { "matched_by_strand_flip", result.matchedByStrandFlip },
            { "ambiguous_matched", result.ambiguousMatched },
            { "ambiguous_skipped", result.ambiguousSkipped },
            { "alleles_mismatched", result.allelesMismatched }, { "not_found", result.notFound },
            { "samples", samples }
        }.dump(2) << '\n';
        return 0;
    }
    const char separator = arguments.format == "tsv" ? '\t' : ',';
    std::cout << "sample" << separator << "score" << separator << "variants_matched" << separator
              << "variants_used" << separator << "variants_missing" << separator << "variants_in_score";
    if (!percentiles.empty())
        std::cout << separator << "percentile";
    std::cout << '\n';
    for (std::size_t i = 0; i < result.samples.size(); ++i) {
        const SampleScore &sample = result.samples[i];
        std::cout << quoteCell(result.sampleIds.at(i), separator) << separator
                  << formatNumber(sample.score, 10) << separator << result.variantsMatched << separator
                  << sample.variantsUsed << separator << sample.variantsMissing << separator
                  << result.variantsInScore;
        if (!percentiles.empty())
            std::cout << separator << formatNumber(percentiles.at(i), 4);
        std::cout << '\n';
    }
    return 0;
}

// -------------------------------------------------------------------------------- genomic-features

int runGenomicFeatures(const GenomicFeaturesArguments &arguments)
{
    if (arguments.workspace.empty() != arguments.patient.empty())
        return reportError({ ErrorCode::InvalidArgument, "--workspace and --patient go together", "" });
    auto spec = GenomicFeatureSpec::readFile(arguments.spec);
    if (!spec)
        return reportError(spec.error());

    std::optional<PgxDefinitionSet> definitions;
    GenomicFeatureInputs inputs;
    inputs.genotypes = arguments.genotypes;
    inputs.sample = arguments.sample;
    inputs.expression = arguments.expression;
    inputs.expressionSample = arguments.expressionSample;
    if (!spec->pgx.empty()) {
        auto loaded = loadPgxDefinitions(definitionsFolder(arguments.definitions));
        if (!loaded)
            return reportError(loaded.error());
        definitions = std::move(*loaded);
        inputs.pgxDefinitions = &*definitions;
        auto outside = outsideCalls(arguments.outsideCall, *definitions);
        if (!outside)
            return reportError(outside.error());
        inputs.outsideCalls = std::move(*outside);
        inputs.outsideCallsSource = std::filesystem::path(arguments.outsideCall).filename().string();
    }
    auto values = extractGenomicFeatures(*spec, inputs);
    if (!values)
        return reportError(values.error());

    if (!arguments.workspace.empty()) {
        auto schema = FeatureSchema::fromDefinitions(spec->definitions());
        if (!schema)
            return reportError(schema.error());
        auto vector = toFeatureVector(*values, std::make_shared<const FeatureSchema>(std::move(*schema)));
        if (!vector)
            return reportError(vector.error());
        auto workspace = Workspace::open(arguments.workspace);
        if (!workspace)
            return reportError(workspace.error());
        const std::string source
            = std::filesystem::path(arguments.genotypes.empty() ? arguments.expression : arguments.genotypes)
                  .filename()
                  .string();
        auto stored = workspace->inTransaction([&]() -> Result<void> {
            auto patientId = patientIdFor(*workspace, arguments.patient, source);
            if (!patientId)
                return std::unexpected(patientId.error());
            return workspace->storeFeatures(*patientId, *vector);
        });
        if (!stored)
            return reportError(stored.error());
        std::cerr << "mosaic-cli: stored " << values->size() << " genomic features in the workspace\n";
    }

    if (arguments.format == "json") {
        OrderedJson rows = OrderedJson::array();
        for (const GenomicFeatureValue &value : *values)
            rows.push_back({ { "name", value.name },
                { "value", std::isnan(value.value) ? OrderedJson() : OrderedJson(value.value) },
                { "source", value.provenance.source }, { "location", value.provenance.location } });
        std::cout << rows.dump(2) << '\n';
        return 0;
    }
    const char separator = arguments.format == "tsv" ? '\t' : ',';
    std::cout << "name" << separator << "value" << separator << "source" << separator << "location\n";
    for (const GenomicFeatureValue &value : *values)
        std::cout << quoteCell(value.name, separator) << separator << formatNumber(value.value, 10)
                  << separator << quoteCell(value.provenance.source, separator) << separator
                  << quoteCell(value.provenance.location, separator) << '\n';
    return 0;
}

} // namespace

void addGenomicsCommands(CLI::App &app, GenomicsCommands &commands)
{
    const auto formats = CLI::IsMember({ "csv", "tsv", "json" });

    PgxArguments &pgx = commands.pgxArguments;
    commands.pgx = app.add_subcommand(
        "pgx", "pharmacogenomics per gene: diplotype, phenotype, positions missing, call quality");
    commands.pgx->add_option("--vcf", pgx.genotypes, "genotypes: VCF/BCF, or a 23andMe/AncestryDNA file")
        ->required()
        ->check(CLI::ExistingFile);
    commands.pgx->add_option("--sample", pgx.sample, "sample to call (default: the file's only sample)");
    commands.pgx->add_option("--definitions", pgx.definitions, "allele definitions folder (default: shipped)")
        ->check(CLI::ExistingDirectory);
    commands.pgx
        ->add_option("--outside-call", pgx.outsideCall,
            "PharmCAT outside-call TSV (CYP2D6 and any gene called by another tool)")
        ->check(CLI::ExistingFile);
    commands.pgx->add_option("--absent-sites", pgx.absentSites, "what a site the file does not list means")
        ->check(CLI::IsMember({ "missing", "homozygous-reference" }));
    commands.pgx->add_option("--format", pgx.format, "output format")->check(formats);

    PrsArguments &prs = commands.prsArguments;
    commands.prs
        = app.add_subcommand("prs", "polygenic score per sample: score, variants matched and in the score");
    commands.prs->add_option("--vcf", prs.genotypes, "genotypes: VCF/BCF, or a 23andMe/AncestryDNA file")
        ->required()
        ->check(CLI::ExistingFile);
    commands.prs->add_option("--score", prs.score, "PGS Catalog scoring file (raw or harmonised, .gz or not)")
        ->required()
        ->check(CLI::ExistingFile);
    commands.prs->add_option("--reference", prs.reference, "reference population VCF/BCF for percentiles")
        ->check(CLI::ExistingFile);
    commands.prs->add_flag("--skip-ambiguous", prs.skipAmbiguous, "leave A/T and C/G SNPs out");
    commands.prs->add_option("--format", prs.format, "output format")->check(formats);

    GenomicFeaturesArguments &features = commands.featuresArguments;
    commands.features = app.add_subcommand("genomic-features",
        "a specification's genomic features for one person, with provenance; cached in a workspace on "
        "request");
    commands.features->add_option("--genotypes", features.genotypes, "VCF/BCF, or a 23andMe/AncestryDNA file")
        ->check(CLI::ExistingFile);
    commands.features->add_option(
        "--sample", features.sample, "VCF sample (default: the file's only sample)");
    commands.features
        ->add_option(
            "--expression", features.expression, "expression profile (genes x samples, CSV/TSV, .gz or not)")
        ->check(CLI::ExistingFile);
    commands.features->add_option(
        "--expression-sample", features.expressionSample, "the person's column (default: the only sample)");
    commands.features->add_option("--spec", features.spec, "genomic feature specification (JSON)")
        ->required()
        ->check(CLI::ExistingFile);
    commands.features->add_option("--definitions", features.definitions, "allele definitions folder")
        ->check(CLI::ExistingDirectory);
    commands.features->add_option("--outside-call", features.outsideCall, "PharmCAT outside-call TSV")
        ->check(CLI::ExistingFile);
    commands.features->add_option(
        "--workspace", features.workspace, "workspace database to store the features in");
    commands.features->add_option("--patient", features.patient, "the patient's identifier in the workspace");
    commands.features->add_option("--format", features.format, "output format")->check(formats);
}

std::optional<int> runGenomicsCommand(const GenomicsCommands &commands)
{
    if (commands.pgx != nullptr && commands.pgx->parsed())
        return runPgx(commands.pgxArguments);
    if (commands.prs != nullptr && commands.prs->parsed())
        return runPrs(commands.prsArguments);
    if (commands.features != nullptr && commands.features->parsed())
        return runGenomicFeatures(commands.featuresArguments);
    return std::nullopt;
}

} // namespace mosaic::cli
