// SPDX-License-Identifier: Apache-2.0
// Phenogroups in the manner of Shah et al. 2015 (Circulation 131:269): patients grouped by a
// Gaussian mixture on their standardised continuous variables, blind to outcome, the number of
// groups chosen by BIC; then, per group, its profile and its outcome: events, Kaplan-Meier curve and
// the hazard ratio against the lowest-risk group from a Cox model.
//
// Decisions, and why:
// - Only continuous variables enter the mixture. A Gaussian on a 0/1 variable is misspecified: a
//   component can put all its mass on one level and its variance then falls to the regularisation,
//   so BIC rewards splitting on binary levels rather than on phenotype. Binary variables are profiled
//   per group (proportions) but do not shape the groups. (Shah 2015 clustered continuous and
//   categorical variables together with model-based clustering; this is a narrower choice.)
// - Skewed positive variables (labs such as creatinine or CPK) may be log-transformed before
//   standardising (`logColumns`), so a long tail does not become a group of its own.
// - The outcome (time, event) is read only after the groups are fixed.
// - Groups are numbered 1..k by ascending event rate (events per unit of follow-up time, the
//   crude hazard), ties by mixture component order; group 1 is the lowest-risk reference of the
//   hazard ratios. The numbering uses the outcome, but the grouping does not.
// - Each patient is assigned to the group of highest posterior probability.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/records/gaussian_mixture.h"
#include "core/records/survival.h"

#include <Eigen/Core>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mosaic::records {

struct PhenogroupSettings
{
    std::vector<std::string> continuousColumns; // enter the mixture, standardised
    std::vector<std::string> logColumns; // among continuousColumns: natural log first (values must be > 0)
    std::vector<std::string> binaryColumns; // 0/1, profiled only
    std::string timeColumn; // follow-up time, >= 0
    std::string eventColumn; // 1 event, 0 censored
    int minGroups = 1;
    int maxGroups = 6;
    GaussianMixtureSettings mixture; // `components` is ignored: BIC chooses
    SurvivalInterval interval = SurvivalInterval::LogLog;
    std::vector<double> survivalTimes; // each group's S(t) is read off at these times
};

struct VariableProfile
{
    std::string name;
    bool binary = false;
    // Continuous, on the original scale (before any log): mean, sample SD (divisor n - 1), median.
    double mean = 0.0;
    double standardDeviation = 0.0;
    double median = 0.0;
    // Binary: patients with 1, and their share.
    std::size_t positives = 0;
    double proportion = 0.0;
};

struct Phenogroup
{
    int number = 0; // 1-based, by ascending event rate
    int component = 0; // the mixture component it is
    std::size_t patients = 0;
    std::size_t events = 0;
    double eventProportion = 0.0; // events / patients
    double followUpTime = 0.0; // sum of follow-up times
    double eventRate = 0.0; // events / followUpTime
    std::vector<VariableProfile> profile; // continuous columns, then binary columns
    std::optional<KaplanMeierCurve> survival; // absent for a group no patient was assigned to
    std::vector<std::optional<KaplanMeierStep>> survivalAt; // one per PhenogroupSettings::survivalTimes
    std::optional<CoxCoefficient> hazardRatio; // against group 1; absent for group 1 and when not estimable
    std::string hazardRatioNote; // why it is absent, when it is
};

struct PhenogroupAssignment
{
    int group = 0; // 1-based group number
    std::vector<double> posteriors; // by group number - 1
};

// What a new patient needs to be placed: the columns, their transforms, the cohort's standardisation,
// the mixture and the component-to-group numbering.
class PhenogroupModel
{
public:
    PhenogroupModel() = default;
    PhenogroupModel(std::vector<std::string> columns, std::vector<bool> logged,
        Standardisation standardisation, GaussianMixture mixture, std::vector<int> groupOfComponent);

    [[nodiscard]] const std::vector<std::string> &columns() const { return m_columns; }
    [[nodiscard]] const std::vector<bool> &logged() const { return m_logged; }
    [[nodiscard]] const Standardisation &standardisation() const { return m_standardisation; }
    [[nodiscard]] const GaussianMixture &mixture() const { return m_mixture; }
    [[nodiscard]] int groupOfComponent(int component) const
    {
        return m_groupOfComponent[static_cast<std::size_t>(component)];
    }

    // Raw values (original scale) in columns() order to the model's standardised scale. Refuses a
    // wrong count, a missing or non-finite value and a non-positive value of a logged column, naming it.
    [[nodiscard]] Result<Eigen::RowVectorXd> transform(std::span<const double> values) const;
    // The group of highest posterior probability and every group's posterior probability.
    [[nodiscard]] Result<PhenogroupAssignment> assign(std::span<const double> values) const;

private:
    std::vector<std::string> m_columns;
    std::vector<bool> m_logged;
    Standardisation m_standardisation;
    GaussianMixture m_mixture;
    std::vector<int> m_groupOfComponent; // 1-based group number of each component
};

struct MixtureCandidate
{
    int groups = 0;
    double logLikelihood = 0.0;
    std::size_t parameters = 0;
    double bic = 0.0;
    bool converged = false;
    int iterations = 0;
};

struct PhenogroupAnalysis
{
    std::string sourceName;
    std::size_t patients = 0;
    std::size_t events = 0;
    std::vector<MixtureCandidate> candidates; // BIC per number of groups
    int chosenGroups = 0;
    PhenogroupModel model;
    Eigen::MatrixXd standardised; // the mixture's input, rows x continuous columns
    std::vector<int> assignments; // group number per row
    std::vector<Phenogroup> groups; // by number
    std::optional<CoxModel> cox; // group indicators against group 1
    std::optional<LogRankTest> logRank; // across the non-empty groups
    std::vector<std::string> notes; // what could not be estimated, and why
};

// Refuses (NotFound) a column the table lacks; (InvalidArgument) no continuous column, a column
// named twice or both continuous and binary, a log column that is not continuous, a missing cell in
// a used column, a non-positive value in a log column, a binary or event cell other than 0/1 and a
// negative time (each naming the file, line and column), and fewer patients than maxGroups;
// and passes on the mixture's refusals (a constant column, ...).
[[nodiscard]] Result<PhenogroupAnalysis> analysePhenogroups(
    const CohortTable &table, const PhenogroupSettings &settings);

} // namespace mosaic::records
