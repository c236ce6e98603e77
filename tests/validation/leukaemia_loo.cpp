// SPDX-License-Identifier: Apache-2.0
// Leave-one-out driver of leukaemia_case_study.sh, for Golub 1999's protocol (38 training samples,
// each predicted by a model built on the other 37). `mosaic-cli train` has no leave-one-out (its
// stratified folds need every class to fill each fold) and refuses a cohort its cross-validation
// separates completely (no finite calibration slope), which Golub's ALL/AML often is; so this driver
// calls the same core functions directly. For each held-out sample, on the 37 others only:
//   1. the expression normalisation is fitted (ExpressionNormaliser::fit) and applied to all 38;
//   2. the number of genes and the genes are chosen by chooseFeatures (univariate AUROC ranking
//      inside an inner stratified k-fold loop, as `mosaic-cli train --select-features` does);
//   3. an XGBoost model is trained on those genes and predicts the held-out sample.
// Output (stdout, CSV): sample,label,probability,feature_count.
//
//   leukaemia_loo --matrix EXPR.csv --labels LABELS.csv [--normalisation SETTINGS.json]
//                 [--counts 10,25,50] [--inner-folds 3] [--rounds 100] [--max-depth 2]
//                 [--learning-rate 0.1] [--seed N]
// LABELS.csv has a header and rows "sample,label" (label 0/1); samples without a label are left out.
#include "core/genomics/expression_matrix.h"
#include "core/genomics/expression_normalisation.h"
#include "core/model/booster.h"
#include "core/model/nested_cross_validation.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace mosaic;

namespace {

int failWith(const std::string &message)
{
    std::cerr << "leukaemia_loo: " << message << '\n';
    return 1;
}

std::vector<int> parseCounts(const std::string &text)
{
    std::vector<int> counts;
    std::istringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
        counts.push_back(std::stoi(item));
    return counts;
}

} // namespace

int main(int argc, char **argv)
{
    std::map<std::string, std::string> options { { "--counts", "10,25,50" }, { "--inner-folds", "3" },
        { "--rounds", "100" }, { "--max-depth", "2" }, { "--learning-rate", "0.1" },
        { "--seed", "20261125" } };
    for (int i = 1; i + 1 < argc; i += 2)
        options[argv[i]] = argv[i + 1];
    if (!options.contains("--matrix") || !options.contains("--labels"))
        return failWith("usage: leukaemia_loo --matrix EXPR --labels LABELS [options]");

    auto matrix = readExpressionMatrix(options["--matrix"]);
    if (!matrix)
        return failWith(matrix.error().message());
    ExpressionNormalisationSettings normalisation;
    if (options.contains("--normalisation")) {
        std::ifstream in(options["--normalisation"]);
        std::stringstream text;
        text << in.rdbuf();
        auto settings = ExpressionNormalisationSettings::fromJson(text.str(), options["--normalisation"]);
        if (!settings)
            return failWith(settings.error().message());
        normalisation = *settings;
    }

    std::map<std::string, int> labelOf;
    {
        std::ifstream in(options["--labels"]);
        std::string line;
        std::getline(in, line);
        while (std::getline(in, line)) {
            const auto comma = line.find(',');
            if (comma != std::string::npos)
                labelOf[line.substr(0, comma)] = std::stoi(line.substr(comma + 1));
        }
    }
    std::vector<std::size_t> samples;
    std::vector<int> labels;
    for (std::size_t s = 0; s < matrix->sampleCount(); ++s)
        if (const auto found = labelOf.find(matrix->sampleIds()[s]); found != labelOf.end()) {
            samples.push_back(s);
            labels.push_back(found->second);
        }
    const ExpressionMatrix cohort = matrix->selectSamples(samples);
    const std::size_t n = samples.size();

    NestedCrossValidationSettings settings;
    settings.innerFolds = std::stoi(options["--inner-folds"]);
    settings.selection.featureCounts = parseCounts(options["--counts"]);
    settings.outer.training.rounds = std::stoi(options["--rounds"]);
    settings.outer.training.maxDepth = std::stoi(options["--max-depth"]);
    settings.outer.training.learningRate = std::stod(options["--learning-rate"]);
    settings.outer.training.seed = std::stoull(options["--seed"]);

    std::cout << "sample,label,probability,feature_count\n";
    for (std::size_t heldOut = 0; heldOut < n; ++heldOut) {
        std::vector<std::size_t> train;
        for (std::size_t s = 0; s < n; ++s)
            if (s != heldOut)
                train.push_back(s);
        auto normaliser = ExpressionNormaliser::fit(cohort.selectSamples(train), normalisation);
        if (!normaliser)
            return failWith(normaliser.error().message());
        auto normalised = normaliser->apply(cohort);
        if (!normalised)
            return failWith(normalised.error().message());
        // Samples as rows, probes as columns, missing as NaN (XGBoost's missing value).
        RowMatrixXf features(
            static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(normalised->probeCount()));
        for (std::size_t p = 0; p < normalised->probeCount(); ++p)
            for (std::size_t s = 0; s < n; ++s)
                features(static_cast<Eigen::Index>(s), static_cast<Eigen::Index>(p))
                    = static_cast<float>(normalised->value(p, s));

        auto choice
            = chooseFeatures(features, labels, train, settings, settings.outer.training.seed + heldOut);
        if (!choice)
            return failWith(choice.error().message());
        RowMatrixXf trainFeatures(
            static_cast<Eigen::Index>(train.size()), static_cast<Eigen::Index>(choice->columns.size()));
        std::vector<float> trainLabels;
        for (std::size_t r = 0; r < train.size(); ++r) {
            trainLabels.push_back(static_cast<float>(labels[train[r]]));
            for (std::size_t c = 0; c < choice->columns.size(); ++c)
                trainFeatures(static_cast<Eigen::Index>(r), static_cast<Eigen::Index>(c)) = features(
                    static_cast<Eigen::Index>(train[r]), static_cast<Eigen::Index>(choice->columns[c]));
        }
        RowMatrixXf testFeatures(1, static_cast<Eigen::Index>(choice->columns.size()));
        for (std::size_t c = 0; c < choice->columns.size(); ++c)
            testFeatures(0, static_cast<Eigen::Index>(c))
                = features(static_cast<Eigen::Index>(heldOut), static_cast<Eigen::Index>(choice->columns[c]));
        auto trainData = DMatrix::fromDense(trainFeatures, trainLabels);
        if (!trainData)
            return failWith(trainData.error().message());
        auto booster = Booster::train(*trainData, settings.outer.training);
        if (!booster)
            return failWith(booster.error().message());
        auto testData = DMatrix::fromDense(testFeatures);
        if (!testData)
            return failWith(testData.error().message());
        auto probability = booster->predictProbabilities(*testData);
        if (!probability)
            return failWith(probability.error().message());
        std::cout << cohort.sampleIds()[heldOut] << ',' << labels[heldOut] << ',' << (*probability)(0, 0)
                  << ',' << choice->featureCount << '\n';
        std::cerr << "\rleukaemia_loo: " << heldOut + 1 << '/' << n << std::flush;
    }
    std::cerr << '\n';
    return 0;
}
