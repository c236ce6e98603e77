// SPDX-License-Identifier: Apache-2.0
// What every mosaic-cli command shares: the exit codes of the contract (DESIGN.md), error reporting
// on stderr, numbers and CSV/TSV cells on stdout, and where the installed resources are.
#pragma once

#include "core/error.h"

#include <cstdint>
#include <filesystem>
#include <string>

namespace mosaic {
class Workspace;
}

namespace mosaic::cli {

constexpr int kExitInvalidInput = 1;
constexpr int kExitUsage = 2;

// Prints "mosaic-cli: <message>" on stderr and returns kExitInvalidInput.
int reportError(const Error &error);

// "%.*g"; "NA" for NaN.
[[nodiscard]] std::string formatNumber(double value, int digits);

// A CSV or TSV cell, quoted (RFC 4180) when it holds the separator, a quote or a line break.
[[nodiscard]] std::string quoteCell(const std::string &text, char separator);

// Installed: <prefix>/bin/mosaic-cli with <prefix>/share/mosaic. From the build tree: the sources'
// resources/. MOSAIC_RESOURCE_DIR overrides both.
[[nodiscard]] std::filesystem::path resourceDirectory();

// The workspace's patient with this external id, added (with `source` as where it came from) when
// there is none yet. Call inside a transaction when features are stored next.
[[nodiscard]] Result<std::int64_t> patientIdFor(
    Workspace &workspace, const std::string &externalId, const std::string &source);

} // namespace mosaic::cli
