// SPDX-License-Identifier: Apache-2.0
// Gaussian mixtures by EM. Hand-computed cases for densities, posteriors, parameter counts and the
// standardisation (arithmetic in the comments); scikit-learn 1.2's GaussianMixture, run through
// tests/core/records/phenogroup_peer.py, for fits on simulated data: the BIC of each component count,
// the count BIC chooses, and, fed Mosaic's fitted weights, means and covariances, sklearn's own
// log-likelihood, BIC and predict_proba. Without /usr/bin/python3 and scikit-learn those cases skip.
#include "core/records/gaussian_mixture.h"

#include <QTest>

#include "tests/core/records/phenogroup_peer.h"
#include <cmath>
#include <numbers>
#include <random>

using namespace mosaic;
using namespace mosaic::records;
using namespace mosaic::testing;

Q_DECLARE_METATYPE(CovarianceType)

namespace {

bool near(double actual, double expected, double tolerance)
{
    return std::abs(actual - expected) <= tolerance;
}

// Three clusters in three dimensions, 100, 60 and 40 points, correlated within the first: a mixture
// with an answer. Box-Muller over mt19937_64, so the data are the same everywhere.
Eigen::MatrixXd threeClusters(std::uint64_t seed)
{
    std::mt19937_64 generator(seed);
    auto uniform = [&] { return (static_cast<double>(generator() >> 11) + 0.5) * 0x1.0p-53; };
    auto normal = [&] {
        return std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * std::numbers::pi * uniform());
    };
    const int sizes[] = { 100, 60, 40 };
    const double centres[3][3] = { { 0, 0, 0 }, { 5, 5, 0 }, { 0, 6, 6 } };
    Eigen::MatrixXd data(200, 3);
    Eigen::Index row = 0;
    for (int cluster = 0; cluster < 3; ++cluster)
        for (int i = 0; i < sizes[cluster]; ++i, ++row) {
            const double a = normal(), b = normal(), c = normal();
            data(row, 0) = centres[cluster][0] + a;
            data(row, 1) = centres[cluster][1] + (cluster == 0 ? 0.8 * a + 0.6 * b : 0.7 * b);
            data(row, 2) = centres[cluster][2] + 1.3 * c;
        }
    return data;
}

QJsonObject mixtureJson(const GaussianMixture &mixture)
{
    QJsonArray covariances;
    for (const auto &covariance : mixture.covariances())
        covariances.append(toJson(covariance));
    return { { "weights",
                 toJson(std::span<const double>(mixture.weights().data(), mixture.weights().size())) },
        { "means", toJson(mixture.means()) }, { "covariances", covariances } };
}

} // namespace

class TestGaussianMixture : public QObject
{
    Q_OBJECT

private slots:
    void densitiesAndPosteriorsMatchHandComputation()
    {
        // Two unit-variance components at -1 and +1, weights 1/2. At x = 0 both densities are
        // phi(1) = exp(-1/2) / sqrt(2 pi): posteriors 1/2 each, log-likelihood log phi(1) = -1.4189385.
        // At x = 1 the squared distances are 4 and 0: posterior of the second 1 / (1 + e^-2) = 0.8807971.
        Eigen::MatrixXd means(2, 1);
        means << -1, 1;
        auto mixture = GaussianMixture::fromParameters(CovarianceType::Full, Eigen::Vector2d(0.5, 0.5), means,
            { Eigen::MatrixXd::Identity(1, 1), Eigen::MatrixXd::Identity(1, 1) });
        QVERIFY2(mixture, mixture ? "" : mixture.error().message().c_str());
        Eigen::MatrixXd points(2, 1);
        points << 0, 1;
        const Eigen::MatrixXd posteriors = *mixture->posteriors(points);
        QVERIFY(near(posteriors(0, 0), 0.5, 1e-15));
        QVERIFY(near(posteriors(1, 1), 1.0 / (1.0 + std::exp(-2.0)), 1e-15));
        const Eigen::VectorXd logLikelihoods = *mixture->logLikelihoods(points);
        QVERIFY(near(logLikelihoods(0), -0.5 * std::log(2.0 * std::numbers::pi) - 0.5, 1e-14));
    }

    void densityOfACorrelatedComponent()
    {
        // One component, Sigma = [[2, 1], [1, 2]]: |Sigma| = 3, Sigma^-1 = [[2, -1], [-1, 2]] / 3. At
        // x = (1, 0): Mahalanobis 2/3; log N = -log(2 pi) - log(3)/2 - 1/3 = -2.7198.
        Eigen::MatrixXd covariance(2, 2);
        covariance << 2, 1, 1, 2;
        auto mixture = GaussianMixture::fromParameters(
            CovarianceType::Full, Eigen::VectorXd::Ones(1), Eigen::MatrixXd::Zero(1, 2), { covariance });
        QVERIFY(mixture);
        Eigen::MatrixXd point(1, 2);
        point << 1, 0;
        QVERIFY(near((*mixture->logLikelihoods(point))(0),
            -std::log(2.0 * std::numbers::pi) - 0.5 * std::log(3.0) - 1.0 / 3.0, 1e-14));
    }

    void parameterCountAndBic()
    {
        // k = 3, d = 4. Full: 2 weights + 12 means + 3 * 10 covariance entries = 44. Diagonal: 2 + 12 + 12
        // = 26.
        std::vector<Eigen::MatrixXd> covariances(3, Eigen::MatrixXd::Identity(4, 4));
        Eigen::MatrixXd means = Eigen::MatrixXd::Zero(3, 4);
        means(1, 0) = 1;
        means(2, 0) = 2;
        auto full = GaussianMixture::fromParameters(
            CovarianceType::Full, Eigen::Vector3d(0.2, 0.3, 0.5), means, covariances);
        auto diagonal = GaussianMixture::fromParameters(
            CovarianceType::Diagonal, Eigen::Vector3d(0.2, 0.3, 0.5), means, covariances);
        QVERIFY(full && diagonal);
        QCOMPARE(full->parameterCount(), std::size_t { 44 });
        QCOMPARE(diagonal->parameterCount(), std::size_t { 26 });
        // BIC = -2 log L + p ln n: log L = -100, n = 50, p = 44: 200 + 44 * 3.912023 = 372.129.
        full->logLikelihood = -100.0;
        full->observations = 50;
        QVERIFY(near(full->bic(), 200.0 + 44.0 * std::log(50.0), 1e-12));
    }

    void standardisationUsesPopulationSd()
    {
        // Column (1, 2, 3): mean 2, population SD sqrt(2/3) = 0.816497; 3 becomes 1 / 0.816497 = 1.224745.
        Eigen::MatrixXd data(3, 2);
        data << 1, 10, 2, 10, 3, 13;
        auto standardisation = Standardisation::fit(data, { "a", "b" });
        QVERIFY(standardisation);
        QVERIFY(near(standardisation->standardDeviations(0), std::sqrt(2.0 / 3.0), 1e-15));
        const Eigen::MatrixXd standardised = *standardisation->apply(data);
        QVERIFY(near(standardised(2, 0), 1.0 / std::sqrt(2.0 / 3.0), 1e-14));
        QVERIFY(near(standardised.col(1).mean(), 0.0, 1e-14));
        // A new row uses the cohort's figures, not its own.
        Eigen::MatrixXd patient(1, 2);
        patient << 2, 11;
        QVERIFY(near((*standardisation->apply(patient))(0, 0), 0.0, 1e-15));
    }

    void sameSeedSameFit()
    {
        const Eigen::MatrixXd data = threeClusters(3);
        GaussianMixtureSettings settings;
        settings.components = 3;
        auto first = fitGaussianMixture(data, settings);
        auto second = fitGaussianMixture(data, settings);
        QVERIFY(first && second);
        QCOMPARE(first->logLikelihood, second->logLikelihood);
        QVERIFY(first->means() == second->means());
        QVERIFY(first->converged);
    }

    void matchesScikitLearn_data()
    {
        QTest::addColumn<CovarianceType>("covariance");
        QTest::newRow("full covariance") << CovarianceType::Full;
        QTest::newRow("diagonal covariance") << CovarianceType::Diagonal;
    }

    void matchesScikitLearn()
    {
        QFETCH(CovarianceType, covariance);
        const Eigen::MatrixXd data = threeClusters(5);
        GaussianMixtureSettings settings;
        settings.covariance = covariance;
        auto selection = selectGaussianMixture(data, 1, 5, settings);
        QVERIFY2(selection, selection ? "" : selection.error().message().c_str());
        // Full covariance recovers the three generating clusters. A diagonal mixture needs extra
        // components for the first cluster's correlation (0.75), so only sklearn says what it should pick.
        if (covariance == CovarianceType::Full) {
            QCOMPARE(selection->chosenComponents, 3);
            for (const Eigen::Vector3d &centre :
                { Eigen::Vector3d(0, 0, 0), Eigen::Vector3d(5, 5, 0), Eigen::Vector3d(0, 6, 6) }) {
                double closest = 1e9;
                for (int j = 0; j < 3; ++j)
                    closest
                        = std::min(closest, (selection->chosen().means().row(j).transpose() - centre).norm());
                QVERIFY2(closest < 0.5, qPrintable(QString::number(closest)));
            }
        } else {
            QVERIFY(selection->chosenComponents > 3);
        }

        QJsonArray given;
        for (const auto &fit : selection->fits)
            given.append(mixtureJson(fit));
        QJsonObject request { { "mode", "mixture" }, { "data", toJson(data) },
            { "covariance", QString::fromStdString(covarianceTypeName(covariance)) },
            { "reg_covar", settings.regularisation }, { "tol", settings.tolerance },
            { "max_iter", settings.maxIterations }, { "n_init", 10 }, { "seed", 0 },
            { "k_range", QJsonArray { 1, 2, 3, 4, 5 } }, { "given", given } };
        QString why;
        const auto peer = runPhenogroupPeer(request, why);
        if (!peer)
            QSKIP(qPrintable(why));
        QCOMPARE(peer->value("chosen_k").toInt(), selection->chosenComponents);
        const QJsonArray fits = peer->value("fits").toArray();
        const QJsonArray evaluated = peer->value("given").toArray();
        for (int k = 1; k <= 5; ++k) {
            const GaussianMixture &mine = selection->fits[static_cast<std::size_t>(k - 1)];
            const QJsonObject sklearn = evaluated[k - 1].toObject();
            // Same parameters, sklearn's arithmetic: log-likelihood and BIC to rounding.
            QVERIFY2(near(mine.logLikelihood, sklearn.value("log_likelihood").toDouble(), 1e-8),
                qPrintable(QString("k=%1: %2 vs %3")
                               .arg(k)
                               .arg(mine.logLikelihood, 0, 'g', 17)
                               .arg(sklearn.value("log_likelihood").toDouble(), 0, 'g', 17)));
            QVERIFY(near(mine.bic(), sklearn.value("bic").toDouble(), 1e-7));
            const Eigen::MatrixXd theirs = matrixOf(sklearn.value("posteriors"));
            const Eigen::MatrixXd ours = *mine.posteriors(data);
            QVERIFY((theirs - ours).cwiseAbs().maxCoeff() < 1e-10);
            // Each its own fit: Mosaic's optimum is no worse than sklearn's 10 restarts (0.01 of BIC
            // allows for the convergence tolerance).
            const double sklearnBic = fits[k - 1].toObject().value("bic").toDouble();
            QVERIFY2(mine.bic() <= sklearnBic + 0.01,
                qPrintable(
                    QString("k=%1: Mosaic BIC %2, sklearn %3").arg(k).arg(mine.bic()).arg(sklearnBic)));
            if (k == selection->chosenComponents)
                QVERIFY(near(mine.bic(), sklearnBic, 0.01));
        }
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<int>("rows");
        QTest::addColumn<int>("components");
        QTest::addColumn<QString>("problem"); // "nan", "constant", or ""
        QTest::addColumn<QString>("message");
        QTest::newRow("fewer rows than components") << 3 << 4 << ""
                                                    << "3 observations cannot be split into 4";
        QTest::newRow("zero components") << 10 << 0 << ""
                                         << "between 1 and 50";
        QTest::newRow("more components than the limit") << 100 << 51 << ""
                                                        << "between 1 and 50";
        QTest::newRow("a missing value") << 10 << 2 << "nan"
                                         << "row 4, column 1: value is missing";
        QTest::newRow("a constant column") << 10 << 2 << "constant"
                                           << "column 1 has the same value in every row";
        QTest::newRow("no observations") << 0 << 1 << ""
                                         << "at least one observation";
    }

    void refusesBadInput()
    {
        QFETCH(int, rows);
        QFETCH(int, components);
        QFETCH(QString, problem);
        QFETCH(QString, message);
        Eigen::MatrixXd data(rows, 2);
        for (int row = 0; row < rows; ++row) {
            data(row, 0) = row;
            data(row, 1) = (row * 7) % 5;
        }
        if (problem == "nan")
            data(4, 1) = std::nan("");
        if (problem == "constant")
            data.col(1).setConstant(2.5);
        GaussianMixtureSettings settings;
        settings.components = components;
        auto fit = fitGaussianMixture(data, settings);
        QVERIFY(!fit);
        QCOMPARE(fit.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(
            QString::fromStdString(fit.error().message()).contains(message), fit.error().message().c_str());
    }

    void refusesBadSettingsAndParameters()
    {
        const Eigen::MatrixXd data = threeClusters(1);
        GaussianMixtureSettings settings;
        settings.regularisation = 0.0;
        QVERIFY(!fitGaussianMixture(data, settings));
        QVERIFY(!selectGaussianMixture(data, 3, 2, GaussianMixtureSettings {}));
        GaussianMixtureSettings narrow;
        narrow.maxDimensions = 2;
        auto wide = fitGaussianMixture(data, narrow);
        QVERIFY(!wide);
        QCOMPARE(wide.error().code, ErrorCode::LimitExceeded);

        Eigen::MatrixXd means = Eigen::MatrixXd::Zero(2, 2);
        const std::vector<Eigen::MatrixXd> identity(2, Eigen::MatrixXd::Identity(2, 2));
        auto badWeights = GaussianMixture::fromParameters(
            CovarianceType::Full, Eigen::Vector2d(0.5, 0.6), means, identity);
        QVERIFY(!badWeights);
        QVERIFY(QString::fromStdString(badWeights.error().detail).contains("sum to 1"));
        Eigen::MatrixXd singular(2, 2);
        singular << 1, 1, 1, 1;
        auto notDefinite = GaussianMixture::fromParameters(CovarianceType::Full, Eigen::Vector2d(0.5, 0.5),
            means, { Eigen::MatrixXd::Identity(2, 2), singular });
        QVERIFY(!notDefinite);
        QVERIFY(QString::fromStdString(notDefinite.error().detail)
                    .contains("component 1's covariance is not positive definite"));
        Eigen::MatrixXd correlated(2, 2);
        correlated << 1, 0.5, 0.5, 1;
        QVERIFY(!GaussianMixture::fromParameters(CovarianceType::Diagonal, Eigen::Vector2d(0.5, 0.5), means,
            { Eigen::MatrixXd::Identity(2, 2), correlated }));
        auto mixture = GaussianMixture::fromParameters(
            CovarianceType::Full, Eigen::Vector2d(0.5, 0.5), means, identity);
        QVERIFY(mixture);
        QVERIFY(!mixture->posteriors(Eigen::MatrixXd::Zero(1, 3)));

        Eigen::MatrixXd constant(4, 2);
        constant << 1, 5, 2, 5, 3, 5, 4, 5;
        auto standardisation = Standardisation::fit(constant, { "Age", "Sodium" });
        QVERIFY(!standardisation);
        QVERIFY(QString::fromStdString(standardisation.error().detail).contains("column 'Sodium'"));
        QVERIFY(!Standardisation::fit(constant, { "Age" }));
    }
};

QTEST_APPLESS_MAIN(TestGaussianMixture)
#include "tst_gaussian_mixture.moc"
