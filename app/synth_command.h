// SPDX-License-Identifier: Apache-2.0
// mosaic-cli synth: writes a synthetic multimodal cohort (core/synthetic) into a new or empty folder:
// per patient a CT series with an RTSTRUCT, a VCF and a FHIR bundle, plus cohort.csv, model_spec.json
// and ground_truth.json. Prints a JSON summary on stdout.
#pragma once

#include <CLI/CLI.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace mosaic::cli {

struct SynthArguments
{
    std::size_t patients = 100;
    std::string out;
    std::uint64_t seed = 1;
    double missingImaging = 0.0;
    double missingGenotypes = 0.0;
    bool noImaging = false;
    bool noGenotypes = false;
    bool noRecords = false;
    bool quiet = false;
};

struct SynthCommand
{
    CLI::App *command = nullptr;
    SynthArguments arguments;
};

// Registers the command; `command` must outlive parsing (CLI11 keeps references to its fields).
void addSynthCommand(CLI::App &app, SynthCommand &command);

// Runs it when it was parsed; std::nullopt otherwise.
[[nodiscard]] std::optional<int> runSynthCommand(const SynthCommand &command);

} // namespace mosaic::cli
