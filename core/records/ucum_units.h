// SPDX-License-Identifier: Apache-2.0
// UCUM (Unified Code for Units of Measure, https://ucum.org) case-sensitive unit expressions, read
// from the official table ucum-essence.xml (shipped as resources/ucum/ with its licence). Every
// prefix, base unit and unit comes from that file; derived units are resolved recursively through
// their <value Unit="..." value="..."> definitions when the table is loaded, so no factor is typed
// in by hand here.
//
// Scope: the case-sensitive codes (the `Code` attribute, "mg/dL", "mm[Hg]", "10*9/L"), not the
// case-insensitive `CODE` variants. Units with a special (non-ratio) conversion stand alone, as UCUM
// requires; of those, Cel, [degF] and [degRe] convert (with their offsets); the logarithmic and
// trigonometric ones (B, Np, [pH], [p'diop], ...) convert only to themselves, with prefixes.
// Arbitrary units ([IU], [arb'U], ...) are commensurable only with themselves, with prefixes.
#pragma once

#include "core/error.h"

#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mosaic::records {

// UCUM's seven base units in the essence file's order: m, s, g, rad, K, C, cd. Their dimension
// letters there are L, T, M, A, C, Q, F. The mole is not a base unit: UCUM defines it as the number
// 6.02214076e23, so amount of substance is dimensionless (a count).
inline constexpr std::size_t kUcumBaseUnitCount = 7;

// Safety limits for untrusted unit strings.
inline constexpr std::size_t kMaxUcumExpressionLength = 256;
inline constexpr int kMaxUcumNesting = 16; // parentheses
inline constexpr int kMaxUcumExponent = 999; // |exponent| written after one unit, "10*999"

struct UnitDimension
{
    std::array<int, kUcumBaseUnitCount> base {}; // exponents of m, s, g, rad, K, C, cd
    // Arbitrary units are their own dimensions: code of the arbitrary unit -> exponent (non-zero).
    std::map<std::string, int, std::less<>> arbitrary;

    friend bool operator==(const UnitDimension &, const UnitDimension &) = default;
    [[nodiscard]] bool isDimensionless() const;
};

struct ParsedUnit
{
    // One of this unit in UCUM base units (g, m, s, ...; a mole is 6.02214076e23). For a special
    // unit: the scale its conversion function's result is multiplied by (Cel: 1 K; [degF]: 5/9 K).
    double factor = 1.0;
    UnitDimension dimension;
    // Special (non-ratio) units only: the essence table's function name ("Cel", "degF", "pH", ...)
    // and the prefix factor the value is multiplied by before the function applies ("mCel").
    std::string specialFunction;
    double specialPrefix = 1.0;

    [[nodiscard]] bool isSpecial() const { return !specialFunction.empty(); }
};

class UcumUnits
{
public:
    // Reads and resolves the whole table; errors name the file (its name only) and the line.
    static Result<UcumUnits> load(const std::filesystem::path &essenceXml);

    // Parses a case-sensitive UCUM expression: prefixes, units from the table, exponents ("m2",
    // "s-1", "10*9"), '.', '/', a leading '/', parentheses, annotations {..} (which count as 1) and
    // integer factors. Errors name the unit and the 1-based character position in it.
    [[nodiscard]] Result<ParsedUnit> parse(std::string_view unit) const;

    // True when both parse and have the same dimension (Cel and K are commensurable).
    [[nodiscard]] bool commensurable(std::string_view a, std::string_view b) const;

    // `value` in `from`, expressed in `to`. With molarMassGramsPerMole it also converts between
    // mass and amount of substance (mg/dL <-> mmol/L); without it such a request is refused as
    // incommensurable (InvalidArgument naming both units and their dimensions).
    [[nodiscard]] Result<double> convert(double value, std::string_view from, std::string_view to,
        std::optional<double> molarMassGramsPerMole = {}) const;

    // "L-3.M" (UCUM dimension letters, arbitrary units by code), "1" when dimensionless.
    [[nodiscard]] std::string dimensionText(const UnitDimension &dimension) const;

    // Codes of every base unit and unit in the table in file order, and of every prefix (for tests
    // and help).
    [[nodiscard]] std::vector<std::string> unitCodes() const;
    [[nodiscard]] std::vector<std::string> prefixCodes() const;

    // One prefix-less unit of the table as loaded (public so the parser in the .cpp can see it).
    struct Atom
    {
        std::string code;
        bool isMetric = false;
        bool isSpecial = false;
        bool isArbitrary = false;
        int baseIndex = -1; // 0..6 for the base units, -1 otherwise
        std::string definitionUnit; // <value Unit=...>, or <function Unit=...> for special units
        double definitionValue = 1.0;
        std::string function; // <function name=...>
        long line = 0; // where the table defines it
        ParsedUnit resolved;
    };

private:
    std::vector<std::pair<std::string, double>> m_prefixes; // code -> factor, longest code first
    std::map<std::string, Atom, std::less<>> m_atoms;
    std::vector<std::string> m_atomOrder;
    std::array<std::string, kUcumBaseUnitCount> m_dimensionLetters;
    std::optional<double> m_moleFactor; // "mol" in base units (the Avogadro number)
    int m_massIndex = -1; // the base unit "g" in UnitDimension::base
    std::string m_fileName;
};

} // namespace mosaic::records
