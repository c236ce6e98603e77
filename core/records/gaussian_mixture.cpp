// SPDX-License-Identifier: Apache-2.0
#include "core/records/gaussian_mixture.h"

#include <Eigen/Cholesky>
#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <optional>
#include <random>

namespace mosaic::records {

namespace {

// Uniform in [0, 1) from the top 53 bits: the same sequence on every platform, which
// std::uniform_real_distribution does not promise.
double uniform01(std::mt19937_64 &generator)
{
    return static_cast<double>(generator() >> 11) * 0x1.0p-53;
}

std::string cellPlace(Eigen::Index row, Eigen::Index column)
{
    return "row " + std::to_string(row) + ", column " + std::to_string(column);
}

Result<void> checkFinite(const Eigen::MatrixXd &data)
{
    for (Eigen::Index column = 0; column < data.cols(); ++column)
        for (Eigen::Index row = 0; row < data.rows(); ++row)
            if (!std::isfinite(data(row, column)))
                return fail(
                    ErrorCode::InvalidArgument, "value is missing or not finite", cellPlace(row, column));
    return {};
}

// Row-wise log sum exp of a rows x components matrix.
Eigen::VectorXd logSumExpRows(const Eigen::MatrixXd &values)
{
    Eigen::VectorXd result(values.rows());
    for (Eigen::Index row = 0; row < values.rows(); ++row) {
        const double top = values.row(row).maxCoeff();
        if (!std::isfinite(top)) {
            result(row) = top;
            continue;
        }
        result(row) = top + std::log((values.row(row).array() - top).exp().sum());
    }
    return result;
}

double squaredDistance(
    const Eigen::MatrixXd &data, Eigen::Index row, const Eigen::MatrixXd &centres, Eigen::Index centre)
{
    return (data.row(row) - centres.row(centre)).squaredNorm();
}

// Greedy k-means++ seeding (Arthur & Vassilvitskii 2007, as scikit-learn's KMeans does it): the first
// centre uniformly; each next one the best, by the resulting sum of squared distances, of
// 2 + floor(ln k) candidates drawn with probability proportional to the squared distance to the
// nearest centre chosen so far.
Eigen::MatrixXd kMeansPlusPlusCentres(const Eigen::MatrixXd &data, int components, std::mt19937_64 &generator)
{
    const Eigen::Index rows = data.rows();
    const int trials = 2 + static_cast<int>(std::log(static_cast<double>(components)));
    auto uniformRow = [&] {
        return std::min(
            static_cast<Eigen::Index>(uniform01(generator) * static_cast<double>(rows)), rows - 1);
    };
    Eigen::MatrixXd centres(components, data.cols());
    centres.row(0) = data.row(uniformRow());
    Eigen::VectorXd nearest(rows);
    for (Eigen::Index row = 0; row < rows; ++row)
        nearest(row) = squaredDistance(data, row, centres, 0);
    for (int centre = 1; centre < components; ++centre) {
        const double total = nearest.sum();
        double bestPotential = std::numeric_limits<double>::infinity();
        Eigen::VectorXd bestNearest;
        Eigen::Index bestRow = 0;
        for (int trial = 0; trial < trials; ++trial) {
            Eigen::Index candidate = rows - 1;
            if (total > 0.0) {
                const double target = uniform01(generator) * total;
                double cumulative = 0.0;
                for (Eigen::Index row = 0; row < rows; ++row) {
                    cumulative += nearest(row);
                    if (cumulative > target) {
                        candidate = row;
                        break;
                    }
                }
            } else {
                candidate = uniformRow();
            }
            Eigen::VectorXd updated(rows);
            for (Eigen::Index row = 0; row < rows; ++row)
                updated(row) = std::min(nearest(row), (data.row(row) - data.row(candidate)).squaredNorm());
            const double potential = updated.sum();
            if (potential < bestPotential) {
                bestPotential = potential;
                bestNearest = std::move(updated);
                bestRow = candidate;
            }
        }
        centres.row(centre) = data.row(bestRow);
        nearest = std::move(bestNearest);
    }
    return centres;
}

// Lloyd's k-means from the seeded centres until no label changes (at most 300 passes, scikit-learn's
// KMeans default). An emptied cluster takes the point farthest from its own centre.
std::vector<int> kMeansLabels(const Eigen::MatrixXd &data, Eigen::MatrixXd centres)
{
    const Eigen::Index rows = data.rows();
    const Eigen::Index components = centres.rows();
    std::vector<int> labels(static_cast<std::size_t>(rows), -1);
    for (int pass = 0; pass < 300; ++pass) {
        bool changed = false;
        Eigen::VectorXd distanceToOwn(rows);
        for (Eigen::Index row = 0; row < rows; ++row) {
            Eigen::Index best = 0;
            double bestDistance = std::numeric_limits<double>::infinity();
            for (Eigen::Index centre = 0; centre < components; ++centre) {
                const double distance = squaredDistance(data, row, centres, centre);
                if (distance < bestDistance) {
                    bestDistance = distance;
                    best = centre;
                }
            }
            distanceToOwn(row) = bestDistance;
            if (labels[static_cast<std::size_t>(row)] != static_cast<int>(best)) {
                labels[static_cast<std::size_t>(row)] = static_cast<int>(best);
                changed = true;
            }
        }
        std::vector<Eigen::Index> counts(static_cast<std::size_t>(components), 0);
        centres.setZero();
        for (Eigen::Index row = 0; row < rows; ++row) {
            const auto label = static_cast<std::size_t>(labels[static_cast<std::size_t>(row)]);
            centres.row(static_cast<Eigen::Index>(label)) += data.row(row);
            ++counts[label];
        }
        for (Eigen::Index centre = 0; centre < components; ++centre) {
            const auto count = counts[static_cast<std::size_t>(centre)];
            if (count > 0) {
                centres.row(centre) /= static_cast<double>(count);
                continue;
            }
            Eigen::Index farthest = 0;
            distanceToOwn.maxCoeff(&farthest);
            centres.row(centre) = data.row(farthest);
            distanceToOwn(farthest) = 0.0;
            changed = true;
        }
        if (!changed)
            break;
    }
    return labels;
}

struct Parameters
{
    Eigen::VectorXd weights;
    Eigen::MatrixXd means;
    std::vector<Eigen::MatrixXd> covariances;
};

// The M-step from responsibilities (rows x components), as scikit-learn's
// _estimate_gaussian_parameters: n_k = sum of responsibilities + 10 eps, weights n_k normalised to
// sum 1, responsibility-weighted means and covariances, `regularisation` added to each variance.
Parameters maximisationStep(const Eigen::MatrixXd &data, const Eigen::MatrixXd &responsibilities,
    CovarianceType type, double regularisation)
{
    const Eigen::Index components = responsibilities.cols();
    const Eigen::Index dimensions = data.cols();
    Parameters parameters;
    Eigen::VectorXd counts = responsibilities.colwise().sum().transpose().array()
        + 10.0 * std::numeric_limits<double>::epsilon();
    parameters.weights = counts / counts.sum();
    parameters.means = (responsibilities.transpose() * data).array().colwise() / counts.array();
    parameters.covariances.reserve(static_cast<std::size_t>(components));
    for (Eigen::Index component = 0; component < components; ++component) {
        const Eigen::MatrixXd centred = data.rowwise() - parameters.means.row(component);
        Eigen::MatrixXd covariance(dimensions, dimensions);
        if (type == CovarianceType::Full) {
            covariance
                = (centred.array().colwise() * responsibilities.col(component).array()).matrix().transpose()
                * centred / counts(component);
            covariance = 0.5 * (covariance + covariance.transpose()).eval();
        } else {
            const Eigen::VectorXd variances
                = (responsibilities.col(component).transpose() * centred.array().square().matrix())
                      .transpose()
                / counts(component);
            covariance = variances.asDiagonal();
        }
        covariance.diagonal().array() += regularisation;
        parameters.covariances.push_back(std::move(covariance));
    }
    return parameters;
}

Eigen::MatrixXd oneHot(const std::vector<int> &labels, int components)
{
    Eigen::MatrixXd result = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(labels.size()), components);
    for (std::size_t row = 0; row < labels.size(); ++row)
        result(static_cast<Eigen::Index>(row), labels[row]) = 1.0;
    return result;
}

Result<void> checkNotConstant(const Eigen::MatrixXd &data, const std::vector<std::string> *names)
{
    for (Eigen::Index column = 0; column < data.cols(); ++column) {
        const double first = data(0, column);
        if ((data.col(column).array() == first).all()) {
            const std::string name
                = names ? "'" + (*names)[static_cast<std::size_t>(column)] + "'" : std::to_string(column);
            return fail(ErrorCode::InvalidArgument,
                "column " + name + " has the same value in every row; it cannot be standardised or modelled");
        }
    }
    return {};
}

} // namespace

std::string covarianceTypeName(CovarianceType type)
{
    return type == CovarianceType::Full ? "full" : "diag";
}

Result<GaussianMixture> GaussianMixture::fromParameters(CovarianceType type, Eigen::VectorXd weights,
    Eigen::MatrixXd means, std::vector<Eigen::MatrixXd> covariances)
{
    const Eigen::Index components = weights.size();
    if (components < 1)
        return fail(ErrorCode::InvalidArgument, "a mixture needs at least one component");
    if (means.rows() != components || means.cols() < 1
        || covariances.size() != static_cast<std::size_t>(components))
        return fail(ErrorCode::InvalidArgument,
            "a mixture's weights, means and covariances must describe the same number of components");
    if (!weights.allFinite() || (weights.array() <= 0.0).any() || std::abs(weights.sum() - 1.0) > 1e-9)
        return fail(ErrorCode::InvalidArgument, "mixture weights must be positive and sum to 1");
    if (!means.allFinite())
        return fail(ErrorCode::InvalidArgument, "mixture means must be finite");
    GaussianMixture mixture;
    mixture.m_type = type;
    mixture.m_logDeterminants.resize(components);
    for (Eigen::Index component = 0; component < components; ++component) {
        Eigen::MatrixXd &covariance = covariances[static_cast<std::size_t>(component)];
        const std::string which = "component " + std::to_string(component) + "'s covariance";
        if (covariance.rows() != means.cols() || covariance.cols() != means.cols() || !covariance.allFinite())
            return fail(ErrorCode::InvalidArgument,
                which + " must be a finite square matrix of the means' dimension");
        const double scale = 1.0 + covariance.cwiseAbs().maxCoeff();
        if ((covariance - covariance.transpose()).cwiseAbs().maxCoeff() > 1e-10 * scale)
            return fail(ErrorCode::InvalidArgument, which + " is not symmetric");
        if (type == CovarianceType::Diagonal) {
            Eigen::MatrixXd offDiagonal = covariance;
            offDiagonal.diagonal().setZero();
            if (!offDiagonal.isZero(0.0))
                return fail(ErrorCode::InvalidArgument, which + " must be diagonal in a diagonal mixture");
        }
        Eigen::LLT<Eigen::MatrixXd> cholesky(covariance);
        if (cholesky.info() != Eigen::Success
            || (cholesky.matrixL().toDenseMatrix().diagonal().array() <= 0.0).any())
            return fail(ErrorCode::ModelFailure,
                which
                    + " is not positive definite (a component collapsed onto too few distinct points; "
                      "a larger regularisation prevents this)");
        Eigen::MatrixXd lower = cholesky.matrixL();
        mixture.m_logDeterminants(component) = 2.0 * lower.diagonal().array().log().sum();
        mixture.m_choleskyLower.push_back(std::move(lower));
    }
    mixture.m_weights = std::move(weights);
    mixture.m_means = std::move(means);
    mixture.m_covariances = std::move(covariances);
    return mixture;
}

std::size_t GaussianMixture::parameterCount() const
{
    const auto k = static_cast<std::size_t>(components());
    const auto d = static_cast<std::size_t>(dimensions());
    const std::size_t covarianceParameters = m_type == CovarianceType::Full ? k * d * (d + 1) / 2 : k * d;
    return (k - 1) + k * d + covarianceParameters;
}

double GaussianMixture::bic() const
{
    return -2.0 * logLikelihood
        + static_cast<double>(parameterCount()) * std::log(static_cast<double>(observations));
}

Result<Eigen::MatrixXd> GaussianMixture::weightedLogDensities(const Eigen::MatrixXd &data) const
{
    if (data.cols() != dimensions())
        return fail(ErrorCode::InvalidArgument,
            "observations have " + std::to_string(data.cols()) + " variables; the mixture has "
                + std::to_string(dimensions()));
    if (auto finite = checkFinite(data); !finite)
        return std::unexpected(finite.error());
    const double logTwoPi = std::log(2.0 * std::numbers::pi);
    Eigen::MatrixXd result(data.rows(), components());
    for (int component = 0; component < components(); ++component) {
        const Eigen::MatrixXd centred = (data.rowwise() - m_means.row(component)).transpose(); // d x n
        const Eigen::MatrixXd whitened
            = m_choleskyLower[static_cast<std::size_t>(component)].triangularView<Eigen::Lower>().solve(
                centred);
        const Eigen::VectorXd mahalanobis = whitened.colwise().squaredNorm().transpose();
        result.col(component) = (-0.5
            * (static_cast<double>(dimensions()) * logTwoPi + m_logDeterminants(component)
                + mahalanobis.array()))
                                    .matrix();
        result.col(component).array() += std::log(m_weights(component));
    }
    return result;
}

Result<Eigen::VectorXd> GaussianMixture::logLikelihoods(const Eigen::MatrixXd &data) const
{
    auto weighted = weightedLogDensities(data);
    if (!weighted)
        return std::unexpected(weighted.error());
    return logSumExpRows(*weighted);
}

Result<Eigen::MatrixXd> GaussianMixture::posteriors(const Eigen::MatrixXd &data) const
{
    auto weighted = weightedLogDensities(data);
    if (!weighted)
        return std::unexpected(weighted.error());
    const Eigen::VectorXd normaliser = logSumExpRows(*weighted);
    return (weighted->colwise() - normaliser).array().exp().matrix();
}

Result<GaussianMixture> fitGaussianMixture(
    const Eigen::MatrixXd &data, const GaussianMixtureSettings &settings)
{
    const int components = settings.components;
    if (data.rows() == 0 || data.cols() == 0)
        return fail(ErrorCode::InvalidArgument, "a mixture needs at least one observation and one variable");
    if (components < 1 || components > settings.maxComponents)
        return fail(ErrorCode::InvalidArgument,
            "the number of components must be between 1 and " + std::to_string(settings.maxComponents)
                + ", not " + std::to_string(components));
    if (data.cols() > settings.maxDimensions)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(data.cols()) + " variables exceed the mixture's limit of "
                + std::to_string(settings.maxDimensions));
    if (data.rows() < components)
        return fail(ErrorCode::InvalidArgument,
            std::to_string(data.rows()) + " observations cannot be split into " + std::to_string(components)
                + " components");
    if (!(settings.regularisation > 0.0) || !(settings.tolerance > 0.0) || settings.maxIterations < 1
        || settings.restarts < 1)
        return fail(ErrorCode::InvalidArgument,
            "regularisation and tolerance must be positive, iterations and restarts at least 1");
    if (auto finite = checkFinite(data); !finite)
        return std::unexpected(finite.error());
    if (auto varying = checkNotConstant(data, nullptr); !varying)
        return std::unexpected(varying.error());

    std::mt19937_64 generator(settings.seed);
    std::optional<GaussianMixture> best;
    std::optional<Error> lastFailure;
    for (int restart = 0; restart < settings.restarts; ++restart) {
        const Eigen::MatrixXd centres = kMeansPlusPlusCentres(data, components, generator);
        Parameters parameters = maximisationStep(data, oneHot(kMeansLabels(data, centres), components),
            settings.covariance, settings.regularisation);
        std::optional<GaussianMixture> current;
        double previousMean = -std::numeric_limits<double>::infinity();
        bool converged = false;
        int iteration = 0;
        bool failed = false;
        for (; iteration <= settings.maxIterations; ++iteration) {
            auto mixture = GaussianMixture::fromParameters(settings.covariance, std::move(parameters.weights),
                std::move(parameters.means), std::move(parameters.covariances));
            if (!mixture) {
                lastFailure = mixture.error();
                failed = true;
                break;
            }
            current = std::move(*mixture);
            // E-step: the log-likelihood belongs to the parameters just built, so the figure reported
            // is exactly that of the returned mixture.
            Eigen::MatrixXd weighted = *current->weightedLogDensities(data);
            const Eigen::VectorXd perRow = logSumExpRows(weighted);
            const double mean = perRow.mean();
            current->logLikelihood = perRow.sum();
            if (std::abs(mean - previousMean) < settings.tolerance) {
                converged = true;
                break;
            }
            if (iteration == settings.maxIterations)
                break;
            previousMean = mean;
            const Eigen::MatrixXd responsibilities = (weighted.colwise() - perRow).array().exp().matrix();
            parameters
                = maximisationStep(data, responsibilities, settings.covariance, settings.regularisation);
        }
        if (failed || !current)
            continue;
        current->observations = static_cast<std::size_t>(data.rows());
        current->iterations = iteration;
        current->converged = converged;
        if (!best || current->logLikelihood > best->logLikelihood)
            best = std::move(current);
    }
    if (!best)
        return std::unexpected(
            lastFailure.value_or(Error { ErrorCode::ModelFailure, "no restart produced a mixture", {} }));
    return std::move(*best);
}

Result<MixtureSelection> selectGaussianMixture(const Eigen::MatrixXd &data, int minComponents,
    int maxComponents, const GaussianMixtureSettings &settings)
{
    if (minComponents < 1 || maxComponents < minComponents || maxComponents > settings.maxComponents)
        return fail(ErrorCode::InvalidArgument,
            "the component range must satisfy 1 <= minimum <= maximum <= "
                + std::to_string(settings.maxComponents));
    MixtureSelection selection;
    selection.minComponents = minComponents;
    selection.chosenComponents = minComponents;
    for (int components = minComponents; components <= maxComponents; ++components) {
        GaussianMixtureSettings each = settings;
        each.components = components;
        auto fit = fitGaussianMixture(data, each);
        if (!fit) {
            Error error = fit.error();
            error.detail = std::to_string(components) + " components: " + error.detail;
            return std::unexpected(error);
        }
        selection.fits.push_back(std::move(*fit));
        if (selection.fits.back().bic() < selection.chosen().bic())
            selection.chosenComponents = components;
    }
    return selection;
}

Result<Standardisation> Standardisation::fit(const Eigen::MatrixXd &data, std::vector<std::string> columns)
{
    if (columns.size() != static_cast<std::size_t>(data.cols()))
        return fail(ErrorCode::InvalidArgument, "standardisation needs one name per column");
    if (data.rows() == 0 || data.cols() == 0)
        return fail(ErrorCode::InvalidArgument, "standardisation needs at least one row and one column");
    for (Eigen::Index column = 0; column < data.cols(); ++column)
        for (Eigen::Index row = 0; row < data.rows(); ++row)
            if (!std::isfinite(data(row, column)))
                return fail(ErrorCode::InvalidArgument, "value is missing or not finite",
                    "row " + std::to_string(row) + ", column '" + columns[static_cast<std::size_t>(column)]
                        + "'");
    if (auto varying = checkNotConstant(data, &columns); !varying)
        return std::unexpected(varying.error());
    Standardisation result;
    result.columns = std::move(columns);
    result.means = data.colwise().mean().transpose();
    result.standardDeviations = ((data.rowwise() - result.means.transpose()).array().square().colwise().sum()
        / static_cast<double>(data.rows()))
                                    .sqrt()
                                    .transpose();
    return result;
}

Result<Eigen::MatrixXd> Standardisation::apply(const Eigen::MatrixXd &data) const
{
    if (data.cols() != means.size())
        return fail(ErrorCode::InvalidArgument,
            "observations have " + std::to_string(data.cols()) + " columns; the standardisation has "
                + std::to_string(means.size()));
    return ((data.rowwise() - means.transpose()).array().rowwise() / standardDeviations.transpose().array())
        .matrix();
}

} // namespace mosaic::records
