// SPDX-License-Identifier: Apache-2.0
// A multimodal model specification (JSON, format "mosaic-model-spec" version 1; the contract is
// docs/cohort_format.md, decisions in core/fusion/README.md): the task, the features of each modality
// (imaging ROI and radiomics settings, a GenomicFeatureSpec, a RecordFeatureSpec, manifest columns),
// subgroups, and the training and abstention objects other modules interpret. A model bundle carries
// the canonical text (toJson) so prediction extracts exactly the same features.
//
// The text is untrusted: known keys only, duplicate keys refused, size and nesting bounded; every
// error names the source and the JSON path ("spec.json, imaging.features[2]: ...").
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"
#include "core/genomics/genomic_features.h"
#include "core/radiomics/radiomics_settings.h"
#include "core/records/clinical_record.h"
#include "core/records/record_features.h"
#include "core/records/ucum_units.h"

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

inline constexpr std::size_t kMaxModelSpecBytes = 16 * 1024 * 1024;
inline constexpr std::size_t kMaxModelSpecDepth = 64;
inline constexpr std::size_t kMaxModelSpecClasses = 1000;

enum class TaskType { Binary, Multiclass };

struct ModelTask
{
    TaskType type = TaskType::Binary;
    std::string label; // the manifest column holding the reference label
    std::string outcome; // what the predicted probability means, for the clinician
    std::vector<std::string> classes; // multiclass: K >= 2 names; binary: none or two (class 0, class 1)

    [[nodiscard]] std::size_t classCount() const { return type == TaskType::Binary ? 2 : classes.size(); }
    // The class index a label cell stands for: "0".."K-1" or a class name; nullopt when neither.
    [[nodiscard]] std::optional<int> parseLabel(std::string_view cell) const;
};

struct ImagingSection
{
    std::string roi; // default ROI name when a manifest row gives none; may be empty
    RadiomicsSettings settings;
    std::string prefix = "img_"; // feature name = prefix + IBSI tag
    std::vector<std::string> tags; // IBSI tags in specification order

    [[nodiscard]] std::vector<FeatureDefinition> definitions() const;
};

struct GenomicsSection
{
    GenomicFeatureSpec spec; // score paths resolved against the specification's folder
    std::string json; // the section as written (canonical dump), for toJson
};

struct RecordsSection
{
    records::RecordFeatureSpec spec;
    std::optional<records::ClinicalTime> indexDate; // "index_date"; a manifest cell overrides it
    std::string json; // the section without index_date (canonical dump), for toJson
};

struct TableSection
{
    // Manifest columns read as numeric features, in specification order.
    std::vector<FeatureDefinition> features;
    // {"all_columns": "<modality>"}: every manifest column that is not reserved (patient, group, label,
    // file columns), not a subgroup and not excluded, in manifest order, with this modality.
    std::optional<Modality> allColumns;
    std::vector<std::string> exclude;
};

struct ModelSpec
{
    std::string sourceName; // file name only, for messages
    std::string name;
    ModelTask task;
    std::optional<ImagingSection> imaging;
    std::optional<GenomicsSection> genomics;
    std::optional<RecordsSection> records;
    std::optional<TableSection> table;
    std::vector<std::string> subgroups; // manifest columns for subgroup metrics
    std::string trainingJson; // the "training" object as compact JSON text; empty when absent
    std::string abstentionJson; // the "abstention" object as compact JSON text; empty when absent
    std::string intendedUse;
    std::string limitations;
    // The UCUM table the records section was checked against; extraction converts with it.
    std::shared_ptr<const records::UcumUnits> units;

    // `baseFolder` resolves "settings_file" and genomic score files. `units` is required when the
    // specification has a records section (InvalidArgument otherwise).
    [[nodiscard]] static Result<ModelSpec> fromJson(std::string_view text, std::string_view sourceName,
        const std::filesystem::path &baseFolder, std::shared_ptr<const records::UcumUnits> units = {});
    [[nodiscard]] static Result<ModelSpec> readFile(
        const std::filesystem::path &path, std::shared_ptr<const records::UcumUnits> units = {});

    // Canonical text: fixed key order, settings inline (a settings_file is read into "settings"),
    // index_date as written. fromJson(toJson()) gives a specification whose toJson() is the same.
    [[nodiscard]] std::string toJson() const;

    // Column names a manifest uses for something other than a table feature or an attribute.
    [[nodiscard]] std::vector<std::string> reservedColumns() const;

    // The model's features: imaging, genomics, records, then table features, each in specification
    // order. With table.all_columns the table part depends on a manifest: give its header
    // (InvalidArgument without one).
    [[nodiscard]] Result<FeatureSchema> schema(std::span<const std::string> manifestColumns = {}) const;
    // The table features alone, resolved against a manifest header (all_columns) or as listed.
    [[nodiscard]] Result<std::vector<FeatureDefinition>> tableFeatures(
        std::span<const std::string> manifestColumns = {}) const;
};

} // namespace mosaic
