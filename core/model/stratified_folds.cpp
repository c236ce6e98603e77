// SPDX-License-Identifier: Apache-2.0
#include "core/model/stratified_folds.h"

#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>

namespace mosaic {

namespace {

static_assert(
    std::mt19937_64::min() == 0 && std::mt19937_64::max() == std::numeric_limits<std::uint64_t>::max(),
    "uniformBelow assumes the engine yields every 64-bit value");

// Uniform integer in [0, bound) from the raw engine output. r % bound alone would favour small
// values whenever bound does not divide 2^64; rejecting the 2^64 mod bound lowest outputs
// leaves a range whose size is a multiple of bound. Same result on every standard library,
// unlike std::uniform_int_distribution.
std::uint64_t uniformBelow(std::mt19937_64 &engine, std::uint64_t bound)
{
    // Unsigned wrap-around: (2^64 - bound) % bound == 2^64 % bound.
    const std::uint64_t rejectBelow = (0 - bound) % bound;
    std::uint64_t draw = engine();
    while (draw < rejectBelow)
        draw = engine();
    return draw % bound;
}

// Fisher-Yates (Durstenfeld): position i takes a uniformly chosen element of [0, i].
void shuffle(std::vector<std::size_t> &rows, std::mt19937_64 &engine)
{
    for (std::size_t i = rows.size(); i > 1; --i) {
        const auto j = static_cast<std::size_t>(uniformBelow(engine, i));
        std::swap(rows[i - 1], rows[j]);
    }
}

} // namespace

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

    std::vector<Fold> folds(foldCount);
    for (std::size_t row = 0; row < labels.size(); ++row) {
        for (std::size_t fold = 0; fold < foldCount; ++fold)
            (fold == foldOfRow[row] ? folds[fold].test : folds[fold].train).push_back(row);
    }
    return folds;
}

} // namespace mosaic
