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
#include <limits>
#include <map>
#include <thread>

using namespace mosaic;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

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
    void balancedWeightsMatchScikitLearnRule();
    void weightsAreRefusedWhenMalformed();
    void weightedTrainingMatchesPythonXgboost_data();
    void weightedTrainingMatchesPythonXgboost();
    void earlyStoppingMatchesPythonXgboost_data();
    void earlyStoppingMatchesPythonXgboost();
    void earlyStoppingKeepsOnlyTheBestRounds();
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

namespace {

// Python's XGBoost (the peer) trains on the same CSV with the same parameters. Features are the CSV
// columns other than TIME, Event and (for the three-class task) Ejection.Fraction, in file order,
// as readCohortTable gives them. Weights, when asked for, come from scikit-learn's
// compute_class_weight("balanced"), not from Mosaic. With a patience it trains on rows i % 3 != 0
// with early stopping on rows i % 3 == 0 and prints the best iteration first. It prints the
// probabilities of the evaluation rows (all rows without a patience) predicted up to the best
// iteration, one row per line. One process runs every job (Python starts slowly), each job's
// output after a line "job <arguments>"; exit status 3 when a package is missing.
const char *kPeerScript = R"(
import sys
try:
    import numpy, pandas, xgboost
    from sklearn.utils.class_weight import compute_class_weight
except ImportError:
    sys.exit(3)
table = pandas.read_csv(sys.argv[1])
def run(task, weighted, rounds, patience, eta, seed):
    if task == "binary":
        labels = table["Event"].to_numpy()
        features = table.drop(columns=["TIME", "Event"])
    else:
        ef = table["Ejection.Fraction"].to_numpy()
        labels = numpy.where(ef <= 40, 0, numpy.where(ef < 50, 1, 2))
        features = table.drop(columns=["TIME", "Event", "Ejection.Fraction"])
    features = features.to_numpy(dtype=numpy.float32)
    classes = numpy.unique(labels)
    class_weight = dict(zip(classes, compute_class_weight("balanced", classes=classes, y=labels)))
    params = {"tree_method": "hist", "eta": eta, "max_depth": 3, "min_child_weight": 1.0, "subsample": 1.0,
              "colsample_bytree": 1.0, "lambda": 1.0, "seed": seed, "nthread": 1}
    if task == "binary":
        params.update(objective="binary:logistic", eval_metric="logloss")
    else:
        params.update(objective="multi:softprob", num_class=3, eval_metric="mlogloss")
    def matrix(rows):
        y = labels[rows]
        w = numpy.array([class_weight[v] for v in y]) if weighted else None
        return xgboost.DMatrix(features[rows], label=y, weight=w)
    if patience == 0:
        booster = xgboost.train(params, matrix(numpy.arange(len(labels))), num_boost_round=rounds)
        predicted = booster.predict(xgboost.DMatrix(features))
    else:
        rows = numpy.arange(len(labels))
        train, evaluation = matrix(rows[rows % 3 != 0]), matrix(rows[rows % 3 == 0])
        booster = xgboost.train(params, train, num_boost_round=rounds, evals=[(evaluation, "evaluation")],
                                early_stopping_rounds=patience, verbose_eval=False)
        print(booster.best_iteration)
        predicted = booster.predict(xgboost.DMatrix(features[rows % 3 == 0]), iteration_range=(0, booster.best_iteration + 1))
    predicted = predicted.reshape(len(predicted), -1)
    for row in predicted:
        print(" ".join(repr(float(p)) for p in row))
for job in sys.argv[2:]:
    print("job " + job)
    task, weighted, rounds, patience, eta, seed = job.split(",")
    run(task, weighted == "1", int(rounds), int(patience), float(eta), int(seed))
)";

QString peerJob(bool multiclass, bool weighted, int rounds, int patience, double eta, std::uint64_t seed)
{
    return QStringList { multiclass ? "multiclass" : "binary", weighted ? "1" : "0", QString::number(rounds),
        QString::number(patience), QString::number(eta, 'g', 17), QString::number(seed % 2147483647u) }
        .join(',');
}

// Every job the tests ask for: (multiclass, weighted, rounds, patience, eta), seed 7.
const std::vector<QString> &peerJobs()
{
    static const std::vector<QString> jobs = {
        peerJob(false, true, 40, 0, 0.1, 7),
        peerJob(true, true, 40, 0, 0.1, 7),
        peerJob(false, false, 200, 5, 0.3, 7),
        peerJob(false, true, 200, 10, 0.3, 7),
        peerJob(true, false, 200, 5, 0.3, 7),
        peerJob(true, true, 200, 8, 0.3, 7),
    };
    return jobs;
}

// The outputs of all jobs from one Python run, keyed by job; empty when a package is missing.
const std::map<QString, QStringList> &peerOutputs()
{
    static const std::map<QString, QStringList> outputs = [] {
        QStringList arguments = { "-c", kPeerScript, kCohortPath };
        for (const QString &job : peerJobs())
            arguments << job;
        QProcess process;
        process.start("/usr/bin/python3", arguments);
        if (!process.waitForFinished(300000))
            qFatal("the Python peer did not finish");
        std::map<QString, QStringList> result;
        if (process.exitCode() == 3)
            return result;
        if (process.exitCode() != 0)
            qFatal("the Python peer failed: %s", process.readAllStandardError().constData());
        QStringList *current = nullptr;
        for (const QString &line : QString(process.readAllStandardOutput()).split('\n', Qt::SkipEmptyParts)) {
            if (line.startsWith("job "))
                current = &result[line.mid(4)];
            else if (current)
                current->append(line);
        }
        return result;
    }();
    return outputs;
}

bool pythonHasXgboostAndPandas()
{
    return !peerOutputs().empty();
}

QStringList runPeer(bool multiclass, bool weighted, int rounds, int patience, double eta, std::uint64_t seed)
{
    const auto found = peerOutputs().find(peerJob(multiclass, weighted, rounds, patience, eta, seed));
    if (found == peerOutputs().end())
        qFatal("the Python peer was not asked for this job; add it to peerJobs()");
    return found->second;
}

std::vector<int> intLabels(const Cohort &cohort)
{
    return { cohort.labels.begin(), cohort.labels.end() };
}

// Rows with (row % 3 == 0) == evaluation, the peer's split.
Cohort splitRows(const Cohort &cohort, bool evaluation)
{
    Cohort part;
    part.names = cohort.names;
    std::vector<Eigen::Index> rows;
    for (Eigen::Index row = 0; row < cohort.features.rows(); ++row)
        if ((row % 3 == 0) == evaluation)
            rows.push_back(row);
    part.features.resize(static_cast<Eigen::Index>(rows.size()), cohort.features.cols());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        part.features.row(static_cast<Eigen::Index>(i)) = cohort.features.row(rows[i]);
        part.labels.push_back(cohort.labels[static_cast<std::size_t>(rows[i])]);
    }
    return part;
}

TrainingParameters deterministicParameters(bool multiclass, int rounds, double eta)
{
    TrainingParameters parameters;
    parameters.objective = multiclass ? Objective::MulticlassSoftprob : Objective::BinaryLogistic;
    parameters.classCount = 3;
    parameters.rounds = rounds;
    parameters.learningRate = eta;
    parameters.maxDepth = 3;
    parameters.minChildWeight = 1.0;
    parameters.subsample = 1.0;
    parameters.columnSample = 1.0;
    parameters.threads = 1;
    parameters.seed = 7;
    return parameters;
}

// Every probability within 1e-6 of the peer's line for that row.
void comparePredictions(const RowMatrixXf &ours, const QStringList &lines, qsizetype firstLine)
{
    QCOMPARE(lines.size() - firstLine, static_cast<qsizetype>(ours.rows()));
    for (Eigen::Index row = 0; row < ours.rows(); ++row) {
        const QStringList values = lines[firstLine + row].split(' ');
        QCOMPARE(values.size(), static_cast<qsizetype>(ours.cols()));
        for (Eigen::Index c = 0; c < ours.cols(); ++c)
            QVERIFY2(std::abs(values[c].toDouble() - ours(row, c)) < 1e-6,
                qPrintable(QString("row %1 class %2: %3 vs Python %4")
                               .arg(row)
                               .arg(c)
                               .arg(ours(row, c))
                               .arg(values[c])));
    }
}

} // namespace

void TestBooster::balancedWeightsMatchScikitLearnRule()
{
    // 96 deaths of 299 (Ahmad 2017): n / (2 n_c) = 299 / 406 = 0.736453 for survivors (203) and
    // 299 / 192 = 1.557292 for deaths; both classes then carry 299 / 2 = 149.5.
    const auto labels = intLabels(deathCohort());
    auto weights = balancedClassWeights(labels, 2);
    QVERIFY(weights);
    QCOMPARE(weights->ofClass.size(), std::size_t { 2 });
    QVERIFY(std::abs(weights->ofClass[0] - 299.0 / 406.0) < 1e-12);
    QVERIFY(std::abs(weights->ofClass[1] - 299.0 / 192.0) < 1e-12);
    // An absent class weighs 0 and does not count in K: {0, 0, 2} with 3 classes is 3 / (2 * 2) and 3 / (2 *
    // 1).
    const std::vector<int> sparse = { 0, 0, 2 };
    auto three = balancedClassWeights(sparse, 3);
    QVERIFY(three);
    QCOMPARE(three->ofClass, (std::vector<double> { 0.75, 0.0, 1.5 }));
    QCOMPARE(three->forRows(sparse), (std::vector<float> { 0.75f, 0.75f, 1.5f }));
    const std::vector<int> outOfRange = { 0, 3 };
    QCOMPARE(balancedClassWeights(outOfRange, 3).error().code, ErrorCode::InvalidArgument);
    QCOMPARE(balancedClassWeights({}, 2).error().code, ErrorCode::InvalidArgument);
}

void TestBooster::weightsAreRefusedWhenMalformed()
{
    auto data = DMatrix::fromDense(deathCohort().features);
    QVERIFY(data);
    const std::vector<float> tooFew(10, 1.0f);
    QCOMPARE(data->setWeights(tooFew).error().message(), "the matrix has 299 rows but 10 weights");
    std::vector<float> negative(299, 1.0f);
    negative[17] = -1.0f;
    QCOMPARE(data->setWeights(negative).error().message(),
        "the weight of row 17 is not a finite non-negative number");
    std::vector<float> notANumber(299, 1.0f);
    notANumber[3] = std::nanf("");
    QCOMPARE(data->setWeights(notANumber).error().code, ErrorCode::InvalidArgument);
}

void TestBooster::weightedTrainingMatchesPythonXgboost_data()
{
    QTest::addColumn<bool>("multiclass");
    QTest::newRow("binary: death, balanced weights") << false;
    QTest::newRow("three classes: ejection fraction, balanced weights") << true;
}

void TestBooster::weightedTrainingMatchesPythonXgboost()
{
    QFETCH(bool, multiclass);
    if (!pythonHasXgboostAndPandas())
        QSKIP("python3-xgboost, pandas or scikit-learn is not installed");
    const Cohort cohort = multiclass ? ejectionFractionCohort() : deathCohort();
    DMatrix data = matrixOf(cohort);
    const auto labels = intLabels(cohort);
    auto weights = balancedClassWeights(labels, multiclass ? 3 : 2);
    QVERIFY(weights);
    QVERIFY(data.setWeights(weights->forRows(labels)));
    const TrainingParameters parameters = deterministicParameters(multiclass, 40, 0.1);
    auto weighted = Booster::train(data, parameters);
    QVERIFY2(weighted, weighted ? "" : weighted.error().message().c_str());
    auto ours = weighted->predictProbabilities(data);
    QVERIFY(ours);
    comparePredictions(*ours, runPeer(multiclass, true, 40, 0, 0.1, parameters.seed), 0);

    // The weights move the model: the minority classes gain probability on average.
    auto unweighted = Booster::train(matrixOf(cohort), parameters);
    auto plain = unweighted->predictProbabilities(data);
    QVERIFY(plain);
    const Eigen::Index minority
        = multiclass ? 1 : 0; // mildly reduced EF is rarest; binary column is P(death)
    QVERIFY(ours->col(minority).mean() > plain->col(minority).mean() + 0.01);
}

void TestBooster::earlyStoppingMatchesPythonXgboost_data()
{
    QTest::addColumn<bool>("multiclass");
    QTest::addColumn<bool>("weighted");
    QTest::addColumn<int>("patience");
    QTest::newRow("binary logloss, patience 5") << false << false << 5;
    QTest::newRow("binary logloss, class-weighted, patience 10") << false << true << 10;
    QTest::newRow("three-class mlogloss, patience 5") << true << false << 5;
    QTest::newRow("three-class mlogloss, class-weighted, patience 8") << true << true << 8;
}

void TestBooster::earlyStoppingMatchesPythonXgboost()
{
    QFETCH(bool, multiclass);
    QFETCH(bool, weighted);
    QFETCH(int, patience);
    if (!pythonHasXgboostAndPandas())
        QSKIP("python3-xgboost, pandas or scikit-learn is not installed");
    const Cohort cohort = multiclass ? ejectionFractionCohort() : deathCohort();
    const Cohort trainPart = splitRows(cohort, false);
    const Cohort evaluationPart = splitRows(cohort, true);
    DMatrix training = matrixOf(trainPart);
    DMatrix evaluation = matrixOf(evaluationPart);
    if (weighted) {
        // The peer weighs every row by the whole cohort's class counts.
        auto weights = balancedClassWeights(intLabels(cohort), multiclass ? 3 : 2);
        QVERIFY(weights);
        QVERIFY(training.setWeights(weights->forRows(intLabels(trainPart))));
        QVERIFY(evaluation.setWeights(weights->forRows(intLabels(evaluationPart))));
    }
    const TrainingParameters parameters = deterministicParameters(multiclass, 200, 0.3);
    auto fitted = Booster::trainWithEarlyStopping(training, evaluation, parameters, patience);
    QVERIFY2(fitted, fitted ? "" : fitted.error().message().c_str());
    const QStringList lines = runPeer(multiclass, weighted, 200, patience, 0.3, parameters.seed);
    QVERIFY(!lines.isEmpty());
    QCOMPARE(fitted->bestIteration, lines[0].toInt());
    // Stopped early, not at the round limit, so the test exercises the stopping rule.
    QCOMPARE(static_cast<int>(fitted->scores.size()), fitted->bestIteration + 1 + patience);
    QVERIFY(fitted->scores.size() < 200);
    QCOMPARE(*fitted->booster.boostedRounds(), fitted->bestIteration + 1);
    auto ours = fitted->booster.predictProbabilities(evaluation);
    QVERIFY(ours);
    comparePredictions(*ours, lines, 1);
}

void TestBooster::earlyStoppingKeepsOnlyTheBestRounds()
{
    const Cohort cohort = deathCohort();
    DMatrix training = matrixOf(splitRows(cohort, false));
    DMatrix evaluation = matrixOf(splitRows(cohort, true));
    const TrainingParameters parameters = deterministicParameters(false, 200, 0.3);
    auto fitted = Booster::trainWithEarlyStopping(training, evaluation, parameters, 5);
    QVERIFY(fitted);
    // The best score is the minimum of the scores seen, first reached at bestIteration.
    const auto minimum = std::ranges::min_element(fitted->scores);
    QCOMPARE(static_cast<int>(minimum - fitted->scores.begin()), fitted->bestIteration);
    QCOMPARE(fitted->bestScore, *minimum);
    // The cut model equals a model trained for exactly bestIteration + 1 rounds.
    TrainingParameters exact = parameters;
    exact.rounds = fitted->bestIteration + 1;
    const DMatrix trainingAgain = matrixOf(splitRows(cohort, false));
    auto reference = Booster::train(trainingAgain, exact);
    QVERIFY(reference);
    QVERIFY(
        *fitted->booster.predictProbabilities(evaluation) == *reference->predictProbabilities(evaluation));
    QCOMPARE(Booster::trainWithEarlyStopping(training, evaluation, parameters, 0).error().code,
        ErrorCode::InvalidArgument);
    auto unlabelled = DMatrix::fromDense(splitRows(cohort, true).features);
    QCOMPARE(Booster::trainWithEarlyStopping(training, *unlabelled, parameters, 5).error().message(),
        "the evaluation matrix has no labels");
}

QTEST_APPLESS_MAIN(TestBooster)
#include "tst_booster.moc"
