// SPDX-License-Identifier: Apache-2.0
// Stratified k-fold splits that are the same for a seed on every platform: the shuffle is our own
// Fisher-Yates over std::mt19937_64 (the engine is standardised, std::shuffle and the standard
// distributions are not), so a validation figure can be reproduced on Windows and Linux.
#pragma once

#include "core/error.h"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace mosaic {

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

} // namespace mosaic
