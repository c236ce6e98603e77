// SPDX-License-Identifier: Apache-2.0
// What a model's input columns are: each feature's name, modality, unit and meaning. A schema is
// data (JSON), not code, and a model bundle carries the schema it was trained with, so prediction
// builds exactly the same vector.
#pragma once

#include "core/error.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

// The review's three data sources; the explanation view groups contributions by them.
enum class Modality { Imaging, Genomics, Records };

[[nodiscard]] std::string_view modalityName(Modality modality); // "imaging", "genomics", "records"
[[nodiscard]] std::optional<Modality> modalityFromName(std::string_view name);

struct FeatureDefinition
{
    std::string name; // column or feature tag, e.g. "Creatinine", "stat_mean"
    Modality modality = Modality::Records;
    std::string unit; // UCUM where one applies ("mg/dL", "a", "%"); "" for dimensionless or flags
    std::string description; // for the clinician: "Serum creatinine", "Diabetes (1 = yes)"

    friend bool operator==(const FeatureDefinition &, const FeatureDefinition &) = default;
};

// How a UCUM unit reads to a clinician: "a" -> "years", "/uL" -> "/µL". Units without a more
// familiar form are returned as they are.
[[nodiscard]] std::string displayUnit(std::string_view ucum);

// What the clinician sees for a feature: its description when it has one, else its name.
[[nodiscard]] inline const std::string &displayName(const FeatureDefinition &definition)
{
    return definition.description.empty() ? definition.name : definition.description;
}

class FeatureSchema
{
public:
    FeatureSchema() = default;

    // Rejects an empty list, empty names and duplicate names (InvalidArgument).
    static Result<FeatureSchema> fromDefinitions(std::vector<FeatureDefinition> definitions);

    // {"features": [{"name": "...", "modality": "records", "unit": "mg/dL", "description": "..."}]}
    // "unit" and "description" may be absent; "modality" defaults to "records". Errors name
    // `sourceName` and the feature's position.
    static Result<FeatureSchema> fromJson(std::string_view json, std::string_view sourceName);
    static Result<FeatureSchema> readFile(const std::filesystem::path &path);
    [[nodiscard]] std::string toJson() const;

    [[nodiscard]] std::size_t size() const { return m_definitions.size(); }
    [[nodiscard]] bool empty() const { return m_definitions.empty(); }
    [[nodiscard]] const FeatureDefinition &at(std::size_t index) const { return m_definitions.at(index); }
    [[nodiscard]] std::span<const FeatureDefinition> definitions() const { return m_definitions; }
    [[nodiscard]] std::optional<std::size_t> indexOf(std::string_view name) const;
    [[nodiscard]] std::vector<std::string> names() const;

    friend bool operator==(const FeatureSchema &, const FeatureSchema &) = default;

private:
    std::vector<FeatureDefinition> m_definitions;
};

} // namespace mosaic
