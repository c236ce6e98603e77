// SPDX-License-Identifier: Apache-2.0
#include "core/features/cohort_table.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace mosaic {

namespace {

// Column names are echoed in messages and locations; cap them so a hostile header cannot turn
// one error into megabytes of text.
constexpr std::size_t kMaxEchoedBytes = 60;

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";

// Spellings that statistics packages and spreadsheets write for "no value".
constexpr std::array<std::string_view, 4> kMissingTokens { "NA", "N/A", "NaN", "null" };

std::string echoed(std::string_view text)
{
    std::string shown;
    for (const char character : text.substr(0, kMaxEchoedBytes)) {
        const auto byte = static_cast<unsigned char>(character);
        shown += byte < 0x20 || byte == 0x7f ? '?' : character;
    }
    if (text.size() > kMaxEchoedBytes) {
        // Do not leave half a UTF-8 sequence before the ellipsis.
        while (!shown.empty() && (static_cast<unsigned char>(shown.back()) & 0xc0) == 0x80)
            shown.pop_back();
        if (!shown.empty() && static_cast<unsigned char>(shown.back()) >= 0xc0)
            shown.pop_back();
        shown += "...";
    }
    return shown;
}

bool isBlank(char character)
{
    return character == ' ' || character == '\t';
}

std::string_view trimmed(std::string_view text)
{
    while (!text.empty() && isBlank(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isBlank(text.back()))
        text.remove_suffix(1);
    return text;
}

bool equalsIgnoringCase(std::string_view left, std::string_view right)
{
    const auto lower = [](char character) {
        return character >= 'A' && character <= 'Z' ? static_cast<char>(character - 'A' + 'a') : character;
    };
    return left.size() == right.size()
        && std::equal(
            left.begin(), left.end(), right.begin(), [&](char a, char b) { return lower(a) == lower(b); });
}

std::string lineLocation(std::string_view sourceName, std::size_t line)
{
    return std::string(sourceName) + ", line " + std::to_string(line);
}

std::string columnLocation(std::string_view sourceName, std::size_t line, std::string_view columnName)
{
    return lineLocation(sourceName, line) + ", column '" + echoed(columnName) + "'";
}

// For cells whose column has no usable name yet (the header row itself): 1-based position.
std::string columnNumberLocation(std::string_view sourceName, std::size_t line, std::size_t cellIndex)
{
    return lineLocation(sourceName, line) + ", column " + std::to_string(cellIndex + 1);
}

// A cell's number, NaN for a missing-value token, or why it is neither. The cell text is never
// part of the reason: a mis-declared column may hold names or identifiers.
std::expected<float, std::string> parseCell(std::string_view cell)
{
    cell = trimmed(cell);
    if (cell.empty())
        return std::numeric_limits<float>::quiet_NaN();
    for (const std::string_view token : kMissingTokens)
        if (equalsIgnoringCase(cell, token))
            return std::numeric_limits<float>::quiet_NaN();

    // std::from_chars is locale-independent (a German locale must not turn "1.5" into 15) but
    // refuses a leading '+', which spreadsheets write for signed values.
    std::string_view number = cell;
    if (number.starts_with('+') && number.size() > 1 && number[1] != '-')
        number.remove_prefix(1);
    double value = 0.0;
    const auto [end, status] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (status == std::errc::invalid_argument || end != number.data() + number.size())
        return std::unexpected(std::string("cell is not a number"));
    if (status == std::errc::result_out_of_range)
        return std::unexpected(std::string("number is out of range"));
    if (!std::isfinite(value))
        return std::unexpected(
            std::string("cell is infinite or not a number; leave it empty or write NA for a missing value"));
    // XGBoost stores features as 32-bit floats; a larger magnitude would silently become infinity.
    if (std::abs(value) > static_cast<double>(std::numeric_limits<float>::max()))
        return std::unexpected(std::string("number is too large for a 32-bit feature value"));
    return static_cast<float>(value);
}

struct CsvSyntaxError
{
    std::size_t line = 0;
    std::size_t cellIndex = 0; // 0-based position in the record
    std::string detail;
};

struct CsvRecord
{
    std::size_t line = 0; // where the record starts; a quoted cell may span several lines
    std::size_t cellCount = 0; // all cells, including any not stored
    bool blank = false; // nothing but spaces or tabs, unquoted
};

// RFC 4180 records, with two leniencies that spreadsheet exports need: spaces or tabs may stand
// before an opening quote and after a closing one. Everything else the RFC forbids is refused,
// because a stray quote usually means the rest of the file would be split in the wrong places.
class CsvRecordReader
{
public:
    explicit CsvRecordReader(std::string_view text)
        : m_text(text)
    { }

    // Stores at most `maxStoredCells` cells in `cells` but counts them all, so a row with a
    // million cells costs no more memory than the expected count. No value at the end of the text.
    std::expected<std::optional<CsvRecord>, CsvSyntaxError> next(
        std::vector<std::string> &cells, std::size_t maxStoredCells)
    {
        cells.clear();
        if (m_position >= m_text.size())
            return std::nullopt;

        CsvRecord record;
        record.line = m_line;
        bool lastCellBlank = false;
        bool anyQuoted = false;
        while (true) {
            bool quoted = false;
            const auto fieldEnd = readField(record.cellCount, quoted);
            if (!fieldEnd)
                return std::unexpected(fieldEnd.error());
            anyQuoted = anyQuoted || quoted;
            lastCellBlank = trimmed(m_field).empty();
            if (record.cellCount < maxStoredCells)
                cells.push_back(m_field);
            ++record.cellCount;
            if (*fieldEnd == FieldEnd::Record)
                break;
        }
        record.blank = record.cellCount == 1 && !anyQuoted && lastCellBlank;
        return record;
    }

private:
    enum class FieldEnd { Comma, Record };

    std::expected<FieldEnd, CsvSyntaxError> readField(std::size_t cellIndex, bool &quoted)
    {
        m_field.clear();
        while (m_position < m_text.size()) {
            const auto special = m_text.find_first_of(",\n\r\"", m_position);
            const auto runEnd = special == std::string_view::npos ? m_text.size() : special;
            m_field.append(m_text.substr(m_position, runEnd - m_position));
            m_position = runEnd;
            if (m_position == m_text.size())
                break;

            switch (m_text[m_position]) {
            case ',': ++m_position; return FieldEnd::Comma;
            case '\n':
                ++m_position;
                ++m_line;
                return FieldEnd::Record;
            case '\r':
                if (m_position + 1 < m_text.size() && m_text[m_position + 1] == '\n') {
                    m_position += 2;
                    ++m_line;
                    return FieldEnd::Record;
                }
                return std::unexpected(CsvSyntaxError { m_line, cellIndex,
                    "carriage return without a line feed; save the file "
                    "with LF or CRLF line ends" });
            default: // '"'
                if (quoted || !trimmed(m_field).empty())
                    return std::unexpected(CsvSyntaxError { m_line, cellIndex,
                        "quote inside an unquoted cell; quote the whole cell and double the quotes in it" });
                quoted = true;
                if (auto closed = readQuoted(cellIndex); !closed)
                    return std::unexpected(closed.error());
                break;
            }
        }
        return FieldEnd::Record; // the end of the text ends the last record
    }

    // Reads from an opening quote through its closing quote; only blanks may follow before the
    // next separator.
    std::expected<void, CsvSyntaxError> readQuoted(std::size_t cellIndex)
    {
        const std::size_t openingLine = m_line;
        m_field.clear(); // blanks before the opening quote are not content
        ++m_position;
        while (true) {
            const auto quote = m_text.find('"', m_position);
            if (quote == std::string_view::npos)
                return std::unexpected(CsvSyntaxError {
                    openingLine, cellIndex, "quoted cell is not closed before the end of the file" });
            const auto run = m_text.substr(m_position, quote - m_position);
            m_line += static_cast<std::size_t>(std::ranges::count(run, '\n'));
            m_field.append(run);
            m_position = quote + 1;
            if (m_position < m_text.size() && m_text[m_position] == '"') { // "" is one literal quote
                m_field.push_back('"');
                ++m_position;
                continue;
            }
            break;
        }
        while (m_position < m_text.size() && isBlank(m_text[m_position]))
            ++m_position;
        if (m_position < m_text.size() && m_text[m_position] != ',' && m_text[m_position] != '\n'
            && m_text[m_position] != '\r')
            return std::unexpected(
                CsvSyntaxError { m_line, cellIndex, "text after the closing quote of a quoted cell" });
        return {};
    }

    std::string_view m_text;
    std::size_t m_position = 0;
    std::size_t m_line = 1;
    std::string m_field; // reused across cells to avoid one allocation per cell
};

enum class ColumnRole { Feature, Id, Label, Ignored };

std::optional<std::size_t> findColumn(const std::vector<std::string> &names, std::string_view wanted)
{
    const auto found = std::ranges::find(names, wanted);
    if (found == names.end())
        return std::nullopt;
    return static_cast<std::size_t>(found - names.begin());
}

std::unordered_map<std::string_view, std::size_t> columnIndexByName(const std::vector<std::string> &columns)
{
    std::unordered_map<std::string_view, std::size_t> indexByName;
    indexByName.reserve(columns.size());
    for (std::size_t index = 0; index < columns.size(); ++index)
        indexByName.emplace(columns[index], index);
    return indexByName;
}

} // namespace

Result<RowMatrixXf> CohortTable::select(const FeatureSchema &schema) const
{
    const auto indexByName = columnIndexByName(featureColumns);
    RowMatrixXf selected(features.rows(), static_cast<Eigen::Index>(schema.size()));
    for (std::size_t feature = 0; feature < schema.size(); ++feature) {
        const std::string &name = schema.at(feature).name;
        const auto column = indexByName.find(name);
        if (column == indexByName.end())
            return fail(ErrorCode::NotFound,
                "no feature column '" + echoed(name) + "' for feature " + std::to_string(feature + 1)
                    + " of the schema",
                sourceName);
        selected.col(static_cast<Eigen::Index>(feature))
            = features.col(static_cast<Eigen::Index>(column->second));
    }
    return selected;
}

Result<FeatureVector> CohortTable::featureVector(
    std::size_t row, std::shared_ptr<const FeatureSchema> schema) const
{
    if (!schema)
        return fail(ErrorCode::InvalidArgument, "no feature schema given", sourceName);
    if (row >= rows())
        return fail(ErrorCode::InvalidArgument,
            "row " + std::to_string(row) + " is out of range; the table has " + std::to_string(rows())
                + " rows",
            sourceName);

    const auto indexByName = columnIndexByName(featureColumns);
    FeatureVector vector(schema);
    for (std::size_t feature = 0; feature < schema->size(); ++feature) {
        const std::string &name = schema->at(feature).name;
        const auto column = indexByName.find(name);
        if (column == indexByName.end())
            return fail(ErrorCode::NotFound,
                "no feature column '" + echoed(name) + "' for feature " + std::to_string(feature + 1)
                    + " of the schema",
                sourceName);
        // A missing cell keeps its provenance too: the explanation can point at the empty cell.
        vector.set(feature,
            static_cast<double>(
                features(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(column->second))),
            Provenance {
                sourceName, "line " + std::to_string(lineNumbers.at(row)) + ", column '" + name + "'" });
    }
    return vector;
}

Result<CohortTable> parseCohortTable(
    std::string_view text, std::string_view sourceName, const CohortTableOptions &options)
{
    const std::string source(sourceName);
    if (text.size() > options.maxBytes)
        return fail(ErrorCode::LimitExceeded,
            "the table is " + std::to_string(text.size()) + " bytes, more than the limit of "
                + std::to_string(options.maxBytes),
            source);
    if (options.idColumn && options.labelColumn && *options.idColumn == *options.labelColumn)
        return fail(
            ErrorCode::InvalidArgument, "the id column and the label column are the same column", source);

    if (text.starts_with("\xFF\xFE") || text.starts_with("\xFE\xFF"))
        return fail(ErrorCode::Unsupported, "the file is UTF-16 text; save the table as UTF-8 CSV", source);
    if (text.starts_with(kUtf8ByteOrderMark))
        text.remove_prefix(kUtf8ByteOrderMark.size());

    CsvRecordReader reader(text);
    std::vector<std::string> cells;
    std::vector<std::string> columns;
    // Blank lines are fine at the end of a file (editors add them) but not inside the table,
    // where one usually means a row was lost. In a one-column table an empty unquoted cell reads
    // as a blank line; write NA there instead.
    std::optional<std::size_t> pendingBlankLine;
    const auto nextRecord = [&](std::size_t maxStoredCells) -> Result<std::optional<CsvRecord>> {
        while (true) {
            auto record = reader.next(cells, maxStoredCells);
            if (!record) {
                const CsvSyntaxError &syntax = record.error();
                return fail(ErrorCode::Malformed, syntax.detail,
                    syntax.cellIndex < columns.size()
                        ? columnLocation(source, syntax.line, columns[syntax.cellIndex])
                        : columnNumberLocation(source, syntax.line, syntax.cellIndex));
            }
            if (!*record)
                return std::nullopt;
            if ((*record)->blank) {
                if (!pendingBlankLine)
                    pendingBlankLine = (*record)->line;
                continue;
            }
            if (pendingBlankLine)
                return fail(ErrorCode::Malformed,
                    "blank line inside the table; only trailing blank lines are allowed",
                    lineLocation(source, *pendingBlankLine));
            return *record;
        }
    };

    // The header.
    const auto header = nextRecord(options.maxColumns);
    if (!header)
        return std::unexpected(header.error());
    if (!*header)
        return fail(ErrorCode::Malformed, "the file is empty", source);
    const std::size_t headerLine = (*header)->line;
    if ((*header)->cellCount > options.maxColumns)
        return fail(ErrorCode::LimitExceeded,
            "the header has " + std::to_string((*header)->cellCount) + " columns, more than the limit of "
                + std::to_string(options.maxColumns),
            lineLocation(source, headerLine));

    std::unordered_map<std::string_view, std::size_t> columnByName;
    columnByName.reserve(cells.size());
    for (auto &cell : cells)
        columns.emplace_back(trimmed(cell));
    for (std::size_t index = 0; index < columns.size(); ++index) {
        if (columns[index].empty())
            return fail(ErrorCode::Malformed, "the column has no name",
                columnNumberLocation(source, headerLine, index));
        const auto [existing, inserted] = columnByName.emplace(columns[index], index);
        if (!inserted)
            return fail(ErrorCode::Malformed,
                "duplicate column name '" + echoed(columns[index]) + "' (same as column "
                    + std::to_string(existing->second + 1) + ")",
                columnNumberLocation(source, headerLine, index));
    }

    std::optional<std::size_t> idIndex;
    if (options.idColumn) {
        idIndex = findColumn(columns, *options.idColumn);
        if (!idIndex)
            return fail(ErrorCode::NotFound,
                "the header has no id column '" + echoed(*options.idColumn) + "'",
                lineLocation(source, headerLine));
    }
    // labelRequired applies only when a label column is named; without one there is nothing to require.
    std::optional<std::size_t> labelIndex;
    if (options.labelColumn) {
        labelIndex = findColumn(columns, *options.labelColumn);
        if (!labelIndex && options.labelRequired)
            return fail(ErrorCode::NotFound,
                "the header has no label column '" + echoed(*options.labelColumn) + "'",
                lineLocation(source, headerLine));
    }

    CohortTable table;
    table.sourceName = source;
    std::vector<ColumnRole> roles(columns.size(), ColumnRole::Feature);
    for (const std::string &ignored : options.ignoredColumns)
        if (const auto index = findColumn(columns, ignored))
            roles[*index] = ColumnRole::Ignored;
    if (idIndex)
        roles[*idIndex] = ColumnRole::Id;
    if (labelIndex)
        roles[*labelIndex] = ColumnRole::Label;
    for (std::size_t index = 0; index < columns.size(); ++index)
        if (roles[index] == ColumnRole::Feature)
            table.featureColumns.push_back(columns[index]);

    // The rows. Storage grows one row at a time, each bounded by the header's width.
    std::vector<float> values;
    std::vector<float> labels;
    std::unordered_map<std::string, std::size_t> lineById;
    while (true) {
        const auto record = nextRecord(columns.size());
        if (!record)
            return std::unexpected(record.error());
        if (!*record)
            break;
        const std::size_t line = (*record)->line;
        if (table.rows() == options.maxRows)
            return fail(ErrorCode::LimitExceeded,
                "the table has more than " + std::to_string(options.maxRows) + " data rows",
                lineLocation(source, line));
        if ((*record)->cellCount != columns.size())
            return fail(ErrorCode::Malformed,
                "the row has " + std::to_string((*record)->cellCount) + " cells, the header has "
                    + std::to_string(columns.size()),
                lineLocation(source, line));

        std::string id = std::to_string(line);
        for (std::size_t index = 0; index < columns.size(); ++index) {
            switch (roles[index]) {
            case ColumnRole::Ignored: break;
            case ColumnRole::Id: {
                id = std::string(trimmed(cells[index]));
                if (id.empty())
                    return fail(
                        ErrorCode::Malformed, "empty id", columnLocation(source, line, columns[index]));
                // The id itself stays out of the message: it identifies a patient.
                const auto [existing, inserted] = lineById.emplace(id, line);
                if (!inserted)
                    return fail(ErrorCode::Malformed,
                        "duplicate id (same as line " + std::to_string(existing->second) + ")",
                        columnLocation(source, line, columns[index]));
                break;
            }
            case ColumnRole::Label: {
                const auto label = parseCell(cells[index]);
                if (!label)
                    return fail(ErrorCode::Malformed, "label: " + label.error(),
                        columnLocation(source, line, columns[index]));
                if (std::isnan(*label) && options.labelRequired)
                    return fail(
                        ErrorCode::Malformed, "missing label", columnLocation(source, line, columns[index]));
                labels.push_back(*label);
                break;
            }
            case ColumnRole::Feature: {
                const auto value = parseCell(cells[index]);
                if (!value)
                    return fail(
                        ErrorCode::Malformed, value.error(), columnLocation(source, line, columns[index]));
                values.push_back(*value);
                break;
            }
            }
        }
        table.ids.push_back(std::move(id));
        table.lineNumbers.push_back(line);
    }
    if (table.rows() == 0)
        return fail(ErrorCode::Malformed, "the file has a header but no data rows", source);

    const auto rowCount = static_cast<Eigen::Index>(table.rows());
    table.features = Eigen::Map<const RowMatrixXf>(
        values.data(), rowCount, static_cast<Eigen::Index>(table.featureColumns.size()));
    if (labelIndex)
        table.labels = Eigen::Map<const Eigen::VectorXf>(labels.data(), rowCount);
    return table;
}

Result<CohortTable> readCohortTable(const std::filesystem::path &path, const CohortTableOptions &options)
{
    // File name only: directories may carry a patient's or a project's name.
    const std::string name = path.filename().string();
    std::error_code status;
    if (!std::filesystem::exists(path, status))
        return fail(ErrorCode::NotFound, "the file does not exist", name);
    // Devices and pipes have no size to check and may never end.
    if (!std::filesystem::is_regular_file(path, status))
        return fail(ErrorCode::NotFound, "not a regular file", name);
    const auto size = std::filesystem::file_size(path, status);
    if (status)
        return fail(ErrorCode::NotFound, "cannot read the file size: " + status.message(), name);
    if (size > options.maxBytes)
        return fail(ErrorCode::LimitExceeded,
            "the file is " + std::to_string(size) + " bytes, more than the limit of "
                + std::to_string(options.maxBytes),
            name);

    std::ifstream stream(path, std::ios::binary);
    if (!stream)
        return fail(ErrorCode::NotFound, "the file cannot be opened", name);
    std::string text(static_cast<std::size_t>(size), '\0');
    stream.read(text.data(), static_cast<std::streamsize>(text.size()));
    // The file may have shrunk since its size was read; never trust the bytes past what arrived.
    text.resize(static_cast<std::size_t>(stream.gcount()));
    return parseCohortTable(text, name, options);
}

} // namespace mosaic
