// SPDX-License-Identifier: Apache-2.0
// mosaic-cli's genomic commands: `pgx` (star-allele diplotypes and phenotypes per gene), `prs`
// (polygenic scores per sample, with a reference population's percentile) and `genomic-features`
// (a specification's genomic features for one person, with provenance, optionally cached in a
// workspace so opening the patient never re-reads the genome).
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace mosaic::cli {

struct PgxArguments
{
    std::string genotypes;
    std::string sample;
    std::string definitions; // default: the installed resources' pgx folder
    std::string outsideCall;
    std::string absentSites = "missing";
    std::string format = "csv";
};

struct PrsArguments
{
    std::string genotypes;
    std::string score;
    std::string reference;
    bool skipAmbiguous = false;
    std::string format = "csv";
};

struct GenomicFeaturesArguments
{
    std::string genotypes;
    std::string sample;
    std::string expression;
    std::string expressionSample;
    std::string spec;
    std::string definitions;
    std::string outsideCall;
    std::string workspace;
    std::string patient;
    std::string format = "csv";
};

struct GenomicsCommands
{
    CLI::App *pgx = nullptr;
    CLI::App *prs = nullptr;
    CLI::App *features = nullptr;
    PgxArguments pgxArguments;
    PrsArguments prsArguments;
    GenomicFeaturesArguments featuresArguments;
};

// Registers the commands; `commands` must outlive parsing (CLI11 keeps references to its fields).
void addGenomicsCommands(CLI::App &app, GenomicsCommands &commands);

// Runs the genomic command that was parsed; std::nullopt when none was.
[[nodiscard]] std::optional<int> runGenomicsCommand(const GenomicsCommands &commands);

} // namespace mosaic::cli
