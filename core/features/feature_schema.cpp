// SPDX-License-Identifier: Apache-2.0
#include "core/features/feature_schema.h"

#include <nlohmann/json.hpp>

#include <array>
#include <fstream>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace mosaic {

namespace {

// A schema lists at most a few hundred thousand short entries; anything far larger is not a
// schema, and reading it whole would only waste memory before the parser refuses it.
constexpr std::uintmax_t kMaxSchemaBytes = std::uintmax_t { 64 } << 20;

// Names and modalities from a file are echoed in messages; cap them so a hostile file cannot
// turn one error into megabytes of text.
constexpr std::size_t kMaxEchoedBytes = 60;

constexpr std::array kModalities {
    std::pair { Modality::Imaging, std::string_view("imaging") },
    std::pair { Modality::Genomics, std::string_view("genomics") },
    std::pair { Modality::Records, std::string_view("records") },
};

std::string echoed(std::string_view text)
{
    std::string shown;
    for (const char character : text.substr(0, kMaxEchoedBytes)) {
        const auto byte = static_cast<unsigned char>(character);
        shown += byte < 0x20 || byte == 0x7f ? '?' : character;
    }
    if (text.size() > kMaxEchoedBytes) {
        // Do not leave half a UTF-8 sequence before the ellipsis.
        while (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xc0) == 0x80)
            shown.pop_back();
        if (!shown.empty() && static_cast<unsigned char>(shown.back()) >= 0xc0)
            shown.pop_back();
        shown += "...";
    }
    return shown;
}

// Positions are 1-based in messages: "feature 3" is the third entry a person counts in the file.
std::string featureLocation(std::string_view sourceName, std::size_t index)
{
    std::string location;
    if (!sourceName.empty()) {
        location += sourceName;
        location += ", ";
    }
    location += "feature " + std::to_string(index + 1);
    return location;
}

// Shared by fromDefinitions (a caller's mistake: InvalidArgument) and fromJson (a bad file:
// Malformed), so both refuse exactly the same schemas.
Result<void> checkDefinitions(
    const std::vector<FeatureDefinition> &definitions, ErrorCode code, std::string_view sourceName)
{
    if (definitions.empty())
        return fail(code, "the schema lists no features", std::string(sourceName));

    std::unordered_map<std::string_view, std::size_t> firstIndexByName;
    firstIndexByName.reserve(definitions.size());
    for (std::size_t index = 0; index < definitions.size(); ++index) {
        const std::string &name = definitions[index].name;
        if (name.empty())
            return fail(code, "the feature has an empty name", featureLocation(sourceName, index));
        const auto [existing, inserted] = firstIndexByName.emplace(name, index);
        if (!inserted)
            return fail(code,
                "duplicate name '" + echoed(name) + "' (same as feature "
                    + std::to_string(existing->second + 1) + ")",
                featureLocation(sourceName, index));
    }
    return {};
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the tag means nothing to a user.
std::string withoutExceptionTag(std::string_view what)
{
    const auto tagEnd = what.find("] ");
    if (what.starts_with("[json.exception.") && tagEnd != std::string_view::npos)
        what.remove_prefix(tagEnd + 2);
    return std::string(what);
}

std::string_view jsonTypeName(const nlohmann::json &value)
{
    return value.type_name();
}

// Reads an optional string member; absent is fine, any other type is not.
Result<std::string> optionalString(
    const nlohmann::json &entry, const char *key, std::string_view sourceName, std::size_t index)
{
    const auto member = entry.find(key);
    if (member == entry.end())
        return std::string();
    if (!member->is_string())
        return fail(ErrorCode::Malformed,
            std::string("\"") + key + "\" must be a string, not " + std::string(jsonTypeName(*member)),
            featureLocation(sourceName, index));
    return member->get<std::string>();
}

Result<FeatureDefinition> parseDefinition(
    const nlohmann::json &entry, std::string_view sourceName, std::size_t index)
{
    if (!entry.is_object())
        return fail(ErrorCode::Malformed,
            "each feature must be a JSON object, not " + std::string(jsonTypeName(entry)),
            featureLocation(sourceName, index));

    FeatureDefinition definition;
    const auto name = entry.find("name");
    if (name == entry.end())
        return fail(ErrorCode::Malformed, "the feature has no \"name\"", featureLocation(sourceName, index));
    if (!name->is_string())
        return fail(ErrorCode::Malformed,
            "\"name\" must be a string, not " + std::string(jsonTypeName(*name)),
            featureLocation(sourceName, index));
    definition.name = name->get<std::string>();

    auto modality = optionalString(entry, "modality", sourceName, index);
    if (!modality)
        return std::unexpected(std::move(modality.error()));
    if (entry.contains("modality")) {
        const auto known = modalityFromName(*modality);
        if (!known)
            return fail(ErrorCode::Malformed,
                "unknown modality '" + echoed(*modality) + "'; expected imaging, genomics or records",
                featureLocation(sourceName, index));
        definition.modality = *known;
    }

    auto unit = optionalString(entry, "unit", sourceName, index);
    if (!unit)
        return std::unexpected(std::move(unit.error()));
    definition.unit = std::move(*unit);

    auto description = optionalString(entry, "description", sourceName, index);
    if (!description)
        return std::unexpected(std::move(description.error()));
    definition.description = std::move(*description);

    // Other members are ignored on purpose: a bundle written by a newer Mosaic may describe its
    // features more richly, and an older reader should still load the columns it understands.
    return definition;
}

} // namespace

std::string_view modalityName(Modality modality)
{
    for (const auto &[value, name] : kModalities)
        if (value == modality)
            return name;
    return "records";
}

std::optional<Modality> modalityFromName(std::string_view name)
{
    for (const auto &[value, known] : kModalities)
        if (known == name)
            return value;
    return std::nullopt;
}

Result<FeatureSchema> FeatureSchema::fromDefinitions(std::vector<FeatureDefinition> definitions)
{
    if (auto checked = checkDefinitions(definitions, ErrorCode::InvalidArgument, {}); !checked)
        return std::unexpected(std::move(checked.error()));
    FeatureSchema schema;
    schema.m_definitions = std::move(definitions);
    return schema;
}

Result<FeatureSchema> FeatureSchema::fromJson(std::string_view json, std::string_view sourceName)
{
    const std::string source(sourceName);
    // Which feature was being read, so an exception escaping nlohmann still names the entry.
    std::optional<std::size_t> currentIndex;
    try {
        const auto document = nlohmann::json::parse(json);
        if (!document.is_object())
            return fail(ErrorCode::Malformed,
                "the schema must be a JSON object with a \"features\" array, not "
                    + std::string(jsonTypeName(document)),
                source);
        const auto features = document.find("features");
        if (features == document.end())
            return fail(ErrorCode::Malformed, "the schema has no \"features\" array", source);
        if (!features->is_array())
            return fail(ErrorCode::Malformed,
                "\"features\" must be an array, not " + std::string(jsonTypeName(*features)), source);

        std::vector<FeatureDefinition> definitions;
        definitions.reserve(features->size()); // bounded: each element already exists in memory
        for (std::size_t index = 0; index < features->size(); ++index) {
            currentIndex = index;
            auto definition = parseDefinition((*features)[index], sourceName, index);
            if (!definition)
                return std::unexpected(std::move(definition.error()));
            definitions.push_back(std::move(*definition));
        }
        currentIndex.reset();

        if (auto checked = checkDefinitions(definitions, ErrorCode::Malformed, sourceName); !checked)
            return std::unexpected(std::move(checked.error()));
        FeatureSchema schema;
        schema.m_definitions = std::move(definitions);
        return schema;
    } catch (const nlohmann::json::exception &error) {
        return fail(ErrorCode::Malformed, "not a valid feature schema: " + withoutExceptionTag(error.what()),
            currentIndex ? featureLocation(sourceName, *currentIndex) : source);
    }
}

Result<FeatureSchema> FeatureSchema::readFile(const std::filesystem::path &path)
{
    // File name only: directories may carry a patient's or a project's name.
    const std::string name = path.filename().string();
    std::error_code status;
    if (!std::filesystem::exists(path, status))
        return fail(ErrorCode::NotFound, "the schema file does not exist", name);
    if (!std::filesystem::is_regular_file(path, status))
        return fail(ErrorCode::NotFound, "not a regular file", name);
    const auto size = std::filesystem::file_size(path, status);
    if (status)
        return fail(ErrorCode::NotFound, "cannot read the file size: " + status.message(), name);
    if (size > kMaxSchemaBytes)
        return fail(ErrorCode::LimitExceeded,
            "the file is " + std::to_string(size) + " bytes, more than the limit of "
                + std::to_string(kMaxSchemaBytes) + " for a feature schema",
            name);

    std::ifstream stream(path, std::ios::binary);
    if (!stream)
        return fail(ErrorCode::NotFound, "the file cannot be opened", name);
    std::string text(static_cast<std::size_t>(size), '\0');
    stream.read(text.data(), static_cast<std::streamsize>(text.size()));
    // The file may have shrunk since its size was read; never trust the bytes past what arrived.
    text.resize(static_cast<std::size_t>(stream.gcount()));
    return fromJson(text, name);
}

std::string FeatureSchema::toJson() const
{
    // ordered_json keeps the members in the order a person reads them.
    nlohmann::ordered_json features = nlohmann::ordered_json::array();
    for (const FeatureDefinition &definition : m_definitions) {
        features.push_back({
            { "name", definition.name },
            { "modality", modalityName(definition.modality) },
            { "unit", definition.unit },
            { "description", definition.description },
        });
    }
    const nlohmann::ordered_json document = { { "features", std::move(features) } };
    // Names may come from a CSV header in any encoding; replace invalid UTF-8 rather than throw.
    return document.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

std::optional<std::size_t> FeatureSchema::indexOf(std::string_view name) const
{
    for (std::size_t index = 0; index < m_definitions.size(); ++index)
        if (m_definitions[index].name == name)
            return index;
    return std::nullopt;
}

std::vector<std::string> FeatureSchema::names() const
{
    std::vector<std::string> result;
    result.reserve(m_definitions.size());
    for (const FeatureDefinition &definition : m_definitions)
        result.push_back(definition.name);
    return result;
}

std::string displayUnit(std::string_view ucum)
{
    // UCUM (unitsofmeasure.org) codes are exact but terse; these are the ones clinicians read
    // differently. Annotations in braces ({cells}) are kept as written.
    static constexpr std::pair<std::string_view, std::string_view> kReadable[] = {
        { "a", "years" },
        { "mo", "months" },
        { "wk", "weeks" },
        { "d", "days" },
        { "h", "hours" },
        { "/uL", "/\u00b5L" },
        { "10*3/uL", "\u00d710\u00b3/\u00b5L" },
        { "10*9/L", "\u00d710\u2079/L" },
        { "ug/L", "\u00b5g/L" },
        { "umol/L", "\u00b5mol/L" },
        { "Cel", "\u00b0C" },
        { "mm[Hg]", "mmHg" },
        { "kg/m2", "kg/m\u00b2" },
    };
    for (const auto &[code, readable] : kReadable)
        if (ucum == code)
            return std::string(readable);
    return std::string(ucum);
}

} // namespace mosaic
