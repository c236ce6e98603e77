// SPDX-License-Identifier: Apache-2.0
// Molar masses for the usual mass <-> amount-of-substance conversions of lab results (mg/dL <->
// mmol/L or umol/L), with the LOINC codes each applies to. UcumUnits::convert takes the molar mass
// as its last argument; this table is where the number comes from.
//
// Conventions, as clinical laboratories use them:
// - triglycerides are counted as triolein (885.4 g/mol), the convention behind the usual factor
//   1 mg/dL = 0.01129 mmol/L;
// - urea nitrogen (BUN) is the nitrogen of urea, two N per molecule, so 28.014 g/mol converts mg/dL
//   of urea nitrogen to mmol/L of urea (the factor 0.357); urea itself is 60.06 g/mol;
// - haemoglobin in mmol/L (the Dutch and Scandinavian practice, LOINC 59260-0) counts monomers, one
//   haem each: 64,458 g/mol of the tetramer / 4 = 16,114.5 g/mol (1 g/dL = 0.6206 mmol/L).
// A code's molar mass converts that code's own analyte: 22664-7 (urea, mmol/L) converts to grams of
// urea, 14937-7 (urea nitrogen, mmol/L) to grams of urea nitrogen.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace mosaic::records {

struct MolarMass
{
    std::span<const std::string_view> names; // the first is the analyte's name, the rest aliases
    std::string_view substance; // what is counted, with its formula: "creatinine, C4H7N3O"
    double gramsPerMole = 0.0;
    std::string_view source; // "PubChem CID 588: molecular weight 113.12 g/mol"
    std::span<const std::string_view> massLoincCodes; // [Mass/volume] codes (mg/dL, g/L)
    std::span<const std::string_view> molarLoincCodes; // [Moles/volume] codes (mmol/L, umol/L)

    [[nodiscard]] std::string_view analyte() const { return names.front(); }
};

// The whole table, for documentation and for the screen.
[[nodiscard]] std::span<const MolarMass> molarMassTable();

// The molar mass (g/mol) for converting results of this LOINC code ("2160-0") between mass and
// amount of substance; nullopt when the table has no entry for the code.
[[nodiscard]] std::optional<double> molarMassForLoinc(std::string_view loincCode);

// By analyte name or alias, case-insensitively: "creatinine", "LDL cholesterol", "BUN".
[[nodiscard]] std::optional<MolarMass> molarMassFor(std::string_view analyte);

} // namespace mosaic::records
