// SPDX-License-Identifier: Apache-2.0
#include "app/phenogroup_command.h"

#include "app/cli_support.h"
#include "core/features/cohort_table.h"
#include "core/records/phenogroups.h"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <iostream>
#include <map>

namespace mosaic::cli {

namespace {

using Json = nlohmann::json;
using namespace mosaic::records;

// NaN and infinities have no JSON form: they become null.
Json number(double value)
{
    return std::isfinite(value) ? Json(value) : Json(nullptr);
}

Json stepJson(const KaplanMeierStep &step)
{
    return { { "time", step.time }, { "at_risk", step.atRisk }, { "events", step.events },
        { "censored", step.censored }, { "survival", number(step.survival) },
        { "standard_error", number(step.standardError) },
        { "ci95", { number(step.lower), number(step.upper) } } };
}

Json matrixJson(const Eigen::MatrixXd &matrix)
{
    Json rows = Json::array();
    for (Eigen::Index row = 0; row < matrix.rows(); ++row) {
        Json values = Json::array();
        for (Eigen::Index column = 0; column < matrix.cols(); ++column)
            values.push_back(matrix(row, column));
        rows.push_back(std::move(values));
    }
    return rows;
}

Json groupJson(const Phenogroup &group, const PhenogroupAnalysis &analysis, const std::vector<double> &times)
{
    Json profile = Json::array();
    for (const auto &variable : group.profile) {
        if (variable.binary)
            profile.push_back({ { "name", variable.name }, { "positives", variable.positives },
                { "proportion", variable.proportion } });
        else
            profile.push_back({ { "name", variable.name }, { "mean", variable.mean },
                { "sd", number(variable.standardDeviation) }, { "median", variable.median } });
    }
    Json entry = { { "group", group.number }, { "patients", group.patients }, { "events", group.events },
        { "event_proportion", group.eventProportion }, { "follow_up_time", group.followUpTime },
        { "events_per_1000_time_units", number(1000.0 * group.eventRate) },
        { "mixture_weight", analysis.model.mixture().weights()(group.component) }, { "profile", profile } };
    Json survivalAt = Json::array();
    for (std::size_t index = 0; index < times.size() && index < group.survivalAt.size(); ++index) {
        const auto &step = group.survivalAt[index];
        if (!step) {
            survivalAt.push_back({ { "time", times[index] }, { "survival", nullptr },
                { "note", "beyond the group's last follow-up" } });
            continue;
        }
        survivalAt.push_back({ { "time", times[index] }, { "survival", number(step->survival) },
            { "ci95", { number(step->lower), number(step->upper) } }, { "at_risk", step->atRisk } });
    }
    entry["survival_at"] = survivalAt;
    if (group.survival) {
        const auto median = group.survival->medianSurvival();
        entry["median_survival"] = median ? Json(*median) : Json(nullptr);
        Json steps = Json::array();
        for (const auto &step : group.survival->steps)
            steps.push_back(stepJson(step));
        entry["kaplan_meier"]
            = { { "interval", group.survival->interval == SurvivalInterval::LogLog ? "log-log" : "plain" },
                  { "steps", steps } };
    }
    if (group.hazardRatio) {
        const CoxCoefficient &ratio = *group.hazardRatio;
        entry["hazard_ratio"] = { { "versus_group", 1 }, { "hazard_ratio", ratio.hazardRatio },
            { "ci95", { ratio.lower, ratio.upper } }, { "log_hazard_ratio", ratio.coefficient },
            { "standard_error", ratio.standardError }, { "wald_p", ratio.p } };
    } else {
        entry["hazard_ratio"] = nullptr;
        entry["hazard_ratio_note"] = group.number == 1
            ? "reference group (lowest events per unit of follow-up)"
            : group.hazardRatioNote;
    }
    return entry;
}

Result<std::vector<double>> patientValues(const PhenogroupArguments &arguments)
{
    std::map<std::string, double> given;
    for (const auto &pair : arguments.patient) {
        const auto equals = pair.find('=');
        if (equals == std::string::npos)
            return fail(ErrorCode::InvalidArgument, "--patient takes name=value pairs; got '" + pair + "'");
        const std::string name = pair.substr(0, equals);
        const std::string text = pair.substr(equals + 1);
        double value = 0.0;
        const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
            return fail(ErrorCode::InvalidArgument, "--patient value of '" + name + "' is not a number");
        if (!given.emplace(name, value).second)
            return fail(ErrorCode::InvalidArgument, "--patient names '" + name + "' twice");
    }
    std::vector<double> values;
    for (const auto &column : arguments.columns) {
        const auto found = given.find(column);
        if (found == given.end())
            return fail(ErrorCode::InvalidArgument, "--patient lacks '" + column + "'");
        values.push_back(found->second);
        given.erase(found);
    }
    if (!given.empty())
        return fail(ErrorCode::InvalidArgument,
            "--patient names '" + given.begin()->first + "', which is not one of the --columns");
    return values;
}

int runPhenogroups(const PhenogroupArguments &arguments)
{
    CohortTableOptions options;
    options.labelRequired = false;
    auto table = readCohortTable(arguments.table, options);
    if (!table)
        return reportError(table.error());

    PhenogroupSettings settings;
    settings.continuousColumns = arguments.columns;
    settings.logColumns = arguments.logColumns;
    settings.binaryColumns = arguments.binaryColumns;
    settings.timeColumn = arguments.time;
    settings.eventColumn = arguments.event;
    settings.minGroups = arguments.minGroups;
    settings.maxGroups = arguments.maxGroups;
    settings.mixture.covariance
        = arguments.covariance == "diag" ? CovarianceType::Diagonal : CovarianceType::Full;
    settings.mixture.regularisation = arguments.regularisation;
    settings.mixture.restarts = arguments.restarts;
    settings.mixture.seed = arguments.seed;
    settings.mixture.tolerance = arguments.tolerance;
    settings.mixture.maxIterations = arguments.maxIterations;
    settings.interval = arguments.interval == "plain" ? SurvivalInterval::Plain : SurvivalInterval::LogLog;
    settings.survivalTimes = arguments.survivalTimes;

    std::optional<std::vector<double>> patient;
    if (!arguments.patient.empty()) {
        auto values = patientValues(arguments);
        if (!values)
            return reportError(values.error());
        patient = std::move(*values);
    }

    auto analysis = analysePhenogroups(*table, settings);
    if (!analysis)
        return reportError(analysis.error());

    Json variables = Json::array();
    const Standardisation &standardisation = analysis->model.standardisation();
    for (std::size_t column = 0; column < arguments.columns.size(); ++column)
        variables.push_back(
            { { "name", arguments.columns[column] }, { "log", analysis->model.logged()[column] },
                { "cohort_mean", standardisation.means(static_cast<Eigen::Index>(column)) },
                { "cohort_sd", standardisation.standardDeviations(static_cast<Eigen::Index>(column)) } });
    Json candidates = Json::array();
    for (const auto &candidate : analysis->candidates)
        candidates.push_back({ { "groups", candidate.groups }, { "log_likelihood", candidate.logLikelihood },
            { "parameters", candidate.parameters }, { "bic", candidate.bic },
            { "converged", candidate.converged }, { "iterations", candidate.iterations } });
    Json groups = Json::array();
    for (const auto &group : analysis->groups)
        groups.push_back(groupJson(group, *analysis, settings.survivalTimes));

    const GaussianMixture &mixture = analysis->model.mixture();
    Json covariances = Json::array();
    for (const auto &covariance : mixture.covariances())
        covariances.push_back(matrixJson(covariance));
    Json groupOfComponent = Json::array();
    for (int component = 0; component < mixture.components(); ++component)
        groupOfComponent.push_back(analysis->model.groupOfComponent(component));

    Json output = { { "source", analysis->sourceName }, { "patients", analysis->patients },
        { "events", analysis->events },
        { "protocol",
            { { "mixture_variables", variables }, { "profiled_binary_variables", arguments.binaryColumns },
                { "time", arguments.time }, { "event", arguments.event },
                { "standardisation", "(x - cohort mean) / cohort population SD, after the log where asked" },
                { "covariance", covarianceTypeName(settings.mixture.covariance) },
                { "regularisation", settings.mixture.regularisation },
                { "restarts", settings.mixture.restarts },
                { "initialisation", "greedy k-means++ then Lloyd k-means, per restart" },
                { "seed", settings.mixture.seed }, { "tolerance", settings.mixture.tolerance },
                { "max_iterations", settings.mixture.maxIterations },
                { "groups_tried", { settings.minGroups, settings.maxGroups } },
                { "assignment", "highest posterior probability" },
                { "group_numbering",
                    "ascending events per unit of follow-up time; group 1 is the reference" },
                { "cox_ties", "breslow" },
                { "survival_interval", arguments.interval == "plain" ? "plain" : "log-log" } } },
        { "bic_by_groups", candidates }, { "chosen_groups", analysis->chosenGroups }, { "groups", groups },
        { "mixture",
            { { "weights",
                  std::vector<double>(
                      mixture.weights().data(), mixture.weights().data() + mixture.weights().size()) },
                { "means", matrixJson(mixture.means()) }, { "covariances", covariances },
                { "group_of_component", groupOfComponent } } },
        { "notes", analysis->notes } };
    if (analysis->logRank)
        output["log_rank"] = { { "chi_square", analysis->logRank->chiSquare },
            { "degrees_of_freedom", analysis->logRank->degreesOfFreedom }, { "p", analysis->logRank->p } };
    if (analysis->cox)
        output["cox"] = { { "ties", "breslow" }, { "subjects", analysis->cox->subjects },
            { "events", analysis->cox->events },
            { "log_partial_likelihood", analysis->cox->logPartialLikelihood },
            { "null_log_partial_likelihood", analysis->cox->nullLogPartialLikelihood } };
    if (patient) {
        auto assignment = analysis->model.assign(*patient);
        if (!assignment)
            return reportError(assignment.error());
        Json posteriors = Json::array();
        for (std::size_t index = 0; index < assignment->posteriors.size(); ++index)
            posteriors.push_back(
                { { "group", index + 1 }, { "probability", assignment->posteriors[index] } });
        output["patient"] = { { "group", assignment->group }, { "posteriors", posteriors } };
    }
    std::cout << output.dump(2) << '\n';
    return 0;
}

} // namespace

void addPhenogroupCommand(CLI::App &app, PhenogroupCommand &command)
{
    PhenogroupArguments &arguments = command.arguments;
    command.command = app.add_subcommand("phenogroups",
        "Gaussian-mixture phenogroups of a cohort, blind to outcome, k by BIC; per group profile, events, "
        "Kaplan-Meier data and hazard ratio against the lowest-risk group (JSON)");
    CLI::App &sub = *command.command;
    sub.add_option("--table", arguments.table, "cohort table (CSV, one row per patient)")
        ->required()
        ->check(CLI::ExistingFile);
    sub.add_option("--columns", arguments.columns, "continuous columns that form the groups (standardised)")
        ->required()
        ->delimiter(',');
    sub.add_option("--log", arguments.logColumns, "of those, columns to log-transform first (skewed labs)")
        ->delimiter(',');
    sub.add_option(
           "--binary", arguments.binaryColumns, "0/1 columns to profile per group (not used for grouping)")
        ->delimiter(',');
    sub.add_option("--time", arguments.time, "follow-up time column")->required();
    sub.add_option("--event", arguments.event, "event column (1 event, 0 censored)")->required();
    sub.add_option("--covariance", arguments.covariance, "covariance of each component")
        ->check(CLI::IsMember({ "full", "diag" }));
    sub.add_option("--min-groups", arguments.minGroups, "fewest groups tried")->check(CLI::Range(1, 50));
    sub.add_option("--max-groups", arguments.maxGroups, "most groups tried")->check(CLI::Range(1, 50));
    sub.add_option("--regularisation", arguments.regularisation,
           "added to every variance (scikit-learn's reg_covar); raise it for rounded or imputed values")
        ->check(CLI::PositiveNumber);
    sub.add_option("--restarts", arguments.restarts, "k-means++ starts per number of groups")
        ->check(CLI::Range(1, 1000));
    sub.add_option("--seed", arguments.seed, "seed of the starts");
    sub.add_option("--tolerance", arguments.tolerance, "EM stops when the mean log-likelihood changes less")
        ->check(CLI::PositiveNumber);
    sub.add_option("--max-iterations", arguments.maxIterations, "EM iterations per start")
        ->check(CLI::Range(1, 100000));
    sub.add_option("--survival-at", arguments.survivalTimes, "times at which to read each group's survival")
        ->delimiter(',');
    sub.add_option("--interval", arguments.interval, "Kaplan-Meier 95 % interval")
        ->check(CLI::IsMember({ "log-log", "plain" }));
    sub.add_option(
           "--patient", arguments.patient, "a new patient's values, name=value for every --columns entry")
        ->delimiter(',');
}

std::optional<int> runPhenogroupCommand(const PhenogroupCommand &command)
{
    if (command.command != nullptr && command.command->parsed())
        return runPhenogroups(command.arguments);
    return std::nullopt;
}

} // namespace mosaic::cli
