// SPDX-License-Identifier: Apache-2.0
// mosaic-cli's clinical-records command: `records --fhir PATH` (or `--csv PATH`) prints a summary
// of the file as JSON: resources by type and observations by code with their units.
// `record-features` derives a specification's record features for one patient at an index date,
// with units and provenance, optionally storing them in a workspace.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace mosaic::cli {

struct RecordsArguments
{
    std::string fhir;
    std::string csv;
};

struct RecordFeaturesArguments
{
    std::string fhir;
    std::string csv;
    std::string spec; // default: the shipped heart-failure specification
    std::string indexDate;
    std::string subject; // the record's patient id, when the file holds several
    std::string workspace;
    std::string patient;
    std::string format = "csv";
};

struct RecordsCommands
{
    CLI::App *records = nullptr;
    CLI::App *features = nullptr;
    RecordsArguments recordsArguments;
    RecordFeaturesArguments featuresArguments;
};

// Registers the command; `commands` must outlive parsing (CLI11 keeps references to its fields).
void addRecordsCommands(CLI::App &app, RecordsCommands &commands);

// The exit status of the records command that was parsed, or std::nullopt if none was.
[[nodiscard]] std::optional<int> runRecordsCommand(const RecordsCommands &commands);

} // namespace mosaic::cli
