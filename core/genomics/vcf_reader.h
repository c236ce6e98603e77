// SPDX-License-Identifier: Apache-2.0
// VCF (plain or bgzipped) and BCF files streamed through htslib into Mosaic's own types. The file is
// opened with hts_open and read record by record; an index that arrives with it is never loaded.
// Sample count, alleles per record and record size are checked against VcfLimits before Mosaic
// allocates for them. Errors name the file and the record number or chromosome:position, never a
// sample name.
#pragma once

#include "core/error.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

struct VcfLimits
{
    std::size_t maxSamples = 1'000'000;
    std::size_t maxAllelesPerRecord = 256; // reference plus alternates
    std::size_t maxRecordBytes = 256u * 1024u * 1024u; // htslib's decoded record, all samples
};

struct VariantRecord
{
    std::string chromosome; // normalised: "chr" prefix removed, "chrM", "M" and "MT" become "MT"
    std::int64_t position = 0; // 1-based
    std::string id; // "." when absent
    std::string reference;
    std::vector<std::string> alternates; // empty when ALT is "."
};

struct GenotypeCall
{
    std::vector<int> alleles; // allele indices, 0 = reference; -1 = missing
    bool phased = false; // every separator is '|' (a haploid call is not phased)
    std::optional<double> dosage; // FORMAT/DS, first value, when present and not missing
};

struct VcfRow
{
    VariantRecord variant;
    std::vector<GenotypeCall> calls; // one per sample, in header order
};

// "chr22" -> "22", "chrM" / "M" -> "MT", "X" -> "X".
[[nodiscard]] std::string normaliseChromosome(std::string_view name);

class VcfReader
{
public:
    [[nodiscard]] static Result<VcfReader> open(
        const std::filesystem::path &path, const VcfLimits &limits = {});

    VcfReader(VcfReader &&) noexcept;
    VcfReader &operator=(VcfReader &&) noexcept;
    VcfReader(const VcfReader &) = delete;
    VcfReader &operator=(const VcfReader &) = delete;
    ~VcfReader();

    [[nodiscard]] std::size_t sampleCount() const;
    [[nodiscard]] std::optional<std::size_t> sampleIndex(std::string_view name) const;
    [[nodiscard]] bool isBcf() const;

    // The next record, or std::nullopt at the end of the file. After an error the reader stays at
    // the end: further calls return std::nullopt.
    [[nodiscard]] Result<std::optional<VcfRow>> next();

private:
    struct State;
    explicit VcfReader(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

} // namespace mosaic
