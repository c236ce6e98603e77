// SPDX-License-Identifier: Apache-2.0
// Every case's features over a cohort, in parallel: the imaging ROI's radiomics, the genomic
// features, the record features and the manifest's table features, each value with its provenance,
// and per case which modalities were there. A modality whose cell is empty is absent (its features
// NaN, which XGBoost routes natively); a file that fails to load makes that modality absent for that
// case, with the error in the case's report, unless the extraction is strict.
//
// Threads: a pool of std::jthread workers takes cases in turn; each worker holds one case's inputs
// at a time (never every image at once). Results go to the case's own row, so the output is the
// same for any number of workers.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/features/feature_vector.h"
#include "core/fusion/cohort_manifest.h"
#include "core/fusion/model_spec.h"
#include "core/genomics/pgx_definitions.h"
#include "core/imaging/volume.h"

#include <Eigen/Core>

#include <cstddef>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace mosaic {

struct CohortExtractionOptions
{
    // Worker threads; 0: the number of cores less one, at least 1. Never more than the cases.
    unsigned workers = 0;
    // A case's file that fails to load fails the whole cohort (the first failing case by manifest
    // order) instead of making that modality absent.
    bool strict = false;
    // Required when the specification has PGx features; must outlive the call.
    const PgxDefinitionSet *pgxDefinitions = nullptr;
    ImageLimits imageLimits;
    // Called after each case with (cases done, total) from the worker thread that finished it. Calls
    // are serialised (never two at once) and `done` rises by one each call; keep it short, it holds
    // up that worker. May be empty.
    std::function<void(std::size_t done, std::size_t total)> progress;
};

// What one modality contributed to one case.
struct ModalityCoverage
{
    Modality modality = Modality::Records;
    std::size_t present = 0; // the modality's features with a value for this case
    std::size_t inModel = 0; // the modality's features in the schema (file and table features)
    bool inputGiven = false; // the manifest named a file (or a table cell) for it
    std::string error; // why its file did not load: manifest line and column, then the reader's message
    std::vector<std::string> warnings; // values skipped (record units, absent tags), never fatal
};

struct CaseReport
{
    std::vector<ModalityCoverage> modalities; // one per modality the schema has, in Modality order
};

struct CohortFeatures
{
    std::shared_ptr<const FeatureSchema> schema;
    std::string sourceName; // the manifest's file name
    std::vector<std::string> ids; // pseudonymous case ids, manifest order
    std::vector<std::string> groups;
    std::vector<std::size_t> lineNumbers;
    RowMatrixXf features; // cases x schema features; NaN where missing
    Eigen::VectorXf labels; // class index per case; NaN where the manifest gives none
    std::vector<std::string> attributeColumns; // as CohortManifest::attributeColumns
    std::vector<std::vector<std::string>> attributes; // cases x attributeColumns
    std::vector<Provenance> provenance; // cases x features, row-major: provenance(row, feature)
    std::vector<CaseReport> reports; // one per case

    [[nodiscard]] std::size_t rows() const { return ids.size(); }
    [[nodiscard]] const Provenance &provenanceAt(std::size_t row, std::size_t feature) const
    {
        return provenance.at(row * schema->size() + feature);
    }
    // The attribute column's values, one per case (for subgroup metrics); NotFound without it.
    [[nodiscard]] Result<std::vector<std::string>> attribute(std::string_view column) const;
    // The features and labels as a CohortTable (ids, feature columns in schema order, labels when
    // every case has one), for the training and validation code.
    [[nodiscard]] CohortTable toCohortTable() const;
};

// Extracts every case of `manifest` for `spec` (the manifest must have been read against it).
// Fails with Cancelled when `stop` is requested before the last case is done (no partial result),
// with InvalidArgument for inputs a case cannot fix (PGx features without definitions), and, when
// strict, with the first failing case's error.
[[nodiscard]] Result<CohortFeatures> extractCohortFeatures(const ModelSpec &spec,
    const CohortManifest &manifest, const CohortExtractionOptions &options = {}, std::stop_token stop = {});

} // namespace mosaic
