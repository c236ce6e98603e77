// SPDX-License-Identifier: Apache-2.0
// Molar masses are PubChem's computed molecular weights (pubchem.ncbi.nlm.nih.gov, compound pages,
// "Molecular Weight"), which use IUPAC standard atomic weights; where PubChem rounds to one decimal
// (cholesterol 386.7, bilirubin 584.7) the value here carries the second decimal from the formula,
// as lab conversion tables quote it. LOINC codes: the [Mass/volume] and [Moles/volume] variants of
// each analyte in serum/plasma and, where LOINC has them, blood.
#include "core/records/molar_mass.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace mosaic::records {

namespace {

using Codes = std::string_view;

constexpr std::array<Codes, 1> kCreatinineNames { "creatinine" };
// 2160-0 serum/plasma, 38483-4 blood; 14682-9 serum/plasma, 59826-8 blood.
constexpr std::array<Codes, 2> kCreatinineMass { "2160-0", "38483-4" };
constexpr std::array<Codes, 2> kCreatinineMolar { "14682-9", "59826-8" };

constexpr std::array<Codes, 1> kGlucoseNames { "glucose" };
// 2345-7 serum/plasma, 2339-0 blood; 14749-6 serum/plasma, 15074-8 blood.
constexpr std::array<Codes, 2> kGlucoseMass { "2345-7", "2339-0" };
constexpr std::array<Codes, 2> kGlucoseMolar { "14749-6", "15074-8" };

constexpr std::array<Codes, 2> kCholesterolNames { "cholesterol", "total cholesterol" };
constexpr std::array<Codes, 1> kCholesterolMass { "2093-3" };
constexpr std::array<Codes, 1> kCholesterolMolar { "14647-2" };

constexpr std::array<Codes, 2> kHdlNames { "HDL cholesterol", "HDL" };
constexpr std::array<Codes, 1> kHdlMass { "2085-9" };
constexpr std::array<Codes, 1> kHdlMolar { "14646-4" };

constexpr std::array<Codes, 2> kLdlNames { "LDL cholesterol", "LDL" };
// 2089-1 (any method), 18262-6 (direct assay), 13457-7 (calculated); 22748-8, 39469-2 (calculated).
constexpr std::array<Codes, 3> kLdlMass { "2089-1", "18262-6", "13457-7" };
constexpr std::array<Codes, 2> kLdlMolar { "22748-8", "39469-2" };

constexpr std::array<Codes, 2> kTriglycerideNames { "triglycerides", "triglyceride" };
constexpr std::array<Codes, 1> kTriglycerideMass { "2571-8" };
constexpr std::array<Codes, 1> kTriglycerideMolar { "14927-8" };

constexpr std::array<Codes, 2> kUreaNitrogenNames { "urea nitrogen", "BUN" };
// 3094-0 serum/plasma, 6299-2 blood; 14937-7 serum/plasma.
constexpr std::array<Codes, 2> kUreaNitrogenMass { "3094-0", "6299-2" };
constexpr std::array<Codes, 1> kUreaNitrogenMolar { "14937-7" };

constexpr std::array<Codes, 1> kUreaNames { "urea" };
constexpr std::array<Codes, 1> kUreaMass { "3091-6" };
constexpr std::array<Codes, 1> kUreaMolar { "22664-7" };

constexpr std::array<Codes, 2> kUricAcidNames { "uric acid", "urate" };
constexpr std::array<Codes, 1> kUricAcidMass { "3084-1" };
constexpr std::array<Codes, 1> kUricAcidMolar { "14933-6" };

constexpr std::array<Codes, 1> kCalciumNames { "calcium" };
// 17861-6 serum/plasma, 49765-1 blood; 2000-8 serum/plasma.
constexpr std::array<Codes, 2> kCalciumMass { "17861-6", "49765-1" };
constexpr std::array<Codes, 1> kCalciumMolar { "2000-8" };

constexpr std::array<Codes, 2> kBilirubinNames { "bilirubin", "total bilirubin" };
// Total 1975-2 / 14631-6; direct (conjugated, still counted as bilirubin) 1968-7 / 14629-0.
constexpr std::array<Codes, 2> kBilirubinMass { "1975-2", "1968-7" };
constexpr std::array<Codes, 2> kBilirubinMolar { "14631-6", "14629-0" };

constexpr std::array<Codes, 2> kHaemoglobinNames { "haemoglobin", "hemoglobin" };
constexpr std::array<Codes, 1> kHaemoglobinMass { "718-7" };
constexpr std::array<Codes, 1> kHaemoglobinMolar { "59260-0" };

const std::array kTable {
    MolarMass { kCreatinineNames, "creatinine, C4H7N3O", 113.12, "PubChem CID 588: 113.12 g/mol",
        kCreatinineMass, kCreatinineMolar },
    MolarMass { kGlucoseNames, "D-glucose, C6H12O6", 180.16, "PubChem CID 5793: 180.16 g/mol", kGlucoseMass,
        kGlucoseMolar },
    MolarMass { kCholesterolNames, "cholesterol, C27H46O", 386.65,
        "PubChem CID 5997: 386.7 g/mol (386.65 from the formula)", kCholesterolMass, kCholesterolMolar },
    MolarMass { kHdlNames, "cholesterol in HDL, C27H46O", 386.65,
        "PubChem CID 5997: 386.7 g/mol (386.65 from the formula)", kHdlMass, kHdlMolar },
    MolarMass { kLdlNames, "cholesterol in LDL, C27H46O", 386.65,
        "PubChem CID 5997: 386.7 g/mol (386.65 from the formula)", kLdlMass, kLdlMolar },
    MolarMass { kTriglycerideNames, "triglycerides counted as triolein, C57H104O6", 885.4,
        "PubChem CID 5497163 (triolein): 885.4 g/mol", kTriglycerideMass, kTriglycerideMolar },
    MolarMass { kUreaNitrogenNames, "the two nitrogen atoms of urea, N2", 28.014,
        "PubChem CID 947 (N2): 28.014 g/mol", kUreaNitrogenMass, kUreaNitrogenMolar },
    MolarMass { kUreaNames, "urea, CH4N2O", 60.06, "PubChem CID 1176: 60.06 g/mol", kUreaMass, kUreaMolar },
    MolarMass { kUricAcidNames, "uric acid, C5H4N4O3", 168.11, "PubChem CID 1175: 168.11 g/mol",
        kUricAcidMass, kUricAcidMolar },
    MolarMass { kCalciumNames, "calcium, Ca", 40.078,
        "PubChem CID 5460341: 40.08 g/mol (IUPAC standard atomic weight 40.078)", kCalciumMass,
        kCalciumMolar },
    MolarMass { kBilirubinNames, "bilirubin, C33H36N4O6", 584.66,
        "PubChem CID 5280352: 584.7 g/mol (584.66 from the formula)", kBilirubinMass, kBilirubinMolar },
    // Not PubChem: haemoglobin is a protein. ICSH/IFCC convention: the monomer Hb(Fe), a quarter of
    // the tetramer's 64,458 g/mol (van Kampen and Zijlstra; ICSH 1995 reference method).
    MolarMass { kHaemoglobinNames, "haemoglobin monomer Hb(Fe), one haem", 16114.5,
        "ICSH/IFCC: tetramer 64,458 g/mol / 4", kHaemoglobinMass, kHaemoglobinMolar },
};

bool equalsIgnoringCase(std::string_view a, std::string_view b)
{
    return std::ranges::equal(
        a, b, [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

} // namespace

std::span<const MolarMass> molarMassTable()
{
    return kTable;
}

std::optional<double> molarMassForLoinc(std::string_view loincCode)
{
    for (const MolarMass &entry : kTable) {
        if (std::ranges::find(entry.massLoincCodes, loincCode) != entry.massLoincCodes.end()
            || std::ranges::find(entry.molarLoincCodes, loincCode) != entry.molarLoincCodes.end())
            return entry.gramsPerMole;
    }
    return std::nullopt;
}

std::optional<MolarMass> molarMassFor(std::string_view analyte)
{
    for (const MolarMass &entry : kTable) {
        if (std::ranges::any_of(
                entry.names, [&](std::string_view name) { return equalsIgnoringCase(name, analyte); }))
            return entry;
    }
    return std::nullopt;
}

} // namespace mosaic::records
