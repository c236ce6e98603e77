// SPDX-License-Identifier: Apache-2.0
// Times Mosaic records (model creation, patients, predictions) are UTC, ISO 8601, to the second:
// they sort as text and read the same on workstations in every time zone.
#pragma once

#include <chrono>
#include <cstdio>
#include <string>

namespace mosaic {

// "2026-11-25T17:49:00Z". Built from the chrono calendar, so no gmtime_r / gmtime_s split is needed.
[[nodiscard]] inline std::string utcTimestamp(std::chrono::system_clock::time_point when)
{
    using namespace std::chrono;
    const auto second = floor<seconds>(when);
    const auto day = floor<days>(second);
    const year_month_day date { day };
    const hh_mm_ss time { second - day };
    char text[32];
    std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
        static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
        static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
        static_cast<int>(time.seconds().count()));
    return text;
}

[[nodiscard]] inline std::string utcTimestampNow()
{
    return utcTimestamp(std::chrono::system_clock::now());
}

} // namespace mosaic
