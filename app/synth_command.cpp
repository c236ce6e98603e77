// SPDX-License-Identifier: Apache-2.0
#include "app/synth_command.h"

#include "app/cli_support.h"
#include "core/synthetic/synthetic_cohort.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <iostream>

namespace mosaic::cli {

void addSynthCommand(CLI::App &app, SynthCommand &command)
{
    SynthArguments &arguments = command.arguments;
    command.command = app.add_subcommand("synth",
        "write a SYNTHETIC multimodal cohort (CT + RTSTRUCT, VCF, FHIR, cohort.csv, ground truth) for "
        "testing");
    CLI::App &synth = *command.command;
    synth.add_option("--patients", arguments.patients, "number of synthetic patients")
        ->required()
        ->check(CLI::Range(std::size_t { 1 }, synthetic::kMaxSyntheticPatients));
    synth.add_option("--out", arguments.out, "new or empty folder to write the cohort into")->required();
    synth.add_option("--seed", arguments.seed, "seed: the same seed gives the same files byte for byte");
    synth.add_option("--missing-imaging", arguments.missingImaging, "fraction of patients without imaging")
        ->check(CLI::Range(0.0, 1.0));
    synth.add_option("--missing-genotypes", arguments.missingGenotypes, "fraction of patients without a VCF")
        ->check(CLI::Range(0.0, 1.0));
    synth.add_flag("--no-imaging", arguments.noImaging, "write no DICOM at all (fast scale runs)");
    synth.add_flag("--no-genotypes", arguments.noGenotypes, "write no VCF at all");
    synth.add_flag("--no-records", arguments.noRecords, "write no FHIR bundle at all");
    synth.add_flag("--quiet", arguments.quiet, "no progress on stderr");
}

std::optional<int> runSynthCommand(const SynthCommand &command)
{
    if (!command.command || !command.command->parsed())
        return std::nullopt;
    const SynthArguments &arguments = command.arguments;
    synthetic::SyntheticCohortOptions options;
    options.patients = arguments.patients;
    options.seed = arguments.seed;
    options.missingImaging = arguments.missingImaging;
    options.missingGenotypes = arguments.missingGenotypes;
    options.imaging = !arguments.noImaging;
    options.genotypes = !arguments.noGenotypes;
    options.records = !arguments.noRecords;

    const auto start = std::chrono::steady_clock::now();
    std::size_t lastPercent = 0;
    auto progress = [&](std::size_t done, std::size_t total) {
        const std::size_t percent = done * 100 / total;
        if (!arguments.quiet && percent >= lastPercent + 10) {
            lastPercent = percent;
            std::cerr << "mosaic-cli synth: " << done << " of " << total << " patients\n";
        }
        return true;
    };
    auto summary = synthetic::writeSyntheticCohort(arguments.out, options, progress);
    if (!summary)
        return reportError(summary.error());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const nlohmann::ordered_json out { { "synthetic", true }, { "folder", arguments.out },
        { "patients", summary->patients }, { "seed", arguments.seed }, { "positives", summary->positives },
        { "mean_probability", summary->meanProbability }, { "with_imaging", summary->withImaging },
        { "with_genotypes", summary->withGenotypes }, { "with_records", summary->withRecords },
        { "seconds", seconds } };
    std::cout << out.dump(2) << '\n';
    return 0;
}

} // namespace mosaic::cli
