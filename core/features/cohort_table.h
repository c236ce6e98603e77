// SPDX-License-Identifier: Apache-2.0
// A cohort table: CSV, one row per patient, an optional id column, a label column, and numeric
// feature columns. The reader treats the file as untrusted: every refusal names the file, the line
// and the column; sizes are checked before anything is allocated from them.
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/features/feature_vector.h"

#include <Eigen/Core>

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct CohortTableOptions
{
    std::optional<std::string> idColumn; // without one, a row's id is its line number in the file
    std::optional<std::string> labelColumn;
    bool labelRequired = true; // training and validation need it; prediction does not
    std::vector<std::string> ignoredColumns; // read past, e.g. follow-up time that leaks the outcome
    std::size_t maxBytes = std::size_t { 1 } << 30;
    std::size_t maxRows = 2'000'000;
    std::size_t maxColumns = 100'000;
};

struct CohortTable
{
    std::string sourceName; // file name only, for provenance and messages
    std::vector<std::string> ids; // one per row, unique
    std::vector<std::size_t> lineNumbers; // 1-based line of each row in the file
    std::vector<std::string> featureColumns; // in file order, without id, label and ignored columns
    RowMatrixXf features; // rows x featureColumns; NaN where a cell is missing
    std::optional<Eigen::VectorXf> labels; // present when the label column is

    [[nodiscard]] std::size_t rows() const { return ids.size(); }

    // The feature columns in the schema's order. NotFound names the first schema feature that
    // the table lacks.
    [[nodiscard]] Result<RowMatrixXf> select(const FeatureSchema &schema) const;

    // Row `row` as a feature vector with provenance "line N, column 'X'" for each value.
    [[nodiscard]] Result<FeatureVector> featureVector(
        std::size_t row, std::shared_ptr<const FeatureSchema> schema) const;
};

// Comma-separated, RFC 4180 quoting, LF or CRLF line ends, optional UTF-8 byte order mark.
// Missing cells: empty, "NA", "N/A", "NaN", "null" (any case). Refuses, with file, line and column:
// an empty file or one without data rows, ragged rows, non-numeric or non-finite cells, a missing id
// or label column, empty or duplicate ids, a missing label on a row when labelRequired, and
// duplicate column names.
Result<CohortTable> parseCohortTable(
    std::string_view text, std::string_view sourceName, const CohortTableOptions &options);
Result<CohortTable> readCohortTable(const std::filesystem::path &path, const CohortTableOptions &options);

} // namespace mosaic
