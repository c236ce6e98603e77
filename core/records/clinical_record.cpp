// SPDX-License-Identifier: Apache-2.0
#include "core/records/clinical_record.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <utility>

namespace mosaic::records {

namespace {

std::string lowercase(std::string_view text)
{
    std::string result(text);
    std::ranges::transform(
        result, result.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return result;
}

// Reads exactly `width` decimal digits at `position`; nullopt otherwise.
std::optional<int> digits(std::string_view text, std::size_t position, std::size_t width)
{
    if (position + width > text.size())
        return std::nullopt;
    int value = 0;
    for (std::size_t i = position; i < position + width; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool codingMatches(const Coding &coding, std::string_view system, std::string_view code)
{
    return coding.code == code && canonicalCodeSystem(coding.system) == canonicalCodeSystem(system);
}

bool categoryNames(const std::vector<CodeableConcept> &categories, std::string_view code)
{
    return std::ranges::any_of(categories, [code](const CodeableConcept &category) {
        return std::ranges::any_of(
            category.codings, [code](const Coding &coding) { return coding.code == code; });
    });
}

} // namespace

std::string canonicalCodeSystem(std::string_view nameOrUri)
{
    static constexpr std::array<std::pair<std::string_view, std::string_view>, 12> aliases { {
        { "loinc", kLoincSystem },
        { "lnc", kLoincSystem },
        { "snomed", kSnomedSystem },
        { "snomedct", kSnomedSystem },
        { "snomed-ct", kSnomedSystem },
        { "sct", kSnomedSystem },
        { "icd10", kIcd10System },
        { "icd-10", kIcd10System },
        { "icd10cm", kIcd10CmSystem },
        { "icd-10-cm", kIcd10CmSystem },
        { "rxnorm", kRxNormSystem },
        { "ucum", kUcumSystem },
    } };
    const std::string lower = lowercase(nameOrUri);
    for (const auto &[alias, uri] : aliases) {
        if (lower == alias)
            return std::string(uri);
    }
    return std::string(nameOrUri);
}

bool CodeableConcept::has(std::string_view system, std::string_view code) const
{
    return std::ranges::any_of(
        codings, [&](const Coding &coding) { return codingMatches(coding, system, code); });
}

std::string CodeableConcept::label() const
{
    if (!codings.empty() && !codings.front().display.empty())
        return codings.front().display;
    if (!text.empty())
        return text;
    if (!codings.empty())
        return codings.front().system + "|" + codings.front().code;
    return {};
}

bool Observation::isVitalSign() const
{
    return categoryNames(category, "vital-signs");
}

bool Observation::isLaboratory() const
{
    return categoryNames(category, "laboratory");
}

std::optional<ClinicalTime> parseClinicalTime(std::string_view text)
{
    using namespace std::chrono;
    ClinicalTime time;
    time.text = std::string(text);
    const auto year = digits(text, 0, 4);
    if (!year)
        return std::nullopt;
    int monthValue = 1;
    int dayValue = 1;
    time.precision = ClinicalTime::Precision::Year;
    std::size_t position = 4;
    if (position < text.size()) {
        const auto month = text[position] == '-' ? digits(text, position + 1, 2) : std::nullopt;
        if (!month || *month < 1 || *month > 12)
            return std::nullopt;
        monthValue = *month;
        time.precision = ClinicalTime::Precision::Month;
        position += 3;
    }
    if (position < text.size()) {
        const auto day = text[position] == '-' ? digits(text, position + 1, 2) : std::nullopt;
        if (!day)
            return std::nullopt;
        dayValue = *day;
        time.precision = ClinicalTime::Precision::Day;
        position += 3;
    }
    const year_month_day date { std::chrono::year { *year },
        std::chrono::month { static_cast<unsigned>(monthValue) },
        std::chrono::day { static_cast<unsigned>(dayValue) } };
    if (!date.ok())
        return std::nullopt;
    std::int64_t seconds = sys_days { date }.time_since_epoch() / std::chrono::seconds { 1 };
    if (position < text.size()) {
        // "Thh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)"; FHIR requires the zone when a time is given.
        const bool separatorsPresent = position + 9 <= text.size() && text[position] == 'T'
            && text[position + 3] == ':' && text[position + 6] == ':';
        const int hour = separatorsPresent ? digits(text, position + 1, 2).value_or(-1) : -1;
        const int minute = separatorsPresent ? digits(text, position + 4, 2).value_or(-1) : -1;
        const int second = separatorsPresent ? digits(text, position + 7, 2).value_or(-1) : -1;
        if (hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 60)
            return std::nullopt;
        seconds += hour * 3600 + minute * 60 + second;
        position += 9;
        if (position < text.size() && text[position] == '.') {
            ++position;
            const std::size_t fractionStart = position;
            while (position < text.size() && text[position] >= '0' && text[position] <= '9')
                ++position;
            if (position == fractionStart)
                return std::nullopt;
        }
        if (position == text.size())
            return std::nullopt;
        if (text[position] == 'Z') {
            ++position;
        } else if (text[position] == '+' || text[position] == '-') {
            const bool zoneSeparator = position + 6 <= text.size() && text[position + 3] == ':';
            const int zoneHour = zoneSeparator ? digits(text, position + 1, 2).value_or(-1) : -1;
            const int zoneMinute = zoneSeparator ? digits(text, position + 4, 2).value_or(-1) : -1;
            if (zoneHour < 0 || zoneMinute < 0 || zoneHour > 14 || zoneMinute > 59)
                return std::nullopt;
            const std::int64_t offset = zoneHour * 3600 + zoneMinute * 60;
            seconds += text[position] == '+' ? -offset : offset;
            position += 6;
        } else {
            return std::nullopt;
        }
        time.precision = ClinicalTime::Precision::Second;
    }
    if (position != text.size())
        return std::nullopt;
    time.utcSeconds = seconds;
    return time;
}

} // namespace mosaic::records
