// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/consumer_genotype_file.h"

#include "core/input_file.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <set>
#include <system_error>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <zlib.h>

namespace mosaic {

namespace {

constexpr std::size_t kSniffBytes = 64 * 1024;
constexpr std::int64_t kMaxPosition = 2'147'483'647; // VCF/BCF positions are 32-bit
constexpr std::size_t kMaxIdBytes = 64;

// The chromosomes both formats can name, in the order counts are reported.
constexpr std::array<std::string_view, 25> kChromosomes { "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "X", "Y", "MT" };
constexpr std::size_t kChromosomeX = 22;
constexpr std::size_t kChromosomeY = 23;
constexpr std::size_t kChromosomeMT = 24;

struct GzCloser
{
    void operator()(gzFile file) const
    {
        if (file != nullptr)
            gzclose(file);
    }
};
using GzHandle = std::unique_ptr<std::remove_pointer_t<gzFile>, GzCloser>;

GzHandle openGz(const std::filesystem::path &path)
{
#ifdef _WIN32
    return GzHandle(gzopen_w(path.c_str(), "rb"));
#else
    return GzHandle(gzopen(path.c_str(), "rb"));
#endif
}

// Reads lines of at most a given length from a plain or gzip-compressed file (zlib reads plain
// files through unchanged), without ever holding more than one line and one buffer.
class LineSource
{
public:
    enum class Status { Line, End, TooLong, Damaged };

    explicit LineSource(GzHandle file)
        : file_(std::move(file))
    { }

    Status next(std::string &line, std::size_t maxBytes)
    {
        line.clear();
        for (;;) {
            if (position_ == size_) {
                if (end_)
                    return line.empty() ? Status::End : Status::Line;
                const int got = gzread(file_.get(), buffer_.data(), static_cast<unsigned>(buffer_.size()));
                if (got < 0)
                    return Status::Damaged;
                if (got == 0) {
                    int code = Z_OK;
                    gzerror(file_.get(), &code);
                    // A gzip stream cut short ends with Z_BUF_ERROR ("unexpected end of file").
                    if (code != Z_OK)
                        return Status::Damaged;
                    end_ = true;
                    continue;
                }
                position_ = 0;
                size_ = static_cast<std::size_t>(got);
            }
            const char *start = buffer_.data() + position_;
            const std::size_t available = size_ - position_;
            const void *newline = std::memchr(start, '\n', available);
            const std::size_t take = newline != nullptr
                ? static_cast<std::size_t>(static_cast<const char *>(newline) - start)
                : available;
            if (line.size() + take > maxBytes)
                return Status::TooLong;
            line.append(start, take);
            position_ += take;
            if (newline != nullptr) {
                ++position_;
                return Status::Line;
            }
        }
    }

private:
    GzHandle file_;
    std::array<char, 64 * 1024> buffer_ {};
    std::size_t position_ = 0;
    std::size_t size_ = 0;
    bool end_ = false;
};

std::string lowercase(std::string_view text)
{
    std::string result(text);
    std::transform(result.begin(), result.end(), result.begin(),
        [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); });
    return result;
}

std::vector<std::string_view> splitTabs(std::string_view line)
{
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    for (;;) {
        const std::size_t tab = line.find('\t', start);
        if (tab == std::string_view::npos) {
            fields.push_back(line.substr(start));
            return fields;
        }
        fields.push_back(line.substr(start, tab - start));
        start = tab + 1;
    }
}

// Words separated by spaces or TABs, for the column line (AncestryDNA's is TAB-separated, but a
// re-saved file may use spaces and it is still the same column line).
std::vector<std::string_view> splitWords(std::string_view line)
{
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t'))
            ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t')
            ++i;
        if (i > start)
            words.push_back(line.substr(start, i - start));
    }
    return words;
}

bool isColumnLine(std::string_view text, ConsumerGenotypeFormat format)
{
    const std::string lower = lowercase(text);
    const std::vector<std::string_view> words = splitWords(lower);
    if (format == ConsumerGenotypeFormat::TwentyThreeAndMe)
        return words == std::vector<std::string_view> { "rsid", "chromosome", "position", "genotype" };
    return words == std::vector<std::string_view> { "rsid", "chromosome", "position", "allele1", "allele2" };
}

bool isBlank(std::string_view line)
{
    return std::all_of(line.begin(), line.end(), [](char c) { return c == ' ' || c == '\t'; });
}

// The first control byte (other than TAB) of a line, as two hex digits; empty when there is none.
std::string controlByte(std::string_view line)
{
    for (const char c : line) {
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && byte != '\t') || byte == 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            return std::string { kHex[byte >> 4], kHex[byte & 0xf] };
        }
    }
    return {};
}

bool isValidId(std::string_view id)
{
    if (id.empty() || id.size() > kMaxIdBytes)
        return false;
    return std::all_of(id.begin(), id.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
            || c == '-' || c == '.' || c == ':';
    });
}

// Index into kChromosomes, or std::nullopt.
std::optional<std::size_t> chromosomeIndex(std::string_view field, ConsumerGenotypeFormat format)
{
    if (format == ConsumerGenotypeFormat::TwentyThreeAndMe) {
        for (std::size_t i = 0; i < kChromosomes.size(); ++i)
            if (field == kChromosomes[i])
                return i;
        return std::nullopt;
    }
    // AncestryDNA: 1-22, 23 = X, 24 = Y, 25 = pseudo-autosomal (X coordinates), 26 = MT.
    if (field.empty() || field.size() > 2 || field.front() == '0'
        || !std::all_of(field.begin(), field.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    const int number = field.size() == 1 ? field[0] - '0' : (field[0] - '0') * 10 + (field[1] - '0');
    if (number >= 1 && number <= 22)
        return static_cast<std::size_t>(number - 1);
    if (number == 23 || number == 25)
        return kChromosomeX;
    if (number == 24)
        return kChromosomeY;
    if (number == 26)
        return kChromosomeMT;
    return std::nullopt;
}

std::optional<std::int64_t> parsePosition(std::string_view field)
{
    if (field.empty() || field.size() > 10 || field.front() == '0')
        return std::nullopt;
    std::int64_t value = 0;
    for (const char c : field) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    if (value > kMaxPosition)
        return std::nullopt;
    return value;
}

bool isBase(char c)
{
    return c == 'A' || c == 'C' || c == 'G' || c == 'T';
}
bool isIndelCode(char c)
{
    return c == 'D' || c == 'I';
}

// The build a header comment names: 36, 37 or 38 after "build" (23andMe "human assembly build 37",
// AncestryDNA "human reference build 37.1"), or GRCh37 / GRCh38 / hg19 / hg38. Every build named.
void collectBuilds(std::string_view comment, std::set<int> &builds)
{
    const std::string lower = lowercase(comment);
    const auto numberAfter = [&](std::string_view word, std::size_t from) -> std::optional<int> {
        std::size_t i = from + word.size();
        while (i < lower.size() && (lower[i] == ' ' || lower[i] == '\t'))
            ++i;
        if (i + 2 > lower.size() || lower[i] != '3' || lower[i + 1] < '6' || lower[i + 1] > '8')
            return std::nullopt;
        if (i + 2 < lower.size() && lower[i + 2] >= '0' && lower[i + 2] <= '9')
            return std::nullopt;
        return 30 + (lower[i + 1] - '0');
    };
    for (std::size_t at = lower.find("build"); at != std::string::npos; at = lower.find("build", at + 1))
        if (const auto number = numberAfter("build", at))
            builds.insert(*number);
    for (std::size_t at = lower.find("grch"); at != std::string::npos; at = lower.find("grch", at + 1))
        if (const auto number = numberAfter("grch", at); number && *number != 36)
            builds.insert(*number);
    if (lower.find("hg19") != std::string::npos)
        builds.insert(37);
    if (lower.find("hg38") != std::string::npos)
        builds.insert(38);
}

// Whether a 23andMe genotype field has the shape of one (used by the sniffer on headerless files).
bool looksLike23andMeGenotype(std::string_view field)
{
    if (field == "--")
        return true;
    if (field.empty() || field.size() > 2)
        return false;
    return std::all_of(field.begin(), field.end(), [](char c) { return isBase(c) || isIndelCode(c); });
}

bool looksLikeAncestryAllele(std::string_view field)
{
    return field.size() == 1 && (isBase(field[0]) || isIndelCode(field[0]) || field[0] == '0');
}

std::optional<ConsumerGenotypeFormat> dataRowShape(std::string_view line)
{
    const std::vector<std::string_view> fields = splitTabs(line);
    if (fields.size() == 4 && isValidId(fields[0])
        && chromosomeIndex(fields[1], ConsumerGenotypeFormat::TwentyThreeAndMe) && parsePosition(fields[2])
        && looksLike23andMeGenotype(fields[3]))
        return ConsumerGenotypeFormat::TwentyThreeAndMe;
    if (fields.size() == 5 && isValidId(fields[0])
        && chromosomeIndex(fields[1], ConsumerGenotypeFormat::AncestryDna) && parsePosition(fields[2])
        && looksLikeAncestryAllele(fields[3]) && looksLikeAncestryAllele(fields[4]))
        return ConsumerGenotypeFormat::AncestryDna;
    return std::nullopt;
}

bool startsWithZipMagic(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    char magic[4] = {};
    in.read(magic, 4);
    return in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4;
}

std::string locationOf(const std::string &name, std::size_t line)
{
    return name + ", line " + std::to_string(line);
}

std::string locationOf(
    const std::string &name, std::size_t line, std::size_t chromosome, std::int64_t position)
{
    return locationOf(name, line) + " (" + std::string(kChromosomes[chromosome]) + ":"
        + std::to_string(position) + ")";
}

std::vector<std::string> sortedAlleles(const SiteGenotype &site)
{
    std::vector<std::string> alleles = site.alleles;
    std::sort(alleles.begin(), alleles.end());
    return alleles;
}

} // namespace

std::string_view consumerGenotypeFormatName(ConsumerGenotypeFormat format)
{
    switch (format) {
    case ConsumerGenotypeFormat::TwentyThreeAndMe: return "23andme";
    case ConsumerGenotypeFormat::AncestryDna: return "ancestrydna";
    }
    return "23andme";
}

std::optional<ConsumerGenotypeFormat> detectConsumerGenotypeFormat(const std::filesystem::path &path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || startsWithZipMagic(path))
        return std::nullopt;
    GzHandle file = openGz(path);
    if (!file)
        return std::nullopt;
    std::string head(kSniffBytes, '\0');
    const int got = gzread(file.get(), head.data(), static_cast<unsigned>(head.size()));
    if (got <= 0)
        return std::nullopt;
    head.resize(static_cast<std::size_t>(got));

    std::optional<ConsumerGenotypeFormat> named; // by a comment naming the company
    std::size_t start = 0;
    while (start < head.size()) {
        std::size_t end = head.find('\n', start);
        const bool complete = end != std::string::npos;
        if (!complete)
            end = head.size();
        std::string_view line(head.data() + start, end - start);
        start = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        // Binary data in the lines that decide is not a text genotype file; later lines are the
        // reader's to refuse, with their line number.
        if (!controlByte(line).empty())
            return std::nullopt;
        if (isBlank(line))
            continue;
        if (line.front() == '#') {
            const std::string_view text = line.substr(1);
            if (isColumnLine(text, ConsumerGenotypeFormat::TwentyThreeAndMe))
                return ConsumerGenotypeFormat::TwentyThreeAndMe;
            const std::string lower = lowercase(text);
            if (!named && lower.find("23andme") != std::string::npos)
                named = ConsumerGenotypeFormat::TwentyThreeAndMe;
            else if (!named && lower.find("ancestrydna") != std::string::npos)
                named = ConsumerGenotypeFormat::AncestryDna;
            continue;
        }
        if (isColumnLine(line, ConsumerGenotypeFormat::AncestryDna))
            return ConsumerGenotypeFormat::AncestryDna;
        if (isColumnLine(line, ConsumerGenotypeFormat::TwentyThreeAndMe))
            return ConsumerGenotypeFormat::TwentyThreeAndMe;
        // The first data row decides: a company named in a comment of a file whose rows have
        // another shape (a VCF converted from a 23andMe file) is not that company's format.
        if (!complete && got == static_cast<int>(kSniffBytes))
            return std::nullopt; // a 64 KiB line: not a genotype row
        return dataRowShape(line);
    }
    return named; // only comments in the first 64 KiB
}

Result<ConsumerGenotypeFile> readConsumerGenotypeFile(
    const std::filesystem::path &path, const ConsumerGenotypeLimits &limits)
{
    const std::string name = path.filename().string();
    if (auto usable = checkInputFile(path, "", ErrorCode::Malformed); !usable)
        return std::unexpected(usable.error());
    if (startsWithZipMagic(path))
        return fail(ErrorCode::Unsupported,
            "a ZIP archive: extract the genotype .txt file inside it and read that", name);
    const std::optional<ConsumerGenotypeFormat> detected = detectConsumerGenotypeFormat(path);
    if (!detected)
        return fail(ErrorCode::Unsupported,
            "not a 23andMe or AncestryDNA genotype file: no column line, company name or data row of "
            "either format in its first 64 KiB",
            name);
    const ConsumerGenotypeFormat format = *detected;
    const bool is23andMe = format == ConsumerGenotypeFormat::TwentyThreeAndMe;

    GzHandle handle = openGz(path);
    if (!handle)
        return fail(ErrorCode::NotFound, "the file cannot be opened", name);
    LineSource source(std::move(handle));

    std::vector<SiteGenotype> sites;
    ConsumerGenotypeCounts counts;
    std::array<std::size_t, kChromosomes.size()> perChromosome {};
    std::set<int> builds;
    // Duplicates, keyed by chromosome index and position in one integer.
    std::unordered_map<std::uint64_t, std::size_t> firstAtPosition;
    std::unordered_set<std::uint64_t> repeatedPositions;
    std::unordered_set<std::uint64_t> conflictingPositions;
    std::unordered_map<std::string, std::size_t> idCounts;

    std::string line;
    std::size_t lineNumber = 0;
    bool inData = false;
    for (;;) {
        const LineSource::Status status = source.next(line, limits.maxLineBytes);
        if (status == LineSource::Status::End)
            break;
        ++lineNumber;
        if (status == LineSource::Status::TooLong)
            return fail(ErrorCode::LimitExceeded,
                "line is longer than " + std::to_string(limits.maxLineBytes) + " bytes",
                locationOf(name, lineNumber));
        if (status == LineSource::Status::Damaged)
            return fail(ErrorCode::Malformed, "the compressed data is damaged or cut short",
                locationOf(name, lineNumber));
        if (lineNumber > limits.maxLines)
            return fail(ErrorCode::LimitExceeded, "more than " + std::to_string(limits.maxLines) + " lines",
                locationOf(name, lineNumber));
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (const std::string byte = controlByte(line); !byte.empty())
            return fail(ErrorCode::Malformed,
                "holds the control byte 0x" + byte + ": binary data, not a text genotype file",
                locationOf(name, lineNumber));
        if (isBlank(line))
            continue;
        if (line.front() == '#') {
            // Header comments carry the customer's name and dates: only the build is read from them.
            if (!inData)
                collectBuilds(line, builds);
            continue;
        }
        if (!inData
            && (isColumnLine(line, ConsumerGenotypeFormat::AncestryDna)
                || isColumnLine(line, ConsumerGenotypeFormat::TwentyThreeAndMe))) {
            inData = true;
            continue;
        }
        inData = true;

        const std::vector<std::string_view> fields = splitTabs(line);
        const std::size_t expected = is23andMe ? 4 : 5;
        if (fields.size() != expected)
            return fail(ErrorCode::Malformed,
                "expected " + std::to_string(expected) + " TAB-separated fields ("
                    + (is23andMe ? "rsid, chromosome, position, genotype"
                                 : "rsid, chromosome, position, allele1, allele2")
                    + "), found " + std::to_string(fields.size()),
                locationOf(name, lineNumber));
        if (!isValidId(fields[0]))
            return fail(ErrorCode::Malformed,
                "the id field is empty, longer than " + std::to_string(kMaxIdBytes)
                    + " bytes, or holds characters other than letters, digits, '_', '-', '.' and ':'",
                locationOf(name, lineNumber));
        const std::optional<std::size_t> chromosome = chromosomeIndex(fields[1], format);
        if (!chromosome)
            return fail(ErrorCode::Malformed,
                is23andMe ? "the chromosome is not one of 1-22, X, Y, MT"
                          : "the chromosome is not one of 1-26 (23 = X, 24 = Y, 25 = X/Y pseudo-autosomal, "
                            "26 = MT)",
                locationOf(name, lineNumber));
        const std::optional<std::int64_t> position = parsePosition(fields[2]);
        if (!position)
            return fail(ErrorCode::Malformed, "the position is not a whole number from 1 to 2147483647",
                locationOf(name, lineNumber));
        const std::string where = locationOf(name, lineNumber, *chromosome, *position);

        if (counts.records == limits.maxRecords)
            return fail(ErrorCode::LimitExceeded,
                "more than " + std::to_string(limits.maxRecords) + " genotype rows", where);

        SiteGenotype site;
        site.chromosome = std::string(kChromosomes[*chromosome]);
        site.position = *position;
        site.id = std::string(fields[0]);
        site.line = lineNumber;
        bool indel = false;
        bool partial = false;
        if (is23andMe) {
            const std::string_view genotype = fields[3];
            const bool autosome = *chromosome < kChromosomeX;
            if (genotype == "--") {
                site.alleles = { "", "" };
            } else if ((genotype.size() == 1 || genotype.size() == 2)
                && std::all_of(
                    genotype.begin(), genotype.end(), [](char c) { return isBase(c) || isIndelCode(c); })) {
                if (genotype.size() == 1 && autosome)
                    return fail(ErrorCode::Malformed,
                        "one allele on an autosome; 23andMe writes one allele only on X, Y and MT", where);
                for (const char c : genotype)
                    site.alleles.emplace_back(1, c);
            } else {
                return fail(ErrorCode::Malformed,
                    "the genotype is not two of A, C, G, T, D, I (one on X, Y, MT) or '--'", where);
            }
        } else {
            for (std::size_t i = 3; i < 5; ++i) {
                const std::string_view allele = fields[i];
                if (!looksLikeAncestryAllele(allele))
                    return fail(ErrorCode::Malformed,
                        "allele" + std::to_string(i - 2) + " is not one of A, C, G, T, D, I or 0 (no call)",
                        where);
                site.alleles.push_back(allele == "0" ? std::string() : std::string(allele));
            }
            partial = site.alleles[0].empty() != site.alleles[1].empty();
            if (*chromosome == kChromosomeX && fields[1] == "25")
                ++counts.pseudoAutosomal;
        }
        bool base = false;
        for (const std::string &allele : site.alleles) {
            if (allele.empty())
                continue;
            if (isIndelCode(allele[0]))
                indel = true;
            else
                base = true;
        }
        if (indel && base)
            return fail(ErrorCode::Malformed, "the genotype mixes an indel code (D, I) with a base", where);

        ++counts.records;
        ++perChromosome[*chromosome];
        if (site.isNoCall())
            ++counts.noCalls;
        if (partial)
            ++counts.partialCalls;
        if (indel)
            ++counts.indels;
        if (site.alleles.size() == 1)
            ++counts.haploid;

        const std::uint64_t key
            = (static_cast<std::uint64_t>(*chromosome) << 32) | static_cast<std::uint64_t>(*position);
        const auto [first, inserted] = firstAtPosition.emplace(key, sites.size());
        if (!inserted) {
            repeatedPositions.insert(key);
            const SiteGenotype &earlier = sites[first->second];
            if (!earlier.isNoCall() && !site.isNoCall() && sortedAlleles(earlier) != sortedAlleles(site))
                conflictingPositions.insert(key);
        }
        ++idCounts[site.id];
        sites.push_back(std::move(site));
    }

    if (lineNumber == 0)
        return fail(ErrorCode::Malformed, "the file is empty", name);
    if (counts.records == 0)
        return fail(ErrorCode::Malformed, "the file has no genotype rows", name);

    counts.duplicatePositions = repeatedPositions.size();
    counts.conflictingDuplicatePositions = conflictingPositions.size();
    counts.duplicateIds = static_cast<std::size_t>(
        std::count_if(idCounts.begin(), idCounts.end(), [](const auto &entry) { return entry.second > 1; }));
    for (std::size_t i = 0; i < kChromosomes.size(); ++i)
        if (perChromosome[i] > 0)
            counts.perChromosome.emplace_back(std::string(kChromosomes[i]), perChromosome[i]);

    std::vector<std::string> warnings;
    std::optional<int> statedBuild;
    GenomeBuild build = GenomeBuild::Unknown;
    if (builds.empty()) {
        warnings.emplace_back(
            "the header names no genome build: positions cannot be matched to GRCh37 or GRCh38 "
            "until the build is known");
    } else if (builds.size() > 1) {
        warnings.emplace_back("the header names more than one genome build; the build is left unknown");
    } else {
        statedBuild = *builds.begin();
        if (*statedBuild == 37)
            build = GenomeBuild::GRCh37;
        else if (*statedBuild == 38)
            build = GenomeBuild::GRCh38;
        else
            warnings.emplace_back(
                "the header names build 36 (NCBI36): Mosaic matches GRCh37 and GRCh38 positions "
                "only, so the build is left unknown");
    }
    if (counts.duplicatePositions > 0)
        warnings.push_back(std::to_string(counts.duplicatePositions)
            + " positions are listed more than once (" + std::to_string(counts.conflictingDuplicatePositions)
            + " of them with different calls); a lookup by position sees every row");
    if (counts.duplicateIds > 0)
        warnings.push_back(std::to_string(counts.duplicateIds)
            + " ids are listed more than once; a lookup by id returns the first row");
    if (counts.partialCalls > 0)
        warnings.push_back(std::to_string(counts.partialCalls)
            + " rows have one allele called and the other not (0); the missing copy is kept as missing");

    return ConsumerGenotypeFile { format, build, statedBuild, SampleGenotypes(name, std::move(sites)),
        std::move(counts), std::move(warnings) };
}

Result<InspectionReport> inspectConsumerGenotypeFile(
    const std::filesystem::path &path, const ConsumerGenotypeLimits &limits)
{
    auto file = readConsumerGenotypeFile(path, limits);
    if (!file)
        return std::unexpected(file.error());
    const ConsumerGenotypeCounts &counts = file->counts;
    InspectionReport report;
    report.kind = std::string(consumerGenotypeFormatName(file->format));
    const auto add = [&](std::string key, std::string value) {
        report.facts.emplace_back(std::move(key), std::move(value));
    };
    add("format",
        file->format == ConsumerGenotypeFormat::TwentyThreeAndMe ? "23andMe raw data"
                                                                 : "AncestryDNA raw data");
    add("samples", "1");
    add("build", std::string(genomeBuildName(file->build)));
    add("build stated", file->statedBuild ? std::to_string(*file->statedBuild) : std::string("none"));
    add("records", std::to_string(counts.records));
    add("no-calls", std::to_string(counts.noCalls));
    if (file->format == ConsumerGenotypeFormat::AncestryDna) {
        add("partial calls", std::to_string(counts.partialCalls));
        add("pseudo-autosomal records", std::to_string(counts.pseudoAutosomal));
    }
    add("haploid records", std::to_string(counts.haploid));
    add("indel records", std::to_string(counts.indels));
    add("duplicate positions", std::to_string(counts.duplicatePositions));
    add("duplicate ids", std::to_string(counts.duplicateIds));
    std::string chromosomes;
    for (const auto &[chromosome, count] : counts.perChromosome)
        chromosomes += (chromosomes.empty() ? "" : " ") + chromosome + ":" + std::to_string(count);
    add("records per chromosome", chromosomes);
    report.warnings = file->warnings;
    return report;
}

} // namespace mosaic
