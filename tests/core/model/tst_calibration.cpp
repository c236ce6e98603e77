// SPDX-License-Identifier: Apache-2.0
// Expected values come from scikit-learn 1.2 run by tests/core/model/calibration_peer.py on the same
// rows (IsotonicRegression, calibration_curve, _SigmoidCalibration and its objective minimised
// tightly), or are worked out by hand with the arithmetic in the comments.
#include "core/model/calibration.h"
#include "core/model/metrics.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/model/compare_near.h"
#include "tests/core/model/seeded_stream.h"
#include <cmath>
#include <cstdint>
#include <limits>
#include <numbers>
#include <vector>

using namespace mosaic;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

constexpr double kExact = 1e-12; // the same arithmetic in another order
constexpr double kPeer = 1e-6; // the brief's agreement bound with the tightly minimised Platt objective

using Stream = model_test::Stream;

struct Cohort
{
    std::vector<double> probabilities;
    std::vector<int> labels;
};

// Out-of-fold-like scores: an event rate of `prevalence`, log-odds separated by `separation` and
// stretched by `stretch` (above 1: over-confident), a third rounded to two decimals so that ties
// occur, and when `saturated` a few exact 0 and 1 as a saturated booster gives.
Cohort simulate(
    std::uint64_t seed, int rows, double prevalence, double separation, double stretch, bool saturated)
{
    Stream stream(seed);
    Cohort cohort;
    for (int row = 0; row < rows; ++row) {
        const int label = stream.uniform() < prevalence ? 1 : 0;
        const double logOdds = stretch * (stream.normal() + separation * label - 1.0);
        double p = 1.0 / (1.0 + std::exp(-logOdds));
        if (row % 3 == 0)
            p = std::round(p * 100.0) / 100.0;
        if (saturated && row % 97 == 5)
            p = label == 1 ? 1.0 : 0.0;
        cohort.probabilities.push_back(p);
        cohort.labels.push_back(label);
    }
    return cohort;
}

std::vector<double> doubles(const QJsonValue &value)
{
    std::vector<double> out;
    for (const auto &item : value.toArray())
        out.push_back(item.toDouble(kNotANumber));
    return out;
}

QJsonObject runPeer(const Cohort &cohort, int bins)
{
    QTemporaryDir dir;
    if (!dir.isValid())
        return {};
    const QString path = dir.filePath(QStringLiteral("scores.csv"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    for (std::size_t row = 0; row < cohort.labels.size(); ++row)
        file.write(QByteArray::number(cohort.probabilities[row], 'g', 17) + ','
            + QByteArray::number(cohort.labels[row]) + '\n');
    file.close();
    QProcess peer;
    peer.start(QStringLiteral("/usr/bin/python3"),
        { QStringLiteral(MOSAIC_SOURCE_DIR "/tests/core/model/calibration_peer.py"), path,
            QString::number(bins) });
    if (!peer.waitForFinished(300000) || peer.exitCode() != 0) {
        qWarning("%s", peer.readAllStandardError().constData());
        return {};
    }
    return QJsonDocument::fromJson(peer.readAllStandardOutput()).object();
}

template <typename T> bool refused(const Result<T> &result)
{
    return !result && result.error().code == ErrorCode::InvalidArgument && !result.error().detail.empty();
}

} // namespace

class TestCalibration : public QObject
{
    Q_OBJECT

    void compareWithScikitLearn(const Cohort &cohort, int bins, bool saturated);

private slots:
    void agreesWithScikitLearn_data();
    void agreesWithScikitLearn();
    void agreesWithScikitLearnOnHeartFailure();
    void poolsAdjacentViolatorsByHand();
    void poolsTiedProbabilitiesByHand();
    void plattFitsTwoGroupsExactly();
    void expectedCalibrationErrorByHand();
    void probabilityOnAnEdgeFallsInTheLowerBin();
    void summaryReusesTheSlopeFit();
    void missingPredictionsStayMissing();
    void refusesBadInput_data();
    void refusesBadInput();
    void refusesImpossibleRequests();
};

void TestCalibration::agreesWithScikitLearn_data()
{
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<int>("rows");
    QTest::addColumn<double>("prevalence");
    QTest::addColumn<double>("separation");
    QTest::addColumn<double>("stretch");
    QTest::addColumn<int>("bins");
    QTest::addColumn<bool>("saturated");
    QTest::newRow("600 rows, 30% events, well spread, 10 bins")
        << quint64(7) << 600 << 0.3 << 1.6 << 1.0 << 10 << false;
    QTest::newRow("the same with some exact 0 and 1") << quint64(7) << 600 << 0.3 << 1.6 << 1.0 << 10 << true;
    QTest::newRow("150 rows, over-confident scores, 10 bins")
        << quint64(11) << 150 << 0.4 << 2.0 << 3.0 << 10 << false;
    QTest::newRow("2000 rows, rare events (8%), some exact 0 and 1, 15 bins")
        << quint64(23) << 2000 << 0.08 << 1.2 << 1.0 << 15 << true;
    QTest::newRow("40 rows, under-confident scores, 5 bins")
        << quint64(5) << 40 << 0.5 << 1.0 << 0.4 << 5 << false;
}

void TestCalibration::agreesWithScikitLearn()
{
    QFETCH(quint64, seed);
    QFETCH(int, rows);
    QFETCH(double, prevalence);
    QFETCH(double, separation);
    QFETCH(double, stretch);
    QFETCH(int, bins);
    QFETCH(bool, saturated);
    compareWithScikitLearn(simulate(seed, rows, prevalence, separation, stretch, saturated), bins, saturated);
}

void TestCalibration::agreesWithScikitLearnOnHeartFailure()
{
    // Real data with heavy ties: the 299 patients of Chicco & Jurman 2020 (heart_failure_S1Data.csv),
    // scored by 1 - ejection fraction / 100 (EF is recorded in steps of 5 %), against death in follow-up.
    QFile file(QStringLiteral(MOSAIC_SHARED_DATA_DIR "/clinical/heart_failure_S1Data.csv"));
    QVERIFY(file.open(QIODevice::ReadOnly | QIODevice::Text));
    const QList<QByteArray> header = file.readLine().trimmed().split(',');
    const auto event = header.indexOf("Event");
    const auto ejection = header.indexOf("Ejection.Fraction");
    QVERIFY(event >= 0 && ejection >= 0);
    Cohort cohort;
    while (!file.atEnd()) {
        const QList<QByteArray> cells = file.readLine().trimmed().split(',');
        if (cells.size() != header.size())
            continue;
        cohort.probabilities.push_back(1.0 - cells[ejection].toDouble() / 100.0);
        cohort.labels.push_back(cells[event].toInt());
    }
    QCOMPARE(cohort.labels.size(), std::size_t { 299 });
    compareWithScikitLearn(cohort, 10, false);
}

void TestCalibration::compareWithScikitLearn(const Cohort &cohort, int bins, bool saturated)
{
    const QJsonObject peer = runPeer(cohort, bins);
    QVERIFY2(!peer.isEmpty(), "the scikit-learn peer did not run");

    // Platt: the truth is scikit-learn's objective minimised tightly by the peer. scikit-learn's own
    // BFGS stops at a gradient of 1e-5, so its probabilities are checked to 1e-4; with exact 0 and 1
    // its objective evaluation loses precision (log(1 - P) with P rounded to 1) and its optimum is
    // off by far more, so there it is only reported, and the peer confirms its loss is higher.
    const auto platt = fitPlatt(cohort.probabilities, cohort.labels);
    QVERIFY2(platt, platt ? "" : platt.error().detail.c_str());
    const auto refit = doubles(peer["platt_refit"]);
    const auto sklearnAb = doubles(peer["platt_sklearn"]);
    QVERIFY(peer["platt_refit_gradient"].toDouble(kNotANumber) < 1e-8);
    // (up to the loss's rounding when both sit at the same minimum)
    QVERIFY(peer["platt_refit_loss"].toDouble(kNotANumber)
        <= peer["platt_sklearn_loss"].toDouble(kNotANumber) * (1.0 + 1e-12));
    COMPARE_NEAR(platt->a, refit[0], kPeer);
    COMPARE_NEAR(platt->b, refit[1], kPeer);
    const auto queries = doubles(peer["queries"]);
    const auto sklearnApplied = doubles(peer["platt_apply_sklearn"]);
    double plattGap = 0.0, plattGapSklearn = 0.0;
    for (std::size_t i = 0; i < queries.size(); ++i) {
        const double refitApplied = 1.0
            / (1.0
                + std::exp(refit[0]
                        * std::log(std::clamp(queries[i], 1e-12, 1 - 1e-12)
                            / (1 - std::clamp(queries[i], 1e-12, 1 - 1e-12)))
                    + refit[1]));
        plattGap = std::max(plattGap, std::abs(platt->apply(queries[i]) - refitApplied));
        plattGapSklearn = std::max(plattGapSklearn, std::abs(platt->apply(queries[i]) - sklearnApplied[i]));
    }
    QVERIFY2(plattGap <= kPeer, qPrintable(QString::number(plattGap)));
    if (!saturated)
        QVERIFY2(plattGapSklearn <= 1e-4, qPrintable(QString::number(plattGapSklearn)));
    qInfo("Platt a=%.12f b=%.12f; |d(a,b)| to tight refit %.2e %.2e, to sklearn BFGS %.2e %.2e; "
          "max |d p'| on 201 queries: refit %.2e, sklearn %.2e",
        platt->a, platt->b, std::abs(platt->a - refit[0]), std::abs(platt->b - refit[1]),
        std::abs(platt->a - sklearnAb[0]), std::abs(platt->b - sklearnAb[1]), plattGap, plattGapSklearn);

    // Isotonic: at the training points and on a grid over [0, 1] (in range and clipped).
    const auto isotonic = fitIsotonic(cohort.probabilities, cohort.labels);
    QVERIFY(isotonic);
    const auto isoQueries = doubles(peer["isotonic_apply"]);
    const auto isoTrain = doubles(peer["isotonic_train"]);
    QCOMPARE(isoQueries.size(), queries.size());
    QCOMPARE(isoTrain.size(), cohort.probabilities.size());
    double isoGap = 0.0;
    for (std::size_t i = 0; i < queries.size(); ++i)
        isoGap = std::max(isoGap, std::abs(isotonic->apply(queries[i]) - isoQueries[i]));
    for (std::size_t i = 0; i < isoTrain.size(); ++i)
        isoGap = std::max(isoGap, std::abs(isotonic->apply(cohort.probabilities[i]) - isoTrain[i]));
    QVERIFY2(isoGap <= kExact, qPrintable(QString::number(isoGap)));

    // Reliability curves, both strategies: the same non-empty bins, counts and means.
    double curveGap = 0.0;
    for (const auto strategy : { BinStrategy::Uniform, BinStrategy::Quantile }) {
        const QJsonObject expected
            = peer[strategy == BinStrategy::Uniform ? "uniform" : "quantile"].toObject();
        const auto curve
            = reliabilityCurve(cohort.probabilities, cohort.labels, static_cast<std::size_t>(bins), strategy);
        QVERIFY(curve);
        const auto observed = doubles(expected["observed"]);
        const auto predicted = doubles(expected["predicted"]);
        const auto count = doubles(expected["count"]);
        QCOMPARE(curve->size(), observed.size());
        for (std::size_t bin = 0; bin < curve->size(); ++bin) {
            QCOMPARE(static_cast<double>((*curve)[bin].count), count[bin]);
            curveGap = std::max(curveGap, std::abs((*curve)[bin].observedFraction - observed[bin]));
            curveGap = std::max(curveGap, std::abs((*curve)[bin].meanPredicted - predicted[bin]));
        }
    }
    QVERIFY2(curveGap <= kExact, qPrintable(QString::number(curveGap)));

    const auto error = calibrationError(cohort.probabilities, cohort.labels, static_cast<std::size_t>(bins));
    QVERIFY(error);
    COMPARE_NEAR(error->expected, peer["ece"].toDouble(kNotANumber), kExact);
    COMPARE_NEAR(error->maximum, peer["mce"].toDouble(kNotANumber), kExact);
    qInfo("isotonic max gap %.2e; curve max gap %.2e; ECE %.6f (gap %.2e), MCE %.6f (gap %.2e)", isoGap,
        curveGap, error->expected, std::abs(error->expected - peer["ece"].toDouble(kNotANumber)),
        error->maximum, std::abs(error->maximum - peer["mce"].toDouble(kNotANumber)));
}

void TestCalibration::poolsAdjacentViolatorsByHand()
{
    // p = 0.1 .. 0.5, labels 0 1 0 0 1. Blocks left to right:
    //   [0] | [1]            increasing so far
    //   [1] then [0]         1 > 0 violates: pool 0.2, 0.3 -> (1 + 0) / 2 = 0.5
    //   [0.5] then [0]       0.5 > 0 violates: pool 0.2..0.4 -> (1 + 0 + 0) / 3 = 1/3
    //   [0] <= [1/3]         stop; then [1] >= 1/3 keeps.
    // Fitted: 0, 1/3, 1/3, 1/3, 1. Between 0.4 and 0.5: 1/3 + (1 - 1/3) * (0.45 - 0.4) / 0.1 = 2/3;
    // between 0.1 and 0.2: 0 + 1/3 * 0.5 = 1/6; outside [0.1, 0.5] clipped to 0 and 1.
    const std::vector<double> p { 0.1, 0.2, 0.3, 0.4, 0.5 };
    const std::vector<int> y { 0, 1, 0, 0, 1 };
    const auto fit = fitIsotonic(p, y);
    QVERIFY(fit);
    const std::vector<double> expected { 0.0, 1.0 / 3, 1.0 / 3, 1.0 / 3, 1.0 };
    QCOMPARE(fit->values.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i)
        COMPARE_NEAR(fit->values[i], expected[i], kExact);
    COMPARE_NEAR(fit->apply(0.45), 2.0 / 3, kExact);
    COMPARE_NEAR(fit->apply(0.15), 1.0 / 6, kExact);
    COMPARE_NEAR(fit->apply(0.0), 0.0, kExact);
    COMPARE_NEAR(fit->apply(1.0), 1.0, kExact);
}

void TestCalibration::poolsTiedProbabilitiesByHand()
{
    // Input order is shuffled. Ties pool first: p = 0.2 has labels {1, 0} -> 0.5 with weight 2;
    // p = 0.6 has {0, 0, 1} -> 1/3 with weight 3. 0.5 > 1/3 violates, so both become the weighted
    // mean (0.5 * 2 + 1/3 * 3) / 5 = 2/5.
    const std::vector<double> p { 0.6, 0.2, 0.6, 0.2, 0.6 };
    const std::vector<int> y { 0, 1, 0, 0, 1 };
    const auto fit = fitIsotonic(p, y);
    QVERIFY(fit);
    QCOMPARE(fit->thresholds, (std::vector<double> { 0.2, 0.6 }));
    COMPARE_NEAR(fit->values[0], 0.4, kExact);
    COMPARE_NEAR(fit->values[1], 0.4, kExact);
    COMPARE_NEAR(fit->apply(0.4), 0.4, kExact);
}

void TestCalibration::plattFitsTwoGroupsExactly()
{
    // Two distinct probabilities make Platt's two-parameter model saturated: at the optimum the
    // fitted probability of each group equals that group's mean smoothed target.
    // Group 0.2: 10 rows, 3 events; group 0.7: 10 rows, 6 events. N+ = 9, N- = 11, so
    // t+ = 10/11 and t- = 1/13; group means m1 = (3 * 10/11 + 7/13) / 10, m2 = (6 * 10/11 + 4/13) / 10.
    // With p' = 1 / (1 + exp(f)), f = log((1 - m) / m); a = (f1 - f2) / (F1 - F2), b = f1 - a F1
    // where F = logit(p).
    std::vector<double> p;
    std::vector<int> y;
    for (int i = 0; i < 10; ++i) {
        p.push_back(0.2);
        y.push_back(i < 3 ? 1 : 0);
        p.push_back(0.7);
        y.push_back(i < 6 ? 1 : 0);
    }
    const double tPos = 10.0 / 11, tNeg = 1.0 / 13;
    const double m1 = (3 * tPos + 7 * tNeg) / 10, m2 = (6 * tPos + 4 * tNeg) / 10;
    const double f1 = std::log((1 - m1) / m1), f2 = std::log((1 - m2) / m2);
    const double F1 = std::log(0.2 / 0.8), F2 = std::log(0.7 / 0.3);
    const double a = (f1 - f2) / (F1 - F2);
    const double b = f1 - a * F1;
    const auto fit = fitPlatt(p, y);
    QVERIFY(fit);
    COMPARE_NEAR(fit->a, a, 1e-9);
    COMPARE_NEAR(fit->b, b, 1e-9);
    COMPARE_NEAR(fit->apply(0.2), m1, 1e-10);
    COMPARE_NEAR(fit->apply(0.7), m2, 1e-10);
}

void TestCalibration::expectedCalibrationErrorByHand()
{
    // 10 equal-width bins. p = 0.05, 0.05 (labels 0, 1) -> bin [0, 0.1]: predicted 0.05, observed 0.5,
    // gap 0.45, 2 rows; 0.25, 0.25 (0, 0) -> (0.2, 0.3]: gap 0.25, 2 rows; 0.75 (1) -> gap 0.25;
    // 0.95 (1) -> gap 0.05. ECE = (2 * 0.45 + 2 * 0.25 + 0.25 + 0.05) / 6 = 1.7 / 6; MCE = 0.45.
    const std::vector<double> p { 0.05, 0.05, 0.25, 0.25, 0.75, 0.95 };
    const std::vector<int> y { 0, 1, 0, 0, 1, 1 };
    const auto error = calibrationError(p, y);
    QVERIFY(error);
    COMPARE_NEAR(error->expected, 1.7 / 6, kExact);
    COMPARE_NEAR(error->maximum, 0.45, kExact);
    const auto curve = reliabilityCurve(p, y);
    QVERIFY(curve);
    QCOMPARE(curve->size(), std::size_t { 4 }); // six empty bins dropped
    QCOMPARE((*curve)[0].count, std::size_t { 2 });
    COMPARE_NEAR((*curve)[0].observedFraction, 0.5, kExact);
    COMPARE_NEAR((*curve)[1].lower, 0.2, kExact);
    COMPARE_NEAR((*curve)[1].upper, 0.3, kExact);
}

void TestCalibration::probabilityOnAnEdgeFallsInTheLowerBin()
{
    // 0.2 == 2 * 0.1 exactly, the second inner edge: it belongs to (0.1, 0.2], as numpy.searchsorted
    // (side "left") puts it. 0 and 1 belong to the first and last bins. Quantile bins over
    // 0.1, 0.2, 0.3, 0.4 with 2 bins: the median edge is 0.25 (position 1.5), so {0.1, 0.2} | {0.3, 0.4}.
    const std::vector<double> p { 0.0, 0.2, 1.0 };
    const std::vector<int> y { 0, 1, 1 };
    const auto curve = reliabilityCurve(p, y);
    QVERIFY(curve);
    QCOMPARE(curve->size(), std::size_t { 3 });
    COMPARE_NEAR((*curve)[1].lower, 0.1, kExact);
    COMPARE_NEAR((*curve)[1].upper, 0.2, kExact);
    COMPARE_NEAR((*curve)[2].lower, 0.9, kExact);

    const std::vector<double> q { 0.4, 0.1, 0.3, 0.2 };
    const std::vector<int> z { 1, 0, 1, 0 };
    const auto quantile = reliabilityCurve(q, z, 2, BinStrategy::Quantile);
    QVERIFY(quantile);
    QCOMPARE(quantile->size(), std::size_t { 2 });
    COMPARE_NEAR((*quantile)[0].upper, 0.25, kExact);
    COMPARE_NEAR((*quantile)[0].meanPredicted, 0.15, kExact);
    COMPARE_NEAR((*quantile)[0].observedFraction, 0.0, kExact);
    COMPARE_NEAR((*quantile)[1].observedFraction, 1.0, kExact);
}

void TestCalibration::summaryReusesTheSlopeFit()
{
    const Cohort cohort = simulate(3, 300, 0.3, 1.5, 1.0, true);
    const auto summary = summarizeCalibration(cohort.probabilities, cohort.labels);
    QVERIFY(summary);
    const auto fit = calibration(cohort.probabilities, cohort.labels);
    QVERIFY(fit);
    QCOMPARE(summary->fit.slope, fit->slope);
    QCOMPARE(summary->fit.intercept, fit->intercept);
    std::size_t rows = 0;
    for (const auto &bin : summary->curve)
        rows += bin.count;
    QCOMPARE(rows, cohort.probabilities.size());
}

void TestCalibration::missingPredictionsStayMissing()
{
    const auto platt = fitPlatt(std::vector<double> { 0.1, 0.9, 0.4 }, std::vector<int> { 0, 1, 1 });
    const auto isotonic = fitIsotonic(std::vector<double> { 0.1, 0.9 }, std::vector<int> { 0, 1 });
    QVERIFY(platt && isotonic);
    QVERIFY(std::isnan(platt->apply(std::numeric_limits<double>::quiet_NaN())));
    QVERIFY(std::isnan(isotonic->apply(std::numeric_limits<double>::quiet_NaN())));
}

Q_DECLARE_METATYPE(std::vector<double>)
Q_DECLARE_METATYPE(std::vector<int>)

void TestCalibration::refusesBadInput_data()
{
    QTest::addColumn<std::vector<double>>("probabilities");
    QTest::addColumn<std::vector<int>>("labels");
    const double nan = std::numeric_limits<double>::quiet_NaN();
    QTest::newRow("more labels than probabilities")
        << std::vector<double> { 0.1, 0.9 } << std::vector<int> { 0, 1, 1 };
    QTest::newRow("no rows") << std::vector<double> {} << std::vector<int> {};
    QTest::newRow("a NaN probability")
        << std::vector<double> { 0.1, nan, 0.9 } << std::vector<int> { 0, 1, 1 };
    QTest::newRow("a probability above 1")
        << std::vector<double> { 0.1, 1.5, 0.9 } << std::vector<int> { 0, 1, 1 };
    QTest::newRow("a negative probability")
        << std::vector<double> { -0.1, 0.5, 0.9 } << std::vector<int> { 0, 1, 1 };
    QTest::newRow("an infinite probability")
        << std::vector<double> { 0.1, std::numeric_limits<double>::infinity() } << std::vector<int> { 0, 1 };
    QTest::newRow("a label of 2") << std::vector<double> { 0.1, 0.5, 0.9 } << std::vector<int> { 0, 2, 1 };
    QTest::newRow("only events") << std::vector<double> { 0.1, 0.5, 0.9 } << std::vector<int> { 1, 1, 1 };
    QTest::newRow("only non-events") << std::vector<double> { 0.1, 0.5, 0.9 } << std::vector<int> { 0, 0, 0 };
}

void TestCalibration::refusesBadInput()
{
    QFETCH(std::vector<double>, probabilities);
    QFETCH(std::vector<int>, labels);
    QVERIFY(refused(fitPlatt(probabilities, labels)));
    QVERIFY(refused(fitIsotonic(probabilities, labels)));
    QVERIFY(refused(reliabilityCurve(probabilities, labels)));
    QVERIFY(refused(reliabilityCurve(probabilities, labels, 10, BinStrategy::Quantile)));
    QVERIFY(refused(calibrationError(probabilities, labels)));
    QVERIFY(refused(summarizeCalibration(probabilities, labels)));
}

void TestCalibration::refusesImpossibleRequests()
{
    const std::vector<double> p { 0.3, 0.3, 0.3 };
    const std::vector<int> y { 0, 1, 1 };
    // One probability for all rows: a and b are not identifiable (only a F + b is).
    QVERIFY(refused(fitPlatt(p, y)));
    QVERIFY(fitIsotonic(p, y)); // isotonic is a constant 2/3 there
    COMPARE_NEAR(fitIsotonic(p, y)->apply(0.9), 2.0 / 3, kExact);
    QVERIFY(refused(reliabilityCurve(p, y, 0)));
    QVERIFY(refused(reliabilityCurve(p, y, 10001)));
    QVERIFY(refused(calibrationError(p, y, 0)));
}

QTEST_APPLESS_MAIN(TestCalibration)
#include "tst_calibration.moc"
