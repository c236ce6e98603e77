// SPDX-License-Identifier: Apache-2.0
// Shared by tst_bootstrap_metrics and tst_decision_curve: the data (real heart-failure rows scored by
// a fixed logistic formula; a platform-independent synthetic stream), the resample file a peer reads,
// and the peer itself (tests/core/model/bootstrap_peer.py under /usr/bin/python3).
#pragma once

#include <QByteArray>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>

#include "tests/core/model/seeded_stream.h"
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

namespace bootstrap_test {

using Stream = model_test::Stream;

struct Cohort
{
    std::vector<double> probabilities;
    std::vector<int> labels;
    std::vector<std::string> sex; // heart failure only: "F" / "M"
    std::vector<double> ages; // heart failure only
};

// The 299 patients of Chicco & Jurman 2020 (resources/demo/heart_failure_S1Data.csv), death during
// follow-up (Event) against a fixed logistic score written here, not fitted:
//   logit p = -0.9 + 0.045 (age - 60) - 0.06 (EF - 38) + 0.7 ln(creatinine) - 0.04 (sodium - 137).
// EF is recorded in steps of 5 and age mostly in whole years, so there are ties.
inline Cohort heartFailure()
{
    Cohort cohort;
    QFile file(QStringLiteral(MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv"));
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return cohort;
    const QList<QByteArray> header = file.readLine().trimmed().split(',');
    const auto column = [&](const char *name) { return header.indexOf(QByteArray(name)); };
    const auto event = column("Event"), gender = column("Gender"), age = column("Age"),
               ejection = column("Ejection.Fraction"), creatinine = column("Creatinine"),
               sodium = column("Sodium");
    if (std::min({ event, gender, age, ejection, creatinine, sodium }) < 0)
        return cohort;
    while (!file.atEnd()) {
        const QList<QByteArray> cells = file.readLine().trimmed().split(',');
        if (cells.size() != header.size())
            continue;
        const double logit = -0.9 + 0.045 * (cells[age].toDouble() - 60.0)
            - 0.06 * (cells[ejection].toDouble() - 38.0) + 0.7 * std::log(cells[creatinine].toDouble())
            - 0.04 * (cells[sodium].toDouble() - 137.0);
        cohort.probabilities.push_back(1.0 / (1.0 + std::exp(-logit)));
        cohort.labels.push_back(cells[event].toInt());
        cohort.sex.push_back(cells[gender].toInt() == 1 ? "M" : "F");
        cohort.ages.push_back(cells[age].toDouble());
    }
    return cohort;
}

// `rows` scores with an event rate of `prevalence`, log-odds separated by `separation`; every third
// rounded to two decimals so that ties occur.
inline Cohort synthetic(std::uint64_t seed, int rows, double prevalence, double separation)
{
    Stream stream(seed);
    Cohort cohort;
    for (int row = 0; row < rows; ++row) {
        const int label = stream.uniform() < prevalence ? 1 : 0;
        double p = 1.0 / (1.0 + std::exp(-(stream.normal() + separation * label - 1.0)));
        if (row % 3 == 0)
            p = std::round(p * 100.0) / 100.0;
        cohort.probabilities.push_back(p);
        cohort.labels.push_back(label);
    }
    return cohort;
}

inline bool writeLines(const QString &path, const QByteArray &content)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size();
}

inline QByteArray number(double value)
{
    return QByteArray::number(value, 'g', 17);
}

// "probability,label" per line.
inline QByteArray binaryCsv(const std::vector<double> &probabilities, const std::vector<int> &labels)
{
    QByteArray out;
    for (std::size_t row = 0; row < labels.size(); ++row)
        out += number(probabilities[row]) + ',' + QByteArray::number(labels[row]) + '\n';
    return out;
}

// One resample per line, row indices separated by spaces.
inline QByteArray indicesText(const std::vector<std::vector<std::size_t>> &resamples)
{
    QByteArray out;
    for (const auto &rows : resamples) {
        for (std::size_t i = 0; i < rows.size(); ++i)
            out += (i == 0 ? "" : " ") + QByteArray::number(static_cast<qulonglong>(rows[i]));
        out += '\n';
    }
    return out;
}

// Runs the peer with `arguments` after the script; an empty object when it fails.
inline QJsonObject runPeer(const QStringList &arguments)
{
    QProcess peer;
    peer.start(QStringLiteral("/usr/bin/python3"),
        QStringList { QStringLiteral(MOSAIC_SOURCE_DIR "/tests/core/model/bootstrap_peer.py") } + arguments);
    if (!peer.waitForFinished(600000) || peer.exitStatus() != QProcess::NormalExit || peer.exitCode() != 0) {
        qWarning("peer failed: %s", peer.readAllStandardError().constData());
        return {};
    }
    return QJsonDocument::fromJson(peer.readAllStandardOutput()).object();
}

// A JSON number, or NaN for null (the peer's undefined).
inline double valueOrNaN(const QJsonValue &value)
{
    return value.isNull() ? std::numeric_limits<double>::quiet_NaN() : value.toDouble();
}

} // namespace bootstrap_test
