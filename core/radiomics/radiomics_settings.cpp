// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/radiomics_settings.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <span>
#include <sstream>

namespace mosaic {

namespace {

// GCC 12's libstdc++ has no <format>: messages are streamed together.
template <typename... Parts> std::string textOf(const Parts &...parts)
{
    std::ostringstream out;
    out.precision(6);
    (out << ... << parts);
    return out.str();
}

using Json = nlohmann::json;

constexpr std::string_view interpolationName(ImageInterpolation interpolation)
{
    switch (interpolation) {
    case ImageInterpolation::Nearest: return "nearest";
    case ImageInterpolation::Linear: return "linear";
    case ImageInterpolation::Cubic: return "cubic";
    }
    return "linear";
}

constexpr std::string_view methodName(DiscretisationMethod method)
{
    switch (method) {
    case DiscretisationMethod::None: return "none";
    case DiscretisationMethod::FixedBinNumber: return "fixedBinNumber";
    case DiscretisationMethod::FixedBinSize: return "fixedBinSize";
    }
    return "none";
}

// Reads one JSON object section, remembering the dotted path of the key for every error.
class SectionReader
{
public:
    SectionReader(const Json &object, std::string path, std::string_view source)
        : m_object(object)
        , m_path(std::move(path))
        , m_source(source)
    { }

    // Unknown keys are errors: a misspelt key would otherwise silently fall back to a default.
    Result<void> checkKeys(std::span<const std::string_view> known) const
    {
        if (!m_object.is_object())
            return fail(
                ErrorCode::Malformed, textOf("'", m_path, "' must be an object"), std::string(m_source));
        for (const auto &item : m_object.items()) {
            bool found = false;
            for (const auto key : known)
                found = found || key == item.key();
            if (!found)
                return fail(ErrorCode::Malformed, textOf("unknown key '", keyPath(item.key()), "'"),
                    std::string(m_source));
        }
        return {};
    }

    Result<void> readBool(std::string_view key, bool &value) const
    {
        const auto *json = find(key);
        if (json == nullptr)
            return {};
        if (!json->is_boolean())
            return error(key, "must be true or false");
        value = json->get<bool>();
        return {};
    }

    Result<void> readNumber(std::string_view key, double &value) const
    {
        const auto *json = find(key);
        if (json == nullptr)
            return {};
        if (!json->is_number())
            return error(key, "must be a number");
        value = json->get<double>();
        return {};
    }

    // null and an absent key both mean "unset".
    Result<void> readOptionalNumber(std::string_view key, std::optional<double> &value) const
    {
        const auto *json = find(key);
        if (json == nullptr)
            return {};
        if (json->is_null()) {
            value.reset();
            return {};
        }
        if (!json->is_number())
            return error(key, "must be a number or null");
        value = json->get<double>();
        return {};
    }

    Result<void> readInteger(std::string_view key, int &value) const
    {
        const auto *json = find(key);
        if (json == nullptr)
            return {};
        if (!json->is_number_integer())
            return error(key, "must be an integer");
        value = json->get<int>();
        return {};
    }

    Result<void> readString(std::string_view key, std::string &value) const
    {
        const auto *json = find(key);
        if (json == nullptr)
            return {};
        if (!json->is_string())
            return error(key, "must be a string");
        value = json->get<std::string>();
        return {};
    }

    [[nodiscard]] const Json *find(std::string_view key) const
    {
        const auto it = m_object.find(key);
        return it == m_object.end() ? nullptr : &*it;
    }

    [[nodiscard]] std::string keyPath(std::string_view key) const
    {
        return m_path.empty() ? std::string(key) : m_path + "." + std::string(key);
    }

    [[nodiscard]] std::unexpected<Error> error(std::string_view key, std::string_view what) const
    {
        return fail(ErrorCode::Malformed, textOf("'", keyPath(key), "' ", what), std::string(m_source));
    }

private:
    const Json &m_object;
    std::string m_path;
    std::string_view m_source;
};

Result<void> readDiscretisation(
    const Json &json, const std::string &path, std::string_view source, DiscretisationSettings &settings)
{
    const SectionReader reader(json, path, source);
    constexpr std::string_view keys[] = { "method", "binCount", "binWidth", "lowerBound" };
    if (auto ok = reader.checkKeys(keys); !ok)
        return ok;
    std::string method(methodName(settings.method));
    if (auto ok = reader.readString("method", method); !ok)
        return ok;
    if (method == "none")
        settings.method = DiscretisationMethod::None;
    else if (method == "fixedBinNumber")
        settings.method = DiscretisationMethod::FixedBinNumber;
    else if (method == "fixedBinSize")
        settings.method = DiscretisationMethod::FixedBinSize;
    else
        return reader.error(
            "method", textOf("is '", method, "'; expected none, fixedBinNumber or fixedBinSize"));
    if (auto ok = reader.readInteger("binCount", settings.binCount); !ok)
        return ok;
    if (auto ok = reader.readNumber("binWidth", settings.binWidth); !ok)
        return ok;
    return reader.readOptionalNumber("lowerBound", settings.lowerBound);
}

Json discretisationJson(const DiscretisationSettings &settings)
{
    return Json {
        { "method", std::string(methodName(settings.method)) },
        { "binCount", settings.binCount },
        { "binWidth", settings.binWidth },
        { "lowerBound", settings.lowerBound ? Json(*settings.lowerBound) : Json(nullptr) },
    };
}

Json optionalJson(const std::optional<double> &value)
{
    return value ? Json(*value) : Json(nullptr);
}

Result<void> parse(const Json &root, std::string_view source, RadiomicsSettings &settings)
{
    const SectionReader top(root, "", source);
    constexpr std::string_view topKeys[]
        = { "resampling", "resegmentation", "discretisation", "ivhDiscretisation", "aggregation" };
    if (auto ok = top.checkKeys(topKeys); !ok)
        return ok;

    if (const auto *json = top.find("resampling")) {
        const SectionReader reader(*json, "resampling", source);
        constexpr std::string_view keys[] = { "spacingMm", "inPlaneOnly", "imageInterpolation",
            "maskPartialVolumeThreshold", "roundIntensities" };
        if (auto ok = reader.checkKeys(keys); !ok)
            return ok;
        auto &resampling = settings.resampling;
        if (const auto *spacing = reader.find("spacingMm")) {
            if (spacing->is_null()) {
                resampling.spacingMm.reset();
            } else {
                if (!spacing->is_array() || spacing->size() != 3)
                    return reader.error("spacingMm", "must be null or an array of three numbers");
                std::array<double, 3> values {};
                for (std::size_t axis = 0; axis < 3; ++axis) {
                    if (!(*spacing)[axis].is_number())
                        return reader.error("spacingMm", "must be null or an array of three numbers");
                    values[axis] = (*spacing)[axis].get<double>();
                }
                resampling.spacingMm = values;
            }
        }
        if (auto ok = reader.readBool("inPlaneOnly", resampling.inPlaneOnly); !ok)
            return ok;
        std::string interpolation(interpolationName(resampling.imageInterpolation));
        if (auto ok = reader.readString("imageInterpolation", interpolation); !ok)
            return ok;
        if (interpolation == "nearest")
            resampling.imageInterpolation = ImageInterpolation::Nearest;
        else if (interpolation == "linear")
            resampling.imageInterpolation = ImageInterpolation::Linear;
        else if (interpolation == "cubic")
            resampling.imageInterpolation = ImageInterpolation::Cubic;
        else
            return reader.error(
                "imageInterpolation", textOf("is '", interpolation, "'; expected nearest, linear or cubic"));
        if (auto ok = reader.readNumber("maskPartialVolumeThreshold", resampling.maskPartialVolumeThreshold);
            !ok)
            return ok;
        if (auto ok = reader.readBool("roundIntensities", resampling.roundIntensities); !ok)
            return ok;
    }

    if (const auto *json = top.find("resegmentation")) {
        const SectionReader reader(*json, "resegmentation", source);
        constexpr std::string_view keys[] = { "minimum", "maximum", "removeOutliers", "outlierSigmas" };
        if (auto ok = reader.checkKeys(keys); !ok)
            return ok;
        auto &resegmentation = settings.resegmentation;
        if (auto ok = reader.readOptionalNumber("minimum", resegmentation.minimum); !ok)
            return ok;
        if (auto ok = reader.readOptionalNumber("maximum", resegmentation.maximum); !ok)
            return ok;
        if (auto ok = reader.readBool("removeOutliers", resegmentation.removeOutliers); !ok)
            return ok;
        if (auto ok = reader.readNumber("outlierSigmas", resegmentation.outlierSigmas); !ok)
            return ok;
    }

    if (const auto *json = top.find("discretisation"))
        if (auto ok = readDiscretisation(*json, "discretisation", source, settings.discretisation); !ok)
            return ok;
    if (const auto *json = top.find("ivhDiscretisation"))
        if (auto ok = readDiscretisation(*json, "ivhDiscretisation", source, settings.ivhDiscretisation); !ok)
            return ok;

    if (const auto *json = top.find("aggregation")) {
        const SectionReader reader(*json, "aggregation", source);
        constexpr std::string_view keys[] = { "slice2D", "slice25D", "volume3D" };
        if (auto ok = reader.checkKeys(keys); !ok)
            return ok;
        if (auto ok = reader.readBool("slice2D", settings.aggregation.slice2D); !ok)
            return ok;
        if (auto ok = reader.readBool("slice25D", settings.aggregation.slice25D); !ok)
            return ok;
        if (auto ok = reader.readBool("volume3D", settings.aggregation.volume3D); !ok)
            return ok;
    }
    return {};
}

Result<void> validateDiscretisation(
    const DiscretisationSettings &settings, std::string_view path, std::string_view source)
{
    if (settings.method == DiscretisationMethod::FixedBinNumber && settings.binCount < 1)
        return fail(ErrorCode::InvalidArgument, textOf("'", path, ".binCount' must be at least 1"),
            std::string(source));
    if (settings.method == DiscretisationMethod::FixedBinSize
        && !(settings.binWidth > 0.0 && std::isfinite(settings.binWidth)))
        return fail(ErrorCode::InvalidArgument, textOf("'", path, ".binWidth' must be positive"),
            std::string(source));
    return {};
}

} // namespace

Result<RadiomicsSettings> RadiomicsSettings::fromJson(std::string_view text, std::string_view sourceName)
{
    // Settings files are small; parse errors carry nlohmann's byte position.
    Json root;
    try {
        root = Json::parse(text);
    } catch (const Json::parse_error &error) {
        return fail(ErrorCode::Malformed, textOf("not valid JSON: ", error.what()), std::string(sourceName));
    }
    RadiomicsSettings settings;
    if (auto ok = parse(root, sourceName, settings); !ok)
        return std::unexpected(ok.error());
    if (auto ok = settings.validate(sourceName); !ok)
        return std::unexpected(ok.error());
    return settings;
}

std::string RadiomicsSettings::toJson() const
{
    Json root;
    root["resampling"] = Json {
        { "spacingMm",
            resampling.spacingMm
                ? Json { (*resampling.spacingMm)[0], (*resampling.spacingMm)[1], (*resampling.spacingMm)[2] }
                : Json(nullptr) },
        { "inPlaneOnly", resampling.inPlaneOnly },
        { "imageInterpolation", std::string(interpolationName(resampling.imageInterpolation)) },
        { "maskPartialVolumeThreshold", resampling.maskPartialVolumeThreshold },
        { "roundIntensities", resampling.roundIntensities },
    };
    root["resegmentation"] = Json {
        { "minimum", optionalJson(resegmentation.minimum) },
        { "maximum", optionalJson(resegmentation.maximum) },
        { "removeOutliers", resegmentation.removeOutliers },
        { "outlierSigmas", resegmentation.outlierSigmas },
    };
    root["discretisation"] = discretisationJson(discretisation);
    root["ivhDiscretisation"] = discretisationJson(ivhDiscretisation);
    root["aggregation"] = Json {
        { "slice2D", aggregation.slice2D },
        { "slice25D", aggregation.slice25D },
        { "volume3D", aggregation.volume3D },
    };
    return root.dump(2) + "\n";
}

Result<void> RadiomicsSettings::validate(std::string_view sourceName) const
{
    const std::string source(sourceName);
    if (resampling.spacingMm) {
        for (std::size_t axis = 0; axis < 3; ++axis) {
            const double spacing = (*resampling.spacingMm)[axis];
            const bool ignored = resampling.inPlaneOnly && axis == 2;
            if (!ignored && !(spacing > 0.0 && std::isfinite(spacing)))
                return fail(
                    ErrorCode::InvalidArgument, "'resampling.spacingMm' must hold positive spacings", source);
        }
    }
    if (!(resampling.maskPartialVolumeThreshold > 0.0 && resampling.maskPartialVolumeThreshold <= 1.0))
        return fail(
            ErrorCode::InvalidArgument, "'resampling.maskPartialVolumeThreshold' must be in (0, 1]", source);
    if (resegmentation.minimum && resegmentation.maximum && *resegmentation.minimum > *resegmentation.maximum)
        return fail(
            ErrorCode::InvalidArgument, "'resegmentation.minimum' is above 'resegmentation.maximum'", source);
    if (resegmentation.removeOutliers && !(resegmentation.outlierSigmas > 0.0))
        return fail(ErrorCode::InvalidArgument, "'resegmentation.outlierSigmas' must be positive", source);
    if (auto ok = validateDiscretisation(discretisation, "discretisation", sourceName); !ok)
        return ok;
    return validateDiscretisation(ivhDiscretisation, "ivhDiscretisation", sourceName);
}

} // namespace mosaic
