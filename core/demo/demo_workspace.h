// SPDX-License-Identifier: Apache-2.0
// The demo workspace a new user opens: the 299 real heart-failure patients of Ahmad et al. 2017
// with a cross-validated model of death during follow-up and its prediction for each patient.
// Follow-up time is never a feature: deaths have short follow-up, so it would leak the outcome.
#pragma once

#include "core/error.h"
#include "core/store/workspace.h"

#include <filesystem>
#include <functional>
#include <stop_token>

namespace mosaic {

struct DemoResources
{
    std::filesystem::path cohortTable; // resources/demo/heart_failure_S1Data.csv
    std::filesystem::path featureSchema; // resources/demo/heart_failure.schema.json

    // The files in `resourceDirectory`/demo.
    static DemoResources in(const std::filesystem::path &resourceDirectory);
};

// Fills an empty workspace: imports the patients, trains and cross-validates the model (10 x 5-fold),
// stores it and each patient's prediction, all in one transaction. A workspace that already has
// patients is left alone. Progress is (steps done, steps in all).
Result<void> buildHeartFailureDemo(Workspace &workspace, const DemoResources &resources,
    std::stop_token stop = {}, const std::function<void(int, int)> &progress = {});

} // namespace mosaic
