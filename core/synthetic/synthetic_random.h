// SPDX-License-Identifier: Apache-2.0
// The synthetic cohort's randomness: the same numbers on every platform and standard library.
// std::mt19937_64 is specified bit for bit by the standard; its distributions are not, so every
// transform here is our own and uses only IEEE-exact arithmetic (no log, exp or trigonometry).
// Each patient and purpose has its own stream (seed, patient, stream), so patient 17 is the same
// patient whatever the cohort size or missingness fractions, and changing how images are drawn never
// changes anyone's outcome.
#pragma once

#include <cstdint>
#include <random>

namespace mosaic::synthetic {

// SplitMix64's finaliser (Steele, Lea and Flood 2014): a bijection of 64-bit words that spreads
// nearby inputs (seed, seed + 1) over the whole range.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t value)
{
    value += 0x9e3779b97f4a7c15ULL;
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
    return value ^ (value >> 31);
}

// The purposes a patient draws numbers for; each is an independent stream.
enum class Stream : std::uint64_t {
    Latent = 1, // latent variables and the outcome
    Missingness = 2, // which modalities are absent
    ImageNoise = 3, // voxel noise of the CT series
    DicomIdentifiers = 4, // DICOM UIDs
    RecordIdentifiers = 5, // FHIR fullUrls
};

class SyntheticRandom
{
public:
    SyntheticRandom(std::uint64_t seed, std::uint64_t patient, Stream stream)
        : m_engine(mix64(mix64(mix64(seed) ^ patient) ^ static_cast<std::uint64_t>(stream)))
    { }

    [[nodiscard]] std::uint64_t bits() { return m_engine(); }

    // Uniform on [0, 1): the top 53 bits of one draw, exactly representable.
    [[nodiscard]] double uniform() { return static_cast<double>(m_engine() >> 11) * 0x1.0p-53; }

    [[nodiscard]] double uniform(double low, double high) { return low + (high - low) * uniform(); }

    [[nodiscard]] bool bernoulli(double probability) { return uniform() < probability; }

    // Uniform integer in [0, bound), bound > 0, without modulo bias (as core/model/stratified_folds.cpp).
    [[nodiscard]] std::uint64_t below(std::uint64_t bound)
    {
        const std::uint64_t rejectBelow = (0 - bound) % bound;
        std::uint64_t draw = m_engine();
        while (draw < rejectBelow)
            draw = m_engine();
        return draw % bound;
    }

    // Irwin-Hall: the sum of 12 uniforms minus 6 has mean 0, variance 1 and lies in (-6, 6); its
    // density differs from the normal's by under 0.01 everywhere. Exact arithmetic only, unlike
    // Box-Muller (log, cos) whose last bit depends on the maths library.
    [[nodiscard]] double standardNormal()
    {
        double sum = 0.0;
        for (int i = 0; i < 12; ++i)
            sum += uniform();
        return sum - 6.0;
    }

    // Cheaper noise for voxels: the sum of 4 uniforms, centred and scaled to variance 1 (a smooth
    // bell on (-2 sqrt 3, 2 sqrt 3)).
    [[nodiscard]] double voxelNoise()
    {
        constexpr double kScale = 1.7320508075688772; // sqrt(3): variance of the sum of 4 is 4/12
        const double sum = uniform() + uniform() + uniform() + uniform();
        return (sum - 2.0) * kScale;
    }

private:
    std::mt19937_64 m_engine;
};

} // namespace mosaic::synthetic
