// SPDX-License-Identifier: Apache-2.0
// Mosaic's main window: the worklist of the open workspace on the left, the selected patient on
// the right. Opening and building a workspace runs off the interface thread.
#pragma once

#include "core/demo/demo_workspace.h"
#include "core/model/risk_model.h"
#include "core/store/workspace.h"

#include <QMainWindow>

#include <filesystem>
#include <optional>

class QLineEdit;
class QSortFilterProxyModel;
class QTableView;

namespace mosaic {

class PatientListModel;
class PatientPage;

class MainWindow : public QMainWindow
{
    Q_OBJECT

public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    // Opens the workspace at `path` (creating an empty one on first use) and lists its patients.
    bool openWorkspace(const std::filesystem::path &path);
    // Builds the demo into the workspace at `path` in the background when it is empty, then opens it.
    void openDemoWorkspace(const std::filesystem::path &path, const DemoResources &resources);

    // Selects the patient in the worklist, as a click would. False when no such patient is listed.
    bool selectPatient(const QString &externalId);

    [[nodiscard]] QTableView *worklist() const { return m_worklist; }
    [[nodiscard]] PatientPage *patientPage() const { return m_patientPage; }
    [[nodiscard]] const Workspace *workspace() const { return m_workspace ? &*m_workspace : nullptr; }

signals:
    void workspaceOpened();

private:
    void createMenus();
    void showError(const QString &what, const Error &error);
    void showSelectedPatient();
    void chooseWorkspace();

    std::optional<Workspace> m_workspace;
    std::optional<RiskModel> m_model;
    PatientListModel *m_patients = nullptr;
    QSortFilterProxyModel *m_filter = nullptr;
    QLineEdit *m_search = nullptr;
    QTableView *m_worklist = nullptr;
    PatientPage *m_patientPage = nullptr;
};

} // namespace mosaic
