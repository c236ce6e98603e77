// SPDX-License-Identifier: Apache-2.0
// One patient's clinical record as Mosaic reads it from FHIR R4 (fhir_reader.h) or the long CSV
// format (csv_records.h): demographics, encounters, conditions, observations (labs, vitals, and their
// components), medications, procedures, diagnostic reports, allergies and imaging-study references.
// Codes keep their systems; values keep the unit they were recorded in (conversion to a feature's
// canonical unit happens in record_features.h). Narrative (`text.div`) is never read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic::records {

// Code systems by their FHIR URIs (http://hl7.org/fhir/terminologies-systems.html).
inline constexpr std::string_view kLoincSystem = "http://loinc.org";
inline constexpr std::string_view kSnomedSystem = "http://snomed.info/sct";
inline constexpr std::string_view kIcd10System = "http://hl7.org/fhir/sid/icd-10";
inline constexpr std::string_view kIcd10CmSystem = "http://hl7.org/fhir/sid/icd-10-cm";
inline constexpr std::string_view kRxNormSystem = "http://www.nlm.nih.gov/research/umls/rxnorm";
inline constexpr std::string_view kUcumSystem = "http://unitsofmeasure.org";

// "http://loinc.org" for "loinc", "LOINC" or the URI itself; likewise snomed/sct, icd10/icd-10,
// icd10cm, rxnorm, ucum. Anything else is returned unchanged (it may be a local system's URI).
[[nodiscard]] std::string canonicalCodeSystem(std::string_view nameOrUri);

struct Coding
{
    std::string system; // URI, e.g. kLoincSystem; may be empty when the source gave none
    std::string code;
    std::string display;

    friend bool operator==(const Coding &, const Coding &) = default;
};

struct CodeableConcept
{
    std::vector<Coding> codings;
    std::string text;

    // True when any coding has this system (as canonicalCodeSystem) and code.
    [[nodiscard]] bool has(std::string_view system, std::string_view code) const;
    // The first coding's display, else text, else "system|code".
    [[nodiscard]] std::string label() const;
};

// A FHIR date, dateTime or instant. `utcSeconds` is the start of the stated period in UTC seconds
// since 1970-01-01 (a date without a time is taken at 00:00 UTC; a partial date at its first day).
struct ClinicalTime
{
    enum class Precision { Year, Month, Day, Second };
    std::int64_t utcSeconds = 0;
    Precision precision = Precision::Second;
    std::string text; // as written in the source, for provenance

    friend bool operator<(const ClinicalTime &a, const ClinicalTime &b)
    {
        return a.utcSeconds < b.utcSeconds;
    }
};

// Parses FHIR's date/dateTime/instant grammar ("2019", "2019-03", "2019-03-07",
// "2019-03-07T10:15:00+01:00", "2019-03-07T10:15:00.123Z"); nullopt when it does not match.
[[nodiscard]] std::optional<ClinicalTime> parseClinicalTime(std::string_view text);

// Where a record element came from, for provenance and error messages: the file, the FHIR
// resource type and logical id (or the CSV line).
struct RecordSource
{
    std::string file; // file name, not a full path
    std::string resourceType; // "Observation"; "csv" for CSV rows
    std::string id; // FHIR logical id, or "line 12" for CSV
};

struct Quantity
{
    double value = 0.0;
    std::string unit; // UCUM code when system is UCUM (Quantity.code), else the unit as given
    std::string system; // kUcumSystem when the unit is a UCUM code
    std::string displayUnit; // Quantity.unit as written, e.g. "mmHg"
};

struct ReferenceRange
{
    std::optional<Quantity> low;
    std::optional<Quantity> high;
    std::string text;
};

struct ObservationComponent
{
    CodeableConcept code;
    std::optional<Quantity> quantity;
    std::optional<CodeableConcept> codedValue; // valueCodeableConcept
    std::optional<std::string> text; // valueString
    std::vector<CodeableConcept> interpretation;
};

struct Observation
{
    RecordSource source;
    std::string status; // final, amended, preliminary, cancelled, entered-in-error, ...
    std::vector<CodeableConcept> category; // vital-signs, laboratory, ...
    CodeableConcept code;
    std::optional<ClinicalTime> effective; // effectiveDateTime, effectivePeriod.start or effectiveInstant
    std::optional<ClinicalTime> issued;
    std::optional<Quantity> quantity; // valueQuantity
    std::optional<CodeableConcept> codedValue; // valueCodeableConcept
    std::optional<std::string> text; // valueString
    std::optional<bool> boolean; // valueBoolean
    std::vector<ObservationComponent> components; // e.g. systolic and diastolic in 85354-9
    std::vector<CodeableConcept> interpretation;
    std::vector<ReferenceRange> referenceRange;
    std::string encounterId; // logical id of the encounter, when referenced

    // True when the category names "vital-signs" (observation-category code system).
    [[nodiscard]] bool isVitalSign() const;
    [[nodiscard]] bool isLaboratory() const;
};

struct Condition
{
    RecordSource source;
    CodeableConcept code;
    std::string clinicalStatus; // active, recurrence, relapse, inactive, remission, resolved
    std::string verificationStatus; // confirmed, provisional, refuted, entered-in-error, ...
    std::optional<ClinicalTime> onset; // onsetDateTime or onsetPeriod.start
    std::optional<ClinicalTime> abatement;
    std::optional<ClinicalTime> recorded;
};

struct MedicationRecord
{
    enum class Kind { Request, Statement };
    RecordSource source;
    Kind kind = Kind::Request;
    CodeableConcept medication; // medicationCodeableConcept, or the referenced Medication's code
    std::string status;
    std::string intent; // MedicationRequest only
    std::optional<ClinicalTime> start; // authoredOn (Request); effective start or dateAsserted (Statement)
    std::optional<ClinicalTime> end; // effectivePeriod.end (Statement)
};

struct Procedure
{
    RecordSource source;
    CodeableConcept code;
    std::string status;
    std::optional<ClinicalTime> performed; // performedDateTime or performedPeriod.start
};

struct Encounter
{
    RecordSource source;
    std::string classCode; // AMB, IMP, EMER, ...
    std::vector<CodeableConcept> type;
    std::string status;
    std::optional<ClinicalTime> start;
    std::optional<ClinicalTime> end;
};

struct DiagnosticReport
{
    RecordSource source;
    CodeableConcept code;
    std::vector<CodeableConcept> category;
    std::string status;
    std::optional<ClinicalTime> effective;
    std::vector<std::string> resultIds; // logical ids of the Observations it groups
    std::string conclusion;
};

struct AllergyIntolerance
{
    RecordSource source;
    CodeableConcept code;
    std::string clinicalStatus;
    std::string criticality; // low, high, unable-to-assess
    std::vector<std::string> category; // food, medication, environment, biologic
    std::optional<ClinicalTime> recorded;
};

// A pointer to images, not the images: the DICOM study and series UIDs let the imaging loader find them.
struct ImagingStudyReference
{
    RecordSource source;
    std::string studyInstanceUid; // from identifier urn:oid:..., may be empty
    std::vector<std::string> seriesInstanceUids;
    std::vector<std::string> modalities; // DICOM codes: CT, MR, PT, ...
    std::optional<ClinicalTime> started;
    int numberOfInstances = 0;
};

// Demographics Mosaic needs for features. Names, addresses and identifiers other than the logical id
// are not read.
struct PatientDemographics
{
    std::string id; // logical id (or CSV patient column); an identifier: never in logs or errors
    std::string gender; // male, female, other, unknown, or empty
    std::optional<ClinicalTime> birthDate;
    std::optional<ClinicalTime> deceased; // deceasedDateTime
    bool deceasedFlag = false; // deceasedBoolean, or a deceasedDateTime
};

struct PatientRecord
{
    PatientDemographics patient;
    std::vector<Encounter> encounters;
    std::vector<Condition> conditions;
    std::vector<Observation> observations;
    std::vector<MedicationRecord> medications;
    std::vector<Procedure> procedures;
    std::vector<DiagnosticReport> reports;
    std::vector<AllergyIntolerance> allergies;
    std::vector<ImagingStudyReference> imagingStudies;
};

} // namespace mosaic::records
