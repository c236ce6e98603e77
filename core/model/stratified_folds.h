// SPDX-License-Identifier: Apache-2.0
// Stratified k-fold splits that are the same for a seed on every platform: the shuffle is our own
// Fisher-Yates over std::mt19937_64 (the engine is standardised, std::shuffle and the standard
// distributions are not), so a validation figure can be reproduced on Windows and Linux.
#pragma once

#include "core/error.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace mosaic {

// Uniform integer in [0, bound) from the raw 64-bit output of the engine, by rejection: the same
// draw on every standard library (std::uniform_int_distribution is not). For the folds here and the
// bootstrap resamples of bootstrap_metrics.h. `bound` must be positive.
[[nodiscard]] std::uint64_t uniformIndexBelow(std::mt19937_64 &engine, std::uint64_t bound);

struct Fold
{
    std::vector<std::size_t> train; // row indices, ascending
    std::vector<std::size_t> test; // row indices, ascending
};

// Labels are class indices (0..K-1). Each class's rows are shuffled with `seed` and dealt to the
// folds in turn, so every fold holds each class in proportion (sizes differ by at most one) and
// every row is in exactly one test set. InvalidArgument when k < 2, a label is negative, or some
// class has fewer than k rows.
Result<std::vector<Fold>> stratifiedKFold(std::span<const int> labels, int k, std::uint64_t seed);

// Grouped stratified k-fold: every row carries a group (a patient with several samples or visits)
// and all rows of a group land in the same fold, so no patient is both trained on and tested. The
// folds are balanced in class proportion as far as whole groups allow, by the greedy rule of
// scikit-learn's StratifiedGroupKFold: groups are shuffled with `seed` (the same Fisher-Yates over
// std::mt19937_64 as above), stably sorted by the spread of their class counts, largest first, and
// each goes to the fold where the mean over classes of the standard deviation, across folds, of
// the fold's share of that class is smallest; ties go to the fold with fewer rows, then the lower
// fold. `groups` holds one non-negative group code per row (see groupCodes). InvalidArgument when
// k < 2, the sizes differ, a label or group is negative, or there are fewer groups than folds. A
// class spread over fewer groups than k leaves some test folds without it (as in scikit-learn).
Result<std::vector<Fold>> stratifiedGroupKFold(
    std::span<const int> labels, std::span<const std::size_t> groups, int k, std::uint64_t seed);

// One code per row: equal identifiers get equal codes, numbered in order of first appearance.
[[nodiscard]] std::vector<std::size_t> groupCodes(std::span<const std::string> identifiers);

} // namespace mosaic
