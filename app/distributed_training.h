// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli train --workers N --tracker HOST:PORT --task-id ID`: one worker of a distributed
// training job on XGBoost's collective (Rabit), started by python3-xgboost's tracker. Each worker
// reads only its own table (one hospital's rows); the workers check that they agree on the features,
// the label and the parameters, pool their counts, train one model through the collective (gradient
// histograms travel between them, never rows) and rank 0 returns the bundle for the caller to write.
// No cross-validation: only the final model is fitted (docs/distributed.md says why).
#pragma once

#include "core/error.h"
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"

#include <optional>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace mosaic::cli {

struct DistributedArguments
{
    int workers = 0; // 0: not distributed
    std::string tracker; // HOST:PORT; default DMLC_TRACKER_URI and DMLC_TRACKER_PORT
    std::string taskId; // default DMLC_TASK_ID
    int joinTimeoutSeconds = 600;

    [[nodiscard]] bool requested() const { return workers > 0; }
};

// --workers, --tracker, --task-id and --join-timeout on the train command.
void addDistributedOptions(CLI::App &train, DistributedArguments &arguments);

// What one worker knows of a site of the job, exchanged at the start.
struct SiteSummary
{
    std::string taskId;
    std::string table; // file name only
    std::size_t rows = 0;
    std::size_t positives = 0;
    std::string tableSha256; // of the table file's bytes, as `sha256sum` prints it
    std::string dataSha256; // hashTrainingData() of its matrix, as a single-site bundle would record it
};

struct DistributedTrainingResult
{
    int rank = 0;
    int workers = 0;
    std::vector<SiteSummary> sites; // in rank order
    std::optional<ModelBundle> bundle; // on rank 0 only
};

// Joins the job, trains and leaves it. `tablePath` is the worker's own table (hashed for the sites'
// record). The session is left before returning, so rank 0 writes the bundle outside the job.
Result<DistributedTrainingResult> trainDistributed(const CohortTable &table, const std::string &tablePath,
    const FeatureSchema &schema, const TrainingRequest &request, const DistributedArguments &arguments);

// The worker's report on stdout (JSON): rank, sites, pooled counts, and on rank 0 the bundle path
// and its validation section.
[[nodiscard]] std::string distributedTrainingJson(
    const DistributedTrainingResult &result, const std::string &bundlePath);

} // namespace mosaic::cli
