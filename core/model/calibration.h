// SPDX-License-Identifier: Apache-2.0
// Recalibration of a binary risk model's probabilities and the data of its reliability diagram,
// fitted on out-of-fold predictions so that the calibration is not learnt on the rows the model saw.
// Owns Platt scaling, isotonic regression, reliability curves and the expected / maximum calibration
// error; the logistic calibration slope and intercept live in metrics.h and are reused here.
// Inputs: probabilities in [0, 1] and labels 0 (event absent) or 1 (event present), same length,
// both classes present. Anything else is refused with InvalidArgument; nothing here throws.
#pragma once

#include "core/error.h"
#include "core/model/metrics.h"

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace mosaic {

// Probabilities are clamped to [kCalibrationClamp, 1 - kCalibrationClamp] before a logit, as in
// metrics.h's calibration(), so that 0 and 1 have finite log-odds.
inline constexpr double kCalibrationClamp = 1e-12;

// Platt scaling (Platt 1999, in the form of scikit-learn's _SigmoidCalibration) on the log-odds of
// the model's probability: with F = logit(clamp(p)),
//     p' = 1 / (1 + exp(a * F + b)).
// A well-calibrated model has a = -1, b = 0. Fitted by maximum likelihood against Platt's smoothed
// targets, y+ = (N+ + 1) / (N+ + 2) for events and y- = 1 / (N- + 2) for non-events (Platt's
// section 2.2 prior), which keeps the optimum finite even when the scores separate the classes.
struct PlattScaling
{
    double a = -1.0;
    double b = 0.0;

    // The recalibrated probability; NaN stays NaN (a missing prediction stays missing).
    [[nodiscard]] double apply(double probability) const;
};

// Damped Newton-Raphson on the convex negative log-likelihood (Lin, Lin & Weng 2007), stopping
// when the Newton step is below 1e-12 relative to the parameters. InvalidArgument on bad input, or when every
// probability is equal (a and b are then not identifiable).
Result<PlattScaling> fitPlatt(std::span<const double> probabilities, std::span<const int> labels);

// Increasing isotonic regression of the label on the probability (pool-adjacent-violators), as
// scikit-learn's IsotonicRegression(increasing=True, out_of_bounds="clip"): rows sharing a
// probability are pooled first into one point weighted by their count and carrying their event
// fraction; a new probability is mapped by linear interpolation between the fitted points and
// clipped to the first / last fitted value outside the training range.
struct IsotonicCalibration
{
    std::vector<double> thresholds; // distinct training probabilities, increasing
    std::vector<double> values; // fitted event fraction at each threshold, non-decreasing

    // NaN stays NaN.
    [[nodiscard]] double apply(double probability) const;
};

Result<IsotonicCalibration> fitIsotonic(std::span<const double> probabilities, std::span<const int> labels);

// The map from a model's probability to the risk shown to the clinician, fitted on out-of-fold
// predictions (never on the predictions of the data the model was fitted on, which are too sure).
struct ProbabilityCalibration
{
    enum class Method {
        None, // the model's probability as it is
        Platt, // logistic on the log-odds: keeps the ranking, corrects over- or under-confidence
        Isotonic // monotone step function: more flexible, needs more cases, may tie distinct scores
    };

    Method method = Method::None;
    PlattScaling platt; // when Platt
    IsotonicCalibration isotonic; // when Isotonic

    // NaN stays NaN.
    [[nodiscard]] double apply(double probability) const;
};

// "none", "platt", "isotonic".
[[nodiscard]] std::string_view calibrationMethodName(ProbabilityCalibration::Method method);
[[nodiscard]] std::optional<ProbabilityCalibration::Method> calibrationMethodFromName(std::string_view name);

// Fails as fitPlatt or fitIsotonic does; never for Method::None.
Result<ProbabilityCalibration> fitCalibration(ProbabilityCalibration::Method method,
    std::span<const double> probabilities, std::span<const int> labels);

enum class BinStrategy {
    Uniform, // equal-width bins over [0, 1]
    Quantile, // equal-count bins: edges are quantiles of the probabilities (numpy's linear rule)
};

struct ReliabilityBin
{
    double lower = 0.0; // bin edges; a probability equal to an inner edge falls in the lower bin
    double upper = 0.0;
    double meanPredicted = 0.0;
    double observedFraction = 0.0; // share of the bin's rows with the event
    std::size_t count = 0;
};

// The points of a reliability diagram, as scikit-learn's calibration_curve with the same strategy:
// bin i holds the probabilities p with edge[i] < p <= edge[i+1] (the first bin also holds
// edge[0]), and empty bins are left out. InvalidArgument for bins = 0 or bins > 10000.
Result<std::vector<ReliabilityBin>> reliabilityCurve(std::span<const double> probabilities,
    std::span<const int> labels, std::size_t bins = 10, BinStrategy strategy = BinStrategy::Uniform);

struct CalibrationError
{
    // Sum over equal-width bins of count / N * |observed fraction - mean predicted| (Naeini 2015).
    double expected = 0.0;
    // The largest |observed fraction - mean predicted| over the non-empty bins.
    double maximum = 0.0;
};

Result<CalibrationError> calibrationError(
    std::span<const double> probabilities, std::span<const int> labels, std::size_t bins = 10);

// Everything a validation report shows about calibration, for one set of predictions.
struct CalibrationSummary
{
    CalibrationFit fit; // slope and intercept, from metrics.h's calibration()
    CalibrationError error;
    std::vector<ReliabilityBin> curve; // equal-width bins
};

// Fails whenever calibration(), calibrationError() or reliabilityCurve() would.
Result<CalibrationSummary> summarizeCalibration(
    std::span<const double> probabilities, std::span<const int> labels, std::size_t bins = 10);

} // namespace mosaic
