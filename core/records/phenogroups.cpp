// SPDX-License-Identifier: Apache-2.0
#include "core/records/phenogroups.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace mosaic::records {

namespace {

std::string cellPlace(const CohortTable &table, std::size_t row, const std::string &column)
{
    return table.sourceName + ", line " + std::to_string(table.lineNumbers[row]) + ", column '" + column
        + "'";
}

Result<Eigen::Index> columnIndex(const CohortTable &table, const std::string &name)
{
    const auto found = std::find(table.featureColumns.begin(), table.featureColumns.end(), name);
    if (found == table.featureColumns.end())
        return fail(ErrorCode::NotFound, "no column '" + name + "'", table.sourceName);
    return static_cast<Eigen::Index>(found - table.featureColumns.begin());
}

// One column as doubles; refuses a missing cell, naming its line.
Result<std::vector<double>> columnValues(const CohortTable &table, const std::string &name)
{
    auto index = columnIndex(table, name);
    if (!index)
        return std::unexpected(index.error());
    std::vector<double> values(table.rows());
    for (std::size_t row = 0; row < table.rows(); ++row) {
        const double value = table.features(static_cast<Eigen::Index>(row), *index);
        if (!std::isfinite(value))
            return fail(ErrorCode::InvalidArgument, "phenogroups need every used cell; this one is missing",
                cellPlace(table, row, name));
        values[row] = value;
    }
    return values;
}

Result<void> checkBinary(const CohortTable &table, const std::vector<double> &values, const std::string &name)
{
    for (std::size_t row = 0; row < values.size(); ++row)
        if (values[row] != 0.0 && values[row] != 1.0)
            return fail(
                ErrorCode::InvalidArgument, "a binary variable must be 0 or 1", cellPlace(table, row, name));
    return {};
}

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

VariableProfile continuousProfile(const std::string &name, const std::vector<double> &values)
{
    VariableProfile profile;
    profile.name = name;
    const auto n = static_cast<double>(values.size());
    profile.mean = std::accumulate(values.begin(), values.end(), 0.0) / n;
    double squares = 0.0;
    for (double value : values)
        squares += (value - profile.mean) * (value - profile.mean);
    profile.standardDeviation = values.size() > 1 ? std::sqrt(squares / (n - 1.0)) : 0.0;
    profile.median = median(values);
    return profile;
}

} // namespace

PhenogroupModel::PhenogroupModel(std::vector<std::string> columns, std::vector<bool> logged,
    Standardisation standardisation, GaussianMixture mixture, std::vector<int> groupOfComponent)
    : m_columns(std::move(columns))
    , m_logged(std::move(logged))
    , m_standardisation(std::move(standardisation))
    , m_mixture(std::move(mixture))
    , m_groupOfComponent(std::move(groupOfComponent))
{ }

Result<Eigen::RowVectorXd> PhenogroupModel::transform(std::span<const double> values) const
{
    if (values.size() != m_columns.size())
        return fail(ErrorCode::InvalidArgument,
            "the phenogroup model needs " + std::to_string(m_columns.size()) + " values, one per column; got "
                + std::to_string(values.size()));
    Eigen::MatrixXd row(1, static_cast<Eigen::Index>(values.size()));
    for (std::size_t column = 0; column < values.size(); ++column) {
        double value = values[column];
        if (!std::isfinite(value))
            return fail(ErrorCode::InvalidArgument, "value is missing or not finite",
                "column '" + m_columns[column] + "'");
        if (m_logged[column]) {
            if (value <= 0.0)
                return fail(ErrorCode::InvalidArgument, "a log-transformed variable must be positive",
                    "column '" + m_columns[column] + "'");
            value = std::log(value);
        }
        row(0, static_cast<Eigen::Index>(column)) = value;
    }
    auto standardised = m_standardisation.apply(row);
    if (!standardised)
        return std::unexpected(standardised.error());
    return Eigen::RowVectorXd(standardised->row(0));
}

Result<PhenogroupAssignment> PhenogroupModel::assign(std::span<const double> values) const
{
    auto row = transform(values);
    if (!row)
        return std::unexpected(row.error());
    auto posteriors = m_mixture.posteriors(Eigen::MatrixXd(*row));
    if (!posteriors)
        return std::unexpected(posteriors.error());
    PhenogroupAssignment assignment;
    assignment.posteriors.assign(static_cast<std::size_t>(m_mixture.components()), 0.0);
    Eigen::Index best = 0;
    posteriors->row(0).maxCoeff(&best);
    assignment.group = groupOfComponent(static_cast<int>(best));
    for (int component = 0; component < m_mixture.components(); ++component)
        assignment.posteriors[static_cast<std::size_t>(groupOfComponent(component) - 1)]
            = (*posteriors)(0, component);
    return assignment;
}

Result<PhenogroupAnalysis> analysePhenogroups(const CohortTable &table, const PhenogroupSettings &settings)
{
    if (settings.continuousColumns.empty())
        return fail(ErrorCode::InvalidArgument, "phenogroups need at least one continuous column");
    std::set<std::string> seen;
    for (const auto *list : { &settings.continuousColumns, &settings.binaryColumns })
        for (const auto &name : *list)
            if (!seen.insert(name).second)
                return fail(ErrorCode::InvalidArgument, "column '" + name + "' is named twice");
    if (seen.contains(settings.timeColumn) || seen.contains(settings.eventColumn))
        return fail(ErrorCode::InvalidArgument,
            "the outcome columns cannot also be grouping or profile variables: the groups are fitted blind "
            "to outcome");
    for (const auto &name : settings.logColumns)
        if (std::find(settings.continuousColumns.begin(), settings.continuousColumns.end(), name)
            == settings.continuousColumns.end())
            return fail(
                ErrorCode::InvalidArgument, "log column '" + name + "' is not one of the continuous columns");
    if (table.rows() < static_cast<std::size_t>(std::max(settings.maxGroups, 2)))
        return fail(ErrorCode::InvalidArgument,
            std::to_string(table.rows()) + " patients are too few for up to "
                + std::to_string(settings.maxGroups) + " groups",
            table.sourceName);

    const auto rows = static_cast<Eigen::Index>(table.rows());
    const auto dimensions = static_cast<Eigen::Index>(settings.continuousColumns.size());
    Eigen::MatrixXd transformed(rows, dimensions);
    std::vector<std::vector<double>> continuousRaw;
    std::vector<bool> logged;
    for (Eigen::Index column = 0; column < dimensions; ++column) {
        const std::string &name = settings.continuousColumns[static_cast<std::size_t>(column)];
        auto values = columnValues(table, name);
        if (!values)
            return std::unexpected(values.error());
        const bool isLogged = std::find(settings.logColumns.begin(), settings.logColumns.end(), name)
            != settings.logColumns.end();
        logged.push_back(isLogged);
        for (Eigen::Index row = 0; row < rows; ++row) {
            double value = (*values)[static_cast<std::size_t>(row)];
            if (isLogged) {
                if (value <= 0.0)
                    return fail(ErrorCode::InvalidArgument, "a log-transformed variable must be positive",
                        cellPlace(table, static_cast<std::size_t>(row), name));
                value = std::log(value);
            }
            transformed(row, column) = value;
        }
        continuousRaw.push_back(std::move(*values));
    }
    std::vector<std::vector<double>> binaryRaw;
    for (const auto &name : settings.binaryColumns) {
        auto values = columnValues(table, name);
        if (!values)
            return std::unexpected(values.error());
        if (auto binary = checkBinary(table, *values, name); !binary)
            return std::unexpected(binary.error());
        binaryRaw.push_back(std::move(*values));
    }

    // The mixture, blind to outcome.
    auto standardisation = Standardisation::fit(transformed, settings.continuousColumns);
    if (!standardisation) {
        Error error = standardisation.error();
        error.location = table.sourceName;
        return std::unexpected(error);
    }
    PhenogroupAnalysis analysis;
    analysis.sourceName = table.sourceName;
    analysis.patients = table.rows();
    analysis.standardised = *standardisation->apply(transformed);
    auto selection = selectGaussianMixture(
        analysis.standardised, settings.minGroups, settings.maxGroups, settings.mixture);
    if (!selection)
        return std::unexpected(selection.error());
    for (std::size_t index = 0; index < selection->fits.size(); ++index) {
        const GaussianMixture &fit = selection->fits[index];
        analysis.candidates.push_back({ selection->minComponents + static_cast<int>(index), fit.logLikelihood,
            fit.parameterCount(), fit.bic(), fit.converged, fit.iterations });
    }
    analysis.chosenGroups = selection->chosenComponents;
    const GaussianMixture &mixture = selection->chosen();
    const Eigen::MatrixXd posteriors = *mixture.posteriors(analysis.standardised);
    std::vector<int> component(table.rows());
    for (Eigen::Index row = 0; row < rows; ++row) {
        Eigen::Index best = 0;
        posteriors.row(row).maxCoeff(&best);
        component[static_cast<std::size_t>(row)] = static_cast<int>(best);
    }

    // Only now the outcome.
    auto times = columnValues(table, settings.timeColumn);
    if (!times)
        return std::unexpected(times.error());
    auto eventValues = columnValues(table, settings.eventColumn);
    if (!eventValues)
        return std::unexpected(eventValues.error());
    if (auto binary = checkBinary(table, *eventValues, settings.eventColumn); !binary)
        return std::unexpected(binary.error());
    for (std::size_t row = 0; row < times->size(); ++row)
        if ((*times)[row] < 0.0)
            return fail(ErrorCode::InvalidArgument, "follow-up time must be at least 0",
                cellPlace(table, row, settings.timeColumn));
    std::vector<int> events(eventValues->size());
    for (std::size_t row = 0; row < events.size(); ++row)
        events[row] = (*eventValues)[row] == 1.0 ? 1 : 0;
    analysis.events = static_cast<std::size_t>(std::count(events.begin(), events.end(), 1));

    const int components = mixture.components();
    std::vector<Phenogroup> groups(static_cast<std::size_t>(components));
    for (int c = 0; c < components; ++c)
        groups[static_cast<std::size_t>(c)].component = c;
    for (std::size_t row = 0; row < table.rows(); ++row) {
        Phenogroup &group = groups[static_cast<std::size_t>(component[row])];
        ++group.patients;
        group.events += static_cast<std::size_t>(events[row]);
        group.followUpTime += (*times)[row];
    }
    for (auto &group : groups) {
        group.eventProportion = group.patients > 0
            ? static_cast<double>(group.events) / static_cast<double>(group.patients)
            : 0.0;
        group.eventRate = group.followUpTime > 0.0 ? static_cast<double>(group.events) / group.followUpTime
                                                   : (group.events > 0 ? HUGE_VAL : 0.0);
    }
    // Numbered by ascending event rate; an empty group goes last.
    std::stable_sort(groups.begin(), groups.end(), [](const Phenogroup &a, const Phenogroup &b) {
        if ((a.patients == 0) != (b.patients == 0))
            return b.patients == 0;
        return a.eventRate < b.eventRate;
    });
    std::vector<int> groupOfComponent(static_cast<std::size_t>(components));
    for (std::size_t index = 0; index < groups.size(); ++index) {
        groups[index].number = static_cast<int>(index) + 1;
        groupOfComponent[static_cast<std::size_t>(groups[index].component)] = groups[index].number;
    }
    analysis.assignments.resize(table.rows());
    for (std::size_t row = 0; row < table.rows(); ++row)
        analysis.assignments[row] = groupOfComponent[static_cast<std::size_t>(component[row])];

    // Profiles and Kaplan-Meier curves.
    for (auto &group : groups) {
        std::vector<std::size_t> members;
        for (std::size_t row = 0; row < table.rows(); ++row)
            if (analysis.assignments[row] == group.number)
                members.push_back(row);
        if (members.empty()) {
            analysis.notes.push_back("group " + std::to_string(group.number)
                + ": no patient has it as their most probable group; it has no profile or outcome");
            continue;
        }
        for (std::size_t column = 0; column < continuousRaw.size(); ++column) {
            std::vector<double> values;
            for (std::size_t row : members)
                values.push_back(continuousRaw[column][row]);
            group.profile.push_back(continuousProfile(settings.continuousColumns[column], values));
        }
        for (std::size_t column = 0; column < binaryRaw.size(); ++column) {
            VariableProfile profile;
            profile.name = settings.binaryColumns[column];
            profile.binary = true;
            for (std::size_t row : members)
                profile.positives += binaryRaw[column][row] == 1.0 ? 1 : 0;
            profile.proportion = static_cast<double>(profile.positives) / static_cast<double>(members.size());
            group.profile.push_back(profile);
        }
        std::vector<double> groupTimes;
        std::vector<int> groupEvents;
        for (std::size_t row : members) {
            groupTimes.push_back((*times)[row]);
            groupEvents.push_back(events[row]);
        }
        auto curve = kaplanMeier(groupTimes, groupEvents, settings.interval);
        if (!curve)
            return std::unexpected(curve.error());
        for (double time : settings.survivalTimes)
            group.survivalAt.push_back(curve->at(time));
        group.survival = std::move(*curve);
    }

    // Hazard ratios against group 1 from one Cox model with an indicator per other group. A group
    // without events has no finite ratio; its patients are left out of the model, which does not
    // change what the other ratios compare.
    const Phenogroup &reference = groups.front();
    std::vector<int> modelled;
    for (const auto &group : groups) {
        if (group.number == reference.number || group.patients == 0)
            continue;
        if (group.events == 0) {
            groups[static_cast<std::size_t>(group.number - 1)].hazardRatioNote
                = "no events in this group: the hazard ratio has no finite estimate";
            continue;
        }
        modelled.push_back(group.number);
    }
    if (groups.size() > 1 && reference.events == 0) {
        analysis.notes.push_back(
            "group 1, the reference, has no events: hazard ratios against it are not finite");
        for (auto &group : groups)
            if (group.number != 1 && group.hazardRatioNote.empty())
                group.hazardRatioNote = "the reference group has no events";
    } else if (!modelled.empty()) {
        std::vector<double> coxTimes;
        std::vector<int> coxEvents;
        std::vector<int> coxGroups;
        for (std::size_t row = 0; row < table.rows(); ++row) {
            const int group = analysis.assignments[row];
            if (group != 1 && std::find(modelled.begin(), modelled.end(), group) == modelled.end())
                continue;
            coxTimes.push_back((*times)[row]);
            coxEvents.push_back(events[row]);
            coxGroups.push_back(group);
        }
        Eigen::MatrixXd indicators = Eigen::MatrixXd::Zero(
            static_cast<Eigen::Index>(coxTimes.size()), static_cast<Eigen::Index>(modelled.size()));
        std::vector<std::string> names;
        for (std::size_t j = 0; j < modelled.size(); ++j) {
            names.push_back("group " + std::to_string(modelled[j]) + " vs 1");
            for (std::size_t row = 0; row < coxGroups.size(); ++row)
                indicators(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(j))
                    = coxGroups[row] == modelled[j] ? 1.0 : 0.0;
        }
        auto cox = fitCox(coxTimes, coxEvents, indicators, names);
        if (!cox) {
            analysis.notes.push_back("Cox model: " + cox.error().detail);
        } else {
            for (std::size_t j = 0; j < modelled.size(); ++j)
                groups[static_cast<std::size_t>(modelled[j] - 1)].hazardRatio = cox->coefficients[j];
            analysis.cox = std::move(*cox);
        }
    }
    const auto nonEmpty
        = std::count_if(groups.begin(), groups.end(), [](const Phenogroup &g) { return g.patients > 0; });
    if (nonEmpty > 1 && analysis.events > 0) {
        auto logRank = logRankTest(*times, events, analysis.assignments);
        if (logRank)
            analysis.logRank = std::move(*logRank);
        else
            analysis.notes.push_back("log-rank test: " + logRank.error().detail);
    }

    analysis.model = PhenogroupModel(settings.continuousColumns, std::move(logged),
        std::move(*standardisation), mixture, std::move(groupOfComponent));
    analysis.groups = std::move(groups);
    return analysis;
}

} // namespace mosaic::records
