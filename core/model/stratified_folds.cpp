// SPDX-License-Identifier: Apache-2.0
#include "core/model/stratified_folds.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>

namespace mosaic {

namespace {

static_assert(
    std::mt19937_64::min() == 0 && std::mt19937_64::max() == std::numeric_limits<std::uint64_t>::max(),
    "uniformIndexBelow assumes the engine yields every 64-bit value");

// Fisher-Yates (Durstenfeld): position i takes a uniformly chosen element of [0, i].
void shuffle(std::vector<std::size_t> &rows, std::mt19937_64 &engine)
{
    for (std::size_t i = rows.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(uniformIndexBelow(engine, i));
        std::swap(rows[i - 1], rows[j]);
    }
}

// Test rows of each fold from a fold per row; train is the complement. Both ascending.
std::vector<Fold> foldsFromAssignment(const std::vector<std::size_t> &foldOfRow, std::size_t foldCount)
{
    std::vector<Fold> folds(foldCount);
    for (std::size_t row = 0; row < foldOfRow.size(); ++row) {
        for (std::size_t fold = 0; fold < foldCount; ++fold)
            (fold == foldOfRow[row] ? folds[fold].test : folds[fold].train).push_back(row);
    }
    return folds;
}

// Population standard deviation (numpy's default, ddof 0) of `values`.
double populationDeviation(std::span<const double> values)
{
    double mean = 0.0;
    for (const double value : values)
        mean += value;
    mean /= static_cast<double>(values.size());
    double squares = 0.0;
    for (const double value : values)
        squares += (value - mean) * (value - mean);
    return std::sqrt(squares / static_cast<double>(values.size()));
}

// numpy.isclose's default test, which scikit-learn uses to call two fold evaluations equal.
bool close(double a, double b)
{
    return std::abs(a - b) <= 1e-8 + 1e-5 * std::abs(b);
}

// Cap on groups x classes counts held at once (800 MB of doubles would be far beyond any cohort).
constexpr std::size_t kMaxGroupClassCells = 50'000'000;

} // namespace

// Rejecting the 2^64 mod bound lowest outputs leaves a range whose size is a multiple of bound, so
// r % bound favours no value (r % bound alone would favour small ones).
std::uint64_t uniformIndexBelow(std::mt19937_64 &engine, std::uint64_t bound)
{
    // Unsigned wrap-around: (2^64 - bound) % bound == 2^64 % bound.
    const std::uint64_t rejectBelow = (0 - bound) % bound;
    std::uint64_t draw = engine();
    while (draw < rejectBelow)
        draw = engine();
    return draw % bound;
}

std::vector<std::size_t> groupCodes(std::span<const std::string> identifiers)
{
    std::unordered_map<std::string, std::size_t> codes;
    std::vector<std::size_t> result;
    result.reserve(identifiers.size());
    for (const auto &identifier : identifiers)
        result.push_back(codes.try_emplace(identifier, codes.size()).first->second);
    return result;
}

Result<std::vector<Fold>> stratifiedGroupKFold(
    std::span<const int> labels, std::span<const std::size_t> groups, int k, std::uint64_t seed)
{
    if (k < 2)
        return fail(ErrorCode::InvalidArgument,
            "k-fold cross-validation needs at least 2 folds; k is " + std::to_string(k));
    if (labels.size() != groups.size())
        return fail(ErrorCode::InvalidArgument,
            "there are " + std::to_string(labels.size()) + " labels but " + std::to_string(groups.size())
                + " group codes");
    if (labels.empty())
        return fail(ErrorCode::InvalidArgument, "there are no rows to split into folds");

    // Compact class and group indices in ascending order of label and code (as numpy.unique), held
    // in maps so that a huge label or code cannot force a huge allocation.
    std::map<int, std::size_t> classIndex;
    std::map<std::size_t, std::size_t> groupIndex;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        if (labels[row] < 0)
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row)
                    + " is negative; class labels are 0, 1, ...");
        classIndex.emplace(labels[row], 0);
        groupIndex.emplace(groups[row], 0);
    }
    const auto foldCount = static_cast<std::size_t>(k);
    if (groupIndex.size() < foldCount)
        return fail(ErrorCode::InvalidArgument,
            "there are " + std::to_string(groupIndex.size()) + " group(s), fewer than the "
                + std::to_string(k) + " folds; a group cannot be split across folds");
    const std::size_t classCount = classIndex.size();
    const std::size_t groupCount = groupIndex.size();
    if (classCount > kMaxGroupClassCells / groupCount)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(groupCount) + " groups with " + std::to_string(classCount)
                + " classes exceed the limit of the grouped split");
    std::size_t next = 0;
    for (auto &[label, index] : classIndex)
        index = next++;
    next = 0;
    for (auto &[code, index] : groupIndex)
        index = next++;

    std::vector<double> classTotal(classCount, 0.0);
    std::vector<double> countsOfGroup(groupCount * classCount, 0.0); // group-major
    std::vector<std::size_t> groupOfRow(labels.size());
    for (std::size_t row = 0; row < labels.size(); ++row) {
        const std::size_t c = classIndex.at(labels[row]);
        groupOfRow[row] = groupIndex.at(groups[row]);
        countsOfGroup[groupOfRow[row] * classCount + c] += 1.0;
        classTotal[c] += 1.0;
    }
    const auto counts = [&](std::size_t group) {
        return std::span<const double>(countsOfGroup).subspan(group * classCount, classCount);
    };

    // Shuffled, then stably sorted by the spread of class counts, largest first: groups that are
    // hardest to place (large, one class) go first while the folds can still absorb them.
    std::vector<std::size_t> order(groupCount);
    std::iota(order.begin(), order.end(), std::size_t { 0 });
    std::mt19937_64 engine(seed);
    shuffle(order, engine);
    std::vector<double> spread(groupCount);
    for (std::size_t group = 0; group < groupCount; ++group)
        spread[group] = populationDeviation(counts(group));
    std::ranges::stable_sort(order, [&](std::size_t a, std::size_t b) { return spread[a] > spread[b]; });

    std::vector<double> countsOfFold(foldCount * classCount, 0.0); // fold-major
    std::vector<double> rowsOfFold(foldCount, 0.0);
    std::vector<std::size_t> foldOfGroup(groupCount, 0);
    std::vector<double> shares(foldCount);
    for (const std::size_t group : order) {
        const auto groupCounts = counts(group);
        std::size_t bestFold = 0;
        double bestEvaluation = std::numeric_limits<double>::infinity();
        double bestRows = std::numeric_limits<double>::infinity();
        for (std::size_t candidate = 0; candidate < foldCount; ++candidate) {
            double evaluation = 0.0;
            for (std::size_t c = 0; c < classCount; ++c) {
                for (std::size_t fold = 0; fold < foldCount; ++fold)
                    shares[fold]
                        = (countsOfFold[fold * classCount + c] + (fold == candidate ? groupCounts[c] : 0.0))
                        / classTotal[c];
                evaluation += populationDeviation(shares);
            }
            evaluation /= static_cast<double>(classCount);
            const bool better = evaluation < bestEvaluation
                || (close(evaluation, bestEvaluation) && rowsOfFold[candidate] < bestRows);
            if (better) {
                bestFold = candidate;
                bestEvaluation = evaluation;
                bestRows = rowsOfFold[candidate];
            }
        }
        foldOfGroup[group] = bestFold;
        for (std::size_t c = 0; c < classCount; ++c) {
            countsOfFold[bestFold * classCount + c] += groupCounts[c];
            rowsOfFold[bestFold] += groupCounts[c];
        }
    }

    for (std::size_t fold = 0; fold < foldCount; ++fold) {
        if (rowsOfFold[fold] == 0.0)
            return fail(ErrorCode::InvalidArgument,
                "the " + std::to_string(groupCount) + " groups leave test fold " + std::to_string(fold + 1)
                    + " of " + std::to_string(k) + " empty; use fewer folds");
    }
    std::vector<std::size_t> foldOfRow(labels.size());
    for (std::size_t row = 0; row < labels.size(); ++row)
        foldOfRow[row] = foldOfGroup[groupOfRow[row]];
    return foldsFromAssignment(foldOfRow, foldCount);
}

Result<std::vector<Fold>> stratifiedKFold(std::span<const int> labels, int k, std::uint64_t seed)
{
    if (k < 2)
        return fail(ErrorCode::InvalidArgument,
            "k-fold cross-validation needs at least 2 folds; k is " + std::to_string(k));

    // A map, not a vector indexed by label, so a stray huge label cannot force a huge allocation;
    // it also fixes the order in which classes draw from the engine (ascending label).
    std::map<int, std::vector<std::size_t>> rowsByClass;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        if (labels[row] < 0)
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row)
                    + " is negative; class labels are 0, 1, ...");
        rowsByClass[labels[row]].push_back(row);
    }
    if (rowsByClass.empty())
        return fail(ErrorCode::InvalidArgument, "there are no rows to split into folds");
    const auto foldCount = static_cast<std::size_t>(k);
    for (const auto &[label, rows] : rowsByClass) {
        if (rows.size() < foldCount)
            return fail(ErrorCode::InvalidArgument,
                "class " + std::to_string(label) + " has " + std::to_string(rows.size())
                    + " row(s), fewer than the " + std::to_string(k)
                    + " folds; every test fold must hold each class");
    }

    std::mt19937_64 engine(seed);
    std::vector<std::size_t> foldOfRow(labels.size());
    // One counter across all classes: if each class restarted at fold 0, the early folds would
    // collect every class's remainder row and grow by up to one row per class.
    std::size_t nextFold = 0;
    for (auto &[label, rows] : rowsByClass) {
        shuffle(rows, engine);
        for (const std::size_t row : rows) {
            foldOfRow[row] = nextFold;
            nextFold = (nextFold + 1) % foldCount;
        }
    }

    return foldsFromAssignment(foldOfRow, foldCount);
}

} // namespace mosaic
