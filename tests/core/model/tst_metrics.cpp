// SPDX-License-Identifier: Apache-2.0
// Every expected value here is worked out by hand (the arithmetic is in the comments) or comes from
// a closed form that holds exactly for the data of that row, never from the code under test.
#include "core/model/metrics.h"

#include <QList>
#include <QTest>

#include "tests/core/model/compare_near.h"
#include <cmath>
#include <limits>
#include <optional>
#include <span>
#include <utility>

using namespace mosaic;

namespace {

constexpr double kExact = 1e-12; // closed-form arithmetic, only rounding differs
constexpr double kFitted = 1e-9; // Newton-Raphson stops at a relative step of 1e-12
constexpr double kZ975 = 1.959964; // the quantile metrics.h promises

std::span<const double> asSpan(const QList<double> &values)
{
    return { values.constData(), static_cast<std::size_t>(values.size()) };
}

std::span<const int> asSpan(const QList<int> &values)
{
    return { values.constData(), static_cast<std::size_t>(values.size()) };
}

double logit(double p)
{
    return std::log(p / (1.0 - p));
}

struct PredictionGroup
{
    double probability;
    int patients;
    int events;
};

// Patients sharing one predicted probability, the first `events` of each group with the event.
std::pair<QList<double>, QList<int>> cohort(std::initializer_list<PredictionGroup> groups)
{
    QList<double> probabilities;
    QList<int> labels;
    for (const auto &group : groups) {
        for (int patient = 0; patient < group.patients; ++patient) {
            probabilities << group.probability;
            labels << (patient < group.events ? 1 : 0);
        }
    }
    return { probabilities, labels };
}

template <typename T> std::optional<Error> errorOf(const Result<T> &result)
{
    if (result)
        return std::nullopt;
    return result.error();
}

} // namespace

class TestMetrics : public QObject
{
    Q_OBJECT

private slots:
    void aurocCountsPairs_data();
    void aurocCountsPairs();
    void aurocDeLongInterval_data();
    void aurocDeLongInterval();
    void averagePrecision_data();
    void averagePrecision();
    void brierScore_data();
    void brierScore();
    void calibrationSlope_data();
    void calibrationSlope();
    void calibrationIntercept_data();
    void calibrationIntercept();
    void evaluateBinaryCombinesEveryMetric();
    void rejectsInvalidInput_data();
    void rejectsInvalidInput();
};

void TestMetrics::aurocCountsPairs_data()
{
    QTest::addColumn<QList<double>>("scores");
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<double>("expected");

    QTest::newRow("perfect separation: every case outranks every control")
        << QList<double> { 0.9, 0.8, 0.7, 0.3, 0.2, 0.1 } << QList<int> { 1, 1, 1, 0, 0, 0 } << 1.0;
    QTest::newRow("reversed ranking: every control outranks every case")
        << QList<double> { 0.9, 0.8, 0.7, 0.3, 0.2, 0.1 } << QList<int> { 0, 0, 0, 1, 1, 1 } << 0.0;
    QTest::newRow("all scores tied: each pair counts 1/2")
        << QList<double> { 0.4, 0.4, 0.4, 0.4, 0.4 } << QList<int> { 1, 0, 1, 0, 0 } << 0.5;
    // Cases 0.9, 0.6, 0.4; controls 0.6, 0.5, 0.3, 0.1 (rows interleaved on purpose).
    // 0.9 beats all 4 controls = 4; 0.6 ties 0.6 (1/2) and beats 0.5, 0.3, 0.1 = 3.5;
    // 0.4 beats 0.3 and 0.1 = 2. AUROC = 9.5 / (3 * 4) = 19/24.
    QTest::newRow("3 cases / 4 controls with one tie: 9.5 of 12 pairs") << QList<double> { 0.5, 0.9, 0.1, 0.6,
        0.3, 0.4, 0.6 } << QList<int> { 0, 1, 0, 1, 0, 1, 0 } << 19.0 / 24.0;
}

void TestMetrics::aurocCountsPairs()
{
    QFETCH(QList<double>, scores);
    QFETCH(QList<int>, labels);
    QFETCH(double, expected);

    const auto estimate = aurocDeLong(asSpan(scores), asSpan(labels));
    QVERIFY2(estimate.has_value(), estimate ? "" : estimate.error().message().c_str());
    COMPARE_NEAR(estimate->auroc, expected, kExact);
}

void TestMetrics::aurocDeLongInterval_data()
{
    QTest::addColumn<QList<double>>("scores");
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<double>("auroc");
    QTest::addColumn<double>("standardError");
    QTest::addColumn<double>("lower");
    QTest::addColumn<double>("upper");

    // The 19/24 example above. Structural components (DeLong 1988), in 24ths:
    //   V10 (share of controls each case beats) = 24, 21, 12; deviations from 19: 5, 2, -7
    //   S10 = (25 + 4 + 49) / 576 / (3 - 1) = 39/576
    //   V01 (share of cases above each control 0.6, 0.5, 0.3, 0.1) = 12, 16, 24, 24;
    //   deviations -7, -3, 5, 5;  S01 = (49 + 9 + 25 + 25) / 576 / (4 - 1) = 36/576
    //   Var = S10/3 + S01/4 = 13/576 + 9/576 = 22/576, SE = sqrt(22)/24 = 0.19543...
    //   CI = 0.79167 -+ 0.38304 = [0.40862, 1.17471] -> upper clipped to 1.
    {
        const double se = std::sqrt(22.0) / 24.0;
        QTest::newRow("3 cases / 4 controls with a tie: SE sqrt(22)/24, upper bound clipped to 1")
            << QList<double> { 0.5, 0.9, 0.1, 0.6, 0.3, 0.4, 0.6 } << QList<int> { 0, 1, 0, 1, 0, 1, 0 }
            << 19.0 / 24.0 << se << 19.0 / 24.0 - kZ975 * se << 1.0;
    }
    // Cases 0.8, 0.5, 0.4, 0.1; controls 0.7, 0.6, 0.3, 0.2.
    //   pairs won: 4 + 2 + 2 + 0 = 8 of 16, AUROC 1/2
    //   V10 = 1, 1/2, 1/2, 0;  S10 = (1/4 + 0 + 0 + 1/4) / 3 = 1/6
    //   V01 = 1/4, 1/4, 3/4, 3/4;  S01 = 4 * (1/16) / 3 = 1/12
    //   Var = (1/6)/4 + (1/12)/4 = 1/24 + 1/48 = 1/16, SE = 1/4
    //   CI = 0.5 -+ 1.959964/4 = [0.010009, 0.989991], inside [0, 1].
    QTest::newRow("4 cases / 4 controls interleaved: SE exactly 1/4, interval inside [0, 1]")
        << QList<double> { 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1 } << QList<int> { 1, 0, 0, 1, 1, 0, 0, 1 }
        << 0.5 << 0.25 << 0.5 - kZ975 / 4.0 << 0.5 + kZ975 / 4.0;
    // Every V10 and V01 is 1, so both sample variances are 0.
    QTest::newRow("perfect separation: components do not vary, SE 0, interval [1, 1]")
        << QList<double> { 0.9, 0.8, 0.3, 0.2 } << QList<int> { 1, 1, 0, 0 } << 1.0 << 0.0 << 1.0 << 1.0;
    // Cases 0.8, 0.2; controls 0.6, 0.4: 2 of 4 pairs, AUROC 1/2.
    //   V10 = 1, 0;  S10 = (1/4 + 1/4) / 1 = 1/2.  V01 = 1/2, 1/2;  S01 = 0.
    //   Var = (1/2)/2 = 1/4, SE = 1/2; CI = 0.5 -+ 0.98 -> both bounds clipped.
    QTest::newRow("2 cases / 2 controls: SE 1/2, both bounds clipped to [0, 1]")
        << QList<double> { 0.8, 0.6, 0.4, 0.2 } << QList<int> { 1, 0, 0, 1 } << 0.5 << 0.5 << 0.0 << 1.0;
}

void TestMetrics::aurocDeLongInterval()
{
    QFETCH(QList<double>, scores);
    QFETCH(QList<int>, labels);
    QFETCH(double, auroc);
    QFETCH(double, standardError);
    QFETCH(double, lower);
    QFETCH(double, upper);

    const auto estimate = aurocDeLong(asSpan(scores), asSpan(labels));
    QVERIFY2(estimate.has_value(), estimate ? "" : estimate.error().message().c_str());
    COMPARE_NEAR(estimate->auroc, auroc, kExact);
    COMPARE_NEAR(estimate->standardError, standardError, kExact);
    COMPARE_NEAR(estimate->ci95.lower, lower, kExact);
    COMPARE_NEAR(estimate->ci95.upper, upper, kExact);
}

void TestMetrics::averagePrecision_data()
{
    QTest::addColumn<QList<double>>("scores");
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<double>("expected");

    // Descending: 0.9 (1), 0.8 (0), 0.7 (1), 0.6 (1), 0.5 (0), 0.4 (0); 3 positives.
    //   at 0.9: recall 1/3, precision 1/1 -> 1/3 * 1
    //   at 0.8: recall unchanged           -> 0
    //   at 0.7: recall 2/3, precision 2/3 -> 1/3 * 2/3 = 2/9
    //   at 0.6: recall 3/3, precision 3/4 -> 1/3 * 3/4 = 1/4
    //   AP = 12/36 + 8/36 + 9/36 = 29/36
    QTest::newRow("distinct scores, 3 positives of 6: 29/36")
        << QList<double> { 0.4, 0.7, 0.9, 0.5, 0.6, 0.8 } << QList<int> { 0, 1, 1, 0, 1, 0 } << 29.0 / 36.0;
    // 0.9 (1), then a tie at 0.5 of one positive and one negative, then 0.1 (0); 2 positives.
    //   at 0.9: recall 1/2, precision 1 -> 1/2
    //   at 0.5 (one threshold): recall 1, precision 2/3 -> 1/2 * 2/3 = 1/3;  AP = 5/6
    // Breaking the tie positive-first would give 1/2 + 1/2 * 1 = 1 instead.
    QTest::newRow("tied scores form one threshold (positive listed first)")
        << QList<double> { 0.9, 0.5, 0.5, 0.1 } << QList<int> { 1, 1, 0, 0 } << 5.0 / 6.0;
    QTest::newRow("tied scores form one threshold (negative listed first)")
        << QList<double> { 0.9, 0.5, 0.5, 0.1 } << QList<int> { 1, 0, 1, 0 } << 5.0 / 6.0;
    // Every positive comes first: precision is 1 until recall reaches 1.
    QTest::newRow("positives ranked above all negatives: AP 1")
        << QList<double> { 0.2, 0.9, 0.1, 0.8 } << QList<int> { 0, 1, 0, 1 } << 1.0;
    // One threshold, recall 0 -> 1 at precision 2/4.
    QTest::newRow("all scores tied: AP equals prevalence 1/2")
        << QList<double> { 0.3, 0.3, 0.3, 0.3 } << QList<int> { 0, 1, 1, 0 } << 0.5;
    QTest::newRow("no negatives: precision always 1")
        << QList<double> { 0.2, 0.7 } << QList<int> { 1, 1 } << 1.0;
}

void TestMetrics::averagePrecision()
{
    QFETCH(QList<double>, scores);
    QFETCH(QList<int>, labels);
    QFETCH(double, expected);

    const auto ap = mosaic::averagePrecision(asSpan(scores), asSpan(labels));
    QVERIFY2(ap.has_value(), ap ? "" : ap.error().message().c_str());
    COMPARE_NEAR(*ap, expected, kExact);
}

void TestMetrics::brierScore_data()
{
    QTest::addColumn<QList<double>>("probabilities");
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<double>("expected");

    // (0.9 - 1)^2 + (0.2 - 0)^2 + (0.6 - 0)^2 + (0.1 - 0)^2 = 0.01 + 0.04 + 0.36 + 0.01 = 0.42; / 4
    QTest::newRow("four predictions: 0.42 / 4 = 0.105")
        << QList<double> { 0.9, 0.2, 0.6, 0.1 } << QList<int> { 1, 0, 0, 0 } << 0.105;
    QTest::newRow("certain and right: 0") << QList<double> { 1.0, 0.0, 1.0 } << QList<int> { 1, 0, 1 } << 0.0;
    QTest::newRow("certain and wrong: 1") << QList<double> { 0.0, 1.0 } << QList<int> { 1, 0 } << 1.0;
    QTest::newRow("coin flip: 0.5^2 = 0.25")
        << QList<double> { 0.5, 0.5, 0.5 } << QList<int> { 1, 0, 0 } << 0.25;
    QTest::newRow("a single class is fine for Brier: (0.3^2 + 0.1^2) / 2 = 0.05")
        << QList<double> { 0.7, 0.9 } << QList<int> { 1, 1 } << 0.05;
}

void TestMetrics::brierScore()
{
    QFETCH(QList<double>, probabilities);
    QFETCH(QList<int>, labels);
    QFETCH(double, expected);

    const auto brier = mosaic::brierScore(asSpan(probabilities), asSpan(labels));
    QVERIFY2(brier.has_value(), brier ? "" : brier.error().message().c_str());
    COMPARE_NEAR(*brier, expected, kExact);
}

// With two distinct predictions p1 (n1 patients, k1 events) and p2 (n2, k2) the logistic model
// a + b * logit(p) has two parameters for two groups, so its maximum-likelihood fit reproduces each
// group's observed rate exactly: a + b * logit(p_i) = logit(k_i / n_i). Hence
//   b = (logit(k2/n2) - logit(k1/n1)) / (logit(p2) - logit(p1)).
void TestMetrics::calibrationSlope_data()
{
    QTest::addColumn<QList<double>>("probabilities");
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<double>("expected");

    const auto exactSlope = [](PredictionGroup first, PredictionGroup second) {
        return (logit(static_cast<double>(second.events) / second.patients)
                   - logit(static_cast<double>(first.events) / first.patients))
            / (logit(second.probability) - logit(first.probability));
    };
    const auto addRow = [&](const char *name, PredictionGroup first, PredictionGroup second) {
        const auto [probabilities, labels] = cohort({ first, second });
        QTest::newRow(name) << probabilities << labels << exactSlope(first, second);
    };

    // (logit 0.8 - logit 0.2) / (logit 0.9 - logit 0.1) = ln 16 / ln 81 = 0.6309
    addRow("too extreme: predicted 10% / 90%, observed 20% / 80%, slope ln16/ln81", { 0.1, 10, 2 },
        { 0.9, 10, 8 });
    // (logit 0.8 - logit 0.2) / (logit 0.6 - logit 0.4) = ln 16 / ln 2.25 = 3.419
    addRow("too moderate: predicted 40% / 60%, observed 20% / 80%, slope ln16/ln2.25", { 0.4, 5, 1 },
        { 0.6, 5, 4 });
    // (logit 0.5 - logit 0.3) / (logit 0.6 - logit 0.2) = 0.8473 / 1.7918 = 0.4729
    addRow("predicted 20% / 60%, observed 30% / 50%", { 0.2, 10, 3 }, { 0.6, 10, 5 });
    // logit 1/4 and logit 1/2 on both sides: slope 1.
    addRow("ideal: predicted 25% / 50%, observed 25% / 50%, slope 1", { 0.25, 4, 1 }, { 0.5, 2, 1 });

    // Predictions of exactly 0 and 1 are clamped before the logit, so x = -27.6, 0, +27.6.
    // Every group's observed rate is 1/2, so a = 0, b = 0 fits every group exactly.
    QTest::newRow("predictions of exactly 0 and 1 are clamped, not infinite: slope 0")
        << QList<double> { 0.0, 0.0, 0.5, 0.5, 1.0, 1.0 } << QList<int> { 0, 1, 0, 1, 0, 1 } << 0.0;
}

void TestMetrics::calibrationSlope()
{
    QFETCH(QList<double>, probabilities);
    QFETCH(QList<int>, labels);
    QFETCH(double, expected);

    const auto fit = calibration(asSpan(probabilities), asSpan(labels));
    QVERIFY2(fit.has_value(), fit ? "" : fit.error().message().c_str());
    COMPARE_NEAR(fit->slope, expected, kFitted);
}

// Calibration-in-the-large solves sum(y) = sum(sigmoid(a + logit(p_i))), whose left side is
// fixed and right side increases with a, so a value of a that balances it is the answer. The
// rows shift every prediction's odds by one factor e^a and pick group sizes that make the sum an
// integer.
void TestMetrics::calibrationIntercept_data()
{
    QTest::addColumn<QList<double>>("probabilities");
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<double>("expected");

    // a = ln 2 doubles the odds: p = 1/3 (odds 1/2) -> 1/2; p = 1/5 (odds 1/4) -> 1/3.
    // Expected events 2 * 1/2 + 3 * 1/3 = 2 = observed (1 + 1).
    {
        const auto [probabilities, labels] = cohort({ { 1.0 / 3.0, 2, 1 }, { 1.0 / 5.0, 3, 1 } });
        QTest::newRow("under-predicts: observed odds twice the predicted, intercept ln 2")
            << probabilities << labels << std::log(2.0);
    }
    // a = -ln 3 divides the odds by 3: p = 1/2 (odds 1) -> 1/4; p = 3/4 (odds 3) -> 1/2.
    // Expected events 4 * 1/4 + 2 * 1/2 = 2 = observed (1 + 1).
    {
        const auto [probabilities, labels] = cohort({ { 0.5, 4, 1 }, { 0.75, 2, 1 } });
        QTest::newRow("over-predicts: observed odds a third of the predicted, intercept -ln 3")
            << probabilities << labels << -std::log(3.0);
    }
    // a = 0: 4 * 1/4 + 2 * 1/2 = 2 = observed.
    {
        const auto [probabilities, labels] = cohort({ { 0.25, 4, 1 }, { 0.5, 2, 1 } });
        QTest::newRow("calibrated in the large: intercept 0") << probabilities << labels << 0.0;
    }
    // x = -27.6, -27.6, 0, 0, 27.6, 27.6: at a = 0, 2 * ~0 + 2 * 1/2 + 2 * ~1 = 3 = observed.
    QTest::newRow("predictions of exactly 0 and 1 are clamped, not infinite: intercept 0")
        << QList<double> { 0.0, 0.0, 0.5, 0.5, 1.0, 1.0 } << QList<int> { 0, 1, 0, 1, 0, 1 } << 0.0;
}

void TestMetrics::calibrationIntercept()
{
    QFETCH(QList<double>, probabilities);
    QFETCH(QList<int>, labels);
    QFETCH(double, expected);

    const auto fit = calibration(asSpan(probabilities), asSpan(labels));
    QVERIFY2(fit.has_value(), fit ? "" : fit.error().message().c_str());
    COMPARE_NEAR(fit->intercept, expected, kFitted);
}

void TestMetrics::evaluateBinaryCombinesEveryMetric()
{
    // Probabilities 1/3, 1/3, 1/5, 1/5, 1/5 with outcomes 1, 0, 1, 0, 0 (the ln 2 row above).
    const QList<double> probabilities { 1.0 / 3.0, 1.0 / 3.0, 0.2, 0.2, 0.2 };
    const QList<int> labels { 1, 0, 1, 0, 0 };

    const auto metrics = evaluateBinary(asSpan(probabilities), asSpan(labels));
    QVERIFY2(metrics.has_value(), metrics ? "" : metrics.error().message().c_str());
    QCOMPARE(metrics->cases, std::size_t { 5 });
    QCOMPARE(metrics->positives, std::size_t { 2 });

    // AUROC: case 1/3 ties control 1/3 (1/2) and beats both 1/5 (2) = 2.5; case 1/5 ties both
    // 1/5 controls = 1. (2.5 + 1) / (2 * 3) = 7/12.
    //   V10 = 5/6, 1/3; S10 = ((3/12)^2 + (3/12)^2) / 1 = 1/8
    //   V01 = 1/4, 3/4, 3/4; S01 = ((4/12)^2 + 2 * (2/12)^2) / 2 = 1/12
    //   Var = (1/8)/2 + (1/12)/3 = 1/16 + 1/36 = 13/144, SE = sqrt(13)/12 = 0.30046
    //   CI = 0.58333 -+ 0.58890 = [-0.00556, 1.17224] -> clipped to [0, 1] on both sides.
    COMPARE_NEAR(metrics->auroc.auroc, 7.0 / 12.0, kExact);
    COMPARE_NEAR(metrics->auroc.standardError, std::sqrt(13.0) / 12.0, kExact);
    COMPARE_NEAR(metrics->auroc.ci95.lower, 0.0, kExact);
    COMPARE_NEAR(metrics->auroc.ci95.upper, 1.0, kExact);
    // AP: threshold 1/3 has recall 1/2 at precision 1/2 (1/4); threshold 1/5 has recall 1 at
    // precision 2/5 (1/2 * 2/5 = 1/5). 1/4 + 1/5 = 9/20.
    COMPARE_NEAR(metrics->auprc, 9.0 / 20.0, kExact);
    // Brier: (2/3)^2 + (1/3)^2 + (4/5)^2 + 2 * (1/5)^2 = 5/9 + 18/25 = 287/225; / 5 = 287/1125.
    COMPARE_NEAR(metrics->brier, 287.0 / 1125.0, kExact);
    // Observed rates 1/2 and 1/3 are the predictions with their odds doubled: slope 1, intercept ln 2.
    COMPARE_NEAR(metrics->calibration.slope, 1.0, kFitted);
    COMPARE_NEAR(metrics->calibration.intercept, std::log(2.0), kFitted);
}

void TestMetrics::rejectsInvalidInput_data()
{
    QTest::addColumn<QString>("metric");
    QTest::addColumn<QList<double>>("values");
    QTest::addColumn<QList<int>>("labels");
    QTest::addColumn<QString>("messageFragment");

    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double infinity = std::numeric_limits<double>::infinity();

    QTest::newRow("AUROC without any case")
        << "auroc" << QList<double> { 0.1, 0.2, 0.3 } << QList<int> { 0, 0, 0 } << "no row has label 1";
    QTest::newRow("AUROC without any control")
        << "auroc" << QList<double> { 0.1, 0.2, 0.3 } << QList<int> { 1, 1, 1 } << "no row has label 0";
    QTest::newRow("AUROC with a single case: DeLong variance undefined")
        << "auroc" << QList<double> { 0.1, 0.2, 0.3 } << QList<int> { 1, 0, 0 }
        << "at least two cases and two controls";
    QTest::newRow("AUROC with more scores than labels")
        << "auroc" << QList<double> { 0.1, 0.2, 0.3 } << QList<int> { 1, 0 } << "3 scores but 2 labels";
    QTest::newRow("AUROC with label 2") << "auroc" << QList<double> { 0.1, 0.2, 0.3, 0.4 }
                                        << QList<int> { 0, 2, 1, 0 } << "label 2 at row 1 is neither 0";
    QTest::newRow("AUROC with a NaN score")
        << "auroc" << QList<double> { 0.1, 0.2, nan, 0.4 } << QList<int> { 0, 1, 1, 0 }
        << "score at row 2 is not a finite number";
    QTest::newRow("AUROC with an infinite score")
        << "auroc" << QList<double> { infinity, 0.2, 0.3, 0.4 } << QList<int> { 0, 1, 1, 0 }
        << "score at row 0 is not a finite";
    QTest::newRow("AUROC of no rows") << "auroc" << QList<double> {} << QList<int> {} << "no rows";
    QTest::newRow("average precision without any positive")
        << "auprc" << QList<double> { 0.1, 0.2 } << QList<int> { 0, 0 } << "at least one row with label 1";
    QTest::newRow("average precision with label -1")
        << "auprc" << QList<double> { 0.1, 0.2 } << QList<int> { 1, -1 } << "label -1 at row 1";
    QTest::newRow("Brier with a probability above 1")
        << "brier" << QList<double> { 0.1, 1.5 } << QList<int> { 0, 1 } << "outside [0, 1]";
    QTest::newRow("Brier with a negative probability")
        << "brier" << QList<double> { -0.1, 0.5 } << QList<int> { 0, 1 } << "outside [0, 1]";
    QTest::newRow("Brier with a NaN probability")
        << "brier" << QList<double> { 0.1, nan } << QList<int> { 0, 1 }
        << "probability at row 1 is not a finite";
    QTest::newRow("Brier with fewer probabilities than labels")
        << "brier" << QList<double> { 0.1 } << QList<int> { 0, 1 } << "1 probabilities but 2 labels";
    QTest::newRow("calibration without any control")
        << "calibration" << QList<double> { 0.1, 0.6 } << QList<int> { 1, 1 } << "no row has label 0";
    QTest::newRow("calibration with every prediction equal: slope undefined")
        << "calibration" << QList<double> { 0.3, 0.3, 0.3, 0.3 } << QList<int> { 1, 0, 0, 1 }
        << "all predicted probabilities are equal";
    QTest::newRow("calibration with 0 and 1e-13, equal after clamping to 1e-12")
        << "calibration" << QList<double> { 0.0, 1e-13, 0.0, 1e-13 } << QList<int> { 1, 0, 0, 1 }
        << "all predicted probabilities are equal";
    QTest::newRow("calibration with predictions separating the classes: slope infinite")
        << "calibration" << QList<double> { 0.1, 0.2, 0.8, 0.9 } << QList<int> { 0, 0, 1, 1 }
        << "separate the classes";
    QTest::newRow("calibration with reversed separation")
        << "calibration" << QList<double> { 0.1, 0.2, 0.8, 0.9 } << QList<int> { 1, 1, 0, 0 }
        << "separate the classes";
    QTest::newRow("calibration with classes touching at one prediction (quasi-separation)")
        << "calibration" << QList<double> { 0.1, 0.5, 0.5, 0.9 } << QList<int> { 0, 0, 1, 1 }
        << "separate the classes";
    QTest::newRow("evaluateBinary with a probability above 1")
        << "evaluate" << QList<double> { 0.1, 0.2, 1.2, 0.9 } << QList<int> { 0, 1, 0, 1 }
        << "outside [0, 1]";
    QTest::newRow("evaluateBinary without any case")
        << "evaluate" << QList<double> { 0.1, 0.2 } << QList<int> { 0, 0 } << "no row has label 1";
}

void TestMetrics::rejectsInvalidInput()
{
    QFETCH(QString, metric);
    QFETCH(QList<double>, values);
    QFETCH(QList<int>, labels);
    QFETCH(QString, messageFragment);

    const auto valueSpan = asSpan(values);
    const auto labelSpan = asSpan(labels);
    std::optional<Error> error;
    if (metric == "auroc")
        error = errorOf(aurocDeLong(valueSpan, labelSpan));
    else if (metric == "auprc")
        error = errorOf(mosaic::averagePrecision(valueSpan, labelSpan));
    else if (metric == "brier")
        error = errorOf(mosaic::brierScore(valueSpan, labelSpan));
    else if (metric == "calibration")
        error = errorOf(calibration(valueSpan, labelSpan));
    else
        error = errorOf(evaluateBinary(valueSpan, labelSpan));

    QVERIFY2(error.has_value(), "the invalid input was accepted");
    QCOMPARE(error->code, ErrorCode::InvalidArgument);
    const auto message = QString::fromStdString(error->message());
    QVERIFY2(message.contains(messageFragment), qPrintable(message));
}

QTEST_APPLESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
