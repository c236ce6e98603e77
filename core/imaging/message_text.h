// SPDX-License-Identifier: Apache-2.0
// Builds error and warning text from pieces. GCC 12's libstdc++ has no <format>; this keeps the
// messages readable without one: textOf("ROI ", number, " '", name, "'").
#pragma once

#include <charconv>
#include <concepts>
#include <string>
#include <string_view>

namespace mosaic::message_text {

inline void appendPart(std::string &out, std::string_view part)
{
    out += part;
}
inline void appendPart(std::string &out, char part)
{
    out += part;
}
template <std::integral Integer>
requires(!std::same_as<Integer, char> && !std::same_as<Integer, bool>) void appendPart(
    std::string &out, Integer value)
{
    out += std::to_string(value);
}
// Shortest text that reads back as the same double.
inline void appendPart(std::string &out, double value)
{
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
}

template <typename... Parts> [[nodiscard]] std::string textOf(const Parts &...parts)
{
    std::string out;
    (appendPart(out, parts), ...);
    return out;
}

} // namespace mosaic::message_text
