// SPDX-License-Identifier: Apache-2.0
#include "core/records/record_inspection.h"

#include "core/records/csv_records.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <tuple>

namespace mosaic::records {

namespace {

struct CodeCounter
{
    std::map<std::pair<std::string, std::string>, ObservationCodeSummary> codes;

    void add(const CodeableConcept &concept_, const std::optional<Quantity> &quantity)
    {
        // An observation without codings is counted by its text, under no system.
        const Coding fallback { {}, concept_.text, concept_.text };
        const Coding &coding = concept_.codings.empty() ? fallback : concept_.codings.front();
        auto &summary = codes[{ coding.system, coding.code }];
        if (summary.count == 0) {
            summary.system = coding.system;
            summary.code = coding.code;
            summary.display = coding.display.empty() ? concept_.text : coding.display;
        }
        ++summary.count;
        if (quantity && std::ranges::find(summary.units, quantity->unit) == summary.units.end())
            summary.units.push_back(quantity->unit);
    }

    std::vector<ObservationCodeSummary> sorted() const
    {
        std::vector<ObservationCodeSummary> result;
        result.reserve(codes.size());
        for (const auto &[key, summary] : codes)
            result.push_back(summary);
        std::ranges::stable_sort(
            result, [](const ObservationCodeSummary &a, const ObservationCodeSummary &b) {
                return std::tie(b.count, a.system, a.code) < std::tie(a.count, b.system, b.code);
            });
        return result;
    }
};

// Observations and their components, each counted under its own first coding.
std::vector<ObservationCodeSummary> observationCodes(const std::vector<PatientRecord> &patients)
{
    CodeCounter counter;
    for (const PatientRecord &record : patients) {
        for (const Observation &observation : record.observations) {
            counter.add(observation.code, observation.quantity);
            for (const ObservationComponent &component : observation.components)
                counter.add(component.code, component.quantity);
        }
    }
    return counter.sorted();
}

} // namespace

std::optional<RecordFileFormat> detectRecordFileFormat(const std::filesystem::path &path)
{
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return std::nullopt;
    std::ifstream file(path, std::ios::binary);
    char buffer[4096];
    file.read(buffer, sizeof buffer);
    std::string_view head(buffer, static_cast<std::size_t>(file.gcount()));
    if (head.starts_with("\xEF\xBB\xBF"))
        head.remove_prefix(3);
    const auto first = head.find_first_not_of(" \t\r\n");
    // Other JSON (a model bundle, radiomics settings) is not FHIR: FHIR writers put resourceType
    // first, so it is within the first 4 KiB.
    if (first != std::string_view::npos && head[first] == '{'
        && head.find("\"resourceType\"") != std::string_view::npos)
        return RecordFileFormat::Fhir;
    std::string start(head.substr(0, 8));
    std::ranges::transform(
        start, start.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (start == "patient,")
        return RecordFileFormat::Csv;
    return std::nullopt;
}

RecordSummary summariseRecords(const RecordCollection &collection)
{
    RecordSummary summary;
    summary.format = std::string(formatName(collection.format));
    summary.bundleType = collection.bundleType;
    summary.patients = collection.patients.size();
    summary.resourceCounts = collection.resourceCounts;
    summary.unattachedResources = collection.unattachedResources;
    summary.observationCodes = observationCodes(collection.patients);
    summary.warnings = collection.warnings;
    return summary;
}

RecordSummary summariseRecords(const std::vector<PatientRecord> &patients)
{
    RecordSummary summary;
    summary.format = "csv";
    summary.patients = patients.size();
    for (const PatientRecord &record : patients) {
        const auto add = [&summary](std::string_view kind, std::size_t count) {
            if (count > 0)
                summary.resourceCounts[std::string(kind)] += count;
        };
        add("observation", record.observations.size());
        add("condition", record.conditions.size());
        add("medication", record.medications.size());
        add("procedure", record.procedures.size());
        add("encounter", record.encounters.size());
    }
    summary.observationCodes = observationCodes(patients);
    return summary;
}

Result<RecordSummary> summariseRecordFile(const std::filesystem::path &path)
{
    const auto format = detectRecordFileFormat(path);
    if (!format) {
        std::error_code error;
        if (!std::filesystem::exists(path, error))
            return fail(ErrorCode::NotFound, "file does not exist", path.filename().string());
        return fail(ErrorCode::Unsupported,
            "not a clinical records file: neither FHIR JSON nor the long CSV format (header starting "
            "'patient,')",
            path.filename().string());
    }
    if (*format == RecordFileFormat::Fhir) {
        auto collection = readFhirFile(path);
        if (!collection)
            return std::unexpected(collection.error());
        return summariseRecords(*collection);
    }
    auto patients = readCsvRecords(path);
    if (!patients)
        return std::unexpected(patients.error());
    return summariseRecords(*patients);
}

std::optional<Result<InspectionReport>> inspectRecordFile(const std::filesystem::path &path)
{
    const auto format = detectRecordFileFormat(path);
    if (!format)
        return std::nullopt;
    auto summary = summariseRecordFile(path);
    if (!summary)
        return std::unexpected(summary.error());
    InspectionReport report;
    if (*format == RecordFileFormat::Csv) {
        report.kind = "csv-records";
        report.facts.emplace_back("format", "long-format CSV records (patient,time,system,code,value,unit)");
    } else {
        report.kind = "fhir-" + summary->format;
        report.facts.emplace_back("format", "FHIR R4 JSON, " + summary->format);
        if (!summary->bundleType.empty())
            report.facts.emplace_back("bundle type", summary->bundleType);
    }
    report.facts.emplace_back("patients", std::to_string(summary->patients));
    std::size_t total = 0;
    for (const auto &[type, count] : summary->resourceCounts)
        total += count;
    report.facts.emplace_back(
        *format == RecordFileFormat::Csv ? "facts" : "resources", std::to_string(total));
    for (const auto &[type, count] : summary->resourceCounts)
        report.facts.emplace_back(
            (*format == RecordFileFormat::Csv ? "facts: " : "resources: ") + type, std::to_string(count));
    report.facts.emplace_back("observation codes", std::to_string(summary->observationCodes.size()));
    // The ten most frequent, as "system|code display: count".
    for (std::size_t i = 0; i < std::min<std::size_t>(10, summary->observationCodes.size()); ++i) {
        const ObservationCodeSummary &code = summary->observationCodes[i];
        report.facts.emplace_back("observations: " + code.system + "|" + code.code
                + (code.display.empty() ? "" : " " + code.display),
            std::to_string(code.count));
    }
    report.warnings = summary->warnings;
    return report;
}

} // namespace mosaic::records
