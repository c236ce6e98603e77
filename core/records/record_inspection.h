// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli inspect` and `mosaic-cli records` for clinical records: FHIR R4 JSON (Bundle, single
// resource, Bulk NDJSON) and the long CSV format (csv_records.h). The summary counts resources by
// type and observations by code; it never carries identifiers, names or dates.
#pragma once

#include "core/error.h"
#include "core/inspection_report.h"
#include "core/records/clinical_record.h"
#include "core/records/fhir_reader.h"

#include <cstddef>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mosaic::records {

enum class RecordFileFormat { Fhir, Csv };

// From the first 4 KiB: a JSON object ("{", after an optional UTF-8 byte-order mark and white
// space) that names a "resourceType" is FHIR; a first line starting "patient," (any case) is the long CSV
// format. std::nullopt for anything else, or a file that cannot be read.
[[nodiscard]] std::optional<RecordFileFormat> detectRecordFileFormat(const std::filesystem::path &path);

// One coded observation kind: how many observations (and components) carry it, in which units.
struct ObservationCodeSummary
{
    std::string system;
    std::string code;
    std::string display;
    std::size_t count = 0;
    std::vector<std::string> units; // as recorded, in order of first appearance
};

struct RecordSummary
{
    std::string format; // "bundle", "resource", "ndjson" or "csv"
    std::string bundleType;
    std::size_t patients = 0;
    std::map<std::string, std::size_t> resourceCounts; // FHIR resources by type; for CSV, facts by kind
    std::size_t unattachedResources = 0;
    std::vector<ObservationCodeSummary> observationCodes; // most frequent first, then by system and code
    std::vector<std::string> warnings;
};

[[nodiscard]] RecordSummary summariseRecords(const RecordCollection &collection);
[[nodiscard]] RecordSummary summariseRecords(const std::vector<PatientRecord> &patients);

// Reads the file in the format detected and summarises it; Unsupported when it is neither.
[[nodiscard]] Result<RecordSummary> summariseRecordFile(const std::filesystem::path &path);

// The InspectionReport of a records file; std::nullopt when it is not one.
[[nodiscard]] std::optional<Result<InspectionReport>> inspectRecordFile(const std::filesystem::path &path);

} // namespace mosaic::records
