// SPDX-License-Identifier: Apache-2.0
// Net benefit worked out by hand for a small case (arithmetic in the comments), and against a few
// lines of numpy in tests/core/model/bootstrap_peer.py (net_benefit) on the real heart-failure rows,
// on synthetic rows and on exactly the resamples the C++ side drew.
#include "core/model/decision_curve.h"

#include <QTest>

#include "tests/core/model/bootstrap_test_support.h"
#include "tests/core/model/compare_near.h"
#include <cmath>
#include <limits>
#include <optional>
#include <vector>

using namespace mosaic;
using namespace bootstrap_test;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

constexpr double kExact = 1e-12;

template <typename T> std::optional<Error> errorOf(const Result<T> &result)
{
    if (result)
        return std::nullopt;
    return result.error();
}

} // namespace

class TestDecisionCurve : public QObject
{
    Q_OBJECT

private slots:
    void netBenefitByHand();
    void agreesWithNumpyOnTheSameResamples_data();
    void agreesWithNumpyOnTheSameResamples();
    void rejectsBadInput_data();
    void rejectsBadInput();
};

void TestDecisionCurve::netBenefitByHand()
{
    // Cases 0.9, 0.7, 0.4, 0.2; controls 0.8, 0.5, 0.3, 0.3, 0.1, 0.05. n = 10, prevalence 0.4.
    const std::vector<double> probabilities { 0.9, 0.8, 0.7, 0.5, 0.4, 0.3, 0.3, 0.2, 0.1, 0.05 };
    const std::vector<int> labels { 1, 0, 1, 0, 1, 0, 0, 1, 0, 0 };
    const std::vector<double> thresholds { 0.25, 0.3, 0.4, 0.5, 0.75, 0.95 };
    const auto curve = decisionCurve(probabilities, labels, thresholds);
    QVERIFY2(curve.has_value(), curve ? "" : curve.error().message().c_str());
    QCOMPARE(curve->size(), thresholds.size());

    struct Expected
    {
        std::size_t tp, fp;
        double model, treatAll;
    };
    const std::vector<Expected> expected {
        // pt 0.25, odds 1/3: TP 3 (0.9, 0.7, 0.4), FP 4 (0.8, 0.5, 0.3, 0.3):
        //   3/10 - 4/10 * 1/3 = 1/6; treat all 0.4 - 0.6 / 3 = 0.2
        { 3, 4, 1.0 / 6.0, 0.2 },
        // pt 0.3, odds 3/7: the two controls at exactly 0.3 are treated (p >= pt):
        //   3/10 - 4/10 * 3/7 = 21/70 - 12/70 = 9/70; treat all 0.4 - 0.6 * 3/7 = 10/70
        { 3, 4, 9.0 / 70.0, 10.0 / 70.0 },
        // pt 0.4 (the prevalence), odds 2/3: TP 3 (0.4 included), FP 2 (0.8, 0.5):
        //   3/10 - 2/10 * 2/3 = 9/30 - 4/30 = 1/6; treat all 0.4 - 0.6 * 2/3 = 0
        { 3, 2, 1.0 / 6.0, 0.0 },
        // pt 0.5, odds 1: TP 2, FP 2 (0.5 included): 0.2 - 0.2 = 0; treat all 0.4 - 0.6 = -0.2
        { 2, 2, 0.0, -0.2 },
        // pt 0.75, odds 3: TP 1, FP 1: 0.1 - 0.3 = -0.2; treat all 0.4 - 1.8 = -1.4
        { 1, 1, -0.2, -1.4 },
        // pt 0.95, odds 19: nobody treated, 0; treat all 0.4 - 0.6 * 19 = -11
        { 0, 0, 0.0, -11.0 },
    };
    for (std::size_t i = 0; i < expected.size(); ++i) {
        const NetBenefitPoint &point = (*curve)[i];
        QCOMPARE(point.threshold, thresholds[i]);
        QCOMPARE(point.truePositives, expected[i].tp);
        QCOMPARE(point.falsePositives, expected[i].fp);
        COMPARE_NEAR(point.model, expected[i].model, kExact);
        COMPARE_NEAR(point.treatAll, expected[i].treatAll, kExact);
        QCOMPARE(point.treatNone, 0.0);
    }
}

void TestDecisionCurve::agreesWithNumpyOnTheSameResamples_data()
{
    QTest::addColumn<bool>("realData");
    QTest::addColumn<int>("resamples");
    QTest::newRow("heart failure, 299 patients, thresholds 0.01 .. 0.99, 500 resamples") << true << 500;
    QTest::newRow("synthetic 300 rows with ties, thresholds 0.01 .. 0.99, 300 resamples") << false << 300;
}

void TestDecisionCurve::agreesWithNumpyOnTheSameResamples()
{
    QFETCH(bool, realData);
    QFETCH(int, resamples);
    const Cohort cohort = realData ? heartFailure() : synthetic(29, 300, 0.2, 1.4);
    QVERIFY(!cohort.labels.empty());
    std::vector<double> thresholds;
    for (int i = 1; i < 100; ++i)
        thresholds.push_back(i / 100.0);
    const BootstrapOptions options { .resamples = static_cast<std::size_t>(resamples), .seed = 77 };
    const auto result = bootstrapDecisionCurve(cohort.probabilities, cohort.labels, thresholds, options);
    QVERIFY2(result.has_value(), result ? "" : result.error().message().c_str());
    const auto indices = stratifiedBootstrapIndices(cohort.labels, options);
    QVERIFY(indices.has_value());

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeLines(dir.filePath("data.csv"), binaryCsv(cohort.probabilities, cohort.labels)));
    QVERIFY(writeLines(dir.filePath("indices.txt"), indicesText(*indices)));
    QStringList grid;
    for (const double t : thresholds)
        grid << QString::number(t, 'g', 17);
    const QJsonObject peer
        = runPeer({ "decision", dir.filePath("data.csv"), dir.filePath("indices.txt"), grid.join(',') });
    QVERIFY(!peer.isEmpty());
    const QJsonArray point = peer.value("point").toArray();
    const QJsonObject bootstrap = peer.value("bootstrap").toObject();
    QCOMPARE(point.size(), static_cast<qsizetype>(thresholds.size()));

    const double n = static_cast<double>(cohort.labels.size());
    const double prevalence = static_cast<double>(std::ranges::count(cohort.labels, 1)) / n;
    for (std::size_t t = 0; t < thresholds.size(); ++t) {
        const auto &nb = result->points[t];
        COMPARE_NEAR(nb.model, point[static_cast<qsizetype>(t)].toDouble(kNotANumber), kExact);
        COMPARE_NEAR(
            nb.treatAll, prevalence - (1 - prevalence) * thresholds[t] / (1 - thresholds[t]), kExact);
        const MetricInterval &interval = result->model[t];
        QCOMPARE(interval.estimate, nb.model);
        const QJsonObject peerT = bootstrap.value(QStringLiteral("t%1").arg(t)).toObject();
        const QJsonArray replicates = peerT.value("replicates").toArray();
        QCOMPARE(static_cast<qsizetype>(interval.replicates.size()), replicates.size());
        for (qsizetype r = 0; r < replicates.size(); ++r)
            COMPARE_NEAR(interval.replicates[static_cast<std::size_t>(r)],
                replicates[r].toDouble(kNotANumber), kExact);
        const QJsonArray ci = peerT.value("ci").toArray();
        COMPARE_NEAR(interval.ci95.lower, ci[0].toDouble(kNotANumber), kExact);
        COMPARE_NEAR(interval.ci95.upper, ci[1].toDouble(kNotANumber), kExact);
    }
}

void TestDecisionCurve::rejectsBadInput_data()
{
    QTest::addColumn<QString>("call");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("messageFragment");
    const auto invalid = static_cast<int>(ErrorCode::InvalidArgument);
    QTest::newRow("no thresholds") << "empty" << invalid << "at least one threshold";
    QTest::newRow("threshold 0") << "zero" << invalid
                                 << "threshold 1 (0.000000) is not strictly between 0 and 1";
    QTest::newRow("threshold 1") << "one" << invalid << "threshold 0 (1.000000) is not strictly between";
    QTest::newRow("threshold NaN") << "nan" << invalid << "is not strictly between 0 and 1";
    QTest::newRow("threshold -0.2") << "negative" << invalid << "is not strictly between 0 and 1";
    QTest::newRow("a grid above the limit")
        << "long" << static_cast<int>(ErrorCode::LimitExceeded) << "10001 thresholds exceed the limit";
    QTest::newRow("more labels than probabilities") << "size" << invalid << "3 probabilities but 4 labels";
    QTest::newRow("label 2") << "label" << invalid << "label 2 at row 0 is neither 0";
    QTest::newRow("probability 1.2") << "above" << invalid << "outside [0, 1]";
    QTest::newRow("a NaN probability") << "pnan" << invalid << "probability at row 1 is not a finite";
    QTest::newRow("bootstrap with no case") << "onlycontrols" << invalid << "needs both classes";
    QTest::newRow("bootstrap with zero resamples") << "zero resamples" << invalid << "it is 0";
}

void TestDecisionCurve::rejectsBadInput()
{
    QFETCH(QString, call);
    QFETCH(int, code);
    QFETCH(QString, messageFragment);

    const double nan = std::numeric_limits<double>::quiet_NaN();
    const std::vector<double> p { 0.2, 0.6, 0.4, 0.9 };
    const std::vector<int> y { 0, 1, 0, 1 };
    const std::vector<double> grid { 0.1, 0.5 };
    std::optional<Error> error;
    if (call == "empty")
        error = errorOf(decisionCurve(p, y, std::vector<double> {}));
    else if (call == "zero")
        error = errorOf(decisionCurve(p, y, std::vector<double> { 0.5, 0.0 }));
    else if (call == "one")
        error = errorOf(decisionCurve(p, y, std::vector<double> { 1.0 }));
    else if (call == "nan")
        error = errorOf(decisionCurve(p, y, std::vector<double> { nan }));
    else if (call == "negative")
        error = errorOf(decisionCurve(p, y, std::vector<double> { -0.2 }));
    else if (call == "long")
        error = errorOf(decisionCurve(p, y, std::vector<double>(kMaxDecisionThresholds + 1, 0.5)));
    else if (call == "size")
        error = errorOf(decisionCurve(std::vector<double> { 0.2, 0.6, 0.4 }, y, grid));
    else if (call == "label")
        error = errorOf(decisionCurve(p, std::vector<int> { 2, 1, 0, 1 }, grid));
    else if (call == "above")
        error = errorOf(decisionCurve(std::vector<double> { 0.2, 1.2, 0.4, 0.9 }, y, grid));
    else if (call == "pnan")
        error = errorOf(decisionCurve(std::vector<double> { 0.2, nan, 0.4, 0.9 }, y, grid));
    else if (call == "onlycontrols")
        error = errorOf(
            bootstrapDecisionCurve(p, std::vector<int>(4, 0), grid, { .resamples = 10, .seed = 1 }));
    else if (call == "zero resamples")
        error = errorOf(bootstrapDecisionCurve(p, y, grid, { .resamples = 0, .seed = 1 }));
    else
        QFAIL("unknown call");

    QVERIFY2(error.has_value(), "the invalid input was accepted");
    QCOMPARE(static_cast<int>(error->code), code);
    const auto message = QString::fromStdString(error->message());
    QVERIFY2(message.contains(messageFragment), qPrintable(message));
}

QTEST_APPLESS_MAIN(TestDecisionCurve)
#include "tst_decision_curve.moc"
