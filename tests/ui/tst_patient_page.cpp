// SPDX-License-Identifier: Apache-2.0
// The first window on the real demo workspace: open it, click a patient in the worklist, and check
// that the waterfall's bars are the engine's SHAP values for that patient, computed here straight
// from XGBoost on the patient's row of the source table, and that each bar names value and unit.
#include "core/demo/demo_workspace.h"
#include "core/features/cohort_table.h"
#include "core/model/model_bundle.h"
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

#include <cmath>

using namespace mosaic;

namespace {

const std::filesystem::path kResources = MOSAIC_SOURCE_DIR "/resources";

} // namespace

class TestPatientPage : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void worklistListsTheCohort();
    void waterfallMatchesTheEngine_data();
    void waterfallMatchesTheEngine();
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
