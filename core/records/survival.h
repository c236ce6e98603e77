// SPDX-License-Identifier: Apache-2.0
// Right-censored survival: Kaplan-Meier curves with Greenwood standard errors, the Cox
// proportional-hazards model (Newton-Raphson on the Breslow partial likelihood for tied event
// times), and the log-rank test across groups. Times are in whatever unit the caller's data uses;
// an event is 1, censoring 0.
#pragma once

#include "core/error.h"

#include <Eigen/Core>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace mosaic::records {

// How the pointwise 95 % interval of S(t) is formed from the Greenwood variance.
// LogLog: on log(-log S) (Kalbfleisch & Prentice; R survival's conf.type = "log-log"), which stays
// inside (0, 1). Plain: S +/- 1.96 SE, clipped to [0, 1].
enum class SurvivalInterval { LogLog, Plain };

struct KaplanMeierStep
{
    double time = 0.0;
    std::size_t atRisk = 0; // subjects with time >= this time
    std::size_t events = 0;
    std::size_t censored = 0; // censored at exactly this time (counted at risk here, gone after)
    double survival = 1.0; // S(t) just after this time
    double standardError = 0.0; // Greenwood: S sqrt(sum d / (n (n - d))); 0 once S reaches 0
    double lower = 1.0; // 95 % interval
    double upper = 1.0;
};

struct KaplanMeierCurve
{
    SurvivalInterval interval = SurvivalInterval::LogLog;
    std::size_t subjects = 0;
    std::size_t events = 0;
    std::vector<KaplanMeierStep> steps; // one per distinct time, event or censoring, ascending

    // The step in force at `time`: the last step at or before it (S is right-continuous, so at an
    // event time the drop has happened); before the first step, S = 1 with everyone at risk.
    // nullopt beyond the last observed time while S > 0: the curve is not estimated there.
    [[nodiscard]] std::optional<KaplanMeierStep> at(double time) const;
    // The first time S(t) <= 0.5; nullopt when the curve never gets there.
    [[nodiscard]] std::optional<double> medianSurvival() const;
};

// Refuses (InvalidArgument) empty input, different lengths, a negative or non-finite time, and an
// event flag other than 0 or 1 (naming the row, 0-based).
[[nodiscard]] Result<KaplanMeierCurve> kaplanMeier(std::span<const double> times, std::span<const int> events,
    SurvivalInterval interval = SurvivalInterval::LogLog);

struct CoxCoefficient
{
    std::string name;
    double coefficient = 0.0; // log hazard ratio
    double standardError = 0.0; // from the inverse observed information at the estimate
    double hazardRatio = 1.0;
    double lower = 1.0; // exp(b -/+ 1.959964 SE)
    double upper = 1.0;
    double z = 0.0; // Wald
    double p = 1.0; // two-sided Wald p
};

struct CoxModel
{
    std::vector<CoxCoefficient> coefficients;
    Eigen::MatrixXd covariance; // inverse observed information
    double logPartialLikelihood = 0.0; // Breslow, at the estimate
    double nullLogPartialLikelihood = 0.0; // at b = 0
    int iterations = 0;
    std::size_t subjects = 0;
    std::size_t events = 0;
};

struct CoxSettings
{
    int maxIterations = 50;
    double tolerance = 1e-10; // on the change in log partial likelihood, relative
    // A coefficient whose magnitude passes this has no finite estimate (monotone likelihood, e.g. a
    // covariate level without events); the fit is refused rather than reported as a huge ratio.
    double maxAbsCoefficient = 20.0;
    // Likewise a standard error above this (the likelihood has flattened out: the convergence test
    // can stop before the coefficient passes maxAbsCoefficient).
    double maxStandardError = 50.0;
};

// Cox proportional hazards by Newton-Raphson with step halving, ties handled by Breslow's
// approximation (as statsmodels PHReg ties="breslow" and R coxph ties="breslow"). `covariates` is
// subjects x coefficients; `names` one per column. Refuses bad times or events as kaplanMeier does,
// a covariate count that differs from the names, a non-finite covariate, no events,
// a singular information matrix (a constant or collinear covariate) and a coefficient without a
// finite estimate (ModelFailure, naming it).
[[nodiscard]] Result<CoxModel> fitCox(std::span<const double> times, std::span<const int> events,
    const Eigen::MatrixXd &covariates, std::vector<std::string> names, const CoxSettings &settings = {});

struct LogRankTest
{
    double chiSquare = 0.0;
    int degreesOfFreedom = 0;
    double p = 1.0;
    std::vector<double> observed; // events per group, in the order of the group labels' first sorted value
    std::vector<double> expected;
};

// The log-rank test (Mantel-Haenszel, hypergeometric variance at tied times) that the groups share
// one survival function. Groups are the distinct values of `groups`, ascending. Refuses fewer than
// two groups or no events, besides the checks of kaplanMeier.
[[nodiscard]] Result<LogRankTest> logRankTest(
    std::span<const double> times, std::span<const int> events, std::span<const int> groups);

// Upper tail of the chi-square distribution, P(X > x) with `degreesOfFreedom` > 0.
[[nodiscard]] double chiSquareUpperTail(double x, double degreesOfFreedom);

} // namespace mosaic::records
