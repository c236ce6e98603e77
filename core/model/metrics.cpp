// SPDX-License-Identifier: Apache-2.0
#include "core/model/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace mosaic {

namespace {

// Two-sided 95% normal quantile, Phi^-1(0.975).
constexpr double kZ975 = 1.959964;

// Keeps logit(p) finite for predictions of exactly 0 or 1; |logit| stays below 28.
constexpr double kProbabilityFloor = 1e-12;

// Newton-Raphson on a strictly concave log-likelihood converges quadratically; 100 iterations
// is far beyond what a fit with an existing maximum needs, so hitting the cap means trouble.
constexpr int kMaxNewtonIterations = 100;
constexpr double kNewtonStepTolerance = 1e-12;
constexpr int kMaxStepHalvings = 60;

struct ClassCounts
{
    std::size_t positives = 0;
    std::size_t negatives = 0;
};

// Sizes, emptiness, labels and finiteness: what every metric here needs before it can start.
// `valueName` and `valuesName`: singular and plural ("score", "scores") for the messages.
Result<ClassCounts> validate(std::span<const double> values, std::span<const int> labels,
    std::string_view valueName, std::string_view valuesName)
{
    if (values.size() != labels.size())
        return fail(ErrorCode::InvalidArgument,
            std::to_string(values.size()) + " " + std::string(valuesName) + " but "
                + std::to_string(labels.size()) + " labels; they must pair up one to one");
    if (values.empty())
        return fail(ErrorCode::InvalidArgument, "there are no rows to evaluate");
    ClassCounts counts;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        if (labels[row] == 1)
            ++counts.positives;
        else if (labels[row] == 0)
            ++counts.negatives;
        else
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row)
                    + " is neither 0 (event absent) nor 1 (event present)");
        if (!std::isfinite(values[row]))
            return fail(ErrorCode::InvalidArgument,
                std::string(valueName) + " at row " + std::to_string(row) + " is not a finite number");
    }
    return counts;
}

Result<ClassCounts> validateProbabilities(std::span<const double> probabilities, std::span<const int> labels)
{
    auto counts = validate(probabilities, labels, "probability", "probabilities");
    if (!counts)
        return counts;
    for (std::size_t row = 0; row < probabilities.size(); ++row) {
        if (probabilities[row] < 0.0 || probabilities[row] > 1.0)
            return fail(ErrorCode::InvalidArgument,
                "probability " + std::to_string(probabilities[row]) + " at row " + std::to_string(row)
                    + " lies outside [0, 1]");
    }
    return counts;
}

Result<void> requireBothClasses(const ClassCounts &counts, std::string_view metric)
{
    if (counts.positives == 0)
        return fail(ErrorCode::InvalidArgument,
            std::string(metric) + " needs both classes, but no row has label 1 (event present)");
    if (counts.negatives == 0)
        return fail(ErrorCode::InvalidArgument,
            std::string(metric) + " needs both classes, but no row has label 0 (event absent)");
    return {};
}

// Mann-Whitney kernel psi counted against a sorted sample: how many of `sorted` lie below
// `value`, plus half of those equal to it.
double countBelowWithHalfTies(const std::vector<double> &sorted, double value)
{
    const auto lower = std::ranges::lower_bound(sorted, value);
    const auto upper = std::ranges::upper_bound(sorted, value);
    return static_cast<double>(lower - sorted.begin()) + 0.5 * static_cast<double>(upper - lower);
}

double sampleVariance(const std::vector<double> &values, double mean)
{
    double sumOfSquares = 0.0;
    for (const double value : values)
        sumOfSquares += (value - mean) * (value - mean);
    return sumOfSquares / static_cast<double>(values.size() - 1);
}

double sigmoid(double eta)
{
    // Split by sign so exp never overflows.
    if (eta >= 0.0)
        return 1.0 / (1.0 + std::exp(-eta));
    const double e = std::exp(eta);
    return e / (1.0 + e);
}

// log P(y | eta) for a Bernoulli outcome with log-odds eta, without overflow: log(1 + e^eta)
// = max(eta, 0) + log1p(e^-|eta|).
double bernoulliLogLikelihood(int label, double eta)
{
    return (label == 1 ? eta : 0.0) - (std::max(eta, 0.0) + std::log1p(std::exp(-std::abs(eta))));
}

double logit(double probability)
{
    const double p = std::clamp(probability, kProbabilityFloor, 1.0 - kProbabilityFloor);
    return std::log(p / (1.0 - p));
}

// Logistic regression logit P(y=1) = a + b * x, by damped Newton-Raphson. Returns b.
// The caller has ruled out separation, so the maximum exists and the Hessian is definite.
Result<double> fitLogisticSlope(const std::vector<double> &x, std::span<const int> labels, double eventRate)
{
    // Centring x leaves b unchanged and keeps the 2x2 Hessian well conditioned when every
    // prediction is extreme (x far from 0).
    const double meanX = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(x.size());
    const auto logLikelihood = [&](double a, double b) {
        double sum = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i)
            sum += bernoulliLogLikelihood(labels[i], a + b * (x[i] - meanX));
        return sum;
    };

    double a = std::log(eventRate / (1.0 - eventRate));
    double b = 0.0;
    double current = logLikelihood(a, b);
    for (int iteration = 0; iteration < kMaxNewtonIterations; ++iteration) {
        double gradientA = 0.0, gradientB = 0.0, hessianAA = 0.0, hessianAB = 0.0, hessianBB = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double centred = x[i] - meanX;
            const double fitted = sigmoid(a + b * centred);
            const double weight = fitted * (1.0 - fitted);
            const double residual = labels[i] - fitted;
            gradientA += residual;
            gradientB += residual * centred;
            hessianAA += weight;
            hessianAB += weight * centred;
            hessianBB += weight * centred * centred;
        }
        const double determinant = hessianAA * hessianBB - hessianAB * hessianAB;
        if (!(determinant > 0.0) || !std::isfinite(determinant))
            break;
        const double stepA = (hessianBB * gradientA - hessianAB * gradientB) / determinant;
        const double stepB = (hessianAA * gradientB - hessianAB * gradientA) / determinant;
        if (std::abs(stepA) <= kNewtonStepTolerance * (1.0 + std::abs(a))
            && std::abs(stepB) <= kNewtonStepTolerance * (1.0 + std::abs(b)))
            return b + stepB;

        // Halve the step until the likelihood does not fall; a small rounding allowance stops
        // the search from rejecting the last tiny steps near the maximum.
        const double allowance = 1e-12 * (1.0 + std::abs(current));
        double scale = 1.0;
        bool accepted = false;
        for (int halving = 0; halving < kMaxStepHalvings; ++halving, scale *= 0.5) {
            const double candidate = logLikelihood(a + scale * stepA, b + scale * stepB);
            if (std::isfinite(candidate) && candidate >= current - allowance) {
                a += scale * stepA;
                b += scale * stepB;
                current = candidate;
                accepted = true;
                break;
            }
        }
        if (!accepted)
            break;
    }
    return fail(ErrorCode::InvalidArgument,
        "the calibration slope fit did not converge; the predictions may nearly separate the classes");
}

// Logistic regression with the offset x and only an intercept: logit P(y=1) = a + x.
// The score equation sum(y) = sum(sigmoid(a + x)) has exactly one root when both classes are
// present, and its left side is monotone in a, so damped Newton always reaches it.
Result<double> fitOffsetIntercept(const std::vector<double> &x, std::span<const int> labels)
{
    const auto logLikelihood = [&](double a) {
        double sum = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i)
            sum += bernoulliLogLikelihood(labels[i], a + x[i]);
        return sum;
    };

    double a = 0.0;
    double current = logLikelihood(a);
    for (int iteration = 0; iteration < kMaxNewtonIterations; ++iteration) {
        double gradient = 0.0, hessian = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) {
            const double fitted = sigmoid(a + x[i]);
            gradient += labels[i] - fitted;
            hessian += fitted * (1.0 - fitted);
        }
        if (!(hessian > 0.0) || !std::isfinite(hessian))
            break;
        const double step = gradient / hessian;
        if (std::abs(step) <= kNewtonStepTolerance * (1.0 + std::abs(a)))
            return a + step;

        const double allowance = 1e-12 * (1.0 + std::abs(current));
        double scale = 1.0;
        bool accepted = false;
        for (int halving = 0; halving < kMaxStepHalvings; ++halving, scale *= 0.5) {
            const double candidate = logLikelihood(a + scale * step);
            if (std::isfinite(candidate) && candidate >= current - allowance) {
                a += scale * step;
                current = candidate;
                accepted = true;
                break;
            }
        }
        if (!accepted)
            break;
    }
    return fail(ErrorCode::InvalidArgument, "the calibration-in-the-large fit did not converge");
}

} // namespace

Result<AurocEstimate> aurocDeLong(std::span<const double> scores, std::span<const int> labels)
{
    const auto counts = validate(scores, labels, "score", "scores");
    if (!counts)
        return std::unexpected(counts.error());
    if (auto both = requireBothClasses(*counts, "AUROC"); !both)
        return std::unexpected(both.error());
    // The structural components' sample variances divide by n - 1; with a single case or
    // control the spread of that class cannot be estimated at all.
    if (counts->positives < 2 || counts->negatives < 2)
        return fail(ErrorCode::InvalidArgument,
            "the DeLong standard error needs at least two cases and two controls; there are "
                + std::to_string(counts->positives) + " case(s) and " + std::to_string(counts->negatives)
                + " control(s)");

    std::vector<double> caseScores, controlScores;
    caseScores.reserve(counts->positives);
    controlScores.reserve(counts->negatives);
    for (std::size_t row = 0; row < scores.size(); ++row)
        (labels[row] == 1 ? caseScores : controlScores).push_back(scores[row]);
    std::ranges::sort(caseScores);
    std::ranges::sort(controlScores);

    const auto caseCount = static_cast<double>(caseScores.size());
    const auto controlCount = static_cast<double>(controlScores.size());

    // DeLong et al. 1988: V10(case) is the share of controls it outranks, V01(control) the share
    // of cases that outrank it; both average to the AUROC. Binary search makes this O(n log n).
    std::vector<double> caseComponents, controlComponents;
    caseComponents.reserve(caseScores.size());
    controlComponents.reserve(controlScores.size());
    double pairsWon = 0.0;
    for (const double score : caseScores) {
        const double won = countBelowWithHalfTies(controlScores, score);
        pairsWon += won;
        caseComponents.push_back(won / controlCount);
    }
    // Cases above a control plus half the tied ones = all cases - (cases below + half the tied).
    for (const double score : controlScores)
        controlComponents.push_back((caseCount - countBelowWithHalfTies(caseScores, score)) / caseCount);

    AurocEstimate estimate;
    estimate.auroc = pairsWon / (caseCount * controlCount);
    const double variance = sampleVariance(caseComponents, estimate.auroc) / caseCount
        + sampleVariance(controlComponents, estimate.auroc) / controlCount;
    estimate.standardError = std::sqrt(variance);
    estimate.ci95.lower = std::clamp(estimate.auroc - kZ975 * estimate.standardError, 0.0, 1.0);
    estimate.ci95.upper = std::clamp(estimate.auroc + kZ975 * estimate.standardError, 0.0, 1.0);
    return estimate;
}

Result<double> averagePrecision(std::span<const double> scores, std::span<const int> labels)
{
    const auto counts = validate(scores, labels, "score", "scores");
    if (!counts)
        return std::unexpected(counts.error());
    if (counts->positives == 0)
        return fail(ErrorCode::InvalidArgument,
            "average precision needs at least one row with label 1 (event present); recall is undefined");

    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), std::size_t { 0 });
    std::ranges::sort(
        order, [&](std::size_t left, std::size_t right) { return scores[left] > scores[right]; });

    const auto positives = static_cast<double>(counts->positives);
    double truePositives = 0.0, falsePositives = 0.0, previousRecall = 0.0, sum = 0.0;
    for (std::size_t i = 0; i < order.size(); ++i) {
        if (labels[order[i]] == 1)
            truePositives += 1.0;
        else
            falsePositives += 1.0;
        // Rows with equal scores cannot be told apart by any threshold, so precision and recall
        // are taken only after the last row of a tied run (scikit-learn does the same).
        const bool lastOfThreshold = i + 1 == order.size() || scores[order[i + 1]] != scores[order[i]];
        if (!lastOfThreshold)
            continue;
        const double recall = truePositives / positives;
        sum += (recall - previousRecall) * (truePositives / (truePositives + falsePositives));
        previousRecall = recall;
    }
    return sum;
}

Result<double> brierScore(std::span<const double> probabilities, std::span<const int> labels)
{
    const auto counts = validateProbabilities(probabilities, labels);
    if (!counts)
        return std::unexpected(counts.error());
    double sum = 0.0;
    for (std::size_t row = 0; row < probabilities.size(); ++row) {
        const double difference = probabilities[row] - labels[row];
        sum += difference * difference;
    }
    return sum / static_cast<double>(probabilities.size());
}

Result<CalibrationFit> calibration(std::span<const double> probabilities, std::span<const int> labels)
{
    const auto counts = validateProbabilities(probabilities, labels);
    if (!counts)
        return std::unexpected(counts.error());
    if (auto both = requireBothClasses(*counts, "calibration"); !both)
        return std::unexpected(both.error());

    std::vector<double> logits(probabilities.size());
    std::ranges::transform(probabilities, logits.begin(), logit);

    const auto [lowest, highest] = std::ranges::minmax(logits);
    if (lowest == highest)
        return fail(ErrorCode::InvalidArgument,
            "all predicted probabilities are equal, so the calibration slope is undefined");

    // With one predictor the logistic maximum-likelihood estimate exists exactly when the classes
    // overlap on it; if every case lies on one side of every control (ties at the boundary
    // included) the slope runs off to infinity (Albert & Anderson 1984).
    double lowestCase = highest, highestCase = lowest, lowestControl = highest, highestControl = lowest;
    for (std::size_t row = 0; row < logits.size(); ++row) {
        if (labels[row] == 1) {
            lowestCase = std::min(lowestCase, logits[row]);
            highestCase = std::max(highestCase, logits[row]);
        } else {
            lowestControl = std::min(lowestControl, logits[row]);
            highestControl = std::max(highestControl, logits[row]);
        }
    }
    if (highestControl <= lowestCase || highestCase <= lowestControl)
        return fail(ErrorCode::InvalidArgument,
            "the predictions separate the classes completely, so the calibration slope is infinite "
            "(no maximum-likelihood fit exists)");

    const double eventRate
        = static_cast<double>(counts->positives) / static_cast<double>(probabilities.size());
    const auto slope = fitLogisticSlope(logits, labels, eventRate);
    if (!slope)
        return std::unexpected(slope.error());
    const auto intercept = fitOffsetIntercept(logits, labels);
    if (!intercept)
        return std::unexpected(intercept.error());
    return CalibrationFit { .slope = *slope, .intercept = *intercept };
}

Result<BinaryMetrics> evaluateBinary(std::span<const double> probabilities, std::span<const int> labels)
{
    const auto counts = validateProbabilities(probabilities, labels);
    if (!counts)
        return std::unexpected(counts.error());

    auto auroc = aurocDeLong(probabilities, labels);
    if (!auroc)
        return std::unexpected(auroc.error());
    const auto auprc = averagePrecision(probabilities, labels);
    if (!auprc)
        return std::unexpected(auprc.error());
    const auto brier = brierScore(probabilities, labels);
    if (!brier)
        return std::unexpected(brier.error());
    const auto fit = calibration(probabilities, labels);
    if (!fit)
        return std::unexpected(fit.error());

    return BinaryMetrics {
        .cases = probabilities.size(),
        .positives = counts->positives,
        .auroc = *auroc,
        .auprc = *auprc,
        .brier = *brier,
        .calibration = *fit,
    };
}

} // namespace mosaic
