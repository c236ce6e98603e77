// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli records` and `mosaic-cli inspect` on clinical records, against Python's json module
// reading the same files (tests/core/records/fhir_peer_counts.py) and hand-written refusals.
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "cli_runner.h"

using mosaic::testing::runCli;
using mosaic::testing::writeFile;

namespace {

const QString kSynthea = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/records/synthea");
const QString kPeerScript = QStringLiteral(MOSAIC_SOURCE_DIR "/tests/core/records/fhir_peer_counts.py");

QJsonObject peerCounts(const QString &path)
{
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"), { kPeerScript, path });
    if (!python.waitForFinished(60000) || python.exitCode() != 0)
        qFatal("fhir_peer_counts.py failed");
    return QJsonDocument::fromJson(python.readAllStandardOutput()).object()[path].toObject();
}

QString lastSyntheaBundle()
{
    // Any bundle will do; take the alphabetically last so the test does not repeat the core test's.
    const QStringList names = QDir(kSynthea).entryList({ "*.json" }, QDir::Files, QDir::Name);
    return kSynthea + "/" + names.back();
}

} // namespace

class TestCliRecords : public QObject
{
    Q_OBJECT

private slots:
    void summarisesABundleAsPythonCountsIt()
    {
        const QString bundle = lastSyntheaBundle();
        const auto run = runCli({ "records", "--fhir", bundle });
        QCOMPARE(run.exitCode, 0);
        const QJsonObject summary = QJsonDocument::fromJson(run.out).object();
        const QJsonObject peer = peerCounts(bundle);
        QCOMPARE(summary["format"].toString(), QString("bundle"));
        QCOMPARE(summary["bundleType"].toString(), QString("transaction"));
        QCOMPARE(summary["patients"].toInt(), 1);
        QCOMPARE(summary["resourcesByType"].toObject(), peer["types"].toObject());
        // Observations by LOINC code: the printed list holds each code once, components included;
        // the peer counts observations and components separately.
        const QJsonObject loinc = peer["loincCounts"].toObject();
        const QJsonObject components = peer["componentCounts"].toObject();
        int listed = 0;
        for (const QJsonValue value : summary["observationsByCode"].toArray()) {
            const QJsonObject code = value.toObject();
            QCOMPARE(code["system"].toString(), QString("http://loinc.org"));
            const QString key = code["code"].toString();
            QCOMPARE(code["count"].toInt(), loinc[key].toInt() + components[key].toInt());
            ++listed;
        }
        QStringList codes = loinc.keys() + components.keys();
        codes.removeDuplicates();
        QCOMPARE(listed, codes.size());
    }

    void inspectNamesFhirAndCsvRecords()
    {
        const auto fhir = runCli({ "inspect", lastSyntheaBundle(), "--format", "csv" });
        QCOMPARE(fhir.exitCode, 0);
        QVERIFY(fhir.out.contains("kind,fhir-bundle\n"));
        QVERIFY(fhir.out.contains("bundle type,transaction\n"));

        QTemporaryDir directory;
        const QString csv = directory.filePath("labs.csv");
        // Two patients, three facts: 1.2 and 1.4 mg/dL creatinine for one, a condition for the other.
        writeFile(csv,
            "patient,time,system,code,value,unit,kind\n"
            "p1,2020-01-01,LOINC,2160-0,1.2,mg/dL,observation\n"
            "p1,2020-06-01,LOINC,2160-0,1.4,mg/dL,observation\n"
            "p2,2019-03-04,SNOMED,84114007,,,condition\n");
        const auto inspected = runCli({ "inspect", csv, "--format", "csv" });
        QCOMPARE(inspected.exitCode, 0);
        QVERIFY(inspected.out.contains("kind,csv-records\n"));
        QVERIFY(inspected.out.contains("patients,2\n"));
        QVERIFY(inspected.out.contains("facts: observation,2\n"));
        QVERIFY(inspected.out.contains("facts: condition,1\n"));
        const auto summary = runCli({ "records", "--csv", csv });
        QCOMPARE(summary.exitCode, 0);
        const QJsonArray codes
            = QJsonDocument::fromJson(summary.out).object()["observationsByCode"].toArray();
        QCOMPARE(codes.size(), 1);
        QCOMPARE(codes[0].toObject()["count"].toInt(), 2);
        QCOMPARE(codes[0].toObject()["units"].toArray(), QJsonArray { "mg/dL" });
    }

    void refusesABadFileByNameWithoutIdentifiers()
    {
        QTemporaryDir directory;
        const QString path = directory.filePath("export.json");
        writeFile(path, "{\"resourceType\":\"Patient\",\"id\":\"PID-12345\",\"birthDate\":\"1950-13-01\"}");
        for (const QStringList &arguments :
            { QStringList { "records", "--fhir", path }, QStringList { "inspect", path } }) {
            const auto run = runCli(arguments);
            QCOMPARE(run.exitCode, 1);
            QCOMPARE(run.err,
                QByteArray("mosaic-cli: export.json, resource (Patient): birthDate is not a FHIR date or "
                           "dateTime\n"));
        }
    }
};

QTEST_APPLESS_MAIN(TestCliRecords)
#include "tst_cli_records.moc"
