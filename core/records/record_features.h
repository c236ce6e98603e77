// SPDX-License-Identifier: Apache-2.0
// Derived record features: the numbers a model or a clinician reads off a record at an index date
// (latest creatinine in the year before, mean systolic pressure, eGFR slope, diabetes present, age,
// BMI), declared in a feature specification (JSON, format in core/records/README.md, "Record feature
// specification") rather than in code, so a model bundle can carry the specification it was trained
// with.
//
// Every value is converted to its feature's canonical UCUM unit (UcumUnits, with the molar-mass
// table of molar_mass.h for mass <-> amount-of-substance lab units) and keeps its provenance: the
// resource type and id ("Observation/af55..." or "records.csv, line 12"), the date, the original value
// and unit and the converted one. An observation whose unit is not UCUM, is missing, or cannot be
// converted is never silently used: it is skipped and reported as a warning with its provenance;
// the feature is computed from the remaining values (and is missing when none remain).
// A missing value is NaN.
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/features/feature_vector.h"
#include "core/records/clinical_record.h"
#include "core/records/ucum_units.h"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic::records {

enum class RecordDerivation {
    Latest, // the value of the last observation in the window
    First, // the value of the first observation in the window
    Minimum,
    Maximum,
    Mean, // arithmetic mean of the values in the window
    Slope, // least-squares slope of value against time, per year (UCUM "a", 365.25 days)
    Count, // number of matching observations in the window, whatever their value or unit
    ConditionPresent, // 1 when a matching condition is present by the rule of `presence`, else 0
    MedicationPresent, // likewise for a medication
    Age, // completed years between birth date and index date
    Bmi, // body-mass index: a recorded BMI, else weight / height^2
};

// "latest", "first", "min", "max", "mean", "slope", "count", "conditionPresent",
// "medicationPresent", "age", "bmi".
[[nodiscard]] std::string_view derivationName(RecordDerivation derivation);

// One code or code family: system as canonicalCodeSystem gives it; `prefix` when the specification
// wrote "ICD-10|I50*" (every code that starts with "I50").
struct CodeSelector
{
    std::string system;
    std::string code;
    bool prefix = false;

    [[nodiscard]] bool matches(const Coding &coding) const;
    [[nodiscard]] std::string text() const; // "http://loinc.org|2160-0", "...|I50*"
    friend bool operator==(const CodeSelector &, const CodeSelector &) = default;
};

// When a condition or medication counts as present at the index date.
enum class PresenceRule {
    EverBeforeIndex, // it started (onset, else recorded; a medication's start) on or before the index
    ActiveAtIndex, // it started on or before the index and had not ended by then (see README)
};

struct RecordFeatureDefinition
{
    std::string name;
    std::string description;
    // The canonical UCUM unit values are converted to. For a slope the feature's own unit is this
    // unit per year ("mg/dL" -> "mg/dL/a"); count and presence features have none.
    std::string unit;
    RecordDerivation derivation = RecordDerivation::Latest;
    std::vector<CodeSelector> codes; // observation, condition or medication codes
    // Observations with effective time t count when index - windowDays <= t <= index (both edges
    // inclusive, in seconds: windowDays * 86,400). Absent: everything up to the index.
    std::optional<int> windowDays;
    PresenceRule presence = PresenceRule::EverBeforeIndex;
    // BMI only: the codes of a recorded BMI, body weight and body height.
    std::vector<CodeSelector> bmiCodes;
    std::vector<CodeSelector> weightCodes;
    std::vector<CodeSelector> heightCodes;

    // The schema's unit for this feature (unit, unit + "/a" for a slope, "" for count and presence).
    [[nodiscard]] std::string featureUnit() const;
};

inline constexpr std::size_t kMaxRecordFeatureSpecBytes = 4 * 1024 * 1024;
inline constexpr std::size_t kMaxRecordFeatures = 10'000;
inline constexpr std::size_t kMaxCodesPerFeature = 10'000;
inline constexpr int kMaxWindowDays = 36'525 * 2; // two centuries: longer than any record

class RecordFeatureSpec
{
public:
    // Parses and checks the specification: known keys only, no duplicate keys, every unit a UCUM
    // unit that `units` parses and that fits its derivation (an age in "a", a BMI commensurable with
    // kg/m2). Errors name `sourceName` and the JSON path ("features[3].unit").
    static Result<RecordFeatureSpec> fromJson(
        std::string_view json, std::string_view sourceName, const UcumUnits &units);
    static Result<RecordFeatureSpec> readFile(const std::filesystem::path &path, const UcumUnits &units);

    [[nodiscard]] const std::vector<RecordFeatureDefinition> &features() const { return m_features; }
    // Definitions with modality Records and each feature's unit, in specification order.
    [[nodiscard]] std::shared_ptr<const FeatureSchema> schema() const { return m_schema; }

private:
    std::vector<RecordFeatureDefinition> m_features;
    std::shared_ptr<const FeatureSchema> m_schema;
};

// A record element that was not used, and why: "Observation/af55...", "2011-10-14, 1.2 mg: 'mg' cannot
// be converted to 'umol/L'".
struct RecordFeatureWarning
{
    std::string feature;
    std::string source;
    std::string detail;
};

struct DerivedRecordFeatures
{
    FeatureVector values;
    std::vector<RecordFeatureWarning> warnings;
};

// Derives every feature of `spec` for one patient at `index`. `units` must be the table the spec
// was checked against.
[[nodiscard]] DerivedRecordFeatures deriveRecordFeatures(const PatientRecord &record,
    const RecordFeatureSpec &spec, const ClinicalTime &index, const UcumUnits &units);

} // namespace mosaic::records
