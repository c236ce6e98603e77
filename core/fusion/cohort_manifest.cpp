// SPDX-License-Identifier: Apache-2.0
#include "core/fusion/cohort_manifest.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <unordered_map>

namespace mosaic {

namespace {

constexpr std::string_view kUtf8ByteOrderMark = "\xEF\xBB\xBF";
constexpr std::array<std::string_view, 4> kMissingTokens { "NA", "N/A", "NaN", "null" };

std::string lineLocation(std::string_view source, std::size_t line)
{
    return std::string(source) + ", line " + std::to_string(line);
}

// Column names come from the specification or the header, not from patient cells.
std::string columnLocation(std::string_view source, std::size_t line, std::string_view column)
{
    return lineLocation(source, line) + ", column '" + std::string(column) + "'";
}

// The 1-based byte offset of the first invalid UTF-8 sequence, or 0 when the text is valid.
std::size_t invalidUtf8Offset(std::string_view text)
{
    std::size_t i = 0;
    while (i < text.size()) {
        const auto byte = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        std::uint32_t minimum = 0;
        std::uint32_t code = 0;
        if (byte < 0x80) {
            ++i;
            continue;
        }
        if ((byte & 0xe0) == 0xc0) {
            length = 2;
            minimum = 0x80;
            code = byte & 0x1fu;
        } else if ((byte & 0xf0) == 0xe0) {
            length = 3;
            minimum = 0x800;
            code = byte & 0x0fu;
        } else if ((byte & 0xf8) == 0xf0) {
            length = 4;
            minimum = 0x10000;
            code = byte & 0x07u;
        } else {
            return i + 1;
        }
        if (i + length > text.size())
            return i + 1;
        for (std::size_t k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80)
                return i + 1;
            code = (code << 6) | (next & 0x3fu);
        }
        if (code < minimum || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            return i + 1;
        i += length;
    }
    return 0;
}

struct CsvRow
{
    std::size_t line = 0;
    std::vector<std::string> cells;
};

// RFC 4180: fields separated by commas, records by LF or CRLF, a field in double quotes may hold
// commas, line breaks and doubled quotes. Lines with nothing on them are skipped.
Result<std::vector<CsvRow>> tokenise(
    std::string_view text, std::string_view source, const CohortManifestOptions &options)
{
    std::vector<CsvRow> rows;
    std::size_t line = 1;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '\n' || (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
            i += text[i] == '\r' ? 2 : 1;
            ++line;
            continue;
        }
        if (rows.size() >= options.maxRows + 1)
            return fail(ErrorCode::LimitExceeded,
                "more rows than the limit of " + std::to_string(options.maxRows), lineLocation(source, line));
        CsvRow row;
        row.line = line;
        bool endOfRecord = false;
        while (!endOfRecord) {
            std::string cell;
            const std::size_t cellNumber = row.cells.size() + 1;
            const auto where
                = [&] { return lineLocation(source, line) + ", column " + std::to_string(cellNumber); };
            if (i < text.size() && text[i] == '"') {
                ++i;
                for (;;) {
                    if (i >= text.size())
                        return fail(ErrorCode::Malformed,
                            "a quoted cell is not closed before the end of the file",
                            lineLocation(source, row.line) + ", column " + std::to_string(cellNumber));
                    if (text[i] == '"') {
                        if (i + 1 < text.size() && text[i + 1] == '"') {
                            cell += '"';
                            i += 2;
                            continue;
                        }
                        ++i;
                        break;
                    }
                    if (text[i] == '\n')
                        ++line;
                    cell += text[i++];
                    if (cell.size() > options.maxCellBytes)
                        return fail(ErrorCode::LimitExceeded,
                            "a cell is longer than the limit of " + std::to_string(options.maxCellBytes)
                                + " bytes",
                            where());
                }
                if (i < text.size() && text[i] != ',' && text[i] != '\n'
                    && !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n'))
                    return fail(
                        ErrorCode::Malformed, "text follows the closing quote of a quoted cell", where());
            } else {
                while (i < text.size() && text[i] != ',' && text[i] != '\n'
                    && !(text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
                    if (text[i] == '"')
                        return fail(ErrorCode::Malformed,
                            "a quote inside an unquoted cell (RFC 4180: quote the cell)", where());
                    if (text[i] == '\r')
                        return fail(ErrorCode::Malformed, "a carriage return outside a quoted cell", where());
                    cell += text[i++];
                    if (cell.size() > options.maxCellBytes)
                        return fail(ErrorCode::LimitExceeded,
                            "a cell is longer than the limit of " + std::to_string(options.maxCellBytes)
                                + " bytes",
                            where());
                }
            }
            row.cells.push_back(std::move(cell));
            if (row.cells.size() > options.maxColumns)
                return fail(ErrorCode::LimitExceeded,
                    "more columns than the limit of " + std::to_string(options.maxColumns),
                    lineLocation(source, row.line));
            if (i < text.size() && text[i] == ',') {
                ++i;
                continue;
            }
            endOfRecord = true;
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

bool isMissing(std::string_view cell)
{
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t'))
        cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t'))
        cell.remove_suffix(1);
    if (cell.empty())
        return true;
    return std::any_of(kMissingTokens.begin(), kMissingTokens.end(), [&](std::string_view token) {
        return cell.size() == token.size()
            && std::equal(cell.begin(), cell.end(), token.begin(), [](char a, char b) {
                   return std::tolower(static_cast<unsigned char>(a))
                       == std::tolower(static_cast<unsigned char>(b));
               });
    });
}

std::expected<double, std::string> parseNumber(std::string_view cell)
{
    if (isMissing(cell))
        return std::numeric_limits<double>::quiet_NaN();
    while (!cell.empty() && (cell.front() == ' ' || cell.front() == '\t'))
        cell.remove_prefix(1);
    while (!cell.empty() && (cell.back() == ' ' || cell.back() == '\t'))
        cell.remove_suffix(1);
    if (cell.starts_with('+') && cell.size() > 1 && cell[1] != '-')
        cell.remove_prefix(1);
    double value = 0.0;
    const auto [end, status] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
    if (status == std::errc::invalid_argument || end != cell.data() + cell.size())
        return std::unexpected(std::string("the cell is not a number"));
    if (status == std::errc::result_out_of_range || !std::isfinite(value))
        return std::unexpected(std::string("the number is out of range or not finite"));
    return value;
}

// A file-path cell: empty means absent; control characters are refused (no file name has them and
// they would garble messages).
Result<std::filesystem::path> pathCell(
    const std::string &cell, const std::filesystem::path &folder, const std::string &where)
{
    if (cell.empty())
        return std::filesystem::path {};
    if (std::any_of(cell.begin(), cell.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }))
        return fail(ErrorCode::Malformed, "a path holds a control character", where);
    std::filesystem::path path(cell);
    if (path.is_relative())
        path = folder / path;
    return path.lexically_normal();
}

} // namespace

Result<CohortManifest> parseCohortManifest(std::string_view text, std::string_view sourceName,
    const std::filesystem::path &folder, const ModelSpec &spec, const CohortManifestOptions &options)
{
    const std::string source(sourceName);
    if (text.size() > options.maxBytes)
        return fail(ErrorCode::LimitExceeded,
            "the manifest is larger than the limit of " + std::to_string(options.maxBytes) + " bytes",
            source);
    if (text.starts_with(kUtf8ByteOrderMark))
        text.remove_prefix(kUtf8ByteOrderMark.size());
    if (const auto nul = text.find('\0'); nul != std::string_view::npos)
        return fail(ErrorCode::Malformed,
            "a NUL byte at offset " + std::to_string(nul + 1) + " (not a text file)", source);
    if (const std::size_t bad = invalidUtf8Offset(text); bad != 0)
        return fail(ErrorCode::Malformed, "invalid UTF-8 at byte " + std::to_string(bad), source);

    auto rows = tokenise(text, source, options);
    if (!rows)
        return std::unexpected(rows.error());
    if (rows->empty())
        return fail(ErrorCode::Malformed, "the manifest is empty (a header row is required)", source);
    if (rows->size() == 1)
        return fail(ErrorCode::Malformed, "the manifest has a header but no case rows", source);

    CohortManifest manifest;
    manifest.sourceName = source;
    manifest.folder = folder;
    const CsvRow &header = rows->front();
    std::unordered_map<std::string, std::size_t> columnIndex;
    for (std::size_t c = 0; c < header.cells.size(); ++c) {
        const std::string &name = header.cells[c];
        const std::string where = lineLocation(source, header.line) + ", column " + std::to_string(c + 1);
        if (name.empty())
            return fail(ErrorCode::Malformed, "a header cell is empty; every column needs a name", where);
        if (!columnIndex.emplace(name, c).second)
            return fail(
                ErrorCode::Malformed, "the column name '" + name + "' appears twice in the header", where);
        manifest.columns.push_back(name);
    }
    const auto column = [&](std::string_view name) -> std::optional<std::size_t> {
        const auto it = columnIndex.find(std::string(name));
        return it == columnIndex.end() ? std::nullopt : std::optional<std::size_t>(it->second);
    };
    const std::string headerWhere = lineLocation(source, header.line);
    const auto requireColumn = [&](std::string_view name, const std::string &why) -> Result<std::size_t> {
        if (auto index = column(name))
            return *index;
        return fail(
            ErrorCode::NotFound, "the column '" + std::string(name) + "' is missing; " + why, headerWhere);
    };

    auto patientColumn = requireColumn("patient", "every case needs its pseudonymous id");
    if (!patientColumn)
        return std::unexpected(patientColumn.error());
    std::optional<std::size_t> labelColumn = column(spec.task.label);
    if (!labelColumn && options.labelRequired)
        return fail(ErrorCode::NotFound,
            "the column '" + spec.task.label + "' is missing; the task's label is read from it", headerWhere);
    if (spec.imaging) {
        for (const char *name : { "image", "mask" })
            if (auto found = requireColumn(name, "the specification has imaging features"); !found)
                return std::unexpected(found.error());
    }
    if (spec.genomics) {
        const GenomicFeatureSpec &genomic = spec.genomics->spec;
        if (!genomic.variants.empty() || !genomic.pgx.empty() || !genomic.scores.empty())
            if (auto found = requireColumn("genotypes", "the specification has genotype features"); !found)
                return std::unexpected(found.error());
        if (!genomic.expression.empty())
            if (auto found = requireColumn("expression", "the specification has expression features"); !found)
                return std::unexpected(found.error());
    }
    if (spec.records)
        if (auto found = requireColumn("records", "the specification has record features"); !found)
            return std::unexpected(found.error());
    for (const std::string &subgroup : spec.subgroups)
        if (auto found = requireColumn(subgroup, "the specification names it as a subgroup"); !found)
            return std::unexpected(found.error());

    const std::vector<std::string> reserved = spec.reservedColumns();
    for (const std::string &name : manifest.columns)
        if (std::find(reserved.begin(), reserved.end(), name) == reserved.end())
            manifest.attributeColumns.push_back(name);
    auto tableFeatures = spec.tableFeatures(manifest.columns);
    if (!tableFeatures)
        return std::unexpected(tableFeatures.error());
    manifest.tableFeatures = std::move(*tableFeatures);
    std::vector<std::size_t> tableColumns;
    for (const FeatureDefinition &feature : manifest.tableFeatures) {
        auto found = requireColumn(feature.name, "the specification reads it as a table feature");
        if (!found)
            return std::unexpected(found.error());
        tableColumns.push_back(*found);
    }
    std::vector<std::size_t> attributeIndex;
    for (const std::string &name : manifest.attributeColumns)
        attributeIndex.push_back(*column(name));

    std::map<std::string, std::size_t, std::less<>> patientLines;
    manifest.cases.reserve(rows->size() - 1);
    for (std::size_t r = 1; r < rows->size(); ++r) {
        const CsvRow &row = (*rows)[r];
        if (row.cells.size() != header.cells.size())
            return fail(ErrorCode::Malformed,
                "the row has " + std::to_string(row.cells.size()) + " cells; the header has "
                    + std::to_string(header.cells.size()),
                lineLocation(source, row.line));
        const auto cell = [&](std::string_view name) -> const std::string & {
            static const std::string empty;
            const auto index = column(name);
            return index ? row.cells[*index] : empty;
        };
        const auto where = [&](std::string_view name) { return columnLocation(source, row.line, name); };

        CohortCase entry;
        entry.line = row.line;
        entry.patient = row.cells[*patientColumn];
        if (entry.patient.empty())
            return fail(ErrorCode::Malformed, "the patient cell is empty", where("patient"));
        if (const auto [it, inserted] = patientLines.emplace(entry.patient, row.line); !inserted)
            return fail(ErrorCode::Malformed,
                "the patient of line " + std::to_string(it->second) + " appears again; patients are unique",
                where("patient"));
        entry.group = cell("group").empty() ? entry.patient : cell("group");

        if (labelColumn) {
            const std::string &labelText = row.cells[*labelColumn];
            if (labelText.empty() || isMissing(labelText)) {
                if (options.labelRequired)
                    return fail(ErrorCode::Malformed, "the label is missing", where(spec.task.label));
            } else {
                entry.label = spec.task.parseLabel(labelText);
                if (!entry.label) {
                    std::string expected = spec.task.type == TaskType::Binary
                        ? "0 or 1"
                        : "a class index 0.." + std::to_string(spec.task.classCount() - 1);
                    if (!spec.task.classes.empty())
                        expected += " or a class name of task.classes";
                    return fail(ErrorCode::Malformed,
                        "the label is not valid for this "
                            + std::string(spec.task.type == TaskType::Binary ? "binary" : "multiclass")
                            + " task (" + expected + ")",
                        where(spec.task.label));
                }
            }
        }

        const auto path = [&](std::string_view name) -> Result<std::filesystem::path> {
            return pathCell(cell(name), folder, where(name));
        };
        auto image = path("image");
        auto mask = path("mask");
        auto genotypes = path("genotypes");
        auto expression = path("expression");
        auto recordsFile = path("records");
        for (const auto *result : { &image, &mask, &genotypes, &expression, &recordsFile })
            if (!*result)
                return std::unexpected(result->error());
        entry.image = *image;
        entry.mask = *mask;
        entry.roi = cell("roi");
        entry.genotypes = *genotypes;
        entry.sample = cell("sample");
        entry.expression = *expression;
        entry.expressionSample = cell("expression_sample");
        entry.records = *recordsFile;
        // A qualifier without the file it qualifies, or half of an image/mask pair, is a manifest
        // written wrongly, not an absent modality.
        const std::pair<const char *, const char *> needs[] { { "image", "mask" }, { "mask", "image" },
            { "roi", "image" }, { "sample", "genotypes" }, { "expression_sample", "expression" },
            { "index_date", "records" } };
        for (const auto &[given, needed] : needs)
            if (!cell(given).empty() && cell(needed).empty())
                return fail(ErrorCode::Malformed,
                    "the '" + std::string(given) + "' cell is given but the '" + needed + "' cell is empty",
                    where(needed));
        if (const std::string &date = cell("index_date"); !date.empty()) {
            entry.indexDate = records::parseClinicalTime(date);
            if (!entry.indexDate)
                return fail(
                    ErrorCode::Malformed, "not a FHIR date or dateTime (2020-01-31)", where("index_date"));
        }
        for (const std::size_t index : attributeIndex)
            entry.attributes.push_back(row.cells[index]);
        for (std::size_t t = 0; t < tableColumns.size(); ++t) {
            auto value = parseNumber(row.cells[tableColumns[t]]);
            if (!value)
                return fail(ErrorCode::Malformed, value.error(), where(manifest.tableFeatures[t].name));
            entry.table.push_back(*value);
        }
        manifest.cases.push_back(std::move(entry));
    }
    return manifest;
}

Result<CohortManifest> readCohortManifest(
    const std::filesystem::path &path, const ModelSpec &spec, const CohortManifestOptions &options)
{
    const std::string name = path.filename().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return fail(ErrorCode::NotFound, "the manifest does not exist or is not a regular file", name);
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "the file's size cannot be read", name);
    if (size > options.maxBytes)
        return fail(ErrorCode::LimitExceeded,
            "the manifest is larger than the limit of " + std::to_string(options.maxBytes) + " bytes", name);
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size)))
        return fail(ErrorCode::NotFound, "the file cannot be read", name);
    std::filesystem::path folder = path.parent_path();
    if (folder.empty())
        folder = ".";
    return parseCohortManifest(text, name, std::filesystem::absolute(folder, ec), spec, options);
}

} // namespace mosaic
