// SPDX-License-Identifier: Apache-2.0
#include "app/records_commands.h"

#include "app/cli_support.h"
#include "core/records/csv_records.h"
#include "core/records/fhir_reader.h"
#include "core/records/record_features.h"
#include "core/records/record_inspection.h"
#include "core/records/ucum_units.h"
#include "core/store/workspace.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <filesystem>
#include <iostream>

namespace mosaic::cli {

namespace {

int runRecords(const RecordsArguments &arguments)
{
    Result<records::RecordSummary> summary = fail(ErrorCode::InvalidArgument, "give --fhir or --csv");
    std::filesystem::path path;
    if (!arguments.fhir.empty()) {
        path = arguments.fhir;
        auto collection = records::readFhirFile(path);
        summary = collection ? Result<records::RecordSummary>(records::summariseRecords(*collection))
                             : std::unexpected(collection.error());
    } else {
        path = arguments.csv;
        auto patients = records::readCsvRecords(path);
        summary = patients ? Result<records::RecordSummary>(records::summariseRecords(*patients))
                           : std::unexpected(patients.error());
    }
    if (!summary)
        return reportError(summary.error());
    for (const auto &warning : summary->warnings)
        std::cerr << "mosaic-cli: warning: " << warning << '\n';

    nlohmann::ordered_json observations = nlohmann::ordered_json::array();
    for (const auto &code : summary->observationCodes)
        observations.push_back({ { "system", code.system }, { "code", code.code },
            { "display", code.display }, { "count", code.count }, { "units", code.units } });
    nlohmann::ordered_json resources = nlohmann::ordered_json::object();
    for (const auto &[type, count] : summary->resourceCounts)
        resources[type] = count;
    nlohmann::ordered_json output {
        { "file", path.filename().string() },
        { "format", summary->format },
    };
    if (!summary->bundleType.empty())
        output["bundleType"] = summary->bundleType;
    output["patients"] = summary->patients;
    output[arguments.fhir.empty() ? "factsByKind" : "resourcesByType"] = resources;
    output["unattachedResources"] = summary->unattachedResources;
    output["observationsByCode"] = observations;
    std::cout << output.dump(2) << '\n';
    return 0;
}

// The one patient of the file, or the one whose record id is `subject`.
Result<records::PatientRecord> chooseRecord(
    std::vector<records::PatientRecord> patients, const std::string &subject, const std::string &fileName)
{
    if (subject.empty()) {
        if (patients.size() != 1)
            return fail(ErrorCode::InvalidArgument,
                "the file holds " + std::to_string(patients.size()) + " patients; name one with --subject",
                fileName);
        return std::move(patients.front());
    }
    for (records::PatientRecord &record : patients)
        if (record.patient.id == subject)
            return std::move(record);
    // The id is not repeated: it identifies a patient.
    return fail(ErrorCode::NotFound, "no patient with the --subject id given", fileName);
}

int runRecordFeatures(const RecordFeaturesArguments &arguments)
{
    if (arguments.workspace.empty() != arguments.patient.empty())
        return reportError({ ErrorCode::InvalidArgument, "--workspace and --patient go together", "" });
    const auto index = records::parseClinicalTime(arguments.indexDate);
    if (!index)
        return reportError({ ErrorCode::InvalidArgument,
            "--index-date is not a date or dateTime (2020-01-31, or 2020-01-31T08:00:00Z)", "" });
    auto units = records::UcumUnits::load(resourceDirectory() / "ucum" / "ucum-essence.xml");
    if (!units)
        return reportError(units.error());
    const std::filesystem::path specPath = arguments.spec.empty()
        ? resourceDirectory() / "records" / "heart_failure_record_features.json"
        : std::filesystem::path(arguments.spec);
    auto spec = records::RecordFeatureSpec::readFile(specPath, *units);
    if (!spec)
        return reportError(spec.error());

    const std::filesystem::path input = arguments.fhir.empty() ? arguments.csv : arguments.fhir;
    Result<std::vector<records::PatientRecord>> patients = fail(ErrorCode::InvalidArgument, "no input");
    if (arguments.fhir.empty()) {
        patients = records::readCsvRecords(input);
    } else if (auto collection = records::readFhirFile(input)) {
        patients = std::move(collection->patients);
    } else {
        patients = std::unexpected(collection.error());
    }
    if (!patients)
        return reportError(patients.error());
    auto record = chooseRecord(std::move(*patients), arguments.subject, input.filename().string());
    if (!record)
        return reportError(record.error());

    const records::DerivedRecordFeatures derived
        = records::deriveRecordFeatures(*record, *spec, *index, *units);
    for (const records::RecordFeatureWarning &warning : derived.warnings)
        std::cerr << "mosaic-cli: warning: " << warning.feature << ": " << warning.source << ": "
                  << warning.detail << '\n';

    if (!arguments.workspace.empty()) {
        auto workspace = Workspace::open(arguments.workspace);
        if (!workspace)
            return reportError(workspace.error());
        auto stored = workspace->inTransaction([&]() -> Result<void> {
            auto patientId = patientIdFor(*workspace, arguments.patient, input.filename().string());
            if (!patientId)
                return std::unexpected(patientId.error());
            return workspace->storeFeatures(*patientId, derived.values);
        });
        if (!stored)
            return reportError(stored.error());
        std::cerr << "mosaic-cli: stored " << derived.values.size() << " record features in the workspace\n";
    }

    const FeatureSchema &schema = derived.values.schema();
    if (arguments.format == "json") {
        nlohmann::ordered_json rows = nlohmann::ordered_json::array();
        for (std::size_t i = 0; i < derived.values.size(); ++i) {
            const double value = derived.values.value(i);
            rows.push_back({ { "name", schema.definitions()[i].name },
                { "value", std::isnan(value) ? nlohmann::ordered_json() : nlohmann::ordered_json(value) },
                { "unit", schema.definitions()[i].unit }, { "source", derived.values.provenance(i).source },
                { "location", derived.values.provenance(i).location } });
        }
        std::cout << rows.dump(2) << '\n';
        return 0;
    }
    const char separator = arguments.format == "tsv" ? '\t' : ',';
    std::cout << "name" << separator << "value" << separator << "unit" << separator << "source" << separator
              << "location\n";
    for (std::size_t i = 0; i < derived.values.size(); ++i)
        std::cout << quoteCell(schema.definitions()[i].name, separator) << separator
                  << formatNumber(derived.values.value(i), 10) << separator
                  << quoteCell(schema.definitions()[i].unit, separator) << separator
                  << quoteCell(derived.values.provenance(i).source, separator) << separator
                  << quoteCell(derived.values.provenance(i).location, separator) << '\n';
    return 0;
}

} // namespace

void addRecordsCommands(CLI::App &app, RecordsCommands &commands)
{
    RecordsArguments &arguments = commands.recordsArguments;
    commands.records = app.add_subcommand(
        "records", "clinical records summary as JSON: resources by type, observations by code and unit");
    auto *fhir
        = commands.records
              ->add_option("--fhir", arguments.fhir, "FHIR R4 JSON: a Bundle, one resource, or Bulk NDJSON")
              ->check(CLI::ExistingFile);
    auto *csv = commands.records
                    ->add_option("--csv", arguments.csv,
                        "long-format CSV records (patient,time,system,code,value,unit)")
                    ->check(CLI::ExistingFile);
    fhir->excludes(csv);
    commands.records->require_option(1);

    RecordFeaturesArguments &features = commands.featuresArguments;
    commands.features = app.add_subcommand("record-features",
        "a specification's record features for one patient at an index date: value, unit, provenance");
    auto *featuresFhir
        = commands.features
              ->add_option("--fhir", features.fhir, "FHIR R4 JSON: a Bundle, one resource, or Bulk NDJSON")
              ->check(CLI::ExistingFile);
    auto *featuresCsv = commands.features->add_option("--csv", features.csv, "long-format CSV records")
                            ->check(CLI::ExistingFile);
    featuresFhir->excludes(featuresCsv);
    commands.features
        ->add_option(
            "--spec", features.spec, "record feature specification (default: the shipped heart-failure one)")
        ->check(CLI::ExistingFile);
    commands.features
        ->add_option("--index-date", features.indexDate, "the date the features describe, e.g. 2020-01-31")
        ->required();
    commands.features->add_option(
        "--subject", features.subject, "the record's patient id when the file holds several");
    commands.features->add_option("--workspace", features.workspace, "store the features in this workspace");
    commands.features->add_option("--patient", features.patient, "the workspace patient to store them for");
    commands.features->add_option("--format", features.format, "output format")
        ->check(CLI::IsMember({ "csv", "tsv", "json" }));
}

std::optional<int> runRecordsCommand(const RecordsCommands &commands)
{
    if (commands.records != nullptr && commands.records->parsed())
        return runRecords(commands.recordsArguments);
    if (commands.features != nullptr && commands.features->parsed()) {
        if (commands.featuresArguments.fhir.empty() == commands.featuresArguments.csv.empty())
            return reportError({ ErrorCode::InvalidArgument, "give --fhir or --csv", "" });
        return runRecordFeatures(commands.featuresArguments);
    }
    return std::nullopt;
}

} // namespace mosaic::cli
