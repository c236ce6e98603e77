// SPDX-License-Identifier: Apache-2.0
#include "core/records/patient_timeline.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <limits>

namespace mosaic::records {

namespace {

// The observation codes of the FHIR R4 vital-signs profile
// (http://hl7.org/fhir/R4/observation-vitalsigns.html): used only for observations that carry no category at
// all (CSV rows without one, terse exports).
constexpr std::array<std::string_view, 13> kVitalSignLoincCodes { "85353-1", "9279-1", "8867-4", "2708-6",
    "59408-5", "8310-5", "8302-2", "9843-4", "29463-7", "39156-5", "85354-9", "8480-6", "8462-4" };

std::string shortestNumber(double value)
{
    std::array<char, 64> buffer {};
    const auto [end, ec] = std::to_chars(buffer.data(), buffer.data() + buffer.size(), value);
    return ec == std::errc {} ? std::string(buffer.data(), end) : std::string {};
}

std::string quantityText(const Quantity &quantity)
{
    const std::string &unit = quantity.displayUnit.empty() ? quantity.unit : quantity.displayUnit;
    return unit.empty() ? shortestNumber(quantity.value) : shortestNumber(quantity.value) + " " + unit;
}

std::string codeText(const CodeableConcept &coded)
{
    if (coded.codings.empty())
        return {};
    return coded.codings.front().system + "|" + coded.codings.front().code;
}

std::string valueText(const std::optional<Quantity> &quantity, const std::optional<CodeableConcept> &coded,
    const std::optional<std::string> &text)
{
    if (quantity)
        return quantityText(*quantity);
    if (coded)
        return coded->label();
    if (text)
        return *text;
    return {};
}

TimelineCategory observationCategory(const Observation &observation)
{
    if (observation.isVitalSign())
        return TimelineCategory::VitalSign;
    if (observation.isLaboratory())
        return TimelineCategory::Laboratory;
    if (observation.category.empty()) {
        for (const std::string_view code : kVitalSignLoincCodes) {
            if (observation.code.has(kLoincSystem, code))
                return TimelineCategory::VitalSign;
        }
    }
    return TimelineCategory::Observation;
}

std::string observationValue(const Observation &observation)
{
    std::string value = valueText(observation.quantity, observation.codedValue, observation.text);
    if (value.empty() && observation.boolean)
        value = *observation.boolean ? "true" : "false";
    for (const ObservationComponent &component : observation.components) {
        const std::string part = valueText(component.quantity, component.codedValue, component.text);
        if (part.empty())
            continue;
        if (!value.empty())
            value += ", ";
        value += component.code.label() + " " + part;
    }
    return value;
}

bool before(const TimelineEvent &a, const TimelineEvent &b)
{
    if (a.start->utcSeconds != b.start->utcSeconds)
        return a.start->utcSeconds < b.start->utcSeconds;
    if (a.category != b.category)
        return a.category < b.category;
    return a.label < b.label;
}

} // namespace

std::string_view timelineCategoryName(TimelineCategory category)
{
    switch (category) {
    case TimelineCategory::Encounter: return "encounter";
    case TimelineCategory::Condition: return "condition";
    case TimelineCategory::Medication: return "medication";
    case TimelineCategory::Laboratory: return "laboratory";
    case TimelineCategory::VitalSign: return "vital-sign";
    case TimelineCategory::Observation: return "observation";
    case TimelineCategory::Procedure: return "procedure";
    case TimelineCategory::ImagingStudy: return "imaging-study";
    case TimelineCategory::Allergy: return "allergy";
    case TimelineCategory::Genotype: return "genotype";
    }
    return "event";
}

PatientTimeline PatientTimeline::fromRecord(const PatientRecord &record)
{
    std::vector<TimelineEvent> events;
    events.reserve(record.encounters.size() + record.conditions.size() + record.medications.size()
        + record.observations.size() + record.procedures.size() + record.imagingStudies.size()
        + record.allergies.size());
    for (const Encounter &encounter : record.encounters) {
        TimelineEvent event { TimelineCategory::Encounter, encounter.start, encounter.end, {}, {}, {},
            encounter.source };
        if (!encounter.type.empty()) {
            event.label = encounter.type.front().label();
            event.code = codeText(encounter.type.front());
        }
        if (event.label.empty())
            event.label = encounter.classCode;
        event.valueText = encounter.classCode;
        events.push_back(std::move(event));
    }
    for (const Condition &condition : record.conditions) {
        events.push_back({ TimelineCategory::Condition,
            condition.onset ? condition.onset : condition.recorded, condition.abatement,
            condition.code.label(), codeText(condition.code), condition.clinicalStatus, condition.source });
    }
    for (const MedicationRecord &medication : record.medications) {
        events.push_back(
            { TimelineCategory::Medication, medication.start, medication.end, medication.medication.label(),
                codeText(medication.medication), medication.status, medication.source });
    }
    for (const Observation &observation : record.observations) {
        events.push_back({ observationCategory(observation),
            observation.effective ? observation.effective : observation.issued, std::nullopt,
            observation.code.label(), codeText(observation.code), observationValue(observation),
            observation.source });
    }
    for (const Procedure &procedure : record.procedures) {
        events.push_back({ TimelineCategory::Procedure, procedure.performed, std::nullopt,
            procedure.code.label(), codeText(procedure.code), procedure.status, procedure.source });
    }
    for (const ImagingStudyReference &study : record.imagingStudies) {
        std::string modalities;
        for (const std::string &modality : study.modalities)
            modalities += (modalities.empty() ? "" : "/") + modality;
        events.push_back({ TimelineCategory::ImagingStudy, study.started, std::nullopt,
            modalities.empty() ? std::string("Imaging study") : modalities + " study", {},
            std::to_string(study.seriesInstanceUids.size()) + " series, "
                + std::to_string(study.numberOfInstances) + " instances",
            study.source });
    }
    for (const AllergyIntolerance &allergy : record.allergies) {
        events.push_back({ TimelineCategory::Allergy, allergy.recorded, std::nullopt, allergy.code.label(),
            codeText(allergy.code), allergy.criticality, allergy.source });
    }

    PatientTimeline timeline;
    for (TimelineEvent &event : events) {
        if (event.start)
            timeline.m_events.push_back(std::move(event));
        else
            timeline.m_undated.push_back(std::move(event));
    }
    std::ranges::stable_sort(timeline.m_events, before);
    return timeline;
}

void PatientTimeline::add(TimelineEvent event)
{
    if (!event.start) {
        m_undated.push_back(std::move(event));
        return;
    }
    const auto position = std::upper_bound(m_events.begin(), m_events.end(), event, before);
    m_events.insert(position, std::move(event));
}

std::size_t PatientTimeline::count(TimelineCategory category) const
{
    return static_cast<std::size_t>(std::ranges::count_if(
        m_events, [category](const TimelineEvent &event) { return event.category == category; }));
}

std::size_t PatientTimeline::undatedCount(TimelineCategory category) const
{
    return static_cast<std::size_t>(std::ranges::count_if(
        m_undated, [category](const TimelineEvent &event) { return event.category == category; }));
}

std::vector<const TimelineEvent *> PatientTimeline::inRange(
    std::int64_t fromUtcSeconds, std::int64_t toUtcSeconds) const
{
    std::vector<const TimelineEvent *> inside;
    for (const TimelineEvent &event : m_events) {
        if (event.start->utcSeconds > toUtcSeconds)
            break; // sorted by start: nothing later can overlap
        // Without an end, an encounter, condition or medication is a period still open; any other
        // event is a point that ends where it starts.
        const bool period = event.category == TimelineCategory::Encounter
            || event.category == TimelineCategory::Condition
            || event.category == TimelineCategory::Medication;
        std::int64_t last = event.start->utcSeconds;
        if (event.end)
            last = event.end->utcSeconds;
        else if (period)
            last = std::numeric_limits<std::int64_t>::max();
        if (last >= fromUtcSeconds)
            inside.push_back(&event);
    }
    return inside;
}

std::optional<std::pair<std::int64_t, std::int64_t>> PatientTimeline::extent() const
{
    if (m_events.empty())
        return std::nullopt;
    std::int64_t last = m_events.back().start->utcSeconds;
    for (const TimelineEvent &event : m_events) {
        if (event.end)
            last = std::max(last, event.end->utcSeconds);
    }
    return std::pair { m_events.front().start->utcSeconds, last };
}

} // namespace mosaic::records
