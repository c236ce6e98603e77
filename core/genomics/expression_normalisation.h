// SPDX-License-Identifier: Apache-2.0
// The normalisation a model's spec asks for, as data: ExpressionNormalisationSettings is embedded in
// the spec as JSON, fitted on the training samples only (ExpressionNormaliser::fit) and then applied
// unchanged to any sample, training or new (apply). Everything learnt from data (which probes pass
// the variation filter, the quantile reference distribution, each probe's mean and SD) comes from
// the training matrix, so applying it inside a cross-validation fold leaks nothing from the fold's
// test samples.
//
// The steps run in this fixed order, each optional:
//   1. clip to [floor, ceiling]              Golub et al. 1999, Science 286:531, and Dudoit, Fridlyand
//                                            & Speed 2002, JASA 97:77: floor 100, ceiling 16000
//                                            (Affymetrix Hu6800 average differences)
//   2. variation filter on the training      Dudoit 2002: keep a probe when max/min > 5 and
//      samples (after clipping)              max - min > 500 (3,571 of Golub's 7,129 probes)
//   3. logarithm, log_b(x + offset)          Dudoit 2002: log10; microarray practice: log2
//   4. quantile normalisation to a           Bolstad et al. 2003, Bioinformatics 19:185: each sample's
//      reference distribution                k-th smallest value becomes the reference's k-th value
//                                            (the mean over the training samples of their k-th
//                                            smallest); tied values get the reference at their
//                                            average rank, interpolated (limma's normalizeQuantiles);
//                                            a sample with missing values is mapped by rank fraction
//   5. per-probe z-score with the training   (x - mean) / SD, SD with n - 1
//      samples' mean and SD
// Missing values (NaN) stay missing through every step and are left out of every statistic.
#pragma once

#include "core/error.h"
#include "core/genomics/expression_matrix.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

enum class ExpressionLogBase { None, Two, Ten };

struct ExpressionVariationFilter
{
    double minFoldChange = 5.0; // keep when max / min over the training samples exceeds this
    double minRange = 500.0; // and max - min exceeds this (same units as the clipped values)

    bool operator==(const ExpressionVariationFilter &) const = default;
};

struct ExpressionNormalisationSettings
{
    std::optional<double> floor; // values below become the floor
    std::optional<double> ceiling; // values above become the ceiling
    std::optional<ExpressionVariationFilter> variationFilter;
    ExpressionLogBase logBase = ExpressionLogBase::None;
    double logOffset = 0.0; // log_b(x + offset); every x + offset must be > 0
    bool quantileNormalise = false;
    bool zScorePerProbe = false;

    // Golub 1999 / Dudoit 2002: floor 100, ceiling 16000, max/min > 5 and max - min > 500, log10.
    [[nodiscard]] static ExpressionNormalisationSettings golub1999();

    // JSON object, e.g. {"floor": 100, "ceiling": 16000, "variation_filter": {"min_fold_change": 5,
    // "min_range": 500}, "log": {"base": 10, "offset": 0}, "quantile_normalise": false,
    // "z_score_per_probe": false}; unknown keys are refused so a misspelt step is not silently
    // skipped.
    [[nodiscard]] static Result<ExpressionNormalisationSettings> fromJson(
        std::string_view json, std::string_view sourceName);
    // The settings as JSON that fromJson reads back to equal settings.
    [[nodiscard]] std::string toJson() const;

    bool operator==(const ExpressionNormalisationSettings &) const = default;
};

// What fit() learnt from the training samples; everything apply() needs, and nothing else.
struct FittedExpressionNormalisation
{
    ExpressionNormalisationSettings settings;
    std::vector<std::string> probeIds; // the probes kept (all, without a variation filter), in order
    std::vector<double> quantileReference; // ascending, one per kept probe; empty unless quantile
    std::vector<double> probeMean; // per kept probe; empty unless z-score
    std::vector<double> probeStandardDeviation; // per kept probe; NaN when fewer than 2 values
    std::size_t trainingSamples = 0;
};

class ExpressionNormaliser
{
public:
    // Learns the filter, the quantile reference and the z-score statistics from `training`.
    // InvalidArgument when floor > ceiling, the fold filter meets a value <= 0 (set a floor), a
    // logarithm meets x + offset <= 0, no probe passes the filter, or the matrix has no samples.
    [[nodiscard]] static Result<ExpressionNormaliser> fit(
        const ExpressionMatrix &training, const ExpressionNormalisationSettings &settings);
    [[nodiscard]] static ExpressionNormaliser fromFitted(FittedExpressionNormalisation fitted);

    // The kept probes of `samples`, normalised. A kept probe absent from `samples` is missing (NaN)
    // in every sample. A probe whose training SD is 0 or undefined is missing after the z-score: it
    // cannot separate anyone. InvalidArgument when a logarithm meets x + offset <= 0 (names the probe
    // and the sample's column, never its id).
    [[nodiscard]] Result<ExpressionMatrix> apply(const ExpressionMatrix &samples) const;

    [[nodiscard]] const FittedExpressionNormalisation &fitted() const { return m_fitted; }

private:
    explicit ExpressionNormaliser(FittedExpressionNormalisation fitted)
        : m_fitted(std::move(fitted))
    { }
    FittedExpressionNormalisation m_fitted;
};

} // namespace mosaic
