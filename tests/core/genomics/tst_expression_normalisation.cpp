// SPDX-License-Identifier: Apache-2.0
// Each step is checked on a small matrix whose result is computed by hand in the comments (the
// quantile case is the worked example of Bolstad et al. 2003 as the Wikipedia article "Quantile
// normalization" tabulates it). On the real Golub matrix, a second implementation of the whole chain
// (clip, log2 with offset, quantile to a training reference, z-score with training statistics),
// written with Python's standard library only and run by the test through /usr/bin/python3,
// gives the expected values for a few genes in every sample.
#include "core/genomics/expression_normalisation.h"

#include <QProcess>
#include <QTest>

#include <cmath>
#include <limits>
#include <sstream>

using namespace mosaic;

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

ExpressionMatrix matrixOf(
    std::vector<std::string> probes, std::vector<std::string> samples, std::vector<double> values)
{
    auto matrix
        = ExpressionMatrix::fromValues(std::move(probes), std::move(samples), std::move(values), "hand.csv");
    Q_ASSERT(matrix.has_value());
    return *matrix;
}

bool near(double a, double b, double tolerance = 1e-12)
{
    return (std::isnan(a) && std::isnan(b)) || std::abs(a - b) <= tolerance * std::max(1.0, std::abs(b));
}

} // namespace

class TstExpressionNormalisation : public QObject
{
    Q_OBJECT

private slots:
    void golubClipFilterAndLog10();
    void zScoreUsesTrainingStatisticsOnly();
    void quantileNormalisesToTheTrainingReference();
    void missingValuesStayMissing();
    void refusesImpossibleSteps_data();
    void refusesImpossibleSteps();
    void settingsRoundTripThroughJson();
    void refusesBadSettingsJson_data();
    void refusesBadSettingsJson();
    void realGolubAgreesWithPythonChain();
};

void TstExpressionNormalisation::golubClipFilterAndLog10()
{
    // Golub 1999: clip to [100, 16000], keep max/min > 5 and max - min > 500, log10.
    //   p1  50, 1000, 20000 -> 100, 1000, 16000: 160-fold, range 15900: kept -> 2, 3, log10(16000)
    //   p2 200,  400,   900 -> 4.5-fold: dropped
    //   p3 100,  550,   600 -> 6-fold but range exactly 500 (not > 500): dropped
    //   p4  10,   90,   700 -> 100, 100, 700: 7-fold, range 600: kept -> 2, 2, log10(700)
    const ExpressionMatrix raw = matrixOf({ "p1", "p2", "p3", "p4" }, { "a", "b", "c" },
        { 50, 1000, 20000, 200, 400, 900, 100, 550, 600, 10, 90, 700 });
    auto normaliser = ExpressionNormaliser::fit(raw, ExpressionNormalisationSettings::golub1999());
    QVERIFY2(normaliser.has_value(), normaliser ? "" : normaliser.error().message().c_str());
    QCOMPARE(normaliser->fitted().probeIds, (std::vector<std::string> { "p1", "p4" }));
    auto normalised = normaliser->apply(raw);
    QVERIFY(normalised.has_value());
    QCOMPARE(normalised->probeIds(), (std::vector<std::string> { "p1", "p4" }));
    const std::vector<double> expected { 2.0, 3.0, 4.204119982655925, 2.0, 2.0, 2.845098040014257 };
    for (std::size_t i = 0; i < expected.size(); ++i)
        QVERIFY2(near(normalised->values()[i], expected[i]), qPrintable(QString::number(i)));

    // A new sample is clipped and logged with the same rule, and keeps only the training's probes:
    // p4 absent from it is missing, p2 present in it is not kept.
    const ExpressionMatrix newSample = matrixOf({ "p2", "p1" }, { "new" }, { 5000, 31000 });
    auto applied = normaliser->apply(newSample);
    QVERIFY(applied.has_value());
    QCOMPARE(applied->probeCount(), std::size_t { 2 });
    QVERIFY(near(applied->value(0, 0), 4.204119982655925));
    QVERIFY(std::isnan(applied->value(1, 0)));
}

void TstExpressionNormalisation::zScoreUsesTrainingStatisticsOnly()
{
    // Training g: 1, 2, 3, 4 -> mean 2.5, SD sqrt(5/3) = 1.2909944487358056.
    // h is constant in training (SD 0): it separates no one and becomes missing.
    const ExpressionMatrix training
        = matrixOf({ "g", "h" }, { "t1", "t2", "t3", "t4" }, { 1, 2, 3, 4, 7, 7, 7, 7 });
    ExpressionNormalisationSettings settings;
    settings.zScorePerProbe = true;
    auto normaliser = ExpressionNormaliser::fit(training, settings);
    QVERIFY(normaliser.has_value());
    QVERIFY(near(normaliser->fitted().probeMean[0], 2.5));
    QVERIFY(near(normaliser->fitted().probeStandardDeviation[0], 1.2909944487358056));

    // New samples 5 and 1000: (5 - 2.5) / 1.29099 = 1.9364916731037085; the outlier moves nothing else.
    const ExpressionMatrix test = matrixOf({ "g", "h" }, { "n1", "n2" }, { 5, 1000, 7, 8 });
    auto applied = normaliser->apply(test);
    QVERIFY(applied.has_value());
    QVERIFY(near(applied->value(0, 0), 1.9364916731037085));
    QVERIFY(near(applied->value(0, 1), (1000 - 2.5) / 1.2909944487358056));
    QVERIFY(std::isnan(applied->value(1, 0)));
    auto trainingApplied = normaliser->apply(training);
    QVERIFY(trainingApplied.has_value());
    QVERIFY(near(trainingApplied->value(0, 0), -1.161895003862225)); // (1 - 2.5) / 1.29099
}

void TstExpressionNormalisation::quantileNormalisesToTheTrainingReference()
{
    // Arrays I, II, III of genes A-D (Wikipedia "Quantile normalization"):
    //   A 5 4 3   sorted columns: 2 3 4 5 | 1 2 4 4 | 3 4 6 8
    //   B 2 1 4   reference (row means of the sorted columns): 2, 3, 14/3, 17/3
    //   C 3 4 6   array II's two 4s (ranks 3 and 4) share the mean of 14/3 and 17/3 = 31/6
    //   D 4 2 8   expected: A 17/3 31/6 2 | B 2 2 3 | C 3 31/6 14/3 | D 14/3 3 17/3
    const ExpressionMatrix training
        = matrixOf({ "A", "B", "C", "D" }, { "I", "II", "III" }, { 5, 4, 3, 2, 1, 4, 3, 4, 6, 4, 2, 8 });
    ExpressionNormalisationSettings settings;
    settings.quantileNormalise = true;
    auto normaliser = ExpressionNormaliser::fit(training, settings);
    QVERIFY(normaliser.has_value());
    const std::vector<double> reference { 2.0, 3.0, 14.0 / 3.0, 17.0 / 3.0 };
    for (std::size_t k = 0; k < reference.size(); ++k)
        QVERIFY(near(normaliser->fitted().quantileReference[k], reference[k]));
    auto normalised = normaliser->apply(training);
    QVERIFY(normalised.has_value());
    const std::vector<double> expected { 17.0 / 3, 31.0 / 6, 2, 2, 2, 3, 3, 31.0 / 6, 14.0 / 3, 14.0 / 3, 3,
        17.0 / 3 };
    for (std::size_t i = 0; i < expected.size(); ++i)
        QVERIFY2(near(normalised->values()[i], expected[i]), qPrintable(QString::number(i)));

    // A new array is mapped onto the stored reference by rank: 10 -> 17/3, 0 -> 2, 7 -> 14/3, 1 -> 3.
    auto applied = normaliser->apply(matrixOf({ "A", "B", "C", "D" }, { "new" }, { 10, 0, 7, 1 }));
    QVERIFY(applied.has_value());
    const std::vector<double> mapped { 17.0 / 3, 2, 14.0 / 3, 3 };
    for (std::size_t i = 0; i < mapped.size(); ++i)
        QVERIFY(near(applied->values()[i], mapped[i]));
}

void TstExpressionNormalisation::missingValuesStayMissing()
{
    // Quantile with a missing value: a new array with 3 of 4 genes present spreads its ranks over the
    // reference by fraction: ranks 0, 1, 2 of 3 -> positions 0, 1.5, 3 -> 2, (3 + 14/3) / 2, 17/3.
    const ExpressionMatrix training
        = matrixOf({ "A", "B", "C", "D" }, { "I", "II", "III" }, { 5, 4, 3, 2, 1, 4, 3, 4, 6, 4, 2, 8 });
    ExpressionNormalisationSettings settings;
    settings.quantileNormalise = true;
    settings.logBase = ExpressionLogBase::Two;
    settings.logOffset = 1.0;
    auto normaliser = ExpressionNormaliser::fit(training, settings);
    QVERIFY(normaliser.has_value());
    // After log2(x + 1) the reference is the mean of the sorted logged columns.
    const double l = std::log2(2.0), m = std::log2(3.0), n = std::log2(4.0), o = std::log2(5.0),
                 p = std::log2(6.0), q = std::log2(7.0), r = std::log2(9.0);
    // Logged and sorted: I 6,3,4,5 -> m n o p; II 5,2,5,3 -> l m o o; III 4,5,7,9 -> n o q r.
    const std::vector<double> expectedReference { (m + l + n) / 3, (n + m + o) / 3, (o + o + q) / 3,
        (p + o + r) / 3 };
    for (std::size_t k = 0; k < 4; ++k)
        QVERIFY2(near(normaliser->fitted().quantileReference[k], expectedReference[k]),
            qPrintable(QString::number(k)));
    auto applied = normaliser->apply(matrixOf({ "A", "B", "C", "D" }, { "new" }, { 1, kNaN, 3, 0 }));
    QVERIFY(applied.has_value());
    QVERIFY(near(applied->value(3, 0), expectedReference[0]));
    QVERIFY(std::isnan(applied->value(1, 0)));
    QVERIFY(near(applied->value(0, 0), 0.5 * (expectedReference[1] + expectedReference[2])));
    QVERIFY(near(applied->value(2, 0), expectedReference[3]));
    QCOMPARE(applied->missingCount(), std::size_t { 1 });
}

void TstExpressionNormalisation::refusesImpossibleSteps_data()
{
    QTest::addColumn<QString>("settingsJson");
    QTest::addColumn<QString>("message");
    QTest::newRow("log of a negative value names the probe and the sample's column, not its id")
        << "{\"log\": {\"base\": 2}}"
        << "hand.csv, probe 'g2', sample 2: the logarithm needs value + offset > 0, "
           "and here it is -3.000000 (set a floor or a larger offset)";
    QTest::newRow("a fold-change filter on values that are not positive")
        << "{\"variation_filter\": {}}"
        << "hand.csv, probe 'g2', sample 2: the fold-change filter needs positive "
           "values (set a floor above 0)";
    QTest::newRow("a filter that keeps nothing")
        << "{\"floor\": 1, \"variation_filter\": {\"min_fold_change\": 1000}}"
        << "hand.csv: no probe passes the variation filter";
}

void TstExpressionNormalisation::refusesImpossibleSteps()
{
    QFETCH(QString, settingsJson);
    QFETCH(QString, message);
    const ExpressionMatrix training = matrixOf({ "g1", "g2" }, { "PATIENT-1", "PATIENT-2" }, { 1, 2, 4, -3 });
    auto settings = ExpressionNormalisationSettings::fromJson(settingsJson.toStdString(), "spec.json");
    QVERIFY2(settings.has_value(), settings ? "" : settings.error().message().c_str());
    auto normaliser = ExpressionNormaliser::fit(training, *settings);
    QVERIFY(!normaliser.has_value());
    QCOMPARE(normaliser.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(normaliser.error().message(), message.toStdString());
}

void TstExpressionNormalisation::settingsRoundTripThroughJson()
{
    ExpressionNormalisationSettings settings = ExpressionNormalisationSettings::golub1999();
    settings.quantileNormalise = true;
    settings.zScorePerProbe = true;
    settings.logOffset = 0.5;
    auto back = ExpressionNormalisationSettings::fromJson(settings.toJson(), "round trip");
    QVERIFY(back.has_value());
    QVERIFY(*back == settings);
    auto empty = ExpressionNormalisationSettings::fromJson("{}", "empty");
    QVERIFY(empty.has_value());
    QVERIFY(*empty == ExpressionNormalisationSettings {});
    auto golub = ExpressionNormalisationSettings::fromJson(
        R"({"floor": 100, "ceiling": 16000, "variation_filter": {"min_fold_change": 5, "min_range": 500},
            "log": {"base": 10}})",
        "golub");
    QVERIFY(golub.has_value());
    QVERIFY(*golub == ExpressionNormalisationSettings::golub1999());
}

void TstExpressionNormalisation::refusesBadSettingsJson_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("not JSON") << "{floor: 1"
                              << "spec.json: not valid JSON";
    QTest::newRow("a misspelt step is refused, not skipped") << "{\"z_score\": true}"
                                                             << "spec.json: unknown key 'z_score'";
    QTest::newRow("floor above ceiling") << "{\"floor\": 10, \"ceiling\": 1}"
                                         << "spec.json: 'floor' is above 'ceiling'";
    QTest::newRow("a logarithm base other than 2 or 10") << "{\"log\": {\"base\": 3}}"
                                                         << "spec.json, log: 'base' must be 2 or 10";
    QTest::newRow("a text where a number belongs") << "{\"floor\": \"100\"}"
                                                   << "spec.json: 'floor' must be a finite number";
    QTest::newRow("a number where true or false belongs")
        << "{\"quantile_normalise\": 1}"
        << "spec.json: 'quantile_normalise' must be true or false";
}

void TstExpressionNormalisation::refusesBadSettingsJson()
{
    QFETCH(QString, json);
    QFETCH(QString, message);
    auto settings = ExpressionNormalisationSettings::fromJson(json.toStdString(), "spec.json");
    QVERIFY(!settings.has_value());
    QCOMPARE(settings.error().message(), message.toStdString());
}

void TstExpressionNormalisation::realGolubAgreesWithPythonChain()
{
    const auto path = std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "expression/golub_multtest_expr.csv";
    if (!std::filesystem::exists(path) || !std::filesystem::exists("/usr/bin/python3"))
        QSKIP("the shared Golub matrix or /usr/bin/python3 is absent: no independent truth");
    // multtest's values are already log10, filtered and standardised per array (Dudoit 2002), so the
    // chain here is chosen to exercise every step on real numbers: clip to [-1, 2], log2(x + 2),
    // quantile normalisation and z-score fitted on S1..S30, applied to all 38 samples.
    const QString script = QStringLiteral(R"(
import csv, math, statistics, sys
rows = list(csv.reader(open(sys.argv[1], newline='')))[1:]
x = [[min(max(float(v), -1.0), 2.0) for v in r[2:]] for r in rows]
x = [[math.log2(v + 2.0) for v in r] for r in x]
genes, samples, train = len(x), len(x[0]), 30
def interpolate(a, p):
    p = min(max(p, 0.0), len(a) - 1.0)
    lo = int(math.floor(p)); hi = min(lo + 1, len(a) - 1)
    return a[lo] + (p - lo) * (a[hi] - a[lo])
columns = [sorted(x[g][s] for g in range(genes)) for s in range(samples)]
reference = [sum(columns[s][k] for s in range(train)) / train for k in range(genes)]
q = [[0.0] * samples for _ in range(genes)]
for s in range(samples):
    order = sorted(range(genes), key=lambda g: x[g][s])
    i = 0
    while i < genes:
        j = i
        while j < genes and x[order[j]][s] == x[order[i]][s]:
            j += 1
        value = interpolate(reference, (i + j - 1) / 2.0)
        for k in range(i, j):
            q[order[k]][s] = value
        i = j
for g in [0, 7, 829, 1500, 2124, 3050]:
    mean = statistics.fmean(q[g][:train]); sd = statistics.stdev(q[g][:train])
    print(g, *[repr((v - mean) / sd) for v in q[g]])
)");
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"),
        { QStringLiteral("-c"), script, QString::fromStdString(path.string()) });
    QVERIFY(python.waitForFinished(300000));
    QCOMPARE(python.exitCode(), 0);

    auto matrix = readExpressionMatrix(path);
    QVERIFY(matrix.has_value());
    std::vector<std::size_t> trainingSamples(30);
    for (std::size_t s = 0; s < 30; ++s)
        trainingSamples[s] = s;
    const ExpressionMatrix training = matrix->selectSamples(trainingSamples);
    auto settings = ExpressionNormalisationSettings::fromJson(
        R"({"floor": -1, "ceiling": 2, "log": {"base": 2, "offset": 2}, "quantile_normalise": true,
            "z_score_per_probe": true})",
        "chain");
    QVERIFY(settings.has_value());
    auto normaliser = ExpressionNormaliser::fit(training, *settings);
    QVERIFY2(normaliser.has_value(), normaliser ? "" : normaliser.error().message().c_str());
    auto normalised = normaliser->apply(*matrix);
    QVERIFY(normalised.has_value());
    QCOMPARE(normalised->sampleCount(), std::size_t { 38 });

    std::istringstream out(python.readAllStandardOutput().toStdString());
    std::string line;
    int genesChecked = 0;
    while (std::getline(out, line)) {
        std::istringstream fields(line);
        std::size_t gene = 0;
        fields >> gene;
        for (std::size_t s = 0; s < 38; ++s) {
            double expected = 0.0;
            fields >> expected;
            QVERIFY2(near(normalised->value(gene, s), expected, 1e-9),
                qPrintable(QStringLiteral("gene %1 sample %2: %3 vs %4")
                               .arg(gene)
                               .arg(s + 1)
                               .arg(normalised->value(gene, s), 0, 'g', 17)
                               .arg(expected, 0, 'g', 17)));
        }
        ++genesChecked;
    }
    QCOMPARE(genesChecked, 6);
}

QTEST_APPLESS_MAIN(TstExpressionNormalisation)
#include "tst_expression_normalisation.moc"
