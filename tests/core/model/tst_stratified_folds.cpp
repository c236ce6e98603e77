// SPDX-License-Identifier: Apache-2.0
// Properties every stratified split must have, checked on each row's labels; a hard-coded fold
// assignment would only restate the implementation, so none is asserted here.
#include "core/model/stratified_folds.h"

#include <QList>
#include <QTest>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <span>

using namespace mosaic;

namespace {

std::span<const int> asSpan(const QList<int> &values)
{
    return { values.constData(), static_cast<std::size_t>(values.size()) };
}

// `count` rows of class `label`, appended.
QList<int> &append(QList<int> &labels, int label, int count)
{
    for (int i = 0; i < count; ++i)
        labels << label;
    return labels;
}

QList<int> classesOfSizes(std::initializer_list<int> sizes)
{
    QList<int> labels;
    int label = 0;
    for (const int size : sizes)
        append(labels, label++, size);
    return labels;
}

// Interleaves classes so that row order says nothing about the label.
QList<int> alternating(int rows, int classes)
{
    QList<int> labels;
    for (int row = 0; row < rows; ++row)
        labels << row % classes;
    return labels;
}

bool strictlyAscending(const std::vector<std::size_t> &rows)
{
    return std::ranges::adjacent_find(rows, std::ranges::greater_equal {}) == rows.end();
}

} // namespace

class TestStratifiedFolds : public QObject
{
    Q_OBJECT

private slots:
    void splitsHaveStratifiedKFoldProperties_data();
    void splitsHaveStratifiedKFoldProperties();
    void sameSeedGivesSameFolds();
    void differentSeedsGiveDifferentFolds();
    void everyRowIsEquallyLikelyInEveryFold();
    void rejectsImpossibleRequests_data();
    void rejectsImpossibleRequests();
};

void TestStratifiedFolds::splitsHaveStratifiedKFoldProperties_data()
{
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<int>("k");
    QTest::addColumn<quint64>("seed");

    QTest::newRow("balanced binary, 10 rows, 5 folds") << alternating(10, 2) << 5 << quint64 { 1 };
    QTest::newRow("imbalanced binary 90 / 10, 5 folds") << classesOfSizes({ 90, 10 }) << 5 << quint64 { 2 };
    QTest::newRow("rows not divisible by k: 23 / 14 in 4 folds")
        << classesOfSizes({ 23, 14 }) << 4 << quint64 { 3 };
    QTest::newRow("minority class exactly k rows: one per fold")
        << classesOfSizes({ 40, 5 }) << 5 << quint64 { 4 };
    QTest::newRow("three classes of unequal size, 3 folds")
        << classesOfSizes({ 7, 11, 4 }) << 3 << quint64 { 5 };
    // Restarting at fold 0 for each class would put all four remainders in fold 0 (8 rows against
    // 4); continuing the count keeps the folds at 6 and 6.
    QTest::newRow("four classes of three rows, 2 folds: remainders must not pile up in fold 0")
        << classesOfSizes({ 3, 3, 3, 3 }) << 2 << quint64 { 6 };
    QTest::newRow("k equal to each class size: one row of each class per fold")
        << alternating(6, 2) << 3 << quint64 { 7 };
    QTest::newRow("seed 0 is a valid seed") << alternating(20, 2) << 4 << quint64 { 0 };
    QTest::newRow("largest seed") << alternating(20, 2) << 4 << ~quint64 { 0 };
}

void TestStratifiedFolds::splitsHaveStratifiedKFoldProperties()
{
    QFETCH(QList<int>, labels);
    QFETCH(int, k);
    QFETCH(quint64, seed);

    const auto folds = stratifiedKFold(asSpan(labels), k, seed);
    QVERIFY2(folds.has_value(), folds ? "" : folds.error().message().c_str());
    QCOMPARE(folds->size(), std::size_t(k));

    const auto rows = static_cast<std::size_t>(labels.size());
    std::map<int, std::size_t> classSizes;
    for (const int label : labels)
        ++classSizes[label];

    std::vector<int> timesInTest(rows, 0);
    std::size_t smallestFold = rows, largestFold = 0;
    for (const Fold &fold : *folds) {
        QVERIFY(strictlyAscending(fold.test));
        QVERIFY(strictlyAscending(fold.train));
        QVERIFY(!fold.test.empty());
        // Train is exactly the complement of test.
        QCOMPARE(fold.train.size() + fold.test.size(), rows);
        std::vector<std::size_t> both;
        std::ranges::set_union(fold.train, fold.test, std::back_inserter(both));
        QCOMPARE(both.size(), rows);
        QCOMPARE(both.back(), rows - 1);

        std::map<int, std::size_t> classInTest;
        for (const std::size_t row : fold.test) {
            QVERIFY(row < rows);
            ++timesInTest[row];
            ++classInTest[labels[static_cast<qsizetype>(row)]];
        }
        // Each class within one row of its ideal share n_c / k: floor or ceiling.
        for (const auto &[label, size] : classSizes) {
            const std::size_t count = classInTest[label];
            const std::size_t floorShare = size / std::size_t(k);
            const std::size_t ceilingShare = (size + std::size_t(k) - 1) / std::size_t(k);
            QVERIFY2(count >= floorShare && count <= ceilingShare,
                qPrintable(QStringLiteral("class %1 has %2 rows in a test fold; its share is %3 to %4")
                               .arg(label)
                               .arg(count)
                               .arg(floorShare)
                               .arg(ceilingShare)));
        }
        smallestFold = std::min(smallestFold, fold.test.size());
        largestFold = std::max(largestFold, fold.test.size());
    }
    QVERIFY2(std::ranges::all_of(timesInTest, [](int times) { return times == 1; }),
        "a row is missing from every test fold or in more than one");
    QVERIFY2(largestFold - smallestFold <= 1,
        qPrintable(QStringLiteral("test folds hold %1 to %2 rows").arg(smallestFold).arg(largestFold)));
}

void TestStratifiedFolds::sameSeedGivesSameFolds()
{
    const auto labels = classesOfSizes({ 37, 13, 8 });
    const auto first = stratifiedKFold(asSpan(labels), 4, 20240611);
    const auto second = stratifiedKFold(asSpan(labels), 4, 20240611);
    QVERIFY(first.has_value() && second.has_value());
    QCOMPARE(first->size(), second->size());
    for (std::size_t fold = 0; fold < first->size(); ++fold) {
        QCOMPARE((*first)[fold].test, (*second)[fold].test);
        QCOMPARE((*first)[fold].train, (*second)[fold].train);
    }
}

void TestStratifiedFolds::differentSeedsGiveDifferentFolds()
{
    // 100 rows in 5 folds: two independent shuffles agree on every fold with a probability far
    // below 1e-50, so any equality means the seed is ignored.
    const auto labels = alternating(100, 2);
    const auto first = stratifiedKFold(asSpan(labels), 5, 1);
    const auto second = stratifiedKFold(asSpan(labels), 5, 2);
    QVERIFY(first.has_value() && second.has_value());
    bool anyFoldDiffers = false;
    for (std::size_t fold = 0; fold < first->size(); ++fold)
        anyFoldDiffers = anyFoldDiffers || (*first)[fold].test != (*second)[fold].test;
    QVERIFY(anyFoldDiffers);
}

void TestStratifiedFolds::everyRowIsEquallyLikelyInEveryFold()
{
    // Six rows of one class in 3 folds, over 3000 seeds: an unbiased shuffle puts each row in
    // each fold 1000 times on average, standard deviation sqrt(3000 * 1/3 * 2/3) = 25.8. A missing
    // or biased shuffle (row 0 always dealt first) lands far outside 1000 +- 130 (5 SD). The seeds
    // are fixed, so the outcome is reproducible rather than flaky.
    constexpr int kSeeds = 3000;
    const auto labels = classesOfSizes({ 6 });
    int timesInFold[6][3] = {};
    for (int seed = 0; seed < kSeeds; ++seed) {
        const auto folds = stratifiedKFold(asSpan(labels), 3, static_cast<std::uint64_t>(seed));
        QVERIFY(folds.has_value());
        for (std::size_t fold = 0; fold < 3; ++fold) {
            for (const std::size_t row : (*folds)[fold].test)
                ++timesInFold[row][fold];
        }
    }
    for (int row = 0; row < 6; ++row) {
        for (int fold = 0; fold < 3; ++fold) {
            QVERIFY2(std::abs(timesInFold[row][fold] - kSeeds / 3) <= 130,
                qPrintable(QStringLiteral("row %1 is in fold %2 %3 times of %4")
                               .arg(row)
                               .arg(fold)
                               .arg(timesInFold[row][fold])
                               .arg(kSeeds)));
        }
    }
}

void TestStratifiedFolds::rejectsImpossibleRequests_data()
{
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<int>("k");
    QTest::addColumn<QString>("messageFragment");

    QTest::newRow("k = 1 is no cross-validation") << alternating(10, 2) << 1 << "at least 2 folds; k is 1";
    QTest::newRow("k = 0") << alternating(10, 2) << 0 << "at least 2 folds; k is 0";
    QTest::newRow("negative k") << alternating(10, 2) << -3 << "at least 2 folds; k is -3";
    QTest::newRow("minority class smaller than k: 3 events in 5 folds")
        << classesOfSizes({ 20, 3 }) << 5 << "class 1 has 3 row(s), fewer than the 5 folds";
    QTest::newRow("more folds than rows") << alternating(4, 2) << 5 << "fewer than the 5 folds";
    QTest::newRow("negative label") << QList<int> { 0, 1, -1, 0, 1, 0 } << 2
                                    << "label -1 at row 2 is negative";
    QTest::newRow("no rows") << QList<int> {} << 2 << "no rows";
}

void TestStratifiedFolds::rejectsImpossibleRequests()
{
    QFETCH(QList<int>, labels);
    QFETCH(int, k);
    QFETCH(QString, messageFragment);

    const auto folds = stratifiedKFold(asSpan(labels), k, 42);
    QVERIFY(!folds.has_value());
    QCOMPARE(folds.error().code, ErrorCode::InvalidArgument);
    const auto message = QString::fromStdString(folds.error().message());
    QVERIFY2(message.contains(messageFragment), qPrintable(message));
}

QTEST_APPLESS_MAIN(TestStratifiedFolds)
#include "tst_stratified_folds.moc"
