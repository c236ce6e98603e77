// SPDX-License-Identifier: Apache-2.0
// What RiskModel::predict adds to the model's probability when the bundle carries the training
// pipeline's calibration and abstention policy: the calibrated risk (checked against the Platt
// formula and the isotonic step points worked by hand), the call or "no confident call" decided on
// that risk (at the band's edges, and on modality coverage), and each modality's absence effect
// (checked against the bundle's own booster re-predicting the row with that modality's columns
// NaN). Data: the heart-failure cohort of Ahmad et al. 2017, with ejection fraction filed under
// imaging so that the model has two modalities.
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/features/feature_vector.h"
#include "core/model/abstention.h"
#include "core/model/booster.h"
#include "core/model/calibration.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"

#include <nlohmann/json.hpp>

#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

using namespace mosaic;
using Json = nlohmann::json;

Q_DECLARE_METATYPE(mosaic::Modality)

namespace {

const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";
const char *kSchemaPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure.schema.json";

template <typename T> QByteArray failureText(const Result<T> &result)
{
    return result ? QByteArray() : QByteArray::fromStdString(result.error().message());
}

CohortTable deathTable()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    return std::move(*table);
}

// The demo schema with ejection fraction (an echocardiography measurement) under imaging.
FeatureSchema echoImagingSchema()
{
    auto demo = FeatureSchema::readFile(kSchemaPath);
    if (!demo)
        qFatal("%s", demo.error().message().c_str());
    std::vector<FeatureDefinition> definitions(demo->definitions().begin(), demo->definitions().end());
    for (auto &definition : definitions)
        if (definition.name == "Ejection.Fraction")
            definition.modality = Modality::Imaging;
    auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
    if (!schema)
        qFatal("%s", schema.error().message().c_str());
    return std::move(*schema);
}

double logit(double p)
{
    return std::log(p / (1.0 - p));
}

} // namespace

class TestRiskModel : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void withoutCalibrationTheRiskIsTheProbability();
    void plattRiskIsComputedByHand();
    void isotonicRiskFollowsTheStepPoints();
    void abstentionAtTheBandEdges_data();
    void abstentionAtTheBandEdges();
    void abstentionIsDecidedOnTheCalibratedRisk();
    void lowCoverageIsNoConfidentCall();
    void absenceEffectEqualsRePredictionWithTheModalityMissing_data();
    void absenceEffectEqualsRePredictionWithTheModalityMissing();
    void absentModalityHasNoEffect();
    void tablePredictionCarriesTheSameRiskAndCall();
    void predictionJsonCarriesRiskCallAndAbsenceEffect();

private:
    [[nodiscard]] FeatureVector patientVector(std::size_t row) const;
    [[nodiscard]] RiskPrediction predictWith(const ModelBundle &bundle, const FeatureVector &vector) const;

    CohortTable m_table;
    ModelBundle m_bundle; // no calibration, no policy, as trainRiskModel writes it
};

void TestRiskModel::initTestCase()
{
    m_table = deathTable();
    TrainingRequest request;
    request.name = "Death during follow-up (heart failure, test)";
    request.outcome = "death during follow-up";
    request.labelColumn = "Event";
    request.validation.folds = 3;
    request.validation.repeats = 1;
    request.validation.training.rounds = 20;
    auto bundle = trainRiskModel(m_table, echoImagingSchema(), request);
    QVERIFY2(bundle, failureText(bundle));
    m_bundle = std::move(*bundle);
    QVERIFY(!m_bundle.calibration && !m_bundle.abstention);
}

FeatureVector TestRiskModel::patientVector(std::size_t row) const
{
    auto vector = m_table.featureVector(row, std::make_shared<const FeatureSchema>(m_bundle.schema));
    if (!vector)
        qFatal("%s", vector.error().message().c_str());
    return std::move(*vector);
}

RiskPrediction TestRiskModel::predictWith(const ModelBundle &bundle, const FeatureVector &vector) const
{
    auto model = RiskModel::fromBundle(bundle);
    if (!model)
        qFatal("%s", model.error().message().c_str());
    auto prediction = model->predict(vector);
    if (!prediction)
        qFatal("%s", prediction.error().message().c_str());
    return std::move(*prediction);
}

void TestRiskModel::withoutCalibrationTheRiskIsTheProbability()
{
    const RiskPrediction prediction = predictWith(m_bundle, patientVector(0));
    QCOMPARE(prediction.risk, prediction.probability);
    QCOMPARE(prediction.calibration, ProbabilityCalibration::Method::None);
    QVERIFY(!prediction.abstention.has_value());
    QVERIFY(prediction.called());
}

void TestRiskModel::plattRiskIsComputedByHand()
{
    // calibration.h: p' = 1 / (1 + exp(a * logit(p) + b)); a = -1, b = 0 is the identity. This map
    // (a = -0.6, b = 0.5) pulls the model's probabilities towards 1/(1+e^0.5) = 0.378.
    ModelBundle bundle = m_bundle;
    bundle.calibration = ProbabilityCalibration {};
    bundle.calibration->method = ProbabilityCalibration::Method::Platt;
    bundle.calibration->platt = { -0.6, 0.5 };
    for (std::size_t row : { std::size_t { 0 }, std::size_t { 100 }, std::size_t { 250 } }) {
        const RiskPrediction raw = predictWith(m_bundle, patientVector(row));
        const RiskPrediction calibrated = predictWith(bundle, patientVector(row));
        QCOMPARE(calibrated.probability, raw.probability); // the model's own probability is kept
        const double expected = 1.0 / (1.0 + std::exp(-0.6 * logit(raw.probability) + 0.5));
        QVERIFY2(std::abs(calibrated.risk - expected) < 1e-12,
            qPrintable(QString("row %1: risk %2, by hand %3").arg(row).arg(calibrated.risk).arg(expected)));
        QVERIFY(std::abs(calibrated.risk - calibrated.probability) > 1e-3);
        QCOMPARE(calibrated.calibration, ProbabilityCalibration::Method::Platt);
    }
}

void TestRiskModel::isotonicRiskFollowsTheStepPoints()
{
    // Step points at the 25th, 50th and 75th percentiles t1 < t2 < t3 of this model's own
    // probabilities over the cohort, with values 0.1, 0.4, 0.9: below t1 the risk is 0.1, above t3
    // it is 0.9, between two points it is interpolated linearly (scikit-learn's
    // out_of_bounds="clip"), so every segment of the map is reached.
    auto rawModel = RiskModel::fromBundle(m_bundle);
    QVERIFY(rawModel);
    auto raw = rawModel->predict(m_table);
    QVERIFY(raw);
    std::vector<double> sorted;
    for (const RiskPrediction &prediction : *raw)
        sorted.push_back(prediction.probability);
    std::ranges::sort(sorted);
    const double t1 = sorted[sorted.size() / 4];
    const double t2 = sorted[sorted.size() / 2];
    const double t3 = sorted[3 * sorted.size() / 4];
    QVERIFY(t1 < t2 && t2 < t3);

    ModelBundle bundle = m_bundle;
    bundle.calibration = ProbabilityCalibration {};
    bundle.calibration->method = ProbabilityCalibration::Method::Isotonic;
    bundle.calibration->isotonic = { { t1, t2, t3 }, { 0.1, 0.4, 0.9 } };
    const auto byHand = [&](double p) {
        if (p <= t1)
            return 0.1;
        if (p >= t3)
            return 0.9;
        if (p <= t2)
            return 0.1 + (p - t1) / (t2 - t1) * (0.4 - 0.1);
        return 0.4 + (p - t2) / (t3 - t2) * (0.9 - 0.4);
    };
    auto model = RiskModel::fromBundle(bundle);
    QVERIFY(model);
    auto all = model->predict(m_table);
    QVERIFY2(all, failureText(all));
    std::size_t between = 0;
    for (const RiskPrediction &prediction : *all) {
        QVERIFY2(std::abs(prediction.risk - byHand(prediction.probability)) < 1e-12,
            qPrintable(QString("probability %1: risk %2, by hand %3")
                           .arg(prediction.probability, 0, 'g', 17)
                           .arg(prediction.risk, 0, 'g', 17)
                           .arg(byHand(prediction.probability), 0, 'g', 17)));
        between += prediction.probability > t1 && prediction.probability < t3 ? 1 : 0;
    }
    QVERIFY(between > 10); // interpolated, not only clipped
}

void TestRiskModel::abstentionAtTheBandEdges_data()
{
    QTest::addColumn<float>("lowOffset"); // in float ulps from the patient's risk
    QTest::addColumn<float>("highOffset");
    QTest::addColumn<bool>("called");
    // The band is inclusive at both edges (abstention.h: low <= risk <= high is no call).
    QTest::newRow("risk equals the low edge") << 0.0f << 0.1f << false;
    QTest::newRow("risk equals the high edge") << -0.1f << 0.0f << false;
    QTest::newRow("risk one float above the high edge") << -0.1f << -1.0f << true;
    QTest::newRow("risk one float below the low edge") << 1.0f << 0.1f << true;
}

void TestRiskModel::abstentionAtTheBandEdges()
{
    QFETCH(float, lowOffset);
    QFETCH(float, highOffset);
    QFETCH(bool, called);
    const RiskPrediction raw = predictWith(m_bundle, patientVector(7));
    const auto risk = static_cast<float>(raw.risk); // a float's value: XGBoost predicts in float
    // An offset of +-1 is one float step; any other offset is a plain distance.
    const auto edge = [&](float offset) -> double {
        if (offset == 1.0f)
            return std::nextafter(risk, 2.0f);
        if (offset == -1.0f)
            return std::nextafter(risk, -1.0f);
        return std::clamp(static_cast<double>(risk) + offset, 0.0, 1.0);
    };
    ModelBundle bundle = m_bundle;
    bundle.abstention = AbstentionPolicy {};
    bundle.abstention->uncertainBand = RiskBand { edge(lowOffset), edge(highOffset) };
    const RiskPrediction prediction = predictWith(bundle, patientVector(7));
    QVERIFY(prediction.abstention.has_value());
    QCOMPARE(prediction.called(), called);
    QCOMPARE(prediction.abstention->called, called);
    if (called) {
        QVERIFY(prediction.abstention->reasons.empty());
    } else {
        QCOMPARE(prediction.abstention->reasons.size(), std::size_t { 1 });
        QCOMPARE(prediction.abstention->reasons[0].kind, AbstentionReasonKind::UncertainRisk);
    }
}

void TestRiskModel::abstentionIsDecidedOnTheCalibratedRisk()
{
    // Platt with a = -0.6, b = 0.5 moves the risk away from the probability; a narrow band around
    // the calibrated risk must abstain, the same band around the raw probability must call.
    ModelBundle bundle = m_bundle;
    bundle.calibration = ProbabilityCalibration {};
    bundle.calibration->method = ProbabilityCalibration::Method::Platt;
    bundle.calibration->platt = { -0.6, 0.5 };
    const RiskPrediction calibrated = predictWith(bundle, patientVector(0));
    QVERIFY(std::abs(calibrated.risk - calibrated.probability) > 0.02);

    bundle.abstention = AbstentionPolicy {};
    bundle.abstention->uncertainBand = RiskBand { calibrated.risk - 0.01, calibrated.risk + 0.01 };
    QVERIFY(!predictWith(bundle, patientVector(0)).called());
    bundle.abstention->uncertainBand
        = RiskBand { calibrated.probability - 0.01, calibrated.probability + 0.01 };
    QVERIFY(predictWith(bundle, patientVector(0)).called());
}

void TestRiskModel::lowCoverageIsNoConfidentCall()
{
    ModelBundle bundle = m_bundle;
    bundle.abstention = AbstentionPolicy {};
    bundle.abstention->minimumCoverage = { { Modality::Imaging, 1.0 } };
    const RiskPrediction complete = predictWith(bundle, patientVector(3));
    QVERIFY(complete.called());

    FeatureVector noEcho = patientVector(3);
    QVERIFY(noEcho.set("Ejection.Fraction", std::numeric_limits<double>::quiet_NaN(), {}));
    const RiskPrediction withoutEcho = predictWith(bundle, noEcho);
    QVERIFY(!withoutEcho.called());
    QCOMPARE(withoutEcho.abstention->reasons.size(), std::size_t { 1 });
    QCOMPARE(withoutEcho.abstention->reasons[0].kind, AbstentionReasonKind::LowCoverage);
    QVERIFY(withoutEcho.abstention->reasons[0].modality == Modality::Imaging);
    // The imaging entry reports 0 of 1 features present.
    const auto imaging
        = std::ranges::find(withoutEcho.modalities, Modality::Imaging, &ModalityContribution::modality);
    QVERIFY(imaging != withoutEcho.modalities.end());
    QCOMPARE(imaging->featuresPresent, std::size_t { 0 });
    QCOMPARE(imaging->featuresInModel, std::size_t { 1 });
    QCOMPARE(imaging->coverage(), 0.0);
}

void TestRiskModel::absenceEffectEqualsRePredictionWithTheModalityMissing_data()
{
    QTest::addColumn<Modality>("modality");
    QTest::addColumn<bool>("calibrated");
    QTest::newRow("imaging, raw") << Modality::Imaging << false;
    QTest::newRow("records, raw") << Modality::Records << false;
    QTest::newRow("imaging, platt") << Modality::Imaging << true;
    QTest::newRow("records, platt") << Modality::Records << true;
}

void TestRiskModel::absenceEffectEqualsRePredictionWithTheModalityMissing()
{
    QFETCH(Modality, modality);
    QFETCH(bool, calibrated);
    ModelBundle bundle = m_bundle;
    if (calibrated) {
        bundle.calibration = ProbabilityCalibration {};
        bundle.calibration->method = ProbabilityCalibration::Method::Platt;
        bundle.calibration->platt = { -0.6, 0.5 };
    }
    // Line 7 of the table: ejection fraction 15 %, one of the lowest, and the patient died.
    const FeatureVector vector = patientVector(5);
    const RiskPrediction prediction = predictWith(bundle, vector);
    const auto entry = std::ranges::find(prediction.modalities, modality, &ModalityContribution::modality);
    QVERIFY(entry != prediction.modalities.end());

    // Independently: the bundle's booster on the patient's row with that modality's columns NaN.
    auto booster = bundle.loadBooster();
    QVERIFY(booster);
    RowMatrixXf row(1, static_cast<Eigen::Index>(bundle.schema.size()));
    for (std::size_t i = 0; i < bundle.schema.size(); ++i)
        row(0, static_cast<Eigen::Index>(i)) = bundle.schema.at(i).modality == modality
            ? std::numeric_limits<float>::quiet_NaN()
            : static_cast<float>(vector.value(i));
    auto data = DMatrix::fromDense(row);
    QVERIFY(data);
    auto probability = booster->predictProbabilities(*data);
    QVERIFY(probability);
    const double without = (*probability)(0, 0);
    const double riskWithout = calibrated ? 1.0 / (1.0 + std::exp(-0.6 * logit(without) + 0.5)) : without;

    QCOMPARE(entry->probabilityWithout, without);
    QVERIFY(std::abs(entry->riskWithout - riskWithout) < 1e-12);
    QVERIFY(std::abs(entry->absenceEffect - (riskWithout - prediction.risk)) < 1e-12);
    // The patient has every feature, so removing a modality really moves the prediction.
    QVERIFY(std::abs(entry->absenceEffect) > 1e-4);
    QCOMPARE(entry->featuresPresent, entry->featuresInModel);
    QCOMPARE(entry->coverage(), 1.0);
}

void TestRiskModel::absentModalityHasNoEffect()
{
    FeatureVector noEcho = patientVector(12);
    QVERIFY(noEcho.set("Ejection.Fraction", std::numeric_limits<double>::quiet_NaN(), {}));
    const RiskPrediction prediction = predictWith(m_bundle, noEcho);
    const auto imaging
        = std::ranges::find(prediction.modalities, Modality::Imaging, &ModalityContribution::modality);
    QVERIFY(imaging != prediction.modalities.end());
    QCOMPARE(imaging->probabilityWithout, prediction.probability);
    QCOMPARE(imaging->absenceEffect, 0.0);
}

void TestRiskModel::tablePredictionCarriesTheSameRiskAndCall()
{
    ModelBundle bundle = m_bundle;
    bundle.calibration = ProbabilityCalibration {};
    bundle.calibration->method = ProbabilityCalibration::Method::Platt;
    bundle.calibration->platt = { -0.6, 0.5 };
    bundle.abstention = AbstentionPolicy {};
    bundle.abstention->uncertainBand = RiskBand { 0.3, 0.5 };
    auto model = RiskModel::fromBundle(bundle);
    QVERIFY(model);
    auto all = model->predict(m_table);
    QVERIFY2(all, failureText(all));
    std::size_t abstained = 0;
    for (std::size_t row : { std::size_t { 0 }, std::size_t { 12 }, std::size_t { 200 } }) {
        auto one = model->predict(patientVector(row));
        QVERIFY(one);
        QCOMPARE((*all)[row].risk, one->risk);
        QCOMPARE((*all)[row].called(), one->called());
        QCOMPARE((*all)[row].modalities.size(), one->modalities.size());
        for (std::size_t m = 0; m < one->modalities.size(); ++m)
            QCOMPARE((*all)[row].modalities[m].absenceEffect, one->modalities[m].absenceEffect);
    }
    for (const RiskPrediction &prediction : *all) {
        const bool inBand
            = static_cast<float>(prediction.risk) >= 0.3f && static_cast<float>(prediction.risk) <= 0.5f;
        QCOMPARE(prediction.called(), !inBand);
        abstained += prediction.called() ? 0 : 1;
    }
    QVERIFY(abstained > 0 && abstained < all->size());
}

void TestRiskModel::predictionJsonCarriesRiskCallAndAbsenceEffect()
{
    ModelBundle bundle = m_bundle;
    bundle.calibration = ProbabilityCalibration {};
    bundle.calibration->method = ProbabilityCalibration::Method::Platt;
    bundle.calibration->platt = { -0.6, 0.5 };
    const RiskPrediction first = predictWith(bundle, patientVector(12));
    bundle.abstention = AbstentionPolicy {};
    bundle.abstention->uncertainBand = RiskBand { first.risk - 0.05, first.risk + 0.05 };
    const RiskPrediction prediction = predictWith(bundle, patientVector(12));

    const Json json = Json::parse(predictionToJson(prediction, bundle.schema));
    QCOMPARE(json["probability"].get<double>(), prediction.probability);
    QCOMPARE(json["risk"].get<double>(), prediction.risk);
    QCOMPARE(json["calibration"].get<std::string>(), std::string("platt"));
    QCOMPARE(json["call"]["call"].get<bool>(), false);
    QCOMPARE(json["call"]["reasons"].size(), std::size_t { 1 });
    QCOMPARE(json["call"]["reasons"][0]["kind"].get<std::string>(), std::string("uncertain risk"));
    QVERIFY(!json["call"]["reasons"][0]["text"].get<std::string>().empty());
    QCOMPARE(json["modalities"].size(), prediction.modalities.size());
    for (std::size_t m = 0; m < prediction.modalities.size(); ++m) {
        const Json &entry = json["modalities"][m];
        QCOMPARE(entry["modality"].get<std::string>(),
            std::string(modalityName(prediction.modalities[m].modality)));
        QCOMPARE(entry["absence_effect"].get<double>(), prediction.modalities[m].absenceEffect);
        QCOMPARE(entry["risk_without"].get<double>(), prediction.modalities[m].riskWithout);
        QCOMPARE(entry["probability_without"].get<double>(), prediction.modalities[m].probabilityWithout);
        QCOMPARE(entry["coverage"].get<double>(), 1.0);
    }
}

QTEST_APPLESS_MAIN(TestRiskModel)
#include "tst_risk_model.moc"
