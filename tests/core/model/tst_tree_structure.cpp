// SPDX-License-Identifier: Apache-2.0
// The trees of an XGBoost model, checked before XGBoost sees them. The models are real: trained by
// Mosaic's booster on the heart-failure cohort (Ahmad et al. 2017), and one pruned by python3-xgboost
// 1.7.4 (the peer) so that it carries the deleted nodes XGBoost's pruner leaves behind. Each tampered
// copy breaks one rule and must be refused with its exact message; where XGBoost itself
// (XGBoosterLoadModelFromBuffer, through Booster::load) accepts the same file, the row says so and the
// test proves it: that acceptance is why the check exists.
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/model/booster.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"
#include "core/model/tree_structure.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/model/bundle_test_support.h"
#include <array>
#include <functional>
#include <optional>
#include <string>

using namespace mosaic;
using Json = nlohmann::json;

// An edit to a parsed XGBoost model, applied by one row of a data-driven test.
using ModelEdit = std::function<void(Json &model)>;

// What XGBoost 1.7.4 itself does with the tampered file.
enum class XGBoostVerdict {
    Accepts, // loads it without a word: the check is the only guard
    Rejects, // refuses it too (its own CHECK on the same rule)
    NotTried // loading it would read out of bounds inside XGBoost; not handed over
};

Q_DECLARE_METATYPE(mosaic::ErrorCode)
Q_DECLARE_METATYPE(ModelEdit)
Q_DECLARE_METATYPE(XGBoostVerdict)

namespace {

const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";
const char *kSchemaPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure.schema.json";
constexpr std::size_t kFeatures = 11; // the cohort's columns less TIME (leaks the outcome) and Event

template <typename T> QByteArray failureText(const Result<T> &result)
{
    return result ? QByteArray() : QByteArray::fromStdString(result.error().message());
}

CohortTable deathTable()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    return std::move(*table);
}

Json &tree(Json &model, std::size_t index)
{
    return model["learner"]["gradient_booster"]["model"]["trees"][index];
}

int nodeCount(const Json &tree)
{
    return std::stoi(tree["tree_param"]["num_nodes"].get<std::string>());
}

bool isLeaf(const Json &tree, int node)
{
    return tree["left_children"][node] == -1;
}

// Appends a leaf to a tree (every per-node array grows by one) and returns its index.
int appendLeaf(Json &tree, int parent)
{
    const int index = nodeCount(tree);
    tree["left_children"].push_back(-1);
    tree["right_children"].push_back(-1);
    tree["parents"].push_back(parent);
    tree["split_indices"].push_back(0);
    tree["split_conditions"].push_back(0.01);
    tree["default_left"].push_back(0);
    tree["split_type"].push_back(0);
    for (const char *key : { "base_weights", "loss_changes", "sum_hessian" })
        tree[key].push_back(key == std::string("loss_changes") ? 0.0 : 1.0);
    tree["tree_param"]["num_nodes"] = std::to_string(index + 1);
    return index;
}

// A valid "caterpillar" tree of the given depth: spine node 2k splits on feature k mod 11, its left
// child 2k+1 is a leaf, its right child 2k+2 the next spine node; the last spine node has two leaves.
// 2 * depth + 1 nodes; the deepest leaves, 2 * depth - 1 and 2 * depth, sit at `depth`.
Json caterpillar(const Json &like, int depth)
{
    Json tree = like;
    const int nodes = 2 * depth + 1;
    for (const char *key :
        { "left_children", "right_children", "parents", "split_indices", "split_conditions", "default_left",
            "split_type", "base_weights", "loss_changes", "sum_hessian" })
        tree[key] = Json::array();
    for (int i = 0; i < nodes; ++i) {
        const bool spine = i % 2 == 0 && i < nodes - 1;
        tree["left_children"].push_back(spine ? i + 1 : -1);
        tree["right_children"].push_back(spine ? i + 2 : -1);
        // A leaf 2k+1 and spine node 2k+2 hang under spine node 2k.
        tree["parents"].push_back(i == 0 ? 2147483647 : (i % 2 == 1 ? i - 1 : i - 2));
        tree["split_indices"].push_back(spine ? (i / 2) % static_cast<int>(kFeatures) : 0);
        tree["split_conditions"].push_back(spine ? 0.5 : 0.01);
        tree["default_left"].push_back(0);
        tree["split_type"].push_back(0);
        tree["base_weights"].push_back(0.01);
        tree["loss_changes"].push_back(spine ? 1.0 : 0.0);
        tree["sum_hessian"].push_back(1.0);
    }
    tree["tree_param"]["num_nodes"] = std::to_string(nodes);
    tree["tree_param"]["num_deleted"] = "0";
    return tree;
}

// XGBoost writes a NaN as the bare word NaN, which JSON (and nlohmann-json) lacks: put a marker
// string, then replace it in the text.
std::string withBareWord(const Json &model, const std::string &marker, const std::string &word)
{
    std::string text = model.dump();
    const std::string quoted = "\"" + marker + "\"";
    for (auto at = text.find(quoted); at != std::string::npos; at = text.find(quoted))
        text.replace(at, quoted.size(), word);
    return text;
}

// The tree and nodes the tampering rows work on: a tree whose root has two internal children.
struct Picks
{
    std::size_t tree = 0;
    int nodes = 0; // in that tree
    int left = 0; // the root's left child (internal)
    int right = 0; // the root's right child (internal)
    int grandchild = 0; // the left child of `left`
    int leaf = 0; // some leaf of that tree
};

Picks pick(Json model)
{
    const std::size_t trees = model["learner"]["gradient_booster"]["model"]["trees"].size();
    for (std::size_t t = 0; t < trees; ++t) {
        Json &candidate = tree(model, t);
        const int left = candidate["left_children"][0];
        const int right = candidate["right_children"][0];
        if (left == -1 || isLeaf(candidate, left) || isLeaf(candidate, right))
            continue;
        Picks picks { t, nodeCount(candidate), left, right, candidate["left_children"][left].get<int>(), 0 };
        for (int i = picks.nodes - 1; i > 0; --i)
            if (isLeaf(candidate, i)) {
                picks.leaf = i;
                break;
            }
        return picks;
    }
    qFatal("no tree with two internal children of the root");
}

} // namespace

class TestTreeStructure : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void trainedModelPasses();
    void prunedPeerModelWithDeletedNodesPasses();
    void depthAtTheBoundPasses();
    void refusesTamperedTrees_data();
    void refusesTamperedTrees();
    void refusesNonFiniteWordsXGBoostWrites_data();
    void refusesNonFiniteWordsXGBoostWrites();
    void limitsAreTheCallers();
    void refusesWhatIsNotATreeModel();
    void bundleWithTamperedTreesIsRefused();

private:
    Json m_model; // Mosaic's booster, 30 rounds of depth 3 on the heart-failure cohort
    std::string m_modelText;
    Picks m_picks;
};

void TestTreeStructure::initTestCase()
{
    const CohortTable table = deathTable();
    QCOMPARE(table.featureColumns.size(), kFeatures);
    const std::vector<float> labels(table.labels->data(), table.labels->data() + table.labels->size());
    auto data = DMatrix::fromDense(table.features, labels, table.featureColumns);
    QVERIFY2(data, failureText(data));
    TrainingParameters parameters;
    parameters.rounds = 30;
    parameters.maxDepth = 3;
    auto booster = Booster::train(*data, parameters);
    QVERIFY2(booster, failureText(booster));
    auto saved = booster->save(ModelFormat::Json);
    QVERIFY2(saved, failureText(saved));
    m_modelText = *saved;
    m_model = Json::parse(m_modelText);
    m_picks = pick(m_model);
}

void TestTreeStructure::trainedModelPasses()
{
    auto checked = checkTreeStructure(m_modelText, kFeatures);
    QVERIFY2(checked, failureText(checked));
    // The layout the check reads, as XGBoost 1.7.4 wrote it.
    const Json &gbtree = m_model["learner"]["gradient_booster"];
    QCOMPARE(gbtree["name"].get<std::string>(), std::string("gbtree"));
    QCOMPARE(gbtree["model"]["trees"].size(), std::size_t { 30 });
    QCOMPARE(gbtree["model"]["gbtree_model_param"]["num_trees"].get<std::string>(), std::string("30"));
    QCOMPARE(gbtree["model"]["tree_info"].size(), std::size_t { 30 });
    QCOMPARE(m_model["learner"]["learner_model_param"]["num_feature"].get<std::string>(), std::string("11"));
}

void TestTreeStructure::prunedPeerModelWithDeletedNodesPasses()
{
    // python3-xgboost's exact method with gamma 2 prunes splits after growing them; the pruned nodes
    // stay in the arrays, marked deleted and unreachable. A real model of that shape must pass.
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const QString output = directory.filePath("pruned.json");
    const QString script = QStringLiteral(R"(
import sys, numpy, xgboost
table = numpy.genfromtxt(sys.argv[1], delimiter=",", skip_header=1)
labels, features = table[:, 1], table[:, 2:]
booster = xgboost.train({"objective": "binary:logistic", "tree_method": "exact", "gamma": 2,
                         "max_depth": 6, "seed": 1}, xgboost.DMatrix(features, label=labels), 20)
booster.save_model(sys.argv[2])
)");
    QProcess python;
    python.start("/usr/bin/python3", { "-c", script, kCohortPath, output });
    QVERIFY(python.waitForFinished(120000));
    QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
    QFile file(output);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const std::string text = file.readAll().toStdString();

    int deleted = 0;
    const Json pruned = Json::parse(text); // kept: a temporary would die before the loop runs
    for (const Json &t : pruned["learner"]["gradient_booster"]["model"]["trees"])
        deleted += std::stoi(t["tree_param"]["num_deleted"].get<std::string>());
    QVERIFY2(deleted > 0, "the peer's model has no deleted nodes; the test needs some");
    auto checked = checkTreeStructure(text, kFeatures);
    QVERIFY2(checked, failureText(checked));
    // One feature fewer than the model splits on: the check must see the splits at all.
    QVERIFY(!checkTreeStructure(text, 1));
}

void TestTreeStructure::depthAtTheBoundPasses()
{
    Json model = m_model;
    tree(model, 0) = caterpillar(tree(model, 0), 64);
    const std::string text = model.dump();
    auto checked = checkTreeStructure(text, kFeatures);
    QVERIFY2(checked, failureText(checked));
    QVERIFY(Booster::load(text)); // a valid model to XGBoost too
}

void TestTreeStructure::refusesTamperedTrees_data()
{
    QTest::addColumn<ModelEdit>("edit");
    QTest::addColumn<mosaic::ErrorCode>("expected");
    QTest::addColumn<QString>("detail");
    QTest::addColumn<XGBoostVerdict>("xgboost");

    const Picks p = m_picks;
    const auto t = p.tree;
    const QString at = QStringLiteral("tree %1, ").arg(t);
    const auto I = ErrorCode::IntegrityFailed;

    QTest::newRow("child index past the last node")
        << ModelEdit([=](Json &m) { tree(m, t)["left_children"][p.left] = p.nodes; }) << I
        << at
            + QStringLiteral("node %1: left child %2 is outside the tree's nodes 1 to %3")
                  .arg(p.left)
                  .arg(p.nodes)
                  .arg(p.nodes - 1)
        << XGBoostVerdict::Accepts;
    QTest::newRow("child index pointing at the root")
        << ModelEdit([=](Json &m) { tree(m, t)["right_children"][p.left] = 0; }) << I
        << at
            + QStringLiteral("node %1: right child 0 is outside the tree's nodes 1 to %2")
                  .arg(p.left)
                  .arg(p.nodes - 1)
        << XGBoostVerdict::Accepts;
    QTest::newRow("a node below the root leads back to its parent (a cycle)") << ModelEdit([=](Json &m) {
        Json &x = tree(m, t);
        const int extra = appendLeaf(x, p.grandchild);
        x["left_children"][p.grandchild] = p.left;
        x["right_children"][p.grandchild] = extra;
    }) << I
                                                                              << at
            + QStringLiteral("node %1: its child %2 is also its ancestor (a cycle)")
                  .arg(p.grandchild)
                  .arg(p.left) << XGBoostVerdict::Accepts;
    // The walk pops the right child first, so the right subtree claims the shared node.
    QTest::newRow("a subtree shared by both children of the root")
        << ModelEdit([=](Json &m) { tree(m, t)["left_children"][p.right] = p.grandchild; }) << I
        << at
            + QStringLiteral("node %1: the child of both node %2 and node %3 (a shared subtree)")
                  .arg(p.grandchild)
                  .arg(p.right)
                  .arg(p.left)
        << XGBoostVerdict::Accepts;
    QTest::newRow("both children are the same node") << ModelEdit([=](Json &m) {
        tree(m, t)["right_children"][p.left] = tree(m, t)["left_children"][p.left];
    }) << I << at + QStringLiteral("node %1: both children are node %2").arg(p.left).arg(p.grandchild)
                                                     << XGBoostVerdict::Accepts;
    QTest::newRow("a node is its own child") << ModelEdit([=](Json &m) {
        Json &x = tree(m, t);
        const int extra = appendLeaf(x, p.leaf);
        x["left_children"][p.leaf] = extra;
        x["right_children"][p.leaf] = p.leaf;
    }) << I << at + QStringLiteral("node %1: is its own right child").arg(p.leaf)
                                             << XGBoostVerdict::Accepts;
    QTest::newRow("a leaf with one child")
        << ModelEdit([=](Json &m) {
               Json &x = tree(m, t);
               const int extra = appendLeaf(x, p.leaf);
               x["left_children"][p.leaf] = extra;
           })
        << I
        << at + QStringLiteral("node %1: a leaf with one child (left %2, right -1)").arg(p.leaf).arg(p.nodes)
        << XGBoostVerdict::Accepts;
    QTest::newRow("a node no other node leads to")
        << ModelEdit([=](Json &m) { appendLeaf(tree(m, t), 0); }) << I
        << at + QStringLiteral("node %1: not reachable from the root").arg(p.nodes)
        << XGBoostVerdict::Accepts;
    QTest::newRow("'parents' disagrees with the children")
        << ModelEdit([=](Json &m) { tree(m, t)["parents"][p.grandchild] = p.right; }) << I
        << at
            + QStringLiteral("node %1: 'parents' names node %2, but it is the child of node %3")
                  .arg(p.grandchild)
                  .arg(p.right)
                  .arg(p.left)
        << XGBoostVerdict::Accepts;
    QTest::newRow("split on feature 11 of 11 (indices 0 to 10)")
        << ModelEdit([=](Json &m) { tree(m, t)["split_indices"][0] = kFeatures; }) << I
        << at + QStringLiteral("node 0: splits on feature 11, but the model has 11 features")
        << XGBoostVerdict::Accepts;
    // XGBoost 1.7.4 checks each array's length against num_nodes itself (CHECK_EQ in RegTree's
    // loader) and refuses this one; the check refuses it first, with the tree named.
    QTest::newRow("one node's hessian sum missing")
        << ModelEdit([=](Json &m) { tree(m, t)["sum_hessian"].erase(p.nodes - 1); }) << I
        << at.chopped(2)
            + QStringLiteral(": 'sum_hessian' has %1 entries for %2 nodes").arg(p.nodes - 1).arg(p.nodes)
        << XGBoostVerdict::Rejects;
    QTest::newRow("split conditions with an extra entry")
        << ModelEdit([=](Json &m) { tree(m, t)["split_conditions"].push_back(0.5); }) << I
        << at.chopped(2)
            + QStringLiteral(": 'split_conditions' has %1 entries for %2 nodes").arg(p.nodes + 1).arg(p.nodes)
        << XGBoostVerdict::Rejects;
    QTest::newRow("a tree of no nodes")
        << ModelEdit([=](Json &m) { tree(m, t)["tree_param"]["num_nodes"] = "0"; }) << I
        << at.chopped(2) + ": tree_param.num_nodes is 0; a tree has at least its root"
        << XGBoostVerdict::Rejects;
    QTest::newRow("split condition beyond float range")
        << ModelEdit([=](Json &m) { tree(m, t)["split_conditions"][0] = 1e300; }) << I
        << at + "node 0: split condition is beyond the range of a 32-bit float" << XGBoostVerdict::Accepts;
    QTest::newRow("a node's count of deleted nodes is wrong")
        << ModelEdit([=](Json &m) { tree(m, t)["tree_param"]["num_deleted"] = "1"; }) << I
        << at.chopped(2) + ": tree_param.num_deleted is 1 but 0 nodes are marked deleted"
        << XGBoostVerdict::Rejects;
    QTest::newRow("num_trees one fewer than the trees") << ModelEdit([](Json &m) {
        m["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = "29";
    }) << I << "gbtree_model_param.num_trees is 29 but the model holds 30 trees"
                                                        << XGBoostVerdict::Accepts;
    // One more than the trees: XGBoost would read tree_info past its end.
    QTest::newRow("num_trees one more than the trees") << ModelEdit([](Json &m) {
        m["learner"]["gradient_booster"]["model"]["gbtree_model_param"]["num_trees"] = "31";
    }) << I << "gbtree_model_param.num_trees is 31 but the model holds 30 trees"
                                                       << XGBoostVerdict::NotTried;
    QTest::newRow("tree_info one short")
        << ModelEdit([](Json &m) { m["learner"]["gradient_booster"]["model"]["tree_info"].erase(29); }) << I
        << "tree_info has 29 entries for 30 trees" << XGBoostVerdict::NotTried;
    // A binary model has one output group; group 1 would write past each row's prediction.
    QTest::newRow("a tree in an output group the model lacks")
        << ModelEdit([](Json &m) { m["learner"]["gradient_booster"]["model"]["tree_info"][3] = 1; }) << I
        << "tree 3: tree_info gives output group 1, but the model has 1" << XGBoostVerdict::Accepts;
    // XGBoost places trees by id from several threads: a repeated id leaves one slot empty.
    QTest::newRow("two trees with the same id")
        << ModelEdit([](Json &m) { tree(m, 4)["id"] = 3; }) << I
        << "tree 4: its id is 3; it must be its position in the list" << XGBoostVerdict::NotTried;
    QTest::newRow("a tree deeper than 64")
        << ModelEdit([](Json &m) { tree(m, 2) = caterpillar(tree(m, 2), 65); }) << ErrorCode::LimitExceeded
        << "tree 2, node 129: at depth 65, beyond the limit of 64" << XGBoostVerdict::Accepts;
    QTest::newRow("a categorical split")
        << ModelEdit([=](Json &m) { tree(m, t)["split_type"][0] = 1; }) << ErrorCode::Unsupported
        << at + "node 0: a categorical split, which Mosaic does not train" << XGBoostVerdict::NotTried;
}

void TestTreeStructure::refusesTamperedTrees()
{
    QFETCH(ModelEdit, edit);
    QFETCH(mosaic::ErrorCode, expected);
    QFETCH(QString, detail);
    QFETCH(XGBoostVerdict, xgboost);

    Json model = m_model;
    edit(model);
    const std::string text = model.dump();
    std::optional<Result<void>> checked;
    QVERIFY_THROWS_NO_EXCEPTION(checked = checkTreeStructure(text, kFeatures));
    QVERIFY2(!*checked, "the tampered model passed");
    QCOMPARE(checked->error().code, expected);
    QCOMPARE(QString::fromStdString(checked->error().detail), detail);
    QVERIFY(checked->error().location.empty());

    if (xgboost == XGBoostVerdict::NotTried)
        return;
    auto loaded = Booster::load(text);
    if (xgboost == XGBoostVerdict::Accepts)
        QVERIFY2(loaded, failureText(loaded));
    else
        QVERIFY2(!loaded, "XGBoost was expected to refuse this model");
}

void TestTreeStructure::refusesNonFiniteWordsXGBoostWrites_data()
{
    QTest::addColumn<bool>("leaf");
    QTest::addColumn<QString>("word");
    QTest::addColumn<QString>("problem");

    QTest::newRow("NaN split condition") << false << "NaN"
                                         << "split condition is NaN";
    QTest::newRow("Infinity split condition") << false << "Infinity"
                                              << "split condition is infinite";
    QTest::newRow("NaN leaf value") << true << "NaN"
                                    << "leaf value is NaN";
    QTest::newRow("-Infinity leaf value") << true << "-Infinity"
                                          << "leaf value is infinite";
}

void TestTreeStructure::refusesNonFiniteWordsXGBoostWrites()
{
    QFETCH(bool, leaf);
    QFETCH(QString, word);
    QFETCH(QString, problem);

    const Picks &p = m_picks;
    const int node = leaf ? p.leaf : 0;
    Json model = m_model;
    tree(model, p.tree)["split_conditions"][node] = "@nonfinite@";
    const std::string text = withBareWord(model, "@nonfinite@", word.toStdString());
    QVERIFY(text.find(":[" + word.toStdString() + ",") != std::string::npos
        || text.find("," + word.toStdString()) != std::string::npos);

    auto checked = checkTreeStructure(text, kFeatures);
    QVERIFY(!checked);
    QCOMPARE(checked.error().code, ErrorCode::IntegrityFailed);
    QCOMPARE(QString::fromStdString(checked.error().detail),
        QStringLiteral("tree %1, node %2: %3").arg(p.tree).arg(node).arg(problem));
    // XGBoost reads these words as floats and loads the model without complaint.
    auto loaded = Booster::load(text);
    QVERIFY2(loaded, failureText(loaded));
}

void TestTreeStructure::limitsAreTheCallers()
{
    TreeLimits fewTrees;
    fewTrees.maxTrees = 29;
    auto checked = checkTreeStructure(m_modelText, kFeatures, fewTrees);
    QVERIFY(!checked);
    QCOMPARE(checked.error().code, ErrorCode::LimitExceeded);
    QCOMPARE(checked.error().detail, std::string("the XGBoost model has 30 trees, above the limit of 29"));

    TreeLimits fewNodes;
    fewNodes.maxNodesPerTree = 2;
    checked = checkTreeStructure(m_modelText, kFeatures, fewNodes);
    QVERIFY(!checked);
    QCOMPARE(checked.error().code, ErrorCode::LimitExceeded);
    QVERIFY2(QString::fromStdString(checked.error().detail).contains("above the limit of 2"),
        checked.error().detail.c_str());

    // Depth 3 trees under a bound of 2: the first node found at depth 3 is named.
    TreeLimits shallow;
    shallow.maxDepth = 2;
    checked = checkTreeStructure(m_modelText, kFeatures, shallow);
    QVERIFY(!checked);
    QCOMPARE(checked.error().code, ErrorCode::LimitExceeded);
    QVERIFY2(QString::fromStdString(checked.error().detail).contains(": at depth 3, beyond the limit of 2"),
        checked.error().detail.c_str());
    shallow.maxDepth = 3;
    QVERIFY(checkTreeStructure(m_modelText, kFeatures, shallow));
}

void TestTreeStructure::refusesWhatIsNotATreeModel()
{
    const auto refuse = [](const std::string &text, ErrorCode code, const std::string &detail) {
        std::optional<Result<void>> checked;
        QVERIFY_THROWS_NO_EXCEPTION(checked = checkTreeStructure(text, kFeatures));
        QVERIFY(!*checked);
        QCOMPARE(checked->error().code, code);
        QCOMPARE(checked->error().detail, detail);
    };
    refuse("", ErrorCode::Malformed, "the XGBoost model is not JSON");
    refuse("booster[0]: 0:[f6<30]", ErrorCode::Malformed, "the XGBoost model is not JSON");
    refuse(R"({"version":[1,7,4]})", ErrorCode::Malformed,
        "the XGBoost model lacks learner.gradient_booster.name");
    Json linear = m_model;
    linear["learner"]["gradient_booster"] = { { "name", "gblinear" }, { "model", Json::object() } };
    refuse(linear.dump(), ErrorCode::Unsupported,
        "the XGBoost model's booster is \"gblinear\"; Mosaic loads only \"gbtree\"");
    Json noTrees = m_model;
    noTrees["learner"]["gradient_booster"]["model"].erase("trees");
    refuse(noTrees.dump(), ErrorCode::Malformed,
        "the XGBoost model lacks learner.gradient_booster.model's gbtree_model_param, trees or tree_info");
    Json textChild = m_model;
    tree(textChild, 0)["left_children"][0] = "1";
    refuse(textChild.dump(), ErrorCode::IntegrityFailed,
        "tree 0, node 0: 'left_children' holds \"1\", not a whole number");
}

void TestTreeStructure::bundleWithTamperedTreesIsRefused()
{
    // A real bundle, re-hashed and re-signed by a trusted key after its trees were tampered with, so
    // the SHA-256 and the signature pass and only the tree check stands between the file and XGBoost.
    const auto signer = mosaic::testing::testKeyPair(0x11);
    auto key = SigningKey::fromSeed(signer.seed);
    QVERIFY2(key, failureText(key));
    TrustedKeys trusted;
    QVERIFY(trusted.add("test suite", key->publicKey()));
    auto schema = FeatureSchema::readFile(kSchemaPath);
    QVERIFY2(schema, failureText(schema));
    TrainingRequest request;
    request.name = "Death during follow-up (heart failure, test)";
    request.outcome = "death during follow-up";
    request.labelColumn = "Event";
    request.validation.folds = 5;
    request.validation.repeats = 1;
    request.validation.training.rounds = 20;
    auto bundle = trainRiskModel(deathTable(), *schema, request);
    QVERIFY2(bundle, failureText(bundle));

    auto signedJson = bundle->toJson(*key);
    QVERIFY2(signedJson, failureText(signedJson));
    Json document = Json::parse(*signedJson);
    Json model = Json::parse(document["content"]["xgboost_model"].get<std::string>());
    const Picks p = pick(model);
    {
        Json &x = tree(model, p.tree);
        const int extra = appendLeaf(x, p.grandchild);
        x["left_children"][p.grandchild] = p.left;
        x["right_children"][p.grandchild] = extra;
    }
    const std::string tampered = model.dump();
    QVERIFY2(Booster::load(tampered), "XGBoost was expected to load the cyclic model");
    document["content"]["xgboost_model"] = tampered;
    mosaic::testing::rehashAndSign(document, signer);

    auto read = ModelBundle::fromJson(document.dump(1), "tampered.mosaic-model.json", trusted);
    QVERIFY(!read);
    QCOMPARE(read.error().code, ErrorCode::IntegrityFailed);
    QCOMPARE(read.error().location, std::string("tampered.mosaic-model.json"));
    QCOMPARE(QString::fromStdString(read.error().detail),
        QStringLiteral("tree %1, node %2: its child %3 is also its ancestor (a cycle)")
            .arg(p.tree)
            .arg(p.grandchild)
            .arg(p.left));

    // The control: the same bundle untampered, re-hashed the same way, is read.
    Json control = Json::parse(*signedJson);
    mosaic::testing::rehashAndSign(control, signer);
    auto untouched = ModelBundle::fromJson(control.dump(1), "untouched.mosaic-model.json", trusted);
    QVERIFY2(untouched, failureText(untouched));
}

QTEST_APPLESS_MAIN(TestTreeStructure)
#include "tst_tree_structure.moc"
