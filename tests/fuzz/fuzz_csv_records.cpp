// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the long-format CSV records reader on arbitrary bytes with lowered limits; on
// success the records summary walks everything read. Every refusal must name the file and must not
// repeat a cell (the reader promises that; a cell may hold an identifier). Any other outcome is fine
// except a crash, a sanitizer report, a hang or a runaway allocation.
#include "core/records/csv_records.h"
#include "core/records/record_inspection.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char *>(data), size);
    mosaic::records::CsvRecordLimits limits;
    limits.maxRows = 5'000;
    limits.maxFieldBytes = 4096;
    limits.maxPatients = 1'000;
    const auto patients = mosaic::records::parseCsvRecords(text, "input.csv", limits);
    if (!patients) {
        if (!patients.error().location.starts_with("input.csv"))
            std::abort(); // a refusal that does not name the file
        return 0;
    }
    const auto summary = mosaic::records::summariseRecords(*patients);
    if (summary.patients != patients->size())
        std::abort();
    return 0;
}
