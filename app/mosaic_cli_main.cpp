// SPDX-License-Identifier: Apache-2.0
// mosaic-cli: Mosaic's engine from the command line. The contract (DESIGN.md): machine-readable
// output on stdout, messages on stderr, exit 0 on success, 1 on invalid input, 2 on a usage error.
#include "app/cli_support.h"
#include "app/cohort_training.h"
#include "app/distributed_training.h"
#include "app/genomics_commands.h"
#include "app/key_commands.h"
#include "app/phenogroup_command.h"
#include "app/records_commands.h"
#include "app/synth_command.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/genomics/genomic_inspection.h"
#include "core/imaging/dicom_inspection.h"
#include "core/imaging/roi_image_loader.h"
#include "core/model/metrics.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"
#include "core/process_environment.h"
#include "core/radiomics/radiomics_pipeline.h"
#include "core/radiomics/radiomics_settings.h"
#include "core/records/record_inspection.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

using namespace mosaic;
using namespace mosaic::cli;
using Json = nlohmann::json;

struct TableArguments
{
    std::string table;
    std::string idColumn;
    std::vector<std::string> ignoredColumns;
};

void addTableOptions(CLI::App &command, TableArguments &arguments, bool required = true)
{
    command.add_option("--table", arguments.table, "cohort table (CSV, one row per patient)")
        ->required(required)
        ->check(CLI::ExistingFile);
    command.add_option("--id", arguments.idColumn, "identifier column (default: the row's line number)");
    command.add_option("--ignore", arguments.ignoredColumns, "columns to read past");
}

Result<CohortTable> readTable(
    const TableArguments &arguments, std::optional<std::string> labelColumn, bool labelRequired)
{
    CohortTableOptions options;
    if (!arguments.idColumn.empty())
        options.idColumn = arguments.idColumn;
    options.labelColumn = std::move(labelColumn);
    options.labelRequired = labelRequired;
    options.ignoredColumns = arguments.ignoredColumns;
    return readCohortTable(arguments.table, options);
}

Json metricsJson(const BinaryMetrics &metrics)
{
    return { { "cases", metrics.cases }, { "positives", metrics.positives }, { "auroc", metrics.auroc.auroc },
        { "auroc_ci95", { metrics.auroc.ci95.lower, metrics.auroc.ci95.upper } },
        { "auroc_standard_error", metrics.auroc.standardError }, { "auprc", metrics.auprc },
        { "brier", metrics.brier }, { "calibration_slope", metrics.calibration.slope },
        { "calibration_intercept", metrics.calibration.intercept } };
}

// ------------------------------------------------------------------------------------------------ train

struct TrainArguments
{
    TableArguments table;
    std::string label;
    std::string spec;
    std::string out;
    std::string name;
    std::string outcome;
    std::string modality = "records"; // for every column when there is no --spec
    int folds = 5;
    int repeats = 10;
    std::uint64_t seed = CrossValidationSettings {}.seed;
    std::vector<int> selectFeatures; // candidate counts for nested selection; empty: use every feature
    int innerFolds = 3;
    double maxCorrelation = 0.9;
    TrainingParameters training;
    DistributedArguments distributed;
    SigningOptions signing;
    std::string intendedUse;
    std::string limitations;
    std::string cohort; // a folder with cohort.csv, with a model specification
    std::string coverage;
    std::string predictions;
    int threads = 0;
};

// Without a schema, every feature column of the table is a feature of the given modality, named
// after its column and without a unit: for wide tables such as radiomics extractions.
Result<FeatureSchema> schemaFromColumns(const CohortTable &table, const std::string &modalityText)
{
    const auto modality = modalityFromName(modalityText);
    if (!modality)
        return fail(ErrorCode::InvalidArgument, "unknown modality '" + modalityText + "'");
    std::vector<FeatureDefinition> definitions;
    for (const auto &column : table.featureColumns)
        definitions.push_back({ column, *modality, "", "" });
    return FeatureSchema::fromDefinitions(std::move(definitions));
}

int runTrain(const TrainArguments &arguments)
{
    // A model specification: the one pipeline from a cohort of any modalities (app/cohort_training.h).
    if (!arguments.spec.empty() && isModelSpecification(arguments.spec)) {
        if (arguments.distributed.requested())
            return reportError(fail(ErrorCode::Unsupported,
                "distributed training takes a cohort table and a feature schema, not a model specification")
                                   .error());
        CohortTrainingArguments cohort;
        cohort.spec = arguments.spec;
        cohort.manifest = arguments.cohort.empty()
            ? arguments.table.table
            : (std::filesystem::path(arguments.cohort) / "cohort.csv").string();
        cohort.out = arguments.out;
        cohort.coverage = arguments.coverage;
        cohort.predictions = arguments.predictions;
        cohort.threads = arguments.threads;
        cohort.name = arguments.name;
        cohort.intendedUse = arguments.intendedUse;
        cohort.limitations = arguments.limitations;
        cohort.signing = arguments.signing;
        return runCohortTraining(cohort);
    }
    if (arguments.table.table.empty() || arguments.label.empty()) {
        std::cerr << "mosaic-cli: train needs --table and --label, or --spec with a model specification\n";
        return kExitUsage;
    }
    auto table = readTable(arguments.table, arguments.label, true);
    if (!table)
        return reportError(table.error());
    auto schema = arguments.spec.empty() ? schemaFromColumns(*table, arguments.modality)
                                         : FeatureSchema::readFile(arguments.spec);
    if (!schema)
        return reportError(schema.error());

    TrainingRequest request;
    request.name = arguments.name.empty() ? arguments.label + " from " + table->sourceName : arguments.name;
    request.outcome = arguments.outcome.empty() ? arguments.label + " = 1" : arguments.outcome;
    request.labelColumn = arguments.label;
    request.validation.folds = arguments.folds;
    request.validation.repeats = arguments.repeats;
    request.validation.seed = arguments.seed;
    request.validation.training = arguments.training;
    request.validation.training.seed = arguments.seed;
    if (!arguments.selectFeatures.empty()) {
        FeatureSelectionSettings selection;
        selection.featureCounts = arguments.selectFeatures;
        selection.maxCorrelation = arguments.maxCorrelation;
        request.featureSelection = selection;
        request.innerFolds = arguments.innerFolds;
    }
    // The key before the training: a wrong key file should not cost the modeller the training time.
    auto key = signingKeyFor(arguments.signing);
    if (!key)
        return reportError(key.error());
    // One worker of a distributed job: only rank 0 has a bundle to write.
    if (arguments.distributed.requested()) {
        auto result
            = trainDistributed(*table, arguments.table.table, *schema, request, arguments.distributed);
        if (!result)
            return reportError(result.error());
        if (result->bundle) {
            result->bundle->intendedUse = arguments.intendedUse;
            result->bundle->limitations = arguments.limitations;
            if (auto written = result->bundle->writeFile(arguments.out, *key); !written)
                return reportError(written.error());
        }
        std::cout << distributedTrainingJson(*result, arguments.out) << '\n';
        return 0;
    }
    // Progress only for a person at a terminal; scripts reading stderr get messages, not counters.
    TrainingStepProgress progress;
    if (isatty(fileno(stderr)))
        progress = [](int done, int total) {
            std::cerr << "\rmosaic-cli: training " << done << '/' << total << (done == total ? "\n" : "")
                      << std::flush;
        };
    auto bundle = trainRiskModel(*table, *schema, request, {}, progress);
    if (!bundle)
        return reportError(bundle.error());
    bundle->intendedUse = arguments.intendedUse;
    bundle->limitations = arguments.limitations;
    if (auto written = bundle->writeFile(arguments.out, *key); !written)
        return reportError(written.error());

    const ValidationReport &report = *bundle->validation;
    const Json output
        = { { "model", bundle->name }, { "bundle", arguments.out }, { "features", bundle->schema.size() },
              { "validation",
                  { { "protocol", report.protocol }, { "folds", report.folds }, { "repeats", report.repeats },
                      { "seed", report.seed }, { "auroc_sd_across_repeats", report.aurocStandardDeviation },
                      { "metrics", metricsJson(report.metrics) } } } };
    Json outputWithSelection = output;
    if (!report.selectionFrequency.empty()) {
        Json selection = Json::array();
        for (const auto &[feature, share] : report.selectionFrequency)
            selection.push_back({ { "feature", feature }, { "share_of_outer_fits", share } });
        outputWithSelection["validation"]["feature_selection"] = selection;
        Json counts = Json::array();
        for (const auto &[count, fits] : report.chosenFeatureCounts)
            counts.push_back({ { "feature_count", count }, { "outer_fits", fits } });
        outputWithSelection["validation"]["chosen_feature_counts"] = counts;
        outputWithSelection["final_model_features"] = bundle->schema.names();
    }
    std::cout << outputWithSelection.dump(2) << '\n';
    return 0;
}

// ---------------------------------------------------------------------------------------------- predict

struct PredictArguments
{
    std::string model;
    TableArguments table;
    std::size_t top = 5;
    std::string format = "csv";
    TrustOptions trust;
};

int runPredict(const PredictArguments &arguments)
{
    auto trusted = trustedKeysFor(arguments.trust);
    if (!trusted)
        return reportError(trusted.error());
    auto bundle = ModelBundle::readFile(arguments.model, *trusted);
    if (!bundle)
        return reportError(bundle.error());
    auto model = RiskModel::fromBundle(std::move(*bundle));
    if (!model)
        return reportError(model.error());
    auto table = readTable(arguments.table, std::nullopt, false);
    if (!table)
        return reportError(table.error());
    auto predictions = model->predict(*table);
    if (!predictions)
        return reportError(predictions.error());

    const FeatureSchema &schema = model->bundle().schema;
    if (arguments.format == "json") {
        Json rows = Json::array();
        for (std::size_t row = 0; row < predictions->size(); ++row) {
            Json prediction = Json::parse(predictionToJson((*predictions)[row], schema, arguments.top));
            prediction["id"] = table->ids[row];
            rows.push_back(std::move(prediction));
        }
        std::cout << Json {
            { "model", model->bundle().name }, { "outcome", model->bundle().outcome }, { "predictions", rows }
        }.dump(2) << '\n';
        return 0;
    }

    // csv or tsv: one row per patient: the model's raw probability, the calibrated risk (equal to
    // it when the bundle has no calibration), the call ("yes", "no" for no confident call, empty
    // when the bundle has no abstention policy) and its reasons ("; "-joined, quoted), then each
    // top contribution as "feature=value unit:+0.123".
    const char separator = arguments.format == "tsv" ? '\t' : ',';
    std::cout << "id" << separator << "probability" << separator << "risk" << separator << "call" << separator
              << "reasons";
    for (std::size_t rank = 1; rank <= arguments.top; ++rank)
        std::cout << separator << "contribution_" << rank;
    std::cout << '\n';
    for (std::size_t row = 0; row < predictions->size(); ++row) {
        const RiskPrediction &prediction = (*predictions)[row];
        std::string reasons;
        if (prediction.abstention)
            for (const auto &reason : prediction.abstention->reasons)
                reasons += (reasons.empty() ? "" : "; ") + reason.text;
        if (!reasons.empty()) {
            // RFC 4180 quoting; a tab cannot appear inside a TSV cell.
            std::string quoted = "\"";
            for (char c : reasons)
                quoted += c == '"' ? std::string("\"\"") : c == '\t' ? std::string(" ") : std::string(1, c);
            reasons = quoted + "\"";
        }
        std::cout << table->ids[row] << separator << formatNumber(prediction.probability, 6) << separator
                  << formatNumber(prediction.risk, 6) << separator
                  << (prediction.abstention ? (prediction.abstention->called ? "yes" : "no") : "")
                  << separator << reasons;
        for (const auto &contribution : prediction.topContributions(arguments.top)) {
            const auto &definition = schema.at(contribution.featureIndex);
            std::string cell = definition.name + "=" + formatNumber(contribution.value, 6);
            if (!definition.unit.empty())
                cell += " " + definition.unit;
            cell += ":" + std::string(contribution.contribution >= 0 ? "+" : "")
                + formatNumber(contribution.contribution, 4);
            std::cout << separator << cell;
        }
        std::cout << '\n';
    }
    return 0;
}

// --------------------------------------------------------------------------------------------- validate

struct ValidateArguments
{
    std::string model;
    TableArguments table;
    std::string label;
    TrustOptions trust;
};

int runValidate(const ValidateArguments &arguments)
{
    auto trusted = trustedKeysFor(arguments.trust);
    if (!trusted)
        return reportError(trusted.error());
    auto bundle = ModelBundle::readFile(arguments.model, *trusted);
    if (!bundle)
        return reportError(bundle.error());
    auto model = RiskModel::fromBundle(std::move(*bundle));
    if (!model)
        return reportError(model.error());
    auto table = readTable(arguments.table, arguments.label, true);
    if (!table)
        return reportError(table.error());
    auto predictions = model->predict(*table);
    if (!predictions)
        return reportError(predictions.error());

    // The figures are those of the risk the clinician is shown: calibrated when the bundle has a
    // calibration map (then the model's raw probability is reported beside it).
    std::vector<double> risks;
    std::vector<double> probabilities;
    std::vector<int> labels;
    std::vector<AbstentionDecision> decisions;
    RowMatrixXf riskMatrix(static_cast<Eigen::Index>(predictions->size()), 1);
    for (std::size_t row = 0; row < predictions->size(); ++row) {
        const RiskPrediction &prediction = (*predictions)[row];
        risks.push_back(prediction.risk);
        probabilities.push_back(prediction.probability);
        riskMatrix(static_cast<Eigen::Index>(row), 0) = static_cast<float>(prediction.risk);
        labels.push_back(static_cast<int>((*table->labels)(static_cast<Eigen::Index>(row))));
        if (prediction.abstention)
            decisions.push_back(*prediction.abstention);
    }
    auto metrics = evaluateBinary(risks, labels);
    if (!metrics)
        return reportError(Error { metrics.error().code, metrics.error().detail, table->sourceName });
    const std::optional<ProbabilityCalibration> &calibration = model->bundle().calibration;

    const bool inSample = table->sourceName == model->bundle().trainingSource;
    const Json output = { { "model", model->bundle().name }, { "table", table->sourceName },
        { "label", arguments.label }, { "same_table_as_training", inSample },
        { "note",
            inSample ? "in-sample: the model was trained on this table, so these figures are "
                       "optimistic; the bundle's cross-validation report is the honest estimate"
                     : "external: the model never saw this table" },
        { "metrics", metricsJson(*metrics) },
        { "calibration",
            std::string(calibrationMethodName(
                calibration ? calibration->method : ProbabilityCalibration::Method::None)) } };
    Json report = output;
    if (calibration && calibration->method != ProbabilityCalibration::Method::None) {
        auto raw = evaluateBinary(probabilities, labels);
        if (!raw)
            return reportError(Error { raw.error().code, raw.error().detail, table->sourceName });
        report["metrics_of_model_probability"] = metricsJson(*raw);
    }
    // With an abstention policy: how often the model declines, and its metrics on the cases it calls.
    if (model->bundle().abstention) {
        auto abstention = reportAbstention(decisions, riskMatrix, labels);
        if (!abstention)
            return reportError(
                Error { abstention.error().code, abstention.error().detail, table->sourceName });
        report["abstention"] = Json::parse(reportToJson(*abstention));
    }
    std::cout << report.dump(2) << '\n';
    return 0;
}

// -------------------------------------------------------------------------------------------- radiomics

struct RadiomicsArguments
{
    std::string image;
    std::string mask;
    std::string roi;
    std::string settings;
    std::string format = "csv";
};

Result<RadiomicsSettings> readRadiomicsSettings(const std::string &path)
{
    if (path.empty())
        return RadiomicsSettings {};
    const std::string name = std::filesystem::path(path).filename().string();
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error)
        return fail(ErrorCode::NotFound, "cannot read the settings: " + error.message(), name);
    if (size > (std::uintmax_t { 1 } << 20))
        return fail(ErrorCode::LimitExceeded, "a settings file is larger than 1 MiB", name);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return RadiomicsSettings::fromJson(text.str(), name);
}

int runRadiomics(const RadiomicsArguments &arguments)
{
    auto settings = readRadiomicsSettings(arguments.settings);
    if (!settings)
        return reportError(settings.error());
    auto loaded = loadRoiImage(arguments.image, arguments.mask, arguments.roi);
    if (!loaded)
        return reportError(loaded.error());
    for (const auto &warning : loaded->warnings)
        std::cerr << "mosaic-cli: warning: " << warning << '\n';
    auto features = computeRadiomics(loaded->image, loaded->mask, *settings);
    if (!features)
        return reportError(features.error());

    if (arguments.format == "json") {
        Json values = Json::object();
        for (const auto &feature : *features)
            values[feature.tag] = std::isfinite(feature.value) ? Json(feature.value) : Json();
        std::cout << Json {
            { "modality", loaded->modality }, { "unit", loaded->image.unit }, { "roi", loaded->mask.roiName },
            { "roi_voxels", loaded->mask.count() }, { "warnings", loaded->warnings }, { "features", values }
        }.dump(2) << '\n';
        return 0;
    }
    const char separator = arguments.format == "tsv" ? '\t' : ',';
    std::cout << "tag" << separator << "value\n";
    for (const auto &feature : *features)
        std::cout << feature.tag << separator << formatNumber(feature.value, 10) << '\n';
    return 0;
}

// ---------------------------------------------------------------------------------------------- inspect

struct InspectArguments
{
    std::string path;
    std::string format = "json";
};

int runInspect(const InspectArguments &arguments)
{
    // Genomic formats are recognised by their first bytes; everything else is imaging's to judge.
    auto genomic = inspectGenomicFile(arguments.path);
    auto clinical = genomic ? std::nullopt : records::inspectRecordFile(arguments.path);
    auto report = genomic ? std::move(*genomic)
        : clinical        ? std::move(*clinical)
                          : inspectPath(arguments.path);
    if (!report)
        return reportError(report.error());
    for (const auto &warning : report->warnings)
        std::cerr << "mosaic-cli: warning: " << warning << '\n';

    if (arguments.format == "json") {
        // A list, in the order they should be shown: a key may repeat (one line per ROI of an
        // RTSTRUCT, per segment of a SEG, per series of a DICOMDIR).
        nlohmann::ordered_json facts = nlohmann::ordered_json::array();
        for (const auto &[key, value] : report->facts)
            facts.push_back({ { "key", key }, { "value", value } });
        std::cout << nlohmann::ordered_json {
            { "kind", report->kind }, { "facts", facts }, { "warnings", report->warnings }
        }.dump(2) << '\n';
        return 0;
    }
    // One row per fact; the kind first and each warning last, so the table stands alone.
    const char separator = arguments.format == "tsv" ? '\t' : ',';
    const auto quoted = [separator](const std::string &text) { return quoteCell(text, separator); };
    std::cout << "key" << separator << "value\n";
    std::cout << "kind" << separator << quoted(report->kind) << '\n';
    for (const auto &[key, value] : report->facts)
        std::cout << quoted(key) << separator << quoted(value) << '\n';
    for (const auto &warning : report->warnings)
        std::cout << "warning" << separator << quoted(warning) << '\n';
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    ensureStartupEnvironment(argv);

    CLI::App app {
        "Mosaic command line: inspect inputs, extract radiomics and genomic features, call "
        "pharmacogenomic diplotypes, score polygenic risk, train, predict and validate clinical risk "
        "models",
        "mosaic-cli"
    };
    app.set_version_flag("--version", std::string(MOSAIC_VERSION));
    app.require_subcommand(1);

    TrainArguments train;
    CLI::App *trainCommand
        = app.add_subcommand("train", "cross-validate and train a model; write its bundle");
    addTableOptions(*trainCommand, train.table, false);
    trainCommand
        ->add_option("--cohort", train.cohort, "cohort folder with cohort.csv (with a model specification)")
        ->check(CLI::ExistingDirectory)
        ->excludes("--table");
    trainCommand->add_option(
        "--label", train.label, "outcome column (0/1); a model specification names its own");
    trainCommand
        ->add_option("--spec", train.spec,
            "model specification (JSON, any modalities) or feature schema; default: every column but id and "
            "label")
        ->check(CLI::ExistingFile);
    trainCommand->add_option(
        "--coverage", train.coverage, "with a model specification: per-case modality coverage CSV to write");
    trainCommand->add_option("--predictions", train.predictions,
        "with a model specification: every case's out-of-fold prediction (CSV) to write");
    trainCommand->add_option("--threads", train.threads, "feature extraction workers (0: cores - 1)")
        ->check(CLI::Range(0, 256));
    trainCommand->add_option("--modality", train.modality, "modality of the columns when there is no --spec")
        ->check(CLI::IsMember({ "imaging", "genomics", "records" }));
    trainCommand->add_option("--out", train.out, "model bundle to write")->required();
    trainCommand->add_option("--name", train.name, "model name shown to clinicians");
    trainCommand->add_option("--outcome", train.outcome, "what the probability means, in words");
    trainCommand->add_option("--folds", train.folds, "cross-validation folds")->check(CLI::Range(2, 100));
    trainCommand->add_option("--repeats", train.repeats, "cross-validation repeats")
        ->check(CLI::Range(1, 1000));
    trainCommand->add_option("--seed", train.seed, "seed for the folds and the trees");
    trainCommand
        ->add_option("--select-features", train.selectFeatures,
            "nested cross-validation: candidate numbers of features to keep, chosen inside each fold")
        ->delimiter(',')
        ->check(CLI::Range(1, 100000));
    trainCommand->add_option("--inner-folds", train.innerFolds, "inner folds for feature selection")
        ->check(CLI::Range(2, 20));
    trainCommand
        ->add_option("--max-correlation", train.maxCorrelation,
            "skip a feature whose |Spearman| with a better one exceeds this")
        ->check(CLI::Range(0.0, 1.0));
    trainCommand->add_option("--rounds", train.training.rounds, "boosting rounds")
        ->check(CLI::Range(1, 100000));
    trainCommand->add_option("--max-depth", train.training.maxDepth, "tree depth")->check(CLI::Range(1, 20));
    trainCommand->add_option("--learning-rate", train.training.learningRate, "learning rate (eta)")
        ->check(CLI::Range(1e-4, 1.0));
    trainCommand->add_option("--subsample", train.training.subsample, "share of rows sampled for each tree")
        ->check(CLI::Range(0.01, 1.0));
    trainCommand
        ->add_option(
            "--column-sample", train.training.columnSample, "share of features sampled for each tree")
        ->check(CLI::Range(0.01, 1.0));
    addDistributedOptions(*trainCommand, train.distributed);
    addSigningOptions(*trainCommand, train.signing);
    trainCommand->add_option("--intended-use", train.intendedUse, "for whom and which decision, in words");
    trainCommand->add_option("--limitations", train.limitations, "what it was not validated for, in words");

    PredictArguments predict;
    CLI::App *predictCommand
        = app.add_subcommand("predict", "each patient's probability and top contributions");
    predictCommand->add_option("--model", predict.model, "model bundle")
        ->required()
        ->check(CLI::ExistingFile);
    addTableOptions(*predictCommand, predict.table);
    predictCommand->add_option("--top", predict.top, "contributions to list per patient")
        ->check(CLI::Range(0, 1000));
    predictCommand->add_option("--format", predict.format, "output format")
        ->check(CLI::IsMember({ "csv", "tsv", "json" }));
    addTrustOptions(*predictCommand, predict.trust);

    ValidateArguments validate;
    CLI::App *validateCommand
        = app.add_subcommand("validate", "discrimination and calibration on a labelled table");
    validateCommand->add_option("--model", validate.model, "model bundle")
        ->required()
        ->check(CLI::ExistingFile);
    addTableOptions(*validateCommand, validate.table);
    validateCommand->add_option("--label", validate.label, "outcome column (0/1)")->required();
    addTrustOptions(*validateCommand, validate.trust);

    RadiomicsArguments radiomics;
    CLI::App *radiomicsCommand
        = app.add_subcommand("radiomics", "IBSI 1 features of one region of interest, one row per feature");
    radiomicsCommand
        ->add_option("--image", radiomics.image, "DICOM series (folder, file or DICOMDIR) or NIfTI")
        ->required()
        ->check(CLI::ExistingPath);
    radiomicsCommand->add_option("--mask", radiomics.mask, "RTSTRUCT, SEG or NIfTI mask")
        ->required()
        ->check(CLI::ExistingFile);
    radiomicsCommand->add_option("--roi", radiomics.roi, "ROI name (RTSTRUCT) or segment label (SEG)");
    radiomicsCommand->add_option("--settings", radiomics.settings, "IBSI settings (JSON)")
        ->check(CLI::ExistingFile);
    radiomicsCommand->add_option("--format", radiomics.format, "output format")
        ->check(CLI::IsMember({ "csv", "tsv", "json" }));

    InspectArguments inspect;
    CLI::App *inspectCommand = app.add_subcommand("inspect",
        "what an input is and its key facts: DICOM file, series or DICOMDIR, NIfTI, RTSTRUCT, SEG, VCF/BCF, "
        "23andMe/AncestryDNA genotypes, PGS Catalog scoring file");
    inspectCommand->add_option("path", inspect.path, "file or folder")->required()->check(CLI::ExistingPath);
    inspectCommand->add_option("--format", inspect.format, "output format")
        ->check(CLI::IsMember({ "csv", "tsv", "json" }));

    GenomicsCommands genomics;
    addGenomicsCommands(app, genomics);
    RecordsCommands records;
    addRecordsCommands(app, records);
    PhenogroupCommand phenogroups;
    addPhenogroupCommand(app, phenogroups);
    KeyCommands keys;
    addKeyCommands(app, keys);
    SynthCommand synth;
    addSynthCommand(app, synth);

    try {
        app.parse(argc, argv);
    } catch (const CLI::Success &success) {
        return app.exit(success);
    } catch (const CLI::ParseError &error) {
        app.exit(error);
        return kExitUsage;
    }

    if (trainCommand->parsed())
        return runTrain(train);
    if (predictCommand->parsed())
        return runPredict(predict);
    if (radiomicsCommand->parsed())
        return runRadiomics(radiomics);
    if (inspectCommand->parsed())
        return runInspect(inspect);
    if (const auto status = runGenomicsCommand(genomics))
        return *status;
    if (const auto status = runRecordsCommand(records))
        return *status;
    if (const auto status = runPhenogroupCommand(phenogroups))
        return *status;
    if (const auto status = runKeyCommand(keys))
        return *status;
    if (const auto status = runSynthCommand(synth))
        return *status;
    return runValidate(validate);
}
