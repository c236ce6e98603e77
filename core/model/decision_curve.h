// SPDX-License-Identifier: Apache-2.0
// Decision-curve analysis (Vickers & Elkin 2006): at a threshold probability pt, treating every
// patient whose predicted risk is at least pt has the net benefit
//     NB(pt) = TP / n - FP / n * pt / (1 - pt),
// true positives counted as benefit and false positives weighted by the odds of the threshold (the
// harm of an unnecessary treatment relative to the benefit of a necessary one that pt implies).
// Beside the model: treat all (every patient treated: prevalence - (1 - prevalence) * pt / (1 - pt))
// and treat none (0). A model is worth using at pt when its curve lies above both.
#pragma once

#include "core/error.h"
#include "core/model/bootstrap_metrics.h"

#include <cstddef>
#include <span>
#include <vector>

namespace mosaic {

// A threshold grid longer than this is a mistake (a grid of 1% steps has 99 points).
inline constexpr std::size_t kMaxDecisionThresholds = 10000;

struct NetBenefitPoint
{
    double threshold = 0.0;
    std::size_t truePositives = 0; // rows with the event and probability >= threshold
    std::size_t falsePositives = 0; // rows without the event and probability >= threshold
    double model = 0.0;
    double treatAll = 0.0;
    double treatNone = 0.0; // always 0; kept so a table or plot reads off one row
};

// One point per threshold, in the caller's order. InvalidArgument for the input errors of
// metrics.h (sizes, labels 0/1, probabilities finite and in [0, 1]), an empty grid, or a threshold
// that is not strictly between 0 and 1; LimitExceeded above kMaxDecisionThresholds thresholds.
Result<std::vector<NetBenefitPoint>> decisionCurve(
    std::span<const double> probabilities, std::span<const int> labels, std::span<const double> thresholds);

struct DecisionCurveBootstrap
{
    std::vector<NetBenefitPoint> points; // on the original rows
    // The model's net benefit at each threshold with its percentile interval over the stratified
    // resamples of bootstrap_metrics.h (the same resamples as bootstrapBinaryMetrics for the same
    // options). Treat-all has no interval: the stratified resamples keep the prevalence fixed.
    std::vector<MetricInterval> model;
};

// Fails as decisionCurve, for bad options, or when a class is absent.
Result<DecisionCurveBootstrap> bootstrapDecisionCurve(std::span<const double> probabilities,
    std::span<const int> labels, std::span<const double> thresholds, const BootstrapOptions &options = {});

} // namespace mosaic
