// SPDX-License-Identifier: Apache-2.0
// The cohort manifest (cohort.csv; contract in docs/cohort_format.md, decisions in
// core/fusion/README.md): one row per case naming its label, group, attributes, table features and
// the files of each modality. Read against a ModelSpec, which says which label column, subgroups,
// table features and file columns the cohort needs.
//
// The file is untrusted: RFC 4180 CSV, UTF-8, size, rows, columns and cell lengths bounded; every
// refusal names the file, the line and the column and never repeats a cell (a cell may hold a
// patient id). Paths are resolved against the manifest's folder; files are not opened here (a file
// that fails to load is a per-case matter for cohort_extraction).
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/fusion/model_spec.h"
#include "core/records/clinical_record.h"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

struct CohortManifestOptions
{
    bool labelRequired = true; // training and validation need it; prediction does not
    std::size_t maxBytes = std::size_t { 256 } << 20;
    std::size_t maxRows = 1'000'000;
    std::size_t maxColumns = 10'000;
    std::size_t maxCellBytes = 64 * 1024;
};

struct CohortCase
{
    std::size_t line = 0; // 1-based line of the row's start in the manifest
    std::string patient; // pseudonymous id; never printed in errors or logs
    std::string group; // the patient when the manifest has no group column or the cell is empty
    std::optional<int> label; // class index; absent only when labels are not required
    // Empty path: the modality's input is absent for this case.
    std::filesystem::path image;
    std::filesystem::path mask;
    std::string roi; // empty: the specification's imaging.roi
    std::filesystem::path genotypes;
    std::string sample;
    std::filesystem::path expression;
    std::string expressionSample;
    std::filesystem::path records;
    std::optional<records::ClinicalTime> indexDate;
    std::vector<std::string> attributes; // one per CohortManifest::attributeColumns, as written
    std::vector<double> table; // one per CohortManifest::tableFeatures; NaN when the cell is missing
};

struct CohortManifest
{
    std::string sourceName; // file name only
    std::filesystem::path folder; // relative paths were resolved against it
    std::vector<std::string> columns; // the header, in file order
    // Every column that is not reserved (patient, group, label, file columns), in file order:
    // subgroups and other case attributes, kept as text. Table feature columns are among them.
    std::vector<std::string> attributeColumns;
    std::vector<FeatureDefinition> tableFeatures; // the specification's table features, resolved
    std::vector<CohortCase> cases;
};

// Refuses, naming file, line and column: a missing `patient` column, a missing label column when
// labels are required, a missing file column for a modality the specification has features of, a
// missing subgroup or table-feature column; duplicate or empty header names; ragged rows; an empty or
// repeated patient; a label not valid for the task; an image without a mask (and the reverse), an
// roi/sample/expression_sample/index_date without the file it qualifies; an index date that is not a
// FHIR date; a table cell that is not a number (empty, NA, N/A, NaN, null: missing); invalid UTF-8,
// NUL bytes, unterminated quotes, and anything above the limits.
[[nodiscard]] Result<CohortManifest> parseCohortManifest(std::string_view text, std::string_view sourceName,
    const std::filesystem::path &folder, const ModelSpec &spec, const CohortManifestOptions &options = {});
[[nodiscard]] Result<CohortManifest> readCohortManifest(
    const std::filesystem::path &path, const ModelSpec &spec, const CohortManifestOptions &options = {});

} // namespace mosaic
