// SPDX-License-Identifier: Apache-2.0
#include "core/model/decision_curve.h"

#include "core/model/metrics.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace mosaic {

namespace {

Result<void> validateGrid(std::span<const double> thresholds)
{
    if (thresholds.empty())
        return fail(ErrorCode::InvalidArgument, "the decision curve needs at least one threshold");
    if (thresholds.size() > kMaxDecisionThresholds)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(thresholds.size()) + " thresholds exceed the limit of "
                + std::to_string(kMaxDecisionThresholds));
    for (std::size_t i = 0; i < thresholds.size(); ++i) {
        if (!(thresholds[i] > 0.0 && thresholds[i] < 1.0))
            return fail(ErrorCode::InvalidArgument,
                "threshold " + std::to_string(i) + " (" + std::to_string(thresholds[i])
                    + ") is not strictly between 0 and 1; net benefit weighs harms by pt / (1 - pt)");
    }
    return {};
}

// Net benefit at each threshold from the probabilities of the cases and of the controls, sorted
// ascending: the rows at or above pt are those from lower_bound(pt) on.
std::vector<NetBenefitPoint> netBenefit(const std::vector<double> &sortedCases,
    const std::vector<double> &sortedControls, std::span<const double> thresholds)
{
    const auto n = static_cast<double>(sortedCases.size() + sortedControls.size());
    const double prevalence = static_cast<double>(sortedCases.size()) / n;
    std::vector<NetBenefitPoint> points;
    points.reserve(thresholds.size());
    for (const double threshold : thresholds) {
        NetBenefitPoint point;
        point.threshold = threshold;
        point.truePositives
            = static_cast<std::size_t>(sortedCases.end() - std::ranges::lower_bound(sortedCases, threshold));
        point.falsePositives = static_cast<std::size_t>(
            sortedControls.end() - std::ranges::lower_bound(sortedControls, threshold));
        const double odds = threshold / (1.0 - threshold);
        point.model = static_cast<double>(point.truePositives) / n
            - static_cast<double>(point.falsePositives) / n * odds;
        point.treatAll = prevalence - (1.0 - prevalence) * odds;
        points.push_back(point);
    }
    return points;
}

void splitSorted(std::span<const double> probabilities, std::span<const int> labels,
    std::vector<double> &cases, std::vector<double> &controls)
{
    cases.clear();
    controls.clear();
    for (std::size_t row = 0; row < labels.size(); ++row)
        (labels[row] == 1 ? cases : controls).push_back(probabilities[row]);
    std::ranges::sort(cases);
    std::ranges::sort(controls);
}

} // namespace

Result<std::vector<NetBenefitPoint>> decisionCurve(
    std::span<const double> probabilities, std::span<const int> labels, std::span<const double> thresholds)
{
    // brierScore checks sizes, emptiness, labels, finiteness and [0, 1] with metrics.h's messages.
    if (auto valid = brierScore(probabilities, labels); !valid)
        return std::unexpected(valid.error());
    if (auto valid = validateGrid(thresholds); !valid)
        return std::unexpected(valid.error());
    std::vector<double> cases, controls;
    splitSorted(probabilities, labels, cases, controls);
    return netBenefit(cases, controls, thresholds);
}

Result<DecisionCurveBootstrap> bootstrapDecisionCurve(std::span<const double> probabilities,
    std::span<const int> labels, std::span<const double> thresholds, const BootstrapOptions &options)
{
    auto points = decisionCurve(probabilities, labels, thresholds);
    if (!points)
        return std::unexpected(points.error());
    const auto positives = static_cast<std::size_t>(std::ranges::count(labels, 1));
    if (positives == 0 || positives == labels.size())
        return fail(ErrorCode::InvalidArgument,
            "a bootstrap of the decision curve needs both classes; every row has label "
                + std::to_string(labels.front()));
    auto resampler = detail::makeResampler(labels, options);
    if (!resampler)
        return std::unexpected(resampler.error());

    DecisionCurveBootstrap result;
    result.points = std::move(*points);
    result.model.resize(thresholds.size());
    for (std::size_t t = 0; t < thresholds.size(); ++t) {
        result.model[t].defined = true;
        result.model[t].estimate = result.points[t].model;
        result.model[t].replicates.reserve(options.resamples);
    }

    std::vector<std::size_t> rows;
    std::vector<double> cases, controls;
    std::vector<double> resampledProbabilities(labels.size());
    std::vector<int> resampledLabels(labels.size());
    for (std::size_t resample = 0; resample < options.resamples; ++resample) {
        resampler->next(rows);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            resampledProbabilities[i] = probabilities[rows[i]];
            resampledLabels[i] = labels[rows[i]];
        }
        splitSorted(resampledProbabilities, resampledLabels, cases, controls);
        const auto resampled = netBenefit(cases, controls, thresholds);
        for (std::size_t t = 0; t < thresholds.size(); ++t) {
            result.model[t].replicates.push_back(resampled[t].model);
            ++result.model[t].definedResamples;
        }
    }
    for (auto &interval : result.model)
        detail::finishInterval(interval);
    return result;
}

} // namespace mosaic
