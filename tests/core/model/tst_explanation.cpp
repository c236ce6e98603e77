// SPDX-License-Identifier: Apache-2.0
// Explanations on the real heart-failure cohort (Ahmad et al. 2017), checked three ways:
// - identities that must hold whatever the model: SHAP + bias = margin for every patient and class,
//   per-modality sums add up to the total, each interaction row adds up to its feature's SHAP
//   value, interaction matrices are symmetric, and a modality a patient already lacks moves nothing;
// - Python's XGBoost 1.7 (tests/core/model/explanation_peer.py) on the model saved here: SHAP,
//   interaction values, the strongest pairs, the re-predictions with a modality set missing, and
//   global importance, to 1e-5;
// - a one-split model written by hand, whose SHAP values and absence effects are worked out in the
//   comment above the test.
// The cohort has records only; the tests group its columns into three modalities so that every
// path has something to do: Ejection.Fraction and Sodium as "imaging", Gender and Diabetes as
// "genomics", the rest as "records". The grouping is for the test, not a clinical claim.
#include "core/features/cohort_table.h"
#include "core/model/booster.h"
#include "core/model/explanation.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/model/compare_near.h"
#include <cmath>
#include <fstream>
#include <limits>
#include <map>

using namespace mosaic;
using Json = nlohmann::json;

namespace {

const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";
const QString kPython = QStringLiteral("/usr/bin/python3");
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Python reads the same saved model with the same libxgboost algorithm, so both sides compute the
// same float32 numbers; 1e-5 leaves room only for the text round trip (9 significant digits).
constexpr double kPeer = 1e-5;

// SHAP + bias against the margin: XGBoost accumulates both in float32 (epsilon 1.19e-7), the SHAP
// values tree by tree per feature and the margin tree by tree, so the two sums round differently.
// With 40 trees per class and |margin| < 4, each running sum carries at most 40 roundings of
// 2^-22 (the ulp at magnitudes below 4), 40 * 2.4e-7 = 9.5e-6 each way; 2e-5 bounds both, and the
// largest seen is printed by the test.
constexpr double kAdditivity = 2e-5;

Modality testModality(const std::string &name)
{
    if (name == "Ejection.Fraction" || name == "Sodium")
        return Modality::Imaging;
    if (name == "Gender" || name == "Diabetes")
        return Modality::Genomics;
    return Modality::Records;
}

struct Fixture
{
    FeatureSchema schema;
    RowMatrixXf features; // for prediction: the cohort with some modalities blanked, see blank()
    std::vector<float> labels;
    bool multiclass = false;
};

// Patients 0, 1 and 2 lack their imaging, genomics and records features respectively; patient 3
// lacks one imaging feature of two. The rest are complete, as in the file.
void blank(Fixture &fixture)
{
    for (std::size_t column = 0; column < fixture.schema.size(); ++column) {
        const auto c = static_cast<Eigen::Index>(column);
        const Modality modality = fixture.schema.at(column).modality;
        if (modality == Modality::Imaging)
            fixture.features(0, c) = kNaN;
        if (modality == Modality::Genomics)
            fixture.features(1, c) = kNaN;
        if (modality == Modality::Records)
            fixture.features(2, c) = kNaN;
        if (fixture.schema.at(column).name == "Sodium")
            fixture.features(3, c) = kNaN;
    }
}

FeatureSchema schemaOf(const std::vector<std::string> &names)
{
    std::vector<FeatureDefinition> definitions;
    for (const auto &name : names)
        definitions.push_back({ name, testModality(name), "", "" });
    auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
    if (!schema)
        qFatal("%s", schema.error().message().c_str());
    return *schema;
}

CohortTable readCohort()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    return std::move(*table);
}

// Binary: death during follow-up from the eleven baseline features.
Fixture deathFixture()
{
    const CohortTable table = readCohort();
    Fixture fixture;
    fixture.schema = schemaOf(table.featureColumns);
    fixture.features = table.features;
    fixture.labels.assign(table.labels->data(), table.labels->data() + table.labels->size());
    return fixture;
}

// Three classes: heart failure with reduced (<= 40 %), mildly reduced (41-49 %) or preserved
// (>= 50 %) ejection fraction (ESC 2021), from the other ten features.
Fixture ejectionFractionFixture()
{
    const CohortTable table = readCohort();
    const auto &columns = table.featureColumns;
    const auto ef = std::distance(columns.begin(), std::ranges::find(columns, "Ejection.Fraction"));
    Fixture fixture;
    fixture.multiclass = true;
    std::vector<std::string> names;
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (static_cast<Eigen::Index>(i) != ef)
            names.push_back(columns[i]);
    fixture.schema = schemaOf(names);
    fixture.features.resize(table.features.rows(), table.features.cols() - 1);
    for (Eigen::Index row = 0; row < table.features.rows(); ++row) {
        const float value = table.features(row, ef);
        fixture.labels.push_back(value <= 40.0f ? 0.0f : value < 50.0f ? 1.0f : 2.0f);
        Eigen::Index out = 0;
        for (Eigen::Index column = 0; column < table.features.cols(); ++column)
            if (column != ef)
                fixture.features(row, out++) = table.features(row, column);
    }
    return fixture;
}

// Trained on the complete cohort; `fixture.features` is blanked afterwards for prediction.
Booster train(Fixture &fixture)
{
    const std::vector<std::string> names = fixture.schema.names();
    auto data = DMatrix::fromDense(fixture.features, fixture.labels, names);
    if (!data)
        qFatal("%s", data.error().message().c_str());
    TrainingParameters parameters;
    parameters.objective = fixture.multiclass ? Objective::MulticlassSoftprob : Objective::BinaryLogistic;
    parameters.classCount = 3;
    parameters.rounds = 40;
    auto booster = Booster::train(*data, parameters);
    if (!booster)
        qFatal("%s", booster.error().message().c_str());
    blank(fixture);
    return std::move(*booster);
}

Fixture fixtureFor(bool multiclass)
{
    return multiclass ? ejectionFractionFixture() : deathFixture();
}

// Runs explanation_peer.py on the saved model and the prediction rows; the parsed JSON, or null
// after a failed QVERIFY-style message in `problem`.
Json runPeer(const Booster &booster, const Fixture &fixture, std::size_t top, QString &problem)
{
    QTemporaryDir dir;
    const std::string modelPath = (dir.path() + "/model.json").toStdString();
    const std::string featuresPath = (dir.path() + "/features.csv").toStdString();
    const std::string groupsPath = (dir.path() + "/groups.json").toStdString();
    std::ofstream(modelPath) << *booster.save(ModelFormat::Json);
    {
        std::ofstream out(featuresPath);
        char buffer[32];
        for (Eigen::Index row = 0; row < fixture.features.rows(); ++row) {
            for (Eigen::Index column = 0; column < fixture.features.cols(); ++column) {
                std::snprintf(
                    buffer, sizeof buffer, "%.9g", static_cast<double>(fixture.features(row, column)));
                out << (column ? "," : "") << (std::isnan(fixture.features(row, column)) ? "nan" : buffer);
            }
            out << '\n';
        }
    }
    Json groups = Json::object();
    for (std::size_t column = 0; column < fixture.schema.size(); ++column)
        groups[std::string(modalityName(fixture.schema.at(column).modality))].push_back(column);
    std::ofstream(groupsPath) << groups.dump();

    QProcess peer;
    peer.start(kPython,
        { QStringLiteral(MOSAIC_SOURCE_DIR "/tests/core/model/explanation_peer.py"),
            QString::fromStdString(modelPath), QString::fromStdString(featuresPath),
            QString::fromStdString(groupsPath), QString::number(top) });
    if (!peer.waitForFinished(300000) || peer.exitCode() != 0) {
        problem = "explanation_peer.py failed: " + QString::fromUtf8(peer.readAllStandardError());
        return nullptr;
    }
    return Json::parse(peer.readAllStandardOutput().toStdString());
}

} // namespace

class TestExplanation : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void shapAddsUpToTheMargin_data();
    void shapAddsUpToTheMargin();
    void absentModalityAlreadyMissingMovesNothing_data();
    void absentModalityAlreadyMissingMovesNothing();
    void interactionRowsAddUpAndAreSymmetric_data();
    void interactionRowsAddUpAndAreSymmetric();
    void matchesPythonXgboost_data();
    void matchesPythonXgboost();
    void handBuiltStump();
    void mismatchedInputIsRefused();
};

void TestExplanation::initTestCase()
{
    if (QProcess::execute(kPython, { "-c", "import xgboost" }) != 0)
        QSKIP("python3-xgboost is not installed (packaging/install-deps.sh installs it)");
}

void TestExplanation::shapAddsUpToTheMargin_data()
{
    QTest::addColumn<bool>("multiclass");
    QTest::newRow("binary: death during follow-up") << false;
    QTest::newRow("three classes: ejection fraction category") << true;
}

void TestExplanation::shapAddsUpToTheMargin()
{
    QFETCH(bool, multiclass);
    Fixture fixture = fixtureFor(multiclass);
    const Booster booster = train(fixture);
    auto explanations = explainPatients(booster, fixture.schema, fixture.features);
    QVERIFY2(explanations, explanations ? "" : explanations.error().message().c_str());
    QCOMPARE(explanations->size(), static_cast<std::size_t>(fixture.features.rows()));
    // The margin itself comes straight from XGBoost, not from the explanation.
    const std::vector<std::string> names = fixture.schema.names();
    auto margins = booster.predictMargin(*DMatrix::fromDense(fixture.features, {}, names));
    QVERIFY(margins);
    double worst = 0.0;
    for (std::size_t row = 0; row < explanations->size(); ++row) {
        const auto &patient = (*explanations)[row];
        QCOMPARE(patient.classes.size(), multiclass ? std::size_t { 3 } : std::size_t { 1 });
        for (const auto &explanation : patient.classes) {
            const double margin = (*margins)(
                static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(explanation.classIndex));
            COMPARE_NEAR(explanation.margin, margin, 0.0);
            double sum = explanation.bias;
            std::map<Modality, double> byModality; // grouped here from the schema, independently
            for (std::size_t feature = 0; feature < fixture.schema.size(); ++feature) {
                sum += explanation.featureShap[feature];
                byModality[fixture.schema.at(feature).modality] += explanation.featureShap[feature];
            }
            worst = std::max(worst, std::abs(sum - margin));
            COMPARE_NEAR(sum, margin, kAdditivity);
            // Per-modality sums add up to the total of the feature values (double arithmetic on the
            // same float values: only summation order differs).
            QCOMPARE(explanation.modalities.size(), byModality.size());
            double modalityTotal = explanation.bias;
            for (const auto &effect : explanation.modalities) {
                COMPARE_NEAR(effect.shap, byModality.at(effect.modality), 1e-12);
                modalityTotal += effect.shap;
            }
            COMPARE_NEAR(modalityTotal, sum, 1e-12);
        }
    }
    qInfo("largest |SHAP + bias - margin|: %.3g over %zu patients", worst, explanations->size());
}

void TestExplanation::absentModalityAlreadyMissingMovesNothing_data()
{
    shapAddsUpToTheMargin_data();
}

void TestExplanation::absentModalityAlreadyMissingMovesNothing()
{
    QFETCH(bool, multiclass);
    Fixture fixture = fixtureFor(multiclass);
    const Booster booster = train(fixture);
    auto explanations = explainPatients(booster, fixture.schema, fixture.features);
    QVERIFY(explanations);
    // Patients 0, 1, 2 lack imaging, genomics, records (blank()); patient 3 lacks Sodium only.
    const Modality lacking[] = { Modality::Imaging, Modality::Genomics, Modality::Records };
    for (std::size_t row = 0; row < 3; ++row)
        for (const auto &explanation : (*explanations)[row].classes) {
            const ModalityEffect *effect = explanation.effectOf(lacking[row]);
            QVERIFY(effect);
            QCOMPARE(effect->featuresPresent, std::size_t { 0 });
            // Setting missing what is already missing re-predicts the very same row: bit for bit.
            QCOMPARE(effect->marginWithout, explanation.margin);
            QCOMPARE(effect->probabilityWithout, explanation.probability);
            QCOMPARE(effect->marginShiftWhenAbsent(explanation.margin), 0.0);
        }
    const auto &imaging = *(*explanations)[3].classes[0].effectOf(Modality::Imaging);
    QCOMPARE(imaging.featuresInModel, multiclass ? std::size_t { 1 } : std::size_t { 2 });
    QCOMPARE(imaging.featuresPresent, multiclass ? std::size_t { 0 } : std::size_t { 1 });
    // Records: Smoking, BP, Anaemia, Age, Creatinine, Pletelets, CPK in both tasks.
    QCOMPARE((*explanations)[4].classes[0].effectOf(Modality::Records)->featuresPresent, std::size_t { 7 });
}

void TestExplanation::interactionRowsAddUpAndAreSymmetric_data()
{
    shapAddsUpToTheMargin_data();
}

void TestExplanation::interactionRowsAddUpAndAreSymmetric()
{
    QFETCH(bool, multiclass);
    Fixture fixture = fixtureFor(multiclass);
    const Booster booster = train(fixture);
    const std::vector<std::string> names = fixture.schema.names();
    auto data = DMatrix::fromDense(fixture.features, {}, names);
    auto shap = booster.contributions(*data);
    auto interactions = booster.interactions(*data);
    QVERIFY(shap && interactions);
    double worstRow = 0.0;
    double worstSymmetry = 0.0;
    for (std::size_t row = 0; row < interactions->rows; ++row)
        for (std::size_t c = 0; c < interactions->classes; ++c)
            for (std::size_t i = 0; i < interactions->features; ++i) {
                double sum = 0.0;
                for (std::size_t j = 0; j <= interactions->features; ++j) {
                    sum += interactions->at(row, c, i, j);
                    worstSymmetry = std::max(worstSymmetry,
                        std::abs(static_cast<double>(interactions->at(row, c, i, j))
                            - interactions->at(row, c, j, i)));
                }
                worstRow = std::max(worstRow, std::abs(sum - shap->at(row, c, i)));
                // Interaction values are differences of two conditioned TreeSHAP runs, each accumulated in
                // float32 like the SHAP values, so the same bound as additivity applies.
                COMPARE_NEAR(sum, static_cast<double>(shap->at(row, c, i)), kAdditivity);
            }
    // XGBoost computes the cells (i, j) and (j, i) in separate float32 TreeSHAP runs (conditioning on
    // one feature, then the other), so they agree to float32 rounding: at |values| < 4 an ulp is
    // 2.4e-7, and a difference of two conditioned runs carries a few of them.
    QVERIFY2(worstSymmetry <= 1e-6, qPrintable(QString::number(worstSymmetry)));
    qInfo("largest |interaction row sum - SHAP|: %.3g; largest asymmetry %.3g", worstRow, worstSymmetry);
}

void TestExplanation::matchesPythonXgboost_data()
{
    shapAddsUpToTheMargin_data();
}

void TestExplanation::matchesPythonXgboost()
{
    QFETCH(bool, multiclass);
    Fixture fixture = fixtureFor(multiclass);
    const Booster booster = train(fixture);
    constexpr std::size_t kTop = 3;
    QString problem;
    const Json peer = runPeer(booster, fixture, kTop, problem);
    QVERIFY2(!peer.is_null(), qPrintable(problem));

    auto explanations = explainPatients(booster, fixture.schema, fixture.features);
    QVERIFY(explanations);
    auto pairs = strongestInteractions(booster, fixture.schema, fixture.features, kTop);
    QVERIFY2(pairs, pairs ? "" : pairs.error().message().c_str());
    const std::size_t features = fixture.schema.size();
    std::map<Modality, double> largestShift; // the comparison must not be vacuous
    for (std::size_t row = 0; row < explanations->size(); ++row) {
        for (const auto &explanation : (*explanations)[row].classes) {
            const std::size_t c = explanation.classIndex;
            COMPARE_NEAR(explanation.margin, peer["actual"]["margin"][row][c].get<double>(), kPeer);
            COMPARE_NEAR(explanation.probability, peer["actual"]["probability"][row][c].get<double>(), kPeer);
            COMPARE_NEAR(
                explanation.marginAllMissing, peer["all_missing"]["margin"][row][c].get<double>(), kPeer);
            COMPARE_NEAR(explanation.probabilityAllMissing,
                peer["all_missing"]["probability"][row][c].get<double>(), kPeer);
            const Json &contribs = peer["contribs"][row][c];
            for (std::size_t feature = 0; feature < features; ++feature)
                COMPARE_NEAR(explanation.featureShap[feature], contribs[feature].get<double>(), kPeer);
            COMPARE_NEAR(explanation.bias, contribs[features].get<double>(), kPeer);
            for (const auto &effect : explanation.modalities) {
                const std::string name(modalityName(effect.modality));
                // The absence effect, re-predicted independently by Python with those columns NaN.
                const double pythonMarginWithout = peer["without"][name]["margin"][row][c].get<double>();
                const double pythonProbabilityWithout
                    = peer["without"][name]["probability"][row][c].get<double>();
                COMPARE_NEAR(effect.marginShiftWhenAbsent(explanation.margin),
                    pythonMarginWithout - peer["actual"]["margin"][row][c].get<double>(), 2 * kPeer);
                COMPARE_NEAR(effect.probabilityShiftWhenAbsent(explanation.probability),
                    pythonProbabilityWithout - peer["actual"]["probability"][row][c].get<double>(),
                    2 * kPeer);
                COMPARE_NEAR(effect.marginWithout, pythonMarginWithout, kPeer);
                largestShift[effect.modality] = std::max(largestShift[effect.modality],
                    std::abs(effect.marginShiftWhenAbsent(explanation.margin)));
                COMPARE_NEAR(effect.probabilityWithout, pythonProbabilityWithout, kPeer);
                COMPARE_NEAR(effect.marginAlone, peer["alone"][name]["margin"][row][c].get<double>(), kPeer);
                COMPARE_NEAR(
                    effect.probabilityAlone, peer["alone"][name]["probability"][row][c].get<double>(), kPeer);
            }
            // The strongest pairs, ranked by Python from its own interaction values.
            const Json &expected = peer["top_pairs"][row][c];
            const auto &ours = (*pairs)[row].byClass[c];
            QCOMPARE(ours.size(), expected.size());
            for (std::size_t k = 0; k < ours.size(); ++k) {
                QCOMPARE(ours[k].firstName, expected[k][0].get<std::string>());
                QCOMPARE(ours[k].secondName, expected[k][1].get<std::string>());
                QVERIFY(ours[k].first < ours[k].second);
                COMPARE_NEAR(ours[k].value, expected[k][2].get<double>(), kPeer);
            }
        }
    }
    // Every modality moves some patient's prediction when it is absent.
    QCOMPARE(largestShift.size(), std::size_t { 3 });
    for (const auto &[modality, shift] : largestShift)
        QVERIFY2(shift > 0.05, modalityName(modality).data());

    // The raw interaction values too.
    const std::vector<std::string> names = fixture.schema.names();
    auto interactions = booster.interactions(*DMatrix::fromDense(fixture.features, {}, names));
    QVERIFY(interactions);
    for (std::size_t row = 0; row < interactions->rows; ++row)
        for (std::size_t c = 0; c < interactions->classes; ++c)
            for (std::size_t i = 0; i <= features; ++i)
                for (std::size_t j = 0; j <= features; ++j)
                    COMPARE_NEAR(static_cast<double>(interactions->at(row, c, i, j)),
                        peer["interactions"][row][c][i][j].get<double>(), kPeer);

    // Global importance: Python's means of its own SHAP values, and its get_score.
    auto importance = globalImportance(booster, fixture.schema, fixture.features);
    QVERIFY2(importance, importance ? "" : importance.error().message().c_str());
    QCOMPARE(importance->patients, static_cast<std::size_t>(fixture.features.rows()));
    QCOMPARE(importance->classes.size(), multiclass ? std::size_t { 3 } : std::size_t { 1 });
    for (const auto &perClass : importance->classes) {
        const std::size_t c = perClass.classIndex;
        for (const auto &feature : perClass.features) {
            COMPARE_NEAR(
                feature.meanAbsoluteShap, peer["mean_abs"][c][feature.featureIndex].get<double>(), kPeer);
            COMPARE_NEAR(feature.meanShap, peer["mean"][c][feature.featureIndex].get<double>(), kPeer);
        }
        QCOMPARE(perClass.modalities.size(), std::size_t { 3 });
        for (const auto &modality : perClass.modalities) {
            const std::string name(modalityName(modality.modality));
            COMPARE_NEAR(modality.meanAbsoluteShap, peer["modality_mean_abs"][name][c].get<double>(), kPeer);
            COMPARE_NEAR(modality.meanShap, peer["modality_mean"][name][c].get<double>(), kPeer);
            double sum = 0.0;
            for (const auto &feature : perClass.features)
                if (fixture.schema.at(feature.featureIndex).modality == modality.modality)
                    sum += peer["mean_abs"][c][feature.featureIndex].get<double>();
            COMPARE_NEAR(modality.sumOfFeatureMeanAbsoluteShap, sum, kPeer);
            // |sum| <= sum of |.|, per patient and so on average.
            QVERIFY(modality.meanAbsoluteShap <= modality.sumOfFeatureMeanAbsoluteShap + 1e-12);
        }
    }
    QCOMPARE(importance->gain.size(), peer["gain"].size());
    for (const auto &gain : importance->gain) {
        const std::string &name = fixture.schema.at(gain.featureIndex).name;
        const double expected = peer["gain"][name].get<double>();
        COMPARE_NEAR(gain.averageGain, expected, 1e-6 * std::max(1.0, expected));
        COMPARE_NEAR(gain.splits, peer["weight"][name].get<double>(), 0.0);
    }
}

// One tree, one split, written by hand: Ejection.Fraction (imaging) < 40 goes left to a leaf of
// +0.5, otherwise right to -0.25; a missing value goes left (default_left). The left child covers
// a hessian sum of 30, the right 70. Age (records) is in the model but never split on.
// base_score 0.5 is a base margin of logit(0.5) = 0.
//   Expected margin (TreeSHAP weighs the leaves by cover): (30 * 0.5 + 70 * -0.25) / 100 = -0.025,
//   the bias. SHAP(EF) = margin - bias; SHAP(Age) = 0.
//   EF 30:  left,  margin 0.5,   SHAP(EF) = 0.525,  p = 1 / (1 + e^-0.5)  = 0.62245933120185459
//   EF 55:  right, margin -0.25, SHAP(EF) = -0.225, p = 1 / (1 + e^0.25)  = 0.43782349911420193
//   EF NaN: default left, as EF 30 (XGBoost's TreeSHAP follows the default branch too)
//   EF 40:  40 < 40 is false, right, as EF 55
//   Imaging absent: every patient goes left, margin 0.5, p = 0.62245933120185459. For EF 55 the
//   prediction moves by +0.75 log-odds and 0.62245933120185459 - 0.43782349911420193
//   = 0.18463583208765266 in probability; for EF 30 and NaN by 0.
//   Records absent, or imaging alone: Age is never used, so nothing moves.
//   All missing: margin 0.5.
//   Global: mean |SHAP(EF)| = (0.525 + 0.225 + 0.525 + 0.225) / 4 = 0.375, mean SHAP(EF) =
//   (0.525 - 0.225 + 0.525 - 0.225) / 4 = 0.15; gain 3 (the split's loss change) over 1 split;
//   no pairs interact.
void TestExplanation::handBuiltStump()
{
    const char *model = R"({"learner":{"attributes":{},"feature_names":["Ejection.Fraction","Age"],
"feature_types":[],"gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1",
"num_trees":"1","size_leaf_vector":"0"},"tree_info":[0],"trees":[{"base_weights":[0.0,0.5,-0.25],
"categories":[],"categories_nodes":[],"categories_segments":[],"categories_sizes":[],
"default_left":[1,0,0],"id":0,"left_children":[1,-1,-1],"loss_changes":[3.0,0.0,0.0],
"parents":[2147483647,0,0],"right_children":[2,-1,-1],"split_conditions":[40.0,0.5,-0.25],
"split_indices":[0,0,0],"split_type":[0,0,0],"sum_hessian":[100.0,30.0,70.0],
"tree_param":{"num_deleted":"0","num_feature":"2","num_nodes":"3","size_leaf_vector":"0"}}]},
"name":"gbtree"},"learner_model_param":{"base_score":"5E-1","boost_from_average":"0","num_class":"0",
"num_feature":"2","num_target":"1"},"objective":{"name":"binary:logistic",
"reg_loss_param":{"scale_pos_weight":"1"}}},"version":[1,7,4]})";
    auto booster = Booster::load(model);
    QVERIFY2(booster, booster ? "" : booster.error().message().c_str());
    auto schema = FeatureSchema::fromDefinitions(
        { { "Ejection.Fraction", Modality::Imaging, "%", "" }, { "Age", Modality::Records, "a", "" } });
    QVERIFY(schema);
    RowMatrixXf rows(4, 2);
    rows << 30, 70, 55, 70, kNaN, 70, 40, 70;
    auto explanations = explainPatients(*booster, *schema, rows);
    QVERIFY2(explanations, explanations ? "" : explanations.error().message().c_str());

    constexpr double kLeft = 0.62245933120185459;
    constexpr double kRight = 0.43782349911420193;
    const double margins[] = { 0.5, -0.25, 0.5, -0.25 };
    const double probabilities[] = { kLeft, kRight, kLeft, kRight };
    const double shapEf[] = { 0.525, -0.225, 0.525, -0.225 };
    constexpr double kFloat = 1e-6; // float32 leaves and sums of three terms
    for (std::size_t row = 0; row < 4; ++row) {
        const ClassExplanation &explanation = (*explanations)[row].classes.at(0);
        COMPARE_NEAR(explanation.margin, margins[row], kFloat);
        COMPARE_NEAR(explanation.probability, probabilities[row], kFloat);
        COMPARE_NEAR(explanation.bias, -0.025, kFloat);
        COMPARE_NEAR(explanation.featureShap[0], shapEf[row], kFloat);
        COMPARE_NEAR(explanation.featureShap[1], 0.0, 0.0);
        COMPARE_NEAR(explanation.marginAllMissing, 0.5, kFloat);
        QCOMPARE(explanation.modalities.size(), std::size_t { 2 });
        const ModalityEffect &imaging = *explanation.effectOf(Modality::Imaging);
        const ModalityEffect &records = *explanation.effectOf(Modality::Records);
        QCOMPARE(imaging.featuresPresent, row == 2 ? std::size_t { 0 } : std::size_t { 1 });
        COMPARE_NEAR(imaging.shap, shapEf[row], kFloat);
        COMPARE_NEAR(imaging.marginWithout, 0.5, kFloat);
        COMPARE_NEAR(imaging.probabilityWithout, kLeft, kFloat);
        const bool right = row % 2 == 1;
        COMPARE_NEAR(imaging.marginShiftWhenAbsent(explanation.margin), right ? 0.75 : 0.0, kFloat);
        COMPARE_NEAR(imaging.probabilityShiftWhenAbsent(explanation.probability),
            right ? 0.18463583208765266 : 0.0, kFloat);
        COMPARE_NEAR(imaging.marginAlone, margins[row], kFloat);
        COMPARE_NEAR(records.shap, 0.0, 0.0);
        COMPARE_NEAR(records.marginWithout, margins[row], kFloat);
        COMPARE_NEAR(records.marginAlone, 0.5, kFloat);
    }

    auto importance = globalImportance(*booster, *schema, rows);
    QVERIFY2(importance, importance ? "" : importance.error().message().c_str());
    COMPARE_NEAR(importance->classes[0].features[0].meanAbsoluteShap, 0.375, kFloat);
    COMPARE_NEAR(importance->classes[0].features[0].meanShap, 0.15, kFloat);
    COMPARE_NEAR(importance->classes[0].features[1].meanAbsoluteShap, 0.0, 0.0);
    QCOMPARE(importance->gain.size(), std::size_t { 1 });
    QCOMPARE(importance->gain[0].featureIndex, std::size_t { 0 });
    COMPARE_NEAR(importance->gain[0].averageGain, 3.0, kFloat);
    COMPARE_NEAR(importance->gain[0].splits, 1.0, 0.0);

    auto pairs = strongestInteractions(*booster, *schema, rows, 5);
    QVERIFY(pairs);
    for (const auto &patient : *pairs)
        QVERIFY(patient.byClass.at(0).empty());

    // The same numbers in the JSON the CLI prints, for EF 55.
    const Json patient = Json::parse(explanationToJson((*explanations)[1], *schema, &(*pairs)[1]));
    const Json &only = patient["classes"][0];
    COMPARE_NEAR(only["margin"].get<double>(), -0.25, kFloat);
    QCOMPARE(only["features"][0]["feature"].get<std::string>(), std::string("Ejection.Fraction"));
    QCOMPARE(only["features"][0]["modality"].get<std::string>(), std::string("imaging"));
    COMPARE_NEAR(only["features"][0]["shap"].get<double>(), -0.225, kFloat);
    QCOMPARE(only["modalities"][0]["modality"].get<std::string>(), std::string("imaging"));
    COMPARE_NEAR(only["modalities"][0]["margin_shift_when_absent"].get<double>(), 0.75, kFloat);
    COMPARE_NEAR(
        only["modalities"][0]["probability_shift_when_absent"].get<double>(), 0.18463583208765266, kFloat);
    QVERIFY(only["interactions"].is_array() && only["interactions"].empty());
    const Json global = Json::parse(importanceToJson(*importance, *schema));
    QCOMPARE(global["patients"].get<int>(), 4);
    COMPARE_NEAR(global["classes"][0]["features"][0]["mean_abs_shap"].get<double>(), 0.375, kFloat);
    QCOMPARE(global["gain"][0]["feature"].get<std::string>(), std::string("Ejection.Fraction"));
    COMPARE_NEAR(global["gain"][0]["average_gain"].get<double>(), 3.0, kFloat);
}

void TestExplanation::mismatchedInputIsRefused()
{
    Fixture fixture = deathFixture();
    const Booster booster = train(fixture);
    auto shorter = FeatureSchema::fromDefinitions({ { "Age", Modality::Records, "a", "" } });
    QVERIFY(shorter);
    auto wrongSchema = explainPatients(booster, *shorter, fixture.features);
    QVERIFY(!wrongSchema);
    QCOMPARE(wrongSchema.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(wrongSchema.error().message(), std::string("the schema has 1 features but the model has 11"));
    const RowMatrixXf narrow = fixture.features.leftCols(10);
    auto wrongColumns = globalImportance(booster, fixture.schema, narrow);
    QVERIFY(!wrongColumns);
    QCOMPARE(wrongColumns.error().message(),
        std::string("the data have 10 columns but the schema has 11 features"));
    auto none = strongestInteractions(booster, fixture.schema, fixture.features.topRows(0), 3);
    QVERIFY(!none);
    QCOMPARE(none.error().message(), std::string("there are no patients to explain"));
}

QTEST_APPLESS_MAIN(TestExplanation)
#include "tst_explanation.moc"
