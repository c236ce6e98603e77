// SPDX-License-Identifier: Apache-2.0
// Reads FHIR R4 JSON into Mosaic's record model (clinical_record.h): a Bundle (collection,
// transaction, batch, searchset, document, ...), a single resource, or Bulk FHIR NDJSON (one resource
// per line). Resources are attached to their patient through `subject` / `patient` references, which
// may be "Patient/<id>", an absolute URL ending in it, or a bundle entry's fullUrl ("urn:uuid:...").
//
// The file is untrusted: its size, JSON nesting depth and resource count are bounded, invalid UTF-8
// and duplicate object keys are refused (FHIR forbids them and a silent choice between two values is
// how a wrong number reaches a clinician), an unknown resourceType is refused, and a field Mosaic reads
// that has the wrong JSON type is refused with its path. Narrative (`text.div`) is never read.
// Errors name the file, the entry or NDJSON line, the resource type and the field path, never an id.
#pragma once

#include "core/error.h"
#include "core/records/clinical_record.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic::records {

struct FhirReadLimits
{
    std::uint64_t maxFileBytes = std::uint64_t { 1 } << 30; // 1 GiB
    std::size_t maxDepth = 64; // JSON nesting; FHIR R4 resources need about 12
    std::size_t maxResources = 5'000'000;
};

struct RecordCollection
{
    enum class Format { Bundle, Resource, Ndjson };
    Format format = Format::Resource;
    std::string bundleType; // collection, transaction, searchset, document, ...; empty unless a Bundle
    std::vector<PatientRecord> patients; // in order of first appearance
    // Every resourceType met, including those Mosaic does not read (Claim, Organization, ...).
    // Resources inside a nested Bundle count too; `contained` resources do not.
    std::map<std::string, std::size_t> resourceCounts;
    // Clinical resources read but whose subject is not a patient of this input (a Group, a missing
    // reference); they are kept out of every patient's record.
    std::size_t unattachedResources = 0;
    std::vector<std::string> warnings;

    [[nodiscard]] std::size_t resourceCount() const;
};

[[nodiscard]] std::string_view formatName(RecordCollection::Format format);

// True for the 145 resource types of FHIR R4 (4.0.1).
[[nodiscard]] bool isFhirR4ResourceType(std::string_view name);

// Reads a .json file (a Bundle or one resource) or an .ndjson file. NDJSON is recognised by its
// extension or, whatever the name, by a first line that is a complete JSON object followed by more.
[[nodiscard]] Result<RecordCollection> readFhirFile(
    const std::filesystem::path &path, const FhirReadLimits &limits = {});

// The same from memory; `fileName` names the input in errors. Used by tests and the fuzzer.
[[nodiscard]] Result<RecordCollection> readFhirText(
    std::string_view text, std::string_view fileName, const FhirReadLimits &limits = {});

} // namespace mosaic::records
