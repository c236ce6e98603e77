// SPDX-License-Identifier: Apache-2.0
// 95% confidence intervals for a validation report by the stratified percentile bootstrap: the cases
// and the controls (each class, for a multi-class model) are resampled with replacement separately,
// so every resample holds every class in its original number and AUROC is always defined. The point
// estimates and each resample's metric come from metrics.h (aurocDeLong, averagePrecision,
// brierScore, calibration); the DeLong interval of the AUROC is kept alongside the bootstrap one.
//
// Reproducible on every platform: the resamples are drawn from std::mt19937_64 (standardised) with
// our own rejection-sampled index draw, not std::uniform_int_distribution (whose algorithm each
// standard library chooses; see stratified_folds.h). Resample r draws, for each class in ascending
// label order, as many rows as the class has, each uniformly from that class's rows (ascending row
// order), from one engine seeded once with `seed`.
//
// A metric undefined on a resample (calibration slope when the resampled predictions separate the
// classes; PPV when no resampled row reaches the threshold) is counted and its first reason kept,
// never silently dropped; the interval is taken over the resamples where it is defined. Keeping the
// class counts fixed ignores the sampling variation of the prevalence, so intervals of
// prevalence-dependent metrics (Brier, PPV, NPV, net benefit) are slightly narrower than those of an
// unstratified bootstrap.
#pragma once

#include "core/error.h"
#include "core/model/metrics.h"

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

namespace mosaic {

inline constexpr std::size_t kDefaultBootstrapResamples = 2000;
inline constexpr std::size_t kMaxBootstrapResamples = 100000;
// stratifiedBootstrapIndices materialises every resample; it refuses more than this many indices
// (resamples x rows), 800 MB of std::size_t. The report functions draw one resample at a time.
inline constexpr std::size_t kMaxBootstrapIndices = 100'000'000;
// Labels are class indices below the class count; more classes than this is a mistaken column.
inline constexpr std::size_t kMaxBootstrapClasses = 1000;

struct BootstrapOptions
{
    std::size_t resamples = kDefaultBootstrapResamples; // 1 .. kMaxBootstrapResamples
    std::uint64_t seed = 20061101; // any value; the same seed gives the same resamples everywhere
};

// The rows of every resample, in draw order (class 0's draws, then class 1's, ...). Exposed so that a
// peer tool can recompute each resample's metric on exactly the same rows. Labels 0 .. K-1 with K the
// largest label + 1; InvalidArgument for a negative label, an empty class below K, no rows, or
// resamples outside 1 .. kMaxBootstrapResamples; LimitExceeded above kMaxBootstrapIndices or
// kMaxBootstrapClasses.
Result<std::vector<std::vector<std::size_t>>> stratifiedBootstrapIndices(
    std::span<const int> labels, const BootstrapOptions &options = {});

// A metric's value on the original rows and its bootstrap percentile interval.
struct MetricInterval
{
    bool defined = false; // the metric exists on the original rows; `estimate` is NaN otherwise
    double estimate = 0.0;
    // The 2.5th and 97.5th percentiles of the defined resample values, interpolated linearly between
    // order statistics (numpy.percentile's default). NaN when no resample is defined.
    ConfidenceInterval ci95;
    std::size_t definedResamples = 0;
    std::size_t undefinedResamples = 0;
    // Why the metric was undefined on the original rows or on the first undefined resample; empty
    // when it was always defined.
    std::string undefinedReason;
    std::vector<double> replicates; // one per resample, in resample order; NaN where undefined
};

// Confusion counts at a decision threshold: a row is called positive when its probability is at
// least the threshold. Ratios are NaN when their denominator is zero.
struct ThresholdMetrics
{
    double threshold = 0.5;
    std::size_t truePositives = 0;
    std::size_t falsePositives = 0;
    std::size_t trueNegatives = 0;
    std::size_t falseNegatives = 0;
    double sensitivity = 0.0; // TP / (TP + FN)
    double specificity = 0.0; // TN / (TN + FP)
    double positivePredictiveValue = 0.0; // TP / (TP + FP)
    double negativePredictiveValue = 0.0; // TN / (TN + FN)
};

// InvalidArgument for the input errors of metrics.h (sizes, labels, non-finite values, probabilities
// outside [0, 1]) and for a threshold that is not inside (0, 1).
Result<ThresholdMetrics> thresholdMetrics(
    std::span<const double> probabilities, std::span<const int> labels, double threshold);

struct BinaryBootstrapReport
{
    std::size_t cases = 0; // rows
    std::size_t positives = 0;
    std::size_t resamples = 0;
    std::uint64_t seed = 0;
    AurocEstimate aurocDeLong; // point estimate with the DeLong standard error and interval
    ThresholdMetrics atThreshold; // on the original rows
    MetricInterval auroc;
    MetricInterval auprc;
    MetricInterval brier;
    MetricInterval calibrationSlope;
    MetricInterval calibrationIntercept;
    MetricInterval sensitivity;
    MetricInterval specificity;
    MetricInterval positivePredictiveValue;
    MetricInterval negativePredictiveValue;
};

// InvalidArgument for the input errors of thresholdMetrics, for bad options, and when the rows hold
// fewer than two cases or two controls (the DeLong interval needs two of each). A metric undefined
// on the original rows or some resamples does not fail the report; see MetricInterval.
Result<BinaryBootstrapReport> bootstrapBinaryMetrics(std::span<const double> probabilities,
    std::span<const int> labels, double threshold, const BootstrapOptions &options = {});

// Multi-class predictions: `probabilities` holds one row of `classCount` class probabilities per
// case, row-major (case i's probability of class k at i * classCount + k); labels are 0 .. K-1.
struct MulticlassMetrics
{
    std::size_t cases = 0;
    std::vector<std::size_t> classCounts;
    std::vector<AurocEstimate> oneVsRest; // class k against all others, with DeLong intervals
    double macroAuroc = 0.0; // unweighted mean of the one-vs-rest AUROCs
    // scikit-learn 1.2's log_loss: probabilities clipped to [eps, 1 - eps] (eps = 2^-52), each row
    // renormalised to sum 1, then the mean of -ln p(true class).
    double logLoss = 0.0;
    // Brier's (1950) multi-class score: mean over cases of sum_k (p_k - [label = k])^2, in [0, 2].
    double brier = 0.0;
};

// InvalidArgument when classCount < 2, the sizes do not match (probabilities.size() must be
// labels.size() * classCount), a probability is not finite or outside [0, 1], a row's probabilities
// do not sum to 1 within 1e-6, a label is outside 0 .. classCount-1, or a class has fewer than two
// rows. LimitExceeded when classCount > kMaxBootstrapClasses.
Result<MulticlassMetrics> evaluateMulticlass(
    std::span<const double> probabilities, std::size_t classCount, std::span<const int> labels);

struct MulticlassBootstrapReport
{
    MulticlassMetrics point;
    std::size_t resamples = 0;
    std::uint64_t seed = 0;
    std::vector<MetricInterval> oneVsRestAuroc; // per class
    MetricInterval macroAuroc;
    MetricInterval logLoss;
    MetricInterval brier;
};

// Fails as evaluateMulticlass, or for bad options.
Result<MulticlassBootstrapReport> bootstrapMulticlassMetrics(std::span<const double> probabilities,
    std::size_t classCount, std::span<const int> labels, const BootstrapOptions &options = {});

// ---- Subgroups ---------------------------------------------------------------------------------

// Each row belongs to the subgroup named by its attribute (e.g. sex "F" / "M", an age band from
// ageBands()); an empty attribute is a subgroup of its own (named "").
inline constexpr std::size_t kMaxSubgroups = 1000;

struct SubgroupOptions
{
    std::size_t minimumRows = 10; // fewer rows: reported as too small, not evaluated
    std::size_t minimumPerClass = 2; // fewer cases or controls: likewise (at least 2, for DeLong)
};

enum class SubgroupStatus {
    Evaluated,
    SingleClass, // every row of the subgroup has the same label
    TooSmall, // fewer rows than minimumRows, or fewer cases or controls than minimumPerClass
};

struct SubgroupReport
{
    std::string name;
    SubgroupStatus status = SubgroupStatus::Evaluated;
    std::size_t rows = 0;
    std::size_t positives = 0;
    std::size_t negatives = 0;
    std::string note; // why it was not evaluated, with the counts; empty when evaluated
    BinaryBootstrapReport metrics; // filled only when Evaluated
};

// The binary report of each subgroup, ordered by name (byte order), each exactly what
// bootstrapBinaryMetrics gives on that subgroup's rows (in their original order) with the same
// threshold and options. The whole input is validated first (as bootstrapBinaryMetrics, plus
// attributes.size() == rows); a subgroup too small or with one class present is reported with its
// counts instead of failing the others. LimitExceeded above kMaxSubgroups subgroups;
// InvalidArgument for minimumPerClass < 2.
Result<std::vector<SubgroupReport>> bootstrapBinaryMetricsBySubgroup(std::span<const double> probabilities,
    std::span<const int> labels, std::span<const std::string> attributes, double threshold,
    const BootstrapOptions &options = {}, const SubgroupOptions &subgroupOptions = {});

// Age bands from strictly increasing cut points: cuts {50, 65} give "<50", "50-<65" and ">=65"
// (an age equal to a cut point falls in the band above it). A NaN age gives "missing". Cut points
// print in the shortest form that reads back exactly (47.5, 50). InvalidArgument for no or more than
// 100 cut points, a non-finite or non-increasing cut point, or an age that is negative or infinite.
Result<std::vector<std::string>> ageBands(std::span<const double> ages, std::span<const double> cutPoints);

// ---- Internal: shared with decision_curve.cpp -------------------------------------------------

namespace detail {

// Draws the resamples documented above one at a time.
class StratifiedResampler
{
public:
    StratifiedResampler(std::vector<std::vector<std::size_t>> rowsByClass, std::uint64_t seed);
    void next(std::vector<std::size_t> &rows); // replaces `rows` with the next resample's rows

private:
    std::vector<std::vector<std::size_t>> rowsByClass_;
    std::mt19937_64 engine_;
};

// Sorts the defined replicates and sets ci95 from their 2.5th and 97.5th percentiles.
void finishInterval(MetricInterval &metric);

// Validates the options and the labels as stratifiedBootstrapIndices does.
Result<StratifiedResampler> makeResampler(std::span<const int> labels, const BootstrapOptions &options);

} // namespace detail

} // namespace mosaic
