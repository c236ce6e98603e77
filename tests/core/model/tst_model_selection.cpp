// SPDX-License-Identifier: Apache-2.0
// Nested model selection on the real heart-failure cohort (Ahmad et al. 2017, 299 patients): the
// held-out labels never reach the model that predicts them (a leak detector that flips them), the
// outer predictions come from the chosen candidate refitted on the outer training rows, patients
// are never split, multi-class works, the search is reproducible for a seed and can be cancelled.
#include "core/features/cohort_table.h"
#include "core/model/metrics.h"
#include "core/model/model_selection.h"
#include "core/model/stratified_folds.h"

#include <QFile>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

using namespace mosaic;

namespace {

const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";

struct Cohort
{
    RowMatrixXf features;
    std::vector<int> labels;
};

// Death during follow-up (96 of 299) from the ten baseline features; follow-up time leaks it.
Cohort deathCohort()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    return { table->features, std::vector<int>(table->labels->begin(), table->labels->end()) };
}

// Heart failure with reduced (<= 40 %), mildly reduced (41-49 %) or preserved (>= 50 %) ejection
// fraction (ESC 2021) from the other baseline features: a real three-class task.
Cohort ejectionFractionCohort()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    const auto efColumn = std::distance(
        table->featureColumns.begin(), std::ranges::find(table->featureColumns, "Ejection.Fraction"));
    Cohort cohort;
    cohort.features.resize(table->features.rows(), table->features.cols() - 1);
    for (Eigen::Index row = 0; row < table->features.rows(); ++row) {
        const float ef = table->features(row, efColumn);
        cohort.labels.push_back(ef <= 40.0f ? 0 : ef < 50.0f ? 1 : 2);
        Eigen::Index out = 0;
        for (Eigen::Index column = 0; column < table->features.cols(); ++column)
            if (column != efColumn)
                cohort.features(row, out++) = table->features(row, column);
    }
    return cohort;
}

// Small and fast: two candidates, few rounds, one thread (deterministic), early stopping after 5.
ModelSelectionSettings fastSettings(bool multiclass = false)
{
    ModelSelectionSettings settings;
    settings.outerFolds = 3;
    settings.innerFolds = 3;
    settings.seed = 4242;
    settings.training.objective = multiclass ? Objective::MulticlassSoftprob : Objective::BinaryLogistic;
    settings.training.classCount = 3;
    settings.training.rounds = 40;
    settings.training.subsample = 1.0;
    settings.training.columnSample = 1.0;
    settings.training.threads = 1;
    settings.grid = { { 2, 0.3, 1.0 }, { 3, 0.2, 5.0 } };
    settings.earlyStoppingRounds = 5;
    return settings;
}

RowMatrixXf selectRows(const RowMatrixXf &features, const std::vector<std::size_t> &rows)
{
    RowMatrixXf selected(static_cast<Eigen::Index>(rows.size()), features.cols());
    for (std::size_t i = 0; i < rows.size(); ++i)
        selected.row(static_cast<Eigen::Index>(i)) = features.row(static_cast<Eigen::Index>(rows[i]));
    return selected;
}

bool sameChoice(const HyperparameterChoice &a, const HyperparameterChoice &b)
{
    return a.candidate == b.candidate && a.rounds == b.rounds && a.candidateScores == b.candidateScores
        && a.candidateRounds == b.candidateRounds;
}

} // namespace

class TestModelSelection : public QObject
{
    Q_OBJECT

private slots:
    void heldOutLabelsNeverReachTheirModel_data();
    void heldOutLabelsNeverReachTheirModel();
    void outerPredictionsComeFromTheChosenCandidate_data();
    void outerPredictionsComeFromTheChosenCandidate();
    void multiclassOutOfFoldProbabilities();
    void leukaemiaNestedAurocIsHigh();
    void patientsAreNeverSplitAcrossOuterFolds();
    void sameSeedGivesSameResult();
    void cancellationStopsBetweenFits();
    void rejectsImpossibleRequests();
};

void TestModelSelection::heldOutLabelsNeverReachTheirModel_data()
{
    QTest::addColumn<bool>("multiclass");
    QTest::addColumn<bool>("classWeights");
    QTest::newRow("binary death, balanced class weights") << false << true;
    QTest::newRow("binary death, unweighted") << false << false;
    QTest::newRow("three-class ejection fraction, balanced class weights") << true << true;
}

void TestModelSelection::heldOutLabelsNeverReachTheirModel()
{
    // The leak detector: with the outer folds fixed (fold = row % 3), the labels of fold 0's test
    // rows are changed (every class moved to the next one). If nothing about those labels reaches
    // fold 0's search or fit (not its inner folds, its class weights, its early stopping or its
    // refit), fold 0's chosen candidate and predictions stay bit for bit the same. As a check that
    // the detector can fire, fold 1, whose training rows include fold 0's, must change.
    QFETCH(bool, multiclass);
    QFETCH(bool, classWeights);
    const Cohort cohort = multiclass ? ejectionFractionCohort() : deathCohort();
    ModelSelectionSettings settings = fastSettings(multiclass);
    settings.balancedClassWeights = classWeights;
    for (std::size_t row = 0; row < cohort.labels.size(); ++row)
        settings.outerFoldOfRow.push_back(static_cast<int>(row % 3));
    const int classes = multiclass ? 3 : 2;
    std::vector<int> tampered = cohort.labels;
    for (std::size_t row = 0; row < tampered.size(); row += 3)
        tampered[row] = (tampered[row] + 1) % classes;

    auto original = nestedModelSelection(cohort.features, cohort.labels, {}, settings);
    auto changed = nestedModelSelection(cohort.features, tampered, {}, settings);
    QVERIFY2(original, original ? "" : original.error().message().c_str());
    QVERIFY2(changed, changed ? "" : changed.error().message().c_str());
    QCOMPARE(original->outerFolds.size(), std::size_t { 3 });
    QVERIFY(sameChoice(original->outerFolds[0].choice, changed->outerFolds[0].choice));
    const auto &before = original->outOfFold[0];
    const auto &after = changed->outOfFold[0];
    for (Eigen::Index row = 0; row < before.rows(); row += 3)
        QVERIFY2(before.row(row) == after.row(row), qPrintable(QString("held-out row %1 moved").arg(row)));
    bool foldOneMoved = !sameChoice(original->outerFolds[1].choice, changed->outerFolds[1].choice);
    for (Eigen::Index row = 1; row < before.rows(); row += 3)
        foldOneMoved = foldOneMoved || before.row(row) != after.row(row);
    QVERIFY2(foldOneMoved, "changing training labels changed nothing: the detector is blind");
}

void TestModelSelection::outerPredictionsComeFromTheChosenCandidate_data()
{
    QTest::addColumn<int>("criterion");
    QTest::newRow("pooled inner log loss") << static_cast<int>(SelectionCriterion::LogLoss);
    QTest::newRow("pooled inner AUROC") << static_cast<int>(SelectionCriterion::Auroc);
}

void TestModelSelection::outerPredictionsComeFromTheChosenCandidate()
{
    QFETCH(int, criterion);
    const Cohort cohort = deathCohort();
    ModelSelectionSettings settings = fastSettings();
    settings.criterion = static_cast<SelectionCriterion>(criterion);
    auto result = nestedModelSelection(cohort.features, cohort.labels, {}, settings);
    QVERIFY2(result, result ? "" : result.error().message().c_str());
    QCOMPARE(result->classes, std::size_t { 2 });
    QCOMPARE(result->outOfFold.size(), std::size_t { 1 });
    QCOMPARE(result->outOfFold[0].cols(), Eigen::Index { 1 });
    std::set<std::size_t> predicted;
    for (const OuterFoldResult &fold : result->outerFolds) {
        const auto &choice = fold.choice;
        QCOMPARE(choice.candidateScores.size(), settings.grid.size());
        // The winner is the best score: lowest log loss or highest AUROC.
        const auto best = settings.criterion == SelectionCriterion::LogLoss
            ? std::ranges::min_element(choice.candidateScores)
            : std::ranges::max_element(choice.candidateScores);
        QCOMPARE(choice.candidate, static_cast<std::size_t>(best - choice.candidateScores.begin()));
        QCOMPARE(choice.rounds, static_cast<int>(std::lround(choice.candidateRounds[choice.candidate])));
        QVERIFY(choice.rounds >= 1 && choice.rounds <= settings.training.rounds);

        // Refit by hand: the chosen candidate for its rounds on every row outside the test fold.
        std::vector<std::size_t> trainRows;
        for (std::size_t row = 0; row < cohort.labels.size(); ++row)
            if (!std::ranges::binary_search(fold.testRows, row))
                trainRows.push_back(row);
        std::vector<float> trainLabels;
        for (const std::size_t row : trainRows)
            trainLabels.push_back(static_cast<float>(cohort.labels[row]));
        auto training = DMatrix::fromDense(selectRows(cohort.features, trainRows), trainLabels);
        QVERIFY(training);
        auto booster = Booster::train(
            *training, parametersOf(settings.training, settings.grid[choice.candidate], choice.rounds));
        QVERIFY(booster);
        auto test = DMatrix::fromDense(selectRows(cohort.features, fold.testRows));
        auto expected = booster->predictProbabilities(*test);
        QVERIFY(expected);
        for (std::size_t i = 0; i < fold.testRows.size(); ++i) {
            QCOMPARE(result->outOfFold[0](static_cast<Eigen::Index>(fold.testRows[i]), 0),
                static_cast<double>((*expected)(static_cast<Eigen::Index>(i), 0)));
            QVERIFY(predicted.insert(fold.testRows[i]).second);
        }
    }
    QCOMPARE(predicted.size(), cohort.labels.size()); // every case predicted exactly once
    QCOMPARE(result->finalParameters.maxDepth, settings.grid[result->finalChoice.candidate].maxDepth);
    QCOMPARE(result->finalParameters.rounds, result->finalChoice.rounds);
}

void TestModelSelection::multiclassOutOfFoldProbabilities()
{
    const Cohort cohort = ejectionFractionCohort();
    auto result = nestedModelSelection(cohort.features, cohort.labels, {}, fastSettings(true));
    QVERIFY2(result, result ? "" : result.error().message().c_str());
    QCOMPARE(result->classes, std::size_t { 3 });
    const auto &outOfFold = result->outOfFold[0];
    QCOMPARE(outOfFold.rows(), static_cast<Eigen::Index>(cohort.labels.size()));
    QCOMPARE(outOfFold.cols(), Eigen::Index { 3 });
    double logLoss = 0.0;
    std::map<int, double> prior;
    for (Eigen::Index row = 0; row < outOfFold.rows(); ++row) {
        QVERIFY(outOfFold.row(row).allFinite());
        QVERIFY(std::abs(outOfFold.row(row).sum() - 1.0) < 1e-5);
        logLoss -= std::log(outOfFold(row, cohort.labels[static_cast<std::size_t>(row)]));
        prior[cohort.labels[static_cast<std::size_t>(row)]] += 1.0 / static_cast<double>(outOfFold.rows());
    }
    logLoss /= static_cast<double>(outOfFold.rows());
    // A model that knows nothing but the class shares scores their entropy, sum -p log p; the
    // out-of-fold log loss must not be worse by more than noise (the features carry little signal
    // on ejection fraction, so better than this is not guaranteed).
    double entropy = 0.0;
    for (const auto &[label, share] : prior)
        entropy -= share * std::log(share);
    QVERIFY2(logLoss < entropy + 0.05,
        qPrintable(QString("log loss %1, prior entropy %2").arg(logLoss).arg(entropy)));
    for (const OuterFoldResult &fold : result->outerFolds) {
        const auto best = std::ranges::min_element(fold.choice.candidateScores);
        QCOMPARE(fold.choice.candidate, static_cast<std::size_t>(best - fold.choice.candidateScores.begin()));
    }
}

void TestModelSelection::leukaemiaNestedAurocIsHigh()
{
    // Golub 1999: 3,051 genes x 38 bone-marrow samples, 27 ALL and 11 AML. The two leukaemias differ
    // in hundreds of genes (Golub's own 50-gene predictor called 36 of 38 in cross-validation), so
    // an honest nested estimate on expression alone must still discriminate well; a search that
    // failed (always the first candidate cut to one round, say) would not.
    QFile expression(MOSAIC_SHARED_DATA_DIR "/expression/golub_multtest_expr.csv");
    QFile classes(MOSAIC_SHARED_DATA_DIR "/expression/golub_multtest_labels.csv");
    if (!expression.open(QIODevice::ReadOnly) || !classes.open(QIODevice::ReadOnly))
        QSKIP("../shared/data/expression is not present");
    std::vector<int> labels;
    classes.readLine(); // sample,class01,class
    while (!classes.atEnd()) {
        const QList<QByteArray> fields = classes.readLine().trimmed().split(',');
        if (fields.size() == 3)
            labels.push_back(fields[1].toInt()); // 1: AML
    }
    QCOMPARE(labels.size(), std::size_t { 38 });
    std::vector<std::vector<float>> genes;
    expression.readLine(); // probe_id,description,S1..S38
    while (!expression.atEnd()) {
        const QList<QByteArray> fields = expression.readLine().trimmed().split(',');
        QVERIFY(fields.size() >= 40);
        std::vector<float> values;
        for (qsizetype i = fields.size() - 38; i < fields.size(); ++i)
            values.push_back(fields[i].toFloat());
        genes.push_back(std::move(values));
    }
    QCOMPARE(genes.size(), std::size_t { 3051 });
    RowMatrixXf features(38, static_cast<Eigen::Index>(genes.size()));
    for (std::size_t gene = 0; gene < genes.size(); ++gene)
        for (Eigen::Index sample = 0; sample < 38; ++sample)
            features(sample, static_cast<Eigen::Index>(gene)) = genes[gene][static_cast<std::size_t>(sample)];

    ModelSelectionSettings settings = fastSettings();
    settings.criterion = SelectionCriterion::Auroc;
    settings.balancedClassWeights = true;
    // With 25 training samples, min_child_weight 5 leaves no split possible (hessians of about
    // 0.25 per sample), so that candidate predicts a constant and must never win.
    settings.grid = { { 2, 0.1, 1.0 }, { 2, 0.3, 1.0 }, { 3, 0.1, 5.0 } };
    auto result = nestedModelSelection(features, labels, {}, settings);
    QVERIFY2(result, result ? "" : result.error().message().c_str());
    const auto &outOfFold = result->outOfFold[0];
    const std::vector<double> scores(outOfFold.data(), outOfFold.data() + outOfFold.size());
    auto auroc = aurocDeLong(scores, labels);
    QVERIFY(auroc);
    qInfo("Golub ALL/AML nested out-of-fold AUROC %.3f (95%% CI %.3f-%.3f)", auroc->auroc, auroc->ci95.lower,
        auroc->ci95.upper);
    // Python's xgboost with depth 2, eta 0.1, 40 rounds, in plain (not nested) 3-fold CV on five
    // scikit-learn splits reached 0.875 to 0.987; the nested estimate pays for its search.
    QVERIFY2(auroc->auroc > 0.8, qPrintable(QString("AUROC %1").arg(auroc->auroc)));
    for (const OuterFoldResult &fold : result->outerFolds) {
        qInfo("outer fold %d: candidate %zu, %d rounds, inner AUROC %.3f", fold.fold, fold.choice.candidate,
            fold.choice.rounds, fold.choice.score);
        QVERIFY2(fold.choice.candidate != 2, "the search chose the candidate that cannot split");
    }
}

void TestModelSelection::patientsAreNeverSplitAcrossOuterFolds()
{
    // The 299 rows as 100 "patients" of three consecutive rows (the last of two): every outer and
    // inner fold must hold whole patients; the outer folds are checked here, the inner ones by the
    // refit check above and tst_stratified_folds.
    const Cohort cohort = deathCohort();
    std::vector<std::size_t> groups;
    for (std::size_t row = 0; row < cohort.labels.size(); ++row)
        groups.push_back(row / 3);
    ModelSelectionSettings settings = fastSettings();
    settings.repeats = 2;
    auto result = nestedModelSelection(cohort.features, cohort.labels, groups, settings);
    QVERIFY2(result, result ? "" : result.error().message().c_str());
    QCOMPARE(result->outerFolds.size(), std::size_t { 6 });
    QCOMPARE(result->outOfFold.size(), std::size_t { 2 });
    for (int repeat = 0; repeat < 2; ++repeat) {
        std::map<std::size_t, int> foldOfPatient;
        for (const OuterFoldResult &fold : result->outerFolds) {
            if (fold.repeat != repeat)
                continue;
            for (const std::size_t row : fold.testRows) {
                const auto [where, inserted] = foldOfPatient.emplace(groups[row], fold.fold);
                QVERIFY2(inserted || where->second == fold.fold, "a patient is in two outer test folds");
            }
        }
        QCOMPARE(foldOfPatient.size(), std::size_t { 100 });
        QVERIFY(result->outOfFold[static_cast<std::size_t>(repeat)].allFinite());
    }
    // The two repeats split differently.
    QVERIFY(result->outerFolds[0].testRows != result->outerFolds[3].testRows);
}

void TestModelSelection::sameSeedGivesSameResult()
{
    const Cohort cohort = deathCohort();
    ModelSelectionSettings settings = fastSettings();
    auto first = nestedModelSelection(cohort.features, cohort.labels, {}, settings);
    auto second = nestedModelSelection(cohort.features, cohort.labels, {}, settings);
    settings.seed += 1;
    auto other = nestedModelSelection(cohort.features, cohort.labels, {}, settings);
    QVERIFY(first && second && other);
    QVERIFY(first->outOfFold[0] == second->outOfFold[0]);
    QVERIFY(sameChoice(first->finalChoice, second->finalChoice));
    for (std::size_t fold = 0; fold < first->outerFolds.size(); ++fold) {
        QCOMPARE(first->outerFolds[fold].testRows, second->outerFolds[fold].testRows);
        QVERIFY(sameChoice(first->outerFolds[fold].choice, second->outerFolds[fold].choice));
    }
    QVERIFY(first->outOfFold[0] != other->outOfFold[0]);
}

void TestModelSelection::cancellationStopsBetweenFits()
{
    const Cohort cohort = deathCohort();
    const ModelSelectionSettings settings = fastSettings();
    std::stop_source stop;
    int lastDone = 0;
    int lastTotal = 0;
    auto result = nestedModelSelection(
        cohort.features, cohort.labels, {}, settings, stop.get_token(), [&](int done, int total) {
            lastDone = done;
            lastTotal = total;
            if (done == 4)
                stop.request_stop();
        });
    QVERIFY(!result);
    QCOMPARE(result.error().code, ErrorCode::Cancelled);
    QCOMPARE(lastDone, 4);
    // 3 outer folds x (2 candidates x 3 inner folds + 1 refit) + 6 fits of the final search.
    QCOMPARE(lastTotal, 27);

    int fits = 0;
    auto complete
        = nestedModelSelection(cohort.features, cohort.labels, {}, settings, {}, [&](int done, int total) {
              fits = done;
              QCOMPARE(total, 27);
          });
    QVERIFY(complete);
    QCOMPARE(fits, 27);
}

void TestModelSelection::rejectsImpossibleRequests()
{
    const Cohort cohort = deathCohort();
    ModelSelectionSettings settings = fastSettings();
    settings.grid.clear();
    QCOMPARE(nestedModelSelection(cohort.features, cohort.labels, {}, settings).error().message(),
        "the hyperparameter grid has no candidates");
    settings = fastSettings();
    std::vector<int> threeClasses = cohort.labels;
    threeClasses[5] = 2;
    QCOMPARE(nestedModelSelection(cohort.features, threeClasses, {}, settings).error().message(),
        "label 2 at row 5 is not a class 0..1");
    const std::vector<std::size_t> shortGroups(10, 0);
    QCOMPARE(nestedModelSelection(cohort.features, cohort.labels, shortGroups, settings).error().code,
        ErrorCode::InvalidArgument);
    settings.outerFoldOfRow.assign(cohort.labels.size(), 0);
    QCOMPARE(nestedModelSelection(cohort.features, cohort.labels, {}, settings).error().message(),
        "a fixed outer fold holds no rows");
    settings.outerFoldOfRow[0] = 7;
    QVERIFY(nestedModelSelection(cohort.features, cohort.labels, {}, settings)
                .error()
                .message()
                .starts_with("row 0 is in fold 7"));
}

QTEST_APPLESS_MAIN(TestModelSelection)
#include "tst_model_selection.moc"
