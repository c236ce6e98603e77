// SPDX-License-Identifier: Apache-2.0
// Kaplan-Meier, Cox (Breslow) and the log-rank test. Small cases are computed by hand (the arithmetic
// in each comment); larger deterministic cohorts with tied times are checked against statsmodels 0.13
// (SurvfuncRight, PHReg with ties="breslow", survdiff) run through tests/core/records/phenogroup_peer.py.
// Without /usr/bin/python3 and statsmodels those cases are skipped.
#include "core/records/survival.h"

#include <QTest>

#include "tests/core/records/phenogroup_peer.h"
#include <cmath>
#include <random>

using namespace mosaic;
using namespace mosaic::records;
using namespace mosaic::testing;

namespace {

bool near(double actual, double expected, double tolerance)
{
    return std::abs(actual - expected) <= tolerance;
}

// A deterministic cohort: exponential times with hazard rising with x1 and group, rounded to whole
// days so times tie, administrative censoring at 60 and random censoring of about a fifth.
struct Cohort
{
    std::vector<double> times;
    std::vector<int> events;
    std::vector<int> groups; // 0, 1, 2
    Eigen::MatrixXd covariates; // x1 continuous, x2 = group 2 indicator
};

Cohort makeCohort(std::size_t n, std::uint64_t seed)
{
    std::mt19937_64 generator(seed);
    auto uniform = [&] { return (static_cast<double>(generator() >> 11) + 0.5) * 0x1.0p-53; };
    Cohort cohort;
    cohort.covariates.resize(static_cast<Eigen::Index>(n), 2);
    for (std::size_t i = 0; i < n; ++i) {
        const int group = static_cast<int>(i % 3);
        const double x1
            = std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * 3.141592653589793 * uniform());
        const double hazard = 0.03 * std::exp(0.5 * x1 + 0.4 * group);
        double time = std::ceil(-std::log(uniform()) / hazard);
        int event = 1;
        if (time > 60.0) {
            time = 60.0;
            event = 0;
        }
        if (uniform() < 0.2) {
            time = std::ceil(time * uniform());
            event = 0;
        }
        cohort.times.push_back(time);
        cohort.events.push_back(event);
        cohort.groups.push_back(group);
        cohort.covariates(static_cast<Eigen::Index>(i), 0) = x1;
        cohort.covariates(static_cast<Eigen::Index>(i), 1) = group == 2 ? 1.0 : 0.0;
    }
    return cohort;
}

} // namespace

class TestSurvival : public QObject
{
    Q_OBJECT

private slots:
    void kaplanMeierMatchesHandComputation()
    {
        // times 1 2 2+ 3 4+ 5 (+ censored). S: 5/6; x 4/5 = 4/6; x 2/3 = 8/18; x 1 (censored only);
        // x 0/1 = 0. Greenwood sums: 1/(6*5) = 1/30; + 1/(5*4) = 1/12; + 1/(3*2) = 1/4.
        // SE = S sqrt(sum): 0.8333 * 0.18257 = 0.152145; 0.6667 * 0.28868 = 0.192450; 0.4444 * 0.5 = 0.2222.
        // Log-log at t = 1: theta = log(-log 5/6) = -1.70199, spread 1.95996 * 0.18257 / 0.18232 = 1.96267,
        // bounds exp(-exp(theta +/- spread)) = 0.273123 and 0.974712.
        const std::vector<double> times { 5, 2, 1, 3, 2, 4 };
        const std::vector<int> events { 1, 0, 1, 1, 1, 0 };
        auto curve = kaplanMeier(times, events);
        QVERIFY2(curve, curve ? "" : curve.error().message().c_str());
        QCOMPARE(curve->steps.size(), std::size_t { 5 });
        QCOMPARE(curve->subjects, std::size_t { 6 });
        QCOMPARE(curve->events, std::size_t { 4 });
        const double survival[] = { 5.0 / 6.0, 4.0 / 6.0, 8.0 / 18.0, 8.0 / 18.0, 0.0 };
        const double se[]
            = { 0.15214515486254615, 0.19245008972987526, 0.2222222222222222, 0.2222222222222222, 0.0 };
        const std::size_t atRisk[] = { 6, 5, 3, 2, 1 };
        const std::size_t censored[] = { 0, 1, 0, 1, 0 };
        for (std::size_t i = 0; i < 5; ++i) {
            QCOMPARE(curve->steps[i].atRisk, atRisk[i]);
            QCOMPARE(curve->steps[i].censored, censored[i]);
            QVERIFY(near(curve->steps[i].survival, survival[i], 1e-15));
            QVERIFY(near(curve->steps[i].standardError, se[i], 1e-15));
        }
        QVERIFY(near(curve->steps[0].lower, 0.27312284992835584, 1e-12));
        QVERIFY(near(curve->steps[0].upper, 0.9747124266908935, 1e-12));
        QVERIFY(near(curve->steps[2].lower, 0.06618675314641241, 1e-12));
        QVERIFY(near(curve->steps[2].upper, 0.7849083671479585, 1e-12));
        QCOMPARE(curve->medianSurvival().value(), 3.0);
        // Reading the curve: before the first time S = 1; between steps the last one holds; at an
        // event time the drop has happened; past the last time (S = 0 there) it stays 0.
        QCOMPARE(curve->at(0.5)->survival, 1.0);
        QCOMPARE(curve->at(0.5)->atRisk, std::size_t { 6 });
        QVERIFY(near(curve->at(2.5)->survival, 4.0 / 6.0, 1e-15));
        QVERIFY(near(curve->at(3.0)->survival, 8.0 / 18.0, 1e-15));
        QCOMPARE(curve->at(99.0)->survival, 0.0);
    }

    void kaplanMeierPlainInterval()
    {
        // Plain: S +/- 1.95996 SE clipped to [0, 1]. t = 3: 0.4444 -/+ 1.95996 * 0.2222 = 0.008897, 0.879992.
        const std::vector<double> times { 5, 2, 1, 3, 2, 4 };
        const std::vector<int> events { 1, 0, 1, 1, 1, 0 };
        auto curve = kaplanMeier(times, events, SurvivalInterval::Plain);
        QVERIFY(curve);
        QVERIFY(near(curve->steps[2].lower, 0.008896892324432415, 1e-12));
        QVERIFY(near(curve->steps[2].upper, 0.8799919965644565, 1e-12));
        QCOMPARE(curve->steps[0].upper, 1.0);
    }

    void curveBeyondLastCensoringIsNotEstimated()
    {
        const std::vector<double> times { 1, 2, 3 };
        const std::vector<int> events { 1, 0, 0 };
        auto curve = kaplanMeier(times, events);
        QVERIFY(curve);
        QVERIFY(curve->at(3.0).has_value());
        QVERIFY(!curve->at(3.5).has_value());
        QVERIFY(!curve->medianSurvival().has_value());
    }

    void kaplanMeierMatchesStatsmodels()
    {
        const Cohort cohort = makeCohort(400, 7);
        auto curve = kaplanMeier(cohort.times, cohort.events);
        QVERIFY(curve);
        QJsonObject request { { "mode", "km" }, { "time", toJson(std::span<const double>(cohort.times)) },
            { "event", toJson(std::span<const int>(cohort.events)) } };
        QString why;
        const auto peer = runPhenogroupPeer(request, why);
        if (!peer)
            QSKIP(qPrintable(why));
        const auto times = doublesOf(peer->value("times"));
        const auto survival = doublesOf(peer->value("survival"));
        const auto se = doublesOf(peer->value("standard_errors"));
        const auto atRisk = doublesOf(peer->value("at_risk"));
        // statsmodels lists event times only; Mosaic lists censoring-only times too.
        std::vector<KaplanMeierStep> eventSteps;
        for (const auto &step : curve->steps)
            if (step.events > 0)
                eventSteps.push_back(step);
        QCOMPARE(eventSteps.size(), times.size());
        QVERIFY(times.size() > 30); // ties: fewer distinct times than events
        for (std::size_t i = 0; i < times.size(); ++i) {
            QCOMPARE(eventSteps[i].time, times[i]);
            QCOMPARE(static_cast<double>(eventSteps[i].atRisk), atRisk[i]);
            QVERIFY(near(eventSteps[i].survival, survival[i], 1e-12));
            if (std::isfinite(se[i]) && survival[i] > 0.0)
                QVERIFY2(near(eventSteps[i].standardError, se[i], 1e-12), qPrintable(QString::number(i)));
        }
    }

    void coxMatchesClosedForm()
    {
        // times 1..4, all events, x = 1 0 1 0. log PL(b) = 2b - log(2e^b + 2) - log(e^b + 2) - log(e^b + 1);
        // the score 2/(r + 1) - r/(r + 2) with r = e^b vanishes where r^2 - r - 4 = 0: r = (1 + sqrt 17)/2
        // = 2.5615528, b = 0.9406136. Information 2r/(r + 1)^2 + 2r/(r + 2)^2 = 0.650094: SE 1.2402584.
        const std::vector<double> times { 1, 2, 3, 4 };
        const std::vector<int> events { 1, 1, 1, 1 };
        Eigen::MatrixXd x(4, 1);
        x << 1, 0, 1, 0;
        auto model = fitCox(times, events, x, { "x" });
        QVERIFY2(model, model ? "" : model.error().message().c_str());
        const CoxCoefficient &b = model->coefficients.front();
        QVERIFY(near(b.coefficient, 0.9406136421072088, 1e-9));
        QVERIFY(near(b.hazardRatio, 2.5615528128088303, 1e-8));
        QVERIFY(near(b.standardError, 1.2402583526701532, 1e-8));
        QVERIFY(near(model->logPartialLikelihood, -2.869976257303466, 1e-12));
        QVERIFY(near(model->nullLogPartialLikelihood, -3.1780538303479458, 1e-12));
        // Wald: z = 0.94061 / 1.24026 = 0.75840; p = erfc(z / sqrt 2) = 0.44821.
        QVERIFY(near(b.z, 0.9406136421072088 / 1.2402583526701532, 1e-8));
        QVERIFY(near(b.p, std::erfc(b.z / std::sqrt(2.0)), 1e-15));
        QVERIFY(near(b.lower, std::exp(b.coefficient - 1.959963984540054 * b.standardError), 1e-12));
    }

    void coxMatchesStatsmodelsWithTies()
    {
        const Cohort cohort = makeCohort(400, 11);
        auto model = fitCox(cohort.times, cohort.events, cohort.covariates, { "x1", "group 2" });
        QVERIFY2(model, model ? "" : model.error().message().c_str());
        QJsonObject request { { "mode", "cox" }, { "time", toJson(std::span<const double>(cohort.times)) },
            { "event", toJson(std::span<const int>(cohort.events)) },
            { "covariates", toJson(cohort.covariates) } };
        QString why;
        const auto peer = runPhenogroupPeer(request, why);
        if (!peer)
            QSKIP(qPrintable(why));
        const auto coefficients = doublesOf(peer->value("coefficients"));
        const auto se = doublesOf(peer->value("standard_errors"));
        const auto p = doublesOf(peer->value("p"));
        QCOMPARE(coefficients.size(), std::size_t { 2 });
        for (std::size_t j = 0; j < 2; ++j) {
            QVERIFY2(near(model->coefficients[j].coefficient, coefficients[j], 1e-6),
                qPrintable(QString("%1 vs %2").arg(model->coefficients[j].coefficient).arg(coefficients[j])));
            QVERIFY(near(model->coefficients[j].standardError, se[j], 1e-6));
            QVERIFY(std::abs(model->coefficients[j].p - p[j]) <= 1e-6 * std::max(1.0, p[j]) + 1e-12);
        }
        QVERIFY(near(model->logPartialLikelihood, peer->value("log_likelihood").toDouble(), 1e-6));
        // The simulated effects (0.5 and 0.4 log hazard) are recovered roughly.
        QVERIFY(near(model->coefficients[0].coefficient, 0.5, 0.25));
    }

    void logRankMatchesHandComputation()
    {
        // A: times 1, 2 (events); B: times 3, 4 (events). At t = 1: n = 4, E_A = 1/2, V = 1 * 3/3 * 1/2 * 1/2
        // = 1/4. t = 2: n = 3, E_A = 1/3, V = 1 * 2/2 * 1/3 * 2/3 = 2/9. Later times: A has left. O_A - E_A =
        // 2 - 5/6 = 7/6; V = 17/36; chi-square = (49/36) / (17/36) = 49/17 = 2.882353, p = 0.089555.
        const std::vector<double> times { 1, 2, 3, 4 };
        const std::vector<int> events { 1, 1, 1, 1 };
        const std::vector<int> groups { 0, 0, 1, 1 };
        auto test = logRankTest(times, events, groups);
        QVERIFY2(test, test ? "" : test.error().message().c_str());
        QVERIFY(near(test->chiSquare, 49.0 / 17.0, 1e-12));
        QCOMPARE(test->degreesOfFreedom, 1);
        QVERIFY(near(test->p, 0.08955507441364248, 1e-12));
        QVERIFY(near(test->expected[0], 5.0 / 6.0, 1e-15));
    }

    void logRankMatchesStatsmodels()
    {
        const Cohort cohort = makeCohort(450, 13);
        auto test = logRankTest(cohort.times, cohort.events, cohort.groups);
        QVERIFY(test);
        QCOMPARE(test->degreesOfFreedom, 2);
        QJsonObject request { { "mode", "logrank" },
            { "time", toJson(std::span<const double>(cohort.times)) },
            { "event", toJson(std::span<const int>(cohort.events)) },
            { "groups", toJson(std::span<const int>(cohort.groups)) } };
        QString why;
        const auto peer = runPhenogroupPeer(request, why);
        if (!peer)
            QSKIP(qPrintable(why));
        QVERIFY2(near(test->chiSquare, peer->value("chi_square").toDouble(), 1e-9),
            qPrintable(QString("%1 vs %2").arg(test->chiSquare).arg(peer->value("chi_square").toDouble())));
        const double p = peer->value("p").toDouble();
        QVERIFY(std::abs(test->p - p) <= 1e-9 * std::max(p, 1e-300) + 1e-15);
    }

    void chiSquareTail_data()
    {
        QTest::addColumn<double>("x");
        QTest::addColumn<double>("degreesOfFreedom");
        QTest::addColumn<double>("expected");
        // Textbook 5 % critical values, and scipy.stats.chi2.sf for the last two.
        QTest::newRow("3.8415 on 1 df is the 5 % point") << 3.841458820694124 << 1.0 << 0.05;
        QTest::newRow("5.9915 on 2 df is the 5 % point") << 5.991464547107979 << 2.0 << 0.05;
        QTest::newRow("11.0705 on 5 df is the 5 % point") << 11.070497693516351 << 5.0 << 0.05;
        QTest::newRow("a large statistic on 4 df") << 30.0 << 4.0 << 4.894437128029217e-06;
        QTest::newRow("a small statistic on 3 df (series branch)") << 0.5 << 3.0 << 0.9188914116546758;
    }

    void chiSquareTail()
    {
        QFETCH(double, x);
        QFETCH(double, degreesOfFreedom);
        QFETCH(double, expected);
        QVERIFY(std::abs(chiSquareUpperTail(x, degreesOfFreedom) - expected)
            <= 1e-12 * std::max(1.0, expected / 1e-6));
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<std::vector<double>>("times");
        QTest::addColumn<std::vector<int>>("events");
        QTest::addColumn<QString>("message");
        QTest::newRow("no subjects") << std::vector<double> {} << std::vector<int> {}
                                     << "at least one subject";
        QTest::newRow("lengths differ")
            << std::vector<double> { 1, 2 } << std::vector<int> { 1 } << "2 times but 1";
        QTest::newRow("a negative time")
            << std::vector<double> { 1, -2 } << std::vector<int> { 1, 0 } << "row 1";
        QTest::newRow("a NaN time") << std::vector<double> { std::nan(""), 2 } << std::vector<int> { 1, 0 }
                                    << "finite number";
        QTest::newRow("an event flag of 2")
            << std::vector<double> { 1, 2 } << std::vector<int> { 2, 0 } << "0 (censored) or 1";
    }

    void refusesBadInput()
    {
        QFETCH(std::vector<double>, times);
        QFETCH(std::vector<int>, events);
        QFETCH(QString, message);
        auto curve = kaplanMeier(times, events);
        QVERIFY(!curve);
        QCOMPARE(curve.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(QString::fromStdString(curve.error().message()).contains(message),
            curve.error().message().c_str());
        Eigen::MatrixXd x = Eigen::MatrixXd::Ones(static_cast<Eigen::Index>(times.size()), 1);
        QVERIFY(!fitCox(times, events, x, { "x" }));
    }

    void coxRefusesWhatItCannotEstimate()
    {
        const std::vector<double> times { 1, 2, 3, 4, 5, 6 };
        Eigen::MatrixXd group(6, 1);
        group << 0, 0, 0, 1, 1, 1;
        // No events at all.
        auto none = fitCox(times, std::vector<int> { 0, 0, 0, 0, 0, 0 }, group, { "g" });
        QVERIFY(!none);
        QVERIFY(QString::fromStdString(none.error().detail).contains("at least one event"));
        // A constant covariate: the information is zero.
        auto constant
            = fitCox(times, std::vector<int> { 1, 1, 0, 1, 0, 1 }, Eigen::MatrixXd::Ones(6, 1), { "c" });
        QVERIFY(!constant);
        QCOMPARE(constant.error().code, ErrorCode::ModelFailure);
        QVERIFY(QString::fromStdString(constant.error().detail).contains("singular"));
        // Group 1 has no events: its log hazard ratio runs off to minus infinity.
        auto monotone = fitCox(times, std::vector<int> { 1, 1, 1, 0, 0, 0 }, group, { "group 2" });
        QVERIFY(!monotone);
        QCOMPARE(monotone.error().code, ErrorCode::ModelFailure);
        QVERIFY2(QString::fromStdString(monotone.error().detail).contains("'group 2' has no finite estimate"),
            monotone.error().detail.c_str());
        // The same with a loose coefficient limit: the likelihood flattens before the coefficient
        // reaches it, and the unbounded standard error refuses it instead.
        CoxSettings loose;
        loose.maxAbsCoefficient = 1000.0;
        auto flat = fitCox(times, std::vector<int> { 1, 1, 1, 0, 0, 0 }, group, { "group 2" }, loose);
        QVERIFY(!flat);
        QVERIFY2(QString::fromStdString(flat.error().detail).contains("no finite estimate"),
            flat.error().detail.c_str());
        // Names must match the covariates.
        QVERIFY(!fitCox(times, std::vector<int> { 1, 1, 0, 1, 0, 1 }, group, {}));
    }

    void logRankRefusesOneGroup()
    {
        const std::vector<double> times { 1, 2, 3 };
        const std::vector<int> events { 1, 0, 1 };
        auto test = logRankTest(times, events, std::vector<int> { 4, 4, 4 });
        QVERIFY(!test);
        QVERIFY(QString::fromStdString(test.error().detail).contains("at least two groups"));
    }
};

QTEST_APPLESS_MAIN(TestSurvival)
#include "tst_survival.moc"
