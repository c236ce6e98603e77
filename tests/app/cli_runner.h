// SPDX-License-Identifier: Apache-2.0
// Running mosaic-cli as a script would, through the process boundary, for the CLI suites.
#pragma once

#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace mosaic::testing {

struct Run
{
    int exitCode = -1; // -1: crashed or timed out
    QByteArray out;
    QByteArray err;
};

inline Run runCli(const QStringList &arguments)
{
    QProcess process;
    process.start(QStringLiteral(MOSAIC_CLI_PATH), arguments);
    Run run;
    if (!process.waitForFinished(300000))
        return run;
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

inline void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write a test file");
    file.write(bytes);
}

} // namespace mosaic::testing
