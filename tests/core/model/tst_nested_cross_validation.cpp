// SPDX-License-Identifier: Apache-2.0
// Feature selection and nested cross-validation. The decisive property: when the features are pure
// noise, selecting on the whole cohort and then cross-validating looks predictive, while nested
// cross-validation (selection inside each fold) stays at chance. On the real heart-failure table,
// the features chosen most often are ejection fraction and serum creatinine, as Chicco & Jurman
// 2020 found.
#include "core/features/cohort_table.h"
#include "core/model/cross_validation.h"
#include "core/model/feature_selection.h"
#include "core/model/nested_cross_validation.h"

#include <QTest>

#include <cmath>
#include <random>

using namespace mosaic;

namespace {

std::vector<std::size_t> allRows(std::size_t count)
{
    std::vector<std::size_t> rows(count);
    for (std::size_t i = 0; i < count; ++i)
        rows[i] = i;
    return rows;
}

// 60 patients, 20 events, 300 columns of Gaussian noise from a fixed-seed engine. The uniform to
// normal step is Box-Muller written out, since std::normal_distribution differs between libraries.
struct NoiseCohort
{
    RowMatrixXf features;
    std::vector<int> labels;
};

NoiseCohort noiseCohort()
{
    std::mt19937_64 engine(424242);
    auto uniform = [&] { return (static_cast<double>(engine() >> 11) + 0.5) / 9007199254740992.0; };
    NoiseCohort cohort;
    cohort.features.resize(60, 300);
    for (Eigen::Index r = 0; r < 60; ++r)
        for (Eigen::Index c = 0; c < 300; ++c)
            cohort.features(r, c) = static_cast<float>(
                std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * M_PI * uniform()));
    for (int r = 0; r < 60; ++r)
        cohort.labels.push_back(r % 3 == 0 ? 1 : 0);
    return cohort;
}

TrainingParameters smallCohortParameters()
{
    TrainingParameters parameters;
    parameters.rounds = 50;
    parameters.maxDepth = 2;
    parameters.learningRate = 0.1;
    return parameters;
}

} // namespace

class TestNestedCrossValidation : public QObject
{
    Q_OBJECT

private slots:
    void selectionSkipsRedundantFeatures_data();
    void selectionSkipsRedundantFeatures();
    void selectionLooksOnlyAtTheGivenRows();
    void selectionSkipsMostlyMissingFeatures();
    void selectionNeedsBothClasses();
    void nestedStaysAtChanceOnNoiseWhereNaiveSelectionDoesNot();
    void nestedSelectionFindsTheKnownPredictors();
};

void TestNestedCrossValidation::selectionSkipsRedundantFeatures_data()
{
    QTest::addColumn<double>("maxCorrelation");
    QTest::addColumn<QList<int>>("expected");
    // Column 0 separates perfectly (AUROC 1); column 1 is twice column 0 (Spearman 1, also AUROC 1);
    // column 2 is weaker (AUROC 0.75, see the data). Column 0 wins the tie by coming first.
    QTest::newRow("near-duplicate skipped at |rho| > 0.9") << 0.9 << QList<int> { 0, 2 };
    QTest::newRow("kept when redundancy is allowed (|rho| > 1 never happens)") << 1.0 << QList<int> { 0, 1 };
}

void TestNestedCrossValidation::selectionSkipsRedundantFeatures()
{
    QFETCH(double, maxCorrelation);
    QFETCH(QList<int>, expected);
    RowMatrixXf features(4, 3);
    // labels      0    0    1    1
    // column 2:   1,   3,   2,   4  -> pairs (case > control): 2>1, 2<3, 4>1, 4>3 = 3 of 4 = 0.75
    features << 1, 2, 1, //
        2, 4, 3, //
        3, 6, 2, //
        4, 8, 4;
    const std::vector<int> labels = { 0, 0, 1, 1 };
    FeatureSelectionSettings settings;
    settings.maxCorrelation = maxCorrelation;
    auto chosen = selectFeatures(features, labels, allRows(4), 2, settings);
    QVERIFY(chosen);
    QCOMPARE(chosen->size(), std::size_t { 2 });
    QCOMPARE(static_cast<int>((*chosen)[0]), expected[0]);
    QCOMPARE(static_cast<int>((*chosen)[1]), expected[1]);
}

void TestNestedCrossValidation::selectionLooksOnlyAtTheGivenRows()
{
    // labels:  0    0    1    1    0    0    1    1
    // column 0 is moderately good everywhere: on rows 0-3, cases {0.5, 1.0} vs controls {0.2, 0.8}
    // win 3 of 4 pairs (AUROC 0.75); on all rows 13 of 16 (0.8125).
    // Column 1 is perfect on rows 0-3 (AUROC 1) and reversed on rows 4-7, so on all rows it wins
    // 4 pairs, ties 8 and loses 4: AUROC 0.5, useless.
    RowMatrixXf features(8, 2);
    features << 0.2f, 0, 0.8f, 0, 0.5f, 1, 1.0f, 1, 0.1f, 1, 0.3f, 1, 0.6f, 0, 0.7f, 0;
    const std::vector<int> labels = { 0, 0, 1, 1, 0, 0, 1, 1 };
    auto onAll = selectFeatures(features, labels, allRows(8), 1, {});
    QVERIFY(onAll);
    QCOMPARE(onAll->front(), std::size_t { 0 });
    const std::vector<std::size_t> firstFour = { 0, 1, 2, 3 };
    auto onFirstFour = selectFeatures(features, labels, firstFour, 1, {});
    QVERIFY(onFirstFour);
    QCOMPARE(onFirstFour->front(), std::size_t { 1 });
}

void TestNestedCrossValidation::selectionSkipsMostlyMissingFeatures()
{
    const float nan = std::nanf("");
    RowMatrixXf features(5, 2);
    features << 0, nan, 0, nan, 1, 1, 1, nan, 1, 0;
    const std::vector<int> labels = { 0, 0, 1, 1, 1 };
    auto chosen = selectFeatures(features, labels, allRows(5), 2, {}); // column 1 is 60 % missing
    QVERIFY(chosen);
    QCOMPARE(chosen->size(), std::size_t { 1 });
    QCOMPARE(chosen->front(), std::size_t { 0 });
}

void TestNestedCrossValidation::selectionNeedsBothClasses()
{
    RowMatrixXf features = RowMatrixXf::Ones(3, 2);
    const std::vector<int> labels = { 1, 1, 1 };
    auto chosen = selectFeatures(features, labels, allRows(3), 1, {});
    QVERIFY(!chosen);
    QCOMPARE(chosen.error().code, ErrorCode::InvalidArgument);
}

void TestNestedCrossValidation::nestedStaysAtChanceOnNoiseWhereNaiveSelectionDoesNot()
{
    const NoiseCohort cohort = noiseCohort();
    NestedCrossValidationSettings settings;
    settings.outer.folds = 5;
    settings.outer.repeats = 3;
    settings.outer.training = smallCohortParameters();
    settings.selection.featureCounts = { 2, 4 };
    auto nested = nestedCrossValidateBinary(cohort.features, cohort.labels, settings);
    QVERIFY2(nested, nested ? "" : nested.error().message().c_str());
    const double nestedAuroc = nested->outer.mean.auroc.auroc;

    // The leak: choose the 4 best features on all 60 patients, then cross-validate on them.
    auto leaked = selectFeatures(cohort.features, cohort.labels, allRows(60), 4, settings.selection);
    QVERIFY(leaked);
    RowMatrixXf chosen(60, 4);
    for (int c = 0; c < 4; ++c)
        chosen.col(c)
            = cohort.features.col(static_cast<Eigen::Index>((*leaked)[static_cast<std::size_t>(c)]));
    auto naive = crossValidateBinary(chosen, cohort.labels, settings.outer);
    QVERIFY(naive);
    const double naiveAuroc = naive->mean.auroc.auroc;

    qInfo("noise: nested AUROC %.3f, select-then-validate AUROC %.3f", nestedAuroc, naiveAuroc);
    QVERIFY2(std::abs(nestedAuroc - 0.5) < 0.12, qPrintable(QString::number(nestedAuroc)));
    QVERIFY2(naiveAuroc > nestedAuroc + 0.15, qPrintable(QString::number(naiveAuroc)));
    QCOMPARE(nested->outerFits, 15);
    int chosenFits = 0;
    for (int fits : nested->chosenCountFits)
        chosenFits += fits;
    QCOMPARE(chosenFits, 15);
}

void TestNestedCrossValidation::nestedSelectionFindsTheKnownPredictors()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv", options);
    QVERIFY(table);
    std::vector<int> labels;
    for (Eigen::Index r = 0; r < table->labels->size(); ++r)
        labels.push_back(static_cast<int>((*table->labels)(r)));
    NestedCrossValidationSettings settings;
    settings.outer.folds = 5;
    settings.outer.repeats = 2;
    settings.outer.training = smallCohortParameters();
    settings.selection.featureCounts = { 2, 3 };
    auto nested = nestedCrossValidateBinary(table->features, labels, settings);
    QVERIFY(nested);
    const auto &columns = table->featureColumns;
    auto countOf = [&](const char *name) {
        return nested
            ->selectionCount[static_cast<std::size_t>(std::ranges::find(columns, name) - columns.begin())];
    };
    // Every outer fit keeps ejection fraction and serum creatinine (Chicco & Jurman 2020).
    QCOMPARE(countOf("Ejection.Fraction"), nested->outerFits);
    QCOMPARE(countOf("Creatinine"), nested->outerFits);
    QVERIFY(nested->outer.mean.auroc.auroc > 0.68);
}

QTEST_APPLESS_MAIN(TestNestedCrossValidation)
#include "tst_nested_cross_validation.moc"
