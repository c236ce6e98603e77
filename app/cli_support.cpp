// SPDX-License-Identifier: Apache-2.0
#include "app/cli_support.h"

#include "core/store/workspace.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace mosaic::cli {

int reportError(const Error &error)
{
    std::cerr << "mosaic-cli: " << error.message() << '\n';
    return kExitInvalidInput;
}

std::string formatNumber(double value, int digits)
{
    if (std::isnan(value))
        return "NA";
    char text[64];
    std::snprintf(text, sizeof text, "%.*g", digits, value);
    return text;
}

std::string quoteCell(const std::string &text, char separator)
{
    if (text.find_first_of(std::string { separator, '"', '\n', '\r' }) == std::string::npos)
        return text;
    std::string quoted = "\"";
    for (const char c : text)
        quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
    return quoted + "\"";
}

std::filesystem::path resourceDirectory()
{
    if (const char *overridden = std::getenv("MOSAIC_RESOURCE_DIR");
        overridden != nullptr && *overridden != '\0')
        return overridden;
    std::error_code ec;
    // Linux names the running executable in /proc; elsewhere the installed layout is not probed.
    const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const std::filesystem::path installed = executable.parent_path().parent_path() / "share" / "mosaic";
        if (std::filesystem::exists(installed / "pgx", ec))
            return installed;
    }
    return MOSAIC_SOURCE_RESOURCE_DIR;
}

Result<std::int64_t> patientIdFor(
    Workspace &workspace, const std::string &externalId, const std::string &source)
{
    auto patients = workspace.patients();
    if (!patients)
        return std::unexpected(patients.error());
    for (const PatientSummary &patient : *patients)
        if (patient.externalId == externalId)
            return patient.id;
    return workspace.addPatient(externalId, source);
}

} // namespace mosaic::cli
