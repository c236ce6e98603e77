// SPDX-License-Identifier: Apache-2.0
// Properties every stratified split must have, checked on each row's labels; a hard-coded fold
// assignment would only restate the implementation, so none is asserted here.
#include "core/model/stratified_folds.h"

#include <QList>
#include <QProcess>
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
    void groupedSplitsKeepEachGroupInOneFold_data();
    void groupedSplitsKeepEachGroupInOneFold();
    void groupedBalanceIsAsGoodAsScikitLearn_data();
    void groupedBalanceIsAsGoodAsScikitLearn();
    void groupedSplitsFollowTheSeed();
    void groupedSplitRejectsImpossibleRequests();
    void groupCodesNumberIdentifiersByFirstAppearance();
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

namespace {

struct GroupedRows
{
    QList<int> labels;
    std::vector<std::size_t> groups;
};

// `groupCount` patients with 1 to `maxSize` samples each, from a fixed linear congruential
// generator (Knuth's MMIX constants) so the data is the same everywhere. A patient's samples
// mostly share a class (as repeated biopsies of one tumour do): with probability 1/5 a sample
// takes another class. Classes are drawn with weights `classWeights`; group codes are spread out
// (code = 1000 + 7 * patient) to show codes need not be dense.
GroupedRows groupedRows(int groupCount, int maxSize, std::initializer_list<int> classWeights)
{
    std::uint64_t state = 12345;
    const auto next = [&](std::uint64_t bound) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        return (state >> 33) % bound;
    };
    int total = 0;
    for (const int weight : classWeights)
        total += weight;
    const auto drawClass = [&] {
        auto draw = static_cast<int>(next(static_cast<std::uint64_t>(total)));
        int label = 0;
        for (const int weight : classWeights) {
            if (draw < weight)
                return label;
            draw -= weight;
            ++label;
        }
        return label;
    };
    GroupedRows rows;
    for (int group = 0; group < groupCount; ++group) {
        const int size = 1 + static_cast<int>(next(static_cast<std::uint64_t>(maxSize)));
        const int patientClass = drawClass();
        for (int sample = 0; sample < size; ++sample) {
            rows.labels << (next(5) == 0 ? drawClass() : patientClass);
            rows.groups.push_back(1000 + 7 * static_cast<std::size_t>(group));
        }
    }
    return rows;
}

// The largest gap, over test folds and classes, between a class's share of the fold and its share
// of all rows.
double worstProportionGap(const QList<int> &labels, const std::vector<std::vector<std::size_t>> &tests)
{
    std::map<int, double> overall;
    for (const int label : labels)
        overall[label] += 1.0 / static_cast<double>(labels.size());
    double worst = 0.0;
    for (const auto &test : tests) {
        std::map<int, double> share;
        for (const std::size_t row : test)
            share[labels[static_cast<qsizetype>(row)]] += 1.0 / static_cast<double>(test.size());
        for (const auto &[label, expected] : overall)
            worst = std::max(worst, std::abs(share[label] - expected));
    }
    return worst;
}

} // namespace

namespace {

struct BalanceCase
{
    int groupCount;
    int maxSize;
    int k;
    bool fourClasses;
};

// The data rows of groupedBalanceIsAsGoodAsScikitLearn, all sent to scikit-learn in one run.
constexpr BalanceCase kBalanceCases[]
    = { { 60, 4, 5, false }, { 200, 8, 10, false }, { 80, 6, 4, true }, { 30, 10, 3, true } };

QString caseKey(int groupCount, int maxSize, int k, bool fourClasses)
{
    return QString("%1,%2,%3,%4").arg(groupCount).arg(maxSize).arg(k).arg(fourClasses ? 4 : 2);
}

// scikit-learn's test folds for each case, keyed by caseKey; empty when scikit-learn is missing.
// Each case goes as one argument "key;k;label group;label group;...".
const std::map<QString, std::vector<std::vector<std::size_t>>> &scikitLearnFolds()
{
    static const auto folds = [] {
        const char *script = R"(
import sys, warnings
try:
    import numpy
    from sklearn.model_selection import StratifiedGroupKFold
except ImportError:
    sys.exit(3)
warnings.simplefilter("ignore")
for case in sys.argv[1:]:
    key, k, *rows = case.split(";")
    data = numpy.array([[int(v) for v in row.split(" ")] for row in rows])
    print("case " + key)
    for _, test in StratifiedGroupKFold(n_splits=int(k)).split(data, data[:, 0], data[:, 1]):
        print(" ".join(str(i) for i in test))
)";
        QStringList arguments = { "-c", script };
        for (const BalanceCase &c : kBalanceCases) {
            const GroupedRows data = c.fourClasses ? groupedRows(c.groupCount, c.maxSize, { 4, 3, 2, 1 })
                                                   : groupedRows(c.groupCount, c.maxSize, { 7, 3 });
            QStringList parts
                = { caseKey(c.groupCount, c.maxSize, c.k, c.fourClasses), QString::number(c.k) };
            for (qsizetype row = 0; row < data.labels.size(); ++row)
                parts
                    << QString("%1 %2").arg(data.labels[row]).arg(data.groups[static_cast<std::size_t>(row)]);
            arguments << parts.join(';');
        }
        QProcess process;
        process.start("/usr/bin/python3", arguments);
        if (!process.waitForFinished(300000))
            qFatal("scikit-learn did not finish");
        std::map<QString, std::vector<std::vector<std::size_t>>> result;
        if (process.exitCode() == 3)
            return result;
        if (process.exitCode() != 0)
            qFatal("scikit-learn failed: %s", process.readAllStandardError().constData());
        std::vector<std::vector<std::size_t>> *current = nullptr;
        for (const QString &line : QString(process.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts)) {
            if (line.startsWith("case ")) {
                current = &result[line.mid(5)];
                continue;
            }
            if (!current)
                continue;
            current->emplace_back();
            for (const QString &index : line.split(' ', Qt::SkipEmptyParts))
                current->back().push_back(index.toULongLong());
        }
        return result;
    }();
    return folds;
}

} // namespace

void TestStratifiedFolds::groupedSplitsKeepEachGroupInOneFold_data()
{
    QTest::addColumn<int>("groupCount");
    QTest::addColumn<int>("maxSize");
    QTest::addColumn<QList<int>>("classWeights");
    QTest::addColumn<int>("k");

    QTest::newRow("binary 70 / 30, 60 patients of 1-4 samples, 5 folds")
        << 60 << 4 << QList<int> { 7, 3 } << 5;
    QTest::newRow("one sample per patient: plain stratified") << 50 << 1 << QList<int> { 1, 1 } << 5;
    QTest::newRow("four classes, 80 patients of 1-6 samples, 4 folds")
        << 80 << 6 << QList<int> { 4, 3, 2, 1 } << 4;
    QTest::newRow("as many patients as folds") << 3 << 5 << QList<int> { 1, 1 } << 3;
}

void TestStratifiedFolds::groupedSplitsKeepEachGroupInOneFold()
{
    QFETCH(int, groupCount);
    QFETCH(int, maxSize);
    QFETCH(QList<int>, classWeights);
    QFETCH(int, k);
    GroupedRows data;
    switch (classWeights.size()) {
    case 2: data = groupedRows(groupCount, maxSize, { classWeights[0], classWeights[1] }); break;
    default:
        data = groupedRows(
            groupCount, maxSize, { classWeights[0], classWeights[1], classWeights[2], classWeights[3] });
    }
    const auto folds = stratifiedGroupKFold(asSpan(data.labels), data.groups, k, 99);
    QVERIFY2(folds.has_value(), folds ? "" : folds.error().message().c_str());
    QCOMPARE(folds->size(), std::size_t(k));
    const auto rows = static_cast<std::size_t>(data.labels.size());
    std::vector<int> timesInTest(rows, 0);
    std::map<std::size_t, std::size_t> foldOfGroup;
    for (std::size_t f = 0; f < folds->size(); ++f) {
        const Fold &fold = (*folds)[f];
        QVERIFY(!fold.test.empty());
        QVERIFY(strictlyAscending(fold.test) && strictlyAscending(fold.train));
        QCOMPARE(fold.train.size() + fold.test.size(), rows);
        for (const std::size_t row : fold.test) {
            ++timesInTest[row];
            const auto [where, inserted] = foldOfGroup.emplace(data.groups[row], f);
            QVERIFY2(inserted || where->second == f, "a patient's samples are in two test folds");
        }
        // No patient is both trained on and tested in one fold.
        for (const std::size_t row : fold.train)
            QVERIFY(!(foldOfGroup.contains(data.groups[row]) && foldOfGroup.at(data.groups[row]) == f));
    }
    QVERIFY(std::ranges::all_of(timesInTest, [](int times) { return times == 1; }));
}

void TestStratifiedFolds::groupedBalanceIsAsGoodAsScikitLearn_data()
{
    QTest::addColumn<int>("groupCount");
    QTest::addColumn<int>("maxSize");
    QTest::addColumn<int>("k");
    QTest::addColumn<bool>("fourClasses");
    QTest::newRow("binary 70 / 30, 60 patients of 1-4 samples, 5 folds") << 60 << 4 << 5 << false;
    QTest::newRow("binary, 200 patients of 1-8 samples, 10 folds") << 200 << 8 << 10 << false;
    QTest::newRow("four classes 4:3:2:1, 80 patients of 1-6 samples, 4 folds") << 80 << 6 << 4 << true;
    QTest::newRow("four classes, 30 patients of 1-10 samples, 3 folds") << 30 << 10 << 3 << true;
}

void TestStratifiedFolds::groupedBalanceIsAsGoodAsScikitLearn()
{
    // scikit-learn 1.2's StratifiedGroupKFold is the peer. Its shuffle in 1.2 permutes the rows of
    // the class-count table without their groups, so the unshuffled greedy split is its algorithm
    // as designed; ours shuffles, so folds differ and only their quality is compared: our worst
    // class-share gap over five seeds must stay within 0.03 of scikit-learn's.
    QFETCH(int, groupCount);
    QFETCH(int, maxSize);
    QFETCH(int, k);
    QFETCH(bool, fourClasses);
    const auto &peer = scikitLearnFolds();
    if (peer.empty())
        QSKIP("scikit-learn is not installed");
    const GroupedRows data = fourClasses ? groupedRows(groupCount, maxSize, { 4, 3, 2, 1 })
                                         : groupedRows(groupCount, maxSize, { 7, 3 });
    const auto found = peer.find(caseKey(groupCount, maxSize, k, fourClasses));
    QVERIFY2(found != peer.end(), "add this case to kBalanceCases");
    const auto &peerTests = found->second;
    QCOMPARE(peerTests.size(), std::size_t(k));
    const double peerGap = worstProportionGap(data.labels, peerTests);

    double ourWorstGap = 0.0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed) {
        const auto folds = stratifiedGroupKFold(asSpan(data.labels), data.groups, k, seed);
        QVERIFY(folds.has_value());
        std::vector<std::vector<std::size_t>> tests;
        for (const Fold &fold : *folds)
            tests.push_back(fold.test);
        const double gap = worstProportionGap(data.labels, tests);
        ourWorstGap = std::max(ourWorstGap, gap);
        QVERIFY2(gap <= peerGap + 0.03,
            qPrintable(QStringLiteral("seed %1: worst class-share gap %2, scikit-learn's %3")
                           .arg(seed)
                           .arg(gap)
                           .arg(peerGap)));
    }
    qInfo("worst class-share gap over 5 seeds %.4f; scikit-learn %.4f", ourWorstGap, peerGap);
}

void TestStratifiedFolds::groupedSplitsFollowTheSeed()
{
    const GroupedRows data = groupedRows(60, 4, { 7, 3 });
    const auto first = stratifiedGroupKFold(asSpan(data.labels), data.groups, 5, 11);
    const auto second = stratifiedGroupKFold(asSpan(data.labels), data.groups, 5, 11);
    const auto other = stratifiedGroupKFold(asSpan(data.labels), data.groups, 5, 12);
    QVERIFY(first && second && other);
    bool anyDiffers = false;
    for (std::size_t fold = 0; fold < 5; ++fold) {
        QCOMPARE((*first)[fold].test, (*second)[fold].test);
        anyDiffers = anyDiffers || (*first)[fold].test != (*other)[fold].test;
    }
    QVERIFY2(anyDiffers, "the seed does not change the grouped split");
}

void TestStratifiedFolds::groupedSplitRejectsImpossibleRequests()
{
    const QList<int> labels = { 0, 1, 0, 1, 0, 1 };
    const std::vector<std::size_t> twoPatients = { 1, 1, 1, 2, 2, 2 };
    auto folds = stratifiedGroupKFold(asSpan(labels), twoPatients, 3, 1);
    QVERIFY(!folds);
    QCOMPARE(folds.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(QString::fromStdString(folds.error().message()),
        "there are 2 group(s), fewer than the 3 folds; a group cannot be split across folds");
    const std::vector<std::size_t> tooFew = { 1, 2, 3 };
    QVERIFY(stratifiedGroupKFold(asSpan(labels), tooFew, 2, 1)
                .error()
                .message()
                .find("6 labels but 3 group codes")
        != std::string::npos);
    const QList<int> negative = { 0, -2, 1 };
    const std::vector<std::size_t> three = { 1, 2, 3 };
    QVERIFY(stratifiedGroupKFold(asSpan(negative), three, 2, 1).error().message().find("label -2 at row 1")
        != std::string::npos);
    QCOMPARE(
        stratifiedGroupKFold(asSpan(labels), twoPatients, 1, 1).error().code, ErrorCode::InvalidArgument);
}

void TestStratifiedFolds::groupCodesNumberIdentifiersByFirstAppearance()
{
    const std::vector<std::string> identifiers = { "P7", "P3", "P7", "P9", "P3" };
    QCOMPARE(groupCodes(identifiers), (std::vector<std::size_t> { 0, 1, 0, 2, 1 }));
    QVERIFY(groupCodes({}).empty());
}

QTEST_APPLESS_MAIN(TestStratifiedFolds)
#include "tst_stratified_folds.moc"
