// SPDX-License-Identifier: Apache-2.0
#include "core/synthetic/synthetic_patient.h"

#include "core/synthetic/synthetic_random.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numbers>

namespace mosaic::synthetic {

namespace {

constexpr std::size_t kRiskSite = 3; // rs429358_C
static_assert(kVariantSites[kRiskSite].coefficient > 0.0);

// Rounds to a multiple of `step` (a power of ten): exact IEEE arithmetic, the same everywhere.
double roundTo(double value, double inverseStep)
{
    return std::round(value * inverseStep) / inverseStep;
}

std::string numbered(std::string_view prefix, std::size_t number, std::size_t patients)
{
    int width = 4;
    for (std::size_t limit = 10'000; patients >= limit && width < 19; limit *= 10)
        ++width;
    char digits[32];
    std::snprintf(digits, sizeof digits, "%0*zu", width, number);
    return std::string(prefix) + digits;
}

} // namespace

// Howard Hinnant's days_from_civil and civil_from_days (proleptic Gregorian, exact integers).
CivilDate CivilDate::fromYmd(int year, unsigned month, unsigned day)
{
    year -= month <= 2 ? 1 : 0;
    const int era = (year >= 0 ? year : year - 399) / 400;
    const auto yearOfEra = static_cast<unsigned>(year - era * 400);
    const unsigned dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear;
    return { static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(dayOfEra) - 719468 };
}

void CivilDate::toYmd(int &year, unsigned &month, unsigned &day) const
{
    const std::int64_t z = days + 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto dayOfEra = static_cast<unsigned>(z - era * 146097);
    const unsigned yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365;
    const unsigned dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100);
    const unsigned shiftedMonth = (5 * dayOfYear + 2) / 153;
    day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
    month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
    year = static_cast<int>(yearOfEra) + static_cast<int>(era) * 400 + (month <= 2 ? 1 : 0);
}

std::string CivilDate::iso() const
{
    int year = 0;
    unsigned month = 0;
    unsigned day = 0;
    toYmd(year, month, day);
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", year, month, day);
    return text;
}

std::string SyntheticPatient::ageBand() const
{
    const int low = ageYears / 10 * 10;
    return std::to_string(low) + "-" + std::to_string(low + 9);
}

double groundTruthLogit(double zSize, int riskAlleleDosage, double creatinineMgDl, double hba1cPercent)
{
    using M = GroundTruthModel;
    return M::kIntercept + M::kLesionSize * zSize + kVariantSites[kRiskSite].coefficient * riskAlleleDosage
        + M::kCreatinine * (creatinineMgDl - M::kCreatinineCentre) / M::kCreatinineScale
        + M::kHba1c * (hba1cPercent - M::kHba1cCentre) / M::kHba1cScale;
}

SyntheticPatient drawSyntheticPatient(std::uint64_t seed, std::size_t number, std::size_t patients,
    double missingImaging, double missingGenotypes)
{
    using M = GroundTruthModel;
    SyntheticPatient patient;
    patient.number = number;
    patient.id = numbered("SYN-", number, patients);
    patient.nameSuffix = numbered("PATIENT-", number, patients);

    // The order of draws is part of the cohort's definition: append, never reorder.
    SyntheticRandom random(seed, number, Stream::Latent);
    patient.female = random.bernoulli(0.5);
    patient.ageYears = 40 + static_cast<int>(random.below(45)); // 40..84
    patient.indexDate
        = { CivilDate::fromYmd(2023, 1, 1).days + static_cast<std::int64_t>(random.below(365)) };
    {
        // Born on the index date's month and day `ageYears` earlier, minus 0..364 days: exactly
        // `ageYears` completed years at the index date (2023 has no 29 February to fall on).
        int year = 0;
        unsigned month = 0;
        unsigned day = 0;
        patient.indexDate.toYmd(year, month, day);
        patient.birthDate = { CivilDate::fromYmd(year - patient.ageYears, month, day).days
            - static_cast<std::int64_t>(random.below(365)) };
    }

    patient.zSize = roundTo(std::clamp(random.standardNormal(), -2.0, 2.0), 1e4);
    patient.radiusMm = M::kRadiusCentreMm + M::kRadiusScaleMm * patient.zSize;
    patient.volumeMm3 = 4.0 / 3.0 * std::numbers::pi * patient.radiusMm * patient.radiusMm * patient.radiusMm;
    for (double &coordinate : patient.centreMm)
        coordinate = roundTo(random.uniform(-1.5, 1.5), 1e3);
    patient.zDensity = roundTo(std::clamp(random.standardNormal(), -3.0, 3.0), 1e4);
    patient.lesionMeanHu = roundTo(M::kLesionHuCentre + M::kLesionHuScale * patient.zDensity, 10.0);

    for (std::size_t site = 0; site < kVariantCount; ++site) {
        const double frequency = kVariantSites[site].alternateFrequency;
        patient.dosages[site] = (random.bernoulli(frequency) ? 1 : 0) + (random.bernoulli(frequency) ? 1 : 0);
    }

    const double zCreatinine = std::clamp(random.standardNormal(), -3.0, 3.0);
    const double zHba1c = std::clamp(random.standardNormal(), -3.0, 3.0);
    const double zSbp = std::clamp(random.standardNormal(), -3.0, 3.0);
    patient.creatinineMgDl = roundTo(M::kCreatinineCentre + M::kCreatinineScale * zCreatinine, 100.0);
    patient.hba1cPercent = roundTo(M::kHba1cCentre + M::kHba1cScale * zHba1c, 10.0);
    patient.sbpMmHg = roundTo(M::kSbpCentre + M::kSbpScale * zSbp, 1.0);
    for (int &days : patient.daysBeforeIndex)
        days = 1 + static_cast<int>(random.below(300));

    patient.logit = groundTruthLogit(
        patient.zSize, patient.dosages[kRiskSite], patient.creatinineMgDl, patient.hba1cPercent);
    // exp may differ in its last bit between maths libraries; an outcome could change only when the
    // uniform draw falls within about 1e-16 of the probability.
    patient.probability = 1.0 / (1.0 + std::exp(-patient.logit));
    patient.outcome = random.uniform() < patient.probability ? 1 : 0;

    SyntheticRandom missing(seed, number, Stream::Missingness);
    patient.hasImaging = !missing.bernoulli(missingImaging);
    patient.hasGenotypes = !missing.bernoulli(missingGenotypes);
    return patient;
}

} // namespace mosaic::synthetic
