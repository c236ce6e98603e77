// SPDX-License-Identifier: Apache-2.0
// Identifiers of the synthetic cohort derived from the seed, so the same seed gives the same files
// byte for byte. A 128-bit value from the patient's Identifiers stream is made a UUID of RFC 9562
// version 8 (custom: the bits are ours, not random or time-based) and written either as a UUID
// ("urn:uuid:" fullUrls in the FHIR bundles) or as the UUID-derived DICOM UID "2.25.<decimal>"
// (ISO/IEC 9834-8, DICOM PS3.5 B.2), which needs no registered root. Two cohorts share UIDs only
// when they share seed and patient number, i.e. when they are the same synthetic patient.
#pragma once

#include "core/synthetic/synthetic_random.h"

#include <array>
#include <cstdint>
#include <string>

namespace mosaic::synthetic {

struct Uuid128
{
    std::uint64_t high = 0;
    std::uint64_t low = 0;

    [[nodiscard]] static Uuid128 draw(SyntheticRandom &random)
    {
        Uuid128 value { random.bits(), random.bits() };
        value.high = (value.high & ~std::uint64_t { 0xF000 }) | std::uint64_t { 0x8000 }; // version 8
        value.low = (value.low & ~(std::uint64_t { 3 } << 62)) | (std::uint64_t { 2 } << 62); // variant 10
        return value;
    }

    // "2.25." and the 128-bit value in decimal (at most 39 digits: 44 characters, under DICOM's 64).
    [[nodiscard]] std::string dicomUid() const
    {
        std::array<std::uint32_t, 4> limbs { static_cast<std::uint32_t>(high >> 32),
            static_cast<std::uint32_t>(high), static_cast<std::uint32_t>(low >> 32),
            static_cast<std::uint32_t>(low) };
        std::string digits;
        bool zero = false;
        while (!zero) {
            // Long division of the four limbs by 10.
            std::uint64_t remainder = 0;
            zero = true;
            for (std::uint32_t &limb : limbs) {
                const std::uint64_t current = (remainder << 32) | limb;
                limb = static_cast<std::uint32_t>(current / 10);
                remainder = current % 10;
                zero = zero && limb == 0;
            }
            digits.insert(digits.begin(), static_cast<char>('0' + remainder));
        }
        return "2.25." + digits;
    }

    // "8c3e...-...": the canonical 8-4-4-4-12 lower-case form.
    [[nodiscard]] std::string text() const
    {
        static constexpr char kHex[] = "0123456789abcdef";
        std::string out;
        out.reserve(36);
        for (int nibble = 0; nibble < 32; ++nibble) {
            if (nibble == 8 || nibble == 12 || nibble == 16 || nibble == 20)
                out.push_back('-');
            const std::uint64_t word = nibble < 16 ? high : low;
            const int shift = 60 - 4 * (nibble % 16);
            out.push_back(kHex[(word >> shift) & 0xF]);
        }
        return out;
    }
};

} // namespace mosaic::synthetic
