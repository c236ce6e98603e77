// SPDX-License-Identifier: Apache-2.0
// How deeply a JSON text nests, counted on the raw text outside strings, so that a hostile file is
// refused before a recursive parser builds it (nlohmann-json recurses once per level).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string_view>

namespace mosaic {

// The deepest nesting of objects and arrays in `text`: 0 for a scalar, 1 for [1, 2], 2 for [[1]].
// Brackets inside strings (escapes included) are not counted; unbalanced text is counted as far as it goes.
[[nodiscard]] inline std::size_t jsonNestingDepth(std::string_view text)
{
    std::size_t depth = 0;
    std::size_t deepest = 0;
    bool inString = false;
    bool escaped = false;
    for (const char c : text) {
        if (inString) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"')
                inString = false;
            continue;
        }
        if (c == '"')
            inString = true;
        else if (c == '{' || c == '[')
            deepest = std::max(deepest, ++depth);
        else if ((c == '}' || c == ']') && depth > 0)
            --depth;
    }
    return deepest;
}

} // namespace mosaic
