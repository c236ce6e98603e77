// SPDX-License-Identifier: Apache-2.0
// mosaic-cli's clinical-records command: `records --fhir PATH` (or `--csv PATH`) prints a summary
// of the file as JSON: resources by type and observations by code with their units.
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

struct RecordsCommands
{
    CLI::App *records = nullptr;
    RecordsArguments recordsArguments;
};

// Registers the command; `commands` must outlive parsing (CLI11 keeps references to its fields).
void addRecordsCommands(CLI::App &app, RecordsCommands &commands);

// The exit status of the records command that was parsed, or std::nullopt if none was.
[[nodiscard]] std::optional<int> runRecordsCommand(const RecordsCommands &commands);

} // namespace mosaic::cli
