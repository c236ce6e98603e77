// SPDX-License-Identifier: Apache-2.0
// The structure of an XGBoost model's trees, checked before XGBoost sees the model. XGBoost 1.7
// loads a JSON model without validating its trees: a child index past the end, a cycle or a split on
// a feature the input does not have is read, walked or indexed as it stands. This check reads the
// model as XGBoost 1.7.4 writes it (learner.gradient_booster.model: gbtree_model_param, trees,
// tree_info; NaN and Infinity as bare words) and refuses anything the predictor could not walk safely.
#pragma once

#include "core/error.h"

#include <cstddef>
#include <string_view>

namespace mosaic {

struct TreeLimits
{
    std::size_t maxTrees = 100'000; // Mosaic trains hundreds; a multiclass search a few thousand
    std::size_t maxNodesPerTree = std::size_t { 1 } << 20;
    std::size_t maxDepth = 64; // edges from the root to the deepest leaf
};

// Every tree: each array the predictor reads has exactly num_nodes entries (1 <= num_nodes <= the
// limit); children are both -1 (a leaf) or both in [1, num_nodes) and never the node itself; every
// node but the root is reached exactly once from the root (no cycle, no shared subtree, no
// unreachable node, save those XGBoost's pruner marked deleted), at depth <= the limit, and its
// 'parents' entry names the node that reaches it; internal nodes split on a feature below
// `featureCount`; split conditions, leaf values and node statistics are finite floats; no categorical
// splits. The model: num_trees equals the number of trees (at most the limit), each tree's id is its
// position, and tree_info gives each tree an output group the model has. Errors name the tree and
// node; their location is left empty for the caller to fill (the bundle's file name, say).
Result<void> checkTreeStructure(
    std::string_view xgboostModelJson, std::size_t featureCount, const TreeLimits &limits = {});

} // namespace mosaic
