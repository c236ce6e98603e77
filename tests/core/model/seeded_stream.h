// SPDX-License-Identifier: Apache-2.0
// Test data that do not depend on the standard library's distributions: splitmix64 uniforms and
// Box-Muller normals, the same numbers on every platform, so Python peers can be given the rows.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace model_test {

class Stream
{
public:
    explicit Stream(std::uint64_t seed)
        : state(seed)
    { }
    double uniform() // in (0, 1)
    {
        state += 0x9E3779B97F4A7C15ull;
        std::uint64_t z = state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        z ^= z >> 31;
        return (static_cast<double>(z >> 11) + 0.5) / 9007199254740992.0;
    }
    double normal() // Box-Muller; the two draws sequenced explicitly
    {
        const double radius = std::sqrt(-2.0 * std::log(uniform()));
        return radius * std::cos(2.0 * std::numbers::pi * uniform());
    }

private:
    std::uint64_t state;
};

} // namespace model_test
