// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/pgs_scoring_file.h"

#include "core/genomics/vcf_reader.h"
#include "core/input_file.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <zlib.h>

namespace mosaic {

namespace {

std::string_view trimmed(std::string_view text)
{
    while (!text.empty() && (text.back() == '\r' || text.back() == '\t' || text.back() == ' '))
        text.remove_suffix(1);
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    return text;
}

std::string lowerCase(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
        [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
    return out;
}

std::string upperCase(std::string_view text)
{
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
        [](unsigned char c) { return static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c); });
    return out;
}

// A cell quoted back into an error message: printable ASCII only, at most 40 characters, so a
// hostile file cannot put control characters or a megabyte of text into a message.
std::string quotedCell(std::string_view cell)
{
    std::string out = "'";
    for (std::size_t i = 0; i < cell.size() && i < 40; ++i) {
        const unsigned char c = static_cast<unsigned char>(cell[i]);
        out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (cell.size() > 40)
        out += "...";
    return out + "'";
}

bool isTrue(std::string_view cell)
{
    const std::string value = lowerCase(trimmed(cell));
    return value == "true" || value == "1" || value == "yes";
}

bool isFalseOrEmpty(std::string_view cell)
{
    const std::string value = lowerCase(trimmed(cell));
    return value.empty() || value == "false" || value == "0" || value == "no" || value == "na";
}

std::optional<double> parseDouble(std::string_view text)
{
    text = trimmed(text);
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    double value = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

// An allele as the Catalog writes it: letters (A, C, G, T, N; also HLA presence codes such as P),
// '-' and '*' for deletions, '<'/'>' for symbolic alleles. Anything else is damage.
bool isAlleleText(std::string_view allele)
{
    if (allele.empty())
        return false;
    return std::all_of(allele.begin(), allele.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '*' || c == '<'
            || c == '>' || c == ':' || (c >= '0' && c <= '9') || c == '_' || c == '.';
    });
}

bool isChromosomeText(std::string_view name)
{
    if (name.empty() || name.size() > 64)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'
            || c == '.' || c == '-';
    });
}

std::vector<std::string_view> splitTabs(std::string_view line)
{
    std::vector<std::string_view> fields;
    std::size_t start = 0;
    while (true) {
        const std::size_t tab = line.find('\t', start);
        if (tab == std::string_view::npos) {
            fields.push_back(line.substr(start));
            return fields;
        }
        fields.push_back(line.substr(start, tab - start));
        start = tab + 1;
    }
}

constexpr std::size_t kNoColumn = std::numeric_limits<std::size_t>::max();

struct Columns
{
    std::size_t rsid = kNoColumn, chromosome = kNoColumn, position = kNoColumn, effectAllele = kNoColumn,
                otherAllele = kNoColumn, weight = kNoColumn, hmChromosome = kNoColumn, hmPosition = kNoColumn,
                hmRsid = kNoColumn, hmInferOtherAllele = kNoColumn, frequency = kNoColumn,
                isHaplotype = kNoColumn, isDiplotype = kNoColumn, isInteraction = kNoColumn,
                isDominant = kNoColumn, isRecessive = kNoColumn;
    std::vector<std::size_t> dosageWeights;
    std::size_t count = 0;
};

class ScoringFileParser
{
public:
    ScoringFileParser(std::string sourceName, const PgsLimits &limits)
        : m_limits(limits)
    {
        m_file.sourceName = std::move(sourceName);
    }

    Result<void> line(std::string_view text)
    {
        ++m_lineNumber;
        if (!text.empty() && text.back() == '\r')
            text.remove_suffix(1);
        if (text.size() > m_limits.maxLineBytes)
            return fail(ErrorCode::LimitExceeded,
                "the line has " + std::to_string(text.size()) + " bytes, more than the limit of "
                    + std::to_string(m_limits.maxLineBytes),
                where());
        if (!m_haveColumns && !text.empty() && text.front() == '#')
            return headerLine(text);
        if (trimmed(text).empty())
            return {};
        if (!m_haveColumns)
            return columnLine(text);
        return variantLine(text);
    }

    Result<PgsScoringFile> finish()
    {
        if (!m_haveColumns)
            return fail(ErrorCode::Malformed,
                "no column header line (rsID, chr_name, effect_allele, effect_weight, ...) was found: not a "
                "PGS "
                "Catalog scoring file",
                m_file.sourceName);
        const std::size_t rows = m_file.variants.size();
        if (m_file.variantsDeclared && *m_file.variantsDeclared != rows)
            return fail(ErrorCode::Malformed,
                "the header declares " + std::to_string(*m_file.variantsDeclared)
                    + " variants (#variants_number) but the file has " + std::to_string(rows)
                    + " variant rows: it is truncated or not the file it says it is",
                m_file.sourceName);
        if (rows == 0)
            return fail(ErrorCode::Malformed, "the file has no variant rows", m_file.sourceName);
        addWarnings();
        return std::move(m_file);
    }

private:
    std::string where() const { return m_file.sourceName + ", line " + std::to_string(m_lineNumber); }

    Result<void> headerLine(std::string_view text)
    {
        if (++m_headerLines > m_limits.maxHeaderLines)
            return fail(ErrorCode::LimitExceeded,
                "more than " + std::to_string(m_limits.maxHeaderLines) + " header lines", where());
        if (text.size() >= 2 && text[1] == '#')
            return {}; // "##SECTION" titles and the "###PGS CATALOG SCORING FILE" banner
        text.remove_prefix(1);
        const std::size_t equals = text.find('=');
        if (equals == std::string_view::npos)
            return {};
        const std::string key(trimmed(text.substr(0, equals)));
        const std::string value(trimmed(text.substr(equals + 1)));
        if (key == "format_version") {
            m_file.formatVersion = value;
            if (!value.starts_with('2'))
                m_file.warnings.push_back("format version " + quotedCell(value)
                    + " is not 2.x; columns are read by name as in format 2.0");
        } else if (key == "pgs_id")
            m_file.pgsId = value;
        else if (key == "pgs_name")
            m_file.pgsName = value;
        else if (key == "trait_reported")
            m_file.traitReported = value;
        else if (key == "weight_type")
            m_file.weightType = value;
        else if (key == "genome_build") {
            m_file.genomeBuildText = value;
            m_file.genomeBuild = parseGenomeBuild(value);
        } else if (key == "HmPOS_build") {
            m_file.harmonised = true;
            m_hmBuildText = value;
            m_file.harmonisedBuild = parseGenomeBuild(value);
        } else if (key == "variants_number") {
            std::size_t count = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), count);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size())
                return fail(
                    ErrorCode::Malformed, "#variants_number is not a count: " + quotedCell(value), where());
            m_file.variantsDeclared = count;
        }
        return {};
    }

    Result<void> columnLine(std::string_view text)
    {
        const std::vector<std::string_view> names = splitTabs(text);
        if (names.size() > m_limits.maxColumns)
            return fail(ErrorCode::LimitExceeded,
                std::to_string(names.size()) + " columns, more than the limit of "
                    + std::to_string(m_limits.maxColumns),
                where());
        Columns &c = m_columns;
        c.count = names.size();
        const std::map<std::string, std::size_t *> known {
            { "rsid", &c.rsid },
            { "chr_name", &c.chromosome },
            { "chr_position", &c.position },
            { "effect_allele", &c.effectAllele },
            { "other_allele", &c.otherAllele },
            { "reference_allele", &c.otherAllele }, // format 1.0's name for the non-effect allele
            { "effect_weight", &c.weight },
            { "hm_chr", &c.hmChromosome },
            { "hm_pos", &c.hmPosition },
            { "hm_rsid", &c.hmRsid },
            { "hm_inferotherallele", &c.hmInferOtherAllele },
            { "allelefrequency_effect", &c.frequency },
            { "is_haplotype", &c.isHaplotype },
            { "is_diplotype", &c.isDiplotype },
            { "is_interaction", &c.isInteraction },
            { "is_dominant", &c.isDominant },
            { "is_recessive", &c.isRecessive },
        };
        for (std::size_t i = 0; i < names.size(); ++i) {
            const std::string name = lowerCase(trimmed(names[i]));
            if (name.starts_with("dosage_") && name.ends_with("_weight")) {
                c.dosageWeights.push_back(i);
                continue;
            }
            const auto found = known.find(name);
            if (found == known.end())
                continue;
            if (*found->second != kNoColumn)
                return fail(
                    ErrorCode::Malformed, "the column " + quotedCell(names[i]) + " appears twice", where());
            *found->second = i;
        }
        if (c.effectAllele == kNoColumn)
            return fail(ErrorCode::Malformed,
                "no effect_allele column: not a PGS Catalog scoring file (columns are found by name)",
                where());
        if (c.weight == kNoColumn) {
            if (!c.dosageWeights.empty())
                return fail(ErrorCode::Unsupported,
                    "the score gives per-dosage weights (dosage_0_weight ...) instead of effect_weight: "
                    "non-additive scores are not supported",
                    where());
            return fail(ErrorCode::Malformed, "no effect_weight column", where());
        }
        const bool hmColumns = c.hmChromosome != kNoColumn && c.hmPosition != kNoColumn;
        if (m_file.harmonised && !hmColumns)
            return fail(ErrorCode::Malformed,
                "#HmPOS_build says the file is harmonised but the hm_chr and hm_pos columns are missing",
                where());
        if (!m_file.harmonised && hmColumns) {
            m_file.harmonised = true;
            m_file.warnings.push_back(
                "hm_chr/hm_pos columns without #HmPOS_build: the harmonised build is unknown");
        }
        if (m_file.harmonised) {
            m_chromosomeColumn = c.hmChromosome;
            m_positionColumn = c.hmPosition;
        } else {
            m_chromosomeColumn = c.chromosome;
            m_positionColumn = c.position;
        }
        m_haveColumns = true;
        return {};
    }

    Result<void> variantLine(std::string_view text)
    {
        if (m_file.variants.size() >= m_limits.maxVariants)
            return fail(ErrorCode::LimitExceeded,
                "more than " + std::to_string(m_limits.maxVariants) + " variants", where());
        const std::vector<std::string_view> fields = splitTabs(text);
        if (fields.size() != m_columns.count)
            return fail(ErrorCode::Malformed,
                "the row has " + std::to_string(fields.size()) + " tab-separated fields, the header has "
                    + std::to_string(m_columns.count),
                where());
        const Columns &c = m_columns;
        auto cell = [&](std::size_t column) -> std::string_view {
            return column == kNoColumn ? std::string_view {} : trimmed(fields[column]);
        };

        for (const auto &[column, what] :
            { std::pair { c.isHaplotype, "a haplotype" }, std::pair { c.isDiplotype, "a diplotype" },
                std::pair { c.isInteraction, "an interaction" } }) {
            if (column != kNoColumn && isTrue(fields[column]))
                return fail(ErrorCode::Unsupported,
                    std::string("the row is ") + what
                        + " term, which Mosaic does not score (only single-variant "
                          "additive weights are supported)",
                    where());
        }
        for (std::size_t column : c.dosageWeights) {
            if (!trimmed(fields[column]).empty())
                return fail(ErrorCode::Unsupported,
                    "the row gives per-dosage weights (dosage_N_weight), which Mosaic does not score",
                    where());
        }

        PgsVariant variant;
        variant.line = m_lineNumber;
        const std::string_view effect = cell(c.effectAllele);
        if (!isAlleleText(effect))
            return fail(ErrorCode::Malformed,
                effect.empty() ? std::string("the effect allele is empty")
                               : "the effect allele is not an allele: " + quotedCell(effect),
                where());
        variant.effectAllele = upperCase(effect);
        std::string_view other = cell(c.otherAllele);
        if (other == ".")
            other = {};
        if (!other.empty()) {
            if (!isAlleleText(other))
                return fail(
                    ErrorCode::Malformed, "the other allele is not an allele: " + quotedCell(other), where());
            variant.otherAllele = upperCase(other);
        } else {
            // The Catalog infers the other allele for some harmonised rows; "A/G" lists candidates and
            // says nothing certain, a single allele is used (and flagged as inferred).
            const std::string_view inferred = cell(c.hmInferOtherAllele);
            if (!inferred.empty() && inferred.find('/') == std::string_view::npos && isAlleleText(inferred)) {
                variant.otherAllele = upperCase(inferred);
                variant.otherAlleleInferred = true;
            }
        }

        const std::string_view weightText = cell(c.weight);
        const auto weight = parseDouble(weightText);
        if (!weight)
            return fail(ErrorCode::Malformed,
                "the effect weight is not a finite number: " + quotedCell(weightText), where());
        variant.weight = *weight;

        const std::string_view frequency = cell(c.frequency);
        if (!frequency.empty()) {
            const auto value = parseDouble(frequency);
            if (value && *value >= 0.0 && *value <= 1.0)
                variant.effectAlleleFrequency = value;
            else
                ++m_badFrequencies;
        }

        const bool dominant = c.isDominant != kNoColumn && isTrue(fields[c.isDominant]);
        const bool recessive = c.isRecessive != kNoColumn && isTrue(fields[c.isRecessive]);
        for (std::size_t column :
            { c.isDominant, c.isRecessive, c.isHaplotype, c.isDiplotype, c.isInteraction }) {
            if (column != kNoColumn && !isTrue(fields[column]) && !isFalseOrEmpty(fields[column]))
                return fail(
                    ErrorCode::Malformed, "a True/False column holds " + quotedCell(fields[column]), where());
        }
        if (dominant && recessive)
            return fail(ErrorCode::Malformed, "the row is marked both dominant and recessive", where());
        variant.inheritance = dominant ? PgsInheritance::Dominant
            : recessive                ? PgsInheritance::Recessive
                                       : PgsInheritance::Additive;

        const std::string_view rsid
            = m_file.harmonised && !cell(c.hmRsid).empty() ? cell(c.hmRsid) : cell(c.rsid);
        if (rsid.size() <= 64 && rsid != ".")
            variant.rsid = std::string(rsid);

        const std::string_view chromosome = cell(m_chromosomeColumn);
        const std::string_view position = cell(m_positionColumn);
        if (!chromosome.empty() && !position.empty()) {
            if (!isChromosomeText(chromosome))
                return fail(
                    ErrorCode::Malformed, "the chromosome is not a name: " + quotedCell(chromosome), where());
            std::int64_t value = 0;
            const auto [end, ec] = std::from_chars(position.data(), position.data() + position.size(), value);
            if (ec != std::errc() || end != position.data() + position.size() || value < 1
                || value > std::int64_t { 1 } << 32)
                return fail(ErrorCode::Malformed,
                    "the position is not a 1-based coordinate: " + quotedCell(position), where());
            variant.chromosome = normaliseChromosome(chromosome);
            variant.position = value;
        } else {
            ++m_file.variantsWithoutPosition;
        }
        m_file.variants.push_back(std::move(variant));
        return {};
    }

    void addWarnings()
    {
        PgsScoringFile &f = m_file;
        const std::size_t rows = f.variants.size();
        const std::string columns = f.harmonised ? "hm_chr/hm_pos" : "chr_name/chr_position";
        if (f.variantsWithoutPosition == rows)
            f.warnings.push_back("none of the " + std::to_string(rows) + " variants has a position ("
                + columns + " empty or absent): nothing can be matched by position");
        else if (f.variantsWithoutPosition > 0)
            f.warnings.push_back(std::to_string(f.variantsWithoutPosition) + " of " + std::to_string(rows)
                + " variants have no position (" + columns + " empty) and cannot be matched");
        if (f.harmonised && f.harmonisedBuild == GenomeBuild::Unknown)
            f.warnings.push_back("the harmonised build " + quotedCell(m_hmBuildText)
                + " is not GRCh37 or GRCh38: check it matches the genotypes");
        if (!f.harmonised && f.genomeBuild == GenomeBuild::Unknown && f.variantsWithoutPosition < rows)
            f.warnings.push_back("the authors' genome build is not reported ("
                + (f.genomeBuildText.empty() ? std::string("no #genome_build")
                                             : quotedCell(f.genomeBuildText))
                + "): positions may not match the genotypes' build; prefer a harmonised file");
        if (!f.variantsDeclared)
            f.warnings.push_back(
                "no #variants_number in the header: the file cannot be checked for truncation");
        const auto nonAdditive = std::count_if(f.variants.begin(), f.variants.end(),
            [](const PgsVariant &v) { return v.inheritance != PgsInheritance::Additive; });
        if (nonAdditive > 0)
            f.warnings.push_back(std::to_string(nonAdditive)
                + " variants are dominant or recessive: scored from hard calls (GT) as 0/1, not additively");
        const auto inferred = std::count_if(
            f.variants.begin(), f.variants.end(), [](const PgsVariant &v) { return v.otherAlleleInferred; });
        if (inferred > 0)
            f.warnings.push_back(std::to_string(inferred)
                + " other alleles come from hm_inferOtherAllele (inferred by the Catalog, not stated by the "
                  "authors)");
        if (m_badFrequencies > 0)
            f.warnings.push_back(std::to_string(m_badFrequencies)
                + " allelefrequency_effect values are not frequencies in [0, 1] and are ignored");
        const std::string weightType = lowerCase(f.weightType);
        if (weightType == "or" || weightType == "hr")
            f.warnings.push_back("weight type " + quotedCell(f.weightType)
                + ": the weights are summed as given; Catalog weights are normally on the log scale");
    }

    PgsLimits m_limits;
    PgsScoringFile m_file;
    Columns m_columns;
    std::size_t m_chromosomeColumn = kNoColumn;
    std::size_t m_positionColumn = kNoColumn;
    std::size_t m_lineNumber = 0;
    std::size_t m_headerLines = 0;
    std::size_t m_badFrequencies = 0;
    std::string m_hmBuildText;
    bool m_haveColumns = false;
};

struct GzCloser
{
    void operator()(gzFile_s *file) const { gzclose(file); }
};

} // namespace

GenomeBuild parseGenomeBuild(std::string_view text)
{
    const std::string value = lowerCase(trimmed(text));
    if (value == "grch37" || value == "hg19" || value == "ncbi37" || value == "b37")
        return GenomeBuild::GRCh37;
    if (value == "grch38" || value == "hg38" || value == "ncbi38" || value == "b38")
        return GenomeBuild::GRCh38;
    return GenomeBuild::Unknown;
}

Result<PgsScoringFile> parsePgsScoringText(
    std::string_view text, const std::string &sourceName, const PgsLimits &limits)
{
    ScoringFileParser parser(sourceName, limits);
    std::size_t start = 0;
    while (start < text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string_view::npos)
            end = text.size();
        if (auto ok = parser.line(text.substr(start, end - start)); !ok)
            return std::unexpected(ok.error());
        start = end + 1;
    }
    return parser.finish();
}

Result<PgsScoringFile> readPgsScoringFile(const std::filesystem::path &path, const PgsLimits &limits)
{
    const std::string name = path.filename().string();
    if (auto usable = checkInputFile(path, "a PGS Catalog scoring file", ErrorCode::Malformed); !usable)
        return std::unexpected(usable.error());

    // gzread passes plain text through unchanged, so one path reads both.
    std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.string().c_str(), "rb"));
    if (!file)
        return fail(ErrorCode::NotFound, "the file could not be opened", name);
    gzbuffer(file.get(), 256u * 1024u);

    ScoringFileParser parser(name, limits);
    std::array<char, 256 * 1024> chunk {};
    std::string pending;
    std::size_t total = 0;
    std::size_t lineNumber = 0;
    while (true) {
        const int count = gzread(file.get(), chunk.data(), static_cast<unsigned>(chunk.size()));
        if (count < 0)
            return fail(ErrorCode::Malformed, "the gzip stream is truncated or damaged",
                name + ", line " + std::to_string(lineNumber + 1));
        if (count == 0)
            break;
        total += static_cast<std::size_t>(count);
        if (total > limits.maxDecompressedBytes)
            return fail(ErrorCode::LimitExceeded,
                "more than " + std::to_string(limits.maxDecompressedBytes) + " bytes once decompressed",
                name);
        std::string_view data(chunk.data(), static_cast<std::size_t>(count));
        while (!data.empty()) {
            const std::size_t newline = data.find('\n');
            const std::string_view piece = data.substr(0, newline);
            if (pending.size() + piece.size() > limits.maxLineBytes + 1) // + 1: a CR before the LF
                return fail(ErrorCode::LimitExceeded,
                    "a line longer than the limit of " + std::to_string(limits.maxLineBytes) + " bytes",
                    name + ", line " + std::to_string(lineNumber + 1));
            if (newline == std::string_view::npos) {
                pending.append(piece);
                break;
            }
            ++lineNumber;
            Result<void> ok;
            if (pending.empty()) {
                ok = parser.line(piece);
            } else {
                pending.append(piece);
                ok = parser.line(pending);
                pending.clear();
            }
            if (!ok)
                return std::unexpected(ok.error());
            data.remove_prefix(newline + 1);
        }
    }
    int status = Z_OK;
    gzerror(file.get(), &status);
    if (status != Z_OK && status != Z_STREAM_END)
        return fail(ErrorCode::Malformed, "the gzip stream is truncated or damaged",
            name + ", line " + std::to_string(lineNumber + 1));
    if (!pending.empty()) {
        if (auto ok = parser.line(pending); !ok)
            return std::unexpected(ok.error());
    }
    return parser.finish();
}

bool looksLikePgsScoringFile(const std::filesystem::path &path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return false;
    std::unique_ptr<gzFile_s, GzCloser> file(gzopen(path.string().c_str(), "rb"));
    if (!file)
        return false;
    std::string head(64u * 1024u, '\0');
    const int count = gzread(file.get(), head.data(), static_cast<unsigned>(head.size()));
    if (count <= 0)
        return false;
    head.resize(static_cast<std::size_t>(count));
    std::size_t start = 0;
    while (start < head.size()) {
        std::size_t end = head.find('\n', start);
        if (end == std::string::npos)
            end = head.size();
        const std::string_view line(head.data() + start, end - start);
        if (line.starts_with("###PGS CATALOG SCORING FILE") || line.starts_with("#pgs_id=")
            || line.starts_with("#format_version="))
            return true;
        if (!line.starts_with("#")) {
            const std::string lower = lowerCase(line);
            return lower.find("effect_allele") != std::string::npos
                && lower.find("effect_weight") != std::string::npos && lower.find('\t') != std::string::npos;
        }
        start = end + 1;
    }
    return false;
}

Result<InspectionReport> inspectScoringFile(const std::filesystem::path &path, const PgsLimits &limits)
{
    auto file = readPgsScoringFile(path, limits);
    if (!file)
        return std::unexpected(file.error());
    const PgsScoringFile &f = *file;
    InspectionReport report;
    report.kind = "pgs-scoring-file";
    auto orNotStated
        = [](const std::string &value) { return value.empty() ? std::string("not stated") : value; };
    report.facts.emplace_back("pgs id", orNotStated(f.pgsId));
    report.facts.emplace_back("pgs name", orNotStated(f.pgsName));
    report.facts.emplace_back("trait", orNotStated(f.traitReported));
    report.facts.emplace_back("format version", orNotStated(f.formatVersion));
    report.facts.emplace_back("genome build",
        f.genomeBuild != GenomeBuild::Unknown ? std::string(genomeBuildName(f.genomeBuild))
                                              : orNotStated(f.genomeBuildText) + " (not reported)");
    report.facts.emplace_back("harmonised build",
        f.harmonised ? std::string(genomeBuildName(f.harmonisedBuild)) : std::string("no"));
    report.facts.emplace_back("position columns",
        f.harmonised ? "hm_chr/hm_pos (" + std::string(genomeBuildName(f.harmonisedBuild)) + ")"
                     : "chr_name/chr_position (" + std::string(genomeBuildName(f.genomeBuild)) + ")");
    report.facts.emplace_back("variants declared",
        f.variantsDeclared ? std::to_string(*f.variantsDeclared) : std::string("not stated"));
    report.facts.emplace_back("variants read", std::to_string(f.variants.size()));
    report.facts.emplace_back("variants without position", std::to_string(f.variantsWithoutPosition));
    report.facts.emplace_back("weight type", orNotStated(f.weightType));
    const auto nonAdditive = std::count_if(f.variants.begin(), f.variants.end(),
        [](const PgsVariant &v) { return v.inheritance != PgsInheritance::Additive; });
    report.facts.emplace_back("non-additive variants", std::to_string(nonAdditive));
    report.warnings = f.warnings;
    return report;
}

} // namespace mosaic
