// SPDX-License-Identifier: Apache-2.0
// One patient's events over time, by category, for the GUI to draw: encounters, conditions,
// medications, laboratory results, vital signs, other observations, procedures, imaging studies,
// allergies, and genotype results (added by the caller as generic events: genotype files carry no
// clinical dates). Each event keeps a pointer back to its source (file, resource type and id, or
// CSV line). Diagnostic reports are not events of their own: their results are already there as
// observations.
//
// Dated events are kept sorted by start, then category, then label. An event without a date is
// counted and kept apart (undatedEvents), never placed at 1970.
#pragma once

#include "core/records/clinical_record.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic::records {

enum class TimelineCategory {
    Encounter,
    Condition,
    Medication,
    Laboratory, // Observation.category "laboratory"
    VitalSign, // Observation.category "vital-signs", or no category and a code of the FHIR vital-signs
               // profile
    Observation, // any other observation: survey, social history, exam, imaging, ...
    Procedure,
    ImagingStudy,
    Allergy,
    Genotype,
};
inline constexpr std::size_t kTimelineCategoryCount = 10;

// "encounter", "condition", "medication", "laboratory", "vital-sign", "observation", "procedure",
// "imaging-study", "allergy", "genotype".
[[nodiscard]] std::string_view timelineCategoryName(TimelineCategory category);

struct TimelineEvent
{
    TimelineCategory category = TimelineCategory::Observation;
    std::optional<ClinicalTime> start;
    // The end of a period: an encounter's end, a condition's abatement, a medication's end. Absent
    // for point events and for periods still open.
    std::optional<ClinicalTime> end;
    std::string label; // "Creatinine", "Hypertension", "CYP2C19 *1/*2"
    std::string code; // "system|code" of the first coding, e.g. "http://loinc.org|2160-0"; may be empty
    std::string valueText; // "1.2 mg/dL", "Systolic blood pressure 120 mm[Hg], ..."; may be empty
    RecordSource source;
};

class PatientTimeline
{
public:
    // Every encounter, condition (start: onset, else recorded), medication, observation (start:
    // effective, else issued), procedure, imaging study and allergy (recorded) of the record.
    [[nodiscard]] static PatientTimeline fromRecord(const PatientRecord &record);

    // Inserts in order (dated) or appends to the undated events.
    void add(TimelineEvent event);

    [[nodiscard]] const std::vector<TimelineEvent> &events() const { return m_events; }
    [[nodiscard]] const std::vector<TimelineEvent> &undatedEvents() const { return m_undated; }
    [[nodiscard]] std::size_t count(TimelineCategory category) const; // dated events of a category
    [[nodiscard]] std::size_t undatedCount(TimelineCategory category) const;
    [[nodiscard]] std::size_t undatedCount() const { return m_undated.size(); }

    // Dated events that overlap [fromUtcSeconds, toUtcSeconds], both ends inclusive: a point event
    // inside it, or a period that starts on or before `to` and ends on or after `from`. An encounter,
    // condition or medication without an end is a period still open (it overlaps every later range);
    // any other event without an end is a point. In timeline order. Linear in the number of events
    // that start on or before `to`.
    [[nodiscard]] std::vector<const TimelineEvent *> inRange(
        std::int64_t fromUtcSeconds, std::int64_t toUtcSeconds) const;

    // The earliest start and the latest start or end of the dated events; nullopt when none.
    [[nodiscard]] std::optional<std::pair<std::int64_t, std::int64_t>> extent() const;

private:
    std::vector<TimelineEvent> m_events;
    std::vector<TimelineEvent> m_undated;
};

} // namespace mosaic::records
