// SPDX-License-Identifier: Apache-2.0
#include "core/model/feature_selection.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mosaic {
namespace {

// Mann-Whitney AUROC of one column on the given rows, ignoring missing values; NaN when a class
// has no non-missing value.
double columnAuroc(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> rows, Eigen::Index column)
{
    std::vector<std::pair<float, int>> values;
    values.reserve(rows.size());
    for (std::size_t row : rows) {
        const float value = features(static_cast<Eigen::Index>(row), column);
        if (!std::isnan(value))
            values.emplace_back(value, labels[row]);
    }
    std::ranges::sort(values);
    double positives = 0.0;
    double rankSumPositives = 0.0;
    for (std::size_t first = 0; first < values.size();) {
        std::size_t last = first;
        while (last < values.size() && values[last].first == values[first].first)
            ++last;
        const double averageRank = 0.5 * static_cast<double>(first + 1 + last); // ranks first+1..last
        for (std::size_t i = first; i < last; ++i)
            if (values[i].second == 1) {
                positives += 1.0;
                rankSumPositives += averageRank;
            }
        first = last;
    }
    const double negatives = static_cast<double>(values.size()) - positives;
    if (positives == 0.0 || negatives == 0.0)
        return std::nan("");
    return (rankSumPositives - positives * (positives + 1.0) / 2.0) / (positives * negatives);
}

// Ranks with ties averaged, NaN kept as NaN, for Spearman correlation.
std::vector<double> ranksOf(
    const RowMatrixXf &features, std::span<const std::size_t> rows, Eigen::Index column)
{
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), std::size_t { 0 });
    auto valueAt = [&](std::size_t i) { return features(static_cast<Eigen::Index>(rows[i]), column); };
    std::ranges::stable_sort(order, [&](std::size_t a, std::size_t b) {
        const float x = valueAt(a);
        const float y = valueAt(b);
        if (std::isnan(x) || std::isnan(y))
            return !std::isnan(x) && std::isnan(y);
        return x < y;
    });
    std::vector<double> ranks(rows.size(), std::nan(""));
    for (std::size_t first = 0; first < order.size() && !std::isnan(valueAt(order[first]));) {
        std::size_t last = first;
        while (last < order.size() && valueAt(order[last]) == valueAt(order[first]))
            ++last;
        for (std::size_t i = first; i < last; ++i)
            ranks[order[i]] = 0.5 * static_cast<double>(first + last - 1);
        first = last;
    }
    return ranks;
}

// Pearson correlation of two rank vectors over the rows where both are present.
double correlation(const std::vector<double> &a, const std::vector<double> &b)
{
    double n = 0, sumA = 0, sumB = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!std::isnan(a[i]) && !std::isnan(b[i])) {
            n += 1;
            sumA += a[i];
            sumB += b[i];
        }
    if (n < 3)
        return 0.0;
    const double meanA = sumA / n, meanB = sumB / n;
    double covariance = 0, varianceA = 0, varianceB = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (!std::isnan(a[i]) && !std::isnan(b[i])) {
            covariance += (a[i] - meanA) * (b[i] - meanB);
            varianceA += (a[i] - meanA) * (a[i] - meanA);
            varianceB += (b[i] - meanB) * (b[i] - meanB);
        }
    if (varianceA <= 0 || varianceB <= 0)
        return 1.0; // a constant column is as good as redundant
    return covariance / std::sqrt(varianceA * varianceB);
}

} // namespace

Result<std::vector<std::size_t>> selectFeatures(const RowMatrixXf &features, std::span<const int> labels,
    std::span<const std::size_t> rows, int count, const FeatureSelectionSettings &settings)
{
    if (count < 1)
        return fail(ErrorCode::InvalidArgument, "at least one feature must be selected");
    const bool bothClasses = std::ranges::any_of(rows, [&](std::size_t r) { return labels[r] == 1; })
        && std::ranges::any_of(rows, [&](std::size_t r) { return labels[r] == 0; });
    if (!bothClasses)
        return fail(
            ErrorCode::InvalidArgument, "feature selection needs both classes among the training rows");

    struct Candidate
    {
        Eigen::Index column;
        double strength;
    };
    std::vector<Candidate> candidates;
    for (Eigen::Index column = 0; column < features.cols(); ++column) {
        std::size_t missing = 0;
        for (std::size_t row : rows)
            missing += std::isnan(features(static_cast<Eigen::Index>(row), column)) ? 1 : 0;
        if (static_cast<double>(missing) > settings.maxMissingFraction * static_cast<double>(rows.size()))
            continue;
        const double auroc = columnAuroc(features, labels, rows, column);
        if (!std::isnan(auroc))
            candidates.push_back({ column, std::abs(auroc - 0.5) });
    }
    // Stable on ties: the earlier column wins, so the selection is deterministic.
    std::ranges::stable_sort(
        candidates, [](const Candidate &a, const Candidate &b) { return a.strength > b.strength; });

    std::vector<std::size_t> chosen;
    std::vector<std::vector<double>> chosenRanks;
    for (const Candidate &candidate : candidates) {
        if (static_cast<int>(chosen.size()) == count)
            break;
        std::vector<double> ranks = ranksOf(features, rows, candidate.column);
        const bool redundant = std::ranges::any_of(chosenRanks, [&](const std::vector<double> &other) {
            return std::abs(correlation(ranks, other)) > settings.maxCorrelation;
        });
        if (redundant)
            continue;
        chosen.push_back(static_cast<std::size_t>(candidate.column));
        chosenRanks.push_back(std::move(ranks));
    }
    return chosen;
}

} // namespace mosaic
