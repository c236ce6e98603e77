// SPDX-License-Identifier: Apache-2.0
// One synthetic patient: the latent variables, what each modality shows of them, and the outcome drawn
// from the ground-truth logistic model documented in core/synthetic/README.md. Nothing here writes
// files (synthetic_cohort.h does); everything is a pure function of (seed, patient number).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mosaic::synthetic {

// The image grid every synthetic CT series shares (README: "Images").
inline constexpr std::size_t kColumns = 24;
inline constexpr std::size_t kRows = 24;
inline constexpr std::size_t kSlices = 12;
inline constexpr double kPixelSpacingMm = 1.5;
inline constexpr double kSliceSpacingMm = 3.0;
// Patient position of the centre of voxel (0, 0, 0): the grid is centred on the origin.
inline constexpr double kOriginXMm = -0.5 * kPixelSpacingMm * (kColumns - 1);
inline constexpr double kOriginYMm = -0.5 * kPixelSpacingMm * (kRows - 1);
inline constexpr double kOriginZMm = -0.5 * kSliceSpacingMm * (kSlices - 1);
inline constexpr double kBackgroundHu = 20.0;
inline constexpr double kNoiseSdHu = 10.0;
// Vertices of each contour polygon (inscribed in the lesion's circle on that slice).
inline constexpr std::size_t kContourVertices = 64;

// A variant site of the synthetic genotypes (GRCh38).
struct VariantSite
{
    std::string_view featureName; // the model specification's feature name
    std::string_view id; // VCF ID column, "." for made-up sites
    std::string_view chromosome; // as written in the VCF ("chr19")
    std::int64_t position;
    std::string_view reference;
    std::string_view alternate; // the counted allele
    double alternateFrequency;
    double coefficient; // per copy of the alternate allele in the ground-truth logit (0: noise)
    std::string_view description;
};

inline constexpr std::size_t kVariantCount = 5;
// In VCF order (contigs chr1, chr6, chr10, chr19 as declared in the header).
inline constexpr std::array<VariantSite, kVariantCount> kVariantSites { {
    { "syn_chr1_100000123_G", ".", "chr1", 100000123, "A", "G", 0.35, 0.0,
        "made-up site (noise: no effect on the outcome)" },
    { "syn_chr6_50000456_T", ".", "chr6", 50000456, "C", "T", 0.20, 0.0,
        "made-up site (noise: no effect on the outcome)" },
    { "syn_chr10_80000789_A", ".", "chr10", 80000789, "G", "A", 0.40, 0.0,
        "made-up site (noise: no effect on the outcome)" },
    { "rs429358_C", "rs429358", "chr19", 44908684, "T", "C", 0.25, 0.9,
        "APOE e4-defining SNP at its real GRCh38 position; its effect here is synthetic (driver)" },
    { "rs7412_T", "rs7412", "chr19", 44908822, "C", "T", 0.08, 0.0,
        "APOE e2-defining SNP at its real GRCh38 position (noise: no effect on the outcome)" },
} };

// The ground-truth logistic model (README: "Ground truth"). Standardised record values use the
// population centre and scale of their generator, not the sample's, so the model does not depend on
// the cohort size.
struct GroundTruthModel
{
    static constexpr double kIntercept = -2.0;
    static constexpr double kLesionSize = 1.2; // per SD of the lesion-size latent z_size
    static constexpr double kCreatinine = 0.8; // per (creatinine - 0.9 mg/dL) / 0.2 mg/dL
    static constexpr double kHba1c = 0.6; // per (HbA1c - 5.8 %) / 0.7 %
    // rs429358_C: kVariantSites[3].coefficient per copy.
    static constexpr double kCreatinineCentre = 0.9;
    static constexpr double kCreatinineScale = 0.2;
    static constexpr double kHba1cCentre = 5.8;
    static constexpr double kHba1cScale = 0.7;
    static constexpr double kSbpCentre = 130.0;
    static constexpr double kSbpScale = 15.0;
    static constexpr double kRadiusCentreMm = 8.0;
    static constexpr double kRadiusScaleMm = 1.5;
    static constexpr double kLesionHuCentre = 60.0;
    static constexpr double kLesionHuScale = 15.0;
};

// A calendar date as days since 1970-01-01 and its ISO text.
struct CivilDate
{
    std::int64_t days = 0;
    [[nodiscard]] std::string iso() const; // "2023-05-14"
    [[nodiscard]] static CivilDate fromYmd(int year, unsigned month, unsigned day);
    void toYmd(int &year, unsigned &month, unsigned &day) const;
};

struct SyntheticPatient
{
    std::size_t number = 0; // 1-based
    std::string id; // "SYN-0001"
    std::string nameSuffix; // "PATIENT-0001"
    bool female = false;
    int ageYears = 0; // completed years at the index date
    CivilDate birthDate;
    CivilDate indexDate;

    // Imaging latents: lesion size and density.
    double zSize = 0.0; // in [-2, 2], rounded to 1e-4
    double radiusMm = 0.0; // 8 + 1.5 zSize
    double volumeMm3 = 0.0; // 4/3 pi r^3
    std::array<double, 3> centreMm { 0.0, 0.0, 0.0 };
    double zDensity = 0.0;
    double lesionMeanHu = 0.0; // 60 + 15 zDensity, rounded to 0.1

    std::array<int, kVariantCount> dosages {}; // copies of each site's alternate allele

    // Recorded lab and vital values (rounded as written) and days before the index date they were taken.
    double creatinineMgDl = 0.0;
    double hba1cPercent = 0.0;
    double sbpMmHg = 0.0;
    std::array<int, 3> daysBeforeIndex { 0, 0, 0 }; // creatinine, HbA1c, systolic pressure

    double logit = 0.0;
    double probability = 0.0;
    int outcome = 0;

    bool hasImaging = true;
    bool hasGenotypes = true;

    [[nodiscard]] std::string ageBand() const; // "60-69"
    [[nodiscard]] bool hasDiabetes() const { return hba1cPercent >= 6.5; }
    [[nodiscard]] bool hasHypertension() const { return sbpMmHg >= 140.0; }
};

// Patient `number` (1-based) of a cohort of `patients` with this seed; the missingness fractions only
// decide hasImaging and hasGenotypes (their own stream: the latents and outcome do not change).
[[nodiscard]] SyntheticPatient drawSyntheticPatient(std::uint64_t seed, std::size_t number,
    std::size_t patients, double missingImaging, double missingGenotypes);

// The ground-truth logit of these values (the documented model).
[[nodiscard]] double groundTruthLogit(
    double zSize, int riskAlleleDosage, double creatinineMgDl, double hba1cPercent);

} // namespace mosaic::synthetic
