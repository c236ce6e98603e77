// SPDX-License-Identifier: Apache-2.0
// Model bundles and risk predictions on the real heart-failure cohort (Ahmad et al. 2017). A bundle
// must come back from JSON and from disk unchanged and predicting bit for bit the same; any change
// to its content must fail the SHA-256; content re-hashed by an attacker or a buggy tool must still
// fail the structural checks; damaged documents come back as errors, never as exceptions. The
// explanation of a prediction must add up (SHAP additivity, Lundberg et al. 2020) and must match
// what XGBoost computes for the same row built by hand.
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/features/feature_vector.h"
#include "core/model/booster.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"

#include <nlohmann/json.hpp>

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/model/bundle_test_support.h"
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

using namespace mosaic;
using Json = nlohmann::json;

// An edit to a parsed bundle document, applied by one row of a data-driven test.
using DocumentEdit = std::function<void(Json &document)>;

Q_DECLARE_METATYPE(mosaic::ErrorCode)
Q_DECLARE_METATYPE(DocumentEdit)

using mosaic::testing::contentSha256;
using mosaic::testing::rehashAndSign;
using mosaic::testing::testKeyPair;

namespace {

const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";
const char *kSchemaPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure.schema.json";

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

template <typename T> QByteArray failureText(const Result<T> &result)
{
    return result ? QByteArray() : QByteArray::fromStdString(result.error().message());
}

CohortTable deathTable()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" }; // follow-up time leaks the outcome
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    return std::move(*table);
}

FeatureSchema demoSchema()
{
    auto schema = FeatureSchema::readFile(kSchemaPath);
    if (!schema)
        qFatal("%s", schema.error().message().c_str());
    return std::move(*schema);
}

// The demo schema with ejection fraction filed under imaging: it is measured by echocardiography,
// and a second modality gives the per-modality sums something to separate.
FeatureSchema echoImagingSchema()
{
    const FeatureSchema demo = demoSchema();
    std::vector<FeatureDefinition> definitions(demo.definitions().begin(), demo.definitions().end());
    for (auto &definition : definitions)
        if (definition.name == "Ejection.Fraction")
            definition.modality = Modality::Imaging;
    auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
    if (!schema)
        qFatal("%s", schema.error().message().c_str());
    return std::move(*schema);
}

ModelBundle trainSmallBundle(const CohortTable &table, const FeatureSchema &schema)
{
    TrainingRequest request;
    request.name = "Death during follow-up (heart failure, test)";
    request.outcome = "death during follow-up";
    request.labelColumn = "Event";
    request.validation.folds = 5;
    request.validation.repeats = 1;
    request.validation.training.rounds = 30;
    auto bundle = trainRiskModel(table, schema, request);
    if (!bundle)
        qFatal("%s", bundle.error().message().c_str());
    return std::move(*bundle);
}

// The suite's signing key: libsodium's key pair of the seed 0x11 * 32, trusted by m_trusted.
SigningKey suiteKey()
{
    auto key = SigningKey::fromSeed(testKeyPair(0x11).seed);
    if (!key)
        qFatal("%s", key.error().message().c_str());
    return *key;
}

// Re-hashed and re-signed by the trusted key, so only the checks after the signature can refuse.
void rehash(Json &document)
{
    rehashAndSign(document, testKeyPair(0x11));
}

template <typename T> T valueOf(Result<T> result)
{
    if (!result)
        qFatal("%s", result.error().message().c_str());
    return std::move(*result);
}

// Edits the XGBoost model, which the bundle carries as JSON text inside a string.
void editEmbeddedModel(Json &document, const std::function<void(Json &model)> &edit)
{
    Json model = Json::parse(document["content"]["xgboost_model"].get<std::string>());
    edit(model);
    document["content"]["xgboost_model"] = model.dump();
}

std::vector<float> probabilitiesOf(const Booster &booster, const RowMatrixXf &features)
{
    auto data = DMatrix::fromDense(features);
    if (!data)
        qFatal("%s", data.error().message().c_str());
    auto probabilities = booster.predictProbabilities(*data);
    if (!probabilities)
        qFatal("%s", probabilities.error().message().c_str());
    return { probabilities->data(), probabilities->data() + probabilities->size() };
}

double logistic(double margin)
{
    return 1.0 / (1.0 + std::exp(-margin));
}

} // namespace

class TestModelBundle : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void trainedBundleDescribesItsTraining();
    void jsonRoundTripKeepsEveryField();
    void jsonRoundTripPredictsBitIdentically();
    void bundleWithoutValidationRoundTrips();
    void selectionReportRoundTrips();
    void fileRoundTripLeavesNoPartialFile();
    void writeFileIntoMissingFolderFails();
    void metadataRoundTrips();
    void libraryVersionsAreThoseOfTheBuild();
    void trainingDataHashEqualsPythonsOverTheTable();
    void trainingDataHashFollowsTheDocumentedByteOrder();
    void specificationMustBeAJsonObject();

    void alteredContentFailsTheChecksum_data();
    void alteredContentFailsTheChecksum();
    void rehashingUnchangedContentIsAccepted();
    void refusesDamagedBundles_data();
    void refusesDamagedBundles();
    void refusesTextThatIsNotABundle_data();
    void refusesTextThatIsNotABundle();
    void refusesOversizedBundleBeforeParsing();
    void readFileRefusesWhatIsNotABundle_data();
    void readFileRefusesWhatIsNotABundle();

    void contributionsAddUpToTheMargin_data();
    void contributionsAddUpToTheMargin();
    void modalitiesSumTheirFeatures();
    void topContributionsAreTheLargestInMagnitude();
    void predictMatchesFeaturesByName();
    void tablePredictionEqualsVectorPrediction();
    void predictionJsonCarriesTheExplanation();
    void riskModelRefusesMulticlassBundle();

private:
    FeatureVector patientVector(std::size_t row, const FeatureSchema &schema) const;

    SigningKey m_key = suiteKey();
    TrustedKeys m_trusted;
    CohortTable m_table;
    ModelBundle m_bundle; // demo schema, all records
    ModelBundle m_echoBundle; // ejection fraction as imaging
    std::string m_bundleJson;
};

void TestModelBundle::initTestCase()
{
    QVERIFY(m_trusted.add("test suite", m_key.publicKey()));
    m_table = deathTable();
    m_bundle = trainSmallBundle(m_table, demoSchema());
    m_echoBundle = trainSmallBundle(m_table, echoImagingSchema());
    m_bundleJson = valueOf(m_bundle.toJson(m_key));
}

FeatureVector TestModelBundle::patientVector(std::size_t row, const FeatureSchema &schema) const
{
    auto vector = m_table.featureVector(row, std::make_shared<const FeatureSchema>(schema));
    if (!vector)
        qFatal("%s", vector.error().message().c_str());
    return std::move(*vector);
}

void TestModelBundle::trainedBundleDescribesItsTraining()
{
    QCOMPARE(m_bundle.trainingSource, std::string("heart_failure_S1Data.csv"));
    QCOMPARE(m_bundle.trainingCases, std::size_t { 299 });
    QCOMPARE(m_bundle.trainingPositives, std::size_t { 96 }); // Ahmad et al. 2017: 96 deaths
    QCOMPARE(m_bundle.labelColumn, std::string("Event"));
    QCOMPARE(m_bundle.schema, demoSchema());
    QCOMPARE(m_bundle.parameters.rounds, 30);
    QVERIFY(QRegularExpression(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$)")
                .match(QString::fromStdString(m_bundle.createdAt))
                .hasMatch());
    QVERIFY(m_bundle.validation.has_value());
    QCOMPARE(m_bundle.validation->folds, 5);
    QCOMPARE(m_bundle.validation->repeats, 1);
    QCOMPARE(m_bundle.validation->metrics.cases, std::size_t { 299 });
    QVERIFY(QString::fromStdString(m_bundle.validation->protocol).contains("stratified 5-fold"));
    auto booster = m_bundle.loadBooster();
    QVERIFY2(booster, failureText(booster));
    QCOMPARE(*booster->featureCount(), std::size_t { 11 });
    QCOMPARE(*booster->boostedRounds(), 30);
}

void TestModelBundle::jsonRoundTripKeepsEveryField()
{
    auto read = ModelBundle::fromJson(m_bundleJson, "death.json", m_trusted);
    QVERIFY2(read, failureText(read));
    const ModelBundle &original = m_bundle;
    QCOMPARE(read->name, original.name);
    QCOMPARE(read->labelColumn, original.labelColumn);
    QCOMPARE(read->outcome, original.outcome);
    QCOMPARE(read->schema, original.schema);
    const auto &p = read->parameters;
    const auto &q = original.parameters;
    QVERIFY(p.objective == q.objective);
    QCOMPARE(p.classCount, q.classCount);
    QCOMPARE(p.rounds, q.rounds);
    QCOMPARE(p.learningRate, q.learningRate);
    QCOMPARE(p.maxDepth, q.maxDepth);
    QCOMPARE(p.minChildWeight, q.minChildWeight);
    QCOMPARE(p.subsample, q.subsample);
    QCOMPARE(p.columnSample, q.columnSample);
    QCOMPARE(p.lambda, q.lambda);
    QCOMPARE(p.seed, q.seed);
    QCOMPARE(read->trainingSource, original.trainingSource);
    QCOMPARE(read->trainingCases, original.trainingCases);
    QCOMPARE(read->trainingPositives, original.trainingPositives);
    QCOMPARE(read->createdAt, original.createdAt);
    QCOMPARE(read->xgboostModel, original.xgboostModel);

    QVERIFY(read->validation.has_value());
    const ValidationReport &v = *read->validation;
    const ValidationReport &w = *original.validation;
    QCOMPARE(v.protocol, w.protocol);
    QCOMPARE(v.folds, w.folds);
    QCOMPARE(v.repeats, w.repeats);
    QCOMPARE(v.seed, w.seed);
    QCOMPARE(v.aurocStandardDeviation, w.aurocStandardDeviation);
    QCOMPARE(v.metrics.cases, w.metrics.cases);
    QCOMPARE(v.metrics.positives, w.metrics.positives);
    // Doubles are written with enough digits to come back exactly.
    QCOMPARE(v.metrics.auroc.auroc, w.metrics.auroc.auroc);
    QCOMPARE(v.metrics.auroc.standardError, w.metrics.auroc.standardError);
    QCOMPARE(v.metrics.auroc.ci95.lower, w.metrics.auroc.ci95.lower);
    QCOMPARE(v.metrics.auroc.ci95.upper, w.metrics.auroc.ci95.upper);
    QCOMPARE(v.metrics.auprc, w.metrics.auprc);
    QCOMPARE(v.metrics.brier, w.metrics.brier);
    QCOMPARE(v.metrics.calibration.slope, w.metrics.calibration.slope);
    QCOMPARE(v.metrics.calibration.intercept, w.metrics.calibration.intercept);

    // Nothing was dropped that the comparisons above missed: writing again gives the same text.
    QCOMPARE(valueOf(read->toJson(m_key)), m_bundleJson);
}

void TestModelBundle::jsonRoundTripPredictsBitIdentically()
{
    auto read = ModelBundle::fromJson(m_bundleJson, "death.json", m_trusted);
    QVERIFY2(read, failureText(read));
    auto before = m_bundle.loadBooster();
    auto after = read->loadBooster();
    QVERIFY(before && after);
    const auto expected = probabilitiesOf(*before, m_table.features);
    const auto actual = probabilitiesOf(*after, m_table.features);
    QCOMPARE(actual.size(), m_table.rows());
    QVERIFY(std::memcmp(actual.data(), expected.data(), actual.size() * sizeof(float)) == 0);
}

void TestModelBundle::selectionReportRoundTrips()
{
    ModelBundle bundle = m_bundle;
    bundle.validation->selectionFrequency = { { "Ejection.Fraction", 1.0 }, { "Creatinine", 0.25 } };
    bundle.validation->chosenFeatureCounts = { { 2, 37 }, { 4, 13 }, { 8, 0 } };
    const std::string json = valueOf(bundle.toJson(m_key));
    auto read = ModelBundle::fromJson(json, "selected.json", m_trusted);
    QVERIFY2(read, failureText(read));
    QVERIFY(read->validation->selectionFrequency == bundle.validation->selectionFrequency);
    QVERIFY(read->validation->chosenFeatureCounts == bundle.validation->chosenFeatureCounts);
    QCOMPARE(valueOf(read->toJson(m_key)), json);
}

void TestModelBundle::bundleWithoutValidationRoundTrips()
{
    ModelBundle bundle = m_bundle;
    bundle.validation.reset();
    auto read = ModelBundle::fromJson(valueOf(bundle.toJson(m_key)), "unvalidated.json", m_trusted);
    QVERIFY2(read, failureText(read));
    QVERIFY(!read->validation.has_value());
    QVERIFY(!Json::parse(valueOf(bundle.toJson(m_key)))["content"].contains("validation"));
}

void TestModelBundle::fileRoundTripLeavesNoPartialFile()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const std::filesystem::path path = directory.filePath("death.mosaic-model.json").toStdString();
    auto written = m_bundle.writeFile(path, m_key);
    QVERIFY2(written, failureText(written));
    QCOMPARE(QDir(directory.path()).entryList(QDir::Files | QDir::Hidden),
        QStringList { "death.mosaic-model.json" });

    auto read = ModelBundle::readFile(path, m_trusted);
    QVERIFY2(read, failureText(read));
    QCOMPARE(valueOf(read->toJson(m_key)), m_bundleJson);
    auto booster = read->loadBooster();
    auto original = m_bundle.loadBooster();
    QVERIFY(booster && original);
    QCOMPARE(probabilitiesOf(*booster, m_table.features), probabilitiesOf(*original, m_table.features));

    // Overwriting replaces the file whole and again leaves no partial file behind.
    ModelBundle renamed = m_bundle;
    renamed.name = "Renamed";
    QVERIFY(renamed.writeFile(path, m_key));
    QCOMPARE(QDir(directory.path()).entryList(QDir::Files | QDir::Hidden),
        QStringList { "death.mosaic-model.json" });
    QCOMPARE(ModelBundle::readFile(path, m_trusted)->name, std::string("Renamed"));
}

void TestModelBundle::writeFileIntoMissingFolderFails()
{
    QTemporaryDir directory;
    const std::filesystem::path path = directory.filePath("absent/death.json").toStdString();
    auto written = m_bundle.writeFile(path, m_key);
    QVERIFY(!written);
    QCOMPARE(written.error().location, std::string("death.json"));
    QVERIFY(!QString::fromStdString(written.error().message()).contains(directory.path()));
    QVERIFY(!std::filesystem::exists(path));
}

void TestModelBundle::metadataRoundTrips()
{
    ModelBundle bundle = m_bundle;
    bundle.intendedUse
        = "Adults with heart failure and reduced ejection fraction; supports follow-up planning.";
    bundle.limitations = "Trained on 299 patients from one Pakistani centre (2015); not validated elsewhere.";
    bundle.specification
        = R"({"task": "binary", "label": "Event", "features": {"records": ["Age", "Sodium"]}})";
    const std::string json = valueOf(bundle.toJson(m_key));
    const Json document = Json::parse(json);
    QVERIFY(document["content"]["specification"].is_object()); // an object, not a string of JSON
    auto read = ModelBundle::fromJson(json, "described.json", m_trusted);
    QVERIFY2(read, failureText(read));
    QCOMPARE(read->intendedUse, bundle.intendedUse);
    QCOMPARE(read->limitations, bundle.limitations);
    QCOMPARE(read->trainingDataSha256, bundle.trainingDataSha256);
    QCOMPARE(read->libraries.xgboost, bundle.libraries.xgboost);
    QCOMPARE(read->libraries.mosaic, bundle.libraries.mosaic);
    // The compact dump of the object: keys sorted, no spaces.
    QCOMPARE(read->specification.value_or(""),
        std::string(R"({"features":{"records":["Age","Sodium"]},"label":"Event","task":"binary"})"));
    QCOMPARE(valueOf(read->toJson(m_key)), json);
    QVERIFY(!Json::parse(m_bundleJson)["content"].contains("specification"));
}

void TestModelBundle::libraryVersionsAreThoseOfTheBuild()
{
    // XGBoost writes its own version into every model it saves; Mosaic's is the CMake project's.
    const Json model = Json::parse(m_bundle.xgboostModel);
    const std::string written = std::to_string(model["version"][0].get<int>()) + "."
        + std::to_string(model["version"][1].get<int>()) + "."
        + std::to_string(model["version"][2].get<int>());
    QCOMPARE(m_bundle.libraries.xgboost, written);
    QFile cmake(MOSAIC_SOURCE_DIR "/CMakeLists.txt");
    QVERIFY(cmake.open(QIODevice::ReadOnly));
    const auto match = QRegularExpression(R"(project\(Mosaic VERSION ([0-9.]+))")
                           .match(QString::fromUtf8(cmake.readAll()));
    QVERIFY(match.hasMatch());
    QCOMPARE(QString::fromStdString(m_bundle.libraries.mosaic), match.captured(1));
}

void TestModelBundle::trainingDataHashEqualsPythonsOverTheTable()
{
    // Python reads the CSV itself and hashes the schema's columns and the label by the documented
    // scheme (model_bundle.h): the bundle's hash identifies the data it was trained on.
    const char *script = R"(
import csv, hashlib, json, math, struct, sys
names = [f["name"] for f in json.load(open(sys.argv[2]))["features"]]
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
def f32(text):
    value = float(text) if text.strip() else float("nan")
    return struct.pack("<I", 0x7FC00000) if math.isnan(value) else struct.pack("<f", value)
data = b"mosaic-training-data-v1\n" + struct.pack("<QQ", len(rows), len(names))
data += b"".join(f32(row[name]) for row in rows for name in names)
data += b"".join(f32(row["Event"]) for row in rows)
print(hashlib.sha256(data).hexdigest())
)";
    QProcess python;
    python.start("/usr/bin/python3", { "-c", script, kCohortPath, kSchemaPath });
    QVERIFY(python.waitForFinished(60000));
    QCOMPARE(python.exitCode(), 0);
    const QByteArray expected = python.readAllStandardOutput().trimmed();
    QCOMPARE(expected.size(), 64);
    QCOMPARE(QByteArray::fromStdString(m_bundle.trainingDataSha256), expected);
    // The control: another schema (ejection fraction as imaging, same columns) hashes the same data
    // alike, and the echo bundle says so; one label changed gives another hash.
    QCOMPARE(m_echoBundle.trainingDataSha256, m_bundle.trainingDataSha256);
    std::vector<float> labels(m_table.labels->data(), m_table.labels->data() + m_table.labels->size());
    labels[0] = 1.0f - labels[0];
    auto features = m_table.select(demoSchema());
    QVERIFY(features);
    QVERIFY(valueOf(hashTrainingData(*features, labels)) != m_bundle.trainingDataSha256);
}

void TestModelBundle::trainingDataHashFollowsTheDocumentedByteOrder()
{
    // /usr/bin/python3:
    //   X = [[1.5, -2.0], [nan, 0.1], [3.0e10, -0.0]]; y = [0.0, 1.0, 1.0]
    //   b = b"mosaic-training-data-v1\n" + struct.pack('<QQ', 3, 2)
    //   b += each x as struct.pack('<I', 0x7FC00000) if isnan(x) else struct.pack('<f', x), row by row
    //   b += each y as struct.pack('<f', y); hashlib.sha256(b).hexdigest()   (76 bytes in all)
    RowMatrixXf features(3, 2);
    features << 1.5f, -2.0f, std::numeric_limits<float>::quiet_NaN(), 0.1f, 3.0e10f, -0.0f;
    const std::vector<float> labels = { 0.0f, 1.0f, 1.0f };
    QCOMPARE(valueOf(hashTrainingData(features, labels)),
        std::string("a51d7a2fe2f40247d494a4a1af3212e1b238b175d497bb43a563ca6598d51b87"));
    // A NaN with another payload (a signalling NaN from some reader) is the same missing value.
    features(1, 0) = std::numeric_limits<float>::signaling_NaN();
    QCOMPARE(valueOf(hashTrainingData(features, labels)),
        std::string("a51d7a2fe2f40247d494a4a1af3212e1b238b175d497bb43a563ca6598d51b87"));
    auto mismatched = hashTrainingData(features, std::vector<float> { 0.0f, 1.0f });
    QVERIFY(!mismatched);
    QCOMPARE(mismatched.error().code, ErrorCode::InvalidArgument);
}

void TestModelBundle::specificationMustBeAJsonObject()
{
    for (const char *text : { "[1, 2]", "\"records\"", "{\"task\": ", "" }) {
        ModelBundle bundle = m_bundle;
        bundle.specification = text;
        auto json = bundle.toJson(m_key);
        QVERIFY2(!json, text);
        QCOMPARE(json.error().code, ErrorCode::InvalidArgument);
    }
    // Written by another tool and signed by a trusted key, a specification that is text is refused.
    Json document = Json::parse(m_bundleJson);
    document["content"]["specification"] = R"({"task": "binary"})";
    rehash(document);
    auto read = ModelBundle::fromJson(document.dump(), "spec.json", m_trusted);
    QVERIFY(!read);
    QCOMPARE(read.error().code, ErrorCode::Malformed);
    QVERIFY2(read.error().detail.find("specification is not a JSON object") != std::string::npos,
        read.error().message().c_str());
}

void TestModelBundle::alteredContentFailsTheChecksum_data()
{
    QTest::addColumn<QString>("anchor");

    // The embedded model is a string inside the bundle, so its own quotes are escaped.
    QTest::newRow("a digit in a split condition of the embedded model") << R"(\"split_conditions\":[)";
    QTest::newRow("a digit of a split's feature index") << R"(\"split_indices\":[)";
    QTest::newRow("a digit of the training case count") << R"("cases": )";
    QTest::newRow("a digit of the validation AUROC") << R"("auroc": )";
}

void TestModelBundle::alteredContentFailsTheChecksum()
{
    QFETCH(QString, anchor);
    std::string text = m_bundleJson;
    const auto at = text.find(anchor.toStdString());
    QVERIFY2(at != std::string::npos, qPrintable(anchor));
    const auto digit = text.find_first_of("0123456789", at + static_cast<std::size_t>(anchor.size()));
    QVERIFY(digit != std::string::npos);
    text[digit] = text[digit] == '9' ? '8' : static_cast<char>(text[digit] + 1);
    // Still well-formed JSON: only the checksum can catch the change.
    QVERIFY(!Json::parse(text, nullptr, false).is_discarded());

    auto read = ModelBundle::fromJson(text, "tampered.json", m_trusted);
    QVERIFY(!read);
    QCOMPARE(read.error().code, ErrorCode::IntegrityFailed);
    QCOMPARE(read.error().location, std::string("tampered.json"));
    QVERIFY2(QString::fromStdString(read.error().detail).contains("SHA-256 does not match"),
        qPrintable(QString::fromStdString(read.error().detail)));
}

void TestModelBundle::rehashingUnchangedContentIsAccepted()
{
    // The control for the re-hashed rows below: the test's own checksum is the library's, so
    // what they refuse, they refuse for the structure and not for the hash.
    Json document = Json::parse(m_bundleJson);
    const std::string stored = document["content_sha256"];
    const Json signature = document["signature"];
    rehash(document);
    QCOMPARE(document["content_sha256"].get<std::string>(), stored);
    // Ed25519 is deterministic: libsodium signing by hand gives the library's signature.
    QVERIFY(document["signature"] == signature);
    auto read = ModelBundle::fromJson(document.dump(), "rehashed.json", m_trusted);
    QVERIFY2(read, failureText(read));
}

void TestModelBundle::refusesDamagedBundles_data()
{
    QTest::addColumn<DocumentEdit>("edit");
    QTest::addColumn<bool>("rehashed");
    QTest::addColumn<mosaic::ErrorCode>("expected");
    QTest::addColumn<QString>("detail");

    // The envelope, checked before the checksum.
    QTest::newRow("another program's format tag")
        << DocumentEdit([](Json &d) { d["format"] = "mosaic-workspace"; }) << false << ErrorCode::Malformed
        << "not a Mosaic model bundle";
    QTest::newRow("format tag is a number")
        << DocumentEdit([](Json &d) { d["format"] = 1; }) << false << ErrorCode::Malformed << "";
    QTest::newRow("format version from a newer Mosaic")
        << DocumentEdit([](Json &d) { d["format_version"] = ModelBundle::kFormatVersion + 1; }) << false
        << ErrorCode::Unsupported << "bundle format 3 is newer than this Mosaic reads (2)";
    QTest::newRow("format version too large for an int")
        << DocumentEdit([](Json &d) { d["format_version"] = std::uint64_t { 4294967297 }; }) << false
        << ErrorCode::Unsupported << "bundle format 4294967297 is newer";
    QTest::newRow("format version written as text")
        << DocumentEdit([](Json &d) { d["format_version"] = "1"; }) << false << ErrorCode::Malformed
        << "no format version";
    QTest::newRow("no format version") << DocumentEdit([](Json &d) { d.erase("format_version"); }) << false
                                       << ErrorCode::Malformed << "no format version";
    QTest::newRow("format 1, from before signatures")
        << DocumentEdit([](Json &d) { d["format_version"] = 1; }) << false << ErrorCode::Unsupported
        << "bundle format 1 is unsigned and no longer accepted";
    QTest::newRow("format 0") << DocumentEdit([](Json &d) { d["format_version"] = 0; }) << false
                              << ErrorCode::Unsupported << "bundle format 0 is unsigned";
    QTest::newRow("no content") << DocumentEdit([](Json &d) { d.erase("content"); }) << false
                                << ErrorCode::Malformed << "lacks its content";
    QTest::newRow("content is a list") << DocumentEdit([](Json &d) { d["content"] = Json::array(); }) << false
                                       << ErrorCode::Malformed << "lacks its content";
    QTest::newRow("no checksum") << DocumentEdit([](Json &d) { d.erase("content_sha256"); }) << false
                                 << ErrorCode::Malformed << "lacks its content or its checksum";
    QTest::newRow("checksum of other content")
        << DocumentEdit([](Json &d) { d["content_sha256"] = contentSha256(Json::object()); }) << false
        << ErrorCode::IntegrityFailed << "SHA-256 does not match";
    QTest::newRow("checksum is a number") << DocumentEdit([](Json &d) { d["content_sha256"] = 0; }) << false
                                          << ErrorCode::IntegrityFailed << "SHA-256 does not match";
    QTest::newRow("field removed without re-hashing")
        << DocumentEdit([](Json &d) { d["content"].erase("outcome"); }) << false << ErrorCode::IntegrityFailed
        << "SHA-256 does not match";

    // Content re-hashed after the change: the checksum passes and the reader must still refuse.
    QTest::newRow("content without its name") << DocumentEdit([](Json &d) { d["content"].erase("name"); })
                                              << true << ErrorCode::Malformed << "incomplete";
    QTest::newRow("content without its training block")
        << DocumentEdit([](Json &d) { d["content"].erase("training"); }) << true << ErrorCode::Malformed
        << "incomplete";
    QTest::newRow("content without its training data hash")
        << DocumentEdit([](Json &d) { d["content"]["training"].erase("data_sha256"); }) << true
        << ErrorCode::Malformed << "incomplete";
    QTest::newRow("content without its library versions")
        << DocumentEdit([](Json &d) { d["content"].erase("libraries"); }) << true << ErrorCode::Malformed
        << "incomplete";
    QTest::newRow("XGBoost version is a number")
        << DocumentEdit([](Json &d) { d["content"]["libraries"]["xgboost"] = 1.7; }) << true
        << ErrorCode::Malformed << "incomplete";
    QTest::newRow("content without its intended use")
        << DocumentEdit([](Json &d) { d["content"].erase("intended_use"); }) << true << ErrorCode::Malformed
        << "incomplete";
    QTest::newRow("limitations are a list")
        << DocumentEdit([](Json &d) { d["content"]["limitations"] = Json::array(); }) << true
        << ErrorCode::Malformed << "incomplete";
    QTest::newRow("rounds written as words")
        << DocumentEdit([](Json &d) { d["content"]["training"]["rounds"] = "many"; }) << true
        << ErrorCode::Malformed << "'rounds' is not a whole number";
    // nlohmann-json's get<>() would truncate, wrap or (negative to unsigned) hit undefined behaviour.
    QTest::newRow("rounds is a fraction")
        << DocumentEdit([](Json &d) { d["content"]["training"]["rounds"] = 2.5; }) << true
        << ErrorCode::Malformed << "'rounds' is not a whole number";
    QTest::newRow("case count is a negative fraction")
        << DocumentEdit([](Json &d) { d["content"]["training"]["cases"] = -3.5; }) << true
        << ErrorCode::Malformed << "'cases' is not a whole number";
    QTest::newRow("positive count is negative")
        << DocumentEdit([](Json &d) { d["content"]["validation"]["metrics"]["positives"] = -1; }) << true
        << ErrorCode::Malformed << "'positives' is not a whole number";
    QTest::newRow("tree depth too large for an int")
        << DocumentEdit([](Json &d) { d["content"]["training"]["max_depth"] = std::int64_t { 10000000000 }; })
        << true << ErrorCode::Malformed << "'max_depth' is not a whole number";
    QTest::newRow("training seed is negative")
        << DocumentEdit([](Json &d) { d["content"]["training"]["seed"] = -1; }) << true
        << ErrorCode::Malformed << "'seed' is not a whole number";
    QTest::newRow("AUROC interval is one number")
        << DocumentEdit([](Json &d) { d["content"]["validation"]["metrics"]["auroc_ci95"] = 0.7; }) << true
        << ErrorCode::Malformed << "incomplete";
    QTest::newRow("validation is text")
        << DocumentEdit([](Json &d) { d["content"]["validation"] = "10 x 5-fold"; }) << true
        << ErrorCode::Malformed << "incomplete";
    QTest::newRow("schema is not a schema")
        << DocumentEdit([](Json &d) { d["content"]["schema"] = "records"; }) << true << ErrorCode::Malformed
        << "";
    QTest::newRow("schema lists the features in another order") << DocumentEdit([](Json &d) {
        auto &features = d["content"]["schema"]["features"];
        std::reverse(features.begin(), features.end());
    }) << true << ErrorCode::IntegrityFailed << "feature names differ from the bundle's schema";
    QTest::newRow("schema renames one feature")
        << DocumentEdit([](Json &d) { d["content"]["schema"]["features"][9]["name"] = "Platelets"; }) << true
        << ErrorCode::IntegrityFailed << "feature names differ";
    QTest::newRow("schema lacks the last feature")
        << DocumentEdit([](Json &d) { d["content"]["schema"]["features"].erase(10); }) << true
        << ErrorCode::IntegrityFailed << "feature count does not match the bundle's 10 features";
    QTest::newRow("training objective says multiclass")
        << DocumentEdit([](Json &d) { d["content"]["training"]["objective"] = "multi:softprob"; }) << true
        << ErrorCode::IntegrityFailed << "objective differs";
    QTest::newRow("an objective Mosaic does not train")
        << DocumentEdit([](Json &d) { d["content"]["training"]["objective"] = "reg:squarederror"; }) << true
        << ErrorCode::Unsupported << "'reg:squarederror' is not one Mosaic trains";
    QTest::newRow("embedded model is not JSON")
        << DocumentEdit([](Json &d) { d["content"]["xgboost_model"] = "booster[0]: 0:[f6<30]"; }) << true
        << ErrorCode::Malformed << "not JSON";
    QTest::newRow("embedded model lacks its learner")
        << DocumentEdit([](Json &d) { d["content"]["xgboost_model"] = "{\"version\":[1,7,4]}"; }) << true
        << ErrorCode::Malformed << "lacks its learner";
    QTest::newRow("embedded model's parameters are a list") << DocumentEdit([](Json &d) {
        editEmbeddedModel(d, [](Json &m) { m["learner"]["learner_model_param"] = Json::array(); });
    }) << true << ErrorCode::Malformed << "";
    QTest::newRow("embedded model's feature count is a number") << DocumentEdit([](Json &d) {
        editEmbeddedModel(d, [](Json &m) { m["learner"]["learner_model_param"]["num_feature"] = 11; });
    }) << true << ErrorCode::IntegrityFailed << "feature count does not match";
    QTest::newRow("embedded model names one feature differently") << DocumentEdit([](Json &d) {
        editEmbeddedModel(d, [](Json &m) { m["learner"]["feature_names"][0] = "Age.Years"; });
    }) << true << ErrorCode::IntegrityFailed << "feature names differ";
}

void TestModelBundle::refusesDamagedBundles()
{
    QFETCH(DocumentEdit, edit);
    QFETCH(bool, rehashed);
    QFETCH(mosaic::ErrorCode, expected);
    QFETCH(QString, detail);

    Json document = Json::parse(m_bundleJson);
    edit(document);
    if (rehashed)
        rehash(document);
    const std::string text = document.dump(1);

    std::optional<Result<ModelBundle>> read;
    QVERIFY_THROWS_NO_EXCEPTION(read = ModelBundle::fromJson(text, "damaged.json", m_trusted));
    QVERIFY(!*read);
    const Error &error = read->error();
    QCOMPARE(error.code, expected);
    QCOMPARE(error.location, std::string("damaged.json"));
    QVERIFY2(QString::fromStdString(error.detail).contains(detail), error.message().c_str());
}

void TestModelBundle::refusesTextThatIsNotABundle_data()
{
    QTest::addColumn<QByteArray>("text");

    const QByteArray bundle = QByteArray::fromStdString(m_bundleJson);
    QTest::newRow("empty file") << QByteArray();
    QTest::newRow("prose") << QByteArray("Death during follow-up: 31 %");
    QTest::newRow("a JSON list") << QByteArray(R"([{"format": "mosaic-model-bundle"}])");
    QTest::newRow("a JSON string") << QByteArray(R"("mosaic-model-bundle")");
    QTest::newRow("a bundle cut off half-way") << bundle.left(bundle.size() / 2);
    QTest::newRow("a bundle followed by a second one") << bundle + bundle;
    QTest::newRow("a bundle with a NUL byte inside")
        << bundle.left(100) + QByteArray(1, '\0') + bundle.mid(100);
}

void TestModelBundle::refusesTextThatIsNotABundle()
{
    QFETCH(QByteArray, text);
    std::optional<Result<ModelBundle>> read;
    QVERIFY_THROWS_NO_EXCEPTION(
        read = ModelBundle::fromJson(
            std::string_view(text.constData(), std::size_t(text.size())), "x.json", m_trusted));
    QVERIFY(!*read);
    QCOMPARE(read->error().code, ErrorCode::Malformed);
    QCOMPARE(read->error().detail, std::string("not a JSON document"));
    QCOMPARE(read->error().location, std::string("x.json"));
}

void TestModelBundle::refusesOversizedBundleBeforeParsing()
{
    // Not JSON either: the size is refused first, so the parser never sees 256 MiB of spaces.
    const std::string huge(ModelBundle::kMaxBytes + 1, ' ');
    auto read = ModelBundle::fromJson(huge, "huge.json", m_trusted);
    QVERIFY(!read);
    QCOMPARE(read.error().code, ErrorCode::LimitExceeded);
}

void TestModelBundle::readFileRefusesWhatIsNotABundle_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QByteArray>("contents"); // null: do not create
    QTest::addColumn<bool>("isDirectory");
    QTest::addColumn<mosaic::ErrorCode>("expected");

    QTest::newRow("missing file") << "absent.mosaic-model.json" << QByteArray() << false
                                  << ErrorCode::NotFound;
    QTest::newRow("a folder of that name") << "folder.json" << QByteArray() << true << ErrorCode::NotFound;
    QTest::newRow("empty file") << "empty.json" << QByteArray("") << false << ErrorCode::Malformed;
    QTest::newRow("a CSV table") << "cohort.json" << QByteArray("TIME,Event\n97,0\n") << false
                                 << ErrorCode::Malformed;
}

void TestModelBundle::readFileRefusesWhatIsNotABundle()
{
    QFETCH(QString, name);
    QFETCH(QByteArray, contents);
    QFETCH(bool, isDirectory);
    QFETCH(mosaic::ErrorCode, expected);

    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const QString path = directory.filePath(name);
    if (isDirectory) {
        QVERIFY(QDir(directory.path()).mkdir(name));
    } else if (!contents.isNull()) {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(contents);
    }

    auto read = ModelBundle::readFile(path.toStdString(), m_trusted);
    QVERIFY(!read);
    QCOMPARE(read.error().code, expected);
    // Only the file name: folders can carry a user's or a patient's name.
    QCOMPARE(read.error().location, name.toStdString());
    QVERIFY2(!QString::fromStdString(read.error().message()).contains(directory.path()),
        read.error().message().c_str());
}

void TestModelBundle::contributionsAddUpToTheMargin_data()
{
    QTest::addColumn<int>("row");
    QTest::addColumn<QString>("missingFeature");

    QTest::newRow("line 2: survivor, ejection fraction 50 %") << 0 << QString();
    QTest::newRow("line 4: died on day 31") << 2 << QString();
    QTest::newRow("line 300: last patient") << 298 << QString();
    QTest::newRow("line 2 with creatinine missing") << 0 << "Creatinine";
    QTest::newRow("line 4 with ejection fraction missing") << 2 << "Ejection.Fraction";
}

void TestModelBundle::contributionsAddUpToTheMargin()
{
    QFETCH(int, row);
    QFETCH(QString, missingFeature);

    auto model = RiskModel::fromBundle(m_bundle);
    QVERIFY2(model, failureText(model));
    FeatureVector vector = patientVector(static_cast<std::size_t>(row), m_bundle.schema);
    if (!missingFeature.isEmpty())
        QVERIFY(vector.set(missingFeature.toStdString(), kMissing, {}));

    auto prediction = model->predict(vector);
    QVERIFY2(prediction, failureText(prediction));
    QCOMPARE(prediction->features.size(), m_bundle.schema.size());
    double sum = prediction->baseMargin;
    for (std::size_t i = 0; i < prediction->features.size(); ++i) {
        const auto &feature = prediction->features[i];
        QCOMPARE(feature.featureIndex, i);
        sum += feature.contribution;
        if (m_bundle.schema.at(i).name == missingFeature.toStdString())
            QVERIFY(std::isnan(feature.value));
        else
            QCOMPARE(feature.value, vector.value(i));
    }
    QVERIFY2(std::abs(sum - prediction->margin) < 1e-5,
        qPrintable(QStringLiteral("%1 vs margin %2").arg(sum).arg(prediction->margin)));
    QVERIFY(std::abs(prediction->probability - logistic(prediction->margin)) < 1e-6);
    QVERIFY(prediction->probability > 0.0 && prediction->probability < 1.0);
}

void TestModelBundle::modalitiesSumTheirFeatures()
{
    auto model = RiskModel::fromBundle(m_echoBundle);
    QVERIFY2(model, failureText(model));
    FeatureVector vector = patientVector(2, m_echoBundle.schema);
    QVERIFY(vector.set("Sodium", kMissing, {}));
    auto prediction = model->predict(vector);
    QVERIFY2(prediction, failureText(prediction));

    // Imaging (the echocardiographic ejection fraction) and records; no genomics in this model.
    QCOMPARE(prediction->modalities.size(), std::size_t { 2 });
    double imaging = 0.0;
    double records = 0.0;
    for (const auto &feature : prediction->features)
        (m_echoBundle.schema.at(feature.featureIndex).name == "Ejection.Fraction" ? imaging : records)
            += feature.contribution;
    const auto &first = prediction->modalities[0];
    const auto &second = prediction->modalities[1];
    QVERIFY(first.modality == Modality::Imaging);
    QCOMPARE(first.featuresInModel, std::size_t { 1 });
    QCOMPARE(first.featuresPresent, std::size_t { 1 });
    QVERIFY(std::abs(first.contribution - imaging) < 1e-9);
    QVERIFY(second.modality == Modality::Records);
    QCOMPARE(second.featuresInModel, std::size_t { 10 });
    QCOMPARE(second.featuresPresent, std::size_t { 9 }); // sodium missing
    QVERIFY(std::abs(second.contribution - records) < 1e-9);
    QVERIFY(std::abs(prediction->baseMargin + first.contribution + second.contribution - prediction->margin)
        < 1e-5);
}

void TestModelBundle::topContributionsAreTheLargestInMagnitude()
{
    auto model = RiskModel::fromBundle(m_bundle);
    QVERIFY(model);
    auto prediction = model->predict(patientVector(2, m_bundle.schema));
    QVERIFY(prediction);

    const auto top = prediction->topContributions(3);
    QCOMPARE(top.size(), std::size_t { 3 });
    std::set<std::size_t> chosen;
    for (std::size_t i = 0; i < top.size(); ++i) {
        chosen.insert(top[i].featureIndex);
        // Each is the feature's own entry, value and provenance included.
        const auto &own = prediction->features.at(top[i].featureIndex);
        QCOMPARE(top[i].contribution, own.contribution);
        QCOMPARE(top[i].provenance, own.provenance);
        if (i > 0)
            QVERIFY(std::abs(top[i - 1].contribution) >= std::abs(top[i].contribution));
    }
    QCOMPARE(chosen.size(), std::size_t { 3 });
    // No feature left out is larger than the smallest one chosen.
    const double smallestChosen = std::abs(top.back().contribution);
    for (const auto &feature : prediction->features)
        if (!chosen.contains(feature.featureIndex))
            QVERIFY(std::abs(feature.contribution) <= smallestChosen);
    QVERIFY(smallestChosen > 0.0);

    QVERIFY(prediction->topContributions(0).empty());
    QCOMPARE(prediction->topContributions(100).size(), m_bundle.schema.size());
}

void TestModelBundle::predictMatchesFeaturesByName()
{
    // The patient's vector comes from another source: its own order, no sodium, and a value the
    // model never saw. Values must be matched by name, the absent one treated as missing.
    std::vector<FeatureDefinition> definitions(
        m_bundle.schema.definitions().rbegin(), m_bundle.schema.definitions().rend());
    std::erase_if(definitions, [](const FeatureDefinition &d) { return d.name == "Sodium"; });
    definitions.push_back({ "NT-proBNP", Modality::Records, "pg/mL", "N-terminal pro-BNP" });
    auto otherSchema = FeatureSchema::fromDefinitions(definitions);
    QVERIFY(otherSchema);
    auto shared = std::make_shared<const FeatureSchema>(*otherSchema);
    FeatureVector vector(shared);
    const std::size_t row = 2;
    for (std::size_t column = 0; column < m_table.featureColumns.size(); ++column) {
        const std::string &name = m_table.featureColumns[column];
        if (name == "Sodium")
            continue;
        QVERIFY(vector.set(name,
            m_table.features(static_cast<Eigen::Index>(row), static_cast<Eigen::Index>(column)),
            { "other.csv", "cell of " + name }));
    }
    QVERIFY(vector.set("NT-proBNP", 12000.0, { "other.csv", "cell of NT-proBNP" }));

    // The reference: the row in the model's order, built by hand, NaN for sodium, into XGBoost.
    RowMatrixXf expectedRow(1, static_cast<Eigen::Index>(m_bundle.schema.size()));
    for (std::size_t i = 0; i < m_bundle.schema.size(); ++i) {
        const std::string &name = m_bundle.schema.at(i).name;
        const auto column = std::ranges::find(m_table.featureColumns, name) - m_table.featureColumns.begin();
        expectedRow(0, static_cast<Eigen::Index>(i)) = name == "Sodium"
            ? std::numeric_limits<float>::quiet_NaN()
            : m_table.features(static_cast<Eigen::Index>(row), column);
    }
    auto booster = m_bundle.loadBooster();
    QVERIFY(booster);
    auto data = DMatrix::fromDense(expectedRow);
    QVERIFY(data);
    auto probability = booster->predictProbabilities(*data);
    auto margin = booster->predictMargin(*data);
    QVERIFY(probability && margin);

    auto model = RiskModel::fromBundle(m_bundle);
    QVERIFY(model);
    auto prediction = model->predict(vector);
    QVERIFY2(prediction, failureText(prediction));
    QCOMPARE(prediction->probability, static_cast<double>((*probability)(0, 0)));
    QCOMPARE(prediction->margin, static_cast<double>((*margin)(0, 0)));

    // And the row is really different from the complete one: sodium's absence changed something.
    auto complete = model->predict(patientVector(row, m_bundle.schema));
    QVERIFY(complete);
    const auto sodium = *m_bundle.schema.indexOf("Sodium");
    QVERIFY(std::isnan(prediction->features[sodium].value));
    QCOMPARE(prediction->features[sodium].provenance, Provenance {});
    QVERIFY(!std::isnan(complete->features[sodium].value));
    const auto age = *m_bundle.schema.indexOf("Age");
    QCOMPARE(prediction->features[age].value, 70.0); // line 4 of the table: age 70
    QCOMPARE(prediction->features[age].provenance, (Provenance { "other.csv", "cell of Age" }));
}

void TestModelBundle::tablePredictionEqualsVectorPrediction()
{
    auto model = RiskModel::fromBundle(m_bundle);
    QVERIFY(model);
    auto all = model->predict(m_table);
    QVERIFY2(all, failureText(all));
    QCOMPARE(all->size(), m_table.rows());
    for (std::size_t row : { std::size_t { 0 }, std::size_t { 150 }, std::size_t { 298 } }) {
        auto one = model->predict(patientVector(row, m_bundle.schema));
        QVERIFY(one);
        const RiskPrediction &fromTable = (*all)[row];
        QCOMPARE(fromTable.probability, one->probability);
        QCOMPARE(fromTable.margin, one->margin);
        const auto creatinine = *m_bundle.schema.indexOf("Creatinine");
        QCOMPARE(fromTable.features[creatinine].provenance,
            (Provenance {
                "heart_failure_S1Data.csv", "line " + std::to_string(row + 2) + ", column 'Creatinine'" }));
    }
}

void TestModelBundle::predictionJsonCarriesTheExplanation()
{
    auto model = RiskModel::fromBundle(m_bundle);
    QVERIFY(model);
    FeatureVector vector = patientVector(0, m_bundle.schema);
    QVERIFY(vector.set("Sodium", kMissing, { "heart_failure_S1Data.csv", "line 2, column 'Sodium'" }));
    auto prediction = model->predict(vector);
    QVERIFY(prediction);

    const Json all = Json::parse(predictionToJson(*prediction, m_bundle.schema));
    std::set<std::string> keys;
    for (const auto &[key, value] : all.items())
        keys.insert(key);
    QCOMPARE(keys,
        (std::set<std::string> { "probability", "risk", "calibration", "call", "margin", "base_margin",
            "modalities", "contributions" }));
    QCOMPARE(all["probability"].get<double>(), prediction->probability);
    // trainRiskModel's bundle has no calibration and no abstention policy: the risk is the
    // probability, and there is no call to make (tst_risk_model covers bundles that have both).
    QCOMPARE(all["risk"].get<double>(), prediction->probability);
    QCOMPARE(all["calibration"].get<std::string>(), std::string("none"));
    QVERIFY(all["call"].is_null());
    QCOMPARE(all["margin"].get<double>(), prediction->margin);
    QCOMPARE(all["base_margin"].get<double>(), prediction->baseMargin);
    QCOMPARE(all["modalities"].size(), std::size_t { 1 });
    QCOMPARE(all["modalities"][0]["modality"].get<std::string>(), std::string("records"));
    QCOMPARE(all["modalities"][0]["features_present"].get<std::size_t>(), std::size_t { 10 });
    QCOMPARE(all["contributions"].size(), m_bundle.schema.size());

    bool sawSodium = false;
    for (const auto &entry : all["contributions"]) {
        std::set<std::string> entryKeys;
        for (const auto &[key, value] : entry.items())
            entryKeys.insert(key);
        QCOMPARE(entryKeys,
            (std::set<std::string> { "feature", "unit", "value", "contribution", "source", "location" }));
        const auto index = m_bundle.schema.indexOf(entry["feature"].get<std::string>());
        QVERIFY(index.has_value());
        QCOMPARE(entry["unit"].get<std::string>(), m_bundle.schema.at(*index).unit);
        QCOMPARE(
            entry["location"].get<std::string>(), "line 2, column '" + m_bundle.schema.at(*index).name + "'");
        if (entry["feature"] == "Sodium") {
            sawSodium = true;
            QVERIFY(entry["value"].is_null());
        } else {
            QVERIFY(entry["value"].is_number());
        }
    }
    QVERIFY(sawSodium);
    // Line 2 of the table: ejection fraction 50 %, unit "%".
    const auto ef = std::find_if(all["contributions"].begin(), all["contributions"].end(),
        [](const Json &entry) { return entry["feature"] == "Ejection.Fraction"; });
    QVERIFY(ef != all["contributions"].end());
    QCOMPARE((*ef)["value"].get<double>(), 50.0);
    QCOMPARE((*ef)["unit"].get<std::string>(), std::string("%"));

    const Json top = Json::parse(predictionToJson(*prediction, m_bundle.schema, 3));
    QCOMPARE(top["contributions"].size(), std::size_t { 3 });
    const auto expectedTop = prediction->topContributions(3);
    for (std::size_t i = 0; i < 3; ++i)
        QCOMPARE(top["contributions"][i]["feature"].get<std::string>(),
            m_bundle.schema.at(expectedTop[i].featureIndex).name);
}

void TestModelBundle::riskModelRefusesMulticlassBundle()
{
    ModelBundle bundle = m_bundle;
    bundle.parameters.objective = Objective::MulticlassSoftprob;
    bundle.parameters.classCount = 3;
    auto model = RiskModel::fromBundle(bundle);
    QVERIFY(!model);
    QCOMPARE(model.error().code, ErrorCode::Unsupported);
}

QTEST_APPLESS_MAIN(TestModelBundle)
#include "tst_model_bundle.moc"
