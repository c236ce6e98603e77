// SPDX-License-Identifier: Apache-2.0
// The first window on the real demo workspace: open it, click a patient in the worklist, and check
// that the waterfall's bars are the engine's SHAP values for that patient, computed here straight
// from XGBoost on the patient's row of the source table, and that each bar names value and unit.
#include "core/demo/demo_workspace.h"
#include "core/features/cohort_table.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"
#include "ui/main_window.h"
#include "ui/patient_list_model.h"
#include "ui/patient_page.h"
#include "ui/shap_waterfall_chart.h"

#include <QAbstractItemModelTester>
#include <QBarSet>
#include <QLabel>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mosaic;

namespace {

const std::filesystem::path kResources = MOSAIC_SOURCE_DIR "/resources";

QString percentText(double probability)
{
    return QString::number(probability * 100.0, 'f', 0) + QStringLiteral(" %");
}

// The demo table's row of patient HF-<number>, in the bundle's schema order.
RowMatrixXf tableRow(const ModelBundle &bundle, int patientNumber)
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kResources / "demo" / "heart_failure_S1Data.csv", options);
    if (!table)
        qFatal("%s", table.error().message().c_str());
    auto all = table->select(bundle.schema);
    if (!all)
        qFatal("%s", all.error().message().c_str());
    return all->row(patientNumber - 1);
}

double boosterProbability(const ModelBundle &bundle, const RowMatrixXf &row)
{
    auto booster = bundle.loadBooster();
    auto data = DMatrix::fromDense(row);
    if (!booster || !data)
        qFatal("booster or row refused");
    auto probability = booster->predictProbabilities(*data);
    if (!probability)
        qFatal("%s", probability.error().message().c_str());
    return (*probability)(0, 0);
}

} // namespace

class TestPatientPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void worklistListsTheCohort();
    void waterfallMatchesTheEngine_data();
    void waterfallMatchesTheEngine();
    void calibratedModelShowsRiskCallAndAbsenceEffect_data();
    void calibratedModelShowsRiskCallAndAbsenceEffect();
    void uncalibratedModelSaysSo();
    void damagedModelIsNotUsed();
    void unreadableWorkspaceIsReported();

private:
    QTemporaryDir m_directory;
    std::filesystem::path m_demoPath;
};

void TestPatientPage::initTestCase()
{
    QVERIFY(m_directory.isValid());
    m_demoPath = (m_directory.path() + "/demo.sqlite").toStdString();
    auto workspace = Workspace::open(m_demoPath);
    QVERIFY(workspace);
    auto built = buildHeartFailureDemo(*workspace, DemoResources::in(kResources));
    QVERIFY2(built, built ? "" : built.error().message().c_str());
}

void TestPatientPage::worklistListsTheCohort()
{
    MainWindow window;
    QVERIFY(window.openWorkspace(m_demoPath));
    QAbstractItemModel *shown = window.worklist()->model();
    QAbstractItemModelTester tester(shown, QAbstractItemModelTester::FailureReportingMode::QtTest);
    auto *proxy = qobject_cast<QSortFilterProxyModel *>(shown);
    QVERIFY(proxy);
    QAbstractItemModelTester sourceTester(
        proxy->sourceModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(shown->rowCount(), 299);
    QCOMPARE(shown->index(0, PatientListModel::PatientColumn).data().toString(), QStringLiteral("HF-001"));
    // Every patient has the stored prediction of the demo model, shown in percent.
    for (int row = 0; row < shown->rowCount(); ++row)
        QVERIFY(
            shown->index(row, PatientListModel::RiskColumn).data().toString().endsWith(QStringLiteral(" %")));
}

void TestPatientPage::waterfallMatchesTheEngine_data()
{
    QTest::addColumn<int>("patientNumber");
    QTest::newRow("HF-004: ejection fraction 25 %, a patient who died") << 4;
    QTest::newRow("HF-001: a survivor") << 1;
    QTest::newRow("HF-299: last row of the table") << 299;
}

void TestPatientPage::waterfallMatchesTheEngine()
{
    QFETCH(int, patientNumber);
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(window.openWorkspace(m_demoPath));

    // Click the patient's row, as a clinician would.
    const QString externalId = QStringLiteral("HF-%1").arg(patientNumber, 3, 10, QLatin1Char('0'));
    QTableView *worklist = window.worklist();
    QModelIndex index;
    for (int row = 0; row < worklist->model()->rowCount() && !index.isValid(); ++row)
        if (worklist->model()->index(row, 0).data().toString() == externalId)
            index = worklist->model()->index(row, 0);
    QVERIFY(index.isValid());
    worklist->scrollTo(index);
    QTest::mouseClick(worklist->viewport(), Qt::LeftButton, {}, worklist->visualRect(index).center());
    QCOMPARE(worklist->selectionModel()->currentIndex().row(), index.row());

    const PatientPage *page = window.patientPage();
    QCOMPARE(page->findChild<QLabel *>(QStringLiteral("patientHeader"))->text(), "Patient " + externalId);
    QVERIFY(page->prediction().has_value());

    // The engine's truth, independently of the workspace: the patient's row of the source table
    // through the stored model's booster.
    auto stored = window.workspace()->latestModel();
    QVERIFY(stored);
    auto bundle = ModelBundle::fromJson(stored->bundleJson, "demo model", *window.workspace()->trustedKeys());
    QVERIFY(bundle);
    auto booster = bundle->loadBooster();
    QVERIFY(booster);
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kResources / "demo" / "heart_failure_S1Data.csv", options);
    QVERIFY(table);
    auto all = table->select(bundle->schema);
    QVERIFY(all);
    const RowMatrixXf row = all->row(patientNumber - 1);
    auto data = DMatrix::fromDense(row);
    QVERIFY(data);
    auto shap = booster->contributions(*data);
    auto probability = booster->predictProbabilities(*data);
    QVERIFY(shap && probability);

    const QString risk = page->findChild<QLabel *>(QStringLiteral("riskSummary"))->text();
    QVERIFY2(risk.contains(QString::number((*probability)(0, 0) * 100.0, 'f', 0) + " %"), qPrintable(risk));

    const ShapWaterfallChart *chart = page->waterfall();
    const auto &bars = chart->bars();
    QCOMPARE(static_cast<std::size_t>(chart->raisesRisk()->count()), bars.size());
    QCOMPARE(static_cast<std::size_t>(chart->lowersRisk()->count()), bars.size());
    QCOMPARE(bars.size(), std::size_t { 9 }); // 8 largest and one bar for the other 3

    double shownTotal = 0.0;
    double previousMagnitude = 0.0;
    std::vector<bool> shown(bundle->schema.size(), false);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const double drawn
            = chart->raisesRisk()->at(static_cast<int>(i)) - chart->lowersRisk()->at(static_cast<int>(i));
        shownTotal += drawn;
        if (!bars[i].featureIndex)
            continue;
        const std::size_t feature = *bars[i].featureIndex;
        shown[feature] = true;
        QVERIFY2(std::abs(drawn - shap->at(0, 0, feature)) < 1e-6, qPrintable(bars[i].label));
        // Above the bar of the other features, each bar is at least as long as the one below it.
        QVERIFY2(std::abs(drawn) >= previousMagnitude - 1e-9, qPrintable(bars[i].label));
        previousMagnitude = std::abs(drawn);
        const FeatureDefinition &definition = bundle->schema.at(feature);
        const QString value = QString::number(row(0, static_cast<Eigen::Index>(feature)), 'g', 7);
        QVERIFY2(bars[i].label.contains(" = " + value), qPrintable(bars[i].label + " lacks " + value));
        if (!definition.unit.empty())
            QVERIFY2(bars[i].label.contains(QString::fromStdString(displayUnit(definition.unit))),
                qPrintable(bars[i].label));
    }
    // Unshown features all fall in the first bar; the bars add up to margin minus bias.
    double others = 0.0;
    for (std::size_t feature = 0; feature < shown.size(); ++feature)
        if (!shown[feature])
            others += shap->at(0, 0, feature);
    QVERIFY(!bars.front().featureIndex);
    QVERIFY(std::abs(chart->raisesRisk()->at(0) - chart->lowersRisk()->at(0) - others) < 1e-6);
    double margin = shap->bias(0);
    for (std::size_t feature = 0; feature < shown.size(); ++feature)
        margin += shap->at(0, 0, feature);
    QVERIFY(std::abs(shownTotal - (margin - shap->bias(0))) < 1e-5);
}

void TestPatientPage::calibratedModelShowsRiskCallAndAbsenceEffect_data()
{
    QTest::addColumn<bool>("bandHoldsTheRisk");
    QTest::newRow("risk inside the uncertain band: no confident call") << true;
    QTest::newRow("risk outside the band: a call") << false;
}

// The demo model given, in memory, what the training pipeline writes into a bundle: a Platt map, an
// abstention band and the report's bootstrap interval, calibration error and abstention rate.
void TestPatientPage::calibratedModelShowsRiskCallAndAbsenceEffect()
{
    QFETCH(bool, bandHoldsTheRisk);
    auto workspace = Workspace::open(m_demoPath);
    QVERIFY(workspace);
    auto stored = workspace->latestModel();
    QVERIFY(stored);
    auto bundle = ModelBundle::fromJson(stored->bundleJson, "demo model", *workspace->trustedKeys());
    QVERIFY(bundle);
    QVERIFY(!bundle->calibration && !bundle->abstention); // trainRiskModel's bundle has neither

    // By hand, from the booster on HF-004's row of the source table: calibration.h's Platt form
    // risk = 1 / (1 + exp(a * logit(p) + b)) with a = -0.6, b = 0.5; and the same for the row with
    // every feature missing, which is the prediction without the records modality (the demo
    // model's only one).
    const double a = -0.6;
    const double b = 0.5;
    const auto platt = [&](double p) { return 1.0 / (1.0 + std::exp(a * std::log(p / (1.0 - p)) + b)); };
    const RowMatrixXf row = tableRow(*bundle, 4);
    const double probability = boosterProbability(*bundle, row);
    const double risk = platt(probability);
    const RowMatrixXf empty = RowMatrixXf::Constant(1, row.cols(), std::numeric_limits<float>::quiet_NaN());
    const double riskWithoutRecords = platt(boosterProbability(*bundle, empty));
    QVERIFY(std::abs(risk - probability) > 0.01); // the map moves this patient's risk visibly

    bundle->calibration = ProbabilityCalibration {};
    bundle->calibration->method = ProbabilityCalibration::Method::Platt;
    bundle->calibration->platt = { a, b };
    bundle->abstention = AbstentionPolicy {};
    bundle->abstention->uncertainBand
        = bandHoldsTheRisk ? RiskBand { risk - 0.05, risk + 0.05 } : RiskBand { risk + 0.05, risk + 0.10 };
    QVERIFY(bundle->validation);
    bundle->validation->calibrationMethod = "platt";
    bundle->validation->aurocBootstrap95 = ConfidenceInterval { 0.71, 0.83 };
    bundle->validation->brierBootstrap95 = ConfidenceInterval { 0.151, 0.192 };
    bundle->validation->expectedCalibrationError = 0.042;
    bundle->validation->abstentionRate = 0.125;
    auto model = RiskModel::fromBundle(*bundle);
    QVERIFY(model);

    auto patients = workspace->patients();
    QVERIFY(patients);
    const auto patient = std::ranges::find(*patients, std::string("HF-004"), &PatientSummary::externalId);
    QVERIFY(patient != patients->end());
    PatientPage page;
    page.setRiskModel(&*model);
    page.showPatient(*workspace, patient->id);
    QVERIFY(page.prediction().has_value());

    const auto text
        = [&](const char *name) { return page.findChild<QLabel *>(QString::fromLatin1(name))->text(); };
    const QString riskText = text("riskSummary");
    QVERIFY2(riskText.startsWith("Calibrated risk of death during follow-up: " + percentText(risk)),
        qPrintable(riskText));
    const auto *raw = page.findChild<QLabel *>(QStringLiteral("rawProbability"));
    QVERIFY(!raw->isHidden());
    QCOMPARE(raw->text(), "Model probability before calibration: " + percentText(probability));
    QVERIFY(page.findChild<QLabel *>(QStringLiteral("riskSummary"))->toolTip().contains("Platt scaling"));

    const auto *call = page.findChild<QLabel *>(QStringLiteral("callSummary"));
    QVERIFY(!call->isHidden());
    if (bandHoldsTheRisk) {
        QVERIFY2(call->text().startsWith("No confident call\n\u2022 "), qPrintable(call->text()));
        // The reason abstention.cpp writes, in the clinician's words.
        QVERIFY2(
            call->text().contains(QString::fromStdString(page.prediction()->abstention->reasons.at(0).text)),
            qPrintable(call->text()));
        QVERIFY(call->text().contains("uncertain band"));
    } else {
        QCOMPARE(call->text(), QStringLiteral("Confident call: the model's abstention rules are met."));
    }

    const QString modalities = text("modalitySummary");
    const double effect = riskWithoutRecords - risk;
    const QString expectedLine = "Records: 11 of 11 features present (100 % coverage), ";
    QVERIFY2(modalities.contains(expectedLine), qPrintable(modalities));
    QVERIFY2(modalities.contains("; without records the risk would be " + percentText(riskWithoutRecords)
                 + " (" + (effect >= 0 ? "+" : "") + QString::number(effect * 100.0, 'f', 1) + " points)"),
        qPrintable(modalities));
    QVERIFY(modalities.contains("Imaging: not used by this model"));

    const QString validation = text("validationSummary");
    for (const char *expected : { "Risk calibration: Platt scaling, fitted on out-of-fold predictions",
             "AUROC bootstrap 95 % CI 0.71 to 0.83", "Brier score bootstrap 95 % CI 0.151 to 0.192",
             "Expected calibration error 0.042 (10 bins; 0 is ideal)",
             "No confident call for 12.5 % of the cross-validated patients" })
        QVERIFY2(validation.contains(QLatin1String(expected)), qPrintable(validation + " lacks " + expected));
}

// The demo model, trained by the older repeated cross-validation path, has neither a calibration map
// nor an abstention policy: the page says the risk is the model's own and shows no call.
void TestPatientPage::uncalibratedModelSaysSo()
{
    MainWindow window;
    QVERIFY(window.openWorkspace(m_demoPath));
    QVERIFY(window.selectPatient(QStringLiteral("HF-004")));
    const PatientPage *page = window.patientPage();
    QVERIFY(page->prediction().has_value());
    QCOMPARE(page->prediction()->risk, page->prediction()->probability);
    const QString risk = page->findChild<QLabel *>(QStringLiteral("riskSummary"))->text();
    QVERIFY2(risk.startsWith("Risk of death during follow-up: "), qPrintable(risk));
    QCOMPARE(page->findChild<QLabel *>(QStringLiteral("rawProbability"))->text(),
        QStringLiteral("Not recalibrated: the model's own probability."));
    QVERIFY(page->findChild<QLabel *>(QStringLiteral("callSummary"))->isHidden());
    const QString validation = page->findChild<QLabel *>(QStringLiteral("validationSummary"))->text();
    QVERIFY(!validation.contains("bootstrap") && !validation.contains("No confident call"));
}

void TestPatientPage::damagedModelIsNotUsed()
{
    // A workspace whose stored model was altered on disk: the worklist still opens, the model is
    // refused with a reason, and no prediction is shown.
    const std::filesystem::path path = (m_directory.path() + "/damaged.sqlite").toStdString();
    {
        auto workspace = Workspace::open(path);
        QVERIFY(workspace);
        QVERIFY(workspace->addPatient("P-1", "cohort.csv"));
        auto demo = Workspace::open(m_demoPath);
        std::string bundle = demo->latestModel()->bundleJson;
        const auto at = bundle.find("\"max_depth\": 3");
        QVERIFY(at != std::string::npos);
        bundle.replace(at, 14, "\"max_depth\": 4");
        QVERIFY(workspace->addModel("altered", bundle));
    }
    MainWindow window;
    QVERIFY(window.openWorkspace(path));
    QCOMPARE(window.worklist()->model()->rowCount(), 1);
    QVERIFY(window.selectPatient(QStringLiteral("P-1")));
    QVERIFY(!window.patientPage()->prediction().has_value());
    QVERIFY(window.patientPage()
                ->findChild<QLabel *>(QStringLiteral("riskSummary"))
                ->text()
                .contains("No model"));
}

void TestPatientPage::unreadableWorkspaceIsReported()
{
    const QString path = m_directory.path() + "/not-a-workspace.sqlite";
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("TIME,Event\n1,0\n");
    file.close();
    MainWindow window;
    QVERIFY(!window.openWorkspace(path.toStdString()));
    const QString header = window.patientPage()->findChild<QLabel *>(QStringLiteral("patientHeader"))->text();
    QVERIFY2(header.contains("could not be opened") && header.contains("not-a-workspace.sqlite"),
        qPrintable(header));
}

QTEST_MAIN(TestPatientPage)
#include "tst_patient_page.moc"
