// SPDX-License-Identifier: Apache-2.0
// Abstention: where the uncertain band's edges fall (both included), the multi-class threshold
// (Capper 2018's 0.9, met at exactly 0.9), coverage rules, the policy's JSON refused with exact
// messages, and a cohort report whose rate and metrics are worked out by hand in the comments.
#include "core/model/abstention.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include "tests/core/model/compare_near.h"
#include <cmath>
#include <limits>
#include <string>
#include <vector>

using namespace mosaic;

namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

AbstentionPolicy policyOf(const std::string &json)
{
    auto policy = AbstentionPolicy::fromJson(json, "spec.json");
    if (!policy)
        qFatal("%s", policy.error().message().c_str());
    return *policy;
}

// Imaging: A, B; genomics: G; records: R1 to R4.
FeatureSchema coverageSchema()
{
    auto schema = FeatureSchema::fromDefinitions({ { "A", Modality::Imaging, "", "" },
        { "B", Modality::Imaging, "", "" }, { "G", Modality::Genomics, "", "" },
        { "R1", Modality::Records, "", "" }, { "R2", Modality::Records, "", "" },
        { "R3", Modality::Records, "", "" }, { "R4", Modality::Records, "", "" } });
    if (!schema)
        qFatal("%s", schema.error().message().c_str());
    return *schema;
}

FeatureSchema recordsSchema()
{
    auto schema = FeatureSchema::fromDefinitions({ { "Age", Modality::Records, "a", "" } });
    return *schema;
}

} // namespace

class TestAbstention : public QObject
{
    Q_OBJECT

private slots:
    void bandEdgesAreIncluded_data();
    void bandEdgesAreIncluded();
    void topClassProbability_data();
    void topClassProbability();
    void coverageRules_data();
    void coverageRules();
    void badJsonIsRefused_data();
    void badJsonIsRefused();
    void policyRoundTripsThroughJson();
    void policyMustFitTheModel();
    void binaryCohortReport();
    void multiclassCohortReport();
    void reportRefusesMismatchedSizes();
};

void TestAbstention::bandEdgesAreIncluded_data()
{
    QTest::addColumn<float>("risk");
    QTest::addColumn<bool>("called");
    QTest::addColumn<QString>("reason");
    // Band [0.25, 0.75]: both edges are exact in binary, so the edges themselves are tested.
    const QString inside = "the predicted risk, %1, lies in the uncertain band from 25% to 75% (both "
                           "included), where the model makes no call";
    QTest::newRow("low edge 0.25: no call") << 0.25f << false << inside.arg("25.0%");
    QTest::newRow("high edge 0.75: no call") << 0.75f << false << inside.arg("75.0%");
    QTest::newRow("middle 0.5: no call") << 0.5f << false << inside.arg("50.0%");
    QTest::newRow("just below the low edge: call") << std::nextafter(0.25f, 0.0f) << true << QString();
    QTest::newRow("just above the high edge: call") << std::nextafter(0.75f, 1.0f) << true << QString();
    QTest::newRow("0: call") << 0.0f << true << QString();
    QTest::newRow("1: call") << 1.0f << true << QString();
}

void TestAbstention::bandEdgesAreIncluded()
{
    QFETCH(float, risk);
    QFETCH(bool, called);
    QFETCH(QString, reason);
    const AbstentionPolicy policy = policyOf(R"({"uncertain_band": {"low": 0.25, "high": 0.75}})");
    const float age = 70.0f;
    auto decision = decideAbstention(policy, recordsSchema(), { &risk, 1 }, { &age, 1 });
    QVERIFY2(decision, decision ? "" : decision.error().message().c_str());
    QCOMPARE(decision->called, called);
    QCOMPARE(decision->reasons.size(), called ? std::size_t { 0 } : std::size_t { 1 });
    if (!called) {
        QCOMPARE(decision->reasons[0].kind, AbstentionReasonKind::UncertainRisk);
        QCOMPARE(QString::fromStdString(decision->reasons[0].text), reason);
    }
}

void TestAbstention::topClassProbability_data()
{
    QTest::addColumn<QList<float>>("probabilities");
    QTest::addColumn<bool>("called");
    QTest::addColumn<QString>("reason");
    // Capper 2018: a class is called at a calibrated score >= 0.9. The float 0.9f is 0.89999998,
    // below the double 0.9; compared at float precision, a predicted 0.9 meets the threshold.
    QTest::newRow("top class at exactly 0.9: call")
        << QList<float> { 0.05f, 0.9f, 0.05f } << true << QString();
    QTest::newRow("top class at 0.97: call") << QList<float> { 0.97f, 0.02f, 0.01f } << true << QString();
    QTest::newRow("top class one float below 0.9: no call")
        << QList<float> { std::nextafter(0.9f, 0.0f), 0.06f, 0.04f } << false
        << "the most probable class (class 0) has probability 89.99999%, below the 90% needed for a call";
    QTest::newRow("two classes tie at 0.45: no call")
        << QList<float> { 0.1f, 0.45f, 0.45f } << false
        << "the most probable class (class 1) has probability 45.0%, below the 90% needed for a call";
}

void TestAbstention::topClassProbability()
{
    QFETCH(QList<float>, probabilities);
    QFETCH(bool, called);
    QFETCH(QString, reason);
    const AbstentionPolicy policy = policyOf(R"({"minimum_top_probability": 0.9})");
    const float age = 70.0f;
    auto decision = decideAbstention(policy, recordsSchema(),
        { probabilities.constData(), static_cast<std::size_t>(probabilities.size()) }, { &age, 1 });
    QVERIFY2(decision, decision ? "" : decision.error().message().c_str());
    QCOMPARE(decision->called, called);
    if (!called) {
        QCOMPARE(decision->reasons.size(), std::size_t { 1 });
        QCOMPARE(decision->reasons[0].kind, AbstentionReasonKind::LowTopProbability);
        QCOMPARE(QString::fromStdString(decision->reasons[0].text), reason);
    }
}

void TestAbstention::coverageRules_data()
{
    QTest::addColumn<QList<float>>("features"); // A, B, G, R1..R4
    QTest::addColumn<QStringList>("reasons");
    const QString imagingHalf
        = "too little imaging data: 1 of the model's 2 imaging features present (50.0%); a "
          "call needs at least 100%";
    const QString noGenomics = "no genomics data: none of the model's 1 genomics feature is present, and a "
                               "call needs genomics data";
    const QString recordsQuarter = "too little records data: 1 of the model's 4 records features present "
                                   "(25.0%); a call needs at least 50%";
    QTest::newRow("everything present: call") << QList<float> { 1, 2, 0, 5, 6, 7, 8 } << QStringList {};
    QTest::newRow("records 2 of 4, exactly the 50% needed: call")
        << QList<float> { 1, 2, 0, 5, kNaN, 7, kNaN } << QStringList {};
    QTest::newRow("imaging 1 of 2 where 100% is needed: no call")
        << QList<float> { 1, kNaN, 0, 5, 6, 7, 8 } << QStringList { imagingHalf };
    QTest::newRow("records 1 of 4: no call")
        << QList<float> { 1, 2, 0, kNaN, kNaN, 7, kNaN } << QStringList { recordsQuarter };
    // A genotype of 0 (no effect allele) is a value, not a missing one.
    QTest::newRow("genomics 0 is present: call") << QList<float> { 1, 2, 0, 5, 6, 7, 8 } << QStringList {};
    QTest::newRow("genomics missing: no call")
        << QList<float> { 1, 2, kNaN, 5, 6, 7, 8 } << QStringList { noGenomics };
    // Every rule that fails is given: required modalities first, then coverage in the policy's order.
    QTest::newRow("all three fail: three reasons") << QList<float> { kNaN, 2, kNaN, kNaN, kNaN, 7, kNaN }
                                                   << QStringList { noGenomics, imagingHalf, recordsQuarter };
}

void TestAbstention::coverageRules()
{
    QFETCH(QList<float>, features);
    QFETCH(QStringList, reasons);
    const AbstentionPolicy policy = policyOf(
        R"({"minimum_coverage": {"imaging": 1.0, "records": 0.5}, "required_modalities": ["genomics"]})");
    const float risk = 0.9f;
    auto decision = decideAbstention(policy, coverageSchema(), { &risk, 1 },
        { features.constData(), static_cast<std::size_t>(features.size()) });
    QVERIFY2(decision, decision ? "" : decision.error().message().c_str());
    QCOMPARE(decision->called, reasons.isEmpty());
    QStringList texts;
    for (const auto &reason : decision->reasons)
        texts << QString::fromStdString(reason.text);
    QCOMPARE(texts, reasons);
}

void TestAbstention::badJsonIsRefused_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("message");
    QTest::newRow("JSON cut short")
        << "{\"uncertain_band\": "
        << "spec.json, abstention: is not valid JSON: it ends before the JSON is complete";
    // Byte 13 is the second comma (bytes counted from 1).
    QTest::newRow("not JSON") << "{\"low\": 0.3,, }"
                              << "spec.json, abstention: is not valid JSON (at byte 13)";
    QTest::newRow("an array") << "[0.3, 0.7]"
                              << "spec.json, abstention: must be an object, not array";
    QTest::newRow("unknown key")
        << R"({"band": {"low": 0.3, "high": 0.7}})"
        << "spec.json, abstention: unknown key 'band' (known: uncertain_band, minimum_top_probability, "
           "minimum_coverage, required_modalities)";
    QTest::newRow("unknown key in the band") << R"({"uncertain_band": {"low": 0.3, "high": 0.7, "mid": 0.5}})"
                                             << "spec.json, abstention.uncertain_band: unknown key 'mid' "
                                                "(known: low, high)";
    QTest::newRow("band not an object") << R"({"uncertain_band": [0.3, 0.7]})"
                                        << "spec.json, abstention.uncertain_band: must be an object "
                                           "{\"low\": ..., \"high\": ...}, not array";
    QTest::newRow("band without high") << R"({"uncertain_band": {"low": 0.3}})"
                                       << "spec.json, abstention.uncertain_band: has no 'high'";
    QTest::newRow("low is a string")
        << R"({"uncertain_band": {"low": "0.3", "high": 0.7}})"
        << "spec.json, abstention.uncertain_band.low: must be a number, not string";
    QTest::newRow("high above 1")
        << R"({"uncertain_band": {"low": 0.3, "high": 1.5}})"
        << "spec.json, abstention.uncertain_band.high: must be between 0 and 1, not 1.5";
    QTest::newRow("low above high") << R"({"uncertain_band": {"low": 0.7, "high": 0.3}})"
                                    << "spec.json, abstention.uncertain_band: low (0.7) is above high (0.3)";
    QTest::newRow("threshold is a boolean")
        << R"({"minimum_top_probability": true})"
        << "spec.json, abstention.minimum_top_probability: must be a number, not boolean";
    QTest::newRow("negative coverage")
        << R"({"minimum_coverage": {"imaging": -0.1}})"
        << "spec.json, abstention.minimum_coverage.imaging: must be between 0 and "
           "1, not -0.1";
    QTest::newRow("unknown modality")
        << R"({"minimum_coverage": {"imaging": 1.0, "pathology": 0.5}})"
        << "spec.json, abstention.minimum_coverage: unknown modality 'pathology' "
           "(expected imaging, genomics or records)";
    QTest::newRow("required modalities not an array")
        << R"({"required_modalities": "genomics"})"
        << "spec.json, abstention.required_modalities: must be an array of modality names, not string";
    QTest::newRow("required modality not a name")
        << R"({"required_modalities": ["imaging", 2]})"
        << "spec.json, abstention.required_modalities[1]: must be a "
           "modality name, not number";
    QTest::newRow("required modality twice") << R"({"required_modalities": ["genomics", "genomics"]})"
                                             << "spec.json, abstention.required_modalities[1]: 'genomics' is "
                                                "listed twice";
    QTest::newRow("duplicate key") << R"({"minimum_top_probability": 0.9, "minimum_top_probability": 0.5})"
                                   << "spec.json, abstention.minimum_top_probability: appears twice";
    QTest::newRow("duplicate nested key") << R"({"uncertain_band": {"low": 0.3, "high": 0.7, "low": 0.2}})"
                                          << "spec.json, abstention.uncertain_band.low: appears twice";
    // Nesting 60,000 deep within the size limit must neither overflow the stack nor be accepted.
    QTest::newRow("deeply nested") << QString(60000, '[')
                                   << "spec.json, abstention: is not valid JSON: it ends "
                                      "before the JSON is complete";
    QTest::newRow("deeply nested, complete")
        << QString(30000, '[') + QString(30000, ']') << "spec.json, abstention: must be an object, not array";
    QTest::newRow("too large")
        << QString(70000, ' ') + "{}"
        << "spec.json, abstention: is 70002 bytes; an abstention section is at most 65536";
}

void TestAbstention::badJsonIsRefused()
{
    QFETCH(QString, json);
    QFETCH(QString, message);
    auto policy = AbstentionPolicy::fromJson(json.toStdString(), "spec.json");
    QVERIFY(!policy);
    QCOMPARE(QString::fromStdString(policy.error().message()), message);
    QCOMPARE(
        policy.error().code, message.contains("bytes;") ? ErrorCode::LimitExceeded : ErrorCode::Malformed);
}

void TestAbstention::policyRoundTripsThroughJson()
{
    const AbstentionPolicy policy = policyOf(R"({"uncertain_band": {"low": 0.3, "high": 0.7},
        "minimum_coverage": {"records": 0.5, "imaging": 1}, "required_modalities": ["genomics"]})");
    QVERIFY(policy.uncertainBand);
    QCOMPARE(policy.uncertainBand->low, 0.3);
    QCOMPARE(policy.uncertainBand->high, 0.7);
    QVERIFY(!policy.minimumTopProbability);
    QCOMPARE(policy.minimumCoverage.size(), std::size_t { 2 });
    QCOMPARE(policy.requiredModalities, std::vector<Modality> { Modality::Genomics });
    auto again = AbstentionPolicy::fromJson(policy.toJson(), "again.json");
    QVERIFY(again);
    QCOMPARE(again->toJson(), policy.toJson());
    QCOMPARE(again->uncertainBand->low, 0.3);
    // The key path names where the section sits in its document.
    auto nested
        = AbstentionPolicy::fromJson(R"({"minimum_top_probability": 2})", "model.json", "model.abstention");
    QCOMPARE(QString::fromStdString(nested.error().message()),
        QString("model.json, model.abstention.minimum_top_probability: must be between 0 and 1, not 2"));
    // An empty section abstains on nothing.
    const float risk = 0.5f;
    const float age = 1.0f;
    QVERIFY(decideAbstention(policyOf("{}"), recordsSchema(), { &risk, 1 }, { &age, 1 })->called);
}

void TestAbstention::policyMustFitTheModel()
{
    const float binaryRisk = 0.5f;
    const float classes[] = { 0.2f, 0.3f, 0.5f };
    const float age = 70.0f;
    auto bandOnMulticlass = decideAbstention(
        policyOf(R"({"uncertain_band": {"low": 0.3, "high": 0.7}})"), recordsSchema(), classes, { &age, 1 });
    QCOMPARE(bandOnMulticlass.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(bandOnMulticlass.error().message(),
        std::string("the abstention policy sets an uncertain risk band, which applies to binary models only; "
                    "this model is multi-class (use minimum_top_probability)"));
    auto topOnBinary = decideAbstention(
        policyOf(R"({"minimum_top_probability": 0.9})"), recordsSchema(), { &binaryRisk, 1 }, { &age, 1 });
    QCOMPARE(topOnBinary.error().message(),
        std::string(
            "the abstention policy sets a minimum top-class probability, which applies to multi-class "
            "models only; this model is binary (use uncertain_band)"));
    auto absentModality
        = policyOf(R"({"minimum_coverage": {"imaging": 0.5}})").checkApplies(recordsSchema(), false);
    QCOMPARE(absentModality.error().message(),
        std::string(
            "the abstention policy sets a coverage rule for imaging data, but the model has no imaging "
            "features"));
    const float two[] = { 1.0f, 2.0f };
    auto wrongWidth = decideAbstention(policyOf("{}"), recordsSchema(), { &binaryRisk, 1 }, two);
    QCOMPARE(wrongWidth.error().message(),
        std::string("the patient has 2 feature values but the model has 1 features"));
    const float notProbability = 1.5f;
    QCOMPARE(
        decideAbstention(policyOf("{}"), recordsSchema(), { &notProbability, 1 }, { &age, 1 }).error().code,
        ErrorCode::InvalidArgument);
}

// Ten patients, band [0.25, 0.75], imaging coverage 100% required (imaging: A, B; records: R).
//   #   p     label  imaging   decision
//   1   0.10  0      present   call
//   2   0.20  1      present   call
//   3   0.30  1      present   no call (band)
//   4   0.50  0      present   no call (band)
//   5   0.60  1      present   no call (band)
//   6   0.80  0      present   call
//   7   0.90  1      present   call
//   8   0.05  0      present   call
//   9   0.95  0      B missing no call (coverage)
//  10   0.15  1      B missing no call (coverage)
// Called 5 (1, 2, 6, 7, 8), abstained 5: rate 0.5; 3 for the band, 2 for coverage.
// AUROC, all: positives 0.2, 0.3, 0.6, 0.9, 0.15 against negatives 0.1, 0.5, 0.8, 0.05, 0.95:
//   0.2 beats 2, 0.3 beats 2, 0.6 beats 3, 0.9 beats 4, 0.15 beats 2: 13 / 25 = 0.52.
// AUROC, called: positives 0.2, 0.9 against 0.1, 0.8, 0.05: 2 + 3 = 5 / 6.
// Brier, all: (0.01 + 0.64 + 0.49 + 0.25 + 0.16 + 0.64 + 0.01 + 0.0025 + 0.9025 + 0.7225) / 10 = 0.38275.
// Brier, called: (0.01 + 0.64 + 0.64 + 0.01 + 0.0025) / 5 = 0.2605.
// Accuracy at p >= 0.5: all right for 1, 5, 7, 8: 0.4; called right for 1, 7, 8: 3 / 5 = 0.6.
void TestAbstention::binaryCohortReport()
{
    auto schema = FeatureSchema::fromDefinitions({ { "A", Modality::Imaging, "", "" },
        { "B", Modality::Imaging, "", "" }, { "R", Modality::Records, "", "" } });
    QVERIFY(schema);
    const AbstentionPolicy policy
        = policyOf(R"({"uncertain_band": {"low": 0.25, "high": 0.75}, "minimum_coverage": {"imaging": 1}})");
    const float risks[] = { 0.10f, 0.20f, 0.30f, 0.50f, 0.60f, 0.80f, 0.90f, 0.05f, 0.95f, 0.15f };
    const std::vector<int> labels = { 0, 1, 1, 0, 1, 0, 1, 0, 0, 1 };
    RowMatrixXf probabilities(10, 1);
    std::vector<AbstentionDecision> decisions;
    for (int i = 0; i < 10; ++i) {
        probabilities(i, 0) = risks[i];
        const float features[] = { 1.0f, i >= 8 ? kNaN : 2.0f, 3.0f };
        auto decision = decideAbstention(policy, *schema, { &risks[i], 1 }, features);
        QVERIFY(decision);
        decisions.push_back(*decision);
    }
    auto report = reportAbstention(decisions, probabilities, labels);
    QVERIFY2(report, report ? "" : report.error().message().c_str());
    QCOMPARE(report->cases, std::size_t { 10 });
    QCOMPARE(report->called, std::size_t { 5 });
    QCOMPARE(report->abstained, std::size_t { 5 });
    QCOMPARE(report->abstentionRate, 0.5);
    QCOMPARE(report->uncertainRisk, std::size_t { 3 });
    QCOMPARE(report->lowCoverage, std::size_t { 2 });
    QCOMPARE(report->missingModality, std::size_t { 0 });
    QVERIFY2(report->metricsAll, report->metricsAllUnavailable.c_str());
    QVERIFY2(report->metricsCalled, report->metricsCalledUnavailable.c_str());
    QCOMPARE(report->metricsAll->cases, std::size_t { 10 });
    QCOMPARE(report->metricsCalled->cases, std::size_t { 5 });
    COMPARE_NEAR(report->metricsAll->auroc.auroc, 0.52, 1e-12);
    COMPARE_NEAR(report->metricsCalled->auroc.auroc, 5.0 / 6.0, 1e-12);
    // The probabilities went through float32: 1e-6 covers its rounding of these values.
    COMPARE_NEAR(report->metricsAll->brier, 0.38275, 1e-6);
    COMPARE_NEAR(report->metricsCalled->brier, 0.2605, 1e-6);
    COMPARE_NEAR(report->accuracyAll, 0.4, 1e-12);
    QVERIFY(report->accuracyCalled);
    COMPARE_NEAR(*report->accuracyCalled, 0.6, 1e-12);

    // The same in the JSON the CLI prints.
    const auto json = nlohmann::json::parse(reportToJson(*report));
    QCOMPARE(json["cases"].get<int>(), 10);
    QCOMPARE(json["called"].get<int>(), 5);
    QCOMPARE(json["abstention_rate"].get<double>(), 0.5);
    QCOMPARE(json["reasons"]["uncertain_risk"].get<int>(), 3);
    QCOMPARE(json["reasons"]["low_coverage"].get<int>(), 2);
    COMPARE_NEAR(json["metrics_all"]["auroc"].get<double>(), 0.52, 1e-12);
    COMPARE_NEAR(json["metrics_called"]["auroc"].get<double>(), 5.0 / 6.0, 1e-12);
    COMPARE_NEAR(json["accuracy_called"].get<double>(), 0.6, 1e-12);
    const auto third = nlohmann::json::parse(decisionToJson(decisions[2])); // p 0.30: in the band
    QCOMPARE(third["call"].get<bool>(), false);
    QCOMPARE(third["reasons"][0]["kind"].get<std::string>(), std::string("uncertain risk"));
    QCOMPARE(third["reasons"][0]["text"].get<std::string>(), decisions[2].reasons[0].text);
    QVERIFY(!third["reasons"][0].contains("modality"));
    const auto ninth = nlohmann::json::parse(decisionToJson(decisions[8])); // B missing
    QCOMPARE(ninth["reasons"][0]["kind"].get<std::string>(), std::string("low coverage"));
    QCOMPARE(ninth["reasons"][0]["modality"].get<std::string>(), std::string("imaging"));
    QCOMPARE(nlohmann::json::parse(decisionToJson(decisions[0]))["call"].get<bool>(), true);

    // When the called cases are one class only, their metrics are unavailable, with the reason.
    std::vector<AbstentionDecision> onlyNegativesCalled(10, AbstentionDecision { false, {} });
    onlyNegativesCalled[0].called = true; // p 0.10, label 0
    onlyNegativesCalled[7].called = true; // p 0.05, label 0
    auto narrow = reportAbstention(onlyNegativesCalled, probabilities, labels);
    QVERIFY(narrow);
    QVERIFY(!narrow->metricsCalled);
    QVERIFY(narrow->metricsAll);
    QVERIFY(!narrow->metricsCalledUnavailable.empty());
    QCOMPARE(narrow->abstentionRate, 0.8);
    const auto narrowJson = nlohmann::json::parse(reportToJson(*narrow));
    QCOMPARE(QString::fromStdString(narrowJson["metrics_called"]["unavailable"].get<std::string>()),
        QString::fromStdString(narrow->metricsCalledUnavailable));
}

// Four patients, three classes, top class needed at >= 0.9:
//   {0.95, 0.03, 0.02} label 0: call, right
//   {0.50, 0.40, 0.10} label 1: no call (top 0.5), wrong
//   {0.05, 0.92, 0.03} label 1: call, right
//   {0.10, 0.10, 0.80} label 2: no call (top 0.8), right
// Rate 2 / 4 = 0.5; accuracy 3 / 4 = 0.75 over all, 2 / 2 = 1 over the called.
void TestAbstention::multiclassCohortReport()
{
    const AbstentionPolicy policy = policyOf(R"({"minimum_top_probability": 0.9})");
    RowMatrixXf probabilities(4, 3);
    probabilities << 0.95f, 0.03f, 0.02f, 0.50f, 0.40f, 0.10f, 0.05f, 0.92f, 0.03f, 0.10f, 0.10f, 0.80f;
    const std::vector<int> labels = { 0, 1, 1, 2 };
    std::vector<AbstentionDecision> decisions;
    const float age = 60.0f;
    for (Eigen::Index i = 0; i < 4; ++i) {
        auto decision
            = decideAbstention(policy, recordsSchema(), { probabilities.row(i).data(), 3 }, { &age, 1 });
        QVERIFY(decision);
        decisions.push_back(*decision);
    }
    auto report = reportAbstention(decisions, probabilities, labels);
    QVERIFY(report);
    QCOMPARE(report->called, std::size_t { 2 });
    QCOMPARE(report->abstentionRate, 0.5);
    QCOMPARE(report->lowTopProbability, std::size_t { 2 });
    COMPARE_NEAR(report->accuracyAll, 0.75, 1e-12);
    COMPARE_NEAR(*report->accuracyCalled, 1.0, 1e-12);
    QVERIFY(!report->metricsAll); // binary metrics only
    const auto json = nlohmann::json::parse(reportToJson(*report));
    QVERIFY(!json.contains("metrics_all"));
    QCOMPARE(json["reasons"]["low_top_probability"].get<int>(), 2);
}

void TestAbstention::reportRefusesMismatchedSizes()
{
    RowMatrixXf probabilities(2, 1);
    probabilities << 0.2f, 0.8f;
    const std::vector<AbstentionDecision> decisions(3);
    const std::vector<int> labels = { 0, 1 };
    auto report = reportAbstention(decisions, probabilities, labels);
    QCOMPARE(report.error().code, ErrorCode::InvalidArgument);
    QCOMPARE(report.error().message(), std::string("there are 3 decisions, 2 predictions and 2 labels"));
    const std::vector<AbstentionDecision> two(2);
    const std::vector<int> badLabels = { 0, 2 };
    QCOMPARE(reportAbstention(two, probabilities, badLabels).error().message(),
        std::string("a label is 2; labels must be 0 to 1"));
    QCOMPARE(reportAbstention({}, RowMatrixXf(0, 1), {}).error().message(),
        std::string("there are no cases to report on"));
}

QTEST_APPLESS_MAIN(TestAbstention)
#include "tst_abstention.moc"
