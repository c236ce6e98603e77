// SPDX-License-Identifier: Apache-2.0
// The one training pipeline on the real heart-failure table (299 patients, 96 deaths): what it
// reports must follow from its own parts run independently on the same rows (nested model
// selection, calibration fitted on the other folds, bootstrap metrics, the training-data hash),
// survive the signed bundle's round trip, and refuse what it cannot do. The parts themselves are
// checked against scikit-learn, Python's XGBoost and hand-computed cases in their own suites.
#include "core/features/cohort_table.h"
#include "core/model/calibration.h"
#include "core/model/model_training.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <cmath>
#include <limits>
#include <stop_token>
#include <string>
#include <vector>

using namespace mosaic;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

struct Cohort
{
    FeatureSchema schema;
    TrainingData data;
};

Cohort heartFailure()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv", options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    std::vector<FeatureDefinition> definitions;
    for (const auto &column : table->featureColumns)
        definitions.push_back({ column, Modality::Records, "", "" });
    // Two modalities so that coverage rules have something to count: ejection fraction as imaging
    // (it is measured by echocardiography), the rest as records.
    for (auto &definition : definitions)
        if (definition.name == "Ejection.Fraction")
            definition.modality = Modality::Imaging;
    Cohort cohort { *FeatureSchema::fromDefinitions(definitions), {} };
    cohort.data.sourceName = table->sourceName;
    cohort.data.features = table->features;
    std::vector<std::string> sex;
    const auto genderColumn
        = std::ranges::find(table->featureColumns, "Gender") - table->featureColumns.begin();
    for (Eigen::Index row = 0; row < table->features.rows(); ++row) {
        cohort.data.labels.push_back(static_cast<int>((*table->labels)(row)));
        sex.push_back(table->features(row, genderColumn) == 1.0f ? "male" : "female");
    }
    cohort.data.attributes.emplace_back("sex", std::move(sex));
    return cohort;
}

// Small enough for a test: two candidates, few rounds, 200 resamples.
TrainingPlan smallPlan(const FeatureSchema &schema)
{
    TrainingPlan plan;
    plan.name = "Death during follow-up (test)";
    plan.outcome = "death during follow-up";
    plan.labelColumn = "Event";
    plan.schema = schema;
    plan.selection.outerFolds = 5;
    plan.selection.innerFolds = 3;
    plan.selection.grid = { { 2, 0.1, 1.0 }, { 3, 0.1, 1.0 } };
    plan.selection.training.rounds = 120;
    plan.selection.training.threads = 1;
    plan.selection.earlyStoppingRounds = 10;
    plan.bootstrap.resamples = 200;
    plan.subgroups = { "sex" };
    return plan;
}

QJsonObject detailsOf(const ModelBundle &bundle)
{
    return QJsonDocument::fromJson(QByteArray::fromStdString(bundle.validation->details)).object();
}

} // namespace

class TestModelTraining : public QObject
{
    Q_OBJECT

private slots:
    void reportFollowsFromItsParts();
    void signedBundleKeepsCalibrationAndAbstention();
    void abstentionRateCountsTheBand();
    void trainingSectionIsRead();
    void trainingSectionRefusals_data();
    void trainingSectionRefusals();
    void refusesWhatItCannotDo();
    void cancels();
};

void TestModelTraining::reportFollowsFromItsParts()
{
    const Cohort cohort = heartFailure();
    const TrainingPlan plan = smallPlan(cohort.schema);
    auto trained = trainModel(cohort.data, plan);
    QVERIFY2(trained.has_value(), trained ? "" : trained.error().message().c_str());
    const ModelBundle *bundle = &trained->bundle;

    // The same nested selection run on its own gives the out-of-fold predictions the report was made of.
    ModelSelectionSettings selection = plan.selection;
    auto selected = nestedModelSelection(cohort.data.features, cohort.data.labels, {}, selection);
    QVERIFY(selected.has_value());
    std::vector<double> outOfFold;
    for (Eigen::Index row = 0; row < selected->outOfFold.front().rows(); ++row)
        outOfFold.push_back(selected->outOfFold.front()(row, 0));

    // The shipped map: Platt fitted on every out-of-fold prediction.
    auto platt = fitPlatt(outOfFold, cohort.data.labels);
    QVERIFY(platt.has_value());
    QVERIFY(bundle->calibration.has_value());
    QCOMPARE(bundle->calibration->method, ProbabilityCalibration::Method::Platt);
    QCOMPARE(bundle->calibration->platt.a, platt->a);
    QCOMPARE(bundle->calibration->platt.b, platt->b);

    // The reported figures: each fold mapped by Platt fitted on the other folds' predictions.
    std::vector<double> calibrated(outOfFold.size());
    for (const OuterFoldResult &fold : selected->outerFolds) {
        std::vector<double> otherScores;
        std::vector<int> otherLabels;
        for (std::size_t row = 0; row < outOfFold.size(); ++row)
            if (!std::ranges::binary_search(fold.testRows, row)) {
                otherScores.push_back(outOfFold[row]);
                otherLabels.push_back(cohort.data.labels[row]);
            }
        auto map = fitPlatt(otherScores, otherLabels);
        QVERIFY(map.has_value());
        for (const std::size_t row : fold.testRows)
            calibrated[row] = map->apply(outOfFold[row]);
    }
    QCOMPARE(trained->outOfFold, outOfFold);
    QCOMPARE(trained->calibratedOutOfFold, calibrated);
    for (const OuterFoldResult &fold : selected->outerFolds)
        for (const std::size_t row : fold.testRows)
            QCOMPARE(trained->outerFold[row], fold.fold);
    auto brier = brierScore(calibrated, cohort.data.labels);
    auto auroc = aurocDeLong(calibrated, cohort.data.labels);
    auto rawAuroc = aurocDeLong(outOfFold, cohort.data.labels);
    QVERIFY(brier && auroc && rawAuroc);
    const QJsonObject details = detailsOf(*bundle);
    const QJsonObject metrics = details["metrics"].toObject();
    QVERIFY(metrics["brier"].toObject()["estimate"].isDouble());
    QCOMPARE(metrics["brier"].toObject()["estimate"].toDouble(kNotANumber), *brier);
    QCOMPARE(bundle->validation->metrics.brier, *brier);
    QCOMPARE(bundle->validation->metrics.auroc.auroc, auroc->auroc);
    // Folds calibrated by different maps need not keep the ranking across folds, but the raw figure
    // is reported beside it.
    QCOMPARE(details["metrics_before_calibration"].toObject()["auroc"].toObject()["estimate"].toDouble(
                 kNotANumber),
        rawAuroc->auroc);
    QCOMPARE(metrics["cases"].toInt(), 299);
    QCOMPARE(metrics["positives"].toInt(), 96);
    QVERIFY(bundle->validation->aurocBootstrap95.has_value());
    QVERIFY(bundle->validation->aurocBootstrap95->lower < auroc->auroc);
    QVERIFY(bundle->validation->aurocBootstrap95->upper > auroc->auroc);

    // Subgroups by sex: 105 women and 194 men in the table (Gender 0 and 1).
    const QJsonArray sex = details["subgroups"].toObject()["sex"].toArray();
    QCOMPARE(sex.size(), 2);
    QCOMPARE(sex[0].toObject()["value"].toString(), QStringLiteral("female"));
    QCOMPARE(sex[0].toObject()["cases"].toInt(), 105);
    QCOMPARE(sex[1].toObject()["cases"].toInt(), 194);

    // The final model: the search's choice on all rows, fitted on every case.
    QCOMPARE(bundle->parameters.maxDepth, selected->finalParameters.maxDepth);
    QCOMPARE(bundle->parameters.rounds, selected->finalParameters.rounds);
    QCOMPARE(details["outer_folds"].toArray().size(), 5);
    auto hash = hashTrainingData(
        cohort.data.features, std::vector<float>(cohort.data.labels.begin(), cohort.data.labels.end()));
    QVERIFY(hash.has_value());
    QCOMPARE(bundle->trainingDataSha256, *hash);
    QCOMPARE(bundle->trainingCases, std::size_t { 299 });
    QCOMPARE(bundle->trainingPositives, std::size_t { 96 });

    // Importance by modality: both modalities are used and imaging is the one ejection fraction.
    // The strongest interaction pairs: at most 10, ordered by their summed |value|, each a pair of
    // schema features listed by at least one and at most 299 patients.
    const QJsonArray pairs = details["interactions"].toObject()["pairs"].toArray();
    QVERIFY(!pairs.isEmpty() && pairs.size() <= 10);
    for (qsizetype i = 0; i < pairs.size(); ++i) {
        const QJsonObject pair = pairs[i].toObject();
        QVERIFY(cohort.schema.indexOf(pair["first"].toString().toStdString()).has_value());
        QVERIFY(cohort.schema.indexOf(pair["second"].toString().toStdString()).has_value());
        QVERIFY(pair["patients_listing_it"].toInt() >= 1 && pair["patients_listing_it"].toInt() <= 299);
        if (i > 0)
            QVERIFY(pairs[i - 1].toObject()["sum_absolute_value"].toDouble(kNotANumber)
                >= pair["sum_absolute_value"].toDouble(kNotANumber));
    }
    const QJsonArray modalities = details["importance"].toObject()["modalities"].toArray();
    QCOMPARE(modalities.size(), 2);
    for (const auto &modality : modalities)
        QVERIFY(modality.toObject()["mean_absolute_shap"].toDouble(kNotANumber) > 0.0);
}

void TestModelTraining::signedBundleKeepsCalibrationAndAbstention()
{
    const Cohort cohort = heartFailure();
    TrainingPlan plan = smallPlan(cohort.schema);
    plan.calibration = ProbabilityCalibration::Method::Isotonic;
    auto policy = AbstentionPolicy::fromJson(
        "{\"uncertain_band\": {\"low\": 0.3, \"high\": 0.5}, \"required_modalities\": [\"imaging\"]}",
        "spec.json");
    QVERIFY(policy.has_value());
    plan.abstention = *policy;
    plan.intendedUse = "adults with heart failure";
    plan.specification = "{\"format\":\"mosaic-model-spec\"}";
    auto trained = trainModel(cohort.data, plan);
    QVERIFY2(trained.has_value(), trained ? "" : trained.error().message().c_str());
    const ModelBundle *bundle = &trained->bundle;

    auto key = SigningKey::generate();
    QVERIFY(key.has_value());
    TrustedKeys trusted;
    QVERIFY(trusted.add("test", key->publicKey()).has_value());
    auto json = bundle->toJson(*key);
    QVERIFY(json.has_value());
    auto read = ModelBundle::fromJson(*json, "test.bundle", trusted);
    QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
    QCOMPARE(read->calibration->method, ProbabilityCalibration::Method::Isotonic);
    QCOMPARE(read->calibration->isotonic.thresholds, bundle->calibration->isotonic.thresholds);
    QCOMPARE(read->calibration->isotonic.values, bundle->calibration->isotonic.values);
    QVERIFY(read->abstention.has_value());
    QCOMPARE(read->abstention->toJson(), bundle->abstention->toJson());
    QCOMPARE(read->validation->calibrationMethod, std::string("isotonic"));
    QCOMPARE(read->validation->expectedCalibrationError, bundle->validation->expectedCalibrationError);
    QCOMPARE(read->validation->abstentionRate, bundle->validation->abstentionRate);
    QCOMPARE(read->validation->details, bundle->validation->details);
    QCOMPARE(read->specification, plan.specification);

    // A calibration map changed after signing is refused: the content hash no longer matches.
    std::string tampered = *json;
    // The bundle is written with sorted keys, so the content's "calibration" map comes first.
    const std::string method = "\"method\": \"isotonic\"";
    const auto at = tampered.find(method);
    QVERIFY(at != std::string::npos);
    QVERIFY(at < tampered.find("\"validation\""));
    tampered.replace(at, method.size(), "\"method\": \"none\"    ");
    auto refused = ModelBundle::fromJson(tampered, "test.bundle", trusted);
    QVERIFY(!refused.has_value());
    QCOMPARE(refused.error().code, ErrorCode::IntegrityFailed);
}

void TestModelTraining::abstentionRateCountsTheBand()
{
    const Cohort cohort = heartFailure();
    TrainingPlan plan = smallPlan(cohort.schema);
    auto policy
        = AbstentionPolicy::fromJson("{\"uncertain_band\": {\"low\": 0.25, \"high\": 0.45}}", "spec.json");
    QVERIFY(policy.has_value());
    plan.abstention = *policy;
    auto trained = trainModel(cohort.data, plan);
    QVERIFY2(trained.has_value(), trained ? "" : trained.error().message().c_str());
    const ModelBundle *bundle = &trained->bundle;

    // The report's own decision counts: abstained + called = cases, the rate is their ratio, and
    // with a band as the only rule every abstention is an uncertain risk.
    const QJsonObject abstention = detailsOf(*bundle)["abstention"].toObject();
    QVERIFY(abstention["cases"].isDouble());
    const int cases = abstention["cases"].toInt();
    const int abstained = abstention["abstained"].toInt();
    QCOMPARE(cases, 299);
    QCOMPARE(abstained + abstention["called"].toInt(), cases);
    QVERIFY(abstained > 0 && abstained < cases);
    QCOMPARE(*bundle->validation->abstentionRate, static_cast<double>(abstained) / cases);
    QCOMPARE(abstention["reasons"].toObject()["uncertain_risk"].toInt(), abstained);
}

void TestModelTraining::trainingSectionIsRead()
{
    TrainingPlan plan;
    auto read
        = readTrainingSection("{\"outer_folds\": 10, \"inner_folds\": 4, \"seed\": 7, \"max_rounds\": 50, "
                              "\"grid\": {\"max_depth\": [2, 4], \"learning_rate\": [0.3]}, "
                              "\"criterion\": \"auroc\", \"class_weights\": \"balanced\", "
                              "\"calibration\": \"isotonic\", \"threshold\": 0.2, "
                              "\"decision_thresholds\": [0.1, 0.2], \"bootstrap_resamples\": 500}",
            "spec.json", plan);
    QVERIFY2(read.has_value(), read ? "" : read.error().message().c_str());
    QCOMPARE(plan.selection.outerFolds, 10);
    QCOMPARE(plan.selection.innerFolds, 4);
    QCOMPARE(plan.selection.seed, std::uint64_t { 7 });
    QCOMPARE(plan.selection.training.rounds, 50);
    // 2 depths x 1 rate x the default grid's 2 minimum child weights (1 and 5).
    QCOMPARE(plan.selection.grid.size(), std::size_t { 4 });
    QCOMPARE(plan.selection.grid[1].maxDepth, 2);
    QCOMPARE(plan.selection.grid[1].minChildWeight, 5.0);
    QCOMPARE(plan.selection.grid[3].learningRate, 0.3);
    QCOMPARE(plan.selection.criterion, SelectionCriterion::Auroc);
    QVERIFY(plan.selection.balancedClassWeights);
    QCOMPARE(plan.calibration, ProbabilityCalibration::Method::Isotonic);
    QCOMPARE(plan.threshold, 0.2);
    QCOMPARE(plan.decisionThresholds, (std::vector<double> { 0.1, 0.2 }));
    QCOMPARE(plan.bootstrap.resamples, std::size_t { 500 });
}

void TestModelTraining::trainingSectionRefusals_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("unknown key") << "{\"folds\": 5}"
                                 << "spec.json: training.folds: is not a training setting Mosaic knows";
    QTest::newRow("one outer fold")
        << "{\"outer_folds\": 1}"
        << "spec.json: training.outer_folds: must be a whole number from 2 to 100";
    QTest::newRow("fractional rounds")
        << "{\"max_rounds\": 2.5}"
        << "spec.json: training.max_rounds: must be a whole number from 1 to 100000";
    QTest::newRow("unknown hyperparameter")
        << "{\"grid\": {\"gamma\": [1]}}"
        << "spec.json: training.grid.gamma: is not a hyperparameter the search varies";
    QTest::newRow("empty grid list")
        << "{\"grid\": {\"max_depth\": []}}"
        << "spec.json: training.grid.max_depth: must be a list of 1 to 20 values";
    QTest::newRow("unknown calibration")
        << "{\"calibration\": \"beta\"}"
        << "spec.json: training.calibration: must be \"platt\", \"isotonic\" or \"none\"";
    QTest::newRow("threshold of one")
        << "{\"threshold\": 1}"
        << "spec.json: training.threshold: must be a number from 0.000001 to 0.999999";
    QTest::newRow("too few resamples")
        << "{\"bootstrap_resamples\": 10}"
        << "spec.json: training.bootstrap_resamples: must be a whole number from 100 to 100000";
    QTest::newRow("not an object") << "[1]"
                                   << "spec.json: training: not a JSON object";
}

void TestModelTraining::trainingSectionRefusals()
{
    QFETCH(QString, json);
    QFETCH(QString, message);
    TrainingPlan plan;
    auto read = readTrainingSection(json.toStdString(), "spec.json", plan);
    QVERIFY(!read.has_value());
    QCOMPARE(QString::fromStdString(read.error().message()), message);
}

void TestModelTraining::refusesWhatItCannotDo()
{
    Cohort cohort = heartFailure();
    TrainingPlan plan = smallPlan(cohort.schema);
    plan.subgroups = { "site" };
    auto unknown = trainModel(cohort.data, plan);
    QVERIFY(!unknown.has_value());
    QCOMPARE(QString::fromStdString(unknown.error().message()),
        QStringLiteral("heart_failure_S1Data.csv: subgroup 'site' is not a column of the cohort with one "
                       "value per case"));

    plan.subgroups.clear();
    cohort.data.labels[3] = 2;
    auto multiclass = trainModel(cohort.data, plan);
    QVERIFY(!multiclass.has_value());
    QCOMPARE(multiclass.error().code, ErrorCode::InvalidArgument);
}

void TestModelTraining::cancels()
{
    const Cohort cohort = heartFailure();
    std::stop_source stop;
    int calls = 0;
    auto bundle = trainModel(cohort.data, smallPlan(cohort.schema), stop.get_token(), [&](int, int) {
        if (++calls == 3)
            stop.request_stop();
    });
    QVERIFY(!bundle.has_value());
    QCOMPARE(bundle.error().code, ErrorCode::Cancelled);
}

QTEST_APPLESS_MAIN(TestModelTraining)
#include "tst_model_training.moc"
