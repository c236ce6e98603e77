// SPDX-License-Identifier: Apache-2.0
// Times Mosaic records (model creation, predictions, annotations) are UTC, ISO 8601, to the second,
// so workspaces from workstations in different time zones sort and compare correctly.
#pragma once

#include <chrono>
#include <ctime>
#include <string>

namespace mosaic {

// "2026-11-25T17:49:00Z"
[[nodiscard]] inline std::string utcTimestamp(std::chrono::system_clock::time_point when)
{
    const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
    std::tm parts {};
#ifdef _WIN32
    gmtime_s(&parts, &seconds);
#else
    gmtime_r(&seconds, &parts);
#endif
    char text[32];
    const auto length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &parts);
    return std::string(text, length);
}

[[nodiscard]] inline std::string utcTimestampNow()
{
    return utcTimestamp(std::chrono::system_clock::now());
}

} // namespace mosaic
