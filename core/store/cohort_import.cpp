// SPDX-License-Identifier: Apache-2.0
#include "core/store/cohort_import.h"

namespace mosaic {

Result<std::vector<std::int64_t>> importCohort(Workspace &workspace, const CohortTable &table,
    std::shared_ptr<const FeatureSchema> schema, const CohortImportOptions &options)
{
    // Check every row before writing anything, so a schema the table cannot fill fails fast.
    std::vector<FeatureVector> vectors;
    vectors.reserve(table.rows());
    for (std::size_t row = 0; row < table.rows(); ++row) {
        auto vector = table.featureVector(row, schema);
        if (!vector)
            return std::unexpected(vector.error());
        vectors.push_back(std::move(*vector));
    }

    std::vector<std::int64_t> patientIds;
    auto imported = workspace.inTransaction([&]() -> Result<void> {
        for (std::size_t row = 0; row < table.rows(); ++row) {
            const std::string externalId
                = options.externalId ? options.externalId(table, row) : table.ids[row];
            auto patientId = workspace.addPatient(externalId, table.sourceName);
            if (!patientId) {
                Error error = patientId.error();
                error.location = table.sourceName + ", line " + std::to_string(table.lineNumbers[row]);
                return std::unexpected(error);
            }
            if (auto stored = workspace.storeFeatures(*patientId, vectors[row]); !stored)
                return std::unexpected(stored.error());
            patientIds.push_back(*patientId);
        }
        return {};
    });
    if (!imported)
        return std::unexpected(imported.error());
    return patientIds;
}

} // namespace mosaic
