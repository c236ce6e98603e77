// SPDX-License-Identifier: Apache-2.0
// mosaic: the desktop application. Parses its arguments, finds its resources, opens a workspace.
#include "core/demo/demo_workspace.h"
#include "core/process_environment.h"
#include "core/store/workspace_location.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QDir>
#include <QMessageBox>
#include <QTimer>

#include <cstdio>
#include <filesystem>

namespace {

// Installed: <prefix>/bin/mosaic with <prefix>/share/mosaic. From the build tree: the sources'
// resources/. MOSAIC_RESOURCE_DIR overrides both for unusual deployments.
std::filesystem::path resourceDirectory()
{
    if (const QByteArray overridden = qgetenv("MOSAIC_RESOURCE_DIR"); !overridden.isEmpty())
        return overridden.toStdString();
    const std::filesystem::path installed
        = QDir(QCoreApplication::applicationDirPath()).absoluteFilePath("../share/mosaic").toStdString();
    if (std::filesystem::exists(installed / "demo"))
        return installed;
    return MOSAIC_SOURCE_RESOURCE_DIR;
}

} // namespace

int main(int argc, char **argv)
{
    mosaic::ensureStartupEnvironment(argv);

    QApplication application(argc, argv);
    QApplication::setApplicationName(QStringLiteral("Mosaic"));
    QApplication::setOrganizationName(QStringLiteral("Mosaic"));
    QApplication::setApplicationVersion(QStringLiteral(MOSAIC_VERSION));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Mosaic: clinical decision support for personalized medicine"));
    parser.addHelpOption();
    parser.addVersionOption();
    QCommandLineOption demo(QStringLiteral("demo"),
        QStringLiteral("Open the demo workspace (299 real heart-failure patients), building it "
                       "on first use."));
    QCommandLineOption workspaceOption(
        QStringLiteral("workspace"), QStringLiteral("Workspace database to open."), QStringLiteral("path"));
    QCommandLineOption select(QStringLiteral("select"),
        QStringLiteral("Patient to show once the workspace is open."), QStringLiteral("id"));
    QCommandLineOption screenshot(QStringLiteral("screenshot"),
        QStringLiteral("Save a picture of the window to this PNG file, then quit."), QStringLiteral("png"));
    parser.addOptions({ demo, workspaceOption, select, screenshot });
    parser.process(application);

    std::filesystem::path workspacePath;
    if (parser.isSet(workspaceOption)) {
        workspacePath = parser.value(workspaceOption).toStdString();
    } else {
        auto dataDirectory = mosaic::defaultDataDirectory();
        if (!dataDirectory) {
            QMessageBox::critical(nullptr, QStringLiteral("Mosaic"),
                QStringLiteral("Mosaic cannot tell where to keep its data: %1\nSet MOSAIC_DATA_DIR "
                               "or start it with --workspace.")
                    .arg(QString::fromStdString(dataDirectory.error().message())));
            return 1;
        }
        workspacePath = *dataDirectory / (parser.isSet(demo) ? "demo-workspace.sqlite" : "workspace.sqlite");
    }

    mosaic::MainWindow window;
    const QString patient = parser.value(select);
    const QString picture = parser.value(screenshot);
    QObject::connect(&window, &mosaic::MainWindow::workspaceOpened, &window, [&window, patient, picture] {
        if (!patient.isEmpty() && !window.selectPatient(patient))
            std::fprintf(stderr, "mosaic: the patient to select is not in this workspace\n");
        if (!picture.isEmpty()) {
            // Let the layout and the chart settle before taking the picture.
            QTimer::singleShot(500, &window, [&window, picture] {
                const bool saved = window.grab().save(picture, "PNG");
                if (!saved)
                    std::fprintf(stderr, "mosaic: could not save the screenshot\n");
                QApplication::exit(saved ? 0 : 1);
            });
        }
    });
    window.show();
    if (parser.isSet(demo))
        window.openDemoWorkspace(workspacePath, mosaic::DemoResources::in(resourceDirectory()));
    else
        window.openWorkspace(workspacePath);
    return application.exec();
}
