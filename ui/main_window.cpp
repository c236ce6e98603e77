// SPDX-License-Identifier: Apache-2.0
#include "ui/main_window.h"

#include "ui/patient_list_model.h"
#include "ui/patient_page.h"

#include <QAction>
#include <QApplication>
#include <QFileDialog>
#include <QFutureWatcher>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressDialog>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent>

namespace mosaic {

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
{
    setWindowTitle(tr("Mosaic"));

    m_patients = new PatientListModel(this);
    m_filter = new QSortFilterProxyModel(this);
    m_filter->setSourceModel(m_patients);
    m_filter->setSortRole(PatientListModel::SortRole);
    m_filter->setFilterKeyColumn(PatientListModel::PatientColumn);
    m_filter->setFilterCaseSensitivity(Qt::CaseInsensitive);

    m_search = new QLineEdit(this);
    m_search->setPlaceholderText(tr("Find patient"));
    m_search->setClearButtonEnabled(true);
    connect(m_search, &QLineEdit::textChanged, m_filter, &QSortFilterProxyModel::setFilterFixedString);

    m_worklist = new QTableView(this);
    m_worklist->setObjectName(QStringLiteral("worklist"));
    m_worklist->setModel(m_filter);
    m_worklist->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_worklist->setSelectionMode(QAbstractItemView::SingleSelection);
    m_worklist->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_worklist->setSortingEnabled(true);
    m_worklist->sortByColumn(PatientListModel::PatientColumn, Qt::AscendingOrder);
    m_worklist->verticalHeader()->hide();
    m_worklist->horizontalHeader()->setStretchLastSection(true);
    m_worklist->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    connect(m_worklist->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        [this] { showSelectedPatient(); });

    auto *worklistPane = new QWidget(this);
    auto *worklistLayout = new QVBoxLayout(worklistPane);
    worklistLayout->setContentsMargins(0, 0, 0, 0);
    worklistLayout->addWidget(m_search);
    worklistLayout->addWidget(m_worklist);

    m_patientPage = new PatientPage(this);

    auto *splitter = new QSplitter(this);
    splitter->addWidget(worklistPane);
    splitter->addWidget(m_patientPage);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 4);
    splitter->setSizes({ 330, 1070 });
    setCentralWidget(splitter);

    createMenus();
    resize(1400, 900);
}

MainWindow::~MainWindow() = default;

void MainWindow::createMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *open = file->addAction(tr("&Open Workspace..."), this, &MainWindow::chooseWorkspace);
    open->setShortcut(QKeySequence::Open);
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), qApp, &QApplication::quit);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Mosaic"), this, [this] {
        QMessageBox::about(this, tr("About Mosaic"),
            tr("<p><b>Mosaic</b> %1</p><p>Clinical decision support for personalized medicine: "
               "interpretable, validated models over images, genotype and records.</p>"
               "<p>For research use. Mosaic is not a certified medical device; its predictions "
               "support, and never replace, a clinician's judgement.</p>")
                .arg(QApplication::applicationVersion()));
    });
}

void MainWindow::chooseWorkspace()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Workspace"), QString(), tr("Mosaic workspaces (*.sqlite);;All files (*)"));
    if (!path.isEmpty())
        openWorkspace(path.toStdString());
}

void MainWindow::showError(const QString &what, const Error &error)
{
    // Error details name files and places, never patients, so they may be shown as they are.
    m_patientPage->showMessage(what + QStringLiteral("\n") + QString::fromStdString(error.message()));
    statusBar()->showMessage(what);
}

bool MainWindow::openWorkspace(const std::filesystem::path &path)
{
    auto workspace = Workspace::open(path);
    if (!workspace) {
        showError(tr("The workspace could not be opened."), workspace.error());
        return false;
    }
    auto patients = workspace->patients();
    if (!patients) {
        showError(tr("The workspace's patients could not be read."), patients.error());
        return false;
    }

    std::optional<RiskModel> model;
    if (auto stored = workspace->latestModel()) {
        // Only bundles signed by a key this workspace trusts (its own, for models trained here).
        auto trusted = workspace->trustedKeys();
        auto bundle = trusted ? ModelBundle::fromJson(stored->bundleJson, stored->name, *trusted)
                              : std::unexpected(trusted.error());
        auto loaded = bundle ? RiskModel::fromBundle(std::move(*bundle)) : std::unexpected(bundle.error());
        if (!loaded) {
            showError(tr("The workspace's model failed its checks and is not used."), loaded.error());
        } else {
            model.emplace(std::move(*loaded));
        }
    } else if (stored.error().code != ErrorCode::NotFound) {
        showError(tr("The workspace's model could not be read."), stored.error());
    }

    std::vector<WorklistEntry> entries;
    entries.reserve(patients->size());
    for (const auto &patient : *patients) {
        WorklistEntry entry { patient.id, QString::fromStdString(patient.externalId),
            QString::fromStdString(patient.source), std::nullopt };
        if (auto predictions = workspace->predictions(patient.id); predictions && !predictions->empty())
            entry.probability = predictions->back().probability;
        entries.push_back(std::move(entry));
    }

    m_patientPage->setRiskModel(nullptr);
    m_model = std::move(model);
    m_workspace = std::move(*workspace);
    m_patients->setEntries(std::move(entries));
    m_patientPage->setRiskModel(m_model ? &*m_model : nullptr);
    m_patientPage->showMessage(m_patients->rowCount() > 0 ? tr("Select a patient in the worklist.")
                                                          : tr("This workspace has no patients yet."));
    setWindowTitle(tr("Mosaic - %1").arg(QString::fromStdString(path.filename().string())));
    statusBar()->showMessage(tr("%n patient(s) in %1", nullptr, m_patients->rowCount())
                                 .arg(QString::fromStdString(path.string())));
    emit workspaceOpened();
    return true;
}

void MainWindow::openDemoWorkspace(const std::filesystem::path &path, const DemoResources &resources)
{
    auto *progress = new QProgressDialog(
        tr("Preparing the demo workspace: cross-validating the model..."), QString(), 0, 0, this);
    progress->setWindowModality(Qt::WindowModal);
    progress->setMinimumDuration(500);

    // The worker has its own connection; the interface opens the workspace once it is built.
    auto *watcher = new QFutureWatcher<Result<void>>(this);
    connect(watcher, &QFutureWatcher<Result<void>>::finished, this, [this, watcher, progress, path] {
        progress->deleteLater();
        watcher->deleteLater();
        const Result<void> built = watcher->result();
        if (!built) {
            showError(tr("The demo workspace could not be built."), built.error());
            return;
        }
        openWorkspace(path);
    });
    watcher->setFuture(QtConcurrent::run([path, resources]() -> Result<void> {
        try {
            auto workspace = Workspace::open(path);
            if (!workspace)
                return std::unexpected(workspace.error());
            return buildHeartFailureDemo(*workspace, resources);
        } catch (const std::exception &error) {
            return fail(ErrorCode::StorageFailure, std::string("building the demo failed: ") + error.what());
        }
    }));
}

bool MainWindow::selectPatient(const QString &externalId)
{
    for (int row = 0; row < m_filter->rowCount(); ++row) {
        const QModelIndex index = m_filter->index(row, PatientListModel::PatientColumn);
        if (index.data().toString() == externalId) {
            m_worklist->selectionModel()->setCurrentIndex(
                index, QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
            m_worklist->scrollTo(index);
            return true;
        }
    }
    return false;
}

void MainWindow::showSelectedPatient()
{
    const QModelIndex current = m_worklist->selectionModel()->currentIndex();
    if (!current.isValid() || !m_workspace) {
        m_patientPage->showMessage(tr("Select a patient in the worklist."));
        return;
    }
    const auto patientId = current.data(PatientListModel::PatientIdRole).toLongLong();
    m_patientPage->showPatient(*m_workspace, patientId);
}

} // namespace mosaic
