// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the FHIR R4 reader on arbitrary bytes, read both as a .json file (a Bundle or one
// resource, or NDJSON recognised from its content) and as an .ndjson file, with a lowered depth limit;
// on success the records summary walks everything read. Every refusal must name the file. Any outcome
// is fine except a crash, a sanitizer report, a hang or a runaway allocation.
#include "core/records/fhir_reader.h"
#include "core/records/record_inspection.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

namespace {

void readAs(std::string_view text, std::string_view fileName)
{
    mosaic::records::FhirReadLimits limits;
    limits.maxDepth = 32;
    limits.maxResources = 10'000;
    const auto collection = mosaic::records::readFhirText(text, fileName, limits);
    if (!collection) {
        if (!collection.error().location.starts_with(fileName))
            std::abort(); // a refusal that does not name the file
        return;
    }
    const auto summary = mosaic::records::summariseRecords(*collection);
    if (summary.patients != collection->patients.size())
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    readAs(text, "input.json");
    readAs(text, "input.ndjson");
    return 0;
}
