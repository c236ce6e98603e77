// SPDX-License-Identifier: Apache-2.0
// simdjson (DOM API) parses and validates the JSON: UTF-8, nesting depth; this file walks the tree.
#include "core/records/fhir_reader.h"

#include "core/input_file.h"

#include <algorithm>
#include <array>
#include <fstream>
#include <optional>
#include <simdjson.h>
#include <system_error>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace mosaic::records {

namespace {

using simdjson::dom::array;
using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

constexpr std::array<std::string_view, 146> kResourceTypes { "Account", "ActivityDefinition", "AdverseEvent",
    "AllergyIntolerance", "Appointment", "AppointmentResponse", "AuditEvent", "Basic", "Binary",
    "BiologicallyDerivedProduct", "BodyStructure", "Bundle", "CapabilityStatement", "CarePlan", "CareTeam",
    "CatalogEntry", "ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse", "ClinicalImpression",
    "CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition", "Composition",
    "ConceptMap", "Condition", "Consent", "Contract", "Coverage", "CoverageEligibilityRequest",
    "CoverageEligibilityResponse", "DetectedIssue", "Device", "DeviceDefinition", "DeviceMetric",
    "DeviceRequest", "DeviceUseStatement", "DiagnosticReport", "DocumentManifest", "DocumentReference",
    "EffectEvidenceSynthesis", "Encounter", "Endpoint", "EnrollmentRequest", "EnrollmentResponse",
    "EpisodeOfCare", "EventDefinition", "Evidence", "EvidenceVariable", "ExampleScenario",
    "ExplanationOfBenefit", "FamilyMemberHistory", "Flag", "Goal", "GraphDefinition", "Group",
    "GuidanceResponse", "HealthcareService", "ImagingStudy", "Immunization", "ImmunizationEvaluation",
    "ImmunizationRecommendation", "ImplementationGuide", "InsurancePlan", "Invoice", "Library", "Linkage",
    "List", "Location", "Measure", "MeasureReport", "Media", "Medication", "MedicationAdministration",
    "MedicationDispense", "MedicationKnowledge", "MedicationRequest", "MedicationStatement",
    "MedicinalProduct", "MedicinalProductAuthorization", "MedicinalProductContraindication",
    "MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
    "MedicinalProductManufactured", "MedicinalProductPackaged", "MedicinalProductPharmaceutical",
    "MedicinalProductUndesirableEffect", "MessageDefinition", "MessageHeader", "MolecularSequence",
    "NamingSystem", "NutritionOrder", "Observation", "ObservationDefinition", "OperationDefinition",
    "OperationOutcome", "Organization", "OrganizationAffiliation", "Parameters", "Patient", "PaymentNotice",
    "PaymentReconciliation", "Person", "PlanDefinition", "Practitioner", "PractitionerRole", "Procedure",
    "Provenance", "Questionnaire", "QuestionnaireResponse", "RelatedPerson", "RequestGroup",
    "ResearchDefinition", "ResearchElementDefinition", "ResearchStudy", "ResearchSubject", "RiskAssessment",
    "RiskEvidenceSynthesis", "Schedule", "SearchParameter", "ServiceRequest", "Slot", "Specimen",
    "SpecimenDefinition", "StructureDefinition", "StructureMap", "Subscription", "Substance",
    "SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein", "SubstanceReferenceInformation",
    "SubstanceSourceMaterial", "SubstanceSpecification", "SupplyDelivery", "SupplyRequest", "Task",
    "TerminologyCapabilities", "TestReport", "TestScript", "ValueSet", "VerificationResult",
    "VisionPrescription" };

std::string_view jsonTypeName(element_type type)
{
    switch (type) {
    case element_type::ARRAY: return "an array";
    case element_type::OBJECT: return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE: return "a number";
    case element_type::STRING: return "a string";
    case element_type::BOOL: return "a boolean";
    case element_type::NULL_VALUE: return "null";
    }
    return "a value";
}

// The first key of an object that repeats an earlier one, by hash set: for objects too wide to
// compare pairwise. Kept out of line so the common, narrow case carries no set.
[[gnu::noinline]] std::optional<std::string_view> repeatedKeyOfWideObject(const object &fields)
{
    std::unordered_set<std::string_view> keys;
    keys.reserve(fields.size());
    for (const auto field : fields)
        if (!keys.insert(field.key).second)
            return field.key;
    return std::nullopt;
}

bool isContainer(const element &value)
{
    return value.type() == element_type::OBJECT || value.type() == element_type::ARRAY;
}

// Every object in the document, checked for repeated keys before anything is read from it. Recursion
// is bounded by the parser's depth limit. On failure, `path` holds the offending key's path.
bool findDuplicateKey(const element &value, std::vector<std::string> &path)
{
    if (value.type() == element_type::ARRAY) {
        std::size_t index = 0;
        for (const element item : array(value)) {
            if (isContainer(item) && findDuplicateKey(item, path)) {
                path.push_back("[" + std::to_string(index) + "]");
                return true;
            }
            ++index;
        }
        return false;
    }
    if (value.type() != element_type::OBJECT)
        return false;
    const object fields(value);
    // FHIR objects hold a handful of keys, compared pairwise on the stack; an object with more (only
    // hostile or unusual input) is checked with a hash set first, so no input is quadratic.
    constexpr std::size_t kPairwiseKeys = 16;
    const bool wide = fields.size() > kPairwiseKeys;
    if (wide) {
        if (const auto repeated = repeatedKeyOfWideObject(fields)) {
            path.push_back(std::string(*repeated) + " (duplicate key)");
            return true;
        }
    }
    std::array<std::string_view, kPairwiseKeys> firstKeys;
    std::size_t count = 0;
    for (const auto field : fields) {
        if (!wide) {
            const auto stacked = firstKeys.begin() + static_cast<std::ptrdiff_t>(count++);
            if (std::find(firstKeys.begin(), stacked, field.key) != stacked) {
                path.push_back(std::string(field.key) + " (duplicate key)");
                return true;
            }
            *stacked = field.key;
        }
        if (isContainer(field.value) && findDuplicateKey(field.value, path)) {
            path.push_back(std::string(field.key));
            return true;
        }
    }
    return false;
}

// Reads fields of one resource. The first type error is kept with its path and every later read
// returns empty, so a resource parser reads straight through and checks `failed()` once at the end.
class FieldReader
{
public:
    // `where` ("entry 3") and `type` must outlive the reader; "entry 3 (Observation)" is only put
    // together for an error.
    FieldReader(const std::string &where, std::string_view type)
        : m_where(where)
        , m_type(type)
    { }

    [[nodiscard]] bool failed() const { return m_error.has_value(); }
    [[nodiscard]] const std::string &errorText() const { return *m_error; }
    [[nodiscard]] std::string where() const { return m_where + " (" + std::string(m_type) + ")"; }

    // Scopes the path for errors: `auto scope = reader.enter("valueQuantity");` or
    // `reader.enterItem(index)`. Keys must outlive the scope (they are literals or JSON keys).
    class Scope
    {
    public:
        Scope(FieldReader &reader, std::string_view key, std::size_t index)
            : m_reader(reader)
        {
            m_reader.m_path.push_back({ key, index });
        }
        ~Scope() { m_reader.m_path.pop_back(); }
        Scope(const Scope &) = delete;
        Scope &operator=(const Scope &) = delete;

    private:
        FieldReader &m_reader;
    };
    [[nodiscard]] Scope enter(std::string_view key) { return Scope(*this, key, 0); }
    [[nodiscard]] Scope enterItem(std::size_t index) { return Scope(*this, {}, index); }

    std::optional<element> field(const object &from, std::string_view key, element_type expected)
    {
        if (failed())
            return std::nullopt;
        element value;
        if (from.at_key(key).get(value) != simdjson::SUCCESS)
            return std::nullopt;
        const bool isNumber = expected == element_type::DOUBLE
            && (value.type() == element_type::INT64 || value.type() == element_type::UINT64);
        if (value.type() != expected && !isNumber) {
            if (value.type() == element_type::NULL_VALUE) {
                // FHIR JSON forbids null for an element; say so rather than reading it as absent.
                report(key, "is null; FHIR JSON leaves an absent element out");
            } else {
                report(key,
                    "is " + std::string(jsonTypeName(value.type())) + ", expected "
                        + std::string(jsonTypeName(expected)));
            }
            return std::nullopt;
        }
        return value;
    }

    std::string string(const object &from, std::string_view key)
    {
        const auto value = field(from, key, element_type::STRING);
        return value ? std::string(std::string_view(*value)) : std::string {};
    }

    std::optional<object> childObject(const object &from, std::string_view key)
    {
        const auto value = field(from, key, element_type::OBJECT);
        return value ? std::optional<object>(object(*value)) : std::nullopt;
    }

    std::optional<array> childArray(const object &from, std::string_view key)
    {
        const auto value = field(from, key, element_type::ARRAY);
        return value ? std::optional<array>(array(*value)) : std::nullopt;
    }

    std::optional<double> number(const object &from, std::string_view key)
    {
        const auto value = field(from, key, element_type::DOUBLE);
        if (!value)
            return std::nullopt;
        double result = 0.0;
        if (value->get_double().get(result) != simdjson::SUCCESS) {
            report(key, "is not a representable number");
            return std::nullopt;
        }
        return result;
    }

    std::optional<bool> boolean(const object &from, std::string_view key)
    {
        const auto value = field(from, key, element_type::BOOL);
        return value ? std::optional<bool>(bool(*value)) : std::nullopt;
    }

    std::optional<ClinicalTime> time(const object &from, std::string_view key)
    {
        const auto value = field(from, key, element_type::STRING);
        if (!value)
            return std::nullopt;
        auto parsed = parseClinicalTime(std::string_view(*value));
        if (!parsed)
            report(key, "is not a FHIR date or dateTime");
        return parsed;
    }

    // Array items must be objects; anything else is reported.
    std::optional<object> item(const element &value)
    {
        if (failed())
            return std::nullopt;
        if (value.type() != element_type::OBJECT) {
            // The caller has entered the item's "[index]" scope.
            report({}, "is " + std::string(jsonTypeName(value.type())) + ", expected an object");
            return std::nullopt;
        }
        return object(value);
    }

    // Calls visit(object) for each item of the array `key`, with the item's path scoped; an item
    // that is not an object is reported.
    template <typename Visit> void forEachObject(const object &from, std::string_view key, Visit visit)
    {
        const auto values = childArray(from, key);
        if (!values)
            return;
        auto scope = enter(key);
        std::size_t index = 0;
        for (const element value : *values) {
            auto itemScope = enterItem(index++);
            if (const auto object_ = item(value))
                visit(*object_);
        }
    }

    void report(std::string_view key, std::string problem)
    {
        if (failed())
            return;
        std::string path;
        for (const Segment &segment : m_path) {
            if (segment.key.empty())
                path += "[" + std::to_string(segment.index) + "]";
            else
                path += (path.empty() ? "" : ".") + std::string(segment.key);
        }
        if (!key.empty())
            path += (path.empty() ? "" : ".") + std::string(key);
        m_error = path + " " + problem;
    }

private:
    struct Segment
    {
        std::string_view key; // empty for an array item
        std::size_t index = 0;
    };

    const std::string &m_where;
    std::string_view m_type;
    std::vector<Segment> m_path;
    std::optional<std::string> m_error;
};

Coding readCoding(FieldReader &reader, const object &from)
{
    Coding coding;
    coding.system = reader.string(from, "system");
    coding.code = reader.string(from, "code");
    coding.display = reader.string(from, "display");
    return coding;
}

CodeableConcept readConcept(FieldReader &reader, const object &from)
{
    CodeableConcept concept_;
    reader.forEachObject(from, "coding",
        [&](const object &coding) { concept_.codings.push_back(readCoding(reader, coding)); });
    concept_.text = reader.string(from, "text");
    return concept_;
}

std::optional<CodeableConcept> readConceptField(FieldReader &reader, const object &from, std::string_view key)
{
    const auto child = reader.childObject(from, key);
    if (!child)
        return std::nullopt;
    auto scope = reader.enter(key);
    return readConcept(reader, *child);
}

std::vector<CodeableConcept> readConceptList(FieldReader &reader, const object &from, std::string_view key)
{
    std::vector<CodeableConcept> concepts;
    reader.forEachObject(
        from, key, [&](const object &concept_) { concepts.push_back(readConcept(reader, concept_)); });
    return concepts;
}

// A CodeableConcept's first code, e.g. clinicalStatus "active".
std::string readStatusCode(FieldReader &reader, const object &from, std::string_view key)
{
    const auto concept_ = readConceptField(reader, from, key);
    if (!concept_ || concept_->codings.empty())
        return {};
    return concept_->codings.front().code;
}

std::optional<Quantity> readQuantity(FieldReader &reader, const object &from, std::string_view key)
{
    const auto child = reader.childObject(from, key);
    if (!child)
        return std::nullopt;
    auto scope = reader.enter(key);
    Quantity quantity;
    const auto value = reader.number(*child, "value");
    if (!value) {
        reader.report("value", "is missing: a Quantity without a value cannot be used");
        return std::nullopt;
    }
    quantity.value = *value;
    quantity.system = reader.string(*child, "system");
    const std::string code = reader.string(*child, "code");
    quantity.displayUnit = reader.string(*child, "unit");
    quantity.unit = code.empty() ? quantity.displayUnit : code;
    return quantity;
}

// value[x] as a number: valueQuantity, or valueInteger as a count in UCUM's unity "1".
std::optional<Quantity> readValueQuantity(FieldReader &reader, const object &from)
{
    if (auto quantity = readQuantity(reader, from, "valueQuantity"))
        return quantity;
    const auto count = reader.field(from, "valueInteger", element_type::INT64);
    if (!count)
        return std::nullopt;
    return Quantity { static_cast<double>(std::int64_t(*count)), "1", std::string(kUcumSystem), {} };
}

// FHIR's choice types for a time: `<x>DateTime`, `<x>Instant` or `<x>Period` (its start, or end).
struct TimeChoice
{
    std::string_view dateTime;
    std::string_view instant;
    std::string_view period;
};
constexpr TimeChoice kEffective { "effectiveDateTime", "effectiveInstant", "effectivePeriod" };
constexpr TimeChoice kOnset { "onsetDateTime", "onsetInstant", "onsetPeriod" };
constexpr TimeChoice kAbatement { "abatementDateTime", "abatementInstant", "abatementPeriod" };
constexpr TimeChoice kPerformed { "performedDateTime", "performedInstant", "performedPeriod" };

std::optional<ClinicalTime> readTimeChoice(
    FieldReader &reader, const object &from, const TimeChoice &choice, bool periodEnd = false)
{
    if (auto time = reader.time(from, choice.dateTime))
        return time;
    if (auto time = reader.time(from, choice.instant))
        return time;
    if (const auto period = reader.childObject(from, choice.period)) {
        auto scope = reader.enter(choice.period);
        return reader.time(*period, periodEnd ? "end" : "start");
    }
    return std::nullopt;
}

// The logical id a Reference points to: "Patient/123" -> "123"; a bundle's fullUrl through the map.
// Bundle entries' fullUrl -> logical id, as views into the parsed document (valid while it is).
using FullUrlMap = std::unordered_map<std::string_view, std::string_view>;

std::string referencedId(const std::string &reference, const FullUrlMap &fullUrls)
{
    if (reference.empty())
        return {};
    if (const auto found = fullUrls.find(reference); found != fullUrls.end())
        return std::string(found->second);
    std::string_view text = reference;
    if (const auto history = text.find("/_history/"); history != std::string_view::npos)
        text = text.substr(0, history);
    const auto slash = text.rfind('/');
    return std::string(slash == std::string_view::npos ? text : text.substr(slash + 1));
}

std::string referenceField(FieldReader &reader, const object &from, std::string_view key)
{
    const auto child = reader.childObject(from, key);
    if (!child)
        return {};
    auto scope = reader.enter(key);
    return reader.string(*child, "reference");
}

// Walks resources, attaching each to its patient.
class CollectionBuilder
{
public:
    CollectionBuilder(std::string_view fileName, const FhirReadLimits &limits)
        : m_fileName(fileName)
        , m_limits(limits)
    { }

    RecordCollection &collection() { return m_collection; }

    // An NDJSON line is a document of its own: a Bundle's fullUrls resolve only within it, and the
    // views into the previous line's document must go before the parser reuses its buffers.
    void startDocument() { m_fullUrls.clear(); }

    // `where` is e.g. "entry 3" or "line 12"; errors read "<file>, <where> (<type>): <path> <problem>".
    Result<void> readResource(const element &value, const std::string &where, std::size_t nesting)
    {
        if (value.type() != element_type::OBJECT)
            return fail(ErrorCode::Malformed,
                "a resource must be a JSON object, not " + std::string(jsonTypeName(value.type())),
                location(where));
        const object resource(value);
        std::string_view type;
        if (resource.at_key("resourceType").get(type) != simdjson::SUCCESS)
            return fail(ErrorCode::Malformed, "resourceType is missing or not a string", location(where));
        if (!isFhirR4ResourceType(type)) {
            // Shown quoted but cut short: the value is untrusted text.
            const std::string shown(type.substr(0, 40));
            return fail(ErrorCode::Malformed, "unknown resourceType '" + shown + "': not a FHIR R4 resource",
                location(where));
        }
        if (++m_resources > m_limits.maxResources)
            return fail(ErrorCode::LimitExceeded,
                "more than " + std::to_string(m_limits.maxResources)
                    + " resources (FhirReadLimits::maxResources)",
                location(where));
        ++m_collection.resourceCounts[std::string(type)];

        FieldReader reader(where, type);
        if (type == "Bundle") {
            auto nested = readBundle(resource, reader, where, nesting + 1);
            if (!nested)
                return nested;
        } else if (type == "Patient") {
            readPatient(reader, resource);
        } else if (type == "Observation") {
            readObservation(reader, resource);
        } else if (type == "Condition") {
            readCondition(reader, resource);
        } else if (type == "MedicationRequest" || type == "MedicationStatement") {
            readMedication(reader, resource,
                type == "MedicationRequest" ? MedicationRecord::Kind::Request
                                            : MedicationRecord::Kind::Statement);
        } else if (type == "Procedure") {
            readProcedure(reader, resource);
        } else if (type == "Encounter") {
            readEncounter(reader, resource);
        } else if (type == "DiagnosticReport") {
            readDiagnosticReport(reader, resource);
        } else if (type == "AllergyIntolerance") {
            readAllergy(reader, resource);
        } else if (type == "ImagingStudy") {
            readImagingStudy(reader, resource);
        } else if (type == "Medication") {
            readMedicationDefinition(reader, resource);
        }
        if (reader.failed())
            return fail(ErrorCode::Malformed, reader.errorText(), location(reader.where()));
        return {};
    }

    // Fills each MedicationRecord that referenced a Medication resource with that resource's code.
    void resolveMedicationReferences()
    {
        for (auto &[patientIndex, recordIndex, medicationId] : m_pendingMedications) {
            const auto found = m_medicationCodes.find(medicationId);
            if (found != m_medicationCodes.end())
                m_collection.patients[patientIndex].medications[recordIndex].medication = found->second;
        }
        m_pendingMedications.clear();
    }

    std::string location(const std::string &where) const { return std::string(m_fileName) + ", " + where; }

private:
    Result<void> readBundle(
        const object &bundle, FieldReader &reader, const std::string &where, std::size_t nesting)
    {
        if (nesting == 1)
            m_collection.bundleType = reader.string(bundle, "type");
        const auto entries = reader.childArray(bundle, "entry");
        if (reader.failed() || !entries)
            return {};
        // First pass: fullUrl -> logical id, so references resolve whatever the entry order.
        for (const element value : *entries) {
            if (value.type() != element_type::OBJECT)
                continue;
            std::string_view fullUrl;
            element resource;
            std::string_view id;
            if (object(value).at_key("fullUrl").get(fullUrl) == simdjson::SUCCESS
                && object(value).at_key("resource").get(resource) == simdjson::SUCCESS
                && resource.type() == element_type::OBJECT
                && object(resource).at_key("id").get(id) == simdjson::SUCCESS)
                m_fullUrls.emplace(fullUrl, id);
        }
        std::size_t index = 0;
        for (const element value : *entries) {
            const std::string entryWhere
                = (nesting > 1 ? where + ", " : std::string {}) + "entry " + std::to_string(index + 1);
            if (value.type() != element_type::OBJECT)
                return fail(
                    ErrorCode::Malformed, "a Bundle entry must be a JSON object", location(entryWhere));
            element resource;
            if (object(value).at_key("resource").get(resource) != simdjson::SUCCESS) {
                // Transaction responses and deletes carry no resource; nothing to read.
                ++index;
                continue;
            }
            auto read = readResource(resource, entryWhere, nesting);
            if (!read)
                return read;
            ++index;
        }
        return {};
    }

    // The patient a resource belongs to, created on first mention; nullopt if the subject is not a
    // patient of this input (counted as unattached).
    std::optional<std::size_t> patientFor(FieldReader &reader, const object &resource)
    {
        std::string reference = referenceField(reader, resource, "subject");
        if (reference.empty())
            reference = referenceField(reader, resource, "patient");
        if (reader.failed())
            return std::nullopt;
        const bool pointsToPatient = m_fullUrls.contains(reference) || reference.starts_with("Patient/")
            || reference.find("/Patient/") != std::string::npos;
        if (reference.empty() || !pointsToPatient) {
            ++m_collection.unattachedResources;
            return std::nullopt;
        }
        return patientIndex(referencedId(reference, m_fullUrls));
    }

    std::size_t patientIndex(const std::string &id)
    {
        const auto found = m_patientIndex.find(id);
        if (found != m_patientIndex.end())
            return found->second;
        m_collection.patients.emplace_back();
        m_collection.patients.back().patient.id = id;
        m_patientIndex.emplace(id, m_collection.patients.size() - 1);
        return m_collection.patients.size() - 1;
    }

    RecordSource sourceOf(FieldReader &reader, const object &resource, std::string_view type)
    {
        return RecordSource { std::string(m_fileName), std::string(type), reader.string(resource, "id") };
    }

    void readPatient(FieldReader &reader, const object &resource)
    {
        const std::string id = reader.string(resource, "id");
        std::size_t index = 0;
        if (id.empty()) {
            // Nothing can refer to it (fhirpath's example bundle has three such patients): a
            // record of its own.
            m_collection.patients.emplace_back();
            index = m_collection.patients.size() - 1;
        } else {
            index = patientIndex(id);
        }
        PatientDemographics &demographics = m_collection.patients[index].patient;
        demographics.gender = reader.string(resource, "gender");
        demographics.birthDate = reader.time(resource, "birthDate");
        if (const auto deceased = reader.boolean(resource, "deceasedBoolean"))
            demographics.deceasedFlag = *deceased;
        if (auto deceased = reader.time(resource, "deceasedDateTime")) {
            demographics.deceased = std::move(deceased);
            demographics.deceasedFlag = true;
        }
    }

    ObservationComponent readComponent(FieldReader &reader, const object &from)
    {
        ObservationComponent component;
        if (auto code = readConceptField(reader, from, "code"))
            component.code = std::move(*code);
        component.quantity = readValueQuantity(reader, from);
        component.codedValue = readConceptField(reader, from, "valueCodeableConcept");
        if (const auto text = reader.field(from, "valueString", element_type::STRING))
            component.text = std::string(std::string_view(*text));
        component.interpretation = readConceptList(reader, from, "interpretation");
        return component;
    }

    void readObservation(FieldReader &reader, const object &resource)
    {
        Observation observation;
        observation.source = sourceOf(reader, resource, "Observation");
        observation.status = reader.string(resource, "status");
        observation.category = readConceptList(reader, resource, "category");
        if (auto code = readConceptField(reader, resource, "code"))
            observation.code = std::move(*code);
        else
            reader.report("code", "is missing: an Observation must say what was observed");
        observation.effective = readTimeChoice(reader, resource, kEffective);
        observation.issued = reader.time(resource, "issued");
        observation.quantity = readValueQuantity(reader, resource);
        observation.codedValue = readConceptField(reader, resource, "valueCodeableConcept");
        if (const auto text = reader.field(resource, "valueString", element_type::STRING))
            observation.text = std::string(std::string_view(*text));
        observation.boolean = reader.boolean(resource, "valueBoolean");
        reader.forEachObject(resource, "component", [&](const object &component) {
            observation.components.push_back(readComponent(reader, component));
        });
        observation.interpretation = readConceptList(reader, resource, "interpretation");
        reader.forEachObject(resource, "referenceRange", [&](const object &range) {
            ReferenceRange referenceRange;
            referenceRange.low = readQuantity(reader, range, "low");
            referenceRange.high = readQuantity(reader, range, "high");
            referenceRange.text = reader.string(range, "text");
            observation.referenceRange.push_back(std::move(referenceRange));
        });
        observation.encounterId = referencedId(referenceField(reader, resource, "encounter"), m_fullUrls);
        if (const auto patient = patientFor(reader, resource); patient && !reader.failed())
            m_collection.patients[*patient].observations.push_back(std::move(observation));
    }

    void readCondition(FieldReader &reader, const object &resource)
    {
        Condition condition;
        condition.source = sourceOf(reader, resource, "Condition");
        if (auto code = readConceptField(reader, resource, "code"))
            condition.code = std::move(*code);
        condition.clinicalStatus = readStatusCode(reader, resource, "clinicalStatus");
        condition.verificationStatus = readStatusCode(reader, resource, "verificationStatus");
        condition.onset = readTimeChoice(reader, resource, kOnset);
        condition.abatement = readTimeChoice(reader, resource, kAbatement);
        condition.recorded = reader.time(resource, "recordedDate");
        if (const auto patient = patientFor(reader, resource); patient && !reader.failed())
            m_collection.patients[*patient].conditions.push_back(std::move(condition));
    }

    void readMedication(FieldReader &reader, const object &resource, MedicationRecord::Kind kind)
    {
        MedicationRecord medication;
        medication.kind = kind;
        medication.source = sourceOf(reader, resource,
            kind == MedicationRecord::Kind::Request ? "MedicationRequest" : "MedicationStatement");
        medication.status = reader.string(resource, "status");
        std::string medicationReference;
        if (auto code = readConceptField(reader, resource, "medicationCodeableConcept"))
            medication.medication = std::move(*code);
        else
            medicationReference
                = referencedId(referenceField(reader, resource, "medicationReference"), m_fullUrls);
        if (kind == MedicationRecord::Kind::Request) {
            medication.intent = reader.string(resource, "intent");
            medication.start = reader.time(resource, "authoredOn");
        } else {
            medication.start = readTimeChoice(reader, resource, kEffective);
            medication.end = readTimeChoice(reader, resource, kEffective, true);
            if (!medication.start)
                medication.start = reader.time(resource, "dateAsserted");
        }
        const auto patient = patientFor(reader, resource);
        if (!patient || reader.failed())
            return;
        auto &medications = m_collection.patients[*patient].medications;
        if (!medicationReference.empty())
            m_pendingMedications.push_back({ *patient, medications.size(), medicationReference });
        medications.push_back(std::move(medication));
    }

    void readMedicationDefinition(FieldReader &reader, const object &resource)
    {
        const std::string id = reader.string(resource, "id");
        if (auto code = readConceptField(reader, resource, "code"); code && !id.empty())
            m_medicationCodes[id] = std::move(*code);
    }

    void readProcedure(FieldReader &reader, const object &resource)
    {
        Procedure procedure;
        procedure.source = sourceOf(reader, resource, "Procedure");
        if (auto code = readConceptField(reader, resource, "code"))
            procedure.code = std::move(*code);
        procedure.status = reader.string(resource, "status");
        procedure.performed = readTimeChoice(reader, resource, kPerformed);
        if (const auto patient = patientFor(reader, resource); patient && !reader.failed())
            m_collection.patients[*patient].procedures.push_back(std::move(procedure));
    }

    void readEncounter(FieldReader &reader, const object &resource)
    {
        Encounter encounter;
        encounter.source = sourceOf(reader, resource, "Encounter");
        if (const auto encounterClass = reader.childObject(resource, "class")) {
            auto scope = reader.enter("class");
            encounter.classCode = reader.string(*encounterClass, "code");
        }
        encounter.type = readConceptList(reader, resource, "type");
        encounter.status = reader.string(resource, "status");
        if (const auto period = reader.childObject(resource, "period")) {
            auto scope = reader.enter("period");
            encounter.start = reader.time(*period, "start");
            encounter.end = reader.time(*period, "end");
        }
        if (const auto patient = patientFor(reader, resource); patient && !reader.failed())
            m_collection.patients[*patient].encounters.push_back(std::move(encounter));
    }

    void readDiagnosticReport(FieldReader &reader, const object &resource)
    {
        DiagnosticReport report;
        report.source = sourceOf(reader, resource, "DiagnosticReport");
        if (auto code = readConceptField(reader, resource, "code"))
            report.code = std::move(*code);
        report.category = readConceptList(reader, resource, "category");
        report.status = reader.string(resource, "status");
        report.effective = readTimeChoice(reader, resource, kEffective);
        report.conclusion = reader.string(resource, "conclusion");
        reader.forEachObject(resource, "result", [&](const object &result) {
            report.resultIds.push_back(referencedId(reader.string(result, "reference"), m_fullUrls));
        });
        if (const auto patient = patientFor(reader, resource); patient && !reader.failed())
            m_collection.patients[*patient].reports.push_back(std::move(report));
    }

    void readAllergy(FieldReader &reader, const object &resource)
    {
        AllergyIntolerance allergy;
        allergy.source = sourceOf(reader, resource, "AllergyIntolerance");
        if (auto code = readConceptField(reader, resource, "code"))
            allergy.code = std::move(*code);
        allergy.clinicalStatus = readStatusCode(reader, resource, "clinicalStatus");
        allergy.criticality = reader.string(resource, "criticality");
        if (const auto categories = reader.childArray(resource, "category")) {
            auto scope = reader.enter("category");
            std::size_t index = 0;
            for (const element value : *categories) {
                std::string_view category;
                if (value.get(category) != simdjson::SUCCESS)
                    reader.report("[" + std::to_string(index) + "]", "is not a string");
                else
                    allergy.category.emplace_back(category);
                ++index;
            }
        }
        allergy.recorded = reader.time(resource, "recordedDate");
        if (const auto patient = patientFor(reader, resource); patient && !reader.failed())
            m_collection.patients[*patient].allergies.push_back(std::move(allergy));
    }

    void readImagingStudy(FieldReader &reader, const object &resource)
    {
        ImagingStudyReference study;
        study.source = sourceOf(reader, resource, "ImagingStudy");
        reader.forEachObject(resource, "identifier", [&](const object &identifier) {
            const std::string uid = reader.string(identifier, "value");
            if (uid.starts_with("urn:oid:") && study.studyInstanceUid.empty())
                study.studyInstanceUid = uid.substr(8);
        });
        study.started = reader.time(resource, "started");
        if (const auto instances = reader.number(resource, "numberOfInstances"))
            study.numberOfInstances = *instances >= 0 && *instances < 1e9 ? static_cast<int>(*instances) : 0;
        reader.forEachObject(resource, "series", [&](const object &one) {
            study.seriesInstanceUids.push_back(reader.string(one, "uid"));
            if (const auto modality = reader.childObject(one, "modality")) {
                auto modalityScope = reader.enter("modality");
                const std::string code = reader.string(*modality, "code");
                if (!code.empty() && std::ranges::find(study.modalities, code) == study.modalities.end())
                    study.modalities.push_back(code);
            }
        });
        if (const auto patient = patientFor(reader, resource); patient && !reader.failed())
            m_collection.patients[*patient].imagingStudies.push_back(std::move(study));
    }

    struct PendingMedication
    {
        std::size_t patientIndex;
        std::size_t recordIndex;
        std::string medicationId;
    };

    std::string_view m_fileName;
    const FhirReadLimits &m_limits;
    RecordCollection m_collection;
    FullUrlMap m_fullUrls;
    std::unordered_map<std::string, std::size_t> m_patientIndex;
    std::unordered_map<std::string, CodeableConcept> m_medicationCodes;
    std::vector<PendingMedication> m_pendingMedications;
    std::size_t m_resources = 0;
};

Result<element> parseJson(simdjson::dom::parser &parser, const char *data, std::size_t size,
    std::size_t paddedCapacity, const std::string &where, const FhirReadLimits &limits)
{
    // Grown, never shrunk, so NDJSON lines reuse one allocation.
    if ((parser.capacity() < size || parser.max_depth() != limits.maxDepth)
        && parser.allocate(std::max<std::size_t>({ size, parser.capacity(), 4096 }), limits.maxDepth)
            != simdjson::SUCCESS)
        return fail(ErrorCode::LimitExceeded,
            "cannot allocate the JSON parser for " + std::to_string(size) + " bytes", where);
    element root;
    const bool padded = paddedCapacity >= size + simdjson::SIMDJSON_PADDING;
    const auto error = parser.parse(reinterpret_cast<const std::uint8_t *>(data), size, !padded).get(root);
    if (error == simdjson::DEPTH_ERROR)
        return fail(ErrorCode::LimitExceeded,
            "JSON nested deeper than " + std::to_string(limits.maxDepth)
                + " levels (FhirReadLimits::maxDepth)",
            where);
    if (error == simdjson::UTF8_ERROR)
        return fail(ErrorCode::Malformed, "text is not valid UTF-8", where);
    if (error != simdjson::SUCCESS)
        return fail(
            ErrorCode::Malformed, std::string("not valid JSON: ") + simdjson::error_message(error), where);
    std::vector<std::string> path;
    if (findDuplicateKey(root, path)) {
        std::string joined;
        for (auto segment = path.rbegin(); segment != path.rend(); ++segment)
            joined += (joined.empty() || segment->front() == '[' ? "" : ".") + *segment;
        return fail(ErrorCode::Malformed,
            "a key appears twice in one object, so its value is ambiguous: " + joined, where);
    }
    return root;
}

bool looksLikeNdjson(std::string_view text, std::string_view fileName, simdjson::dom::parser &parser)
{
    if (fileName.ends_with(".ndjson") || fileName.ends_with(".jsonl"))
        return true;
    const auto firstLineEnd = text.find('\n');
    if (firstLineEnd == std::string_view::npos)
        return false;
    const auto rest = text.substr(firstLineEnd + 1);
    if (rest.find_first_not_of(" \t\r\n") == std::string_view::npos)
        return false;
    element root;
    const std::string line(text.substr(0, firstLineEnd));
    return parser.parse(line).get(root) == simdjson::SUCCESS && root.type() == element_type::OBJECT;
}

Result<RecordCollection> readText(std::string_view text, std::size_t paddedCapacity,
    std::string_view fileName, const FhirReadLimits &limits)
{
    if (text.size() > limits.maxFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "file is " + std::to_string(text.size()) + " bytes, more than FhirReadLimits::maxFileBytes",
            std::string(fileName));
    // One parser per thread, reused while its buffers stay under 64 MiB of input: reading a cohort's
    // bundles one after another then allocates (and page-faults) its buffers once, not per file.
    constexpr std::size_t kReusedCapacity = std::size_t { 64 } << 20;
    thread_local simdjson::dom::parser reusedParser;
    simdjson::dom::parser localParser;
    simdjson::dom::parser &parser = text.size() <= kReusedCapacity ? reusedParser : localParser;
    CollectionBuilder builder(fileName, limits);
    if (looksLikeNdjson(text, fileName, parser)) {
        builder.collection().format = RecordCollection::Format::Ndjson;
        std::size_t lineStart = 0;
        std::size_t lineNumber = 0;
        while (lineStart < text.size()) {
            ++lineNumber;
            std::size_t lineEnd = text.find('\n', lineStart);
            if (lineEnd == std::string_view::npos)
                lineEnd = text.size();
            const std::string_view line = text.substr(lineStart, lineEnd - lineStart);
            const std::string where = "line " + std::to_string(lineNumber);
            if (line.find_first_not_of(" \t\r") != std::string_view::npos) {
                // The rest of the file (and its padding) follows the line in memory, so a padded
                // input needs no copy.
                builder.startDocument();
                auto root = parseJson(parser, line.data(), line.size(), paddedCapacity - lineStart,
                    builder.location(where), limits);
                if (!root)
                    return std::unexpected(root.error());
                auto read = builder.readResource(*root, where, 0);
                if (!read)
                    return std::unexpected(read.error());
            }
            lineStart = lineEnd + 1;
        }
        if (builder.collection().resourceCount() == 0)
            return fail(ErrorCode::Malformed, "NDJSON file holds no resources", std::string(fileName));
    } else {
        auto root
            = parseJson(parser, text.data(), text.size(), paddedCapacity, std::string(fileName), limits);
        if (!root)
            return std::unexpected(root.error());
        std::string_view type;
        const bool isBundle = root->type() == element_type::OBJECT
            && object(*root).at_key("resourceType").get(type) == simdjson::SUCCESS && type == "Bundle";
        builder.collection().format
            = isBundle ? RecordCollection::Format::Bundle : RecordCollection::Format::Resource;
        auto read = builder.readResource(*root, isBundle ? "Bundle" : "resource", 0);
        if (!read)
            return std::unexpected(read.error());
    }
    builder.resolveMedicationReferences();
    RecordCollection collection = std::move(builder.collection());
    if (collection.unattachedResources > 0)
        collection.warnings.push_back(std::to_string(collection.unattachedResources)
            + " clinical resources name no patient of this file as their subject and are not in any "
              "patient's record");
    return collection;
}

} // namespace

std::size_t RecordCollection::resourceCount() const
{
    std::size_t total = 0;
    for (const auto &[type, count] : resourceCounts)
        total += count;
    return total;
}

std::string_view formatName(RecordCollection::Format format)
{
    switch (format) {
    case RecordCollection::Format::Bundle: return "bundle";
    case RecordCollection::Format::Resource: return "resource";
    case RecordCollection::Format::Ndjson: return "ndjson";
    }
    return "unknown";
}

bool isFhirR4ResourceType(std::string_view name)
{
    return std::ranges::binary_search(kResourceTypes, name);
}

Result<RecordCollection> readFhirFile(const std::filesystem::path &path, const FhirReadLimits &limits)
{
    const std::string fileName = path.filename().string();
    if (auto checked = checkInputFile(path, "FHIR JSON", ErrorCode::Malformed); !checked)
        return std::unexpected(checked.error());
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error)
        return fail(ErrorCode::NotFound, "cannot read the file size: " + error.message(), fileName);
    if (size > limits.maxFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "file is " + std::to_string(size) + " bytes, more than FhirReadLimits::maxFileBytes", fileName);
    // Read into a padded buffer; as with the parser, one buffer per thread serves files up to 64 MiB
    // so a cohort's bundles do not each allocate and page-fault their own.
    constexpr std::size_t kReusedCapacity = std::size_t { 64 } << 20;
    thread_local std::vector<char> reusedBuffer;
    std::vector<char> localBuffer;
    std::vector<char> &buffer = size <= kReusedCapacity ? reusedBuffer : localBuffer;
    buffer.resize(std::max<std::size_t>(buffer.size(), size + simdjson::SIMDJSON_PADDING));
    std::ifstream file(path, std::ios::binary);
    if (!file.read(buffer.data(), static_cast<std::streamsize>(size)))
        return fail(ErrorCode::NotFound, "cannot read the file", fileName);
    std::fill_n(buffer.data() + size, simdjson::SIMDJSON_PADDING, '\0');
    return readText(std::string_view(buffer.data(), size), buffer.size(), fileName, limits);
}

Result<RecordCollection> readFhirText(
    std::string_view text, std::string_view fileName, const FhirReadLimits &limits)
{
    if (text.empty())
        return fail(ErrorCode::Malformed, "file is empty", std::string(fileName));
    return readText(text, text.size(), fileName, limits);
}

} // namespace mosaic::records
