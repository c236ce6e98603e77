// SPDX-License-Identifier: Apache-2.0
// Bringing a cohort table into the workspace: each row becomes a patient with its feature values
// and their provenance (file, line, column). All or nothing: one bad row leaves the workspace as it
// was before the import.
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/store/workspace.h"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace mosaic {

struct CohortImportOptions
{
    // The patient's identifier in the workspace; by default the table's id (or line number).
    std::function<std::string(const CohortTable &, std::size_t row)> externalId;
};

// Returns the new patients' workspace ids, in table order.
Result<std::vector<std::int64_t>> importCohort(Workspace &workspace, const CohortTable &table,
    std::shared_ptr<const FeatureSchema> schema, const CohortImportOptions &options = {});

} // namespace mosaic
