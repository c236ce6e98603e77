// SPDX-License-Identifier: Apache-2.0
// VCF (plain or bgzipped) and BCF files streamed through htslib into Mosaic's own types. The file is
// opened with hts_open and read record by record; an index that arrives with it is never loaded (a
// region query builds Mosaic's own index in a directory the caller names, or streams and filters).
// Sample count, alleles per record and record size are checked against VcfLimits before Mosaic
// allocates for them. Errors name the file and the record number or chromosome:position, never a
// sample name.
#pragma once

#include "core/error.h"
#include "core/genomics/genome_build.h"

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
    // The header text (all ## lines and #CHROM), checked before htslib reads it: htslib keeps the
    // whole header in memory, and a BCF states its length, which htslib allocates as stated.
    std::size_t maxHeaderBytes = 64u * 1024u * 1024u;
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

// What the caller needs from each record. CHROM, POS, ID, REF and ALT are always read.
struct VcfFields
{
    bool genotypes = true; // FORMAT/GT into GenotypeCall::alleles and phased
    bool dosages = true; // FORMAT/DS into GenotypeCall::dosage
    // true: htslib parses and checks every column of every record (QUAL, FILTER, INFO and every FORMAT
    // field), as bcftools does, so damage anywhere in a record is reported. false: only the columns
    // asked for are parsed, which is what makes a CHROM/POS/REF/ALT/GT scan fast; damage in the other
    // columns of a VCF text record then goes unnoticed.
    bool checkWholeRecord = true;
};

// A stretch of one chromosome, 1-based and inclusive. A record belongs to it when the bases it covers
// (POS to POS + length of REF - 1, or to INFO/END) overlap it, as with `bcftools view -r`.
struct VcfRegion
{
    std::string chromosome; // "chr22" and "22" name the same chromosome
    std::int64_t begin = 1;
    std::int64_t end = std::int64_t { 1 } << 40; // past every chromosome
};

struct VcfReadOptions
{
    VcfLimits limits;
    VcfFields fields;
    std::optional<VcfRegion> region; // every record when absent
    // Where Mosaic may write its own index of a bgzipped VCF or a BCF for a region query (e.g. the
    // workspace cache); one index per input, named by the input's path, size and modification time.
    // Empty: the file is streamed and filtered, which is also what happens when it is not bgzipped or
    // cannot be indexed (e.g. unsorted). An index file beside the input is never read.
    std::filesystem::path indexDirectory;
    // Threads that decompress a bgzipped file ahead of the reader (0: none, the calling thread
    // decompresses). Worth 1 for a whole-genome scan on a workstation; the records come in order.
    int decompressionThreads = 0;
};

class VcfReader
{
public:
    [[nodiscard]] static Result<VcfReader> open(
        const std::filesystem::path &path, const VcfLimits &limits = {});
    [[nodiscard]] static Result<VcfReader> open(
        const std::filesystem::path &path, const VcfReadOptions &options);

    VcfReader(VcfReader &&) noexcept;
    VcfReader &operator=(VcfReader &&) noexcept;
    VcfReader(const VcfReader &) = delete;
    VcfReader &operator=(const VcfReader &) = delete;
    ~VcfReader();

    [[nodiscard]] std::size_t sampleCount() const;
    [[nodiscard]] std::optional<std::size_t> sampleIndex(std::string_view name) const;
    [[nodiscard]] bool isBcf() const;
    [[nodiscard]] bool isBgzipped() const; // BGZF blocks (bgzipped VCF, or BCF as usually written)
    [[nodiscard]] std::string_view compression() const; // "bgzip", "gzip (not bgzip)" or "none"
    [[nodiscard]] std::string formatVersion() const; // "VCFv4.2" from ##fileformat, or "BCF 2.2"
    // GRCh37 or GRCh38 when the header says so (##reference, ##assembly, ##contig assembly= or
    // lengths), Unknown when it says nothing or contradicts itself; genomeBuildEvidence() says why.
    [[nodiscard]] GenomeBuild genomeBuild() const;
    [[nodiscard]] const std::string &genomeBuildEvidence() const;
    [[nodiscard]] std::vector<std::string> contigs() const; // declared in the header, as written
    [[nodiscard]] bool declaresFormat(std::string_view key) const; // a ##FORMAT line for e.g. "GT"
    // How a region query is answered: "none", "Mosaic's own index", or "streamed and filtered".
    [[nodiscard]] std::string_view regionAccess() const;
    // Records read so far that htslib tolerated although the header does not declare their
    // chromosome, or an INFO/FORMAT key they use.
    [[nodiscard]] std::size_t recordsWithUndeclaredContig() const;
    [[nodiscard]] std::size_t recordsWithUndeclaredTag() const;

    // The next record (in the region, when one was asked for), or std::nullopt at the end of the file.
    // After an error the reader stays at the end: further calls return std::nullopt. `calls` holds
    // one entry per sample when genotypes or dosages are asked for, none otherwise.
    [[nodiscard]] Result<std::optional<VcfRow>> next();
    // The same into `row`, reusing its storage (the fast way to scan many records and samples):
    // true when a record was read, false at the end of the file.
    [[nodiscard]] Result<bool> next(VcfRow &row);

private:
    struct State;
    explicit VcfReader(std::unique_ptr<State> state);
    std::unique_ptr<State> state_;
};

} // namespace mosaic
