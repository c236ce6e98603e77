// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/expression_normalisation.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

namespace mosaic {

namespace {

using Json = nlohmann::json;

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

std::string probeLocation(const ExpressionMatrix &matrix, std::size_t probe, std::size_t sample)
{
    // The sample is named by its position, never by its id (an identifier).
    std::string id = matrix.probeIds()[probe].substr(0, 40);
    return (matrix.sourceName().empty() ? std::string("expression matrix") : matrix.sourceName())
        + ", probe '" + id + "', sample " + std::to_string(sample + 1);
}

// Steps 1 and 3 on one value.
void clip(double &value, const ExpressionNormalisationSettings &settings)
{
    if (std::isnan(value))
        return;
    if (settings.floor && value < *settings.floor)
        value = *settings.floor;
    if (settings.ceiling && value > *settings.ceiling)
        value = *settings.ceiling;
}

Result<void> takeLogarithms(ExpressionMatrix &matrix, const ExpressionNormalisationSettings &settings)
{
    if (settings.logBase == ExpressionLogBase::None)
        return {};
    for (std::size_t probe = 0; probe < matrix.probeCount(); ++probe)
        for (std::size_t sample = 0; sample < matrix.sampleCount(); ++sample) {
            const double value = matrix.value(probe, sample);
            if (std::isnan(value))
                continue;
            const double shifted = value + settings.logOffset;
            if (!(shifted > 0.0))
                return fail(ErrorCode::InvalidArgument,
                    "the logarithm needs value + offset > 0, and here it is " + std::to_string(shifted)
                        + " (set a floor or a larger offset)",
                    probeLocation(matrix, probe, sample));
            matrix.setValue(probe, sample,
                settings.logBase == ExpressionLogBase::Two ? std::log2(shifted) : std::log10(shifted));
        }
    return {};
}

// The value at fractional position `position` of an ascending vector, linearly interpolated.
double interpolate(const std::vector<double> &ascending, double position)
{
    if (ascending.size() == 1)
        return ascending.front();
    position = std::clamp(position, 0.0, static_cast<double>(ascending.size() - 1));
    const auto below = static_cast<std::size_t>(std::floor(position));
    const std::size_t above = std::min(below + 1, ascending.size() - 1);
    const double fraction = position - static_cast<double>(below);
    return ascending[below] + fraction * (ascending[above] - ascending[below]);
}

// One sample's present values, ascending.
std::vector<double> sortedPresent(const ExpressionMatrix &matrix, std::size_t sample)
{
    std::vector<double> values;
    values.reserve(matrix.probeCount());
    for (std::size_t probe = 0; probe < matrix.probeCount(); ++probe)
        if (const double v = matrix.value(probe, sample); !std::isnan(v))
            values.push_back(v);
    std::ranges::sort(values);
    return values;
}

std::vector<double> quantileReference(const ExpressionMatrix &matrix)
{
    const std::size_t m = matrix.probeCount();
    std::vector<double> reference(m, 0.0);
    std::size_t contributing = 0;
    for (std::size_t sample = 0; sample < matrix.sampleCount(); ++sample) {
        const std::vector<double> values = sortedPresent(matrix, sample);
        if (values.empty())
            continue;
        ++contributing;
        // A sample with missing values is stretched over the m positions by rank fraction.
        const double scale
            = m > 1 ? static_cast<double>(values.size() - 1) / static_cast<double>(m - 1) : 0.0;
        for (std::size_t k = 0; k < m; ++k)
            reference[k] += interpolate(values, static_cast<double>(k) * scale);
    }
    if (contributing == 0)
        return {};
    for (double &value : reference)
        value /= static_cast<double>(contributing);
    return reference;
}

void mapToReference(ExpressionMatrix &matrix, const std::vector<double> &reference)
{
    const std::size_t m = reference.size();
    for (std::size_t sample = 0; sample < matrix.sampleCount(); ++sample) {
        std::vector<std::pair<double, std::size_t>> present;
        for (std::size_t probe = 0; probe < matrix.probeCount(); ++probe)
            if (const double v = matrix.value(probe, sample); !std::isnan(v))
                present.emplace_back(v, probe);
        if (present.empty())
            continue;
        std::ranges::sort(present);
        const std::size_t n = present.size();
        const double scale = n > 1 ? static_cast<double>(m - 1) / static_cast<double>(n - 1) : 0.0;
        for (std::size_t first = 0; first < n;) {
            std::size_t last = first;
            while (last < n && present[last].first == present[first].first)
                ++last;
            // Ties share the reference at their average rank (limma's normalizeQuantiles).
            const double averageRank = 0.5 * static_cast<double>(first + last - 1);
            const double position = n > 1 ? averageRank * scale : 0.5 * static_cast<double>(m - 1);
            const double mapped = interpolate(reference, position);
            for (std::size_t i = first; i < last; ++i)
                matrix.setValue(present[i].second, sample, mapped);
            first = last;
        }
    }
}

void zScore(ExpressionMatrix &matrix, const std::vector<double> &mean, const std::vector<double> &sd)
{
    for (std::size_t probe = 0; probe < matrix.probeCount(); ++probe)
        for (std::size_t sample = 0; sample < matrix.sampleCount(); ++sample) {
            const double value = matrix.value(probe, sample);
            const bool usable = !std::isnan(value) && !std::isnan(sd[probe]) && sd[probe] > 0.0;
            matrix.setValue(probe, sample, usable ? (value - mean[probe]) / sd[probe] : kMissing);
        }
}

// Applies the fitted steps to a matrix whose probes are already `fitted.probeIds`, in order.
Result<ExpressionMatrix> applySteps(ExpressionMatrix matrix, const FittedExpressionNormalisation &fitted)
{
    const auto &settings = fitted.settings;
    for (std::size_t probe = 0; probe < matrix.probeCount(); ++probe)
        for (std::size_t sample = 0; sample < matrix.sampleCount(); ++sample) {
            double value = matrix.value(probe, sample);
            clip(value, settings);
            matrix.setValue(probe, sample, value);
        }
    if (auto logged = takeLogarithms(matrix, settings); !logged)
        return std::unexpected(logged.error());
    if (settings.quantileNormalise)
        mapToReference(matrix, fitted.quantileReference);
    if (settings.zScorePerProbe)
        zScore(matrix, fitted.probeMean, fitted.probeStandardDeviation);
    return matrix;
}

Result<double> readNumber(const Json &object, const char *key, std::string_view where)
{
    const Json &value = object.at(key);
    if (!value.is_number() || !std::isfinite(value.get<double>()))
        return fail(
            ErrorCode::Malformed, std::string("'") + key + "' must be a finite number", std::string(where));
    return value.get<double>();
}

Result<void> refuseUnknownKeys(
    const Json &object, const std::set<std::string> &known, const std::string &where)
{
    for (const auto &[key, value] : object.items())
        if (!known.contains(key))
            return fail(ErrorCode::Malformed, "unknown key '" + key.substr(0, 40) + "'", where);
    return {};
}

} // namespace

ExpressionNormalisationSettings ExpressionNormalisationSettings::golub1999()
{
    ExpressionNormalisationSettings settings;
    settings.floor = 100.0;
    settings.ceiling = 16000.0;
    settings.variationFilter = ExpressionVariationFilter { 5.0, 500.0 };
    settings.logBase = ExpressionLogBase::Ten;
    return settings;
}

Result<ExpressionNormalisationSettings> ExpressionNormalisationSettings::fromJson(
    std::string_view json, std::string_view sourceName)
{
    const std::string where(sourceName);
    const Json root = Json::parse(json, nullptr, false);
    if (root.is_discarded())
        return fail(ErrorCode::Malformed, "not valid JSON", where);
    if (!root.is_object())
        return fail(ErrorCode::Malformed, "expression normalisation settings must be a JSON object", where);
    if (auto known = refuseUnknownKeys(root,
            { "floor", "ceiling", "variation_filter", "log", "quantile_normalise", "z_score_per_probe" },
            where);
        !known)
        return std::unexpected(known.error());

    ExpressionNormalisationSettings settings;
    for (const char *key : { "floor", "ceiling" })
        if (root.contains(key) && !root.at(key).is_null()) {
            auto number = readNumber(root, key, where);
            if (!number)
                return std::unexpected(number.error());
            (std::string_view(key) == "floor" ? settings.floor : settings.ceiling) = *number;
        }
    if (settings.floor && settings.ceiling && *settings.floor > *settings.ceiling)
        return fail(ErrorCode::Malformed, "'floor' is above 'ceiling'", where);
    if (root.contains("variation_filter") && !root.at("variation_filter").is_null()) {
        const Json &filter = root.at("variation_filter");
        const std::string filterWhere = where + ", variation_filter";
        if (!filter.is_object())
            return fail(ErrorCode::Malformed, "must be an object", filterWhere);
        if (auto known = refuseUnknownKeys(filter, { "min_fold_change", "min_range" }, filterWhere); !known)
            return std::unexpected(known.error());
        ExpressionVariationFilter values;
        if (filter.contains("min_fold_change")) {
            auto number = readNumber(filter, "min_fold_change", filterWhere);
            if (!number)
                return std::unexpected(number.error());
            values.minFoldChange = *number;
        }
        if (filter.contains("min_range")) {
            auto number = readNumber(filter, "min_range", filterWhere);
            if (!number)
                return std::unexpected(number.error());
            values.minRange = *number;
        }
        settings.variationFilter = values;
    }
    if (root.contains("log") && !root.at("log").is_null()) {
        const Json &log = root.at("log");
        const std::string logWhere = where + ", log";
        if (!log.is_object())
            return fail(
                ErrorCode::Malformed, "must be an object such as {\"base\": 2, \"offset\": 1}", logWhere);
        if (auto known = refuseUnknownKeys(log, { "base", "offset" }, logWhere); !known)
            return std::unexpected(known.error());
        if (!log.contains("base"))
            return fail(ErrorCode::Malformed, "'base' is required (2 or 10)", logWhere);
        auto base = readNumber(log, "base", logWhere);
        if (!base)
            return std::unexpected(base.error());
        if (*base == 2.0)
            settings.logBase = ExpressionLogBase::Two;
        else if (*base == 10.0)
            settings.logBase = ExpressionLogBase::Ten;
        else
            return fail(ErrorCode::Unsupported, "'base' must be 2 or 10", logWhere);
        if (log.contains("offset")) {
            auto offset = readNumber(log, "offset", logWhere);
            if (!offset)
                return std::unexpected(offset.error());
            settings.logOffset = *offset;
        }
    }
    for (const char *key : { "quantile_normalise", "z_score_per_probe" })
        if (root.contains(key)) {
            if (!root.at(key).is_boolean())
                return fail(ErrorCode::Malformed, std::string("'") + key + "' must be true or false", where);
            (std::string_view(key) == "quantile_normalise" ? settings.quantileNormalise
                                                           : settings.zScorePerProbe)
                = root.at(key).get<bool>();
        }
    return settings;
}

std::string ExpressionNormalisationSettings::toJson() const
{
    Json root = Json::object();
    if (floor)
        root["floor"] = *floor;
    if (ceiling)
        root["ceiling"] = *ceiling;
    if (variationFilter)
        root["variation_filter"] = { { "min_fold_change", variationFilter->minFoldChange },
            { "min_range", variationFilter->minRange } };
    if (logBase != ExpressionLogBase::None)
        root["log"] = { { "base", logBase == ExpressionLogBase::Two ? 2 : 10 }, { "offset", logOffset } };
    root["quantile_normalise"] = quantileNormalise;
    root["z_score_per_probe"] = zScorePerProbe;
    return root.dump(2);
}

Result<ExpressionNormaliser> ExpressionNormaliser::fit(
    const ExpressionMatrix &training, const ExpressionNormalisationSettings &settings)
{
    const std::string where = training.sourceName().empty() ? "training matrix" : training.sourceName();
    if (settings.floor && settings.ceiling && *settings.floor > *settings.ceiling)
        return fail(ErrorCode::InvalidArgument, "the floor is above the ceiling", where);
    if (training.sampleCount() == 0 || training.probeCount() == 0)
        return fail(
            ErrorCode::InvalidArgument, "no training samples or probes to fit the normalisation on", where);

    FittedExpressionNormalisation fitted;
    fitted.settings = settings;
    fitted.trainingSamples = training.sampleCount();

    // Step 2 is decided on clipped training values, before the logarithm (Dudoit 2002).
    std::vector<std::size_t> kept;
    for (std::size_t probe = 0; probe < training.probeCount(); ++probe) {
        if (!settings.variationFilter) {
            kept.push_back(probe);
            continue;
        }
        double low = std::numeric_limits<double>::infinity();
        double high = -std::numeric_limits<double>::infinity();
        for (std::size_t sample = 0; sample < training.sampleCount(); ++sample) {
            double value = training.value(probe, sample);
            if (std::isnan(value))
                continue;
            clip(value, settings);
            if (value <= 0.0)
                return fail(ErrorCode::InvalidArgument,
                    "the fold-change filter needs positive values (set a floor above 0)",
                    probeLocation(training, probe, sample));
            low = std::min(low, value);
            high = std::max(high, value);
        }
        if (low <= high && high / low > settings.variationFilter->minFoldChange
            && high - low > settings.variationFilter->minRange)
            kept.push_back(probe);
    }
    if (kept.empty())
        return fail(ErrorCode::InvalidArgument, "no probe passes the variation filter", where);
    for (std::size_t probe : kept)
        fitted.probeIds.push_back(training.probeIds()[probe]);

    ExpressionMatrix work = training.selectProbes(kept);
    FittedExpressionNormalisation stepsSoFar = fitted;
    stepsSoFar.settings.quantileNormalise = false;
    stepsSoFar.settings.zScorePerProbe = false;
    auto transformed = applySteps(std::move(work), stepsSoFar);
    if (!transformed)
        return std::unexpected(transformed.error());
    if (settings.quantileNormalise) {
        fitted.quantileReference = quantileReference(*transformed);
        if (fitted.quantileReference.empty())
            return fail(ErrorCode::InvalidArgument, "every training value is missing", where);
        mapToReference(*transformed, fitted.quantileReference);
    }
    if (settings.zScorePerProbe) {
        fitted.probeMean.assign(kept.size(), kMissing);
        fitted.probeStandardDeviation.assign(kept.size(), kMissing);
        for (std::size_t probe = 0; probe < kept.size(); ++probe) {
            double n = 0.0, sum = 0.0;
            for (double v : transformed->probeValues(probe))
                if (!std::isnan(v)) {
                    n += 1.0;
                    sum += v;
                }
            if (n < 1.0)
                continue;
            const double mean = sum / n;
            double squares = 0.0;
            for (double v : transformed->probeValues(probe))
                if (!std::isnan(v))
                    squares += (v - mean) * (v - mean);
            fitted.probeMean[probe] = mean;
            if (n >= 2.0)
                fitted.probeStandardDeviation[probe] = std::sqrt(squares / (n - 1.0));
        }
    }
    return ExpressionNormaliser(std::move(fitted));
}

ExpressionNormaliser ExpressionNormaliser::fromFitted(FittedExpressionNormalisation fitted)
{
    return ExpressionNormaliser(std::move(fitted));
}

Result<ExpressionMatrix> ExpressionNormaliser::apply(const ExpressionMatrix &samples) const
{
    const std::size_t probes = m_fitted.probeIds.size();
    const std::size_t n = samples.sampleCount();
    if (m_fitted.settings.quantileNormalise && m_fitted.quantileReference.size() != probes)
        return fail(ErrorCode::InvalidArgument, "the quantile reference does not match the kept probes");
    if (m_fitted.settings.zScorePerProbe
        && (m_fitted.probeMean.size() != probes || m_fitted.probeStandardDeviation.size() != probes))
        return fail(ErrorCode::InvalidArgument, "the z-score statistics do not match the kept probes");
    std::vector<double> values(probes * n, kMissing);
    for (std::size_t probe = 0; probe < probes; ++probe)
        if (const auto index = samples.probeIndex(m_fitted.probeIds[probe]))
            std::ranges::copy(
                samples.probeValues(*index), values.begin() + static_cast<std::ptrdiff_t>(probe * n));
    auto matrix = ExpressionMatrix::fromValues(
        m_fitted.probeIds, samples.sampleIds(), std::move(values), samples.sourceName());
    if (!matrix)
        return std::unexpected(matrix.error());
    return applySteps(std::move(*matrix), m_fitted);
}

} // namespace mosaic
