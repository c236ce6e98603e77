// SPDX-License-Identifier: Apache-2.0
// Runs tests/core/records/phenogroup_peer.py (scikit-learn and statsmodels under /usr/bin/python3)
// on a request written to a temporary file, and hands back its JSON answer, for the phenogroup
// suites. Doubles travel through Qt's JSON, which writes the shortest text that reads back exactly.
#pragma once

#include <Eigen/Core>

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

#include <optional>
#include <span>
#include <vector>

namespace mosaic::testing {

// The peer's answer; nullopt (with `why` set) when the interpreter or its libraries are missing.
inline std::optional<QJsonObject> runPhenogroupPeer(const QJsonObject &request, QString &why)
{
    QTemporaryDir directory;
    const QString path = directory.filePath(QStringLiteral("request.json"));
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        why = QStringLiteral("cannot write the peer's request");
        return std::nullopt;
    }
    file.write(QJsonDocument(request).toJson(QJsonDocument::Compact));
    file.close();
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"),
        { QStringLiteral(MOSAIC_SOURCE_DIR "/tests/core/records/phenogroup_peer.py"), path });
    if (!python.waitForFinished(600000) || python.exitStatus() != QProcess::NormalExit
        || python.exitCode() != 0) {
        why = QStringLiteral("phenogroup_peer.py failed: ")
            + QString::fromUtf8(python.readAllStandardError());
        return std::nullopt;
    }
    const QJsonDocument answer = QJsonDocument::fromJson(python.readAllStandardOutput());
    if (!answer.isObject()) {
        why = QStringLiteral("phenogroup_peer.py printed no JSON object");
        return std::nullopt;
    }
    return answer.object();
}

inline QJsonArray toJson(std::span<const double> values)
{
    QJsonArray array;
    for (double value : values)
        array.append(value);
    return array;
}

inline QJsonArray toJson(std::span<const int> values)
{
    QJsonArray array;
    for (int value : values)
        array.append(value);
    return array;
}

inline QJsonArray toJson(const Eigen::MatrixXd &matrix)
{
    QJsonArray rows;
    for (Eigen::Index row = 0; row < matrix.rows(); ++row) {
        QJsonArray values;
        for (Eigen::Index column = 0; column < matrix.cols(); ++column)
            values.append(matrix(row, column));
        rows.append(values);
    }
    return rows;
}

inline std::vector<double> doublesOf(const QJsonValue &value)
{
    std::vector<double> result;
    for (const auto &item : value.toArray())
        result.push_back(item.toDouble());
    return result;
}

inline Eigen::MatrixXd matrixOf(const QJsonValue &value)
{
    const QJsonArray rows = value.toArray();
    if (rows.isEmpty())
        return {};
    Eigen::MatrixXd matrix(rows.size(), rows.first().toArray().size());
    for (qsizetype row = 0; row < rows.size(); ++row) {
        const QJsonArray values = rows[row].toArray();
        for (qsizetype column = 0; column < values.size(); ++column)
            matrix(row, column) = values[column].toDouble();
    }
    return matrix;
}

} // namespace mosaic::testing
