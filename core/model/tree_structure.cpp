// SPDX-License-Identifier: Apache-2.0
#include "core/model/tree_structure.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mosaic {
namespace {

using Json = nlohmann::json;

// XGBoost 1.7 writes the root's parent as INT32_MAX (its "no node", -1, with the left-child bit
// masked off); older writers put -1.
constexpr std::int64_t kRootParent = 2147483647;
// A node XGBoost's pruner deleted: split index INT32_MAX with default_left set (its sindex_ is all
// ones). Deleted nodes stay in the arrays, unreachable; XGBoost counts them on load.
constexpr std::int64_t kDeletedSplitIndex = 2147483647;
constexpr std::int64_t kNotVisited = -2;

// XGBoost writes non-finite floats as the bare words NaN, Infinity and -Infinity, which JSON lacks.
// Outside strings they are quoted here, so the parser takes the model and the finiteness check can
// name the node that holds one. Returns nothing when there is no such word (the common case: no copy).
std::optional<std::string> quoteBareWords(std::string_view text)
{
    static constexpr std::array<std::string_view, 3> kWords { "-Infinity", "Infinity", "NaN" };
    std::optional<std::string> out;
    std::size_t copiedUpTo = 0;
    bool inString = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"') {
            inString = true;
            continue;
        }
        if (c != 'N' && c != 'I' && c != '-')
            continue;
        for (const std::string_view word : kWords) {
            if (!text.substr(i).starts_with(word))
                continue;
            if (!out) {
                out.emplace();
                out->reserve(text.size() + 64);
            }
            out->append(text.substr(copiedUpTo, i - copiedUpTo));
            out->append("\"").append(word).append("\"");
            i += word.size() - 1;
            copiedUpTo = i + 1;
            break;
        }
    }
    if (out)
        out->append(text.substr(copiedUpTo));
    return out;
}

std::unexpected<Error> integrity(std::string detail)
{
    return fail(ErrorCode::IntegrityFailed, std::move(detail));
}

std::string treeAt(std::size_t tree)
{
    return "tree " + std::to_string(tree);
}

std::string nodeAt(std::size_t tree, std::int64_t node)
{
    return treeAt(tree) + ", node " + std::to_string(node);
}

const Json *member(const Json &object, const char *key)
{
    if (!object.is_object())
        return nullptr;
    const auto found = object.find(key);
    return found == object.end() ? nullptr : &*found;
}

std::optional<std::int64_t> wholeNumber(const Json &value)
{
    if (value.is_number_unsigned()) {
        const auto number = value.get<std::uint64_t>();
        if (std::in_range<std::int64_t>(number))
            return static_cast<std::int64_t>(number);
        return std::nullopt;
    }
    if (value.is_number_integer())
        return value.get<std::int64_t>();
    return std::nullopt;
}

// XGBoost writes its parameters as decimal text: "num_nodes": "7".
std::optional<std::int64_t> wholeNumberText(const Json *value)
{
    if (!value || !value->is_string())
        return std::nullopt;
    const auto &text = value->get_ref<const std::string &>();
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (text.empty() || error != std::errc {} || end != text.data() + text.size())
        return std::nullopt;
    return number;
}

std::optional<double> floatValue(const Json &value)
{
    if (value.is_number())
        return value.get<double>();
    if (value.is_string()) {
        const auto &text = value.get_ref<const std::string &>();
        if (text == "NaN")
            return std::numeric_limits<double>::quiet_NaN();
        if (text == "Infinity")
            return std::numeric_limits<double>::infinity();
        if (text == "-Infinity")
            return -std::numeric_limits<double>::infinity();
    }
    return std::nullopt;
}

// XGBoost keeps these as 32-bit floats: a double beyond float range becomes infinite there.
std::optional<std::string> nonFinite(double value)
{
    if (std::isnan(value))
        return "NaN";
    if (std::isinf(value))
        return "infinite";
    if (std::abs(value) > static_cast<double>(std::numeric_limits<float>::max()))
        return "beyond the range of a 32-bit float";
    return std::nullopt;
}

// One tree's arrays, read and type-checked.
struct Nodes
{
    std::vector<std::int64_t> left, right, parent, split;
    std::vector<bool> defaultLeft;
    std::array<std::vector<double>, 4> values; // split_conditions, base_weights, loss_changes, sum_hessian
};

constexpr std::array<const char *, 4> kValueArrays { "split_conditions", "base_weights", "loss_changes",
    "sum_hessian" };

Result<const Json *> nodeArray(const Json &tree, const char *key, std::size_t nodes, std::size_t t)
{
    const Json *array = member(tree, key);
    if (!array || !array->is_array())
        return integrity(treeAt(t) + ": '" + key + "' is missing or not a list");
    if (array->size() != nodes)
        return integrity(treeAt(t) + ": '" + key + "' has " + std::to_string(array->size()) + " entries for "
            + std::to_string(nodes) + " nodes");
    return array;
}

Result<Nodes> readNodes(const Json &tree, std::size_t nodes, std::size_t t)
{
    Nodes out;
    const std::array<std::pair<const char *, std::vector<std::int64_t> *>, 4> integers { {
        { "left_children", &out.left },
        { "right_children", &out.right },
        { "parents", &out.parent },
        { "split_indices", &out.split },
    } };
    for (const auto &[key, target] : integers) {
        auto array = nodeArray(tree, key, nodes, t);
        if (!array)
            return std::unexpected(array.error());
        target->reserve(nodes);
        for (std::size_t i = 0; i < nodes; ++i) {
            const auto number = wholeNumber((**array)[i]);
            if (!number)
                return integrity(nodeAt(t, static_cast<std::int64_t>(i)) + ": '" + key + "' holds "
                    + (**array)[i].dump() + ", not a whole number");
            target->push_back(*number);
        }
    }
    auto defaults = nodeArray(tree, "default_left", nodes, t);
    if (!defaults)
        return std::unexpected(defaults.error());
    out.defaultLeft.reserve(nodes);
    for (std::size_t i = 0; i < nodes; ++i) {
        const Json &value = (**defaults)[i];
        const auto number = value.is_boolean() ? std::optional<std::int64_t>(value.get<bool>() ? 1 : 0)
                                               : wholeNumber(value);
        if (!number || (*number != 0 && *number != 1))
            return integrity(nodeAt(t, static_cast<std::int64_t>(i)) + ": 'default_left' holds "
                + value.dump() + ", not 0 or 1");
        out.defaultLeft.push_back(*number == 1);
    }
    for (std::size_t k = 0; k < kValueArrays.size(); ++k) {
        auto array = nodeArray(tree, kValueArrays[k], nodes, t);
        if (!array)
            return std::unexpected(array.error());
        out.values[k].reserve(nodes);
        for (std::size_t i = 0; i < nodes; ++i) {
            const auto value = floatValue((**array)[i]);
            if (!value)
                return integrity(nodeAt(t, static_cast<std::int64_t>(i)) + ": '" + kValueArrays[k]
                    + "' holds " + (**array)[i].dump() + ", not a number");
            out.values[k].push_back(*value);
        }
    }
    // Categorical splits read a second set of arrays by offsets; Mosaic trains none, so none may be
    // there (XGBoost 1.7 reads them when split_type is present).
    if (member(tree, "split_type")) {
        auto array = nodeArray(tree, "split_type", nodes, t);
        if (!array)
            return std::unexpected(array.error());
        for (std::size_t i = 0; i < nodes; ++i)
            if ((**array)[i] != 0)
                return fail(ErrorCode::Unsupported,
                    nodeAt(t, static_cast<std::int64_t>(i))
                        + ": a categorical split, which Mosaic does not train");
    }
    for (const char *key : { "categories", "categories_nodes", "categories_segments", "categories_sizes" })
        if (const Json *array = member(tree, key); array && !(array->is_array() && array->empty()))
            return fail(ErrorCode::Unsupported,
                treeAt(t) + ": '" + key + "' describes categorical splits, which Mosaic does not train");
    return out;
}

Result<void> checkTree(const Json &tree, std::size_t t, std::size_t featureCount, const TreeLimits &limits)
{
    if (!tree.is_object())
        return integrity(treeAt(t) + ": not a JSON object");
    const Json *treeParam = member(tree, "tree_param");
    const auto nodeCount = wholeNumberText(treeParam ? member(*treeParam, "num_nodes") : nullptr);
    if (!nodeCount)
        return integrity(treeAt(t) + ": tree_param.num_nodes is missing or not a whole number");
    if (*nodeCount < 1)
        return integrity(treeAt(t) + ": tree_param.num_nodes is " + std::to_string(*nodeCount)
            + "; a tree has at least its root");
    if (static_cast<std::uint64_t>(*nodeCount) > limits.maxNodesPerTree)
        return fail(ErrorCode::LimitExceeded,
            treeAt(t) + ": " + std::to_string(*nodeCount) + " nodes, above the limit of "
                + std::to_string(limits.maxNodesPerTree));
    const auto deletedCount = wholeNumberText(member(*treeParam, "num_deleted"));
    if (!deletedCount)
        return integrity(treeAt(t) + ": tree_param.num_deleted is missing or not a whole number");

    const auto n = static_cast<std::size_t>(*nodeCount);
    auto read = readNodes(tree, n, t);
    if (!read)
        return std::unexpected(read.error());
    const Nodes &nodes = *read;
    const auto size = static_cast<std::int64_t>(n);
    const auto isLeaf = [&](std::size_t i) { return nodes.left[i] == -1 && nodes.right[i] == -1; };

    // Children: both -1 (a leaf) or both other nodes of this tree; never the root or the node itself.
    std::int64_t marked = 0;
    std::vector<bool> deleted(n, false);
    for (std::size_t i = 0; i < n; ++i) {
        const auto node = static_cast<std::int64_t>(i);
        const std::int64_t left = nodes.left[i];
        const std::int64_t right = nodes.right[i];
        if ((left == -1) != (right == -1))
            return integrity(nodeAt(t, node) + ": a leaf with one child (left " + std::to_string(left)
                + ", right " + std::to_string(right) + ")");
        for (const auto &[side, child] : { std::pair { "left", left }, std::pair { "right", right } }) {
            if (child == -1)
                continue;
            if (child < 1 || child >= size)
                return integrity(nodeAt(t, node) + ": " + side + " child " + std::to_string(child)
                    + " is outside the tree's nodes 1 to " + std::to_string(size - 1));
            if (child == node)
                return integrity(nodeAt(t, node) + ": is its own " + side + " child");
        }
        if (left != -1 && left == right)
            return integrity(nodeAt(t, node) + ": both children are node " + std::to_string(left));
        if (i > 0 && nodes.split[i] == kDeletedSplitIndex && nodes.defaultLeft[i]) {
            deleted[i] = true;
            ++marked;
        }
    }
    if (marked != *deletedCount)
        return integrity(treeAt(t) + ": tree_param.num_deleted is " + std::to_string(*deletedCount) + " but "
            + std::to_string(marked) + " nodes are marked deleted");

    // Walk from the root: every live node reached exactly once, within the depth limit.
    std::vector<std::int64_t> reachedFrom(n, kNotVisited);
    std::vector<std::size_t> depth(n, 0);
    std::vector<std::int64_t> stack { 0 };
    reachedFrom[0] = -1;
    while (!stack.empty()) {
        const std::int64_t node = stack.back();
        stack.pop_back();
        const auto u = static_cast<std::size_t>(node);
        if (deleted[u])
            return integrity(
                nodeAt(t, node) + ": marked deleted by XGBoost's pruner, yet reached from the root");
        if (isLeaf(u))
            continue;
        for (const std::int64_t child : { nodes.left[u], nodes.right[u] }) {
            const auto c = static_cast<std::size_t>(child);
            if (reachedFrom[c] != kNotVisited) {
                for (std::int64_t ancestor = node; ancestor != -1;
                     ancestor = reachedFrom[static_cast<std::size_t>(ancestor)])
                    if (ancestor == child)
                        return integrity(nodeAt(t, node) + ": its child " + std::to_string(child)
                            + " is also its ancestor (a cycle)");
                return integrity(nodeAt(t, child) + ": the child of both node "
                    + std::to_string(reachedFrom[c]) + " and node " + std::to_string(node)
                    + " (a shared subtree)");
            }
            reachedFrom[c] = node;
            depth[c] = depth[u] + 1;
            if (depth[c] > limits.maxDepth)
                return fail(ErrorCode::LimitExceeded,
                    nodeAt(t, child) + ": at depth " + std::to_string(depth[c]) + ", beyond the limit of "
                        + std::to_string(limits.maxDepth));
            stack.push_back(child);
        }
    }

    // XGBoost's loader indexes each node's 'parents' entry: it must be the node that reaches it.
    if (nodes.parent[0] != kRootParent && nodes.parent[0] != -1)
        return integrity(nodeAt(t, 0) + ": the root's parent is " + std::to_string(nodes.parent[0])
            + "; XGBoost writes 2147483647");
    for (std::size_t i = 1; i < n; ++i) {
        const auto node = static_cast<std::int64_t>(i);
        if (deleted[i]) {
            if (nodes.parent[i] < 0 || nodes.parent[i] >= size)
                return integrity(nodeAt(t, node) + ": 'parents' names node " + std::to_string(nodes.parent[i])
                    + ", outside the tree's " + std::to_string(size) + " nodes");
            continue;
        }
        if (reachedFrom[i] == kNotVisited)
            return integrity(nodeAt(t, node) + ": not reachable from the root");
        if (nodes.parent[i] != reachedFrom[i])
            return integrity(nodeAt(t, node) + ": 'parents' names node " + std::to_string(nodes.parent[i])
                + ", but it is the child of node " + std::to_string(reachedFrom[i]));
    }

    // Splits on features the model has; finite thresholds, leaf values and statistics.
    for (std::size_t i = 0; i < n; ++i) {
        if (deleted[i])
            continue;
        const auto node = static_cast<std::int64_t>(i);
        const bool leaf = isLeaf(i);
        if (!leaf && (nodes.split[i] < 0 || static_cast<std::uint64_t>(nodes.split[i]) >= featureCount))
            return integrity(nodeAt(t, node) + ": splits on feature " + std::to_string(nodes.split[i])
                + ", but the model has " + std::to_string(featureCount) + " features");
        for (std::size_t k = 0; k < kValueArrays.size(); ++k)
            if (const auto problem = nonFinite(nodes.values[k][i]))
                return integrity(nodeAt(t, node) + ": "
                    + (k == 0 ? std::string(leaf ? "leaf value" : "split condition")
                              : "'" + std::string(kValueArrays[k]) + "'")
                    + " is " + *problem);
    }
    return {};
}

} // namespace

Result<void> checkTreeStructure(
    std::string_view xgboostModelJson, std::size_t featureCount, const TreeLimits &limits)
{
    const auto quoted = quoteBareWords(xgboostModelJson);
    const Json model = Json::parse(quoted ? std::string_view(*quoted) : xgboostModelJson, nullptr, false);
    if (model.is_discarded() || !model.is_object())
        return fail(ErrorCode::Malformed, "the XGBoost model is not JSON");
    const Json *learner = member(model, "learner");
    const Json *booster = learner ? member(*learner, "gradient_booster") : nullptr;
    const Json *boosterName = booster ? member(*booster, "name") : nullptr;
    if (!boosterName || !boosterName->is_string())
        return fail(ErrorCode::Malformed, "the XGBoost model lacks learner.gradient_booster.name");
    if (*boosterName != "gbtree")
        return fail(ErrorCode::Unsupported,
            "the XGBoost model's booster is " + boosterName->dump() + "; Mosaic loads only \"gbtree\"");
    const Json *gbtree = member(*booster, "model");
    const Json *gbtreeParam = gbtree ? member(*gbtree, "gbtree_model_param") : nullptr;
    const Json *trees = gbtree ? member(*gbtree, "trees") : nullptr;
    const Json *treeInfo = gbtree ? member(*gbtree, "tree_info") : nullptr;
    if (!gbtreeParam || !trees || !trees->is_array() || !treeInfo || !treeInfo->is_array())
        return fail(ErrorCode::Malformed,
            "the XGBoost model lacks learner.gradient_booster.model's gbtree_model_param, trees or "
            "tree_info");
    const Json *modelParam = member(*learner, "learner_model_param");
    const auto classCount = wholeNumberText(modelParam ? member(*modelParam, "num_class") : nullptr);
    if (!classCount || *classCount < 0)
        return fail(ErrorCode::Malformed, "the XGBoost model's learner_model_param.num_class is not a count");
    const std::int64_t groups = std::max<std::int64_t>(1, *classCount);

    if (trees->size() > limits.maxTrees)
        return fail(ErrorCode::LimitExceeded,
            "the XGBoost model has " + std::to_string(trees->size()) + " trees, above the limit of "
                + std::to_string(limits.maxTrees));
    const auto treeCount = wholeNumberText(member(*gbtreeParam, "num_trees"));
    if (!treeCount || *treeCount < 0 || static_cast<std::uint64_t>(*treeCount) != trees->size())
        return integrity("gbtree_model_param.num_trees is "
            + (treeCount ? std::to_string(*treeCount) : std::string("not a whole number"))
            + " but the model holds " + std::to_string(trees->size()) + " trees");
    const auto parallelTrees = wholeNumberText(member(*gbtreeParam, "num_parallel_tree"));
    if (!parallelTrees || *parallelTrees < 1)
        return integrity("gbtree_model_param.num_parallel_tree is not a positive whole number");
    if (treeInfo->size() != trees->size())
        return integrity("tree_info has " + std::to_string(treeInfo->size()) + " entries for "
            + std::to_string(trees->size()) + " trees");

    for (std::size_t t = 0; t < trees->size(); ++t) {
        const Json &tree = (*trees)[t];
        // XGBoost places each tree by its id, from several threads: a repeated id leaves a slot empty.
        const Json *id = member(tree, "id");
        if (!id || wholeNumber(*id) != static_cast<std::int64_t>(t))
            return integrity(treeAt(t) + ": its id is " + (id ? id->dump() : std::string("missing"))
                + "; it must be its position in the list");
        const auto group = wholeNumber((*treeInfo)[t]);
        if (!group || *group < 0 || *group >= groups)
            return integrity(treeAt(t) + ": tree_info gives output group " + (*treeInfo)[t].dump()
                + ", but the model has " + std::to_string(groups));
        if (auto checked = checkTree(tree, t, featureCount, limits); !checked)
            return checked;
    }
    return {};
}

} // namespace mosaic
