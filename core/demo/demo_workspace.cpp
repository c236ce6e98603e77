// SPDX-License-Identifier: Apache-2.0
#include "core/demo/demo_workspace.h"

#include "core/features/cohort_table.h"
#include "core/model/risk_model.h"
#include "core/store/cohort_import.h"

#include <cstdio>

namespace mosaic {

DemoResources DemoResources::in(const std::filesystem::path &resourceDirectory)
{
    return { resourceDirectory / "demo" / "heart_failure_S1Data.csv",
        resourceDirectory / "demo" / "heart_failure.schema.json" };
}

Result<void> buildHeartFailureDemo(Workspace &workspace, const DemoResources &resources, std::stop_token stop,
    const std::function<void(int, int)> &progress)
{
    auto existing = workspace.patients();
    if (!existing)
        return std::unexpected(existing.error());
    if (!existing->empty())
        return {};

    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(resources.cohortTable, options);
    if (!table)
        return std::unexpected(table.error());
    auto schema = FeatureSchema::readFile(resources.featureSchema);
    if (!schema)
        return std::unexpected(schema.error());
    auto sharedSchema = std::make_shared<const FeatureSchema>(std::move(*schema));

    TrainingRequest request;
    request.name = "Death during follow-up in heart failure (demo)";
    request.outcome = "death during follow-up";
    request.labelColumn = "Event";
    auto bundle = trainRiskModel(*table, *sharedSchema, request, stop, progress);
    if (!bundle)
        return std::unexpected(bundle.error());
    bundle->intendedUse = "Demonstration of Mosaic only: how a validated, explained risk model looks. Not "
                          "for decisions about patients.";
    bundle->limitations
        = "Trained on 299 patients with heart failure (Faisalabad, Pakistan, 2015; Ahmad et al. "
          "2017); follow-up time is left out; not validated in any other population.";
    // Signed with the workspace's own key, which the workspace trusts, like any model trained here.
    auto key = workspace.signingKey();
    if (!key)
        return std::unexpected(key.error());
    auto bundleJson = bundle->toJson(*key);
    if (!bundleJson)
        return std::unexpected(bundleJson.error());
    auto model = RiskModel::fromBundle(*bundle);
    if (!model)
        return std::unexpected(model.error());
    auto predictions = model->predict(*table);
    if (!predictions)
        return std::unexpected(predictions.error());

    return workspace.inTransaction([&]() -> Result<void> {
        CohortImportOptions importOptions;
        // The table has no identifier column: number the patients in file order.
        importOptions.externalId = [](const CohortTable &, std::size_t row) {
            char id[16];
            std::snprintf(id, sizeof id, "HF-%03zu", row + 1);
            return std::string(id);
        };
        auto patientIds = importCohort(workspace, *table, sharedSchema, importOptions);
        if (!patientIds)
            return std::unexpected(patientIds.error());
        auto modelId = workspace.addModel(bundle->name, *bundleJson);
        if (!modelId)
            return std::unexpected(modelId.error());
        for (std::size_t row = 0; row < patientIds->size(); ++row) {
            const auto &prediction = (*predictions)[row];
            auto stored = workspace.addPrediction((*patientIds)[row], *modelId, prediction.probability,
                predictionToJson(prediction, *sharedSchema));
            if (!stored)
                return std::unexpected(stored.error());
        }
        return {};
    });
}

} // namespace mosaic
