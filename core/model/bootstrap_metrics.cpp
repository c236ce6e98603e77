// SPDX-License-Identifier: Apache-2.0
#include "core/model/bootstrap_metrics.h"

#include "core/model/stratified_folds.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <string>
#include <system_error>
#include <utility>

namespace mosaic {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A multi-class row's probabilities must add up to 1 within this much.
constexpr double kRowSumTolerance = 1e-6;

// numpy.percentile(values, q) with the default "linear" method on sorted values: the virtual index
// q/100 * (m - 1) between two order statistics, interpolated as numpy 1.24's _lerp does (from the
// upper neighbour when the fraction is at least 1/2), so that the result matches to the last bit.
double percentileOfSorted(const std::vector<double> &sorted, double fraction)
{
    const double virtualIndex = fraction * static_cast<double>(sorted.size() - 1);
    const double below = std::floor(virtualIndex);
    const auto lower = static_cast<std::size_t>(below);
    const std::size_t upper = std::min(lower + 1, sorted.size() - 1);
    const double gamma = virtualIndex - below;
    const double a = sorted[lower];
    const double b = sorted[upper];
    const double difference = b - a;
    return gamma >= 0.5 ? b - difference * (1.0 - gamma) : a + difference * gamma;
}

void recordReplicate(MetricInterval &metric, double value, std::string_view reason)
{
    metric.replicates.push_back(value);
    if (std::isnan(value)) {
        ++metric.undefinedResamples;
        if (metric.undefinedReason.empty())
            metric.undefinedReason = "undefined on a resample: " + std::string(reason);
    } else {
        ++metric.definedResamples;
    }
}

void recordReplicate(MetricInterval &metric, const Result<double> &value)
{
    if (value)
        recordReplicate(metric, *value, {});
    else
        recordReplicate(metric, kNaN, value.error().detail);
}

void setEstimate(MetricInterval &metric, double value, std::string_view reason)
{
    metric.defined = !std::isnan(value);
    metric.estimate = value;
    if (!metric.defined)
        metric.undefinedReason = "undefined on the original rows: " + std::string(reason);
}

void reserveReplicates(std::size_t resamples, std::initializer_list<MetricInterval *> metrics)
{
    for (MetricInterval *metric : metrics)
        metric->replicates.reserve(resamples);
}

Result<void> validateOptions(const BootstrapOptions &options)
{
    if (options.resamples == 0 || options.resamples > kMaxBootstrapResamples)
        return fail(ErrorCode::InvalidArgument,
            "the number of bootstrap resamples must be between 1 and "
                + std::to_string(kMaxBootstrapResamples) + "; it is " + std::to_string(options.resamples));
    return {};
}

Result<void> validateThreshold(double threshold)
{
    if (!(threshold > 0.0 && threshold < 1.0))
        return fail(ErrorCode::InvalidArgument,
            "the decision threshold must lie strictly between 0 and 1; it is " + std::to_string(threshold));
    return {};
}

struct BinaryCounts
{
    std::size_t positives = 0;
    std::size_t negatives = 0;
};

// Sizes, labels, finiteness and range, with metrics.h's own messages (Brier needs exactly these).
Result<BinaryCounts> validateBinary(std::span<const double> probabilities, std::span<const int> labels)
{
    if (auto brier = brierScore(probabilities, labels); !brier)
        return std::unexpected(brier.error());
    BinaryCounts counts;
    for (const int label : labels)
        ++(label == 1 ? counts.positives : counts.negatives);
    return counts;
}

std::string classCountText(std::size_t positives, std::size_t negatives)
{
    return std::to_string(positives) + " case(s) (label 1) and " + std::to_string(negatives)
        + " control(s) (label 0)";
}

ThresholdMetrics countAtThreshold(
    std::span<const double> probabilities, std::span<const int> labels, double threshold)
{
    ThresholdMetrics metrics;
    metrics.threshold = threshold;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        const bool called = probabilities[row] >= threshold;
        if (labels[row] == 1)
            ++(called ? metrics.truePositives : metrics.falseNegatives);
        else
            ++(called ? metrics.falsePositives : metrics.trueNegatives);
    }
    const auto ratio = [](std::size_t numerator, std::size_t other) {
        const std::size_t denominator = numerator + other;
        return denominator == 0 ? kNaN : static_cast<double>(numerator) / static_cast<double>(denominator);
    };
    metrics.sensitivity = ratio(metrics.truePositives, metrics.falseNegatives);
    metrics.specificity = ratio(metrics.trueNegatives, metrics.falsePositives);
    metrics.positivePredictiveValue = ratio(metrics.truePositives, metrics.falsePositives);
    metrics.negativePredictiveValue = ratio(metrics.trueNegatives, metrics.falseNegatives);
    return metrics;
}

constexpr std::string_view kNoPositiveCall = "no row's probability reaches the threshold, so PPV is 0/0";
constexpr std::string_view kNoNegativeCall = "every row's probability reaches the threshold, so NPV is 0/0";
constexpr std::string_view kNoCase = "no row has label 1, so sensitivity is 0/0";
constexpr std::string_view kNoControl = "no row has label 0, so specificity is 0/0";

// Labels 0 .. K-1 grouped by class, each class's rows ascending.
std::vector<std::vector<std::size_t>> rowsByClass(std::span<const int> labels, std::size_t classCount)
{
    std::vector<std::vector<std::size_t>> rows(classCount);
    for (std::size_t row = 0; row < labels.size(); ++row)
        rows[static_cast<std::size_t>(labels[row])].push_back(row);
    return rows;
}

Result<std::size_t> classCountOf(std::span<const int> labels)
{
    if (labels.empty())
        return fail(ErrorCode::InvalidArgument, "there are no rows to resample");
    int largest = 0;
    for (std::size_t row = 0; row < labels.size(); ++row) {
        if (labels[row] < 0)
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row)
                    + " is negative; class labels are 0, 1, ...");
        if (static_cast<std::size_t>(labels[row]) >= kMaxBootstrapClasses)
            return fail(ErrorCode::LimitExceeded,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row) + " exceeds the "
                    + std::to_string(kMaxBootstrapClasses) + "-class limit");
        largest = std::max(largest, labels[row]);
    }
    return static_cast<std::size_t>(largest) + 1;
}

} // namespace

// ---- Resampling ----------------------------------------------------------------------------------

namespace detail {

void finishInterval(MetricInterval &metric)
{
    std::vector<double> defined;
    defined.reserve(metric.definedResamples);
    for (const double value : metric.replicates) {
        if (!std::isnan(value))
            defined.push_back(value);
    }
    if (defined.empty()) {
        metric.ci95 = { kNaN, kNaN };
        return;
    }
    std::ranges::sort(defined);
    metric.ci95.lower = percentileOfSorted(defined, 0.025);
    metric.ci95.upper = percentileOfSorted(defined, 0.975);
}

StratifiedResampler::StratifiedResampler(
    std::vector<std::vector<std::size_t>> rowsByClass, std::uint64_t seed)
    : rowsByClass_(std::move(rowsByClass))
    , engine_(seed)
{ }

void StratifiedResampler::next(std::vector<std::size_t> &rows)
{
    rows.clear();
    for (const auto &classRows : rowsByClass_) {
        for (std::size_t draw = 0; draw < classRows.size(); ++draw)
            rows.push_back(classRows[static_cast<std::size_t>(uniformIndexBelow(engine_, classRows.size()))]);
    }
}

Result<StratifiedResampler> makeResampler(std::span<const int> labels, const BootstrapOptions &options)
{
    if (auto valid = validateOptions(options); !valid)
        return std::unexpected(valid.error());
    const auto classCount = classCountOf(labels);
    if (!classCount)
        return std::unexpected(classCount.error());
    auto rows = rowsByClass(labels, *classCount);
    for (std::size_t label = 0; label < rows.size(); ++label) {
        if (rows[label].empty())
            return fail(ErrorCode::InvalidArgument,
                "class " + std::to_string(label) + " has no rows although a higher class label occurs");
    }
    return StratifiedResampler(std::move(rows), options.seed);
}

} // namespace detail

Result<std::vector<std::vector<std::size_t>>> stratifiedBootstrapIndices(
    std::span<const int> labels, const BootstrapOptions &options)
{
    auto resampler = detail::makeResampler(labels, options);
    if (!resampler)
        return std::unexpected(resampler.error());
    if (labels.size() > kMaxBootstrapIndices / options.resamples)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(options.resamples) + " resamples of " + std::to_string(labels.size())
                + " rows exceed the limit of " + std::to_string(kMaxBootstrapIndices) + " stored indices");
    std::vector<std::vector<std::size_t>> resamples(options.resamples);
    for (auto &rows : resamples) {
        rows.reserve(labels.size());
        resampler->next(rows);
    }
    return resamples;
}

// ---- Binary --------------------------------------------------------------------------------------

Result<ThresholdMetrics> thresholdMetrics(
    std::span<const double> probabilities, std::span<const int> labels, double threshold)
{
    if (auto counts = validateBinary(probabilities, labels); !counts)
        return std::unexpected(counts.error());
    if (auto valid = validateThreshold(threshold); !valid)
        return std::unexpected(valid.error());
    return countAtThreshold(probabilities, labels, threshold);
}

Result<BinaryBootstrapReport> bootstrapBinaryMetrics(std::span<const double> probabilities,
    std::span<const int> labels, double threshold, const BootstrapOptions &options)
{
    const auto counts = validateBinary(probabilities, labels);
    if (!counts)
        return std::unexpected(counts.error());
    if (auto valid = validateThreshold(threshold); !valid)
        return std::unexpected(valid.error());
    if (counts->positives < 2 || counts->negatives < 2)
        return fail(ErrorCode::InvalidArgument,
            "bootstrap intervals need at least two cases and two controls; there are "
                + classCountText(counts->positives, counts->negatives));
    auto resampler = detail::makeResampler(labels, options);
    if (!resampler)
        return std::unexpected(resampler.error());

    BinaryBootstrapReport report;
    report.cases = labels.size();
    report.positives = counts->positives;
    report.resamples = options.resamples;
    report.seed = options.seed;

    // Point estimates on the original rows.
    const auto delong = aurocDeLong(probabilities, labels);
    if (!delong)
        return std::unexpected(delong.error());
    report.aurocDeLong = *delong;
    setEstimate(report.auroc, delong->auroc, {});
    const auto auprc = averagePrecision(probabilities, labels);
    setEstimate(report.auprc, auprc ? *auprc : kNaN, auprc ? "" : auprc.error().detail);
    const auto brier = brierScore(probabilities, labels);
    setEstimate(report.brier, brier ? *brier : kNaN, brier ? "" : brier.error().detail);
    const auto fit = calibration(probabilities, labels);
    setEstimate(report.calibrationSlope, fit ? fit->slope : kNaN, fit ? "" : fit.error().detail);
    setEstimate(report.calibrationIntercept, fit ? fit->intercept : kNaN, fit ? "" : fit.error().detail);
    report.atThreshold = countAtThreshold(probabilities, labels, threshold);
    setEstimate(report.sensitivity, report.atThreshold.sensitivity, kNoCase);
    setEstimate(report.specificity, report.atThreshold.specificity, kNoControl);
    setEstimate(report.positivePredictiveValue, report.atThreshold.positivePredictiveValue, kNoPositiveCall);
    setEstimate(report.negativePredictiveValue, report.atThreshold.negativePredictiveValue, kNoNegativeCall);

    reserveReplicates(options.resamples,
        { &report.auroc, &report.auprc, &report.brier, &report.calibrationSlope, &report.calibrationIntercept,
            &report.sensitivity, &report.specificity, &report.positivePredictiveValue,
            &report.negativePredictiveValue });
    std::vector<std::size_t> rows;
    rows.reserve(labels.size());
    std::vector<double> resampledProbabilities(labels.size());
    std::vector<int> resampledLabels(labels.size());
    for (std::size_t resample = 0; resample < options.resamples; ++resample) {
        resampler->next(rows);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            resampledProbabilities[i] = probabilities[rows[i]];
            resampledLabels[i] = labels[rows[i]];
        }
        const auto auroc = aurocDeLong(resampledProbabilities, resampledLabels);
        recordReplicate(report.auroc, auroc ? Result<double>(auroc->auroc) : std::unexpected(auroc.error()));
        recordReplicate(report.auprc, averagePrecision(resampledProbabilities, resampledLabels));
        recordReplicate(report.brier, brierScore(resampledProbabilities, resampledLabels));
        const auto resampledFit = calibration(resampledProbabilities, resampledLabels);
        recordReplicate(report.calibrationSlope,
            resampledFit ? Result<double>(resampledFit->slope) : std::unexpected(resampledFit.error()));
        recordReplicate(report.calibrationIntercept,
            resampledFit ? Result<double>(resampledFit->intercept) : std::unexpected(resampledFit.error()));
        const auto confusion = countAtThreshold(resampledProbabilities, resampledLabels, threshold);
        recordReplicate(report.sensitivity, confusion.sensitivity, kNoCase);
        recordReplicate(report.specificity, confusion.specificity, kNoControl);
        recordReplicate(report.positivePredictiveValue, confusion.positivePredictiveValue, kNoPositiveCall);
        recordReplicate(report.negativePredictiveValue, confusion.negativePredictiveValue, kNoNegativeCall);
    }
    for (MetricInterval *metric : { &report.auroc, &report.auprc, &report.brier, &report.calibrationSlope,
             &report.calibrationIntercept, &report.sensitivity, &report.specificity,
             &report.positivePredictiveValue, &report.negativePredictiveValue })
        detail::finishInterval(*metric);
    return report;
}

// ---- Multi-class ---------------------------------------------------------------------------------

Result<MulticlassMetrics> evaluateMulticlass(
    std::span<const double> probabilities, std::size_t classCount, std::span<const int> labels)
{
    if (classCount < 2)
        return fail(ErrorCode::InvalidArgument,
            "a multi-class model needs at least 2 classes; the class count is " + std::to_string(classCount));
    if (classCount > kMaxBootstrapClasses)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(classCount) + " classes exceed the limit of "
                + std::to_string(kMaxBootstrapClasses));
    if (labels.empty())
        return fail(ErrorCode::InvalidArgument, "there are no rows to evaluate");
    if (probabilities.size() / classCount != labels.size() || probabilities.size() % classCount != 0)
        return fail(ErrorCode::InvalidArgument,
            std::to_string(probabilities.size()) + " probabilities but " + std::to_string(labels.size())
                + " labels of " + std::to_string(classCount) + " classes; there must be "
                + std::to_string(classCount) + " probabilities per label");

    MulticlassMetrics metrics;
    metrics.cases = labels.size();
    metrics.classCounts.assign(classCount, 0);
    double logLossSum = 0.0;
    double brierSum = 0.0;
    // scikit-learn's "auto" eps for float64 input.
    constexpr double eps = std::numeric_limits<double>::epsilon();
    for (std::size_t row = 0; row < labels.size(); ++row) {
        if (labels[row] < 0 || static_cast<std::size_t>(labels[row]) >= classCount)
            return fail(ErrorCode::InvalidArgument,
                "label " + std::to_string(labels[row]) + " at row " + std::to_string(row)
                    + " is not a class index 0 .. " + std::to_string(classCount - 1));
        const auto label = static_cast<std::size_t>(labels[row]);
        ++metrics.classCounts[label];
        const auto rowProbabilities = probabilities.subspan(row * classCount, classCount);
        double sum = 0.0;
        double clippedSum = 0.0;
        double squares = 0.0;
        for (std::size_t k = 0; k < classCount; ++k) {
            const double p = rowProbabilities[k];
            if (!std::isfinite(p) || p < 0.0 || p > 1.0)
                return fail(ErrorCode::InvalidArgument,
                    "probability of class " + std::to_string(k) + " at row " + std::to_string(row)
                        + " is not a number in [0, 1]");
            sum += p;
            clippedSum += std::clamp(p, eps, 1.0 - eps);
            const double difference = p - (k == label ? 1.0 : 0.0);
            squares += difference * difference;
        }
        if (std::abs(sum - 1.0) > kRowSumTolerance)
            return fail(ErrorCode::InvalidArgument,
                "the class probabilities at row " + std::to_string(row) + " sum to " + std::to_string(sum)
                    + ", not 1");
        logLossSum += -std::log(std::clamp(rowProbabilities[label], eps, 1.0 - eps) / clippedSum);
        brierSum += squares;
    }
    for (std::size_t k = 0; k < classCount; ++k) {
        if (metrics.classCounts[k] < 2)
            return fail(ErrorCode::InvalidArgument,
                "class " + std::to_string(k) + " has " + std::to_string(metrics.classCounts[k])
                    + " row(s); one-vs-rest AUROC intervals need at least two of each class");
    }
    metrics.logLoss = logLossSum / static_cast<double>(labels.size());
    metrics.brier = brierSum / static_cast<double>(labels.size());

    std::vector<double> column(labels.size());
    std::vector<int> isClass(labels.size());
    double aurocSum = 0.0;
    for (std::size_t k = 0; k < classCount; ++k) {
        for (std::size_t row = 0; row < labels.size(); ++row) {
            column[row] = probabilities[row * classCount + k];
            isClass[row] = static_cast<std::size_t>(labels[row]) == k ? 1 : 0;
        }
        const auto auroc = aurocDeLong(column, isClass);
        if (!auroc)
            return std::unexpected(auroc.error());
        metrics.oneVsRest.push_back(*auroc);
        aurocSum += auroc->auroc;
    }
    metrics.macroAuroc = aurocSum / static_cast<double>(classCount);
    return metrics;
}

Result<MulticlassBootstrapReport> bootstrapMulticlassMetrics(std::span<const double> probabilities,
    std::size_t classCount, std::span<const int> labels, const BootstrapOptions &options)
{
    auto point = evaluateMulticlass(probabilities, classCount, labels);
    if (!point)
        return std::unexpected(point.error());
    auto resampler = detail::makeResampler(labels, options);
    if (!resampler)
        return std::unexpected(resampler.error());

    MulticlassBootstrapReport report;
    report.resamples = options.resamples;
    report.seed = options.seed;
    report.oneVsRestAuroc.resize(classCount);
    for (std::size_t k = 0; k < classCount; ++k) {
        setEstimate(report.oneVsRestAuroc[k], point->oneVsRest[k].auroc, {});
        report.oneVsRestAuroc[k].replicates.reserve(options.resamples);
    }
    setEstimate(report.macroAuroc, point->macroAuroc, {});
    setEstimate(report.logLoss, point->logLoss, {});
    setEstimate(report.brier, point->brier, {});
    reserveReplicates(options.resamples, { &report.macroAuroc, &report.logLoss, &report.brier });
    report.point = std::move(*point);

    std::vector<std::size_t> rows;
    rows.reserve(labels.size());
    std::vector<double> resampledProbabilities(probabilities.size());
    std::vector<int> resampledLabels(labels.size());
    for (std::size_t resample = 0; resample < options.resamples; ++resample) {
        resampler->next(rows);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            std::ranges::copy(probabilities.subspan(rows[i] * classCount, classCount),
                resampledProbabilities.begin() + static_cast<std::ptrdiff_t>(i * classCount));
            resampledLabels[i] = labels[rows[i]];
        }
        // Every class keeps its size, so nothing checked on the original rows can fail here.
        const auto metrics = evaluateMulticlass(resampledProbabilities, classCount, resampledLabels);
        if (!metrics)
            return std::unexpected(metrics.error());
        for (std::size_t k = 0; k < classCount; ++k)
            recordReplicate(report.oneVsRestAuroc[k], metrics->oneVsRest[k].auroc, {});
        recordReplicate(report.macroAuroc, metrics->macroAuroc, {});
        recordReplicate(report.logLoss, metrics->logLoss, {});
        recordReplicate(report.brier, metrics->brier, {});
    }
    for (auto &metric : report.oneVsRestAuroc)
        detail::finishInterval(metric);
    for (MetricInterval *metric : { &report.macroAuroc, &report.logLoss, &report.brier })
        detail::finishInterval(*metric);
    return report;
}

// ---- Subgroups -----------------------------------------------------------------------------------

Result<std::vector<SubgroupReport>> bootstrapBinaryMetricsBySubgroup(std::span<const double> probabilities,
    std::span<const int> labels, std::span<const std::string> attributes, double threshold,
    const BootstrapOptions &options, const SubgroupOptions &subgroupOptions)
{
    if (auto counts = validateBinary(probabilities, labels); !counts)
        return std::unexpected(counts.error());
    if (attributes.size() != labels.size())
        return fail(ErrorCode::InvalidArgument,
            std::to_string(attributes.size()) + " subgroup attributes but " + std::to_string(labels.size())
                + " labels; they must pair up one to one");
    if (auto valid = validateThreshold(threshold); !valid)
        return std::unexpected(valid.error());
    if (auto valid = validateOptions(options); !valid)
        return std::unexpected(valid.error());
    if (subgroupOptions.minimumPerClass < 2)
        return fail(ErrorCode::InvalidArgument,
            "a subgroup needs at least 2 cases and 2 controls for its intervals; the minimum per class is "
                + std::to_string(subgroupOptions.minimumPerClass));

    std::map<std::string, std::vector<std::size_t>, std::less<>> rowsBySubgroup;
    for (std::size_t row = 0; row < attributes.size(); ++row) {
        auto found = rowsBySubgroup.find(attributes[row]);
        if (found == rowsBySubgroup.end()) {
            if (rowsBySubgroup.size() == kMaxSubgroups)
                return fail(ErrorCode::LimitExceeded,
                    "the subgroup attribute takes more than " + std::to_string(kMaxSubgroups)
                        + " distinct values; is it a continuous column? Band it first");
            found = rowsBySubgroup.emplace(attributes[row], std::vector<std::size_t> {}).first;
        }
        found->second.push_back(row);
    }

    std::vector<SubgroupReport> reports;
    reports.reserve(rowsBySubgroup.size());
    for (const auto &[name, rows] : rowsBySubgroup) {
        SubgroupReport report;
        report.name = name;
        report.rows = rows.size();
        std::vector<double> subgroupProbabilities;
        std::vector<int> subgroupLabels;
        subgroupProbabilities.reserve(rows.size());
        subgroupLabels.reserve(rows.size());
        for (const std::size_t row : rows) {
            subgroupProbabilities.push_back(probabilities[row]);
            subgroupLabels.push_back(labels[row]);
            ++(labels[row] == 1 ? report.positives : report.negatives);
        }
        const std::string counts
            = std::to_string(report.rows) + " row(s): " + classCountText(report.positives, report.negatives);
        if (report.positives == 0 || report.negatives == 0) {
            report.status = SubgroupStatus::SingleClass;
            report.note = "only one class is present (" + counts + ")";
        } else if (report.rows < subgroupOptions.minimumRows
            || report.positives < subgroupOptions.minimumPerClass
            || report.negatives < subgroupOptions.minimumPerClass) {
            report.status = SubgroupStatus::TooSmall;
            report.note = "too small to evaluate (" + counts + "; needs at least "
                + std::to_string(subgroupOptions.minimumRows) + " rows and "
                + std::to_string(subgroupOptions.minimumPerClass) + " of each class)";
        } else {
            auto metrics = bootstrapBinaryMetrics(subgroupProbabilities, subgroupLabels, threshold, options);
            if (!metrics)
                return std::unexpected(metrics.error());
            report.metrics = std::move(*metrics);
        }
        reports.push_back(std::move(report));
    }
    return reports;
}

Result<std::vector<std::string>> ageBands(std::span<const double> ages, std::span<const double> cutPoints)
{
    if (cutPoints.empty() || cutPoints.size() > 100)
        return fail(ErrorCode::InvalidArgument,
            "age bands need between 1 and 100 cut points; there are " + std::to_string(cutPoints.size()));
    std::vector<std::string> printed;
    for (std::size_t i = 0; i < cutPoints.size(); ++i) {
        if (!std::isfinite(cutPoints[i]))
            return fail(
                ErrorCode::InvalidArgument, "age cut point " + std::to_string(i) + " is not a finite number");
        if (i > 0 && !(cutPoints[i] > cutPoints[i - 1]))
            return fail(ErrorCode::InvalidArgument,
                "age cut points must increase strictly; cut point " + std::to_string(i) + " does not");
        std::array<char, 32> buffer {};
        const auto [end, error] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), cutPoints[i]);
        if (error != std::errc {})
            return fail(
                ErrorCode::InvalidArgument, "age cut point " + std::to_string(i) + " cannot be printed");
        printed.emplace_back(buffer.data(), end);
    }
    std::vector<std::string> names;
    names.reserve(cutPoints.size() + 1);
    names.push_back("<" + printed.front());
    for (std::size_t i = 0; i + 1 < printed.size(); ++i)
        names.push_back(printed[i] + "-<" + printed[i + 1]);
    names.push_back(">=" + printed.back());

    std::vector<std::string> bands;
    bands.reserve(ages.size());
    for (std::size_t row = 0; row < ages.size(); ++row) {
        const double age = ages[row];
        if (std::isnan(age)) {
            bands.emplace_back("missing");
            continue;
        }
        if (!std::isfinite(age) || age < 0.0)
            return fail(ErrorCode::InvalidArgument,
                "age at row " + std::to_string(row) + " is " + (age < 0.0 ? "negative" : "infinite"));
        // The number of cut points at or below the age is the band's index.
        const auto band
            = static_cast<std::size_t>(std::ranges::upper_bound(cutPoints, age) - cutPoints.begin());
        bands.push_back(names[band]);
    }
    return bands;
}

} // namespace mosaic
