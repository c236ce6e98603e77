// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/vcf_reader.h"

#include "core/input_file.h"

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>
#include <htslib/kseq.h>
#include <htslib/kstring.h>
#include <htslib/tbx.h>
#include <htslib/vcf.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <unistd.h>
#include <utility>

namespace mosaic {

namespace {

struct HtsFileCloser
{
    void operator()(htsFile *file) const { hts_close(file); }
};
struct HeaderDestroyer
{
    void operator()(bcf_hdr_t *header) const { bcf_hdr_destroy(header); }
};
struct RecordDestroyer
{
    void operator()(bcf1_t *record) const { bcf_destroy(record); }
};
struct TabixDestroyer
{
    void operator()(tbx_t *index) const { tbx_destroy(index); }
};
struct IndexDestroyer
{
    void operator()(hts_idx_t *index) const { hts_idx_destroy(index); }
};
struct IteratorDestroyer
{
    void operator()(hts_itr_t *iterator) const { hts_itr_destroy(iterator); }
};

// Warnings htslib tolerates and so do we: contigs and tags used without a header line.
constexpr int toleratedRecordErrors = BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF;

// htslib reads "file##idx##index" as "this file, with that index": a name holding the delimiter
// would let the file name choose an index, so it is refused.
constexpr std::string_view kIndexDelimiter = "##idx##";

// FNV-1a, 64 bits: a stable name for an input's index in the index directory (std::hash may change
// between library versions, and the name must survive restarts).
std::uint64_t fnv1a(std::string_view text)
{
    std::uint64_t hash = 14695981039346656037ull;
    for (const char c : text) {
        hash ^= static_cast<unsigned char>(c);
        hash *= 1099511628211ull;
    }
    return hash;
}

std::string hex(std::uint64_t value)
{
    static constexpr char digits[] = "0123456789abcdef";
    std::string text(16, '0');
    for (int i = 15; i >= 0; --i, value >>= 4)
        text[static_cast<std::size_t>(i)] = digits[value & 0xf];
    return text;
}

// Copies a VCF text line keeping only what the caller asked for, so vcf_parse does only that work.
//
// Why: htslib's vcf_parse encodes every column of a text record, and every FORMAT field of every
// sample, before the caller can ask for anything; that is most of the cost of reading a VCF (on a
// 5-million-record single-sample file, 4.7 s of a full read). htslib offers no way to parse part of a
// FORMAT column: bcf_hdr_set_samples drops samples, not fields, and BCF_UN_* / max_unpack only
// decide how far along the line parsing goes (all of FORMAT or none of it). Rather than write a
// second VCF parser, which would have to match htslib's rules for chromosomes, positions, alleles,
// genotype syntax, limits and errors, the line is cut down and handed to vcf_parse, which then
// applies exactly the rules it applies to the full line to the columns that remain:
// CHROM, POS, ID, REF and ALT unchanged; QUAL and FILTER replaced by "."; INFO kept only when
// `keepInfo` (INFO/END decides a record's extent in a region query), else "."; and FORMAT and each
// sample column reduced to the keys at `keptKeys`, in their order. A sample column that stops early
// (trailing fields dropped, as VCF allows) keeps the fields it has. A line with fewer than 8 columns
// is copied unchanged so htslib refuses it as it would.
class VcfLineReducer
{
public:
    VcfLineReducer(bool genotypes, bool dosages, bool keepInfo)
        : m_genotypes(genotypes)
        , m_dosages(dosages)
        , m_keepInfo(keepInfo)
    { }
    VcfLineReducer(const VcfLineReducer &) = delete;
    VcfLineReducer &operator=(const VcfLineReducer &) = delete;
    ~VcfLineReducer() { ks_free(&m_out); }

    // Returns the reduced line (owned by the reducer, valid until the next call), or nullptr when
    // htslib could not allocate.
    kstring_t *reduce(const kstring_t &line)
    {
        m_out.l = 0;
        const char *begin = line.s;
        const char *end = line.s + line.l;
        // Column boundaries of the first 9 columns (CHROM .. FORMAT).
        const char *columnEnd[9] = {};
        const char *cursor = begin;
        int columns = 0;
        while (columns < 9) {
            const char *tab = static_cast<const char *>(
                std::memchr(cursor, '\t', static_cast<std::size_t>(end - cursor)));
            columnEnd[columns++] = tab != nullptr ? tab : end;
            if (tab == nullptr)
                break;
            cursor = tab + 1;
        }
        if (columns < 8) {
            if (kputsn(begin, line.l, &m_out) < 0)
                return nullptr;
            return &m_out;
        }
        bool ok = kputsn(begin, static_cast<std::size_t>(columnEnd[4] - begin), &m_out) >= 0; // CHROM..ALT
        ok = ok && kputsn("\t.\t.\t", 5, &m_out) >= 0;
        if (m_keepInfo)
            ok = ok
                && kputsn(columnEnd[6] + 1, static_cast<std::size_t>(columnEnd[7] - columnEnd[6] - 1), &m_out)
                    >= 0;
        else
            ok = ok && kputc('.', &m_out) >= 0;
        if (!ok)
            return nullptr;
        if (columns < 9 || (!m_genotypes && !m_dosages))
            return &m_out;

        // FORMAT: which keys to keep.
        m_kept.clear();
        const char *formatBegin = columnEnd[7] + 1;
        const char *formatEnd = columnEnd[8];
        std::size_t keyIndex = 0;
        for (const char *key = formatBegin; key <= formatEnd; ++keyIndex) {
            const char *colon
                = static_cast<const char *>(std::memchr(key, ':', static_cast<std::size_t>(formatEnd - key)));
            const char *keyEnd = colon != nullptr ? colon : formatEnd;
            const std::string_view name(key, static_cast<std::size_t>(keyEnd - key));
            if ((m_genotypes && name == "GT") || (m_dosages && name == "DS"))
                m_kept.push_back(keyIndex);
            key = keyEnd + 1;
            if (colon == nullptr)
                break;
        }
        if (m_kept.empty())
            return &m_out; // neither GT nor DS: the record has no FORMAT fields the caller wants
        ok = appendKept(formatBegin, formatEnd);
        // Sample columns.
        cursor = formatEnd;
        while (ok && cursor < end) {
            const char *sampleBegin = cursor + 1;
            const char *tab = static_cast<const char *>(
                std::memchr(sampleBegin, '\t', static_cast<std::size_t>(end - sampleBegin)));
            const char *sampleEnd = tab != nullptr ? tab : end;
            ok = appendKept(sampleBegin, sampleEnd);
            cursor = sampleEnd;
        }
        return ok ? &m_out : nullptr;
    }

private:
    // Appends '\t' and the ':'-separated fields of [begin, end) whose index is in m_kept.
    bool appendKept(const char *begin, const char *end)
    {
        if (kputc('\t', &m_out) < 0)
            return false;
        std::size_t index = 0;
        std::size_t next = 0; // position in m_kept
        bool first = true;
        for (const char *field = begin; next < m_kept.size(); ++index) {
            const char *colon
                = static_cast<const char *>(std::memchr(field, ':', static_cast<std::size_t>(end - field)));
            const char *fieldEnd = colon != nullptr ? colon : end;
            if (index == m_kept[next]) {
                if (!first && kputc(':', &m_out) < 0)
                    return false;
                if (kputsn(field, static_cast<std::size_t>(fieldEnd - field), &m_out) < 0)
                    return false;
                first = false;
                ++next;
            }
            if (colon == nullptr)
                break;
            field = colon + 1;
        }
        return true;
    }

    bool m_genotypes;
    bool m_dosages;
    bool m_keepInfo;
    std::vector<std::size_t> m_kept;
    kstring_t m_out = KS_INITIALIZE;
};

// What the header says about the reference build: ##reference, ##assembly, and each ##contig's
// assembly= and length=.
struct BuildVotes
{
    std::size_t grch37 = 0;
    std::size_t grch38 = 0;
    std::vector<std::string> reasons;

    void add(GenomeBuild build, std::string reason)
    {
        if (build == GenomeBuild::GRCh37)
            ++grch37;
        else if (build == GenomeBuild::GRCh38)
            ++grch38;
        else
            return;
        if (std::find(reasons.begin(), reasons.end(), reason) == reasons.end())
            reasons.push_back(std::move(reason));
    }
};

std::pair<GenomeBuild, std::string> detectGenomeBuild(const bcf_hdr_t *header)
{
    BuildVotes votes;
    std::size_t lengths37 = 0;
    std::size_t lengths38 = 0;
    for (int i = 0; i < header->nhrec; ++i) {
        const bcf_hrec_t *hrec = header->hrec[i];
        if (hrec == nullptr || hrec->key == nullptr)
            continue;
        const std::string_view key = hrec->key;
        if (hrec->type == BCF_HL_GEN && hrec->value != nullptr && (key == "reference" || key == "assembly")) {
            const GenomeBuild build = genomeBuildFromAssemblyName(hrec->value);
            votes.add(build, "##" + std::string(key) + " names " + std::string(genomeBuildName(build)));
            continue;
        }
        if (hrec->type != BCF_HL_CTG)
            continue;
        std::string id;
        std::string length;
        for (int k = 0; k < hrec->nkeys; ++k) {
            if (hrec->keys[k] == nullptr || hrec->vals[k] == nullptr)
                continue;
            const std::string_view name = hrec->keys[k];
            if (name == "ID")
                id = hrec->vals[k];
            else if (name == "length")
                length = hrec->vals[k];
            else if (name == "assembly") {
                const GenomeBuild build = genomeBuildFromAssemblyName(hrec->vals[k]);
                votes.add(build, "##contig assembly= names " + std::string(genomeBuildName(build)));
            }
        }
        if (id.empty() || length.empty() || length.size() > 12)
            continue;
        char *parsedEnd = nullptr;
        const long long value = std::strtoll(length.c_str(), &parsedEnd, 10);
        if (parsedEnd == nullptr || *parsedEnd != '\0')
            continue;
        const GenomeBuild build = genomeBuildFromContigLength(normaliseChromosome(id), value);
        if (build == GenomeBuild::GRCh37)
            ++lengths37;
        if (build == GenomeBuild::GRCh38)
            ++lengths38;
        votes.add(build, "");
    }
    // The "" reason above only counts the vote; the lengths are described once, with their count.
    votes.reasons.erase(
        std::remove(votes.reasons.begin(), votes.reasons.end(), std::string()), votes.reasons.end());
    if (lengths37 > 0)
        votes.reasons.push_back(std::to_string(lengths37) + " ##contig lengths are GRCh37's");
    if (lengths38 > 0)
        votes.reasons.push_back(std::to_string(lengths38) + " ##contig lengths are GRCh38's");
    std::string evidence;
    for (const std::string &reason : votes.reasons)
        evidence += (evidence.empty() ? "" : "; ") + reason;
    if (votes.grch37 == 0 && votes.grch38 == 0)
        return { GenomeBuild::Unknown, "the header names no GRCh37 or GRCh38 reference or contig length" };
    if (votes.grch37 > 0 && votes.grch38 > 0)
        return { GenomeBuild::Unknown, "the header contradicts itself: " + evidence };
    return { votes.grch38 > 0 ? GenomeBuild::GRCh38 : GenomeBuild::GRCh37, evidence };
}

// Why htslib refused a header, in words a user can act on: htslib only says that it failed. The
// header is read again line by line (VCF text only; at most 64 MiB of it) to find the usual causes.
std::string diagnoseHeader(const std::filesystem::path &path, bool bcf)
{
    const std::string generic = "the header could not be read";
    if (bcf)
        return generic + " (htslib refused the BCF header)";
    std::unique_ptr<htsFile, HtsFileCloser> file(hts_open(path.string().c_str(), "r"));
    if (!file)
        return generic;
    kstring_t line = KS_INITIALIZE;
    std::size_t bytes = 0;
    std::size_t number = 0;
    std::string reason = generic;
    while (bytes < (std::size_t { 64 } << 20) && hts_getline(file.get(), KS_SEP_LINE, &line) >= 0) {
        ++number;
        bytes += line.l + 1;
        const std::string_view text(line.s, line.l);
        if (number == 1 && !text.starts_with("##fileformat=")) {
            reason = generic + ": the first line is not ##fileformat=...";
            break;
        }
        if (text.starts_with("#CHROM")) {
            if (text.find('\t') == std::string_view::npos)
                reason = generic + ": the #CHROM line (line " + std::to_string(number)
                    + ") is not tab-separated (spaces instead of tabs?)";
            else
                reason = generic + ": htslib refused a header line before line " + std::to_string(number + 1);
            break;
        }
        if (!text.starts_with("#")) {
            reason = generic + ": line " + std::to_string(number) + " holds data before any #CHROM line";
            break;
        }
    }
    ks_free(&line);
    return reason;
}

// The header's size, measured before htslib reads it (htslib reads a VCF header whole, and allocates
// a BCF header's stated length): the stated length of a BCF, or the bytes of a VCF's leading '#'
// lines, counted until they pass `limit`. nullopt when the file cannot be read that far (htslib's
// own header read then reports the damage).
std::optional<std::size_t> headerBytes(const std::filesystem::path &path, bool bcf, std::size_t limit)
{
    if (bcf) {
        BGZF *file = bgzf_open(path.string().c_str(), "r");
        if (file == nullptr)
            return std::nullopt;
        unsigned char start[9] = {};
        const ssize_t got = bgzf_read(file, start, sizeof start);
        bgzf_close(file);
        if (got != static_cast<ssize_t>(sizeof start))
            return std::nullopt;
        // "BCF", major, minor, then the header text's length, little-endian (BCF 2.2, section 6.2).
        return static_cast<std::size_t>(start[5]) | static_cast<std::size_t>(start[6]) << 8
            | static_cast<std::size_t>(start[7]) << 16 | static_cast<std::size_t>(start[8]) << 24;
    }
    std::unique_ptr<htsFile, HtsFileCloser> file(hts_open(path.string().c_str(), "r"));
    if (!file)
        return std::nullopt;
    kstring_t line = KS_INITIALIZE;
    std::size_t bytes = 0;
    while (bytes <= limit && hts_getline(file.get(), KS_SEP_LINE, &line) >= 0) {
        if (line.l == 0 || line.s[0] != '#')
            break;
        bytes += line.l + 1;
        if (line.l >= 6 && std::memcmp(line.s, "#CHROM", 6) == 0)
            break;
    }
    ks_free(&line);
    return bytes;
}

} // namespace

std::string normaliseChromosome(std::string_view name)
{
    if (name.size() > 3 && name.substr(0, 3) == "chr")
        name.remove_prefix(3);
    if (name == "M" || name == "MT")
        return "MT";
    return std::string(name);
}

struct VcfReader::State
{
    std::string fileName; // file name only, for error locations
    VcfReadOptions options;
    std::unique_ptr<htsFile, HtsFileCloser> file;
    std::unique_ptr<bcf_hdr_t, HeaderDestroyer> header;
    std::unique_ptr<bcf1_t, RecordDestroyer> record;
    std::size_t recordNumber = 0;
    bool finished = false;
    bool bcf = false;
    bool bgzipped = false;
    std::string_view compression = "none";
    std::string formatVersion;
    GenomeBuild build = GenomeBuild::Unknown;
    std::string buildEvidence;
    std::vector<std::string> contigs;
    // Normalised chromosome names by htslib's contig id, filled as records name them, so a record
    // costs no renaming (undeclared contigs get ids as they appear, hence filled lazily).
    std::vector<std::optional<std::string>> chromosomeById;
    std::size_t undeclaredContigRecords = 0;
    std::size_t undeclaredTagRecords = 0;

    // VCF text: the current line and its reduction (when not every column is parsed).
    kstring_t line = KS_INITIALIZE;
    std::unique_ptr<VcfLineReducer> reducer;

    // Region query.
    std::string regionChromosome; // normalised
    hts_pos_t regionBegin = 0; // 0-based, inclusive
    hts_pos_t regionEnd = 0; // 0-based, exclusive
    std::string_view regionAccess = "none";
    std::unique_ptr<tbx_t, TabixDestroyer> tabix; // Mosaic's own index of a bgzipped VCF
    std::unique_ptr<hts_idx_t, IndexDestroyer> bcfIndex; // Mosaic's own index of a BCF
    std::unique_ptr<hts_itr_t, IteratorDestroyer> iterator;
    // Streaming filter: the last CHROM text seen and whether it is the region's chromosome.
    std::string lastChromosomeText;
    bool lastChromosomeMatches = false;

    int genotypeId = -1; // header ids of GT and DS, -1 until the header has them
    int dosageId = -1;
    float *dosages = nullptr;
    int dosageCapacity = 0;

    State() = default;
    State(const State &) = delete;
    State &operator=(const State &) = delete;
    ~State()
    {
        std::free(dosages);
        ks_free(&line);
    }

    // The record's FORMAT field `key`, or nullptr when the record or the header lacks it (as
    // bcf_get_format_values' -1 and -3). An id missing at first is looked up again: htslib adds the
    // keys of an undeclared FORMAT field to the header when it meets them.
    const bcf_fmt_t *formatField(bcf1_t *rec, const char *key, int &id)
    {
        const bcf_hdr_t *hdr = header.get();
        if (id < 0)
            id = bcf_hdr_id2int(hdr, BCF_DT_ID, key);
        if (id < 0 || !bcf_hdr_idinfo_exists(hdr, BCF_HL_FMT, id))
            return nullptr;
        if ((rec->unpacked & BCF_UN_FMT) == 0 && bcf_unpack(rec, BCF_UN_FMT) < 0)
            return nullptr;
        const bcf_fmt_t *field = bcf_get_fmt_id(rec, id);
        return field != nullptr && field->p != nullptr ? field : nullptr;
    }

    bool hasRegion() const { return options.region.has_value(); }
    std::string recordLocation() const
    {
        return fileName + ", record " + std::to_string(recordNumber) + (hasRegion() ? " of the region" : "");
    }
    std::string variantLocation(const VariantRecord &variant) const
    {
        return recordLocation() + " (" + variant.chromosome + ":" + std::to_string(variant.position) + ")";
    }
    bool chromosomeTextMatches(std::string_view text)
    {
        if (text != lastChromosomeText) {
            lastChromosomeText.assign(text);
            lastChromosomeMatches = normaliseChromosome(text) == regionChromosome;
        }
        return lastChromosomeMatches;
    }
};

VcfReader::VcfReader(std::unique_ptr<State> state)
    : state_(std::move(state))
{ }
VcfReader::VcfReader(VcfReader &&) noexcept = default;
VcfReader &VcfReader::operator=(VcfReader &&) noexcept = default;
VcfReader::~VcfReader() = default;

Result<VcfReader> VcfReader::open(const std::filesystem::path &path, const VcfLimits &limits)
{
    VcfReadOptions options;
    options.limits = limits;
    return open(path, options);
}

namespace {

// Mosaic's own index of `path` in `directory`, built there unless a previous build for the same
// path, size and modification time is present. Returns the index path, or an empty path when the
// file cannot be indexed (not BGZF, unsorted, damaged): the caller then streams and filters.
std::filesystem::path ownIndex(
    const std::filesystem::path &path, const std::filesystem::path &directory, bool bcf)
{
    std::error_code ec;
    const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        return {};
    const auto modified = std::filesystem::last_write_time(path, ec);
    if (ec)
        return {};
    const auto ticks = modified.time_since_epoch().count();
    const std::string key
        = hex(fnv1a(absolute.string())) + "-" + std::to_string(size) + "-" + std::to_string(ticks);
    const std::filesystem::path index = directory / (key + (bcf ? ".csi" : ".tbi"));
    if (std::filesystem::is_regular_file(index, ec))
        return index;
    std::filesystem::create_directories(directory, ec);
    if (ec)
        return {};
    // Built under a temporary name and renamed, so a reader never sees half an index.
    const std::filesystem::path partial
        = directory / (key + ".partial-" + std::to_string(static_cast<long long>(::getpid())));
    const int status = bcf
        ? bcf_index_build3(path.string().c_str(), partial.string().c_str(), 14, 0)
        : tbx_index_build3(path.string().c_str(), partial.string().c_str(), 0, 0, &tbx_conf_vcf);
    if (status != 0) {
        std::filesystem::remove(partial, ec);
        return {};
    }
    std::filesystem::rename(partial, index, ec);
    if (ec) {
        std::filesystem::remove(partial, ec);
        return {};
    }
    return index;
}

} // namespace

Result<VcfReader> VcfReader::open(const std::filesystem::path &path, const VcfReadOptions &options)
{
    // htslib's own log goes to stderr and quotes header lines, sample names included; Mosaic reports
    // through Error values instead, so htslib is silenced (its log level is process-wide, and only
    // this folder uses htslib).
    hts_set_log_level(HTS_LOG_OFF);
    auto state = std::make_unique<State>();
    state->fileName = path.filename().string();
    state->options = options;
    const VcfLimits &limits = options.limits;
    const std::string &name = state->fileName;

    if (auto usable = checkInputFile(path, "VCF or BCF", ErrorCode::Unsupported); !usable)
        return std::unexpected(usable.error());
    if (path.string().find(kIndexDelimiter) != std::string::npos)
        return fail(ErrorCode::Unsupported,
            "the path contains \"##idx##\", which htslib reads as an index name", name);
    if (options.region) {
        const VcfRegion &region = *options.region;
        if (region.chromosome.empty() || region.begin < 1 || region.end < region.begin)
            return fail(ErrorCode::InvalidArgument,
                "the region must name a chromosome and 1 <= begin <= end (got " + region.chromosome + ":"
                    + std::to_string(region.begin) + "-" + std::to_string(region.end) + ")",
                name);
        state->regionChromosome = normaliseChromosome(region.chromosome);
        state->regionBegin = static_cast<hts_pos_t>(region.begin - 1);
        state->regionEnd = static_cast<hts_pos_t>(std::min<std::int64_t>(region.end, HTS_POS_MAX - 1));
    }

    // The format is detected from the first bytes before hts_open, which would go on to parse the
    // headers of alignment files (a damaged CRAM then reads as "could not open" rather than as what it
    // is): SAM, BAM and CRAM are refused by name here.
    auto refuseFormat = [&](const htsFormat &detected) {
        std::string what = "not VCF or BCF";
        if (detected.format != unknown_format) {
            char *description = hts_format_description(&detected);
            if (description != nullptr) {
                what += " but " + std::string(description);
                std::free(description);
            }
        }
        return fail(ErrorCode::Unsupported, what, name);
    };
    {
        hFILE *raw = hopen(path.string().c_str(), "r");
        if (raw == nullptr)
            return fail(ErrorCode::NotFound, "the file could not be opened for reading", name);
        htsFormat detected {};
        const int status = hts_detect_format(raw, &detected);
        hclose_abruptly(raw);
        if (status < 0)
            return fail(ErrorCode::Malformed, "the first bytes could not be read", name);
        if (detected.category != variant_data || (detected.format != vcf && detected.format != bcf))
            return refuseFormat(detected);
    }

    state->file.reset(hts_open(path.string().c_str(), "r"));
    if (!state->file)
        return fail(ErrorCode::Malformed, "htslib could not open the file", name);
    const htsFormat *format = hts_get_format(state->file.get());
    if (format == nullptr || format->category != variant_data
        || (format->format != vcf && format->format != bcf))
        return refuseFormat(format != nullptr ? *format : htsFormat {});
    state->bcf = format->format == bcf;
    state->bgzipped = format->compression == bgzf;
    if (format->compression == bgzf)
        state->compression = "bgzip";
    else if (format->compression != no_compression)
        state->compression = "gzip (not bgzip)";
    // BGZF blocks inflate independently, so htslib can decompress ahead on its own threads while this
    // one parses. Not for region queries (the iterator seeks) or plain text.
    if (options.decompressionThreads > 0 && state->bgzipped && !options.region)
        hts_set_threads(state->file.get(), options.decompressionThreads);

    if (const auto bytes = headerBytes(path, state->bcf, limits.maxHeaderBytes);
        bytes && *bytes > limits.maxHeaderBytes)
        return fail(ErrorCode::LimitExceeded,
            "the header " + std::string(state->bcf ? "states " : "has more than ")
                + std::to_string(state->bcf ? *bytes : limits.maxHeaderBytes)
                + " bytes, more than the limit of " + std::to_string(limits.maxHeaderBytes),
            name + ", header");
    state->header.reset(bcf_hdr_read(state->file.get()));
    if (!state->header)
        return fail(ErrorCode::Malformed, diagnoseHeader(path, state->bcf), name + ", header");
    bcf_hdr_t *header = state->header.get();
    const int samples = bcf_hdr_nsamples(header);
    if (samples < 0)
        return fail(ErrorCode::Malformed, "negative sample count", name + ", header");
    if (static_cast<std::size_t>(samples) > limits.maxSamples)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(samples) + " samples, more than the limit of " + std::to_string(limits.maxSamples),
            name + ", header");
    state->record.reset(bcf_init());
    if (!state->record)
        return fail(ErrorCode::Malformed, "htslib could not allocate a record", name);

    const char *version = bcf_hdr_get_version(header);
    state->formatVersion = version != nullptr ? version : "";
    if (state->bcf)
        state->formatVersion = "BCF " + std::to_string(format->version.major) + "."
            + std::to_string(format->version.minor)
            + (state->formatVersion.empty() ? "" : " (" + state->formatVersion + ")");
    std::tie(state->build, state->buildEvidence) = detectGenomeBuild(header);
    int contigCount = 0;
    const char **contigNames = bcf_hdr_seqnames(header, &contigCount);
    for (int i = 0; i < contigCount; ++i)
        state->contigs.emplace_back(contigNames[i]);
    std::free(static_cast<void *>(contigNames));

    const VcfFields &fields = options.fields;
    if (!state->bcf && !fields.checkWholeRecord)
        state->reducer
            = std::make_unique<VcfLineReducer>(fields.genotypes, fields.dosages, options.region.has_value());

    if (options.region) {
        state->regionAccess = "streamed and filtered";
        if (state->bgzipped && !options.indexDirectory.empty()) {
            const std::filesystem::path index = ownIndex(path, options.indexDirectory, state->bcf);
            if (!index.empty()) {
                // Mosaic's own index, loaded by its exact path (never derived from the input's name).
                const std::string indexPath = index.string();
                std::string contig; // the name the index uses for the region's chromosome
                if (state->bcf) {
                    state->bcfIndex.reset(
                        bcf_index_load3(path.string().c_str(), indexPath.c_str(), HTS_IDX_SILENT_FAIL));
                    if (state->bcfIndex) {
                        int n = 0;
                        const char **names = bcf_index_seqnames(state->bcfIndex.get(), header, &n);
                        for (int i = 0; i < n && contig.empty(); ++i)
                            if (normaliseChromosome(names[i]) == state->regionChromosome)
                                contig = names[i];
                        std::free(static_cast<void *>(names));
                        state->regionAccess = "Mosaic's own index";
                        const int tid = contig.empty() ? -1 : bcf_hdr_name2id(header, contig.c_str());
                        if (tid < 0)
                            state->finished = true; // the file has no record on that chromosome
                        else
                            state->iterator.reset(bcf_itr_queryi(
                                state->bcfIndex.get(), tid, state->regionBegin, state->regionEnd));
                    }
                } else {
                    state->tabix.reset(
                        tbx_index_load3(path.string().c_str(), indexPath.c_str(), HTS_IDX_SILENT_FAIL));
                    if (state->tabix) {
                        int n = 0;
                        const char **names = tbx_seqnames(state->tabix.get(), &n);
                        for (int i = 0; i < n && contig.empty(); ++i)
                            if (normaliseChromosome(names[i]) == state->regionChromosome)
                                contig = names[i];
                        std::free(static_cast<void *>(names));
                        state->regionAccess = "Mosaic's own index";
                        const int tid = contig.empty() ? -1 : tbx_name2id(state->tabix.get(), contig.c_str());
                        if (tid < 0)
                            state->finished = true;
                        else
                            state->iterator.reset(tbx_itr_queryi(
                                state->tabix.get(), tid, state->regionBegin, state->regionEnd));
                    }
                }
                if (state->regionAccess == "Mosaic's own index" && !state->finished && !state->iterator)
                    return fail(
                        ErrorCode::Malformed, "htslib could not query Mosaic's own index of the file", name);
            }
        }
    }
    return VcfReader(std::move(state));
}

std::size_t VcfReader::sampleCount() const
{
    return static_cast<std::size_t>(bcf_hdr_nsamples(state_->header.get()));
}

std::optional<std::size_t> VcfReader::sampleIndex(std::string_view name) const
{
    const std::string key(name);
    const int index = bcf_hdr_id2int(state_->header.get(), BCF_DT_SAMPLE, key.c_str());
    if (index < 0)
        return std::nullopt;
    return static_cast<std::size_t>(index);
}

bool VcfReader::isBcf() const
{
    return state_->bcf;
}

bool VcfReader::isBgzipped() const
{
    return state_->bgzipped;
}

std::string_view VcfReader::compression() const
{
    return state_->compression;
}

std::string VcfReader::formatVersion() const
{
    return state_->formatVersion;
}

GenomeBuild VcfReader::genomeBuild() const
{
    return state_->build;
}

const std::string &VcfReader::genomeBuildEvidence() const
{
    return state_->buildEvidence;
}

std::vector<std::string> VcfReader::contigs() const
{
    return state_->contigs;
}

bool VcfReader::declaresFormat(std::string_view key) const
{
    const std::string text(key);
    const bcf_hdr_t *header = state_->header.get();
    const int id = bcf_hdr_id2int(header, BCF_DT_ID, text.c_str());
    return id >= 0 && bcf_hdr_idinfo_exists(header, BCF_HL_FMT, id);
}

std::string_view VcfReader::regionAccess() const
{
    return state_->regionAccess;
}

std::size_t VcfReader::recordsWithUndeclaredContig() const
{
    return state_->undeclaredContigRecords;
}

std::size_t VcfReader::recordsWithUndeclaredTag() const
{
    return state_->undeclaredTagRecords;
}

Result<bool> VcfReader::next(VcfRow &row)
{
    State &s = *state_;
    bcf1_t *rec = s.record.get();
    bcf_hdr_t *hdr = s.header.get();
    const VcfFields &fields = s.options.fields;
    const VcfLimits &limits = s.options.limits;

    // Reads records until one is in the region (every record is, without a region).
    while (true) {
        if (s.finished)
            return false;
        ++s.recordNumber;
        int status = 0;
        if (s.bcf) {
            status = s.iterator ? bcf_itr_next(s.file.get(), s.iterator.get(), rec)
                                : bcf_read(s.file.get(), hdr, rec);
        } else {
            status = s.iterator ? tbx_itr_next(s.file.get(), s.tabix.get(), s.iterator.get(), &s.line)
                                : hts_getline(s.file.get(), KS_SEP_LINE, &s.line);
            if (status >= 0) {
                if (s.line.l > limits.maxRecordBytes) {
                    s.finished = true;
                    return fail(ErrorCode::LimitExceeded,
                        "a line of " + std::to_string(s.line.l) + " bytes, more than the limit of "
                            + std::to_string(limits.maxRecordBytes),
                        s.recordLocation());
                }
                // Streaming a region: a record on another chromosome is skipped before it is parsed.
                if (s.hasRegion() && !s.iterator) {
                    const char *tab = static_cast<const char *>(std::memchr(s.line.s, '\t', s.line.l));
                    if (tab != nullptr
                        && !s.chromosomeTextMatches(
                            std::string_view(s.line.s, static_cast<std::size_t>(tab - s.line.s))))
                        continue;
                }
                kstring_t *text = &s.line;
                if (s.reducer) {
                    text = s.reducer->reduce(s.line);
                    if (text == nullptr) {
                        s.finished = true;
                        return fail(ErrorCode::LimitExceeded, "out of memory while reading the record",
                            s.recordLocation());
                    }
                }
                if (vcf_parse(text, hdr, rec) != 0) {
                    s.finished = true;
                    return fail(ErrorCode::Malformed,
                        "htslib could not parse the record"
                            + (rec->errcode != 0 ? " (error code " + std::to_string(rec->errcode) + ")"
                                                 : std::string()),
                        s.recordLocation());
                }
            }
        }
        if (status == -1) {
            s.finished = true;
            return false;
        }
        if (status < -1) {
            s.finished = true;
            return fail(ErrorCode::Malformed,
                "htslib could not read the record (truncated or malformed file)", s.recordLocation());
        }
        if ((rec->errcode & ~toleratedRecordErrors) != 0) {
            s.finished = true;
            return fail(ErrorCode::Malformed,
                "htslib reported a malformed record (error code " + std::to_string(rec->errcode) + ")",
                s.recordLocation());
        }
        if ((rec->errcode & BCF_ERR_CTG_UNDEF) != 0)
            ++s.undeclaredContigRecords;
        if ((rec->errcode & BCF_ERR_TAG_UNDEF) != 0)
            ++s.undeclaredTagRecords;
        const std::size_t recordBytes = static_cast<std::size_t>(rec->shared.l) + rec->indiv.l;
        if (recordBytes > limits.maxRecordBytes) {
            s.finished = true;
            return fail(ErrorCode::LimitExceeded,
                std::to_string(recordBytes) + " bytes, more than the limit of "
                    + std::to_string(limits.maxRecordBytes),
                s.recordLocation());
        }
        if (rec->n_allele == 0 || rec->n_allele > limits.maxAllelesPerRecord) {
            s.finished = true;
            if (rec->n_allele == 0)
                return fail(ErrorCode::Malformed, "the record has no reference allele", s.recordLocation());
            return fail(ErrorCode::LimitExceeded,
                std::to_string(rec->n_allele) + " alleles, more than the limit of "
                    + std::to_string(limits.maxAllelesPerRecord),
                s.recordLocation());
        }
        if (bcf_unpack(rec, fields.checkWholeRecord ? BCF_UN_ALL : BCF_UN_STR) < 0) {
            s.finished = true;
            return fail(ErrorCode::Malformed, "htslib could not unpack the record", s.recordLocation());
        }
        if (s.hasRegion() && !s.iterator) {
            const char *contig = bcf_seqname(hdr, rec);
            if (contig == nullptr || !s.chromosomeTextMatches(contig) || rec->pos >= s.regionEnd
                || rec->pos + std::max<hts_pos_t>(rec->rlen, 1) <= s.regionBegin)
                continue;
        }
        break;
    }

    // The row's storage is reused: its strings and per-sample vectors keep their capacity, so a scan
    // of many samples does not allocate per sample and record.
    const char *contig = bcf_seqname(hdr, rec);
    if (contig == nullptr) {
        s.finished = true;
        return fail(ErrorCode::Malformed, "the chromosome is not declared", s.recordLocation());
    }
    if (rec->rid >= 0 && static_cast<std::size_t>(rec->rid) < (std::size_t { 1 } << 24)) {
        const auto id = static_cast<std::size_t>(rec->rid);
        if (id >= s.chromosomeById.size())
            s.chromosomeById.resize(id + 1);
        if (!s.chromosomeById[id])
            s.chromosomeById[id] = normaliseChromosome(contig);
        row.variant.chromosome = *s.chromosomeById[id];
    } else {
        row.variant.chromosome = normaliseChromosome(contig);
    }
    row.variant.position = static_cast<std::int64_t>(rec->pos) + 1;
    row.variant.id = rec->d.id != nullptr ? rec->d.id : ".";
    row.variant.reference = rec->d.allele[0];
    row.variant.alternates.resize(rec->n_allele - 1u);
    for (unsigned i = 1; i < rec->n_allele; ++i)
        row.variant.alternates[i - 1] = rec->d.allele[i];

    const std::size_t samples = sampleCount();
    if (samples == 0 || (!fields.genotypes && !fields.dosages)) {
        row.calls.clear();
        return true;
    }
    row.calls.resize(samples);
    for (GenotypeCall &call : row.calls) {
        call.alleles.clear();
        call.phased = false;
        call.dosage.reset();
    }

    // GT and DS are found by their header ids (looked up once, not hashed per record) and their
    // storage type is checked before anything decodes them: htslib 1.16's bcf_get_format_values ends
    // the process (exit(1)) on a field stored untyped, as text, or as anything but integers or
    // floats. A FORMAT column with an empty key before an undeclared GT does it (found by
    // fuzz_vcf_reader; tests/fuzz/regressions/vcf_gt_untyped_after_empty_format_key.vcf), and so
    // can a crafted BCF.
    const bcf_fmt_t *genotypeField = fields.genotypes ? s.formatField(rec, "GT", s.genotypeId) : nullptr;
    const bcf_fmt_t *dosageField = fields.dosages ? s.formatField(rec, "DS", s.dosageId) : nullptr;
    for (const bcf_fmt_t *field : { genotypeField, dosageField }) {
        if (field == nullptr)
            continue;
        const bool genotype = field == genotypeField;
        const bool integers
            = field->type == BCF_BT_INT8 || field->type == BCF_BT_INT16 || field->type == BCF_BT_INT32;
        if (!integers && (genotype || field->type != BCF_BT_FLOAT)) {
            s.finished = true;
            return fail(ErrorCode::Malformed,
                std::string("FORMAT/") + (genotype ? "GT" : "DS") + " is stored as "
                    + (field->type == BCF_BT_CHAR        ? "text"
                            : field->type == BCF_BT_NULL ? "no type (null)"
                                                         : "type " + std::to_string(field->type))
                    + ", not as " + (genotype ? "allele numbers" : "numbers") + " (check its ##FORMAT line)",
                s.variantLocation(row.variant));
        }
    }
    if ((genotypeField != nullptr || dosageField != nullptr) && rec->n_sample != samples) {
        s.finished = true;
        return fail(ErrorCode::Malformed,
            "the record has " + std::to_string(rec->n_sample) + " samples where the header has "
                + std::to_string(samples),
            s.variantLocation(row.variant));
    }
    // GT decoded in place, as bcf_get_genotypes would decode it (each stored value widened to 32
    // bits, with the narrower types' missing and end-of-vector markers mapped to the 32-bit ones),
    // without its per-record tag lookup and copy.
    if (genotypeField != nullptr && genotypeField->n > 0) {
        const auto ploidy = static_cast<std::size_t>(genotypeField->n);
        for (std::size_t sample = 0; sample < samples; ++sample) {
            GenotypeCall &call = row.calls[sample];
            const uint8_t *stored = genotypeField->p + sample * static_cast<std::size_t>(genotypeField->size);
            bool allPhased = true;
            call.alleles.reserve(ploidy);
            for (std::size_t k = 0; k < ploidy; ++k) {
                int32_t value = 0;
                if (genotypeField->type == BCF_BT_INT8) {
                    const auto raw = static_cast<int8_t>(stored[k]);
                    value = raw == bcf_int8_vector_end ? bcf_int32_vector_end
                        : raw == bcf_int8_missing      ? bcf_int32_missing
                                                       : raw;
                } else if (genotypeField->type == BCF_BT_INT16) {
                    int16_t raw = 0;
                    std::memcpy(&raw, stored + 2 * k, sizeof raw);
                    value = raw == bcf_int16_vector_end ? bcf_int32_vector_end
                        : raw == bcf_int16_missing      ? bcf_int32_missing
                                                        : raw;
                } else {
                    std::memcpy(&value, stored + 4 * k, sizeof value);
                }
                if (value == bcf_int32_vector_end)
                    break;
                if (k > 0 && !bcf_gt_is_phased(value))
                    allPhased = false;
                if (bcf_gt_is_missing(value)) {
                    call.alleles.push_back(-1);
                    continue;
                }
                const int allele = bcf_gt_allele(value);
                if (allele < 0 || static_cast<unsigned>(allele) >= rec->n_allele) {
                    s.finished = true;
                    return fail(ErrorCode::Malformed,
                        "sample " + std::to_string(sample + 1) + " calls allele " + std::to_string(allele)
                            + " of " + std::to_string(rec->n_allele),
                        s.variantLocation(row.variant));
                }
                call.alleles.push_back(allele);
            }
            call.phased = call.alleles.size() > 1 && allPhased;
        }
    }

    if (!fields.dosages || dosageField == nullptr)
        return true;
    const int dosageCount = bcf_get_format_float(hdr, rec, "DS", &s.dosages, &s.dosageCapacity);
    if (dosageCount > 0 && dosageCount % static_cast<int>(samples) == 0) {
        const std::size_t perSample = static_cast<std::size_t>(dosageCount) / samples;
        for (std::size_t sample = 0; sample < samples; ++sample) {
            const float value = s.dosages[sample * perSample];
            if (!bcf_float_is_missing(value) && !bcf_float_is_vector_end(value))
                row.calls[sample].dosage = static_cast<double>(value);
        }
    }
    return true;
}

Result<std::optional<VcfRow>> VcfReader::next()
{
    VcfRow row;
    auto read = next(row);
    if (!read)
        return std::unexpected(read.error());
    if (!*read)
        return std::optional<VcfRow> {};
    return std::optional<VcfRow>(std::move(row));
}

} // namespace mosaic
