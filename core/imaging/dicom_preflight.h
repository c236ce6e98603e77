// SPDX-License-Identifier: Apache-2.0
// A walk over a DICOM file's element headers before DCMTK parses it, for two inputs that DCMTK 3.6.7
// does not survive cleanly (both found by fuzzing, tests/fuzz):
// - A Directory Record Type (0004,1430) longer than the 16 characters of a code string makes
//   DcmByteString::verify, which DcmDirectoryRecord calls while parsing, throw std::out_of_range. The
//   partly read Directory Record Sequence is not yet owned by its parent, so the throw leaks it.
// - In a deflated data set (PS3.5 A.5) DCMTK cannot leave long values on disk and allocates each
//   declared length before reading the value: 6 KB of deflate claimed 3.5 GB. The data set is
//   inflated here (bounded) and every declared length must fit in what remains of it.
// And one found while writing this walk: DCMTK parses nested sequences recursively, so sequences
// nested thousands deep (a 140 KB file) overflow the stack. More than 128 levels are refused.
// Internal to core/imaging (its implementation includes DCMTK headers).
#pragma once

#include "core/error.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace mosaic::dicom_preflight {

// `place` names the file in messages, e.g. "RS.dcm" or "RTSTRUCT 'RS.dcm'"; errors add the element
// and its byte offset, never a value. `maxInflatedBytes` bounds a deflated data set once inflated.
// Where the walk cannot follow a file's structure it stops and leaves the file to DCMTK, which
// reports it; only the problems above are errors here, and in a deflated data set any declared
// length that does not fit.
[[nodiscard]] Result<void> checkBeforeParsing(
    const std::filesystem::path &path, std::uint64_t maxInflatedBytes, const std::string &place);

} // namespace mosaic::dicom_preflight
