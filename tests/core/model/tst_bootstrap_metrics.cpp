// SPDX-License-Identifier: Apache-2.0
// Expected values come from tests/core/model/bootstrap_peer.py (scikit-learn 1.2 roc_auc_score,
// average_precision_score, brier_score_loss, confusion_matrix, log_loss; numpy.percentile; its own
// Newton-Raphson logistic fits; a pure-Python std::mt19937_64) run on exactly the resamples the C++
// side drew, or are worked out by hand with the arithmetic in the comments.
#include "core/model/bootstrap_metrics.h"

#include <QTest>

#include "tests/core/model/bootstrap_test_support.h"
#include "tests/core/model/compare_near.h"
#include <array>
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace mosaic;
using namespace bootstrap_test;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

constexpr double kExact = 1e-12; // the same arithmetic in another order
constexpr double kFitted = 1e-9; // two Newton-Raphson fits stopping at relative steps of 1e-12 / 1e-14
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Both NaN (undefined on both sides), or within the tolerance.
bool sameValue(double actual, double expected, double tolerance)
{
    if (std::isnan(actual) || std::isnan(expected))
        return std::isnan(actual) && std::isnan(expected);
    return std::abs(actual - expected) <= tolerance;
}

#define COMPARE_VALUE(actual, expected, tolerance)                                                           \
    QVERIFY2(sameValue((actual), (expected), (tolerance)),                                                   \
        qPrintable(QStringLiteral("%1 is %2, expected %3")                                                   \
                       .arg(QString::fromLatin1(#actual))                                                    \
                       .arg(actual, 0, 'g', 17)                                                              \
                       .arg(expected, 0, 'g', 17)))

// Every replicate, the undefined count and the interval of `metric` against the peer's summary.
void compareInterval(const MetricInterval &metric, const QJsonObject &peer, double tolerance)
{
    const QJsonArray replicates = peer.value("replicates").toArray();
    QCOMPARE(static_cast<qsizetype>(metric.replicates.size()), replicates.size());
    for (qsizetype r = 0; r < replicates.size(); ++r)
        COMPARE_VALUE(metric.replicates[static_cast<std::size_t>(r)], valueOrNaN(replicates[r]), tolerance);
    QCOMPARE(static_cast<int>(metric.undefinedResamples), peer.value("undefined").toInt());
    QCOMPARE(metric.definedResamples + metric.undefinedResamples, metric.replicates.size());
    QCOMPARE(metric.undefinedReason.empty(), metric.defined && metric.undefinedResamples == 0);
    const QJsonArray ci = peer.value("ci").toArray();
    COMPARE_VALUE(metric.ci95.lower, valueOrNaN(ci[0]), tolerance);
    COMPARE_VALUE(metric.ci95.upper, valueOrNaN(ci[1]), tolerance);
}

template <typename T> std::optional<Error> errorOf(const Result<T> &result)
{
    if (result)
        return std::nullopt;
    return result.error();
}

// Ten rows built so that some resamples lose what a metric needs (arithmetic of the chances below).
// Controls 0.1, 0.2, 0.3, 0.45, 0.6; cases 0.4, 0.5, 0.65, 0.8, 0.9. At threshold 0.85 only the
// case 0.9 is called positive, so a resample without it (chance (4/5)^5 = 0.33) has PPV 0/0; and a
// resample whose highest control lies below its lowest case separates the classes, leaving the
// calibration slope infinite.
Cohort fragile()
{
    return { { 0.1, 0.4, 0.2, 0.5, 0.3, 0.65, 0.45, 0.8, 0.6, 0.9 }, { 0, 1, 0, 1, 0, 1, 0, 1, 0, 1 }, {},
        {} };
}

bool sameInterval(const MetricInterval &a, const MetricInterval &b)
{
    const auto same = [](double x, double y) { return (std::isnan(x) && std::isnan(y)) || x == y; };
    if (a.defined != b.defined || !same(a.estimate, b.estimate) || !same(a.ci95.lower, b.ci95.lower)
        || !same(a.ci95.upper, b.ci95.upper) || a.definedResamples != b.definedResamples
        || a.undefinedResamples != b.undefinedResamples || a.undefinedReason != b.undefinedReason
        || a.replicates.size() != b.replicates.size())
        return false;
    for (std::size_t r = 0; r < a.replicates.size(); ++r) {
        if (!same(a.replicates[r], b.replicates[r]))
            return false;
    }
    return true;
}

bool sameReport(const BinaryBootstrapReport &a, const BinaryBootstrapReport &b)
{
    return a.cases == b.cases && a.positives == b.positives && a.resamples == b.resamples && a.seed == b.seed
        && a.aurocDeLong.auroc == b.aurocDeLong.auroc
        && a.aurocDeLong.standardError == b.aurocDeLong.standardError
        && a.atThreshold.truePositives == b.atThreshold.truePositives
        && a.atThreshold.falsePositives == b.atThreshold.falsePositives
        && a.atThreshold.trueNegatives == b.atThreshold.trueNegatives
        && a.atThreshold.falseNegatives == b.atThreshold.falseNegatives && sameInterval(a.auroc, b.auroc)
        && sameInterval(a.auprc, b.auprc) && sameInterval(a.brier, b.brier)
        && sameInterval(a.calibrationSlope, b.calibrationSlope)
        && sameInterval(a.calibrationIntercept, b.calibrationIntercept)
        && sameInterval(a.sensitivity, b.sensitivity) && sameInterval(a.specificity, b.specificity)
        && sameInterval(a.positivePredictiveValue, b.positivePredictiveValue)
        && sameInterval(a.negativePredictiveValue, b.negativePredictiveValue);
}

} // namespace

class TestBootstrapMetrics : public QObject
{
    Q_OBJECT

private slots:
    void indicesAreTheDocumentedDraw();
    void agreesWithScikitLearnOnTheSameResamples_data();
    void agreesWithScikitLearnOnTheSameResamples();
    void separatedCohortIsReportedNotRefused();
    void percentilesInterpolateLikeNumpyByHand();
    void seedFixesTheResamples();
    void multiclassAgreesWithScikitLearn_data();
    void multiclassAgreesWithScikitLearn();
    void subgroupsEqualTheWholeCohortFunctionOnTheirRows();
    void ageBandsByHand();
    void rejectsBadInput_data();
    void rejectsBadInput();
};

void TestBootstrapMetrics::indicesAreTheDocumentedDraw()
{
    // The peer redraws the resamples from the seed with its own std::mt19937_64 (checked against
    // the standard's 10000th output) and rejection sampling: equality pins the draw on every platform.
    const Cohort cohort = heartFailure();
    QCOMPARE(cohort.labels.size(), std::size_t { 299 });
    const BootstrapOptions options { .resamples = 25, .seed = 987654321987654321ull };
    const auto resamples = stratifiedBootstrapIndices(cohort.labels, options);
    QVERIFY2(resamples.has_value(), resamples ? "" : resamples.error().message().c_str());

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QByteArray labels;
    for (const int label : cohort.labels)
        labels += QByteArray::number(label) + '\n';
    QVERIFY(writeLines(dir.filePath("labels.txt"), labels));
    const QJsonObject peer = runPeer({ "indices", dir.filePath("labels.txt"), QString::number(options.seed),
        QString::number(options.resamples) });
    const QJsonArray expected = peer.value("indices").toArray();
    QCOMPARE(expected.size(), qsizetype { 25 });
    for (qsizetype r = 0; r < expected.size(); ++r) {
        const auto &rows = (*resamples)[static_cast<std::size_t>(r)];
        const QJsonArray peerRows = expected[r].toArray();
        QCOMPARE(static_cast<qsizetype>(rows.size()), peerRows.size());
        std::size_t cases = 0;
        for (qsizetype i = 0; i < peerRows.size(); ++i) {
            QCOMPARE(static_cast<qint64>(rows[static_cast<std::size_t>(i)]), peerRows[i].toInteger());
            cases += static_cast<std::size_t>(cohort.labels[rows[static_cast<std::size_t>(i)]]);
        }
        QCOMPARE(cases, std::size_t { 96 }); // 96 of the 299 died: stratification keeps them all
    }
}

void TestBootstrapMetrics::agreesWithScikitLearnOnTheSameResamples_data()
{
    QTest::addColumn<int>("cohortKind"); // 0 heart failure, 1 synthetic, 2 fragile
    QTest::addColumn<int>("resamples");
    QTest::addColumn<quint64>("seed");
    QTest::addColumn<double>("threshold");
    QTest::addColumn<bool>("expectUndefined");

    QTest::newRow("heart failure, 299 patients, default 2000 resamples, threshold 0.3")
        << 0 << 2000 << quint64(BootstrapOptions {}.seed) << 0.3 << false;
    QTest::newRow("synthetic 400 rows with ties, 25% events, threshold 0.5")
        << 1 << 500 << quint64(11) << 0.5 << false;
    QTest::newRow("10 overlapping rows: some resamples separate the classes or call no one positive")
        << 2 << 400 << quint64(3) << 0.85 << true;
}

void TestBootstrapMetrics::agreesWithScikitLearnOnTheSameResamples()
{
    QFETCH(int, cohortKind);
    QFETCH(int, resamples);
    QFETCH(quint64, seed);
    QFETCH(double, threshold);
    QFETCH(bool, expectUndefined);

    const Cohort cohort = cohortKind == 0 ? heartFailure()
        : cohortKind == 1                 ? synthetic(5, 400, 0.25, 1.5)
                                          : fragile();
    QVERIFY(!cohort.labels.empty());
    const BootstrapOptions options { .resamples = static_cast<std::size_t>(resamples), .seed = seed };
    const auto indices = stratifiedBootstrapIndices(cohort.labels, options);
    QVERIFY2(indices.has_value(), indices ? "" : indices.error().message().c_str());
    const auto report = bootstrapBinaryMetrics(cohort.probabilities, cohort.labels, threshold, options);
    QVERIFY2(report.has_value(), report ? "" : report.error().message().c_str());

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QVERIFY(writeLines(dir.filePath("data.csv"), binaryCsv(cohort.probabilities, cohort.labels)));
    QVERIFY(writeLines(dir.filePath("indices.txt"), indicesText(*indices)));
    const QJsonObject peer = runPeer({ "binary", dir.filePath("data.csv"), dir.filePath("indices.txt"),
        QString::number(threshold, 'g', 17) });
    QVERIFY(!peer.isEmpty());
    const QJsonObject point = peer.value("point").toObject();
    const QJsonObject bootstrap = peer.value("bootstrap").toObject();

    QCOMPARE(report->cases, cohort.labels.size());
    QCOMPARE(report->resamples, options.resamples);
    COMPARE_VALUE(report->aurocDeLong.auroc, point.value("auroc").toDouble(kNotANumber), kExact);
    COMPARE_VALUE(report->auroc.estimate, point.value("auroc").toDouble(kNotANumber), kExact);
    COMPARE_VALUE(report->auprc.estimate, point.value("auprc").toDouble(kNotANumber), kExact);
    COMPARE_VALUE(report->brier.estimate, point.value("brier").toDouble(kNotANumber), kExact);
    COMPARE_VALUE(report->calibrationSlope.estimate, valueOrNaN(point.value("slope")), kFitted);
    COMPARE_VALUE(report->calibrationIntercept.estimate, valueOrNaN(point.value("intercept")), kFitted);
    COMPARE_VALUE(report->sensitivity.estimate, valueOrNaN(point.value("sensitivity")), kExact);
    COMPARE_VALUE(report->specificity.estimate, valueOrNaN(point.value("specificity")), kExact);
    COMPARE_VALUE(report->positivePredictiveValue.estimate, valueOrNaN(point.value("ppv")), kExact);
    COMPARE_VALUE(report->negativePredictiveValue.estimate, valueOrNaN(point.value("npv")), kExact);
    QCOMPARE(static_cast<int>(report->atThreshold.truePositives), point.value("tp").toInt());
    QCOMPARE(static_cast<int>(report->atThreshold.falsePositives), point.value("fp").toInt());
    QCOMPARE(static_cast<int>(report->atThreshold.trueNegatives), point.value("tn").toInt());
    QCOMPARE(static_cast<int>(report->atThreshold.falseNegatives), point.value("fn").toInt());

    compareInterval(report->auroc, bootstrap.value("auroc").toObject(), kExact);
    compareInterval(report->auprc, bootstrap.value("auprc").toObject(), kExact);
    compareInterval(report->brier, bootstrap.value("brier").toObject(), kExact);
    compareInterval(report->sensitivity, bootstrap.value("sensitivity").toObject(), kExact);
    compareInterval(report->specificity, bootstrap.value("specificity").toObject(), kExact);
    compareInterval(report->positivePredictiveValue, bootstrap.value("ppv").toObject(), kExact);
    compareInterval(report->negativePredictiveValue, bootstrap.value("npv").toObject(), kExact);
    compareInterval(report->calibrationSlope, bootstrap.value("slope").toObject(), kFitted);
    compareInterval(report->calibrationIntercept, bootstrap.value("intercept").toObject(), kFitted);

    // The fragile rows must really exercise the counting of undefined resamples (and the others not).
    QCOMPARE(report->calibrationSlope.undefinedResamples > 0, expectUndefined);
    QCOMPARE(report->positivePredictiveValue.undefinedResamples > 0, expectUndefined);
    if (expectUndefined) {
        QVERIFY(report->calibrationSlope.definedResamples > 0);
        QVERIFY2(report->calibrationSlope.undefinedReason.find("separate the classes") != std::string::npos,
            report->calibrationSlope.undefinedReason.c_str());
        QVERIFY2(report->positivePredictiveValue.undefinedReason.find("PPV is 0/0") != std::string::npos,
            report->positivePredictiveValue.undefinedReason.c_str());
    }
    // Every stratified resample keeps all cases and controls, so these are never undefined.
    QCOMPARE(report->auroc.undefinedResamples, std::size_t { 0 });
    QCOMPARE(report->sensitivity.undefinedResamples, std::size_t { 0 });
}

void TestBootstrapMetrics::separatedCohortIsReportedNotRefused()
{
    // Cases 0.7, 0.8, 0.9 above controls 0.1, 0.2, 0.3: every resample is separated too.
    const std::vector<double> probabilities { 0.1, 0.9, 0.2, 0.8, 0.3, 0.7 };
    const std::vector<int> labels { 0, 1, 0, 1, 0, 1 };
    const auto report = bootstrapBinaryMetrics(probabilities, labels, 0.5, { .resamples = 50, .seed = 1 });
    QVERIFY2(report.has_value(), report ? "" : report.error().message().c_str());
    QVERIFY(!report->calibrationSlope.defined);
    QVERIFY(std::isnan(report->calibrationSlope.estimate));
    QCOMPARE(report->calibrationSlope.definedResamples, std::size_t { 0 });
    QCOMPARE(report->calibrationSlope.undefinedResamples, std::size_t { 50 });
    QVERIFY(
        std::isnan(report->calibrationSlope.ci95.lower) && std::isnan(report->calibrationSlope.ci95.upper));
    QVERIFY2(report->calibrationSlope.undefinedReason.starts_with("undefined on the original rows: "),
        report->calibrationSlope.undefinedReason.c_str());
    QVERIFY(report->calibrationSlope.undefinedReason.find("separate the classes") != std::string::npos);
    QVERIFY(!report->calibrationIntercept.defined);
    // Every case outranks every control in every resample: AUROC 1 with the interval [1, 1];
    // at 0.5, TP 3 FP 0 TN 3 FN 0, so all four ratios are 1.
    QCOMPARE(report->auroc.estimate, 1.0);
    QCOMPARE(report->auroc.ci95.lower, 1.0);
    QCOMPARE(report->auroc.ci95.upper, 1.0);
    QCOMPARE(report->positivePredictiveValue.estimate, 1.0);
    QCOMPARE(report->negativePredictiveValue.ci95.lower, 1.0);
}

void TestBootstrapMetrics::percentilesInterpolateLikeNumpyByHand()
{
    // Two cases, two controls, one resample: the interval of a single defined value is that value.
    // Controls 0.2, 0.4 and cases 0.3, 0.6 at threshold 0.35: case 0.6 and control 0.4 are called.
    const std::vector<double> probabilities { 0.2, 0.3, 0.4, 0.6 };
    const std::vector<int> labels { 0, 1, 0, 1 };
    const BootstrapOptions options { .resamples = 1, .seed = 99 };
    const auto report = bootstrapBinaryMetrics(probabilities, labels, 0.35, options);
    QVERIFY2(report.has_value(), report ? "" : report.error().message().c_str());
    QCOMPARE(report->brier.ci95.lower, report->brier.replicates[0]);
    QCOMPARE(report->brier.ci95.upper, report->brier.replicates[0]);
    // Brier of the original rows: (0.04 + 0.49 + 0.16 + 0.16) / 4 = 0.2125.
    COMPARE_NEAR(report->brier.estimate, 0.2125, kExact);

    // Five resamples: sorted replicates v0..v4; the 2.5th percentile sits at 0.025 * 4 = 0.1,
    // v0 + 0.1 (v1 - v0); the 97.5th at 3.9, v4 - 0.1 (v4 - v3) (numpy interpolates from the upper
    // neighbour when the fraction is at least 1/2).
    const auto five = bootstrapBinaryMetrics(probabilities, labels, 0.35, { .resamples = 5, .seed = 99 });
    QVERIFY(five.has_value());
    std::vector<double> sorted = five->brier.replicates;
    std::ranges::sort(sorted);
    COMPARE_NEAR(five->brier.ci95.lower, sorted[0] + 0.1 * (sorted[1] - sorted[0]), kExact);
    COMPARE_NEAR(five->brier.ci95.upper, sorted[4] - 0.1 * (sorted[4] - sorted[3]), kExact);
}

void TestBootstrapMetrics::seedFixesTheResamples()
{
    const Cohort cohort = synthetic(17, 120, 0.3, 1.0);
    const auto first
        = bootstrapBinaryMetrics(cohort.probabilities, cohort.labels, 0.4, { .resamples = 200, .seed = 5 });
    const auto again
        = bootstrapBinaryMetrics(cohort.probabilities, cohort.labels, 0.4, { .resamples = 200, .seed = 5 });
    const auto other
        = bootstrapBinaryMetrics(cohort.probabilities, cohort.labels, 0.4, { .resamples = 200, .seed = 6 });
    QVERIFY(first && again && other);
    QVERIFY(sameReport(*first, *again));
    QVERIFY(first->auroc.replicates != other->auroc.replicates);
}

void TestBootstrapMetrics::multiclassAgreesWithScikitLearn_data()
{
    QTest::addColumn<int>("classes");
    QTest::addColumn<int>("rows");
    QTest::addColumn<bool>("exactZeros");
    QTest::newRow("3 classes, 240 rows") << 3 << 240 << false;
    QTest::newRow("4 classes, 150 rows, some true-class probabilities exactly 0 (log loss clips)")
        << 4 << 150 << true;
}

void TestBootstrapMetrics::multiclassAgreesWithScikitLearn()
{
    QFETCH(int, classes);
    QFETCH(int, rows);
    QFETCH(bool, exactZeros);
    const auto K = static_cast<std::size_t>(classes);

    // Softmax of class-dependent means: class c raises the score of class c by 1.2.
    Stream stream(static_cast<std::uint64_t>(classes * 1000 + rows));
    std::vector<double> probabilities;
    std::vector<int> labels;
    for (int row = 0; row < rows; ++row) {
        const int label = row % classes; // every class well represented
        std::vector<double> scores(K);
        double total = 0.0;
        for (std::size_t k = 0; k < K; ++k) {
            scores[k] = std::exp(stream.normal() + (static_cast<int>(k) == label ? 1.2 : 0.0));
            total += scores[k];
        }
        if (exactZeros && row % 25 == 3) {
            // The true class gets 0; the others share 1 (in exact halves, thirds... of simple sums).
            total -= scores[static_cast<std::size_t>(label)];
            scores[static_cast<std::size_t>(label)] = 0.0;
        }
        for (std::size_t k = 0; k < K; ++k)
            probabilities.push_back(scores[k] / total);
        labels.push_back(label);
    }
    const BootstrapOptions options { .resamples = 300, .seed = 42 };
    const auto report = bootstrapMulticlassMetrics(probabilities, K, labels, options);
    QVERIFY2(report.has_value(), report ? "" : report.error().message().c_str());
    const auto indices = stratifiedBootstrapIndices(labels, options);
    QVERIFY(indices.has_value());

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QByteArray csv;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        for (std::size_t k = 0; k < K; ++k)
            csv += number(probabilities[row * K + k]) + ',';
        csv += QByteArray::number(labels[row]) + '\n';
    }
    QVERIFY(writeLines(dir.filePath("data.csv"), csv));
    QVERIFY(writeLines(dir.filePath("indices.txt"), indicesText(*indices)));
    const QJsonObject peer = runPeer(
        { "multiclass", dir.filePath("data.csv"), QString::number(classes), dir.filePath("indices.txt") });
    QVERIFY(!peer.isEmpty());
    const QJsonObject point = peer.value("point").toObject();
    const QJsonObject bootstrap = peer.value("bootstrap").toObject();

    const QJsonArray ovr = point.value("ovr").toArray();
    for (std::size_t k = 0; k < K; ++k) {
        COMPARE_VALUE(
            report->point.oneVsRest[k].auroc, ovr[static_cast<qsizetype>(k)].toDouble(kNotANumber), kExact);
        compareInterval(
            report->oneVsRestAuroc[k], bootstrap.value(QStringLiteral("ovr%1").arg(k)).toObject(), kExact);
    }
    COMPARE_VALUE(report->point.macroAuroc, point.value("macro").toDouble(kNotANumber), kExact);
    COMPARE_VALUE(report->point.logLoss, point.value("logloss").toDouble(kNotANumber), kExact);
    COMPARE_VALUE(report->point.brier, point.value("brier").toDouble(kNotANumber), kExact);
    compareInterval(report->macroAuroc, bootstrap.value("macro").toObject(), kExact);
    compareInterval(report->logLoss, bootstrap.value("logloss").toObject(), kExact);
    compareInterval(report->brier, bootstrap.value("brier").toObject(), kExact);
    if (exactZeros) // -ln(2^-52) = 36.04 on the zero rows lifts the log loss well above the others'
        QVERIFY(report->point.logLoss > 1.5);
}

void TestBootstrapMetrics::subgroupsEqualTheWholeCohortFunctionOnTheirRows()
{
    Cohort cohort = heartFailure();
    QCOMPARE(cohort.labels.size(), std::size_t { 299 });
    const auto bands = ageBands(cohort.ages, std::vector<double> { 50, 65, 80 });
    QVERIFY2(bands.has_value(), bands ? "" : bands.error().message().c_str());

    // Two made-up attributes beside sex and age band: the first three rows as a tiny group "tiny", and
    // the first 12 survivors (Event 0) after them as "survivors", a group with one class only.
    std::vector<std::string> mixed = cohort.sex;
    for (std::size_t row = 0; row < 3; ++row)
        mixed[row] = "tiny";
    for (std::size_t row = 3, taken = 0; row < cohort.labels.size() && taken < 12; ++row) {
        if (cohort.labels[row] == 0) {
            mixed[row] = "survivors";
            ++taken;
        }
    }

    const BootstrapOptions options { .resamples = 200, .seed = 2024 };
    const double threshold = 0.35;
    for (const auto *attributes :
        std::array<const std::vector<std::string> *, 3> { &cohort.sex, &*bands, &mixed }) {
        const auto reports = bootstrapBinaryMetricsBySubgroup(
            cohort.probabilities, cohort.labels, *attributes, threshold, options);
        QVERIFY2(reports.has_value(), reports ? "" : reports.error().message().c_str());
        std::size_t total = 0;
        for (std::size_t i = 0; i < reports->size(); ++i) {
            const SubgroupReport &subgroup = (*reports)[i];
            if (i > 0)
                QVERIFY((*reports)[i - 1].name < subgroup.name);
            std::vector<double> probabilities;
            std::vector<int> labels;
            for (std::size_t row = 0; row < cohort.labels.size(); ++row) {
                if ((*attributes)[row] == subgroup.name) {
                    probabilities.push_back(cohort.probabilities[row]);
                    labels.push_back(cohort.labels[row]);
                }
            }
            const auto positives = static_cast<std::size_t>(std::ranges::count(labels, 1));
            QCOMPARE(subgroup.rows, labels.size());
            QCOMPARE(subgroup.positives, positives);
            QCOMPARE(subgroup.negatives, labels.size() - positives);
            total += subgroup.rows;
            if (subgroup.name == "tiny") {
                QCOMPARE(subgroup.status, SubgroupStatus::TooSmall);
                QVERIFY2(subgroup.note.find("3 row(s)") != std::string::npos, subgroup.note.c_str());
                continue;
            }
            if (subgroup.name == "survivors") {
                QCOMPARE(subgroup.status, SubgroupStatus::SingleClass);
                QVERIFY2(
                    subgroup.note.find("12 row(s): 0 case(s)") != std::string::npos, subgroup.note.c_str());
                continue;
            }
            QCOMPARE(subgroup.status, SubgroupStatus::Evaluated);
            QVERIFY(subgroup.note.empty());
            const auto whole = bootstrapBinaryMetrics(probabilities, labels, threshold, options);
            QVERIFY2(whole.has_value(), whole ? "" : whole.error().message().c_str());
            QVERIFY2(sameReport(subgroup.metrics, *whole), subgroup.name.c_str());
        }
        QCOMPARE(total, cohort.labels.size());
    }

    // By hand from the CSV (Gender 1 = male): 105 women and 194 men.
    const auto bySex = bootstrapBinaryMetricsBySubgroup(
        cohort.probabilities, cohort.labels, cohort.sex, threshold, options);
    QVERIFY(bySex.has_value());
    QCOMPARE(bySex->size(), std::size_t { 2 });
    QCOMPARE((*bySex)[0].name, std::string("F"));
    QCOMPARE((*bySex)[0].rows, std::size_t { 105 });
    QCOMPARE((*bySex)[1].rows, std::size_t { 194 });
}

void TestBootstrapMetrics::ageBandsByHand()
{
    const double nan = kNaN;
    const auto bands = ageBands(
        std::vector<double> { 49.9, 50, 64.999, 65, nan, 0, 80.5, 80 }, std::vector<double> { 50, 65, 80 });
    QVERIFY2(bands.has_value(), bands ? "" : bands.error().message().c_str());
    const std::vector<std::string> expected { "<50", "50-<65", "50-<65", "65-<80", "missing", "<50", ">=80",
        ">=80" };
    QCOMPARE(*bands, expected);
    const auto half = ageBands(std::vector<double> { 47.4, 47.5 }, std::vector<double> { 47.5 });
    QVERIFY(half.has_value());
    QCOMPARE(*half, (std::vector<std::string> { "<47.5", ">=47.5" }));
}

void TestBootstrapMetrics::rejectsBadInput_data()
{
    QTest::addColumn<QString>("call");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("messageFragment");

    const auto invalid = static_cast<int>(ErrorCode::InvalidArgument);
    const auto limit = static_cast<int>(ErrorCode::LimitExceeded);
    QTest::newRow("more probabilities than labels") << "size" << invalid << "5 probabilities but 4 labels";
    QTest::newRow("a NaN probability") << "nan" << invalid << "probability at row 2 is not a finite number";
    QTest::newRow("an infinite probability") << "inf" << invalid << "probability at row 1 is not a finite";
    QTest::newRow("label 2 in a binary report") << "label2" << invalid << "label 2 at row 3 is neither 0";
    QTest::newRow("zero resamples") << "zero" << invalid << "between 1 and 100000; it is 0";
    QTest::newRow("more resamples than the limit") << "many" << invalid << "it is 100001";
    QTest::newRow("threshold 0") << "t0" << invalid << "strictly between 0 and 1";
    QTest::newRow("threshold 1") << "t1" << invalid << "strictly between 0 and 1";
    QTest::newRow("threshold NaN") << "tnan" << invalid << "strictly between 0 and 1";
    QTest::newRow("threshold 1.5 in thresholdMetrics") << "t15" << invalid << "strictly between 0 and 1";
    QTest::newRow("a single case") << "onecase" << invalid
                                   << "at least two cases and two controls; there are 1 case";
    QTest::newRow("subgroup attributes shorter than the rows")
        << "attrs" << invalid << "3 subgroup attributes but 4 labels";
    QTest::newRow("subgroups with a minimum of 1 per class")
        << "minimum" << invalid << "minimum per class is 1";
    QTest::newRow("a continuous column as subgroup attribute")
        << "continuous" << limit << "more than 1000 distinct";
    QTest::newRow("resample indices: negative label")
        << "negative" << invalid << "label -1 at row 1 is negative";
    QTest::newRow("resample indices: class 1 empty below class 2")
        << "gap" << invalid << "class 1 has no rows";
    QTest::newRow("resample indices: too many to store")
        << "store" << limit << "exceed the limit of 100000000";
    QTest::newRow("multi-class: one class") << "k1" << invalid << "at least 2 classes";
    QTest::newRow("multi-class: a row not summing to 1") << "rowsum" << invalid << "at row 1 sum to 0.9";
    QTest::newRow("multi-class: label 3 of 3 classes")
        << "klabel" << invalid << "label 3 at row 2 is not a class index 0 .. 2";
    QTest::newRow("multi-class: 7 probabilities for 3 labels of 2 classes")
        << "ksize" << invalid << "7 probabilities but 3 labels";
    QTest::newRow("multi-class: a probability above 1")
        << "kabove" << invalid << "class 0 at row 0 is not a number in [0, 1]";
    QTest::newRow("multi-class: a class with one row") << "ksingle" << invalid << "class 2 has 1 row(s)";
    QTest::newRow("age bands: cut points not increasing") << "cuts" << invalid << "cut point 1 does not";
    QTest::newRow("age bands: no cut points") << "nocuts" << invalid << "there are 0";
    QTest::newRow("age bands: a negative age") << "negage" << invalid << "age at row 1 is negative";
}

void TestBootstrapMetrics::rejectsBadInput()
{
    QFETCH(QString, call);
    QFETCH(int, code);
    QFETCH(QString, messageFragment);

    const std::vector<double> p { 0.1, 0.7, 0.3, 0.8 };
    const std::vector<int> y { 0, 1, 0, 1 };
    const double inf = std::numeric_limits<double>::infinity();
    std::optional<Error> error;
    const BootstrapOptions few { .resamples = 10, .seed = 1 };
    if (call == "size")
        error = errorOf(bootstrapBinaryMetrics(std::vector<double> { 0.1, 0.7, 0.3, 0.8, 0.5 }, y, 0.5, few));
    else if (call == "nan")
        error = errorOf(bootstrapBinaryMetrics(std::vector<double> { 0.1, 0.7, kNaN, 0.8 }, y, 0.5, few));
    else if (call == "inf")
        error = errorOf(bootstrapBinaryMetrics(std::vector<double> { 0.1, inf, 0.3, 0.8 }, y, 0.5, few));
    else if (call == "label2")
        error = errorOf(bootstrapBinaryMetrics(p, std::vector<int> { 0, 1, 0, 2 }, 0.5, few));
    else if (call == "zero")
        error = errorOf(bootstrapBinaryMetrics(p, y, 0.5, { .resamples = 0, .seed = 1 }));
    else if (call == "many")
        error = errorOf(
            bootstrapBinaryMetrics(p, y, 0.5, { .resamples = kMaxBootstrapResamples + 1, .seed = 1 }));
    else if (call == "t0")
        error = errorOf(bootstrapBinaryMetrics(p, y, 0.0, few));
    else if (call == "t1")
        error = errorOf(bootstrapBinaryMetrics(p, y, 1.0, few));
    else if (call == "tnan")
        error = errorOf(bootstrapBinaryMetrics(p, y, kNaN, few));
    else if (call == "t15")
        error = errorOf(thresholdMetrics(p, y, 1.5));
    else if (call == "onecase")
        error = errorOf(bootstrapBinaryMetrics(p, std::vector<int> { 0, 1, 0, 0 }, 0.5, few));
    else if (call == "attrs")
        error = errorOf(
            bootstrapBinaryMetricsBySubgroup(p, y, std::vector<std::string> { "a", "b", "a" }, 0.5, few));
    else if (call == "minimum")
        error = errorOf(bootstrapBinaryMetricsBySubgroup(
            p, y, std::vector<std::string>(4, "a"), 0.5, few, { .minimumRows = 1, .minimumPerClass = 1 }));
    else if (call == "continuous") {
        std::vector<double> probabilities;
        std::vector<int> labels;
        std::vector<std::string> attributes;
        for (int row = 0; row < 1001; ++row) {
            probabilities.push_back(0.5);
            labels.push_back(row % 2);
            attributes.push_back(std::to_string(row));
        }
        error = errorOf(bootstrapBinaryMetricsBySubgroup(probabilities, labels, attributes, 0.5, few));
    } else if (call == "negative")
        error = errorOf(stratifiedBootstrapIndices(std::vector<int> { 0, -1, 1 }, few));
    else if (call == "gap")
        error = errorOf(stratifiedBootstrapIndices(std::vector<int> { 0, 2, 0, 2 }, few));
    else if (call == "store")
        error = errorOf(
            stratifiedBootstrapIndices(std::vector<int>(1001, 0), { .resamples = 100000, .seed = 1 }));
    else if (call == "k1")
        error = errorOf(evaluateMulticlass(std::vector<double> { 1.0, 1.0 }, 1, std::vector<int> { 0, 0 }));
    else if (call == "rowsum")
        error = errorOf(evaluateMulticlass(
            std::vector<double> { 0.5, 0.5, 0.5, 0.4, 0.2, 0.8 }, 2, std::vector<int> { 0, 1, 1 }));
    else if (call == "klabel")
        error
            = errorOf(evaluateMulticlass(std::vector<double> { 0.2, 0.3, 0.5, 0.2, 0.3, 0.5, 0.2, 0.3, 0.5 },
                3, std::vector<int> { 0, 1, 3 }));
    else if (call == "ksize")
        error = errorOf(evaluateMulticlass(std::vector<double>(7, 0.5), 2, std::vector<int> { 0, 1, 1 }));
    else if (call == "kabove")
        error = errorOf(
            evaluateMulticlass(std::vector<double> { -0.5, 1.5, 0.5, 0.5 }, 2, std::vector<int> { 0, 1 }));
    else if (call == "ksingle") {
        std::vector<double> probabilities;
        for (int row = 0; row < 5; ++row)
            probabilities.insert(probabilities.end(), { 0.2, 0.3, 0.5 });
        error
            = errorOf(bootstrapMulticlassMetrics(probabilities, 3, std::vector<int> { 0, 1, 0, 1, 2 }, few));
    } else if (call == "cuts")
        error = errorOf(ageBands(std::vector<double> { 40 }, std::vector<double> { 50, 50 }));
    else if (call == "nocuts")
        error = errorOf(ageBands(std::vector<double> { 40 }, std::vector<double> {}));
    else if (call == "negage")
        error = errorOf(ageBands(std::vector<double> { 40, -1 }, std::vector<double> { 50 }));
    else
        QFAIL("unknown call");

    QVERIFY2(error.has_value(), "the invalid input was accepted");
    QCOMPARE(static_cast<int>(error->code), code);
    const auto message = QString::fromStdString(error->message());
    QVERIFY2(message.contains(messageFragment), qPrintable(message));
}

QTEST_APPLESS_MAIN(TestBootstrapMetrics)
#include "tst_bootstrap_metrics.moc"
