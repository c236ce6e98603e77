// SPDX-License-Identifier: Apache-2.0
#include "core/records/record_features.h"

#include "core/records/molar_mass.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <set>

namespace mosaic::records {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::int64_t kSecondsPerDay = 86'400;
// UCUM's "a" is the Julian year: 365.25 days.
constexpr double kSecondsPerYear = 365.25 * 86'400.0;
// How many resource references a provenance lists before it says "and N more".
constexpr std::size_t kMaxListedSources = 10;

constexpr std::array<std::pair<RecordDerivation, std::string_view>, 11> kDerivations { {
    { RecordDerivation::Latest, "latest" },
    { RecordDerivation::First, "first" },
    { RecordDerivation::Minimum, "min" },
    { RecordDerivation::Maximum, "max" },
    { RecordDerivation::Mean, "mean" },
    { RecordDerivation::Slope, "slope" },
    { RecordDerivation::Count, "count" },
    { RecordDerivation::ConditionPresent, "conditionPresent" },
    { RecordDerivation::MedicationPresent, "medicationPresent" },
    { RecordDerivation::Age, "age" },
    { RecordDerivation::Bmi, "bmi" },
} };

bool isObservationValue(RecordDerivation derivation)
{
    return derivation <= RecordDerivation::Slope;
}

bool isPresence(RecordDerivation derivation)
{
    return derivation == RecordDerivation::ConditionPresent
        || derivation == RecordDerivation::MedicationPresent;
}

std::string shortestNumber(double value)
{
    std::array<char, 64> buffer {};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return ec == std::errc {} ? std::string(buffer.data(), end) : std::string("?");
}

// Four significant digits: enough to check a conversion by eye, not a false precision.
std::string roundedNumber(double value)
{
    std::array<char, 64> buffer {};
    std::snprintf(buffer.data(), buffer.size(), "%.4g", value);
    return buffer.data();
}

std::string lowercase(std::string_view text)
{
    std::string result(text);
    std::ranges::transform(
        result, result.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

// ---------------------------------------------------------------------------------------------
// The specification

std::string jsonWhat(const nlohmann::json::exception &error)
{
    std::string_view what = error.what();
    const auto tagEnd = what.find("] ");
    if (what.starts_with("[json.exception.") && tagEnd != std::string_view::npos)
        what.remove_prefix(tagEnd + 2);
    return std::string(what);
}

class SpecParser
{
public:
    SpecParser(std::string_view sourceName, const UcumUnits &units)
        : m_source(sourceName)
        , m_units(units)
    { }

    std::unexpected<Error> refuse(const std::string &path, std::string detail) const
    {
        return fail(
            ErrorCode::Malformed, std::move(detail), path.empty() ? m_source : m_source + ", " + path);
    }

    Result<std::optional<std::string>> optionalString(
        const nlohmann::json &object, const char *key, const std::string &path) const
    {
        const auto member = object.find(key);
        if (member == object.end())
            return std::optional<std::string> {};
        if (!member->is_string())
            return refuse(path + "." + key, std::string("must be a string, not ") + member->type_name());
        return std::optional<std::string>(member->get<std::string>());
    }

    Result<std::vector<CodeSelector>> codes(
        const nlohmann::json &object, const char *key, const std::string &path) const
    {
        std::vector<CodeSelector> selectors;
        const auto member = object.find(key);
        if (member == object.end())
            return selectors;
        const std::string where = path + "." + key;
        if (!member->is_array() || member->empty())
            return refuse(where, "must be a non-empty array of \"system|code\" strings");
        if (member->size() > kMaxCodesPerFeature)
            return fail(ErrorCode::LimitExceeded,
                "more codes than the limit of " + std::to_string(kMaxCodesPerFeature),
                m_source + ", " + where);
        for (std::size_t index = 0; index < member->size(); ++index) {
            const auto &entry = (*member)[index];
            const std::string entryPath = where + "[" + std::to_string(index) + "]";
            if (!entry.is_string())
                return refuse(
                    entryPath, std::string("must be a \"system|code\" string, not ") + entry.type_name());
            const auto text = entry.get<std::string>();
            const auto bar = text.rfind('|');
            if (bar == std::string::npos || bar == 0 || bar + 1 == text.size())
                return refuse(entryPath,
                    "must be \"system|code\" with a system name or URI (\"LOINC|2160-0\", "
                    "\"http://snomed.info/sct|38341003\", \"ICD-10|I50*\")");
            CodeSelector selector { canonicalCodeSystem(text.substr(0, bar)), text.substr(bar + 1), false };
            if (selector.code.ends_with('*')) {
                selector.code.pop_back();
                selector.prefix = true;
                if (selector.code.empty())
                    return refuse(entryPath, "a '*' must follow the start of a code");
            }
            if (selector.code.find('*') != std::string::npos)
                return refuse(entryPath, "'*' may only end a code");
            selectors.push_back(std::move(selector));
        }
        return selectors;
    }

    Result<void> checkUcum(const std::string &unit, const std::string &path) const
    {
        if (auto parsed = m_units.parse(unit); !parsed)
            return refuse(path, "not a UCUM unit: " + parsed.error().detail);
        return {};
    }

    Result<RecordFeatureDefinition> feature(const nlohmann::json &entry, const std::string &path) const
    {
        if (!entry.is_object())
            return refuse(path, std::string("each feature must be a JSON object, not ") + entry.type_name());
        static constexpr std::array<std::string_view, 10> kKeys { "name", "description", "derivation",
            "codes", "unit", "windowDays", "when", "bmiCodes", "weightCodes", "heightCodes" };
        for (const auto &item : entry.items()) {
            if (std::ranges::find(kKeys, item.key()) == kKeys.end())
                return refuse(path,
                    "unknown key \"" + item.key()
                        + "\" (name, description, derivation, codes, unit, windowDays, when, bmiCodes, "
                          "weightCodes, heightCodes)");
        }
        RecordFeatureDefinition definition;
        auto name = optionalString(entry, "name", path);
        if (!name)
            return std::unexpected(name.error());
        if (!*name || (*name)->empty())
            return refuse(path, "every feature needs a non-empty \"name\"");
        definition.name = std::move(**name);
        auto description = optionalString(entry, "description", path);
        if (!description)
            return std::unexpected(description.error());
        definition.description = description->value_or("");

        auto derivation = optionalString(entry, "derivation", path);
        if (!derivation)
            return std::unexpected(derivation.error());
        const auto known = std::ranges::find_if(kDerivations,
            [&](const auto &pair) { return derivation->has_value() && pair.second == **derivation; });
        if (known == kDerivations.end())
            return refuse(path + ".derivation",
                "must be one of latest, first, min, max, mean, slope, count, conditionPresent, "
                "medicationPresent, age, bmi");
        definition.derivation = known->first;
        const RecordDerivation kind = definition.derivation;

        auto codes = this->codes(entry, "codes", path);
        if (!codes)
            return std::unexpected(codes.error());
        definition.codes = std::move(*codes);
        const bool needsCodes
            = isObservationValue(kind) || kind == RecordDerivation::Count || isPresence(kind);
        if (needsCodes && definition.codes.empty())
            return refuse(path, "a " + std::string(known->second) + " feature needs \"codes\"");
        if (!needsCodes && entry.contains("codes"))
            return refuse(path + ".codes", "not used by a " + std::string(known->second) + " feature");

        for (const char *key : { "bmiCodes", "weightCodes", "heightCodes" }) {
            if (kind != RecordDerivation::Bmi && entry.contains(key))
                return refuse(path + "." + key, "only a bmi feature takes it");
        }
        if (kind == RecordDerivation::Bmi) {
            auto bmi = this->codes(entry, "bmiCodes", path);
            if (!bmi)
                return std::unexpected(bmi.error());
            auto weight = this->codes(entry, "weightCodes", path);
            if (!weight)
                return std::unexpected(weight.error());
            auto height = this->codes(entry, "heightCodes", path);
            if (!height)
                return std::unexpected(height.error());
            // LOINC 39156-5 Body mass index, 29463-7 Body weight, 8302-2 Body height.
            definition.bmiCodes = bmi->empty()
                ? std::vector { CodeSelector { std::string(kLoincSystem), "39156-5" } }
                : std::move(*bmi);
            definition.weightCodes = weight->empty()
                ? std::vector { CodeSelector { std::string(kLoincSystem), "29463-7" } }
                : std::move(*weight);
            definition.heightCodes = height->empty()
                ? std::vector { CodeSelector { std::string(kLoincSystem), "8302-2" } }
                : std::move(*height);
        }

        if (const auto window = entry.find("windowDays"); window != entry.end()) {
            if (!isObservationValue(kind) && kind != RecordDerivation::Count && kind != RecordDerivation::Bmi)
                return refuse(
                    path + ".windowDays", "not used by a " + std::string(known->second) + " feature");
            if (!window->is_number_integer() || window->get<std::int64_t>() < 1
                || window->get<std::int64_t>() > kMaxWindowDays)
                return refuse(path + ".windowDays",
                    "must be a whole number of days from 1 to " + std::to_string(kMaxWindowDays));
            definition.windowDays = static_cast<int>(window->get<std::int64_t>());
        }

        auto when = optionalString(entry, "when", path);
        if (!when)
            return std::unexpected(when.error());
        if (*when) {
            if (!isPresence(kind))
                return refuse(path + ".when", "only condition and medication features take it");
            if (**when == "active")
                definition.presence = PresenceRule::ActiveAtIndex;
            else if (**when != "ever")
                return refuse(
                    path + ".when", "must be \"ever\" (on or before the index) or \"active\" (at the index)");
        }

        auto unit = optionalString(entry, "unit", path);
        if (!unit)
            return std::unexpected(unit.error());
        const std::string unitPath = path + ".unit";
        definition.unit = unit->value_or("");
        if (isObservationValue(kind)) {
            if (definition.unit.empty())
                return refuse(
                    path, "a " + std::string(known->second) + " feature needs its canonical UCUM \"unit\"");
            if (auto checked = checkUcum(definition.unit, unitPath); !checked)
                return std::unexpected(checked.error());
        } else if (kind == RecordDerivation::Count || isPresence(kind)) {
            if (!definition.unit.empty())
                return refuse(unitPath, "a " + std::string(known->second) + " feature has no unit");
        } else if (kind == RecordDerivation::Age) {
            if (definition.unit.empty())
                definition.unit = "a";
            if (definition.unit != "a")
                return refuse(unitPath, "an age is in completed years, \"a\"");
        } else if (kind == RecordDerivation::Bmi) {
            if (definition.unit.empty())
                definition.unit = "kg/m2";
            if (auto checked = checkUcum(definition.unit, unitPath); !checked)
                return std::unexpected(checked.error());
            if (!m_units.commensurable(definition.unit, "kg/m2"))
                return refuse(unitPath, "a BMI unit must be commensurable with kg/m2");
        }
        return definition;
    }

private:
    std::string m_source;
    const UcumUnits &m_units;
};

// nlohmann keeps the last of two equal keys without a word; a specification that says two things
// must be refused, so the parse callback tracks the keys of every open object.
struct DuplicateKeyCheck
{
    std::vector<std::set<std::string>> open;
    std::optional<std::string> duplicate;
    std::size_t depth = 0;
};

// ---------------------------------------------------------------------------------------------
// Derivation

std::string sourceReference(const RecordSource &source)
{
    if (source.resourceType == "csv")
        return source.file + ", " + source.id;
    return source.resourceType + "/" + source.id;
}

std::string dateText(const ClinicalTime &time)
{
    return time.text.size() > 10 ? time.text.substr(0, 10) : time.text;
}

std::string indexText(const ClinicalTime &index)
{
    if (!index.text.empty())
        return index.text;
    using namespace std::chrono;
    const year_month_day date { sys_days { days { index.utcSeconds / kSecondsPerDay } } };
    std::array<char, 32> buffer {};
    std::snprintf(buffer.data(), buffer.size(), "%04d-%02u-%02u", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
    return buffer.data();
}

std::string joinedSources(const std::vector<std::string> &references)
{
    std::string joined;
    for (std::size_t index = 0; index < references.size() && index < kMaxListedSources; ++index)
        joined += (index == 0 ? "" : ", ") + references[index];
    if (references.size() > kMaxListedSources)
        joined += " and " + std::to_string(references.size() - kMaxListedSources) + " more";
    return joined;
}

const Coding *matchingCoding(const CodeableConcept &concept_, const std::vector<CodeSelector> &selectors)
{
    for (const Coding &coding : concept_.codings) {
        for (const CodeSelector &selector : selectors) {
            if (selector.matches(coding))
                return &coding;
        }
    }
    return nullptr;
}

// One usable value: converted, dated, with where it came from.
struct Sample
{
    double value = 0.0;
    std::int64_t time = 0;
    std::size_t order = 0; // position among the samples, for ties
    std::string reference; // "Observation/<id>"
    std::string location; // "2011-10-14, 1.2 mg/dL -> 106.1 umol/L"
};

class Deriver
{
public:
    Deriver(const PatientRecord &record, const ClinicalTime &index, const UcumUnits &units,
        std::vector<RecordFeatureWarning> &warnings)
        : m_record(record)
        , m_index(index)
        , m_indexText(indexText(index))
        , m_units(units)
        , m_warnings(warnings)
    { }

    std::pair<double, Provenance> derive(const RecordFeatureDefinition &feature)
    {
        m_feature = &feature;
        switch (feature.derivation) {
        case RecordDerivation::Latest:
        case RecordDerivation::First:
        case RecordDerivation::Minimum:
        case RecordDerivation::Maximum:
        case RecordDerivation::Mean:
        case RecordDerivation::Slope:
            return aggregate(feature, collect(feature.codes, feature.unit, feature.windowDays));
        case RecordDerivation::Count: return count(feature);
        case RecordDerivation::ConditionPresent: return conditionPresent(feature);
        case RecordDerivation::MedicationPresent: return medicationPresent(feature);
        case RecordDerivation::Age: return age();
        case RecordDerivation::Bmi: return bmi(feature);
        }
        return { kNaN, {} };
    }

private:
    void warn(std::string source, std::string detail)
    {
        m_warnings.push_back({ m_feature->name, std::move(source), std::move(detail) });
    }

    [[nodiscard]] bool inWindow(std::int64_t time, std::optional<int> windowDays) const
    {
        if (time > m_index.utcSeconds)
            return false;
        return !windowDays || time >= m_index.utcSeconds - std::int64_t { *windowDays } * kSecondsPerDay;
    }

    [[nodiscard]] std::string windowText(std::optional<int> windowDays) const
    {
        return windowDays ? "in the " + std::to_string(*windowDays) + " days up to " + m_indexText
                          : "up to " + m_indexText;
    }

    static bool excludedStatus(const Observation &observation)
    {
        return observation.status == "entered-in-error" || observation.status == "cancelled";
    }

    // `value` in `target`, or why not.
    Result<double> convert(const Quantity &quantity, const Coding &coding, const std::string &target) const
    {
        if (!quantity.system.empty() && canonicalCodeSystem(quantity.system) != kUcumSystem)
            return fail(ErrorCode::InvalidArgument, "the unit is not a UCUM code (its system is not UCUM)");
        if (quantity.unit.empty()) {
            if (target.empty() || target == "1")
                return quantity.value;
            return fail(ErrorCode::InvalidArgument, "the value has no unit; the feature is in " + target);
        }
        if (quantity.unit == target)
            return quantity.value;
        const std::optional<double> molarMass = canonicalCodeSystem(coding.system) == kLoincSystem
            ? molarMassForLoinc(coding.code)
            : std::nullopt;
        auto converted = m_units.convert(quantity.value, quantity.unit, target, molarMass);
        if (!converted)
            return fail(ErrorCode::InvalidArgument,
                "'" + quantity.unit + "' cannot be converted to '" + target
                    + "': " + converted.error().detail);
        return converted;
    }

    // Every value of the selected codes (an observation's own code or a component's) in the window,
    // in `target`. What cannot be used is reported.
    std::vector<Sample> collect(
        const std::vector<CodeSelector> &codes, const std::string &target, std::optional<int> windowDays)
    {
        std::vector<Sample> samples;
        for (const Observation &observation : m_record.observations) {
            if (excludedStatus(observation))
                continue;
            struct Candidate
            {
                const Coding *coding;
                const std::optional<Quantity> *quantity;
                bool component;
            };
            std::vector<Candidate> candidates;
            if (const Coding *coding = matchingCoding(observation.code, codes))
                candidates.push_back({ coding, &observation.quantity, false });
            for (const ObservationComponent &component : observation.components) {
                if (const Coding *coding = matchingCoding(component.code, codes))
                    candidates.push_back({ coding, &component.quantity, true });
            }
            if (candidates.empty())
                continue;
            const std::string reference = sourceReference(observation.source);
            if (!observation.effective) {
                warn(reference, "no effective time, so it cannot be placed in the window");
                continue;
            }
            if (!inWindow(observation.effective->utcSeconds, windowDays))
                continue;
            for (const Candidate &candidate : candidates) {
                std::string location = dateText(*observation.effective) + ", ";
                if (candidate.component)
                    location += "component " + candidate.coding->code + ": ";
                if (!*candidate.quantity) {
                    warn(reference, location + "no numeric value (valueQuantity)");
                    continue;
                }
                const Quantity &quantity = **candidate.quantity;
                location
                    += shortestNumber(quantity.value) + (quantity.unit.empty() ? "" : " " + quantity.unit);
                auto value = convert(quantity, *candidate.coding, target);
                if (!value) {
                    warn(reference, location + ": " + value.error().detail);
                    continue;
                }
                if (quantity.unit != target)
                    location += " -> " + roundedNumber(*value) + (target.empty() ? "" : " " + target);
                samples.push_back(
                    { *value, observation.effective->utcSeconds, samples.size(), reference, location });
            }
        }
        return samples;
    }

    static const Sample &latest(const std::vector<Sample> &samples)
    {
        // On equal times the one later in the record wins.
        return *std::ranges::max_element(samples, [](const Sample &a, const Sample &b) {
            return a.time != b.time ? a.time < b.time : a.order < b.order;
        });
    }

    std::pair<double, Provenance> aggregate(
        const RecordFeatureDefinition &feature, const std::vector<Sample> &samples)
    {
        if (samples.empty())
            return { kNaN, Provenance { {}, "no usable value " + windowText(feature.windowDays) } };
        auto single = [](const Sample &sample) {
            return std::pair { sample.value, Provenance { sample.reference, sample.location } };
        };
        // Ties: the earliest of equal times (first), the earliest of equal values (min, max).
        auto earlier = [](const Sample &a, const Sample &b) {
            return a.time != b.time ? a.time < b.time : a.order < b.order;
        };
        switch (feature.derivation) {
        case RecordDerivation::Latest: return single(latest(samples));
        case RecordDerivation::First: return single(*std::ranges::min_element(samples, earlier));
        case RecordDerivation::Minimum:
            return single(*std::ranges::min_element(samples, [&](const Sample &a, const Sample &b) {
                return a.value != b.value ? a.value < b.value : earlier(a, b);
            }));
        case RecordDerivation::Maximum:
            return single(*std::ranges::min_element(samples, [&](const Sample &a, const Sample &b) {
                return a.value != b.value ? a.value > b.value : earlier(a, b);
            }));
        default: break;
        }
        std::vector<std::string> references;
        for (const Sample &sample : samples) {
            if (std::ranges::find(references, sample.reference) == references.end())
                references.push_back(sample.reference);
        }
        const auto [first, last] = std::ranges::minmax_element(samples, earlier);
        const std::string span = std::to_string(samples.size()) + " values from "
            + first->location.substr(0, first->location.find(',')) + " to "
            + last->location.substr(0, last->location.find(','));
        double mean = 0.0;
        for (const Sample &sample : samples)
            mean += sample.value;
        mean /= static_cast<double>(samples.size());
        if (feature.derivation == RecordDerivation::Mean)
            return { mean,
                Provenance { joinedSources(references), "mean of " + span + ", in " + feature.unit } };

        // Least squares: slope = sum((t - tMean)(v - vMean)) / sum((t - tMean)^2), t in years.
        double timeMean = 0.0;
        for (const Sample &sample : samples)
            timeMean += static_cast<double>(sample.time - m_index.utcSeconds) / kSecondsPerYear;
        timeMean /= static_cast<double>(samples.size());
        double covariance = 0.0;
        double variance = 0.0;
        for (const Sample &sample : samples) {
            const double t
                = static_cast<double>(sample.time - m_index.utcSeconds) / kSecondsPerYear - timeMean;
            covariance += t * (sample.value - mean);
            variance += t * t;
        }
        if (samples.size() < 2 || variance <= 0.0)
            return { kNaN,
                Provenance {
                    joinedSources(references), "a slope needs values at two or more times; " + span } };
        return { covariance / variance,
            Provenance { joinedSources(references),
                "least-squares slope of " + span + ", in " + feature.featureUnit() } };
    }

    std::pair<double, Provenance> count(const RecordFeatureDefinition &feature)
    {
        std::vector<std::string> references;
        for (const Observation &observation : m_record.observations) {
            if (excludedStatus(observation))
                continue;
            const bool matches = matchingCoding(observation.code, feature.codes)
                || std::ranges::any_of(observation.components, [&](const ObservationComponent &component) {
                       return matchingCoding(component.code, feature.codes) != nullptr;
                   });
            if (!matches)
                continue;
            if (!observation.effective) {
                warn(sourceReference(observation.source),
                    "no effective time, so it cannot be placed in the window");
                continue;
            }
            if (inWindow(observation.effective->utcSeconds, feature.windowDays))
                references.push_back(sourceReference(observation.source));
        }
        return { static_cast<double>(references.size()),
            Provenance { joinedSources(references),
                std::to_string(references.size()) + " observations " + windowText(feature.windowDays) } };
    }

    struct PresentMatch
    {
        std::int64_t start = 0;
        std::string reference;
        std::string location;
    };

    std::pair<double, Provenance> presence(
        const RecordFeatureDefinition &feature, std::vector<PresentMatch> matches, std::string_view what)
    {
        const std::string rule = feature.presence == PresenceRule::ActiveAtIndex
            ? "active at " + m_indexText
            : "on or before " + m_indexText;
        if (matches.empty())
            return { 0.0, Provenance { {}, "no matching " + std::string(what) + " " + rule } };
        std::ranges::stable_sort(matches, {}, &PresentMatch::start);
        std::vector<std::string> references;
        for (const PresentMatch &match : matches)
            references.push_back(match.reference);
        return { 1.0, Provenance { joinedSources(references), matches.front().location + "; " + rule } };
    }

    std::pair<double, Provenance> conditionPresent(const RecordFeatureDefinition &feature)
    {
        std::vector<PresentMatch> matches;
        for (const Condition &condition : m_record.conditions) {
            const Coding *coding = matchingCoding(condition.code, feature.codes);
            if (!coding)
                continue;
            const std::string verification = lowercase(condition.verificationStatus);
            if (verification == "refuted" || verification == "entered-in-error")
                continue;
            const std::string reference = sourceReference(condition.source);
            const auto &start = condition.onset ? condition.onset : condition.recorded;
            if (!start) {
                warn(reference, "no onset or recorded date, so it cannot be placed before the index");
                continue;
            }
            if (start->utcSeconds > m_index.utcSeconds)
                continue;
            if (feature.presence == PresenceRule::ActiveAtIndex) {
                // The abatement date decides when there is one; without it the current clinical
                // status does (a condition resolved at an unknown date is not counted as active).
                const std::string status = lowercase(condition.clinicalStatus);
                const bool active = condition.abatement
                    ? condition.abatement->utcSeconds > m_index.utcSeconds
                    : status != "inactive" && status != "remission" && status != "resolved";
                if (!active)
                    continue;
            }
            matches.push_back({ start->utcSeconds, reference,
                std::string(condition.onset ? "onset " : "recorded ") + dateText(*start) + ", "
                    + coding->system + "|" + coding->code });
        }
        return presence(feature, std::move(matches), "condition");
    }

    std::pair<double, Provenance> medicationPresent(const RecordFeatureDefinition &feature)
    {
        std::vector<PresentMatch> matches;
        for (const MedicationRecord &medication : m_record.medications) {
            const Coding *coding = matchingCoding(medication.medication, feature.codes);
            if (!coding)
                continue;
            const std::string status = lowercase(medication.status);
            // Never given: an order cancelled or drafted, a statement of not taking, an error.
            if (status == "entered-in-error" || status == "cancelled" || status == "draft"
                || status == "not-taken")
                continue;
            const std::string reference = sourceReference(medication.source);
            if (!medication.start) {
                warn(reference, "no start date, so it cannot be placed before the index");
                continue;
            }
            if (medication.start->utcSeconds > m_index.utcSeconds)
                continue;
            if (feature.presence == PresenceRule::ActiveAtIndex) {
                const bool active = medication.end
                    ? medication.end->utcSeconds > m_index.utcSeconds
                    : status != "stopped" && status != "completed" && status != "on-hold";
                if (!active)
                    continue;
            }
            matches.push_back({ medication.start->utcSeconds, reference,
                "started " + dateText(*medication.start) + ", " + coding->system + "|" + coding->code });
        }
        return presence(feature, std::move(matches), "medication");
    }

    // Completed years: the birthday counts from its date (a 29 February birthday from 1 March in
    // other years). Dates are taken in UTC, as parseClinicalTime stores them.
    std::pair<double, Provenance> age()
    {
        // The birth date is an identifier: the provenance names where it is, not what it is.
        const Provenance provenance { "Patient.birthDate", "completed years at " + m_indexText };
        const auto &birth = m_record.patient.birthDate;
        if (!birth)
            return { kNaN, Provenance { "Patient.birthDate", "no birth date in the record" } };
        if (birth->utcSeconds > m_index.utcSeconds) {
            warn("Patient.birthDate", "the index date is before the birth date");
            return { kNaN, provenance };
        }
        // No age after death: an index date there is a mistake in the cohort definition, not a
        // 106-year-old patient.
        if (const auto &death = m_record.patient.deceased; death && death->utcSeconds < m_index.utcSeconds) {
            warn("Patient.deceasedDateTime", "the index date is after the recorded death");
            return { kNaN,
                Provenance { "Patient.deceasedDateTime", "the index date is after the recorded death" } };
        }
        using namespace std::chrono;
        auto civil = [](std::int64_t seconds) {
            const auto daysSinceEpoch = seconds >= 0 ? seconds / kSecondsPerDay
                                                     : -((-seconds + kSecondsPerDay - 1) / kSecondsPerDay);
            return year_month_day { sys_days { days { daysSinceEpoch } } };
        };
        const year_month_day born = civil(birth->utcSeconds);
        const year_month_day at = civil(m_index.utcSeconds);
        int years = static_cast<int>(at.year()) - static_cast<int>(born.year());
        if (std::pair { static_cast<unsigned>(at.month()), static_cast<unsigned>(at.day()) }
            < std::pair { static_cast<unsigned>(born.month()), static_cast<unsigned>(born.day()) })
            --years;
        return { static_cast<double>(years), provenance };
    }

    std::pair<double, Provenance> bmi(const RecordFeatureDefinition &feature)
    {
        const auto recorded = collect(feature.bmiCodes, feature.unit, feature.windowDays);
        if (!recorded.empty()) {
            const Sample &sample = latest(recorded);
            return { sample.value, Provenance { sample.reference, "recorded BMI " + sample.location } };
        }
        const auto weights = collect(feature.weightCodes, "kg", feature.windowDays);
        const auto heights = collect(feature.heightCodes, "m", feature.windowDays);
        if (weights.empty() || heights.empty())
            return { kNaN,
                Provenance {
                    {}, "no recorded BMI and no weight and height " + windowText(feature.windowDays) } };
        const Sample &weight = latest(weights);
        const Sample &height = latest(heights);
        if (height.value <= 0.0) {
            warn(height.reference, height.location + ": a height must be positive");
            return { kNaN, Provenance { height.reference, height.location } };
        }
        double value = weight.value / (height.value * height.value);
        if (feature.unit != "kg/m2") {
            auto converted = m_units.convert(value, "kg/m2", feature.unit);
            value = converted ? *converted : kNaN;
        }
        return { value,
            Provenance { weight.reference + ", " + height.reference,
                "weight " + weight.location + "; height " + height.location + " -> " + roundedNumber(value)
                    + " " + feature.unit } };
    }

    const PatientRecord &m_record;
    const ClinicalTime &m_index;
    std::string m_indexText;
    const UcumUnits &m_units;
    std::vector<RecordFeatureWarning> &m_warnings;
    const RecordFeatureDefinition *m_feature = nullptr;
};

} // namespace

std::string_view derivationName(RecordDerivation derivation)
{
    for (const auto &[value, name] : kDerivations) {
        if (value == derivation)
            return name;
    }
    return "latest";
}

bool CodeSelector::matches(const Coding &coding) const
{
    if (canonicalCodeSystem(coding.system) != system)
        return false;
    return prefix ? coding.code.starts_with(code) : coding.code == code;
}

std::string CodeSelector::text() const
{
    return system + "|" + code + (prefix ? "*" : "");
}

std::string RecordFeatureDefinition::featureUnit() const
{
    if (derivation == RecordDerivation::Slope)
        return unit + "/a";
    return unit;
}

Result<RecordFeatureSpec> RecordFeatureSpec::fromJson(
    std::string_view json, std::string_view sourceName, const UcumUnits &units)
{
    const std::string source(sourceName);
    if (json.size() > kMaxRecordFeatureSpecBytes)
        return fail(ErrorCode::LimitExceeded,
            "the specification is larger than the limit of " + std::to_string(kMaxRecordFeatureSpecBytes)
                + " bytes",
            source);
    nlohmann::json document;
    DuplicateKeyCheck keys;
    try {
        document = nlohmann::json::parse(
            json, [&keys](int, nlohmann::json::parse_event_t event, nlohmann::json &parsed) {
                using Event = nlohmann::json::parse_event_t;
                if (event == Event::object_start)
                    keys.open.emplace_back();
                else if (event == Event::object_end && !keys.open.empty())
                    keys.open.pop_back();
                else if (event == Event::key && !keys.open.empty() && !keys.duplicate) {
                    const auto key = parsed.get<std::string>();
                    if (!keys.open.back().insert(key).second)
                        keys.duplicate = key;
                }
                return true;
            });
    } catch (const nlohmann::json::exception &error) {
        return fail(ErrorCode::Malformed, "not valid JSON: " + jsonWhat(error), source);
    }
    if (keys.duplicate)
        return fail(
            ErrorCode::Malformed, "the key \"" + *keys.duplicate + "\" appears twice in one object", source);
    SpecParser parser(sourceName, units);
    if (!document.is_object())
        return parser.refuse({}, "a record feature specification is a JSON object with a \"features\" array");
    for (const auto &item : document.items()) {
        if (item.key() != "features" && item.key() != "description")
            return parser.refuse({}, "unknown key \"" + item.key() + "\" (features, description)");
    }
    const auto features = document.find("features");
    if (features == document.end() || !features->is_array() || features->empty())
        return parser.refuse("features", "must be a non-empty array of features");
    if (features->size() > kMaxRecordFeatures)
        return fail(ErrorCode::LimitExceeded,
            "more features than the limit of " + std::to_string(kMaxRecordFeatures), source + ", features");

    RecordFeatureSpec spec;
    std::vector<FeatureDefinition> definitions;
    std::set<std::string> names;
    for (std::size_t index = 0; index < features->size(); ++index) {
        const std::string path = "features[" + std::to_string(index) + "]";
        auto feature = parser.feature((*features)[index], path);
        if (!feature)
            return std::unexpected(feature.error());
        if (!names.insert(feature->name).second)
            return parser.refuse(
                path + ".name", "the name \"" + feature->name + "\" is used by an earlier feature");
        definitions.push_back(
            { feature->name, Modality::Records, feature->featureUnit(), feature->description });
        spec.m_features.push_back(std::move(*feature));
    }
    auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
    if (!schema)
        return fail(ErrorCode::Malformed, schema.error().detail, source);
    spec.m_schema = std::make_shared<const FeatureSchema>(std::move(*schema));
    return spec;
}

Result<RecordFeatureSpec> RecordFeatureSpec::readFile(
    const std::filesystem::path &path, const UcumUnits &units)
{
    const std::string name = path.filename().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return fail(
            ErrorCode::NotFound, "the specification file does not exist or is not a regular file", name);
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "the file's size cannot be read", name);
    if (size > kMaxRecordFeatureSpecBytes)
        return fail(ErrorCode::LimitExceeded,
            "the specification is larger than the limit of " + std::to_string(kMaxRecordFeatureSpecBytes)
                + " bytes",
            name);
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size)))
        return fail(ErrorCode::NotFound, "the file cannot be read", name);
    return fromJson(text, name, units);
}

DerivedRecordFeatures deriveRecordFeatures(const PatientRecord &record, const RecordFeatureSpec &spec,
    const ClinicalTime &index, const UcumUnits &units)
{
    DerivedRecordFeatures derived { FeatureVector(spec.schema()), {} };
    Deriver deriver(record, index, units, derived.warnings);
    for (std::size_t position = 0; position < spec.features().size(); ++position) {
        auto [value, provenance] = deriver.derive(spec.features()[position]);
        derived.values.set(position, value, std::move(provenance));
    }
    return derived;
}

} // namespace mosaic::records
