// SPDX-License-Identifier: Apache-2.0
#include "core/model/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <string>

namespace mosaic {

namespace {

constexpr std::size_t kMaxBins = 10000;
constexpr int kMaxNewtonIterations = 200;
constexpr int kMaxStepHalvings = 60;
constexpr double kNewtonStepTolerance = 1e-12;

struct ClassCounts
{
    std::size_t positives = 0;
    std::size_t negatives = 0;
};

// The one gate every function here passes its input through.
Result<ClassCounts> validate(std::span<const double> probabilities, std::span<const int> labels)
{
    if (probabilities.size() != labels.size())
        return fail(ErrorCode::InvalidArgument,
            "there are " + std::to_string(probabilities.size()) + " probabilities but "
                + std::to_string(labels.size()) + " labels");
    ClassCounts counts;
    for (std::size_t row = 0; row < probabilities.size(); ++row) {
        const double p = probabilities[row];
        if (!(p >= 0.0 && p <= 1.0)) // also refuses NaN
            return fail(ErrorCode::InvalidArgument,
                "probability " + std::to_string(row + 1) + " is not in [0, 1]: " + std::to_string(p));
        if (labels[row] == 1)
            ++counts.positives;
        else if (labels[row] == 0)
            ++counts.negatives;
        else
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(row + 1) + " is not 0 or 1: " + std::to_string(labels[row]));
    }
    if (counts.positives == 0 || counts.negatives == 0)
        return fail(ErrorCode::InvalidArgument,
            "calibration needs both outcomes; there are " + std::to_string(counts.positives)
                + " event(s) and " + std::to_string(counts.negatives) + " non-event(s)");
    return counts;
}

double clampedLogit(double p)
{
    const double clamped = std::clamp(p, kCalibrationClamp, 1.0 - kCalibrationClamp);
    return std::log(clamped / (1.0 - clamped));
}

// log(1 + exp(f)) without overflow.
double softplus(double f)
{
    return f > 0.0 ? f + std::log1p(std::exp(-f)) : std::log1p(std::exp(f));
}

// P(event) under Platt's form, 1 / (1 + exp(f)), without overflow.
double plattProbability(double f)
{
    if (f >= 0.0) {
        const double e = std::exp(-f);
        return e / (1.0 + e);
    }
    return 1.0 / (1.0 + std::exp(f));
}

} // namespace

double PlattScaling::apply(double probability) const
{
    if (std::isnan(probability))
        return probability;
    return plattProbability(a * clampedLogit(probability) + b);
}

Result<PlattScaling> fitPlatt(std::span<const double> probabilities, std::span<const int> labels)
{
    const auto counts = validate(probabilities, labels);
    if (!counts)
        return std::unexpected(counts.error());

    const std::size_t n = probabilities.size();
    std::vector<double> scores(n), targets(n);
    const auto positives = static_cast<double>(counts->positives);
    const auto negatives = static_cast<double>(counts->negatives);
    for (std::size_t row = 0; row < n; ++row) {
        scores[row] = clampedLogit(probabilities[row]);
        targets[row] = labels[row] == 1 ? (positives + 1.0) / (positives + 2.0) : 1.0 / (negatives + 2.0);
    }
    const auto [lowest, highest] = std::ranges::minmax(scores);
    if (lowest == highest)
        return fail(ErrorCode::InvalidArgument,
            "Platt scaling needs at least two different probabilities; all are equal");

    // With f = a F + b and P = 1 / (1 + exp(f)), the loss per row is
    //   -[t log P + (1 - t) log(1 - P)] = softplus(f) - (1 - t) f,
    // whose derivative in f is (1 - P) - (1 - t) = t - P and second derivative P (1 - P).
    const auto loss = [&](double a, double b) {
        double sum = 0.0;
        for (std::size_t row = 0; row < n; ++row) {
            const double f = a * scores[row] + b;
            sum += softplus(f) - (1.0 - targets[row]) * f;
        }
        return sum;
    };

    // scikit-learn's starting point: slope 0 and the smoothed prior log-odds of a non-event.
    double a = 0.0;
    double b = std::log((negatives + 1.0) / (positives + 1.0));
    double current = loss(a, b);
    for (int iteration = 0; iteration < kMaxNewtonIterations; ++iteration) {
        double ga = 0.0, gb = 0.0, haa = 0.0, hab = 0.0, hbb = 0.0;
        for (std::size_t row = 0; row < n; ++row) {
            const double p = plattProbability(a * scores[row] + b);
            const double d = targets[row] - p;
            const double w = p * (1.0 - p);
            ga += d * scores[row];
            gb += d;
            haa += w * scores[row] * scores[row];
            hab += w * scores[row];
            hbb += w;
        }
        // A tiny ridge keeps the 2x2 system solvable when the weights underflow (Lin et al. 2007).
        haa += 1e-12;
        hbb += 1e-12;
        const double det = haa * hbb - hab * hab;
        if (!(det > 0.0) || !std::isfinite(det))
            break;
        const double da = -(hbb * ga - hab * gb) / det;
        const double db = -(-hab * ga + haa * gb) / det;
        // Near the minimum Newton converges quadratically; a step this small is rounding.
        if (std::abs(da) <= kNewtonStepTolerance * (1.0 + std::abs(a))
            && std::abs(db) <= kNewtonStepTolerance * (1.0 + std::abs(b)))
            return PlattScaling { a + da, b + db };
        // Armijo backtracking (the step's predicted change ga * da + gb * db is negative), with an
        // allowance for the loss's own rounding so that the last steps are not refused as noise.
        const double predicted = ga * da + gb * db;
        const double allowance = 1e-13 * (1.0 + std::abs(current));
        double scale = 1.0;
        bool accepted = false;
        for (int halving = 0; halving < kMaxStepHalvings; ++halving, scale *= 0.5) {
            const double candidate = loss(a + scale * da, b + scale * db);
            if (std::isfinite(candidate) && candidate <= current + 1e-4 * scale * predicted + allowance) {
                a += scale * da;
                b += scale * db;
                current = candidate;
                accepted = true;
                break;
            }
        }
        if (!accepted)
            break;
    }
    return fail(ErrorCode::InvalidArgument, "the Platt scaling fit did not converge");
}

double IsotonicCalibration::apply(double probability) const
{
    if (std::isnan(probability) || thresholds.empty())
        return std::numeric_limits<double>::quiet_NaN();
    if (probability <= thresholds.front())
        return values.front();
    if (probability >= thresholds.back())
        return values.back();
    const auto upper = std::ranges::upper_bound(thresholds, probability);
    const auto i = static_cast<std::size_t>(upper - thresholds.begin()); // 1 <= i < size
    const double x0 = thresholds[i - 1], x1 = thresholds[i];
    const double y0 = values[i - 1], y1 = values[i];
    return y0 + (y1 - y0) * (probability - x0) / (x1 - x0);
}

Result<IsotonicCalibration> fitIsotonic(std::span<const double> probabilities, std::span<const int> labels)
{
    const auto counts = validate(probabilities, labels);
    if (!counts)
        return std::unexpected(counts.error());

    std::vector<std::size_t> order(probabilities.size());
    std::iota(order.begin(), order.end(), std::size_t { 0 });
    std::ranges::stable_sort(order, {}, [&](std::size_t row) { return probabilities[row]; });

    // Pool ties in p: one point per distinct probability, weighted by its rows.
    struct Block
    {
        double sum = 0.0; // events (weighted mean times weight)
        double weight = 0.0;
        std::size_t points = 0; // distinct probabilities merged into the block
    };
    IsotonicCalibration fit;
    std::vector<Block> points;
    for (const std::size_t row : order) {
        const double p = probabilities[row];
        if (fit.thresholds.empty() || p != fit.thresholds.back()) {
            fit.thresholds.push_back(p);
            points.push_back({});
        }
        points.back().sum += labels[row];
        points.back().weight += 1.0;
    }

    // Pool adjacent violators: keep a stack of blocks with increasing means; a new point that is
    // below the top block's mean merges with it, and the merge repeats down the stack.
    std::vector<Block> stack;
    stack.reserve(points.size());
    for (const Block &point : points) {
        stack.push_back({ point.sum, point.weight, 1 });
        while (stack.size() > 1) {
            const Block &top = stack.back();
            const Block &below = stack[stack.size() - 2];
            if (below.sum / below.weight <= top.sum / top.weight)
                break;
            const Block merged { below.sum + top.sum, below.weight + top.weight, below.points + top.points };
            stack.pop_back();
            stack.back() = merged;
        }
    }
    fit.values.reserve(points.size());
    for (const Block &block : stack)
        fit.values.insert(fit.values.end(), block.points, block.sum / block.weight);
    return fit;
}

Result<std::vector<ReliabilityBin>> reliabilityCurve(std::span<const double> probabilities,
    std::span<const int> labels, std::size_t bins, BinStrategy strategy)
{
    if (bins == 0 || bins > kMaxBins)
        return fail(ErrorCode::InvalidArgument,
            "the number of bins must be between 1 and " + std::to_string(kMaxBins) + "; it is "
                + std::to_string(bins));
    const auto counts = validate(probabilities, labels);
    if (!counts)
        return std::unexpected(counts.error());

    // Edges computed as numpy does for scikit-learn: linspace(0, 1, bins + 1) is i * (1 / bins).
    const double step = 1.0 / static_cast<double>(bins);
    std::vector<double> edges(bins + 1);
    if (strategy == BinStrategy::Uniform) {
        for (std::size_t i = 0; i <= bins; ++i)
            edges[i] = static_cast<double>(i) * step;
        edges[bins] = 1.0;
    } else {
        // numpy.percentile's default ("linear", Hyndman & Fan type 7): the quantile q sits at
        // position (n - 1) q of the sorted values, interpolated between its neighbours.
        std::vector<double> sorted(probabilities.begin(), probabilities.end());
        std::ranges::sort(sorted);
        const auto n = static_cast<double>(sorted.size());
        for (std::size_t i = 0; i <= bins; ++i) {
            const double q = (static_cast<double>(i) * step * 100.0) / 100.0;
            const double position = std::clamp(n * q + (1.0 - q) - 1.0, 0.0, n - 1.0);
            const double below = std::floor(position);
            const double t = position - below;
            const auto lo = static_cast<std::size_t>(below);
            const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
            const double a = sorted[lo], b = sorted[hi], diff = b - a;
            // numpy's _lerp: from the nearer end, so that t = 1 gives b exactly.
            edges[i] = t >= 0.5 ? b - diff * (1.0 - t) : a + diff * t;
        }
    }

    std::vector<double> predictedSum(bins, 0.0), eventSum(bins, 0.0);
    std::vector<std::size_t> binCount(bins, 0);
    const auto inner = std::span<const double>(edges).subspan(1, bins - 1);
    for (std::size_t row = 0; row < probabilities.size(); ++row) {
        // The number of inner edges strictly below p (numpy.searchsorted, side "left").
        const auto bin
            = static_cast<std::size_t>(std::ranges::lower_bound(inner, probabilities[row]) - inner.begin());
        predictedSum[bin] += probabilities[row];
        eventSum[bin] += labels[row];
        ++binCount[bin];
    }

    std::vector<ReliabilityBin> curve;
    for (std::size_t bin = 0; bin < bins; ++bin) {
        if (binCount[bin] == 0)
            continue;
        const auto count = static_cast<double>(binCount[bin]);
        curve.push_back(
            { edges[bin], edges[bin + 1], predictedSum[bin] / count, eventSum[bin] / count, binCount[bin] });
    }
    return curve;
}

Result<CalibrationError> calibrationError(
    std::span<const double> probabilities, std::span<const int> labels, std::size_t bins)
{
    const auto curve = reliabilityCurve(probabilities, labels, bins, BinStrategy::Uniform);
    if (!curve)
        return std::unexpected(curve.error());
    CalibrationError error;
    const auto total = static_cast<double>(probabilities.size());
    for (const ReliabilityBin &bin : *curve) {
        const double gap = std::abs(bin.observedFraction - bin.meanPredicted);
        error.expected += static_cast<double>(bin.count) / total * gap;
        error.maximum = std::max(error.maximum, gap);
    }
    return error;
}

Result<CalibrationSummary> summarizeCalibration(
    std::span<const double> probabilities, std::span<const int> labels, std::size_t bins)
{
    CalibrationSummary summary;
    auto curve = reliabilityCurve(probabilities, labels, bins, BinStrategy::Uniform);
    if (!curve)
        return std::unexpected(curve.error());
    const auto fit = calibration(probabilities, labels);
    if (!fit)
        return std::unexpected(fit.error());
    const auto error = calibrationError(probabilities, labels, bins);
    if (!error)
        return std::unexpected(error.error());
    summary.fit = *fit;
    summary.error = *error;
    summary.curve = std::move(*curve);
    return summary;
}

double ProbabilityCalibration::apply(double probability) const
{
    switch (method) {
    case Method::Platt: return platt.apply(probability);
    case Method::Isotonic: return isotonic.apply(probability);
    case Method::None: break;
    }
    return probability;
}

std::string_view calibrationMethodName(ProbabilityCalibration::Method method)
{
    switch (method) {
    case ProbabilityCalibration::Method::Platt: return "platt";
    case ProbabilityCalibration::Method::Isotonic: return "isotonic";
    case ProbabilityCalibration::Method::None: break;
    }
    return "none";
}

std::optional<ProbabilityCalibration::Method> calibrationMethodFromName(std::string_view name)
{
    for (auto method : { ProbabilityCalibration::Method::None, ProbabilityCalibration::Method::Platt,
             ProbabilityCalibration::Method::Isotonic })
        if (calibrationMethodName(method) == name)
            return method;
    return std::nullopt;
}

Result<ProbabilityCalibration> fitCalibration(
    ProbabilityCalibration::Method method, std::span<const double> probabilities, std::span<const int> labels)
{
    ProbabilityCalibration fitted;
    fitted.method = method;
    if (method == ProbabilityCalibration::Method::Platt) {
        auto platt = fitPlatt(probabilities, labels);
        if (!platt)
            return std::unexpected(platt.error());
        fitted.platt = *platt;
    } else if (method == ProbabilityCalibration::Method::Isotonic) {
        auto isotonic = fitIsotonic(probabilities, labels);
        if (!isotonic)
            return std::unexpected(isotonic.error());
        fitted.isotonic = std::move(*isotonic);
    }
    return fitted;
}

} // namespace mosaic
