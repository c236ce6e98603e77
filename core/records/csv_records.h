// SPDX-License-Identifier: Apache-2.0
// Clinical records in a long CSV format, one fact per row, for sites that export tables rather than
// FHIR. The format is specified in core/records/README.md ("Long-format CSV records"); in short:
//
//   patient,time,system,code,value,unit[,kind][,display][,end][,category]
//
// A header naming the columns is required (any order, names in lower case; the six first are
// required, the four last optional, nothing else accepted). RFC 4180 quoting; LF or CRLF line ends;
// an optional UTF-8 byte order mark; blank lines are skipped. `kind` is one of observation (the
// default when the column or cell is empty), condition, medication, procedure, encounter, birthdate,
// gender. Times are FHIR date/dateTime text (parseClinicalTime); code systems go through
// canonicalCodeSystem ("LOINC" or "http://loinc.org"). Rows become the record model of
// clinical_record.h, grouped by patient in order of first appearance; each element's RecordSource is
// {file name, "csv", "line N"}.
//
// The file is untrusted: every refusal names the file, the line and the column, and never repeats a
// cell's content (a cell may hold a patient identifier or a birth date).
#pragma once

#include "core/error.h"
#include "core/records/clinical_record.h"

#include <cstddef>
#include <filesystem>
#include <string_view>
#include <vector>

namespace mosaic::records {

struct CsvRecordLimits
{
    std::size_t maxBytes = std::size_t { 1 } << 30; // 1 GiB: a large site export, not a data lake
    std::size_t maxRows = 20'000'000;
    std::size_t maxFieldBytes = 64 * 1024; // a display text or a long valueString, not a document
    std::size_t maxPatients = 1'000'000;
};

// Parses `text` read from a file called `sourceName` (a file name, used in errors and RecordSource).
[[nodiscard]] Result<std::vector<PatientRecord>> parseCsvRecords(
    std::string_view text, std::string_view sourceName, const CsvRecordLimits &limits = {});

// Reads and parses a file; its size is checked against `limits.maxBytes` before it is read.
[[nodiscard]] Result<std::vector<PatientRecord>> readCsvRecords(
    const std::filesystem::path &path, const CsvRecordLimits &limits = {});

} // namespace mosaic::records
