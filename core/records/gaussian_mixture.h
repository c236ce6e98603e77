// SPDX-License-Identifier: Apache-2.0
// Gaussian mixtures fitted by expectation-maximisation, for phenogroups (phenogroups.h): full or
// diagonal covariance, k-means++ then Lloyd k-means to start each of several restarts, the number of
// components chosen by BIC, and posterior probabilities of the components for new observations.
// The conventions follow scikit-learn's GaussianMixture (1.2) so the two can be checked against each
// other: `regularisation` is its reg_covar (added to every variance), BIC is
// -2 log L + p ln n with p = (k - 1) + k d + k d (d + 1) / 2 (full) or + k d (diagonal), and the
// convergence test is on the change in the mean log-likelihood per observation.
// Variables are standardised before fitting (Standardisation, below); the mixture itself does not
// rescale anything.
#pragma once

#include "core/error.h"

#include <Eigen/Core>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mosaic::records {

enum class CovarianceType { Full, Diagonal };

[[nodiscard]] std::string covarianceTypeName(CovarianceType type); // "full", "diag"

struct GaussianMixtureSettings
{
    int components = 1;
    CovarianceType covariance = CovarianceType::Full;
    // Added to every variance after each M-step (scikit-learn's reg_covar, same default). It keeps a
    // component from collapsing onto a single point; on data with many tied values (rounded or imputed
    // measurements) a larger value is needed for the same reason, see docs/validation.md.
    double regularisation = 1e-6;
    double tolerance = 1e-6; // stop when the mean log-likelihood per observation changes less
    int maxIterations = 1000; // EM iterations per restart
    int restarts = 10; // independent k-means++ starts; the best log-likelihood wins
    std::uint64_t seed = 20261130;
    int maxComponents = 50; // a refusal limit, not a tuning choice
    int maxDimensions = 500; // likewise: a full covariance is dimensions^2 doubles per component
};

// A fitted (or given) mixture. Covariances are d x d for both types; a diagonal mixture's are diagonal.
class GaussianMixture
{
public:
    // Checks shapes, weights (positive, summing to 1 within 1e-9) and that every covariance is
    // symmetric positive definite; Cholesky factors are computed once here.
    [[nodiscard]] static Result<GaussianMixture> fromParameters(CovarianceType type, Eigen::VectorXd weights,
        Eigen::MatrixXd means, std::vector<Eigen::MatrixXd> covariances);

    [[nodiscard]] CovarianceType covarianceType() const { return m_type; }
    [[nodiscard]] int components() const { return static_cast<int>(m_weights.size()); }
    [[nodiscard]] int dimensions() const { return static_cast<int>(m_means.cols()); }
    [[nodiscard]] const Eigen::VectorXd &weights() const { return m_weights; }
    [[nodiscard]] const Eigen::MatrixXd &means() const { return m_means; } // components x dimensions
    [[nodiscard]] const std::vector<Eigen::MatrixXd> &covariances() const { return m_covariances; }

    // Free parameters: (k - 1) weights, k d means, and k d (d + 1) / 2 or k d covariance entries.
    [[nodiscard]] std::size_t parameterCount() const;

    // log w_j + log N(x | mu_j, Sigma_j) for each row and component (rows x components).
    [[nodiscard]] Result<Eigen::MatrixXd> weightedLogDensities(const Eigen::MatrixXd &data) const;
    // Per row log sum_j w_j N(x | mu_j, Sigma_j), by log-sum-exp.
    [[nodiscard]] Result<Eigen::VectorXd> logLikelihoods(const Eigen::MatrixXd &data) const;
    // Posterior probability of each component for each row (rows x components; rows sum to 1).
    [[nodiscard]] Result<Eigen::MatrixXd> posteriors(const Eigen::MatrixXd &data) const;

    // Filled by fitGaussianMixture: the training data's total log-likelihood under these parameters,
    // the number of observations, EM iterations of the winning restart and whether it converged.
    double logLikelihood = 0.0;
    std::size_t observations = 0;
    int iterations = 0;
    bool converged = false;

    // -2 logLikelihood + parameterCount() ln(observations).
    [[nodiscard]] double bic() const;

private:
    CovarianceType m_type = CovarianceType::Full;
    Eigen::VectorXd m_weights;
    Eigen::MatrixXd m_means;
    std::vector<Eigen::MatrixXd> m_covariances;
    std::vector<Eigen::MatrixXd> m_choleskyLower; // L with Sigma = L L^T
    Eigen::VectorXd m_logDeterminants; // log |Sigma_j|
};

// Fits settings.components components to the rows of `data` (observations x variables). Refuses
// (InvalidArgument) an empty matrix, fewer rows than components, a component count outside
// 1..maxComponents, a non-finite cell (naming row and column, 0-based), a constant column, a
// non-positive regularisation or tolerance; LimitExceeded for more than maxDimensions variables;
// ModelFailure when a covariance stops being positive definite despite the regularisation.
[[nodiscard]] Result<GaussianMixture> fitGaussianMixture(
    const Eigen::MatrixXd &data, const GaussianMixtureSettings &settings);

struct MixtureSelection
{
    std::vector<GaussianMixture> fits; // one per component count, minComponents first
    int minComponents = 1;
    int chosenComponents = 1; // the count with the lowest BIC (the smaller count on an exact tie)
    [[nodiscard]] const GaussianMixture &chosen() const
    {
        return fits[static_cast<std::size_t>(chosenComponents - minComponents)];
    }
};

// Fits every component count from minComponents to maxComponents (settings.components is ignored)
// and keeps the one with the lowest BIC.
[[nodiscard]] Result<MixtureSelection> selectGaussianMixture(const Eigen::MatrixXd &data, int minComponents,
    int maxComponents, const GaussianMixtureSettings &settings);

// Column means and standard deviations of a cohort (population SD, divisor n, as scikit-learn's
// StandardScaler), kept with a model so a new patient is standardised exactly as the cohort was.
struct Standardisation
{
    std::vector<std::string> columns;
    Eigen::VectorXd means;
    Eigen::VectorXd standardDeviations;

    // Refuses (InvalidArgument) a column-name count that differs from the data, no rows, a
    // non-finite cell, and a constant column (naming it).
    [[nodiscard]] static Result<Standardisation> fit(
        const Eigen::MatrixXd &data, std::vector<std::string> columns);
    // (x - mean) / sd per column; refuses a column count that differs from the fitted one.
    [[nodiscard]] Result<Eigen::MatrixXd> apply(const Eigen::MatrixXd &data) const;
};

} // namespace mosaic::records
