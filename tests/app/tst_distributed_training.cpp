// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli train --workers 2`: the real heart-failure table split by rows into two "hospitals",
// python3-xgboost's Rabit tracker on loopback (tests/app/rabit_tracker.py), two mosaic-cli workers
// each reading only its half. The model must predict every row as single-process `mosaic-cli train`
// on the concatenated rows does, and as python3-xgboost's xgboost.train on the pooled rows does
// (tests/app/xgboost_pooled_peer.py): same hist method, seed, 300 rounds, subsample and column
// sampling 1, so nothing random differs between them.
//
// Tolerance 1e-5 on each probability. The two trainings see the same quantile cuts (every feature
// here has fewer distinct values than the 256 bins, so the merged sketches of the halves cut where
// the whole table's sketch does) and the same gradients; only the order in which the histogram sums
// are added differs (per worker, then all-reduced), in double precision. Leaf values are stored as
// float32 (relative precision 6e-8) and a margin sums 300 of them (|leaf| <= 0.03 * 0.5 / hessian
// bound, a margin of a few units): at most 300 * 6e-8 * |margin| ~ 1e-4 in the worst case of every
// rounding in one direction, in practice far less, and the probability moves by at most a quarter
// of the margin. Measured here: the distributed and pooled models agree to the last bit (0.0).
#include "core/features/cohort_table.h"
#include "core/model/booster.h"
#include "core/model/bundle_signature.h"
#include "core/model/model_bundle.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

const QString kCli = QStringLiteral(MOSAIC_CLI_PATH);
const QString kPython = QStringLiteral("/usr/bin/python3");
const QString kTrackerScript = QStringLiteral(MOSAIC_SOURCE_DIR "/tests/app/rabit_tracker.py");
const QString kPeerScript = QStringLiteral(MOSAIC_SOURCE_DIR "/tests/app/xgboost_pooled_peer.py");
const QString kHeartFailure = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/clinical/heart_failure_S1Data.csv");
constexpr int kSeed = 20261130;
constexpr int kRounds = 300;
constexpr double kTolerance = 1e-5;

// Every process the test starts, killed when it ends however it ends: a failed or timed-out check
// must not leave a tracker or worker behind holding a port.
class Processes
{
public:
    ~Processes()
    {
        for (auto &process : m_processes)
            if (process->state() != QProcess::NotRunning) {
                process->kill();
                process->waitForFinished(5000);
            }
    }
    QProcess &start(const QString &program, const QStringList &arguments)
    {
        m_processes.push_back(std::make_unique<QProcess>());
        QProcess &process = *m_processes.back();
        process.start(program, arguments);
        return process;
    }

private:
    std::vector<std::unique_ptr<QProcess>> m_processes;
};

// The tracker's port, read from its DMLC_TRACKER_PORT line; 0 when it did not start within a minute.
int startTracker(Processes &processes, int workers)
{
    QProcess &tracker = processes.start(
        kPython, { kTrackerScript, "--workers", QString::number(workers), "--host", "127.0.0.1" });
    QByteArray out;
    QDeadlineTimer deadline(60000);
    while (!out.contains("DMLC_TRACKER_ENV_END") && !deadline.hasExpired()) {
        if (tracker.state() == QProcess::NotRunning)
            return 0;
        tracker.waitForReadyRead(1000);
        out += tracker.readAllStandardOutput();
    }
    for (const QByteArray &line : out.split('\n'))
        if (line.startsWith("DMLC_TRACKER_PORT="))
            return line.mid(18).trimmed().toInt();
    return 0;
}

// Every bundle `train` writes is signed: one secret key for the suite, made in initTestCase.
QString gSigningKey;

QStringList trainArguments(const QString &table, const QString &out)
{
    return { "train", "--table", table, "--label", "Event", "--ignore", "TIME", "--out", out, "--seed",
        QString::number(kSeed), "--rounds", QString::number(kRounds), "--subsample", "1", "--column-sample",
        "1", "--sign-with", gSigningKey };
}

QStringList workerArguments(const QString &table, const QString &out, int port, const QString &task)
{
    return trainArguments(table, out)
        + QStringList { "--workers", "2", "--tracker", "127.0.0.1:" + QString::number(port), "--task-id",
              task, "--join-timeout", "120" };
}

struct Finished
{
    int exitCode = -1; // -1: crashed or did not finish in time
    QByteArray out;
    QByteArray err;
};

Finished finish(QProcess &process, int milliseconds)
{
    Finished result;
    if (process.waitForFinished(milliseconds) && process.exitStatus() == QProcess::NormalExit)
        result.exitCode = process.exitCode();
    result.out = process.readAllStandardOutput();
    result.err = process.readAllStandardError();
    return result;
}

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read a test file");
    return file.readAll();
}

void writeAll(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write a test file");
    file.write(bytes);
}

// P(Event = 1) for every row of `table` from the XGBoost model inside a bundle, read straight from
// the bundle's JSON so the comparison does not depend on how bundles are verified.
std::vector<float> bundleProbabilities(const QString &bundlePath, const mosaic::CohortTable &table)
{
    const QJsonObject content = QJsonDocument::fromJson(readAll(bundlePath)).object()["content"].toObject();
    const QByteArray model = content["xgboost_model"].toString().toUtf8();
    auto booster = mosaic::Booster::load(std::string_view(model.constData(), model.size()));
    if (!booster)
        qFatal("cannot load the bundle's model: %s", booster.error().message().c_str());
    auto data = mosaic::DMatrix::fromDense(table.features, {}, table.featureColumns);
    if (!data)
        qFatal("cannot build the matrix");
    auto probabilities = booster->predictProbabilities(*data);
    if (!probabilities)
        qFatal("cannot predict: %s", probabilities.error().message().c_str());
    return { probabilities->data(), probabilities->data() + probabilities->size() };
}

} // namespace

class TestDistributedTraining : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_full; // the real table
    QString m_firstHalf; // rows 1..150
    QString m_secondHalf; // rows 151..299
    int m_positivesFirst = 0;
    int m_positivesSecond = 0;

    QString path(const QString &name) const { return m_dir.filePath(name); }

private slots:
    void initTestCase()
    {
        QProcess probe;
        probe.start(kPython, { "-c", "import xgboost.tracker" });
        if (!probe.waitForFinished(60000) || probe.exitStatus() != QProcess::NormalExit
            || probe.exitCode() != 0)
            QSKIP("python3-xgboost is not installed: /usr/bin/python3 cannot import xgboost.tracker");
        QVERIFY(m_dir.isValid());
        gSigningKey = path("suite.key");
        QProcess keys;
        keys.start(
            kCli, { "keys", "generate", "--secret-key", gSigningKey, "--public-key", path("suite.pub") });
        QVERIFY(keys.waitForFinished(60000) && keys.exitCode() == 0);

        // Two hospitals by rows: the first 150 patients and the other 149, each with the header.
        const QList<QByteArray> lines = readAll(kHeartFailure).trimmed().split('\n');
        QCOMPARE(lines.size(), 300); // header + 299 patients
        const QList<QByteArray> header = lines.front().trimmed().split(',');
        const qsizetype eventColumn = header.indexOf("Event");
        QVERIFY(eventColumn >= 0);
        QByteArray first = lines.front() + '\n';
        QByteArray second = first;
        QByteArray full = first;
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const bool isFirst = i <= 150;
            (isFirst ? first : second) += lines[i] + '\n';
            full += lines[i] + '\n';
            if (lines[i].trimmed().split(',').at(eventColumn) == "1")
                ++(isFirst ? m_positivesFirst : m_positivesSecond);
        }
        QCOMPARE(m_positivesFirst + m_positivesSecond, 96); // deaths in the data set's README
        m_full = path("heart_failure_all.csv");
        m_firstHalf = path("hospital_a.csv");
        m_secondHalf = path("hospital_b.csv");
        writeAll(m_full, full);
        writeAll(m_firstHalf, first);
        writeAll(m_secondHalf, second);
    }

    void twoWorkersTrainTheModelOfThePooledRows()
    {
        Processes processes;
        const int port = startTracker(processes, 2);
        QVERIFY2(port > 0, "the Rabit tracker did not start");

        const QString bundle = path("distributed.bundle");
        const QString unused = path("not_rank_0.bundle");
        QProcess &siteA = processes.start(kCli, workerArguments(m_firstHalf, bundle, port, "site-a"));
        QProcess &siteB = processes.start(kCli, workerArguments(m_secondHalf, unused, port, "site-b"));
        const Finished a = finish(siteA, 240000);
        const Finished b = finish(siteB, 240000);
        QVERIFY2(a.exitCode == 0, a.err.constData());
        QVERIFY2(b.exitCode == 0, b.err.constData());

        // Ranks follow the task ids (the tracker sorts them), so site-a is rank 0 and writes the bundle.
        const QJsonObject reportA = QJsonDocument::fromJson(a.out).object();
        const QJsonObject reportB = QJsonDocument::fromJson(b.out).object();
        QCOMPARE(reportA["rank"].toInt(), 0);
        QCOMPARE(reportB["rank"].toInt(), 1);
        QCOMPARE(reportA["workers"].toInt(), 2);
        QCOMPARE(reportA["bundle"].toString(), bundle);
        QVERIFY(reportB["bundle"].isNull());
        QVERIFY(QFile::exists(bundle));
        QVERIFY(!QFile::exists(unused));

        // Each site's rows, positives (counted above from the CSV) and file hash (Qt's SHA-256).
        const QJsonArray sites = reportA["sites"].toArray();
        QCOMPARE(sites.size(), 2);
        QCOMPARE(reportB["sites"].toArray(), sites);
        const QString tables[] = { m_firstHalf, m_secondHalf };
        const int positives[] = { m_positivesFirst, m_positivesSecond };
        const int rows[] = { 150, 149 };
        for (int i = 0; i < 2; ++i) {
            const QJsonObject site = sites[i].toObject();
            QCOMPARE(site["task_id"].toString(), i == 0 ? QString("site-a") : QString("site-b"));
            QCOMPARE(site["rows"].toInt(), rows[i]);
            QCOMPARE(site["positives"].toInt(), positives[i]);
            QCOMPARE(site["table_sha256"].toString(),
                QString(QCryptographicHash::hash(readAll(tables[i]), QCryptographicHash::Sha256).toHex()));
        }
        // Each site's data hash is the one a single-site bundle of that table records.
        const QString siteABundle = path("site_a_alone.bundle");
        QProcess &aloneA = processes.start(kCli,
            trainArguments(m_firstHalf, siteABundle) + QStringList { "--folds", "2", "--repeats", "1" });
        const Finished trainedA = finish(aloneA, 240000);
        QVERIFY2(trainedA.exitCode == 0, trainedA.err.constData());
        const QJsonObject siteAContent
            = QJsonDocument::fromJson(readAll(siteABundle)).object()["content"].toObject();
        QCOMPARE(sites[0].toObject()["data_sha256"].toString(),
            siteAContent["training"].toObject()["data_sha256"].toString());
        QCOMPARE(sites[0].toObject()["data_sha256"].toString().size(), 64);
        QCOMPARE(reportA["pooled"].toObject()["cases"].toInt(), 299);
        QCOMPARE(reportA["pooled"].toObject()["positives"].toInt(), 96);

        // The bundle says plainly that nothing was cross-validated.
        const QJsonObject content = QJsonDocument::fromJson(readAll(bundle)).object()["content"].toObject();
        const QString protocol = content["validation"].toObject()["protocol"].toString();
        QVERIFY2(protocol.startsWith("no cross-validation: distributed training over 2 sites"),
            qPrintable(protocol));
        QVERIFY(protocol.contains("apparent"));
        QCOMPARE(content["training"].toObject()["cases"].toInt(), 299);
        QCOMPARE(content["training"].toObject()["positives"].toInt(), 96);

        // The bundle passes every check a single-site bundle does (hash, signature by the suite's key,
        // fields, the trees against the schema) and its report reads back.
        auto publicKey = mosaic::readPublicKeyFile(path("suite.pub").toStdString());
        QVERIFY(publicKey.has_value());
        mosaic::TrustedKeys trusted;
        QVERIFY(trusted.add("suite", *publicKey).has_value());
        auto verified = mosaic::ModelBundle::readFile(bundle.toStdString(), trusted);
        QVERIFY2(verified.has_value(), verified ? "" : verified.error().message().c_str());
        QVERIFY(verified->validation.has_value());
        QCOMPARE(QString::fromStdString(verified->validation->protocol), protocol);
        QCOMPARE(verified->validation->folds, 0);

        // Single-process training on the concatenated rows, same parameters.
        const QString single = path("single.bundle");
        QProcess &alone = processes.start(
            kCli, trainArguments(m_full, single) + QStringList { "--folds", "2", "--repeats", "1" });
        const Finished s = finish(alone, 240000);
        QVERIFY2(s.exitCode == 0, s.err.constData());

        mosaic::CohortTableOptions options;
        options.labelColumn = "Event";
        options.ignoredColumns = { "TIME" };
        auto table = mosaic::readCohortTable(m_full.toStdString(), options);
        QVERIFY(table.has_value());
        QCOMPARE(table->rows(), std::size_t { 299 });
        const std::vector<float> distributed = bundleProbabilities(bundle, *table);
        const std::vector<float> pooled = bundleProbabilities(single, *table);

        // The peer: python3-xgboost on the pooled rows in one process.
        QProcess &python = processes.start(kPython,
            { kPeerScript, m_full, "Event", "TIME", QString::number(kSeed), QString::number(kRounds) });
        const Finished p = finish(python, 240000);
        QVERIFY2(p.exitCode == 0, p.err.constData());
        const QJsonObject peer = QJsonDocument::fromJson(p.out).object();
        QStringList columns;
        for (const auto &column : table->featureColumns)
            columns << QString::fromStdString(column);
        QCOMPARE(peer["columns"].toVariant().toStringList(), columns);
        const QJsonArray peerProbabilities = peer["probabilities"].toArray();
        QCOMPARE(peerProbabilities.size(), qsizetype { 299 });

        double largestVsSingle = 0.0;
        double largestVsPeer = 0.0;
        double spread = 0.0; // the predictions must differ between patients, or equality proves nothing
        for (std::size_t row = 0; row < distributed.size(); ++row) {
            largestVsSingle = std::max(largestVsSingle, std::abs(double(distributed[row]) - pooled[row]));
            largestVsPeer = std::max(largestVsPeer,
                std::abs(double(distributed[row]) - peerProbabilities[qsizetype(row)].toDouble(kNotANumber)));
            spread = std::max(spread, std::abs(double(distributed[row]) - distributed.front()));
        }
        qInfo("largest difference: %.3g from single-process mosaic-cli, %.3g from python xgboost.train",
            largestVsSingle, largestVsPeer);
        QVERIFY(spread > 0.3);
        QVERIFY2(largestVsSingle <= kTolerance, qPrintable(QString::number(largestVsSingle)));
        QVERIFY2(largestVsPeer <= kTolerance, qPrintable(QString::number(largestVsPeer)));
    }

    void workersThatDisagreeBothStop()
    {
        // Site b trains deeper trees than site a: the job refuses rather than mixing two models.
        Processes processes;
        const int port = startTracker(processes, 2);
        QVERIFY(port > 0);
        QProcess &siteA
            = processes.start(kCli, workerArguments(m_firstHalf, path("a.bundle"), port, "site-a"));
        QProcess &siteB = processes.start(kCli,
            workerArguments(m_secondHalf, path("b.bundle"), port, "site-b")
                + QStringList { "--max-depth", "4" });
        const Finished a = finish(siteA, 120000);
        const Finished b = finish(siteB, 120000);
        QCOMPARE(a.exitCode, 1);
        QCOMPARE(b.exitCode, 1);
        QVERIFY2(a.err.contains("another worker's features, label or training parameters differ"),
            a.err.constData());
        QVERIFY2(
            b.err.contains("this worker's features, label or training parameters differ"), b.err.constData());
        QVERIFY(!QFile::exists(path("a.bundle")));
    }

    void aWorkerAloneGivesUpAtItsJoinTimeout()
    {
        // The tracker waits for two workers; only one comes. It must stop at its timeout, not hang.
        Processes processes;
        const int port = startTracker(processes, 2);
        QVERIFY(port > 0);
        QStringList arguments = workerArguments(m_firstHalf, path("alone.bundle"), port, "site-a");
        arguments[arguments.indexOf("--join-timeout") + 1] = "3";
        QElapsedTimer clock;
        clock.start();
        QProcess &worker = processes.start(kCli, arguments);
        const Finished alone = finish(worker, 60000);
        QCOMPARE(alone.exitCode, 1);
        QVERIFY2(alone.err.contains("did not start within 3 s"), alone.err.constData());
        QVERIFY(clock.elapsed() < 30000);
    }

    void aWorkerFailsWhenNoTrackerListens()
    {
        // Nothing listens on 127.0.0.1:1: Rabit retries (2, 4, 6, 8 s apart), then the worker stops with
        // XGBoost's message, well before its join timeout.
        Processes processes;
        QStringList arguments = workerArguments(m_firstHalf, path("unreached.bundle"), 1, "site-a");
        QElapsedTimer clock;
        clock.start();
        QProcess &worker = processes.start(kCli, arguments);
        const Finished run = finish(worker, 100000);
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("mosaic-cli: XGBoost's collective could not join the job at 127.0.0.1:1"),
            run.err.constData());
        QVERIFY(clock.elapsed() < 100000);
        QVERIFY(!QFile::exists(path("unreached.bundle")));
    }

    void impossibleJobsAreUsageErrors_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("message");
        QTest::newRow("no tracker") << QStringList { "--workers", "2", "--task-id", "a" } << 1
                                    << "needs --tracker HOST:PORT";
        QTest::newRow("port not a number") << QStringList { "--workers", "2", "--task-id", "a", "--tracker",
            "h:x" } << 1 << "port is not a number";
        QTest::newRow("port out of range") << QStringList { "--workers", "2", "--task-id", "a", "--tracker",
            "127.0.0.1:70000" } << 1 << "port";
        QTest::newRow("task id with '='") << QStringList { "--workers", "2", "--task-id", "a=b", "--tracker",
            "127.0.0.1:9091" } << 1 << "task id must be";
        QTest::newRow("no workers") << QStringList { "--workers", "0" } << 2 << "--workers";
    }

    void impossibleJobsAreUsageErrors()
    {
        QFETCH(QStringList, extra);
        QFETCH(int, exitCode);
        QFETCH(QString, message);
        Processes processes;
        QProcess &worker = processes.start(kCli, trainArguments(m_firstHalf, path("never.bundle")) + extra);
        const Finished run = finish(worker, 60000);
        QCOMPARE(run.exitCode, exitCode);
        QVERIFY2(run.err.contains(message.toUtf8()), run.err.constData());
        QVERIFY(!QFile::exists(path("never.bundle")));
    }
};

QTEST_APPLESS_MAIN(TestDistributedTraining)
#include "tst_distributed_training.moc"
