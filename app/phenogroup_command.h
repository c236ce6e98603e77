// SPDX-License-Identifier: Apache-2.0
// mosaic-cli phenogroups: Gaussian-mixture phenogroups of a cohort table, blind to outcome, the number
// of groups chosen by BIC; per group its profile, events, Kaplan-Meier data and the hazard ratio
// against the lowest-risk group; optionally a new patient's group with posterior probabilities.
// JSON on stdout (core/records/phenogroups.h holds the method and its decisions).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mosaic::cli {

struct PhenogroupArguments
{
    std::string table;
    std::vector<std::string> columns;
    std::vector<std::string> logColumns;
    std::vector<std::string> binaryColumns;
    std::string time;
    std::string event;
    std::string covariance = "full";
    int minGroups = 1;
    int maxGroups = 6;
    double regularisation = 1e-6;
    int restarts = 10;
    std::uint64_t seed = 20261130;
    double tolerance = 1e-6;
    int maxIterations = 1000;
    std::vector<double> survivalTimes;
    std::string interval = "log-log";
    std::vector<std::string> patient; // name=value for each mixture column
};

struct PhenogroupCommand
{
    CLI::App *command = nullptr;
    PhenogroupArguments arguments;
};

// Registers the command; `command` must outlive parsing (CLI11 keeps references to its fields).
void addPhenogroupCommand(CLI::App &app, PhenogroupCommand &command);

// Runs it when it was parsed; std::nullopt otherwise.
[[nodiscard]] std::optional<int> runPhenogroupCommand(const PhenogroupCommand &command);

} // namespace mosaic::cli
