// SPDX-License-Identifier: Apache-2.0
// The checks every reader of an input file makes before it opens it (genomic files, FHIR, CSV
// records): it exists, it is a regular file (not a folder or a device), and it is not empty. Errors
// name the file (its name only).
#pragma once

#include "core/error.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace mosaic {

// `expected` says what the file should have been, for the empty-file message ("the file is empty,
// not VCF or BCF"); `emptyCode` is the reader's code for an empty file.
[[nodiscard]] inline Result<void> checkInputFile(
    const std::filesystem::path &path, std::string_view expected, ErrorCode emptyCode)
{
    const std::string name = path.filename().string();
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, "the file does not exist", name);
    if (!std::filesystem::is_regular_file(path, ec))
        return fail(ErrorCode::Unsupported, "not a regular file", name);
    if (std::filesystem::file_size(path, ec) == 0 && !ec)
        return fail(emptyCode,
            expected.empty() ? "the file is empty" : "the file is empty, not " + std::string(expected), name);
    return {};
}

} // namespace mosaic
