// SPDX-License-Identifier: Apache-2.0
#include "core/records/survival.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace mosaic::records {

namespace {

constexpr double kZ95 = 1.959963984540054; // the standard normal's 97.5th percentile

Result<void> checkSurvivalInput(std::span<const double> times, std::span<const int> events)
{
    if (times.empty())
        return fail(ErrorCode::InvalidArgument, "survival analysis needs at least one subject");
    if (times.size() != events.size())
        return fail(ErrorCode::InvalidArgument,
            std::to_string(times.size()) + " times but " + std::to_string(events.size()) + " event flags");
    for (std::size_t row = 0; row < times.size(); ++row) {
        if (!std::isfinite(times[row]) || times[row] < 0.0)
            return fail(ErrorCode::InvalidArgument, "time must be a finite number of at least 0",
                "row " + std::to_string(row));
        if (events[row] != 0 && events[row] != 1)
            return fail(ErrorCode::InvalidArgument, "event must be 0 (censored) or 1 (event)",
                "row " + std::to_string(row));
    }
    return {};
}

std::vector<std::size_t> orderByTime(std::span<const double> times)
{
    std::vector<std::size_t> order(times.size());
    std::iota(order.begin(), order.end(), std::size_t { 0 });
    std::stable_sort(
        order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return times[a] < times[b]; });
    return order;
}

struct PartialLikelihood
{
    double value = 0.0;
    Eigen::VectorXd gradient;
    Eigen::MatrixXd information; // minus the Hessian
};

// Breslow's partial likelihood: at each distinct event time with d events,
// sum over the events of x b - d log sum over the risk set of exp(x b). `order` is ascending by time.
PartialLikelihood breslow(std::span<const double> times, std::span<const int> events,
    const Eigen::MatrixXd &x, const std::vector<std::size_t> &order, const Eigen::VectorXd &beta)
{
    const Eigen::Index p = x.cols();
    PartialLikelihood result;
    result.gradient = Eigen::VectorXd::Zero(p);
    result.information = Eigen::MatrixXd::Zero(p, p);
    double s0 = 0.0;
    Eigen::VectorXd s1 = Eigen::VectorXd::Zero(p);
    Eigen::MatrixXd s2 = Eigen::MatrixXd::Zero(p, p);
    const Eigen::VectorXd linear = x * beta;
    // Walk from the latest time back, so the risk set (time >= t) only grows.
    std::size_t end = order.size();
    while (end > 0) {
        const double time = times[order[end - 1]];
        std::size_t begin = end;
        while (begin > 0 && times[order[begin - 1]] == time)
            --begin;
        double deaths = 0.0;
        Eigen::VectorXd deathCovariates = Eigen::VectorXd::Zero(p);
        double deathLinear = 0.0;
        for (std::size_t position = begin; position < end; ++position) {
            const auto row = static_cast<Eigen::Index>(order[position]);
            const double weight = std::exp(linear(row));
            s0 += weight;
            s1 += weight * x.row(row).transpose();
            s2 += weight * x.row(row).transpose() * x.row(row);
            if (events[order[position]] == 1) {
                deaths += 1.0;
                deathCovariates += x.row(row).transpose();
                deathLinear += linear(row);
            }
        }
        if (deaths > 0.0) {
            const Eigen::VectorXd mean = s1 / s0;
            result.value += deathLinear - deaths * std::log(s0);
            result.gradient += deathCovariates - deaths * mean;
            result.information += deaths * (s2 / s0 - mean * mean.transpose());
        }
        end = begin;
    }
    return result;
}

// Regularised upper incomplete gamma Q(a, x) (Numerical Recipes 6.2: series below a + 1, Lentz's
// continued fraction above).
double upperIncompleteGamma(double a, double x)
{
    if (x <= 0.0)
        return 1.0;
    const double logPrefactor = -x + a * std::log(x) - std::lgamma(a);
    if (x < a + 1.0) {
        double term = 1.0 / a;
        double sum = term;
        for (int n = 1; n < 10000; ++n) {
            term *= x / (a + n);
            sum += term;
            if (std::abs(term) < std::abs(sum) * 1e-16)
                break;
        }
        return std::max(0.0, 1.0 - sum * std::exp(logPrefactor));
    }
    const double tiny = 1e-300;
    double b = x + 1.0 - a;
    double c = 1.0 / tiny;
    double d = 1.0 / b;
    double h = d;
    for (int i = 1; i < 10000; ++i) {
        const double an = -i * (i - a);
        b += 2.0;
        d = an * d + b;
        if (std::abs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (std::abs(c) < tiny)
            c = tiny;
        d = 1.0 / d;
        const double delta = d * c;
        h *= delta;
        if (std::abs(delta - 1.0) < 1e-16)
            break;
    }
    return std::exp(logPrefactor) * h;
}

} // namespace

std::optional<KaplanMeierStep> KaplanMeierCurve::at(double time) const
{
    if (steps.empty() || time < steps.front().time) {
        KaplanMeierStep start;
        start.time = 0.0;
        start.atRisk = subjects;
        return start;
    }
    if (time > steps.back().time && steps.back().survival > 0.0)
        return std::nullopt;
    auto after = std::upper_bound(steps.begin(), steps.end(), time,
        [](double t, const KaplanMeierStep &step) { return t < step.time; });
    return *(after - 1);
}

std::optional<double> KaplanMeierCurve::medianSurvival() const
{
    for (const auto &step : steps)
        if (step.survival <= 0.5)
            return step.time;
    return std::nullopt;
}

Result<KaplanMeierCurve> kaplanMeier(
    std::span<const double> times, std::span<const int> events, SurvivalInterval interval)
{
    if (auto valid = checkSurvivalInput(times, events); !valid)
        return std::unexpected(valid.error());
    const std::vector<std::size_t> order = orderByTime(times);
    KaplanMeierCurve curve;
    curve.interval = interval;
    curve.subjects = times.size();
    double survival = 1.0;
    double greenwoodSum = 0.0;
    std::size_t position = 0;
    while (position < order.size()) {
        KaplanMeierStep step;
        step.time = times[order[position]];
        step.atRisk = order.size() - position;
        while (position < order.size() && times[order[position]] == step.time) {
            if (events[order[position]] == 1)
                ++step.events;
            else
                ++step.censored;
            ++position;
        }
        curve.events += step.events;
        const auto n = static_cast<double>(step.atRisk);
        const auto d = static_cast<double>(step.events);
        survival *= 1.0 - d / n;
        if (step.events < step.atRisk)
            greenwoodSum += d / (n * (n - d));
        step.survival = survival;
        if (survival <= 0.0) {
            step.survival = 0.0;
            step.standardError = 0.0;
            step.lower = step.upper = 0.0;
        } else {
            step.standardError = survival * std::sqrt(greenwoodSum);
            if (greenwoodSum == 0.0) {
                step.lower = step.upper = survival;
            } else if (interval == SurvivalInterval::Plain) {
                step.lower = std::max(0.0, survival - kZ95 * step.standardError);
                step.upper = std::min(1.0, survival + kZ95 * step.standardError);
            } else {
                // log(-log S) has SE sqrt(greenwoodSum) / |log S| (the delta method).
                const double logSurvival = std::log(survival);
                const double theta = std::log(-logSurvival);
                const double spread = kZ95 * std::sqrt(greenwoodSum) / std::abs(logSurvival);
                step.lower = std::exp(-std::exp(theta + spread));
                step.upper = std::exp(-std::exp(theta - spread));
            }
        }
        curve.steps.push_back(step);
    }
    return curve;
}

Result<CoxModel> fitCox(std::span<const double> times, std::span<const int> events,
    const Eigen::MatrixXd &covariates, std::vector<std::string> names, const CoxSettings &settings)
{
    if (auto valid = checkSurvivalInput(times, events); !valid)
        return std::unexpected(valid.error());
    if (static_cast<std::size_t>(covariates.rows()) != times.size())
        return fail(ErrorCode::InvalidArgument, "the covariates need one row per subject");
    if (covariates.cols() < 1 || names.size() != static_cast<std::size_t>(covariates.cols()))
        return fail(ErrorCode::InvalidArgument,
            "a Cox model needs at least one covariate and one name per covariate");
    if (!covariates.allFinite())
        return fail(ErrorCode::InvalidArgument, "covariates must be finite");
    const auto eventCount = static_cast<std::size_t>(std::count(events.begin(), events.end(), 1));
    if (eventCount == 0)
        return fail(ErrorCode::InvalidArgument, "a Cox model needs at least one event");

    // Centring changes neither the estimates nor the partial likelihood, and keeps exp() in range.
    const Eigen::MatrixXd x = covariates.rowwise() - covariates.colwise().mean();
    const std::vector<std::size_t> order = orderByTime(times);
    const Eigen::Index p = x.cols();
    Eigen::VectorXd beta = Eigen::VectorXd::Zero(p);
    PartialLikelihood current = breslow(times, events, x, order, beta);
    CoxModel model;
    model.nullLogPartialLikelihood = current.value;
    model.subjects = times.size();
    model.events = eventCount;
    bool converged = false;
    for (int iteration = 1; iteration <= settings.maxIterations; ++iteration) {
        model.iterations = iteration;
        Eigen::LDLT<Eigen::MatrixXd> solver(current.information);
        if (solver.info() != Eigen::Success || !solver.isPositive()
            || solver.vectorD().minCoeff() <= 1e-12 * std::max(1.0, solver.vectorD().maxCoeff()))
            return fail(ErrorCode::ModelFailure,
                "the Cox model's information matrix is singular (a covariate is constant among the subjects "
                "at "
                "risk, or covariates are collinear)");
        const Eigen::VectorXd step = solver.solve(current.gradient);
        double scale = 1.0;
        PartialLikelihood next = breslow(times, events, x, order, beta + step);
        // Step halving: Newton can overshoot far from the optimum.
        for (int halving = 0;
             halving < 30 && !(next.value >= current.value - 1e-12 * std::abs(current.value)); ++halving) {
            scale *= 0.5;
            next = breslow(times, events, x, order, beta + scale * step);
        }
        beta += scale * step;
        const double change = std::abs(next.value - current.value);
        current = std::move(next);
        if ((beta.array().abs() > settings.maxAbsCoefficient).any())
            break;
        if (change <= settings.tolerance * std::max(1.0, std::abs(current.value))) {
            converged = true;
            break;
        }
    }
    for (Eigen::Index j = 0; j < p; ++j)
        if (std::abs(beta(j)) > settings.maxAbsCoefficient)
            return fail(ErrorCode::ModelFailure,
                "the Cox coefficient of '" + names[static_cast<std::size_t>(j)]
                    + "' has no finite estimate (the likelihood keeps rising as it grows, e.g. a group "
                      "without "
                      "events)");
    if (!converged)
        return fail(ErrorCode::ModelFailure,
            "the Cox model did not converge in " + std::to_string(settings.maxIterations) + " iterations");
    Eigen::LDLT<Eigen::MatrixXd> finalSolver(current.information);
    if (finalSolver.info() != Eigen::Success || !finalSolver.isPositive()
        || finalSolver.vectorD().minCoeff() <= 1e-12 * std::max(1.0, finalSolver.vectorD().maxCoeff()))
        return fail(
            ErrorCode::ModelFailure, "the Cox model's information matrix is singular at the estimate");
    model.covariance = finalSolver.solve(Eigen::MatrixXd::Identity(p, p));
    for (Eigen::Index j = 0; j < p; ++j)
        if (!(std::sqrt(model.covariance(j, j)) <= settings.maxStandardError))
            return fail(ErrorCode::ModelFailure,
                "the Cox coefficient of '" + names[static_cast<std::size_t>(j)]
                    + "' has no finite estimate (its standard error is unbounded, e.g. a group without "
                      "events)");
    model.logPartialLikelihood = current.value;
    for (Eigen::Index j = 0; j < p; ++j) {
        CoxCoefficient coefficient;
        coefficient.name = names[static_cast<std::size_t>(j)];
        coefficient.coefficient = beta(j);
        coefficient.standardError = std::sqrt(model.covariance(j, j));
        coefficient.hazardRatio = std::exp(beta(j));
        coefficient.lower = std::exp(beta(j) - kZ95 * coefficient.standardError);
        coefficient.upper = std::exp(beta(j) + kZ95 * coefficient.standardError);
        coefficient.z = beta(j) / coefficient.standardError;
        coefficient.p = std::erfc(std::abs(coefficient.z) / std::sqrt(2.0));
        model.coefficients.push_back(std::move(coefficient));
    }
    return model;
}

Result<LogRankTest> logRankTest(
    std::span<const double> times, std::span<const int> events, std::span<const int> groups)
{
    if (auto valid = checkSurvivalInput(times, events); !valid)
        return std::unexpected(valid.error());
    if (groups.size() != times.size())
        return fail(ErrorCode::InvalidArgument, "the log-rank test needs one group label per subject");
    std::vector<int> labels(groups.begin(), groups.end());
    std::sort(labels.begin(), labels.end());
    labels.erase(std::unique(labels.begin(), labels.end()), labels.end());
    if (labels.size() < 2)
        return fail(ErrorCode::InvalidArgument, "the log-rank test needs at least two groups");
    if (std::count(events.begin(), events.end(), 1) == 0)
        return fail(ErrorCode::InvalidArgument, "the log-rank test needs at least one event");
    const auto groupCount = static_cast<Eigen::Index>(labels.size());
    std::vector<Eigen::Index> groupOf(times.size());
    for (std::size_t row = 0; row < times.size(); ++row)
        groupOf[row] = std::lower_bound(labels.begin(), labels.end(), groups[row]) - labels.begin();

    const std::vector<std::size_t> order = orderByTime(times);
    Eigen::VectorXd atRisk = Eigen::VectorXd::Zero(groupCount);
    for (std::size_t row = 0; row < times.size(); ++row)
        atRisk(groupOf[row]) += 1.0;
    Eigen::VectorXd observed = Eigen::VectorXd::Zero(groupCount);
    Eigen::VectorXd expected = Eigen::VectorXd::Zero(groupCount);
    Eigen::MatrixXd variance = Eigen::MatrixXd::Zero(groupCount, groupCount);
    std::size_t position = 0;
    while (position < order.size()) {
        const double time = times[order[position]];
        Eigen::VectorXd deaths = Eigen::VectorXd::Zero(groupCount);
        Eigen::VectorXd leaving = Eigen::VectorXd::Zero(groupCount);
        while (position < order.size() && times[order[position]] == time) {
            const std::size_t row = order[position];
            leaving(groupOf[row]) += 1.0;
            if (events[row] == 1)
                deaths(groupOf[row]) += 1.0;
            ++position;
        }
        const double d = deaths.sum();
        const double n = atRisk.sum();
        if (d > 0.0) {
            observed += deaths;
            expected += d * atRisk / n;
            if (n > 1.0) {
                const double factor = d * (n - d) / (n - 1.0);
                const Eigen::VectorXd share = atRisk / n;
                variance += factor * (Eigen::MatrixXd(share.asDiagonal()) - share * share.transpose());
            }
        }
        atRisk -= leaving;
    }
    // The statistic on the first G - 1 groups (the G deviations sum to zero).
    const Eigen::Index used = groupCount - 1;
    const Eigen::VectorXd deviation = (observed - expected).head(used);
    Eigen::LDLT<Eigen::MatrixXd> solver(variance.topLeftCorner(used, used));
    if (solver.info() != Eigen::Success || !solver.isPositive() || solver.vectorD().minCoeff() <= 0.0)
        return fail(ErrorCode::InvalidArgument,
            "the log-rank variance is singular (a group has no subject at risk at any event time)");
    LogRankTest test;
    test.chiSquare = deviation.dot(solver.solve(deviation));
    test.degreesOfFreedom = static_cast<int>(used);
    test.p = chiSquareUpperTail(test.chiSquare, static_cast<double>(used));
    test.observed.assign(observed.data(), observed.data() + groupCount);
    test.expected.assign(expected.data(), expected.data() + groupCount);
    return test;
}

double chiSquareUpperTail(double x, double degreesOfFreedom)
{
    return upperIncompleteGamma(0.5 * degreesOfFreedom, 0.5 * x);
}

} // namespace mosaic::records
