// SPDX-License-Identifier: Apache-2.0
#include "app/records_commands.h"

#include "app/cli_support.h"
#include "core/records/csv_records.h"
#include "core/records/fhir_reader.h"
#include "core/records/record_inspection.h"

#include <nlohmann/json.hpp>

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
}

std::optional<int> runRecordsCommand(const RecordsCommands &commands)
{
    if (commands.records != nullptr && commands.records->parsed())
        return runRecords(commands.recordsArguments);
    return std::nullopt;
}

} // namespace mosaic::cli
