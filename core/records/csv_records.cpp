// SPDX-License-Identifier: Apache-2.0
#include "core/records/csv_records.h"

#include "core/input_file.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <string>
#include <unordered_map>

namespace mosaic::records {

namespace {

// The columns of the format, in the order the README lists them.
enum Column : std::size_t {
    Patient,
    Time,
    System,
    Code,
    Value,
    Unit,
    Kind,
    Display,
    End,
    Category,
    ColumnCount
};

constexpr std::array<std::string_view, ColumnCount> kColumnNames { "patient", "time", "system", "code",
    "value", "unit", "kind", "display", "end", "category" };
constexpr std::size_t kRequiredColumns = 6;

constexpr std::string_view kObservationCategorySystem
    = "http://terminology.hl7.org/CodeSystem/observation-category";

enum class RowKind { Observation, Condition, Medication, Procedure, Encounter, BirthDate, Gender };

std::optional<RowKind> rowKind(std::string_view text)
{
    if (text.empty() || text == "observation")
        return RowKind::Observation;
    if (text == "condition")
        return RowKind::Condition;
    if (text == "medication")
        return RowKind::Medication;
    if (text == "procedure")
        return RowKind::Procedure;
    if (text == "encounter")
        return RowKind::Encounter;
    if (text == "birthdate")
        return RowKind::BirthDate;
    if (text == "gender")
        return RowKind::Gender;
    return std::nullopt;
}

std::string_view trimmed(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string_view::npos)
        return {};
    const auto last = text.find_last_not_of(" \t");
    return text.substr(first, last - first + 1);
}

// One CSV record: its cells and the line it starts on (a quoted cell may span lines).
struct CsvRow
{
    std::vector<std::string> cells;
    std::size_t line = 0;
    bool blank = false; // a line with nothing but spaces or tabs
};

struct SyntaxError
{
    std::size_t line = 0;
    std::size_t cell = 0; // 0-based index of the cell in its row
    std::string detail;
    ErrorCode code = ErrorCode::Malformed;
};

// RFC 4180 records: cells separated by commas, records by LF or CRLF, a cell quoted with '"' may
// hold commas, line breaks and doubled quotes. Blanks around a quoted cell are tolerated; a quote
// inside an unquoted cell or text after a closing quote is refused, because either usually means
// the rest of the file would be split in the wrong places.
class CsvTokenizer
{
public:
    CsvTokenizer(std::string_view text, std::size_t maxFieldBytes)
        : m_text(text)
        , m_maxFieldBytes(maxFieldBytes)
    { }

    [[nodiscard]] bool atEnd() const { return m_position >= m_text.size(); }

    std::expected<CsvRow, SyntaxError> next()
    {
        CsvRow row;
        row.line = m_line;
        bool anyQuoted = false;
        while (true) {
            bool quoted = false;
            auto cell = readCell(row.cells.size(), quoted);
            if (!cell)
                return std::unexpected(cell.error());
            anyQuoted = anyQuoted || quoted;
            row.cells.push_back(std::move(cell->text));
            if (cell->endsRecord)
                break;
        }
        row.blank = !anyQuoted && row.cells.size() == 1 && trimmed(row.cells.front()).empty();
        return row;
    }

private:
    struct Cell
    {
        std::string text;
        bool endsRecord = false;
    };

    std::expected<Cell, SyntaxError> readCell(std::size_t cellIndex, bool &quoted)
    {
        Cell cell;
        while (m_position < m_text.size()) {
            const char c = m_text[m_position];
            if (c == ',') {
                ++m_position;
                return cell;
            }
            if (c == '\n' || c == '\r') {
                consumeLineEnd();
                cell.endsRecord = true;
                return cell;
            }
            if (c == '"') {
                if (quoted || !trimmed(cell.text).empty())
                    return std::unexpected(SyntaxError { m_line, cellIndex,
                        "a quote inside an unquoted cell; quote the whole cell and double the quotes in "
                        "it" });
                quoted = true;
                if (auto closed = readQuoted(cellIndex, cell.text); !closed)
                    return std::unexpected(closed.error());
                continue;
            }
            if (quoted && c != ' ' && c != '\t')
                return std::unexpected(
                    SyntaxError { m_line, cellIndex, "text after the closing quote of a quoted cell" });
            if (!quoted)
                cell.text.push_back(c);
            ++m_position;
            if (cell.text.size() > m_maxFieldBytes)
                return std::unexpected(tooLong(cellIndex));
        }
        cell.endsRecord = true;
        return cell;
    }

    std::expected<void, SyntaxError> readQuoted(std::size_t cellIndex, std::string &text)
    {
        const std::size_t openingLine = m_line;
        text.clear(); // blanks before the opening quote are not content
        ++m_position;
        while (true) {
            const auto quote = m_text.find('"', m_position);
            if (quote == std::string_view::npos)
                return std::unexpected(SyntaxError {
                    openingLine, cellIndex, "a quoted cell is not closed before the end of the file" });
            const auto run = m_text.substr(m_position, quote - m_position);
            if (text.size() + run.size() > m_maxFieldBytes)
                return std::unexpected(tooLong(cellIndex));
            m_line += static_cast<std::size_t>(std::ranges::count(run, '\n'));
            text.append(run);
            m_position = quote + 1;
            if (m_position < m_text.size() && m_text[m_position] == '"') { // "" is one literal quote
                text.push_back('"');
                ++m_position;
                continue;
            }
            return {};
        }
    }

    void consumeLineEnd()
    {
        if (m_text[m_position] == '\r' && m_position + 1 < m_text.size() && m_text[m_position + 1] == '\n')
            ++m_position;
        ++m_position;
        ++m_line;
    }

    SyntaxError tooLong(std::size_t cellIndex) const
    {
        return SyntaxError { m_line, cellIndex,
            "a cell is longer than the limit of " + std::to_string(m_maxFieldBytes) + " bytes",
            ErrorCode::LimitExceeded };
    }

    std::string_view m_text;
    std::size_t m_maxFieldBytes;
    std::size_t m_position = 0;
    std::size_t m_line = 1;
};

std::optional<double> parseNumber(std::string_view text)
{
    if (!text.empty() && text.front() == '+')
        text.remove_prefix(1);
    if (text.empty())
        return std::nullopt;
    double value = 0.0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc {} || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

class RowReader
{
public:
    RowReader(std::string_view sourceName, const std::array<std::optional<std::size_t>, ColumnCount> &columns)
        : m_sourceName(sourceName)
        , m_columns(columns)
    { }

    std::string where(std::size_t line, Column column) const
    {
        return m_sourceName + ", line " + std::to_string(line) + ", column '"
            + std::string(kColumnNames[column]) + "'";
    }

    std::string_view cell(const CsvRow &row, Column column) const
    {
        const auto index = m_columns[column];
        return index ? trimmed(row.cells[*index]) : std::string_view {};
    }

    std::unexpected<Error> refuse(const CsvRow &row, Column column, std::string detail) const
    {
        return fail(ErrorCode::Malformed, std::move(detail), where(row.line, column));
    }

    // The columns a kind does not use must be empty, so a row never says more than the record keeps.
    Result<void> requireEmpty(
        const CsvRow &row, std::initializer_list<Column> columns, std::string_view kind) const
    {
        for (const Column column : columns) {
            if (!cell(row, column).empty())
                return refuse(row, column, "must be empty in a row of kind '" + std::string(kind) + "'");
        }
        return {};
    }

    Result<std::optional<ClinicalTime>> time(const CsvRow &row, Column column) const
    {
        const auto text = cell(row, column);
        if (text.empty())
            return std::optional<ClinicalTime> {};
        auto parsed = parseClinicalTime(text);
        if (!parsed)
            return refuse(row, column,
                "not a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a zone)");
        return parsed;
    }

    Result<CodeableConcept> codedConcept(const CsvRow &row, bool required, std::string_view kind) const
    {
        const auto system = cell(row, System);
        const auto code = cell(row, Code);
        CodeableConcept coded;
        if (system.empty() && code.empty() && !required) {
            if (auto empty = requireEmpty(row, { Display }, std::string(kind) + " without a code"); !empty)
                return std::unexpected(empty.error());
            return coded;
        }
        if (code.empty())
            return refuse(row, Code, "a " + std::string(kind) + " row needs a code");
        if (system.empty())
            return refuse(row, System, "a code needs its code system (a name such as LOINC or a URI)");
        coded.codings.push_back(
            Coding { canonicalCodeSystem(system), std::string(code), std::string(cell(row, Display)) });
        return coded;
    }

    RecordSource source(const CsvRow &row) const
    {
        return RecordSource { m_sourceName, "csv", "line " + std::to_string(row.line) };
    }

private:
    std::string m_sourceName;
    std::array<std::optional<std::size_t>, ColumnCount> m_columns;
};

// Adds one row to `record`. Every kind's rules are in the README table; this is that table.
Result<void> addRow(const RowReader &reader, const CsvRow &row, PatientRecord &record)
{
    const auto kind = rowKind(reader.cell(row, Kind));
    if (!kind)
        return reader.refuse(row, Kind,
            "not a record kind (observation, condition, medication, procedure, encounter, birthdate, "
            "gender)");
    // The time and end columns of a row that spans a period, the end not before the start.
    struct Span
    {
        std::optional<ClinicalTime> start;
        std::optional<ClinicalTime> end;
    };
    auto readSpan = [&]() -> Result<Span> {
        auto start = reader.time(row, Time);
        if (!start)
            return std::unexpected(start.error());
        auto end = reader.time(row, End);
        if (!end)
            return std::unexpected(end.error());
        if (*start && *end && (*end)->utcSeconds < (*start)->utcSeconds)
            return reader.refuse(row, End, "the end is before the time the row starts");
        return Span { std::move(*start), std::move(*end) };
    };
    switch (*kind) {
    case RowKind::Observation: {
        if (auto empty = reader.requireEmpty(row, { End }, "observation"); !empty)
            return empty;
        auto code = reader.codedConcept(row, true, "observation");
        if (!code)
            return std::unexpected(code.error());
        auto effective = reader.time(row, Time);
        if (!effective)
            return std::unexpected(effective.error());
        Observation observation;
        observation.source = reader.source(row);
        observation.status = "final";
        observation.code = std::move(*code);
        observation.effective = std::move(*effective);
        if (const auto category = reader.cell(row, Category); !category.empty()) {
            CodeableConcept coded;
            coded.codings.push_back(
                Coding { std::string(kObservationCategorySystem), std::string(category), {} });
            observation.category.push_back(std::move(coded));
        }
        const auto value = reader.cell(row, Value);
        const auto unit = reader.cell(row, Unit);
        if (const auto number = parseNumber(value)) {
            Quantity quantity;
            quantity.value = *number;
            quantity.unit = std::string(unit);
            quantity.displayUnit = std::string(unit);
            if (!unit.empty())
                quantity.system = std::string(kUcumSystem);
            observation.quantity = std::move(quantity);
        } else {
            if (!unit.empty())
                return reader.refuse(row, Unit, "a unit is given but the value is not a number");
            if (!value.empty())
                observation.text = std::string(value);
        }
        record.observations.push_back(std::move(observation));
        return {};
    }
    case RowKind::Condition: {
        if (auto empty = reader.requireEmpty(row, { Value, Unit, Category }, "condition"); !empty)
            return empty;
        auto code = reader.codedConcept(row, true, "condition");
        if (!code)
            return std::unexpected(code.error());
        auto span = readSpan();
        if (!span)
            return std::unexpected(span.error());
        Condition condition;
        condition.source = reader.source(row);
        condition.code = std::move(*code);
        condition.onset = std::move(span->start);
        condition.abatement = std::move(span->end);
        record.conditions.push_back(std::move(condition));
        return {};
    }
    case RowKind::Medication: {
        if (auto empty = reader.requireEmpty(row, { Value, Unit, Category }, "medication"); !empty)
            return empty;
        auto code = reader.codedConcept(row, true, "medication");
        if (!code)
            return std::unexpected(code.error());
        auto span = readSpan();
        if (!span)
            return std::unexpected(span.error());
        MedicationRecord medication;
        medication.source = reader.source(row);
        medication.kind = MedicationRecord::Kind::Statement;
        medication.medication = std::move(*code);
        medication.start = std::move(span->start);
        medication.end = std::move(span->end);
        record.medications.push_back(std::move(medication));
        return {};
    }
    case RowKind::Procedure: {
        if (auto empty = reader.requireEmpty(row, { Value, Unit, End, Category }, "procedure"); !empty)
            return empty;
        auto code = reader.codedConcept(row, true, "procedure");
        if (!code)
            return std::unexpected(code.error());
        auto performed = reader.time(row, Time);
        if (!performed)
            return std::unexpected(performed.error());
        Procedure procedure;
        procedure.source = reader.source(row);
        procedure.code = std::move(*code);
        procedure.performed = std::move(*performed);
        record.procedures.push_back(std::move(procedure));
        return {};
    }
    case RowKind::Encounter: {
        if (auto empty = reader.requireEmpty(row, { Value, Unit, Category }, "encounter"); !empty)
            return empty;
        auto type = reader.codedConcept(row, false, "encounter");
        if (!type)
            return std::unexpected(type.error());
        auto span = readSpan();
        if (!span)
            return std::unexpected(span.error());
        Encounter encounter;
        encounter.source = reader.source(row);
        if (!type->codings.empty())
            encounter.type.push_back(std::move(*type));
        encounter.start = std::move(span->start);
        encounter.end = std::move(span->end);
        record.encounters.push_back(std::move(encounter));
        return {};
    }
    case RowKind::BirthDate: {
        if (auto empty
            = reader.requireEmpty(row, { System, Code, Value, Unit, Display, End, Category }, "birthdate");
            !empty)
            return empty;
        auto birth = reader.time(row, Time);
        if (!birth)
            return std::unexpected(birth.error());
        if (!*birth)
            return reader.refuse(row, Time, "a birthdate row needs the date in this column");
        if (record.patient.birthDate)
            return reader.refuse(row, Time, "a second birthdate row for the same patient");
        record.patient.birthDate = std::move(*birth);
        return {};
    }
    case RowKind::Gender: {
        if (auto empty
            = reader.requireEmpty(row, { Time, System, Code, Unit, Display, End, Category }, "gender");
            !empty)
            return empty;
        const auto gender = reader.cell(row, Value);
        if (gender != "male" && gender != "female" && gender != "other" && gender != "unknown")
            return reader.refuse(row, Value, "a gender row holds male, female, other or unknown");
        if (!record.patient.gender.empty())
            return reader.refuse(row, Value, "a second gender row for the same patient");
        record.patient.gender = std::string(gender);
        return {};
    }
    }
    return {};
}

} // namespace

Result<std::vector<PatientRecord>> parseCsvRecords(
    std::string_view text, std::string_view sourceName, const CsvRecordLimits &limits)
{
    const std::string name(sourceName);
    if (text.size() > limits.maxBytes)
        return fail(ErrorCode::LimitExceeded,
            "the file is larger than the limit of " + std::to_string(limits.maxBytes) + " bytes", name);
    if (text.starts_with("\xEF\xBB\xBF"))
        text.remove_prefix(3);
    if (trimmed(text).find_first_not_of("\r\n") == std::string_view::npos)
        return fail(ErrorCode::Malformed, "the file is empty, not long-format CSV records", name);

    CsvTokenizer tokenizer(text, limits.maxFieldBytes);
    auto syntaxError = [&](const SyntaxError &error, const std::vector<std::string> *header) {
        std::string where = name + ", line " + std::to_string(error.line);
        if (header && error.cell < header->size())
            where += ", column '" + (*header)[error.cell] + "'";
        else
            where += ", cell " + std::to_string(error.cell + 1);
        return fail(error.code, error.detail, where);
    };

    // The header: the first line that is not blank.
    std::optional<CsvRow> headerRow;
    while (!headerRow && !tokenizer.atEnd()) {
        auto row = tokenizer.next();
        if (!row)
            return syntaxError(row.error(), nullptr);
        if (!row->blank)
            headerRow = std::move(*row);
    }
    if (!headerRow)
        return fail(ErrorCode::Malformed, "the file is empty, not long-format CSV records", name);
    std::vector<std::string> header;
    std::array<std::optional<std::size_t>, ColumnCount> columns {};
    for (std::size_t index = 0; index < headerRow->cells.size(); ++index) {
        const std::string column(trimmed(headerRow->cells[index]));
        const std::string where
            = name + ", line " + std::to_string(headerRow->line) + ", cell " + std::to_string(index + 1);
        const auto known = std::ranges::find(kColumnNames, column);
        if (known == kColumnNames.end())
            return fail(ErrorCode::Malformed,
                "not a column of long-format CSV records (patient, time, system, code, value, unit, kind, "
                "display, end, category); the header is required",
                where);
        const auto position = static_cast<std::size_t>(known - kColumnNames.begin());
        if (columns[position])
            return fail(ErrorCode::Malformed, "the column '" + column + "' appears twice", where);
        columns[position] = index;
        header.push_back(column);
    }
    for (std::size_t required = 0; required < kRequiredColumns; ++required) {
        if (!columns[required])
            return fail(ErrorCode::Malformed,
                "the header lacks the required column '" + std::string(kColumnNames[required]) + "'",
                name + ", line " + std::to_string(headerRow->line));
    }

    RowReader reader(sourceName, columns);
    std::vector<PatientRecord> patients;
    std::unordered_map<std::string, std::size_t> patientIndex;
    std::size_t rows = 0;
    while (!tokenizer.atEnd()) {
        auto row = tokenizer.next();
        if (!row)
            return syntaxError(row.error(), &header);
        if (row->blank)
            continue;
        if (row->cells.size() != header.size())
            return fail(ErrorCode::Malformed,
                std::to_string(row->cells.size()) + " cells where the header has "
                    + std::to_string(header.size()),
                name + ", line " + std::to_string(row->line));
        if (++rows > limits.maxRows)
            return fail(ErrorCode::LimitExceeded,
                "more rows than the limit of " + std::to_string(limits.maxRows),
                name + ", line " + std::to_string(row->line));
        const auto patient = reader.cell(*row, Patient);
        if (patient.empty())
            return reader.refuse(*row, Patient, "every row names its patient");
        auto [entry, inserted] = patientIndex.try_emplace(std::string(patient), patients.size());
        if (inserted) {
            if (patients.size() >= limits.maxPatients)
                return fail(ErrorCode::LimitExceeded,
                    "more patients than the limit of " + std::to_string(limits.maxPatients),
                    name + ", line " + std::to_string(row->line));
            patients.emplace_back();
            patients.back().patient.id = std::string(patient);
        }
        if (auto added = addRow(reader, *row, patients[entry->second]); !added)
            return std::unexpected(added.error());
    }
    if (rows == 0)
        return fail(ErrorCode::Malformed, "the file has a header but no rows", name);
    return patients;
}

Result<std::vector<PatientRecord>> readCsvRecords(
    const std::filesystem::path &path, const CsvRecordLimits &limits)
{
    const std::string name = path.filename().string();
    if (auto checked = checkInputFile(path, "CSV records", ErrorCode::Malformed); !checked)
        return std::unexpected(checked.error());
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "the file's size cannot be read", name);
    if (size > limits.maxBytes)
        return fail(ErrorCode::LimitExceeded,
            "the file is larger than the limit of " + std::to_string(limits.maxBytes) + " bytes", name);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::NotFound, "the file cannot be opened", name);
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size)
        return fail(ErrorCode::Malformed, "the file could not be read whole", name);
    return parseCsvRecords(text, name, limits);
}

} // namespace mosaic::records
