// SPDX-License-Identifier: Apache-2.0
// The XGBoost engine on the real heart-failure cohort (Ahmad et al. 2017): SHAP additivity,
// save/load, determinism, importance against the model's own trees, failures carrying XGBoost's
// message, and Python's XGBoost (the peer) reading our saved model to the same predictions.
#include "core/features/cohort_table.h"
#include "core/model/booster.h"

#include <nlohmann/json.hpp>

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <fstream>
#include <map>
#include <thread>

using namespace mosaic;

namespace {

const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";

struct Cohort
{
    RowMatrixXf features;
    std::vector<float> labels;
    std::vector<std::string> names;
};

// Death during follow-up from the ten baseline features; follow-up time leaks the outcome.
Cohort deathCohort()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    Cohort cohort;
    cohort.features = table->features;
    cohort.labels.assign(table->labels->data(), table->labels->data() + table->labels->size());
    cohort.names = table->featureColumns;
    return cohort;
}

// Heart failure by ejection fraction (ESC 2021): reduced <= 40 %, mildly reduced 41-49 %,
// preserved >= 50 %, predicted from the other baseline features: a real three-class task.
Cohort ejectionFractionCohort()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    const auto &columns = table->featureColumns;
    const auto efColumn = std::distance(columns.begin(), std::ranges::find(columns, "Ejection.Fraction"));
    Cohort cohort;
    cohort.features.resize(table->features.rows(), table->features.cols() - 1);
    for (Eigen::Index row = 0; row < table->features.rows(); ++row) {
        const float ef = table->features(row, efColumn);
        cohort.labels.push_back(ef <= 40.0f ? 0.0f : ef < 50.0f ? 1.0f : 2.0f);
        Eigen::Index out = 0;
        for (Eigen::Index column = 0; column < table->features.cols(); ++column)
            if (column != efColumn)
                cohort.features(row, out++) = table->features(row, column);
    }
    for (std::size_t i = 0; i < columns.size(); ++i)
        if (static_cast<Eigen::Index>(i) != efColumn)
            cohort.names.push_back(columns[i]);
    return cohort;
}

DMatrix matrixOf(const Cohort &cohort)
{
    auto matrix = DMatrix::fromDense(cohort.features, cohort.labels, cohort.names);
    if (!matrix)
        qFatal("%s", matrix.error().message().c_str());
    return std::move(*matrix);
}

TrainingParameters fastParameters(Objective objective = Objective::BinaryLogistic)
{
    TrainingParameters parameters;
    parameters.objective = objective;
    parameters.classCount = 3;
    parameters.rounds = 60;
    return parameters;
}

} // namespace

class TestBooster : public QObject
{
    Q_OBJECT

private slots:
    void contributionsAddUpToTheMargin_data();
    void contributionsAddUpToTheMargin();
    void interactionsAddUpToContributions();
    void probabilitiesAreTheLogisticOfTheMargin();
    void multiclassProbabilitiesSumToOne();
    void savedModelPredictsIdentically_data();
    void savedModelPredictsIdentically();
    void trainingIsDeterministicForASeed();
    void importanceMatchesTheTrees();
    void pythonXgboostReadsTheSavedModel();
    void labelOutOfRangeCarriesXgboostMessage();
    void corruptModelCarriesXgboostMessage();
    void wrongColumnCountIsRefused_data();
    void wrongColumnCountIsRefused();
    void trainingWithoutLabelsIsRefused();
    void trainingCanBeCancelled();
    void trainingLeavesOneCoreFree();
};

void TestBooster::contributionsAddUpToTheMargin_data()
{
    QTest::addColumn<bool>("multiclass");
    QTest::newRow("binary: death during follow-up") << false;
    QTest::newRow("three classes: ejection fraction category") << true;
}

void TestBooster::contributionsAddUpToTheMargin()
{
    QFETCH(bool, multiclass);
    const Cohort cohort = multiclass ? ejectionFractionCohort() : deathCohort();
    const DMatrix data = matrixOf(cohort);
    auto booster = Booster::train(
        data, fastParameters(multiclass ? Objective::MulticlassSoftprob : Objective::BinaryLogistic));
    QVERIFY2(booster, booster ? "" : booster.error().message().c_str());
    auto margin = booster->predictMargin(data);
    auto shap = booster->contributions(data);
    QVERIFY(margin && shap);
    QCOMPARE(shap->rows, data.rows());
    QCOMPARE(shap->features, data.columns());
    QCOMPARE(shap->classes, multiclass ? std::size_t { 3 } : std::size_t { 1 });
    for (std::size_t row = 0; row < shap->rows; ++row) {
        for (std::size_t c = 0; c < shap->classes; ++c) {
            double sum = shap->bias(row, c);
            for (std::size_t feature = 0; feature < shap->features; ++feature)
                sum += shap->at(row, c, feature);
            const double expected = (*margin)(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(c));
            QVERIFY2(std::abs(sum - expected) < 1e-5,
                qPrintable(QString("row %1 class %2: %3 vs %4").arg(row).arg(c).arg(sum).arg(expected)));
        }
    }
}

void TestBooster::interactionsAddUpToContributions()
{
    const Cohort cohort = deathCohort();
    const DMatrix data = matrixOf(cohort);
    auto booster = Booster::train(data, fastParameters());
    QVERIFY(booster);
    auto shap = booster->contributions(data);
    auto interactions = booster->interactions(data);
    QVERIFY2(interactions, interactions ? "" : interactions.error().message().c_str());
    QCOMPARE(interactions->features, data.columns());
    for (std::size_t row = 0; row < interactions->rows; ++row)
        for (std::size_t first = 0; first < interactions->features; ++first) {
            double sum = 0.0;
            for (std::size_t second = 0; second <= interactions->features; ++second)
                sum += interactions->at(row, 0, first, second);
            QVERIFY2(std::abs(sum - shap->at(row, 0, first)) < 1e-4,
                qPrintable(QString("row %1 feature %2").arg(row).arg(first)));
        }
}

void TestBooster::probabilitiesAreTheLogisticOfTheMargin()
{
    const DMatrix data = matrixOf(deathCohort());
    auto booster = Booster::train(data, fastParameters());
    auto probabilities = booster->predictProbabilities(data);
    auto margin = booster->predictMargin(data);
    QVERIFY(probabilities && margin);
    QCOMPARE(probabilities->cols(), Eigen::Index { 1 });
    for (Eigen::Index row = 0; row < probabilities->rows(); ++row)
        QVERIFY(std::abs((*probabilities)(row, 0) - 1.0 / (1.0 + std::exp(-(*margin)(row, 0)))) < 1e-6);
}

void TestBooster::multiclassProbabilitiesSumToOne()
{
    const DMatrix data = matrixOf(ejectionFractionCohort());
    auto booster = Booster::train(data, fastParameters(Objective::MulticlassSoftprob));
    auto probabilities = booster->predictProbabilities(data);
    QVERIFY(probabilities);
    QCOMPARE(probabilities->cols(), Eigen::Index { 3 });
    for (Eigen::Index row = 0; row < probabilities->rows(); ++row)
        QVERIFY(std::abs(probabilities->row(row).sum() - 1.0f) < 1e-5f);
}

void TestBooster::savedModelPredictsIdentically_data()
{
    QTest::addColumn<int>("format");
    QTest::newRow("JSON") << static_cast<int>(ModelFormat::Json);
    QTest::newRow("UBJSON") << static_cast<int>(ModelFormat::Ubjson);
}

void TestBooster::savedModelPredictsIdentically()
{
    QFETCH(int, format);
    const DMatrix data = matrixOf(deathCohort());
    auto booster = Booster::train(data, fastParameters());
    auto bytes = booster->save(static_cast<ModelFormat>(format));
    QVERIFY(bytes && !bytes->empty());
    auto loaded = Booster::load(*bytes);
    QVERIFY2(loaded, loaded ? "" : loaded.error().message().c_str());
    auto before = booster->predictProbabilities(data);
    auto after = loaded->predictProbabilities(data);
    QVERIFY(before && after);
    QVERIFY(*before == *after); // bit for bit
    QCOMPARE(*loaded->boostedRounds(), 60);
    QCOMPARE(*loaded->featureCount(), data.columns());
}

void TestBooster::trainingIsDeterministicForASeed()
{
    const DMatrix data = matrixOf(deathCohort());
    auto first = Booster::train(data, fastParameters());
    auto second = Booster::train(data, fastParameters());
    TrainingParameters otherSeed = fastParameters();
    otherSeed.seed += 1;
    auto third = Booster::train(data, otherSeed);
    QVERIFY(first && second && third);
    QVERIFY(*first->predictProbabilities(data) == *second->predictProbabilities(data));
    QCOMPARE(*first->save(ModelFormat::Json), *second->save(ModelFormat::Json));
    // Row and column subsampling follow the seed, so another seed grows other trees.
    QVERIFY(*first->predictProbabilities(data) != *third->predictProbabilities(data));
}

void TestBooster::importanceMatchesTheTrees()
{
    const DMatrix data = matrixOf(deathCohort());
    auto booster = Booster::train(data, fastParameters());
    auto model = nlohmann::json::parse(*booster->save(ModelFormat::Json));
    const auto names = model["learner"]["feature_names"].get<std::vector<std::string>>();

    // Independent count from the saved trees: a node is a split when it has a left child.
    std::map<std::string, int> splits;
    std::map<std::string, double> gainSum;
    for (const auto &tree : model["learner"]["gradient_booster"]["model"]["trees"]) {
        const auto &left = tree["left_children"];
        for (std::size_t node = 0; node < left.size(); ++node) {
            if (left[node].get<int>() == -1)
                continue;
            const auto &name = names.at(tree["split_indices"][node].get<std::size_t>());
            ++splits[name];
            gainSum[name] += tree["loss_changes"][node].get<double>();
        }
    }
    auto weight = booster->featureScores(ImportanceType::Weight);
    auto gain = booster->featureScores(ImportanceType::Gain);
    QVERIFY(weight && gain);
    QCOMPARE(weight->size(), splits.size());
    for (const auto &score : *weight)
        QCOMPARE(score.score, static_cast<double>(splits.at(score.feature)));
    for (const auto &score : *gain) {
        const double expected = gainSum.at(score.feature) / splits.at(score.feature);
        QVERIFY2(std::abs(score.score - expected) <= 1e-4 * std::max(1.0, expected), score.feature.c_str());
    }
}

void TestBooster::pythonXgboostReadsTheSavedModel()
{
    const QString python = "/usr/bin/python3";
    if (QProcess::execute(python, { "-c", "import xgboost" }) != 0)
        QSKIP("python3-xgboost is not installed (packaging/install-deps.sh installs it)");
    const Cohort cohort = deathCohort();
    const DMatrix data = matrixOf(cohort);
    auto booster = Booster::train(data, fastParameters());
    QTemporaryDir dir;
    const std::string modelPath = (dir.path() + "/model.json").toStdString();
    std::ofstream(modelPath) << *booster->save(ModelFormat::Json);

    const char *script = R"(
import sys, numpy, xgboost
features = numpy.genfromtxt(sys.argv[2], delimiter=',', skip_header=1)
features = features[:, [c for c in range(features.shape[1]) if c not in (0, 1)]]  # TIME, Event
booster = xgboost.Booster(model_file=sys.argv[1])
print("\n".join(repr(float(p)) for p in booster.predict(xgboost.DMatrix(features, feature_names=booster.feature_names))))
)";
    QProcess process;
    process.start(python, { "-c", script, QString::fromStdString(modelPath), kCohortPath });
    QVERIFY(process.waitForFinished(120000));
    QVERIFY2(process.exitCode() == 0, process.readAllStandardError().constData());
    const QStringList lines = QString(process.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts);
    auto ours = booster->predictProbabilities(data);
    QCOMPARE(lines.size(), static_cast<int>(ours->rows()));
    for (int row = 0; row < lines.size(); ++row)
        QVERIFY2(
            std::abs(lines[row].toDouble() - (*ours)(row, 0)) < 1e-6, qPrintable(QString("row %1").arg(row)));
}

void TestBooster::labelOutOfRangeCarriesXgboostMessage()
{
    RowMatrixXf features(4, 1);
    features << 1, 2, 3, 4;
    const std::vector<float> labels = { 0, 1, 2, 0 }; // 2 is no binary label
    auto data = DMatrix::fromDense(features, labels);
    QVERIFY(data);
    auto booster = Booster::train(*data, fastParameters());
    QVERIFY(!booster);
    QCOMPARE(booster.error().code, ErrorCode::ModelFailure);
    // XGBoost's own words (src/objective/regression_loss.h): "label must be in [0,1] for logistic regression"
    QVERIFY2(booster.error().message().find("label must be in [0,1]") != std::string::npos,
        booster.error().message().c_str());
}

void TestBooster::corruptModelCarriesXgboostMessage()
{
    auto booster = Booster::load(R"({"learner": {"not": "a model"}})");
    QVERIFY(!booster);
    QCOMPARE(booster.error().code, ErrorCode::ModelFailure);
    QVERIFY(booster.error().message().starts_with("XGBoost could not load the model: "));
    QVERIFY(booster.error().message().size() > std::string("XGBoost could not load the model: ").size());
    QCOMPARE(Booster::load("").error().code, ErrorCode::Malformed);
}

void TestBooster::wrongColumnCountIsRefused_data()
{
    QTest::addColumn<int>("columns");
    // XGBoost itself accepts too few columns silently; the engine must not.
    QTest::newRow("3 columns for an 11-feature model") << 3;
    QTest::newRow("12 columns for an 11-feature model") << 12;
}

void TestBooster::wrongColumnCountIsRefused()
{
    QFETCH(int, columns);
    const DMatrix data = matrixOf(deathCohort());
    auto booster = Booster::train(data, fastParameters());
    RowMatrixXf other = RowMatrixXf::Zero(2, columns);
    auto matrix = DMatrix::fromDense(other);
    QVERIFY(matrix);
    for (int kind = 0; kind < 3; ++kind) {
        const Error error = kind == 0 ? booster->predictProbabilities(*matrix).error()
            : kind == 1               ? booster->predictMargin(*matrix).error()
                                      : booster->contributions(*matrix).error();
        QCOMPARE(error.code, ErrorCode::InvalidArgument);
        QCOMPARE(error.message(),
            "the data has " + std::to_string(columns) + " features but the model expects 11");
    }
}

void TestBooster::trainingWithoutLabelsIsRefused()
{
    auto data = DMatrix::fromDense(deathCohort().features);
    QVERIFY(data);
    auto booster = Booster::train(*data, fastParameters());
    QVERIFY(!booster);
    QCOMPARE(booster.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(DMatrix::fromDense(RowMatrixXf()).error().code, ErrorCode::InvalidArgument);
}

void TestBooster::trainingCanBeCancelled()
{
    const DMatrix data = matrixOf(deathCohort());
    std::stop_source stop;
    int roundsSeen = 0;
    auto booster = Booster::train(data, fastParameters(), stop.get_token(), [&](int done, int total) {
        roundsSeen = done;
        QCOMPARE(total, 60);
        if (done == 5)
            stop.request_stop();
    });
    QVERIFY(!booster);
    QCOMPARE(booster.error().code, ErrorCode::Cancelled);
    QCOMPARE(roundsSeen, 5);
}

void TestBooster::trainingLeavesOneCoreFree()
{
    const int cores = static_cast<int>(std::thread::hardware_concurrency());
    QCOMPARE(trainingThreadCount(), std::max(1, cores - 1));
    QCOMPARE(trainingThreadCount(3), 3);
}

QTEST_APPLESS_MAIN(TestBooster)
#include "tst_booster.moc"
