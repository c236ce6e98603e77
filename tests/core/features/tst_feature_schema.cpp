// SPDX-License-Identifier: Apache-2.0
#include "core/features/feature_schema.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <string>
#include <vector>

using namespace mosaic;

Q_DECLARE_METATYPE(mosaic::ErrorCode)

namespace {

std::vector<FeatureDefinition> heartFailureDefinitions()
{
    return {
        { "Age", Modality::Records, "a", "Age at enrolment" },
        { "Creatinine", Modality::Records, "mg/dL", "Serum creatinine" },
        { "stat_mean", Modality::Imaging, "HU", "Mean intensity in the ROI, \"GTV\"" },
        { "PGS000018", Modality::Genomics, "", "Polygenic score for coronary artery disease" },
    };
}

QString messageOf(const Error &error)
{
    return QString::fromStdString(error.message());
}

} // namespace

class TestFeatureSchema : public QObject
{
    Q_OBJECT

private slots:
    void modalityNamesRoundTrip();
    void unknownModalityNameIsRefused();

    void fromDefinitionsKeepsOrder();
    void fromDefinitionsRefuses_data();
    void fromDefinitionsRefuses();

    void toJsonThenFromJsonGivesTheSameSchema();
    void fromJsonAppliesDefaults();
    void fromJsonIgnoresUnknownMembers();
    void fromJsonRefuses_data();
    void fromJsonRefuses();
    void deeplyNestedJsonIsRefusedWithoutCrashing();
    void toJsonReplacesInvalidUtf8();

    void readFileReadsWhatToJsonWrote();
    void readFileOfMissingFileNamesIt();
    void readFileOfDirectoryIsRefused();
};

void TestFeatureSchema::modalityNamesRoundTrip()
{
    for (const Modality modality : { Modality::Imaging, Modality::Genomics, Modality::Records }) {
        const auto back = modalityFromName(modalityName(modality));
        QVERIFY(back.has_value());
        QCOMPARE(*back, modality);
    }
    QCOMPARE(modalityName(Modality::Imaging), std::string_view("imaging"));
    QCOMPARE(modalityName(Modality::Genomics), std::string_view("genomics"));
    QCOMPARE(modalityName(Modality::Records), std::string_view("records"));
}

void TestFeatureSchema::unknownModalityNameIsRefused()
{
    QVERIFY(!modalityFromName("radiology").has_value());
    QVERIFY(!modalityFromName("").has_value());
    QVERIFY(!modalityFromName("Imaging").has_value()); // names are written in lower case
}

void TestFeatureSchema::fromDefinitionsKeepsOrder()
{
    const auto schema = FeatureSchema::fromDefinitions(heartFailureDefinitions());
    QVERIFY2(schema.has_value(), schema ? "" : schema.error().message().c_str());
    QCOMPARE(schema->size(), std::size_t { 4 });
    QVERIFY(!schema->empty());
    QCOMPARE(schema->at(1).name, std::string("Creatinine"));
    QCOMPARE(schema->at(2).modality, Modality::Imaging);
    QCOMPARE(schema->indexOf("stat_mean"), std::optional<std::size_t>(2));
    QVERIFY(!schema->indexOf("Sodium").has_value());
    QCOMPARE(schema->names(), (std::vector<std::string> { "Age", "Creatinine", "stat_mean", "PGS000018" }));
}

void TestFeatureSchema::fromDefinitionsRefuses_data()
{
    QTest::addColumn<QStringList>("names");
    QTest::addColumn<QString>("expectedLocation");
    QTest::addColumn<QString>("expectedDetail");

    QTest::newRow("empty list") << QStringList {} << QString() << "no features";
    QTest::newRow("feature 2 has an empty name") << QStringList { "Age", "", "Sodium" } << "feature 2"
                                                 << "empty name";
    QTest::newRow("feature 3 repeats the name of feature 1")
        << QStringList { "Age", "Sodium", "Age" } << "feature 3"
        << "duplicate name 'Age' (same as feature 1)";
}

void TestFeatureSchema::fromDefinitionsRefuses()
{
    QFETCH(QStringList, names);
    QFETCH(QString, expectedLocation);
    QFETCH(QString, expectedDetail);

    std::vector<FeatureDefinition> definitions;
    for (const QString &name : names)
        definitions.push_back({ name.toStdString(), Modality::Records, "", "" });
    const auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
    QVERIFY(!schema.has_value());
    QCOMPARE(schema.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(QString::fromStdString(schema.error().location), expectedLocation);
    QVERIFY2(messageOf(schema.error()).contains(expectedDetail), schema.error().message().c_str());
}

void TestFeatureSchema::toJsonThenFromJsonGivesTheSameSchema()
{
    const auto schema = FeatureSchema::fromDefinitions(heartFailureDefinitions());
    QVERIFY(schema.has_value());
    const std::string json = schema->toJson();
    const auto back = FeatureSchema::fromJson(json, "model.schema.json");
    QVERIFY2(back.has_value(), back ? "" : back.error().message().c_str());
    QCOMPARE(*back, *schema);
    // The text is meant to be read and diffed by people: members in a fixed order, indented.
    QVERIFY(json.find("\"name\": \"Age\"") != std::string::npos);
    QVERIFY(json.find("\"modality\": \"imaging\"") != std::string::npos);
    QVERIFY(json.find("\"name\"") < json.find("\"modality\""));
}

void TestFeatureSchema::fromJsonAppliesDefaults()
{
    const auto schema = FeatureSchema::fromJson(R"({"features": [{"name": "Sodium"},
        {"name": "stat_mean", "modality": "imaging", "unit": "HU"}]})",
        "schema.json");
    QVERIFY2(schema.has_value(), schema ? "" : schema.error().message().c_str());
    QCOMPARE(schema->size(), std::size_t { 2 });
    QCOMPARE(schema->at(0), (FeatureDefinition { "Sodium", Modality::Records, "", "" }));
    QCOMPARE(schema->at(1), (FeatureDefinition { "stat_mean", Modality::Imaging, "HU", "" }));
}

void TestFeatureSchema::fromJsonIgnoresUnknownMembers()
{
    // A newer Mosaic may describe features more richly; this one still reads the columns.
    const auto schema = FeatureSchema::fromJson(
        R"({"version": 2, "features": [{"name": "Sodium", "window": {"days": 30}}]})", "schema.json");
    QVERIFY2(schema.has_value(), schema ? "" : schema.error().message().c_str());
    QCOMPARE(schema->at(0).name, std::string("Sodium"));
}

void TestFeatureSchema::fromJsonRefuses_data()
{
    QTest::addColumn<QByteArray>("json");
    QTest::addColumn<QString>("expectedLocation");
    QTest::addColumn<QString>("expectedDetail");

    QTest::newRow("empty text") << QByteArray() << "schema.json"
                                << "not a valid feature schema";
    QTest::newRow("invalid JSON: unterminated array")
        << QByteArray(R"({"features": [{"name": "Age"})") << "schema.json"
        << "parse error";
    QTest::newRow("invalid JSON: trailing text after the object")
        << QByteArray(R"({"features": [{"name": "Age"}]} x)") << "schema.json"
        << "parse error";
    QTest::newRow("invalid JSON: a string with invalid UTF-8")
        << QByteArray("{\"features\": [{\"name\": \"A\xff\"}]}") << "schema.json"
        << "parse error";
    QTest::newRow("top level is an array, not an object") << QByteArray("[]") << "schema.json"
                                                          << "not array";
    QTest::newRow("no features member") << QByteArray(R"({"feature": []})") << "schema.json"
                                        << "no \"features\" array";
    QTest::newRow("features is an object, not an array")
        << QByteArray(R"({"features": {"name": "Age"}})") << "schema.json"
        << "must be an array, not object";
    QTest::newRow("empty features list") << QByteArray(R"({"features": []})") << "schema.json"
                                         << "no features";
    QTest::newRow("feature 2 is a number, not an object")
        << QByteArray(R"({"features": [{"name": "Age"}, 3]})") << "schema.json, feature 2"
        << "not number";
    QTest::newRow("feature 1 has no name")
        << QByteArray(R"({"features": [{"unit": "a"}]})") << "schema.json, feature 1"
        << "no \"name\"";
    QTest::newRow("feature 1 name is a number")
        << QByteArray(R"({"features": [{"name": 5}]})") << "schema.json, feature 1"
        << "\"name\" must be a string, not number";
    QTest::newRow("feature 2 unit is an array")
        << QByteArray(R"({"features": [{"name": "Age"}, {"name": "Na", "unit": ["mmol/L"]}]})")
        << "schema.json, feature 2"
        << "\"unit\" must be a string, not array";
    QTest::newRow("feature 1 description is a boolean")
        << QByteArray(R"({"features": [{"name": "Age", "description": true}]})") << "schema.json, feature 1"
        << "\"description\" must be a string, not boolean";
    QTest::newRow("feature 1 modality is null")
        << QByteArray(R"({"features": [{"name": "Age", "modality": null}]})") << "schema.json, feature 1"
        << "\"modality\" must be a string, not null";
    QTest::newRow("feature 2 has unknown modality 'radiology'")
        << QByteArray(R"({"features": [{"name": "Age"}, {"name": "x", "modality": "radiology"}]})")
        << "schema.json, feature 2"
        << "unknown modality 'radiology'";
    QTest::newRow("feature 1 has an empty modality")
        << QByteArray(R"({"features": [{"name": "Age", "modality": ""}]})") << "schema.json, feature 1"
        << "unknown modality ''";
    QTest::newRow("feature 2 has an empty name")
        << QByteArray(R"({"features": [{"name": "Age"}, {"name": ""}]})") << "schema.json, feature 2"
        << "empty name";
    QTest::newRow("feature 3 repeats the name of feature 1")
        << QByteArray(R"({"features": [{"name": "Age"}, {"name": "Na"}, {"name": "Age"}]})")
        << "schema.json, feature 3"
        << "duplicate name 'Age' (same as feature 1)";
}

void TestFeatureSchema::fromJsonRefuses()
{
    QFETCH(QByteArray, json);
    QFETCH(QString, expectedLocation);
    QFETCH(QString, expectedDetail);

    const auto schema
        = FeatureSchema::fromJson(std::string_view(json.constData(), json.size()), "schema.json");
    QVERIFY(!schema.has_value());
    QCOMPARE(schema.error().code, ErrorCode::Malformed);
    QCOMPARE(QString::fromStdString(schema.error().location), expectedLocation);
    QVERIFY2(messageOf(schema.error()).contains(expectedDetail), schema.error().message().c_str());
    QVERIFY(messageOf(schema.error()).startsWith("schema.json"));
}

void TestFeatureSchema::deeplyNestedJsonIsRefusedWithoutCrashing()
{
    constexpr int kDepth = 200'000;
    std::string json = R"({"features": )";
    json.append(kDepth, '[');
    json.append(kDepth, ']');
    json += "}";
    const auto schema = FeatureSchema::fromJson(json, "schema.json");
    QVERIFY(!schema.has_value());
    QCOMPARE(schema.error().code, ErrorCode::Malformed);
    QCOMPARE(schema.error().location, std::string("schema.json, feature 1"));
}

void TestFeatureSchema::toJsonReplacesInvalidUtf8()
{
    const auto schema = FeatureSchema::fromDefinitions({ { "Na\xff", Modality::Records, "", "" } });
    QVERIFY(schema.has_value());
    const std::string json = schema->toJson(); // must not throw
    const auto back = FeatureSchema::fromJson(json, "schema.json");
    QVERIFY2(back.has_value(), back ? "" : back.error().message().c_str());
    QCOMPARE(back->at(0).name, std::string("Na\xEF\xBF\xBD")); // U+FFFD REPLACEMENT CHARACTER
}

void TestFeatureSchema::readFileReadsWhatToJsonWrote()
{
    const auto schema = FeatureSchema::fromDefinitions(heartFailureDefinitions());
    QVERIFY(schema.has_value());
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const QString path = directory.filePath("model.schema.json");
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const std::string json = schema->toJson();
    QCOMPARE(file.write(json.data(), static_cast<qint64>(json.size())), static_cast<qint64>(json.size()));
    file.close();

    const auto back = FeatureSchema::readFile(path.toStdString());
    QVERIFY2(back.has_value(), back ? "" : back.error().message().c_str());
    QCOMPARE(*back, *schema);
}

void TestFeatureSchema::readFileOfMissingFileNamesIt()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const auto schema = FeatureSchema::readFile(directory.filePath("no_such.schema.json").toStdString());
    QVERIFY(!schema.has_value());
    QCOMPARE(schema.error().code, ErrorCode::NotFound);
    QCOMPARE(schema.error().location, std::string("no_such.schema.json"));
    // File name only: the directory may carry a project's or a patient's name.
    QVERIFY(!messageOf(schema.error()).contains(directory.path()));
}

void TestFeatureSchema::readFileOfDirectoryIsRefused()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    QVERIFY(QDir(directory.path()).mkdir("schema.json"));
    const auto schema = FeatureSchema::readFile(directory.filePath("schema.json").toStdString());
    QVERIFY(!schema.has_value());
    QCOMPARE(schema.error().code, ErrorCode::NotFound);
    QVERIFY2(messageOf(schema.error()).contains("schema.json: not a regular file"),
        schema.error().message().c_str());
}

QTEST_APPLESS_MAIN(TestFeatureSchema)
#include "tst_feature_schema.moc"
