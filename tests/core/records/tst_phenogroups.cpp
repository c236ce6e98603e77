// SPDX-License-Identifier: Apache-2.0
// The phenogroup analysis. A small built cohort with two obvious groups checks numbering, profiles,
// Kaplan-Meier reading, the new-patient assignment and standardisation by hand (arithmetic in the
// comments). The real heart-failure cohort (Ahmad 2017, 299 patients; docs/validation.md, "Heart
// failure: phenogroups") is run with the protocol of the report and checked against
// tests/core/records/phenogroup_peer.py: scikit-learn's GaussianMixture on the same standardised data
// (its own fits for every k, and Mosaic's fitted parameters evaluated by sklearn), statsmodels
// SurvfuncRight, PHReg (Breslow) and survdiff on Mosaic's groups. Without the shared data or
// /usr/bin/python3 with its libraries those cases skip. Refusals are built in the test.
#include "core/records/phenogroups.h"

#include <QTest>

#include "tests/core/records/phenogroup_peer.h"
#include <cmath>
#include <filesystem>
#include <map>
#include <sstream>

using namespace mosaic;
using namespace mosaic::records;
using namespace mosaic::testing;

Q_DECLARE_METATYPE(CovarianceType)

namespace {

bool near(double actual, double expected, double tolerance)
{
    return std::abs(actual - expected) <= tolerance;
}

Result<CohortTable> tableFrom(const std::string &text)
{
    CohortTableOptions options;
    options.labelRequired = false;
    return parseCohortTable(text, "cohort.csv", options);
}

// 40 patients: 20 around (0, 0), 20 around (10, 10); within each, x = (i - 9.5) / 5 and
// y = ((7 i mod 20) - 9.5) / 5 for i = 0..19, so no two points tie. Group A: an event at day 12 + i for
// every fourth patient, the rest censored at 200. Group B: everyone dies, at day 10 + i. Flag: 1 for
// odd i in B, 0 otherwise.
std::string twoClusterCsv()
{
    std::ostringstream csv;
    csv << "x,y,flag,days,died\n";
    for (int cluster = 0; cluster < 2; ++cluster)
        for (int i = 0; i < 20; ++i) {
            const double offset = cluster * 10.0;
            const double x = offset + (i - 9.5) / 5.0;
            const double y = offset + ((7 * i) % 20 - 9.5) / 5.0;
            const int flag = cluster == 1 && i % 2 == 1 ? 1 : 0;
            const bool died = cluster == 1 || i % 4 == 0;
            const int days = cluster == 1 ? 10 + i : (died ? 12 + i : 200);
            csv << x << ',' << y << ',' << flag << ',' << days << ',' << (died ? 1 : 0) << '\n';
        }
    return csv.str();
}

PhenogroupSettings twoClusterSettings()
{
    PhenogroupSettings settings;
    settings.continuousColumns = { "x", "y" };
    settings.binaryColumns = { "flag" };
    settings.timeColumn = "days";
    settings.eventColumn = "died";
    settings.maxGroups = 3;
    settings.survivalTimes = { 15.0, 150.0 };
    // Diagonal: within each cluster y is a fixed permutation of x's values, points on a few lines
    // that full covariances can follow (sklearn's BIC also picks 3 full components here, 2 diagonal).
    settings.mixture.covariance = CovarianceType::Diagonal;
    return settings;
}

std::filesystem::path heartFailureCsv()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "clinical" / "heart_failure_S1Data.csv";
}

// The protocol of docs/validation.md, "Heart failure: phenogroups".
PhenogroupSettings heartFailureSettings(CovarianceType covariance)
{
    PhenogroupSettings settings;
    settings.continuousColumns = { "Age", "Ejection.Fraction", "Sodium", "Creatinine", "Pletelets", "CPK" };
    settings.logColumns = { "Creatinine", "Pletelets", "CPK" };
    settings.binaryColumns = { "Gender", "Smoking", "Diabetes", "BP", "Anaemia" };
    settings.timeColumn = "TIME";
    settings.eventColumn = "Event";
    settings.minGroups = 1;
    settings.maxGroups = 6;
    settings.mixture.covariance = covariance;
    settings.mixture.regularisation = 0.05;
    settings.mixture.restarts = 20;
    settings.survivalTimes = { 90.0, 180.0 };
    return settings;
}

} // namespace

class TestPhenogroups : public QObject
{
    Q_OBJECT

private slots:
    void findsTwoObviousGroups()
    {
        auto table = tableFrom(twoClusterCsv());
        QVERIFY2(table, table ? "" : table.error().message().c_str());
        auto analysis = analysePhenogroups(*table, twoClusterSettings());
        QVERIFY2(analysis, analysis ? "" : analysis.error().message().c_str());
        QCOMPARE(analysis->chosenGroups, 2);
        QCOMPARE(analysis->candidates.size(), std::size_t { 3 });
        QCOMPARE(analysis->patients, std::size_t { 40 });
        QCOMPARE(analysis->events, std::size_t { 25 });
        QCOMPARE(analysis->groups.size(), std::size_t { 2 });
        // Group 1 is the lower event rate: A, 5 events over 3100 days; B 20 over 390.
        const Phenogroup &a = analysis->groups[0];
        const Phenogroup &b = analysis->groups[1];
        QCOMPARE(a.number, 1);
        QCOMPARE(a.patients, std::size_t { 20 });
        QCOMPARE(a.events, std::size_t { 5 });
        QCOMPARE(b.events, std::size_t { 20 });
        // Follow-up: A 12 + 16 + 20 + 24 + 28 + 15 * 200 = 3100; B 10 + ... + 29 = 390.
        QCOMPARE(a.followUpTime, 3100.0);
        QCOMPARE(b.followUpTime, 390.0);
        QVERIFY(near(b.eventRate, 20.0 / 390.0, 1e-15));
        for (std::size_t row = 0; row < 40; ++row)
            QCOMPARE(analysis->assignments[row], row < 20 ? 1 : 2);
        // Profile of B: x mean 10 + 0 = 10; sample SD sqrt(sum (i - 9.5)^2 / 19) / 5 = sqrt(665 / 19) / 5
        // = 1.183216; median 10. Flag: the 10 odd i of 20.
        const VariableProfile &x = b.profile[0];
        QCOMPARE(x.name, std::string("x"));
        QVERIFY(near(x.mean, 10.0, 1e-6));
        QVERIFY(near(x.standardDeviation, std::sqrt(665.0 / 19.0) / 5.0, 1e-6)); // cells are stored as float
        QVERIFY(near(x.median, 10.0, 1e-6));
        const VariableProfile &flag = b.profile[2];
        QVERIFY(flag.binary);
        QCOMPARE(flag.positives, std::size_t { 10 });
        QCOMPARE(flag.proportion, 0.5);
        QCOMPARE(a.profile[2].positives, std::size_t { 0 });
        // B's curve at day 15: six deaths (days 10..15) of 20, S = 14/20. A at day 150: deaths at
        // 12, 16, 20, 24, 28 with nobody censored before, S = 15/20.
        QVERIFY(near(b.survivalAt[0]->survival, 0.7, 1e-15));
        QVERIFY(near(a.survivalAt[1]->survival, 0.75, 1e-15));
        QCOMPARE(b.survivalAt[1]->survival, 0.0); // B's curve reached 0 at day 29 and stays there
        // Hazard ratio of B against A, from the one-indicator Cox model, far above 1 (A's deaths fall
        // among B's, so the model has a finite estimate).
        QVERIFY(!a.hazardRatio.has_value());
        QVERIFY(b.hazardRatio.has_value());
        QVERIFY(b.hazardRatio->hazardRatio > 3.0);
        QVERIFY(analysis->logRank.has_value());
        QVERIFY(analysis->logRank->p < 1e-6);
    }

    void placesANewPatient()
    {
        auto table = tableFrom(twoClusterCsv());
        QVERIFY(table);
        auto analysis = analysePhenogroups(*table, twoClusterSettings());
        QVERIFY(analysis);
        const PhenogroupModel &model = analysis->model;
        // Standardised with the cohort's figures: x has mean 5 and population variance
        // 665 / 20 / 25 + 25 = 26.33 (within plus between), so 10 becomes 5 / 5.131277 = 0.974416.
        const std::vector<double> nearB { 10.0, 10.0 };
        auto transformed = model.transform(nearB);
        QVERIFY(transformed);
        // (1e-6: the table stores cells as float, so 8.1 is 8.1000004.)
        QVERIFY(near((*transformed)(0), 5.0 / std::sqrt(665.0 / 500.0 + 25.0), 1e-6));
        auto placed = model.assign(nearB);
        QVERIFY2(placed, placed ? "" : placed.error().message().c_str());
        QCOMPARE(placed->group, 2);
        QCOMPARE(placed->posteriors.size(), std::size_t { 2 });
        QVERIFY(placed->posteriors[1] > 0.999);
        QVERIFY(near(placed->posteriors[0] + placed->posteriors[1], 1.0, 1e-12));
        const std::vector<double> nearA { 0.2, -0.3 };
        QCOMPARE(model.assign(nearA)->group, 1);
        // The posteriors are the mixture's, reordered by group number.
        const Eigen::MatrixXd raw = *model.mixture().posteriors(Eigen::MatrixXd(*model.transform(nearA)));
        for (int component = 0; component < 2; ++component)
            QCOMPARE(model.assign(nearA)
                         ->posteriors[static_cast<std::size_t>(model.groupOfComponent(component) - 1)],
                raw(0, component));
        // Refusals: a wrong count and a missing value.
        const std::vector<double> tooFew { 1.0 };
        QVERIFY(!model.assign(tooFew));
        const std::vector<double> missing { 1.0, std::nan("") };
        auto refused = model.assign(missing);
        QVERIFY(!refused);
        QVERIFY(QString::fromStdString(refused.error().message()).contains("column 'y'"));
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<QString>("csv");
        QTest::addColumn<QString>("change"); // which setting to spoil, if any
        QTest::addColumn<QString>("message");
        const QString good = QString::fromStdString(twoClusterCsv());
        QTest::newRow("a column the table lacks") << good << "unknown column"
                                                  << "no column 'creatinine'";
        QTest::newRow("the outcome among the grouping variables") << good << "outcome as variable"
                                                                  << "blind to outcome";
        QTest::newRow("a column named twice") << good << "twice"
                                              << "column 'x' is named twice";
        QTest::newRow("a log column that is not continuous") << good << "log not continuous"
                                                             << "not one of the continuous";
        QTest::newRow("more groups than patients") << good << "too many groups"
                                                   << "too few for up to 50 groups";
        QString zero = good;
        zero.replace(QStringLiteral("\n-1.9,"), QStringLiteral("\n0,"));
        QTest::newRow("a log column at or below zero")
            << zero << "log x"
            << "cohort.csv, line 2, column 'x': a log-transformed variable must be positive";
        QString missing = good;
        missing.replace(QStringLiteral("\n-1.9,"), QStringLiteral("\nNA,"));
        QTest::newRow("a missing cell") << missing << ""
                                        << "cohort.csv, line 2, column 'x'";
        QString flag = good;
        flag.replace(QStringLiteral(",0,200,0\n"), QStringLiteral(",2,200,0\n"));
        QTest::newRow("a binary cell of 2") << flag << ""
                                            << "column 'flag': a binary variable must be 0 or 1";
        QString event = good;
        event.replace(QStringLiteral(",200,0\n"), QStringLiteral(",200,3\n"));
        QTest::newRow("an event cell of 3") << event << ""
                                            << "column 'died': a binary variable must be 0 or 1";
        QString time = good;
        time.replace(QStringLiteral(",200,0\n"), QStringLiteral(",-5,0\n"));
        QTest::newRow("a negative follow-up time") << time << ""
                                                   << "column 'days': follow-up time must be at least 0";
        QTest::newRow("a constant variable")
            << QString("x,c,days,died\n1,4,5,1\n2,4,6,0\n3,4,7,1\n4,4,8,0\n") << "constant"
            << "column 'c' has the same value in every row";
    }

    void refusesBadInput()
    {
        QFETCH(QString, csv);
        QFETCH(QString, change);
        QFETCH(QString, message);
        auto table = tableFrom(csv.toStdString());
        QVERIFY2(table, table ? "" : table.error().message().c_str());
        PhenogroupSettings settings = twoClusterSettings();
        if (change == "unknown column")
            settings.continuousColumns.push_back("creatinine");
        else if (change == "outcome as variable")
            settings.continuousColumns.push_back("days");
        else if (change == "twice")
            settings.binaryColumns.push_back("x");
        else if (change == "log not continuous")
            settings.logColumns = { "flag" };
        else if (change == "too many groups")
            settings.maxGroups = 50;
        else if (change == "log x")
            settings.logColumns = { "x" };
        else if (change == "constant") {
            settings.continuousColumns = { "x", "c" };
            settings.binaryColumns.clear();
            settings.maxGroups = 2;
        }
        auto analysis = analysePhenogroups(*table, settings);
        QVERIFY(!analysis);
        QVERIFY2(QString::fromStdString(analysis.error().message()).contains(message),
            analysis.error().message().c_str());
    }

    void heartFailureCohortMatchesPeers_data()
    {
        // The report's figures for each covariance type: group 2's size and deaths, and its hazard
        // ratio against group 1 (group 1 holds the rest of the 299 patients and 96 deaths).
        QTest::addColumn<CovarianceType>("covariance");
        QTest::addColumn<int>("highRiskPatients");
        QTest::addColumn<int>("highRiskDeaths");
        QTest::addColumn<double>("hazardRatio");
        QTest::newRow("full covariance") << CovarianceType::Full << 29 << 20 << 3.02;
        QTest::newRow("diagonal covariance (the reported protocol)")
            << CovarianceType::Diagonal << 51 << 32 << 3.20;
    }

    void heartFailureCohortMatchesPeers()
    {
        QFETCH(CovarianceType, covariance);
        QFETCH(int, highRiskPatients);
        QFETCH(int, highRiskDeaths);
        QFETCH(double, hazardRatio);
        if (!std::filesystem::exists(heartFailureCsv()))
            QSKIP("the shared heart-failure cohort is not present");
        CohortTableOptions options;
        options.labelRequired = false;
        auto table = readCohortTable(heartFailureCsv(), options);
        QVERIFY2(table, table ? "" : table.error().message().c_str());
        QCOMPARE(table->rows(), std::size_t { 299 });
        // docs/validation.md says 60 patients have an ejection fraction of 50 % or more, and 96 died.
        const auto ef
            = std::find(table->featureColumns.begin(), table->featureColumns.end(), "Ejection.Fraction")
            - table->featureColumns.begin();
        QCOMPARE((table->features.col(ef).array() >= 50.0f).count(), Eigen::Index { 60 });

        const PhenogroupSettings settings = heartFailureSettings(covariance);
        auto analysis = analysePhenogroups(*table, settings);
        QVERIFY2(analysis, analysis ? "" : analysis.error().message().c_str());
        QCOMPARE(analysis->events, std::size_t { 96 });
        // The figures of the report (docs/validation.md): BIC chooses two groups with either covariance.
        QCOMPARE(analysis->chosenGroups, 2);
        QCOMPARE(analysis->groups[1].patients, static_cast<std::size_t>(highRiskPatients));
        QCOMPARE(analysis->groups[1].events, static_cast<std::size_t>(highRiskDeaths));
        QCOMPARE(analysis->groups[0].patients + analysis->groups[1].patients, std::size_t { 299 });
        QVERIFY(analysis->groups[1].hazardRatio.has_value());
        QVERIFY(near(analysis->groups[1].hazardRatio->hazardRatio, hazardRatio, 0.005));

        QJsonArray given;
        QJsonArray logs;
        for (const auto &name : settings.logColumns)
            logs.append(QString::fromStdString(name));
        QJsonArray columns;
        for (const auto &name : settings.continuousColumns)
            columns.append(QString::fromStdString(name));
        // Mosaic's chosen mixture, for sklearn to evaluate on its own standardised data.
        {
            const GaussianMixture &mixture = analysis->model.mixture();
            QJsonArray covariances;
            for (const auto &c : mixture.covariances())
                covariances.append(toJson(c));
            given.append(QJsonObject {
                { "weights",
                    toJson(std::span<const double>(mixture.weights().data(), mixture.weights().size())) },
                { "means", toJson(mixture.means()) }, { "covariances", covariances } });
        }
        QJsonObject request { { "mode", "cohort" },
            { "csv", QString::fromStdString(heartFailureCsv().string()) }, { "columns", columns },
            { "logs", logs }, { "time", "TIME" }, { "event", "Event" },
            { "covariance", QString::fromStdString(covarianceTypeName(covariance)) },
            { "reg_covar", settings.mixture.regularisation }, { "tol", settings.mixture.tolerance },
            { "max_iter", settings.mixture.maxIterations }, { "n_init", 10 }, { "seed", 0 },
            { "k_range", QJsonArray { 1, 2, 3, 4, 5, 6 } }, { "given", given },
            { "groups", toJson(std::span<const int>(analysis->assignments)) } };
        QString why;
        const auto peer = runPhenogroupPeer(request, why);
        if (!peer)
            QSKIP(qPrintable(why));

        // Standardisation: numpy on the same float32 cells.
        const Eigen::MatrixXd standardised = matrixOf(peer->value("standardised"));
        QCOMPARE(standardised.rows(), Eigen::Index { 299 });
        QVERIFY((standardised - analysis->standardised).cwiseAbs().maxCoeff() < 1e-10);

        // The same choice of k. At the chosen k Mosaic's optimum is no worse than sklearn's 10
        // restarts; at the others EM's local optima may differ a little either way (within 2).
        const QJsonArray fits = peer->value("fits").toArray();
        QCOMPARE(peer->value("chosen_k").toInt(), analysis->chosenGroups);
        const double chosenSklearnBic = fits[analysis->chosenGroups - 1].toObject().value("bic").toDouble();
        for (std::size_t index = 0; index < analysis->candidates.size(); ++index) {
            const double sklearnBic = fits[static_cast<qsizetype>(index)].toObject().value("bic").toDouble();
            const MixtureCandidate &mine = analysis->candidates[index];
            const double slack = mine.groups == analysis->chosenGroups ? 0.01 : 2.0;
            QVERIFY2(mine.bic <= sklearnBic + slack,
                qPrintable(
                    QString("k=%1: Mosaic %2, sklearn %3").arg(mine.groups).arg(mine.bic).arg(sklearnBic)));
            QVERIFY(mine.converged);
            if (mine.groups != analysis->chosenGroups)
                QVERIFY(std::min(mine.bic, sklearnBic) > chosenSklearnBic + 5.0);
            qInfo("k=%d BIC Mosaic %.2f sklearn %.2f", mine.groups, mine.bic, sklearnBic);
        }
        // The chosen mixture through sklearn's arithmetic.
        const QJsonObject evaluated = peer->value("given").toArray().first().toObject();
        const MixtureCandidate &chosen
            = analysis->candidates[static_cast<std::size_t>(analysis->chosenGroups - 1)];
        QVERIFY(near(chosen.logLikelihood, evaluated.value("log_likelihood").toDouble(), 1e-7));
        QVERIFY(near(chosen.bic, evaluated.value("bic").toDouble(), 1e-6));
        const Eigen::MatrixXd theirPosteriors = matrixOf(evaluated.value("posteriors"));
        const Eigen::MatrixXd ourPosteriors = *analysis->model.mixture().posteriors(analysis->standardised);
        QVERIFY((theirPosteriors - ourPosteriors).cwiseAbs().maxCoeff() < 1e-9);
        // sklearn's own partition at the chosen k is the same as Mosaic's (up to label names) when
        // both reached the same optimum.
        const bool sameOptimum = near(chosen.bic, chosenSklearnBic, 0.01);
        const QJsonArray labels = fits[analysis->chosenGroups - 1].toObject().value("labels").toArray();
        std::map<std::pair<int, int>, int> crossTable;
        for (std::size_t row = 0; row < 299; ++row)
            ++crossTable[{ analysis->assignments[row], labels[static_cast<qsizetype>(row)].toInt() }];
        int agreeing = 0;
        for (int group = 1; group <= analysis->chosenGroups; ++group) {
            int best = 0;
            for (const auto &[key, count] : crossTable)
                if (key.first == group)
                    best = std::max(best, count);
            agreeing += best;
        }
        if (sameOptimum)
            QVERIFY2(agreeing >= 297, qPrintable(QString::number(agreeing)));
        qInfo("partition agreement with sklearn at k=%d: %d of 299 (same optimum: %s)",
            analysis->chosenGroups, agreeing, sameOptimum ? "yes" : "no");

        // Outcome on Mosaic's groups: Kaplan-Meier, Cox and log-rank against statsmodels.
        const QJsonObject km = peer->value("km").toObject();
        for (const Phenogroup &group : analysis->groups) {
            const QJsonObject theirs = km.value(QString::number(group.number)).toObject();
            const auto times = doublesOf(theirs.value("times"));
            const auto survival = doublesOf(theirs.value("survival"));
            const auto se = doublesOf(theirs.value("standard_errors"));
            std::size_t i = 0;
            for (const auto &step : group.survival->steps) {
                if (step.events == 0)
                    continue;
                QVERIFY(i < times.size());
                QCOMPARE(step.time, times[i]);
                QVERIFY(near(step.survival, survival[i], 1e-12));
                QVERIFY(near(step.standardError, se[i], 1e-12));
                ++i;
            }
            QCOMPARE(i, times.size());
        }
        const QJsonObject cox = peer->value("cox").toObject();
        const auto coefficients = doublesOf(cox.value("coefficients"));
        const auto coxSe = doublesOf(cox.value("standard_errors"));
        QVERIFY(analysis->cox.has_value());
        QCOMPARE(analysis->cox->coefficients.size(), coefficients.size());
        for (std::size_t j = 0; j < coefficients.size(); ++j) {
            QVERIFY(near(analysis->cox->coefficients[j].coefficient, coefficients[j], 1e-6));
            QVERIFY(near(analysis->cox->coefficients[j].standardError, coxSe[j], 1e-6));
        }
        const QJsonObject logRank = peer->value("logrank").toObject();
        QVERIFY(near(analysis->logRank->chiSquare, logRank.value("chi_square").toDouble(), 1e-8));
        for (const Phenogroup &group : analysis->groups) {
            qInfo("group %d: n=%zu events=%zu S(90)=%.3f S(180)=%.3f HR=%.2f", group.number, group.patients,
                group.events, group.survivalAt[0] ? group.survivalAt[0]->survival : -1.0,
                group.survivalAt[1] ? group.survivalAt[1]->survival : -1.0,
                group.hazardRatio ? group.hazardRatio->hazardRatio : 1.0);
        }
    }
};

QTEST_APPLESS_MAIN(TestPhenogroups)
#include "tst_phenogroups.moc"
