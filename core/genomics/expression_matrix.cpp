// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/expression_matrix.h"

#include "core/input_file.h"

#include <htslib/bgzf.h>
#include <htslib/hts.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <memory>
#include <system_error>
#include <utility>

namespace mosaic {

namespace {

struct BgzfCloser
{
    void operator()(BGZF *file) const { bgzf_close(file); }
};

// Text from the file shown in an error: printable ASCII only, and short, so a hostile cell cannot
// flood a log or smuggle control characters into a terminal.
std::string shownText(std::string_view text)
{
    constexpr std::size_t kShown = 40;
    std::string shown;
    for (std::size_t i = 0; i < text.size() && i < kShown; ++i) {
        const unsigned char c = static_cast<unsigned char>(text[i]);
        shown += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
    }
    if (text.size() > kShown)
        shown += "...";
    return "'" + shown + "'";
}

bool equalsIgnoringCase(std::string_view a, std::string_view b)
{
    return a.size() == b.size() && std::ranges::equal(a, b, [](char x, char y) {
        auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; };
        return lower(x) == lower(y);
    });
}

std::string_view trimSpaces(std::string_view text)
{
    while (!text.empty() && text.front() == ' ')
        text.remove_prefix(1);
    while (!text.empty() && text.back() == ' ')
        text.remove_suffix(1);
    return text;
}

// Streams decompressed lines out of htslib's BGZF reader, which also reads plain gzip and
// uncompressed files. A line longer than the limit is refused before it is stored.
class LineSource
{
public:
    LineSource(BGZF *file, std::size_t maxLineBytes)
        : m_file(file)
        , m_maxLineBytes(maxLineBytes)
    { }

    enum class Status { Line, End, TooLong, ReadFailed };

    // On Line, `line` holds the line without its "\n" or "\r\n".
    Status next(std::string &line)
    {
        line.clear();
        while (true) {
            if (m_position == m_filled) {
                if (m_atEnd)
                    return line.empty() && !m_pendingPartial ? Status::End : finishLine(line);
                const ssize_t got = bgzf_read(m_file, m_buffer.data(), m_buffer.size());
                if (got < 0)
                    return Status::ReadFailed;
                m_position = 0;
                m_filled = static_cast<std::size_t>(got);
                if (got == 0)
                    m_atEnd = true;
                continue;
            }
            const char *begin = m_buffer.data() + m_position;
            const char *end = m_buffer.data() + m_filled;
            const char *newline = std::find(begin, end, '\n');
            const auto piece = static_cast<std::size_t>(newline - begin);
            if (line.size() + piece > m_maxLineBytes + 1) // +1: a '\r' before the newline
                return Status::TooLong;
            line.append(begin, piece);
            m_position += piece;
            m_pendingPartial = true;
            if (newline != end) {
                ++m_position;
                return finishLine(line);
            }
        }
    }

private:
    Status finishLine(std::string &line)
    {
        m_pendingPartial = false;
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (line.size() > m_maxLineBytes)
            return Status::TooLong;
        return Status::Line;
    }

    BGZF *m_file;
    std::size_t m_maxLineBytes;
    std::vector<char> m_buffer = std::vector<char>(std::size_t { 1 } << 16);
    std::size_t m_position = 0;
    std::size_t m_filled = 0;
    bool m_atEnd = false;
    bool m_pendingPartial = false;
};

// Splits one line into cells (RFC 4180 quoting, within the line). On failure returns the detail
// and sets `badColumn` (1-based).
std::optional<std::string> splitCells(
    std::string_view line, char delimiter, std::vector<std::string> &cells, std::size_t &badColumn)
{
    cells.clear();
    std::size_t i = 0;
    while (true) {
        const std::size_t column = cells.size() + 1;
        std::string cell;
        // Leading spaces before an opening quote are tolerated, as spreadsheet exports write them.
        std::size_t start = i;
        while (start < line.size() && line[start] == ' ')
            ++start;
        if (start < line.size() && line[start] == '"') {
            i = start + 1;
            bool closed = false;
            while (i < line.size()) {
                if (line[i] == '"') {
                    if (i + 1 < line.size() && line[i + 1] == '"') {
                        cell += '"';
                        i += 2;
                        continue;
                    }
                    closed = true;
                    ++i;
                    break;
                }
                cell += line[i++];
            }
            if (!closed) {
                badColumn = column;
                return "unterminated quote (a quoted cell cannot span lines)";
            }
            while (i < line.size() && line[i] == ' ')
                ++i;
            if (i < line.size() && line[i] != delimiter) {
                badColumn = column;
                return "text after the closing quote";
            }
        } else {
            const std::size_t end = std::min(line.find(delimiter, i), line.size());
            const std::string_view raw = line.substr(i, end - i);
            if (raw.find('"') != std::string_view::npos) {
                badColumn = column;
                return "a quote inside an unquoted cell";
            }
            cell = std::string(trimSpaces(raw));
            i = end;
        }
        cells.push_back(std::move(cell));
        if (i >= line.size())
            return std::nullopt;
        ++i; // the delimiter
        if (i == line.size()) { // a trailing delimiter ends with one empty cell
            cells.emplace_back();
            return std::nullopt;
        }
    }
}

enum class CellParse { Number, Missing, NotANumber, OutOfRange };

CellParse parseCell(std::string_view text, double &value)
{
    if (text.empty() || text == "NA" || text == "NaN" || text == "nan" || text == "N/A" || text == "null"
        || text == "NULL")
        return CellParse::Missing;
    std::string_view digits = text;
    if (digits.front() == '+')
        digits.remove_prefix(1);
    // from_chars would take "inf" and "nan"; expression values must be finite numbers, digits first.
    if (digits.empty()
        || !(std::isdigit(static_cast<unsigned char>(digits.front())) || digits.front() == '.'
            || (digits.front() == '-' && digits.size() > 1 && digits.data() == text.data())))
        return CellParse::NotANumber;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec == std::errc::result_out_of_range)
        return CellParse::OutOfRange;
    if (ec != std::errc {} || end != digits.data() + digits.size())
        return CellParse::NotANumber;
    if (!std::isfinite(value))
        return CellParse::NotANumber;
    return CellParse::Number;
}

} // namespace

std::optional<std::size_t> ExpressionMatrix::probeIndex(std::string_view probeId) const
{
    const auto found = m_probeIndex.find(std::string(probeId));
    if (found == m_probeIndex.end())
        return std::nullopt;
    return found->second;
}

std::optional<std::size_t> ExpressionMatrix::sampleIndex(std::string_view sampleId) const
{
    const auto found = std::ranges::find(m_sampleIds, sampleId);
    if (found == m_sampleIds.end())
        return std::nullopt;
    return static_cast<std::size_t>(found - m_sampleIds.begin());
}

std::size_t ExpressionMatrix::missingCount() const
{
    return static_cast<std::size_t>(std::ranges::count_if(m_values, [](double v) { return std::isnan(v); }));
}

Result<ExpressionMatrix> ExpressionMatrix::fromValues(std::vector<std::string> probeIds,
    std::vector<std::string> sampleIds, std::vector<double> values, std::string sourceName)
{
    if (values.size() != probeIds.size() * sampleIds.size())
        return fail(ErrorCode::InvalidArgument,
            std::to_string(values.size()) + " values for " + std::to_string(probeIds.size()) + " probes x "
                + std::to_string(sampleIds.size()) + " samples",
            sourceName);
    ExpressionMatrix matrix;
    matrix.m_sourceName = std::move(sourceName);
    for (std::size_t i = 0; i < sampleIds.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (sampleIds[i] == sampleIds[j])
                return fail(ErrorCode::InvalidArgument,
                    "samples " + std::to_string(j + 1) + " and " + std::to_string(i + 1)
                        + " have the same id",
                    matrix.m_sourceName);
    for (std::size_t i = 0; i < probeIds.size(); ++i)
        if (!matrix.m_probeIndex.emplace(probeIds[i], i).second)
            return fail(ErrorCode::InvalidArgument, "probe " + shownText(probeIds[i]) + " appears twice",
                matrix.m_sourceName);
    matrix.m_probeIds = std::move(probeIds);
    matrix.m_sampleIds = std::move(sampleIds);
    matrix.m_values = std::move(values);
    return matrix;
}

ExpressionMatrix ExpressionMatrix::selectProbes(std::span<const std::size_t> probes) const
{
    ExpressionMatrix result;
    result.m_sourceName = m_sourceName;
    result.m_idColumnName = m_idColumnName;
    result.m_annotationNames = m_annotationNames;
    result.m_sampleIds = m_sampleIds;
    result.m_delimiter = m_delimiter;
    result.m_compressed = m_compressed;
    result.m_values.reserve(probes.size() * m_sampleIds.size());
    for (std::size_t probe : probes) {
        result.m_probeIndex.emplace(m_probeIds[probe], result.m_probeIds.size());
        result.m_probeIds.push_back(m_probeIds[probe]);
        if (!m_annotations.empty())
            result.m_annotations.push_back(m_annotations[probe]);
        const auto row = probeValues(probe);
        result.m_values.insert(result.m_values.end(), row.begin(), row.end());
    }
    return result;
}

ExpressionMatrix ExpressionMatrix::selectSamples(std::span<const std::size_t> samples) const
{
    ExpressionMatrix result = *this;
    result.m_sampleIds.clear();
    for (std::size_t sample : samples)
        result.m_sampleIds.push_back(m_sampleIds[sample]);
    result.m_values.assign(m_probeIds.size() * samples.size(), 0.0);
    for (std::size_t probe = 0; probe < m_probeIds.size(); ++probe)
        for (std::size_t s = 0; s < samples.size(); ++s)
            result.m_values[probe * samples.size() + s] = value(probe, samples[s]);
    return result;
}

Result<ExpressionMatrix> readExpressionMatrix(
    const std::filesystem::path &path, const ExpressionReadOptions &options)
{
    const ExpressionLimits &limits = options.limits;
    const std::string name = path.filename().string();
    if (auto usable = checkInputFile(path, "an expression matrix", ErrorCode::Unsupported); !usable)
        return std::unexpected(usable.error());

    // htslib's log would go to stderr; errors travel as values instead (see vcf_reader.cpp).
    hts_set_log_level(HTS_LOG_OFF);
    std::unique_ptr<BGZF, BgzfCloser> file(bgzf_open(path.string().c_str(), "r"));
    if (!file)
        return fail(ErrorCode::Malformed, "the file could not be opened for reading", name);

    ExpressionMatrix matrix;
    matrix.m_sourceName = name;
    matrix.m_compressed = bgzf_compression(file.get()) != 0;
    LineSource source(file.get(), limits.maxLineBytes);
    std::string line;
    std::size_t lineNumber = 0;
    auto lineLocation = [&] { return name + ", line " + std::to_string(lineNumber); };
    auto readLine = [&]() -> Result<bool> {
        ++lineNumber;
        switch (source.next(line)) {
        case LineSource::Status::Line:
            if (line.find('\0') != std::string::npos)
                return fail(
                    ErrorCode::Unsupported, "binary data, not a CSV or TSV text table", lineLocation());
            return true;
        case LineSource::Status::End: return false;
        case LineSource::Status::TooLong:
            return fail(ErrorCode::LimitExceeded,
                "the line is longer than the limit of " + std::to_string(limits.maxLineBytes) + " bytes",
                lineLocation());
        case LineSource::Status::ReadFailed:
            return fail(ErrorCode::Malformed,
                matrix.m_compressed ? "the compressed data is damaged or truncated"
                                    : "the file could not be read",
                lineLocation());
        }
        return false;
    };

    auto header = readLine();
    if (!header)
        return std::unexpected(header.error());
    if (!*header || line.empty())
        return fail(ErrorCode::Unsupported, "no header row", name + ", line 1");
    if (line.starts_with("\xEF\xBB\xBF")) // a UTF-8 byte order mark, as spreadsheet programs write
        line.erase(0, 3);
    matrix.m_delimiter
        = line.find('\t') != std::string::npos ? ExpressionDelimiter::Tab : ExpressionDelimiter::Comma;
    const char delimiter = matrix.m_delimiter == ExpressionDelimiter::Tab ? '\t' : ',';

    std::vector<std::string> cells;
    std::size_t badColumn = 0;
    if (auto problem = splitCells(line, delimiter, cells, badColumn))
        return fail(ErrorCode::Malformed, *problem, lineLocation() + ", column " + std::to_string(badColumn));
    matrix.m_idColumnName = cells.front();
    std::size_t firstSample = 1;
    while (firstSample < cells.size()
        && std::ranges::any_of(options.annotationColumns, [&](const std::string &annotation) {
               return equalsIgnoringCase(cells[firstSample], annotation);
           }))
        matrix.m_annotationNames.push_back(cells[firstSample++]);
    const std::size_t columns = cells.size();
    const std::size_t samples = columns - firstSample;
    if (samples == 0)
        return fail(ErrorCode::Unsupported,
            "the header has no sample columns (is it a CSV or TSV genes-by-samples matrix?)", lineLocation());
    if (samples > limits.maxSamples)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(samples) + " sample columns, more than the limit of "
                + std::to_string(limits.maxSamples),
            lineLocation());
    {
        // Sample ids are identifiers: a problem with one is reported by its column number only.
        std::unordered_map<std::string, std::size_t> seen;
        for (std::size_t c = firstSample; c < columns; ++c) {
            if (cells[c].empty())
                return fail(ErrorCode::Malformed, "empty sample id",
                    lineLocation() + ", column " + std::to_string(c + 1));
            const auto [where, inserted] = seen.emplace(cells[c], c);
            if (!inserted)
                return fail(ErrorCode::Malformed,
                    "the sample id of column " + std::to_string(c + 1) + " repeats that of column "
                        + std::to_string(where->second + 1),
                    lineLocation());
        }
    }
    matrix.m_sampleIds.assign(cells.begin() + static_cast<std::ptrdiff_t>(firstSample), cells.end());

    std::size_t blankLine = 0;
    std::vector<std::size_t> probeLine; // line of each probe, to name the first of two duplicates
    while (true) {
        auto got = readLine();
        if (!got)
            return std::unexpected(got.error());
        if (!*got)
            break;
        if (line.empty()) {
            if (blankLine == 0)
                blankLine = lineNumber;
            continue;
        }
        if (blankLine != 0)
            return fail(ErrorCode::Malformed, "empty line inside the table",
                name + ", line " + std::to_string(blankLine));
        if (matrix.m_probeIds.size() == limits.maxProbes)
            return fail(ErrorCode::LimitExceeded,
                "more probe rows than the limit of " + std::to_string(limits.maxProbes), lineLocation());
        if ((matrix.m_probeIds.size() + 1) > limits.maxCells / samples)
            return fail(ErrorCode::LimitExceeded,
                "more than the limit of " + std::to_string(limits.maxCells) + " expression values",
                lineLocation());
        if (auto problem = splitCells(line, delimiter, cells, badColumn))
            return fail(
                ErrorCode::Malformed, *problem, lineLocation() + ", column " + std::to_string(badColumn));
        if (cells.size() != columns)
            return fail(ErrorCode::Malformed,
                std::to_string(cells.size()) + " cells where the header has " + std::to_string(columns),
                lineLocation());
        if (cells.front().empty())
            return fail(ErrorCode::Malformed, "empty probe id", lineLocation() + ", column 1");
        const auto [where, inserted] = matrix.m_probeIndex.emplace(cells.front(), matrix.m_probeIds.size());
        if (!inserted)
            return fail(ErrorCode::Malformed,
                "probe " + shownText(cells.front()) + " repeats the probe of line "
                    + std::to_string(probeLine[where->second]),
                lineLocation());
        const std::string probeLocation = lineLocation() + " (probe " + shownText(cells.front()) + ")";
        for (std::size_t c = firstSample; c < columns; ++c) {
            double value = 0.0;
            switch (parseCell(cells[c], value)) {
            case CellParse::Number: matrix.m_values.push_back(value); break;
            case CellParse::Missing:
                matrix.m_values.push_back(std::numeric_limits<double>::quiet_NaN());
                break;
            case CellParse::NotANumber:
                return fail(ErrorCode::Malformed, "cell is not a number: " + shownText(cells[c]),
                    probeLocation + ", column " + std::to_string(c + 1));
            case CellParse::OutOfRange:
                return fail(ErrorCode::Malformed, "number out of range: " + shownText(cells[c]),
                    probeLocation + ", column " + std::to_string(c + 1));
            }
        }
        if (firstSample > 1)
            matrix.m_annotations.emplace_back(
                cells.begin() + 1, cells.begin() + static_cast<std::ptrdiff_t>(firstSample));
        matrix.m_probeIds.push_back(std::move(cells.front()));
        probeLine.push_back(lineNumber);
    }
    if (matrix.m_probeIds.empty())
        return fail(ErrorCode::Unsupported, "no probe rows after the header", name);
    return matrix;
}

} // namespace mosaic
