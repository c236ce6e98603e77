// SPDX-License-Identifier: Apache-2.0
#include "app/cohort_training.h"

#include "app/cli_support.h"
#include "core/fusion/cohort_extraction.h"
#include "core/fusion/cohort_manifest.h"
#include "core/fusion/model_spec.h"
#include "core/genomics/pgx_definitions.h"
#include "core/model/model_training.h"
#include "core/model/stratified_folds.h"
#include "core/records/ucum_units.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <unistd.h>

namespace mosaic::cli {
namespace {

using Json = nlohmann::ordered_json;

// Per modality: cases with an input, cases whose input failed to load, mean share of its features present.
Json coverageSummary(const CohortFeatures &features)
{
    Json summary = Json::array();
    if (features.reports.empty())
        return summary;
    for (std::size_t m = 0; m < features.reports.front().modalities.size(); ++m) {
        std::size_t given = 0;
        std::size_t failed = 0;
        double presentShare = 0.0;
        const Modality modality = features.reports.front().modalities[m].modality;
        for (const CaseReport &report : features.reports) {
            const ModalityCoverage &coverage = report.modalities[m];
            given += coverage.inputGiven ? 1 : 0;
            failed += coverage.error.empty() ? 0 : 1;
            presentShare += coverage.inModel == 0
                ? 0.0
                : static_cast<double>(coverage.present) / static_cast<double>(coverage.inModel);
        }
        summary.push_back({ { "modality", modalityName(modality) }, { "cases_with_input", given },
            { "cases_failed_to_load", failed },
            { "mean_share_of_features_present", presentShare / static_cast<double>(features.rows()) } });
    }
    return summary;
}

Result<void> writeCoverage(const std::string &path, const CohortFeatures &features)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        return fail(ErrorCode::NotFound, "cannot write the coverage report", path);
    out << "patient,manifest_line,modality,features_present,features_in_model,input_given,error\n";
    for (std::size_t row = 0; row < features.rows(); ++row)
        for (const ModalityCoverage &coverage : features.reports[row].modalities)
            out << quoteCell(features.ids[row], ',') << ',' << features.lineNumbers[row] << ','
                << modalityName(coverage.modality) << ',' << coverage.present << ',' << coverage.inModel
                << ',' << (coverage.inputGiven ? "yes" : "no") << ',' << quoteCell(coverage.error, ',')
                << '\n';
    out.flush();
    if (!out)
        return fail(ErrorCode::StorageFailure, "writing the coverage report failed", path);
    return {};
}

// Every case's out-of-fold prediction, for the modeller to see which cases were missed.
Result<void> writePredictions(
    const std::string &path, const CohortFeatures &features, const TrainedModel &trained)
{
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        return fail(ErrorCode::NotFound, "cannot write the out-of-fold predictions", path);
    out << "patient,manifest_line,label,outer_fold,probability_out_of_fold,risk_out_of_fold\n";
    for (std::size_t row = 0; row < features.rows(); ++row)
        out << quoteCell(features.ids[row], ',') << ',' << features.lineNumbers[row] << ','
            << static_cast<int>(features.labels(static_cast<Eigen::Index>(row))) << ','
            << trained.outerFold[row] << ',' << formatNumber(trained.outOfFold[row], 9) << ','
            << formatNumber(trained.calibratedOutOfFold[row], 9) << '\n';
    out.flush();
    if (!out)
        return fail(ErrorCode::StorageFailure, "writing the out-of-fold predictions failed", path);
    return {};
}

} // namespace

bool isModelSpecification(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    std::string head(4096, '\0');
    in.read(head.data(), static_cast<std::streamsize>(head.size()));
    head.resize(static_cast<std::size_t>(in.gcount()));
    return head.find("\"mosaic-model-spec\"") != std::string::npos;
}

int runCohortTraining(const CohortTrainingArguments &arguments)
{
    auto units = records::UcumUnits::load(resourceDirectory() / "ucum" / "ucum-essence.xml");
    if (!units)
        return reportError(units.error());
    auto sharedUnits = std::make_shared<const records::UcumUnits>(std::move(*units));
    auto spec = ModelSpec::readFile(arguments.spec, sharedUnits);
    if (!spec)
        return reportError(spec.error());
    if (spec->task.type != TaskType::Binary)
        return reportError(fail(ErrorCode::Unsupported,
            "train writes bundles for binary outcomes; multi-class tasks are validated in core "
            "(nested model selection) but not yet packaged",
            spec->sourceName)
                               .error());
    // The key before the work: a wrong key file should not cost the modeller the training time.
    auto key = signingKeyFor(arguments.signing);
    if (!key)
        return reportError(key.error());

    auto manifest = readCohortManifest(arguments.manifest, *spec);
    if (!manifest)
        return reportError(manifest.error());

    std::optional<PgxDefinitionSet> pgx;
    CohortExtractionOptions options;
    options.workers = static_cast<unsigned>(std::max(0, arguments.threads));
    if (spec->genomics && !spec->genomics->spec.pgx.empty()) {
        auto loaded = loadPgxDefinitions(resourceDirectory() / "pgx");
        if (!loaded)
            return reportError(loaded.error());
        pgx = std::move(*loaded);
        options.pgxDefinitions = &*pgx;
    }
    const bool terminal = isatty(fileno(stderr)) != 0;
    if (terminal)
        options.progress = [](std::size_t done, std::size_t total) {
            std::cerr << "\rmosaic-cli: extracting features " << done << '/' << total
                      << (done == total ? "\n" : "") << std::flush;
        };
    auto features = extractCohortFeatures(*spec, *manifest, options);
    if (!features)
        return reportError(features.error());
    if (!arguments.coverage.empty())
        if (auto written = writeCoverage(arguments.coverage, *features); !written)
            return reportError(written.error());

    TrainingData data;
    data.sourceName = features->sourceName;
    data.features = features->features;
    data.labels.reserve(features->rows());
    for (Eigen::Index row = 0; row < features->labels.size(); ++row)
        data.labels.push_back(static_cast<int>(features->labels(row)));
    data.groups = groupCodes(features->groups);
    for (const std::string &column : spec->subgroups) {
        auto values = features->attribute(column);
        if (!values)
            return reportError(values.error());
        data.attributes.emplace_back(column, std::move(*values));
    }

    TrainingPlan plan;
    plan.name = arguments.name.empty() ? spec->name : arguments.name;
    plan.outcome = spec->task.outcome;
    plan.labelColumn = spec->task.label;
    plan.schema = *features->schema;
    plan.subgroups = spec->subgroups;
    plan.intendedUse = arguments.intendedUse.empty() ? spec->intendedUse : arguments.intendedUse;
    plan.limitations = arguments.limitations.empty() ? spec->limitations : arguments.limitations;
    plan.specification = spec->toJson();
    if (!spec->trainingJson.empty())
        if (auto read = readTrainingSection(spec->trainingJson, spec->sourceName, plan); !read)
            return reportError(read.error());
    if (!spec->abstentionJson.empty()) {
        auto policy = AbstentionPolicy::fromJson(spec->abstentionJson, spec->sourceName);
        if (!policy)
            return reportError(policy.error());
        plan.abstention = std::move(*policy);
    }

    TrainingPipelineProgress progress;
    if (terminal)
        progress = [](int done, int total) {
            std::cerr << "\rmosaic-cli: training " << done << '/' << total << (done == total ? "\n" : "")
                      << std::flush;
        };
    auto trained = trainModel(data, plan, {}, progress);
    if (!trained)
        return reportError(trained.error());
    if (!arguments.predictions.empty())
        if (auto written = writePredictions(arguments.predictions, *features, *trained); !written)
            return reportError(written.error());
    const ModelBundle *bundle = &trained->bundle;
    if (auto written = bundle->writeFile(arguments.out, *key); !written)
        return reportError(written.error());

    const ValidationReport &report = *bundle->validation;
    Json output = { { "model", bundle->name }, { "bundle", arguments.out }, { "cases", features->rows() },
        { "features", bundle->schema.size() }, { "coverage", coverageSummary(*features) },
        { "validation", Json::parse(report.details) } };
    std::cout << output.dump(2) << '\n';
    return 0;
}

} // namespace mosaic::cli
