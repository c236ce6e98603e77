// SPDX-License-Identifier: Apache-2.0
// Expression profiles: a genes (or array probes) by samples matrix read from CSV or TSV, plain or
// gzipped, as Bioconductor exports them (`write.csv(exprs(eset))`): a header row whose first cell
// names the id column and whose other cells are sample ids, then one row per probe, its id first.
// Text columns that annotate probes ("description", "symbol") may follow the id and are kept apart
// from the numbers.
//
// Every file is untrusted. The delimiter is sniffed from the header (a tab makes it TSV, else comma);
// quoting follows RFC 4180 within a line; numbers are parsed strictly (a cell is a finite decimal
// number, or missing: empty, NA, NaN, N/A, null; anything else is refused, never read as 0).
// Columns, rows, line length and cells are checked against ExpressionLimits before Mosaic
// allocates for them. Errors name the file, the line and the column; sample ids are patient
// identifiers and never appear in an error (a sample is named by its column number).
#pragma once

#include "core/error.h"

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mosaic {

struct ExpressionLimits
{
    std::size_t maxSamples = 100'000; // columns after the id and annotation columns
    std::size_t maxProbes = 2'000'000; // rows after the header (Affymetrix exon arrays: 1.4 million)
    std::size_t maxLineBytes = std::size_t { 16 } << 20; // one decompressed line, without its newline
    std::size_t maxCells = 200'000'000; // probes x samples, 1.6 GB of doubles
};

struct ExpressionReadOptions
{
    ExpressionLimits limits;
    // Header names (case-insensitive) of text columns that may directly follow the id column and
    // annotate probes rather than hold expression values (multtest's Golub export has
    // "description").
    std::vector<std::string> annotationColumns { "description", "symbol", "gene_symbol", "gene_name" };
};

enum class ExpressionDelimiter { Comma, Tab };

class ExpressionMatrix
{
public:
    ExpressionMatrix() = default;
    // A matrix from parts: values row-major probes x samples, NaN for missing. Fails when the sizes
    // disagree or ids repeat (for callers that build matrices, e.g. tests and normalisation).
    [[nodiscard]] static Result<ExpressionMatrix> fromValues(std::vector<std::string> probeIds,
        std::vector<std::string> sampleIds, std::vector<double> values, std::string sourceName = {});

    [[nodiscard]] std::size_t probeCount() const { return m_probeIds.size(); }
    [[nodiscard]] std::size_t sampleCount() const { return m_sampleIds.size(); }
    [[nodiscard]] const std::vector<std::string> &probeIds() const { return m_probeIds; }
    // Identifiers of people: show them to the user who opened the file, never log them.
    [[nodiscard]] const std::vector<std::string> &sampleIds() const { return m_sampleIds; }
    [[nodiscard]] std::optional<std::size_t> probeIndex(std::string_view probeId) const;
    [[nodiscard]] std::optional<std::size_t> sampleIndex(std::string_view sampleId) const;

    // NaN when missing.
    [[nodiscard]] double value(std::size_t probe, std::size_t sample) const
    {
        return m_values[probe * m_sampleIds.size() + sample];
    }
    void setValue(std::size_t probe, std::size_t sample, double value)
    {
        m_values[probe * m_sampleIds.size() + sample] = value;
    }
    [[nodiscard]] std::span<const double> probeValues(std::size_t probe) const
    {
        return std::span<const double>(m_values).subspan(probe * m_sampleIds.size(), m_sampleIds.size());
    }
    [[nodiscard]] const std::vector<double> &values() const { return m_values; } // row-major
    [[nodiscard]] std::size_t missingCount() const; // cells that are NaN

    // The header of the id column ("probe_id"; empty when the file left it blank, as R does).
    [[nodiscard]] const std::string &idColumnName() const { return m_idColumnName; }
    [[nodiscard]] const std::vector<std::string> &annotationColumnNames() const { return m_annotationNames; }
    // Per probe, its annotation cells in annotationColumnNames() order (empty when there are none).
    [[nodiscard]] const std::vector<std::vector<std::string>> &probeAnnotations() const
    {
        return m_annotations;
    }
    // File name only, for error locations.
    [[nodiscard]] const std::string &sourceName() const { return m_sourceName; }
    [[nodiscard]] ExpressionDelimiter delimiter() const { return m_delimiter; }
    [[nodiscard]] bool wasCompressed() const { return m_compressed; }

    // The probes at `probes` (indices, in the order given) of every sample.
    [[nodiscard]] ExpressionMatrix selectProbes(std::span<const std::size_t> probes) const;
    // The samples at `samples` (indices, in the order given) of every probe.
    [[nodiscard]] ExpressionMatrix selectSamples(std::span<const std::size_t> samples) const;

private:
    friend Result<ExpressionMatrix> readExpressionMatrix(
        const std::filesystem::path &path, const ExpressionReadOptions &options);

    std::string m_sourceName;
    std::string m_idColumnName;
    std::vector<std::string> m_annotationNames;
    std::vector<std::string> m_sampleIds;
    std::vector<std::string> m_probeIds;
    std::unordered_map<std::string, std::size_t> m_probeIndex;
    std::vector<std::vector<std::string>> m_annotations;
    std::vector<double> m_values;
    ExpressionDelimiter m_delimiter = ExpressionDelimiter::Comma;
    bool m_compressed = false;
};

// Reads a CSV or TSV expression matrix, gzipped (plain gzip or BGZF) or not. Refusals: NotFound (no
// such file), Unsupported (not a regular file, empty, no sample column), Malformed (a cell that is
// not a number, a row with the wrong number of cells, an unterminated quote, an empty or repeated
// probe or sample id, a damaged gzip stream), LimitExceeded (ExpressionLimits).
[[nodiscard]] Result<ExpressionMatrix> readExpressionMatrix(
    const std::filesystem::path &path, const ExpressionReadOptions &options = {});

} // namespace mosaic
