// SPDX-License-Identifier: Apache-2.0
// Discrimination and calibration of a binary risk model, as a clinician reads a validation report:
// AUROC with its 95% confidence interval, AUPRC, Brier score, calibration slope and intercept.
// Labels are 0 (event absent) or 1 (event present); probabilities are in [0, 1].
#pragma once

#include "core/error.h"

#include <cstddef>
#include <span>

namespace mosaic {

struct ConfidenceInterval
{
    double lower = 0.0;
    double upper = 0.0;
};

struct AurocEstimate
{
    double auroc = 0.0; // Mann-Whitney: P(score of a case > score of a control), ties 1/2
    double standardError = 0.0; // DeLong, DeLong & Clarke-Pearson 1988
    ConfidenceInterval ci95; // auroc +- 1.959964 * standardError, clipped to [0, 1]
};

// InvalidArgument when the sizes differ, a label is not 0/1, a score is not finite, or one class
// is absent. Also when there are fewer than two cases or two controls: the DeLong variance
// divides each class's spread by its size minus one, so a single member leaves it undefined.
Result<AurocEstimate> aurocDeLong(std::span<const double> scores, std::span<const int> labels);

// Area under the precision-recall curve as average precision: sum over thresholds of
// (recall_k - recall_{k-1}) * precision_k, ties handled as one threshold (scikit-learn's
// average_precision_score). Needs at least one positive.
Result<double> averagePrecision(std::span<const double> scores, std::span<const int> labels);

// Mean squared difference between probability and outcome.
Result<double> brierScore(std::span<const double> probabilities, std::span<const int> labels);

struct CalibrationFit
{
    // Logistic recalibration (Cox 1958): logit P(y=1) = a + b * logit(p). 1 is ideal; below 1 the
    // predictions are too extreme.
    double slope = 0.0;
    // Calibration-in-the-large: a with b fixed at 1 (logit(p) as offset). 0 is ideal; above 0 the
    // model under-predicts risk.
    double intercept = 0.0;
};

// Probabilities are clamped to [1e-12, 1 - 1e-12] before the logit. Fitted by Newton-Raphson.
// InvalidArgument when a class is absent, the predictions are all equal (slope undefined), or the
// predictions separate the classes, even with ties at the boundary (no finite slope exists).
Result<CalibrationFit> calibration(std::span<const double> probabilities, std::span<const int> labels);

struct BinaryMetrics
{
    std::size_t cases = 0;
    std::size_t positives = 0;
    AurocEstimate auroc;
    double auprc = 0.0;
    double brier = 0.0;
    CalibrationFit calibration;
};

// Fails whenever one of the metrics above would (a probability outside [0, 1] included).
Result<BinaryMetrics> evaluateBinary(std::span<const double> probabilities, std::span<const int> labels);

} // namespace mosaic
