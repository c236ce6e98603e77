// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli records` and `mosaic-cli inspect` on clinical records, against Python's json module
// reading the same files (tests/core/records/fhir_peer_counts.py) and hand-written refusals.
#include "core/records/record_features.h"
#include "core/records/ucum_units.h"
#include "core/store/workspace.h"

#include <QDir>
#include <QFile>
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

    void derivesRecordFeaturesAsPythonReadsTheBundle()
    {
        // The first bundle with chronic heart failure (SNOMED 88805009), at 1998-11-01 with the shipped
        // specification. Python picks the latest value of each lab in the 365 days before, by its
        // effective time and, between equal times, the later in the bundle (as the specification
        // documents; this bundle has two ejection fractions at one time); Mosaic must print the same
        // values and resource ids.
        QString bundle;
        for (const QString &name : QDir(kSynthea).entryList({ "*.json" }, QDir::Files, QDir::Name)) {
            QFile file(kSynthea + "/" + name);
            QVERIFY(file.open(QIODevice::ReadOnly));
            if (file.readAll().contains("\"88805009\"")) {
                bundle = file.fileName();
                break;
            }
        }
        QVERIFY(!bundle.isEmpty());
        QProcess python;
        python.start("/usr/bin/python3",
            { "-c",
                "import json,sys,datetime as d\n"
                "b=json.load(open(sys.argv[1]))\n"
                "index=d.datetime(1998,11,1,tzinfo=d.timezone.utc)\n"
                "out={}\n"
                "for name,codes in "
                "[('ejection_fraction',['10230-1']),('serum_creatinine',['38483-4','2160-0']),"
                "('serum_sodium',['2947-0','2951-2']),('nt_probnp',['33762-6'])]:\n"
                "  rows=[]\n"
                "  for n,e in enumerate(b['entry']):\n"
                "    r=e['resource']\n"
                "    if r['resourceType']!='Observation' or r['code']['coding'][0]['code'] not in codes: "
                "continue\n"
                "    t=d.datetime.fromisoformat(r['effectiveDateTime'])\n"
                "    if index-d.timedelta(days=365)<=t<=index: "
                "rows.append((t,n,r['valueQuantity']['value'],r['id']))\n"
                "  if rows: t,n,v,i=max(rows); out[name]=[v,'Observation/'+i]\n"
                "print(json.dumps(out))",
                bundle });
        QVERIFY(python.waitForFinished(60000));
        QCOMPARE(python.exitCode(), 0);
        const QJsonObject expected = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
        QCOMPARE(expected.size(), 4);

        QTemporaryDir directory;
        const QString workspace = directory.filePath("cases.db");
        const auto run = runCli({ "record-features", "--fhir", bundle, "--index-date", "1998-11-01",
            "--format", "json", "--workspace", workspace, "--patient", "case-7" });
        QCOMPARE(run.exitCode, 0);
        const QJsonArray rows = QJsonDocument::fromJson(run.out).array();
        QCOMPARE(rows.size(), 11);
        int compared = 0;
        for (const QJsonValue value : rows) {
            const QJsonObject row = value.toObject();
            if (!expected.contains(row["name"].toString()))
                continue;
            ++compared;
            const QJsonArray truth = expected[row["name"].toString()].toArray();
            // The specification asks for the unit the bundle records (mg/dL, mmol/L, %, pg/mL).
            QVERIFY2(row["value"].isDouble() && truth[0].isDouble(), qPrintable(row["name"].toString()));
            QCOMPARE(row["value"].toDouble(), truth[0].toDouble());
            QCOMPARE(row["source"].toString(), truth[1].toString());
        }
        QCOMPARE(compared, expected.size()); // every lab Python found is printed
        // Stored with their units: the workspace gives back the same values.
        auto opened = mosaic::Workspace::open(workspace.toStdString());
        QVERIFY(opened.has_value());
        const auto patients = opened->patients();
        QVERIFY(patients.has_value());
        QCOMPARE(patients->size(), std::size_t { 1 });
        QCOMPARE(patients->front().externalId, std::string("case-7"));
        const auto units
            = mosaic::records::UcumUnits::load(MOSAIC_SOURCE_DIR "/resources/ucum/ucum-essence.xml");
        QVERIFY(units.has_value());
        const auto spec = mosaic::records::RecordFeatureSpec::readFile(
            MOSAIC_SOURCE_DIR "/resources/records/heart_failure_record_features.json", *units);
        QVERIFY(spec.has_value());
        const auto stored = opened->features(patients->front().id, spec->schema());
        QVERIFY(stored.has_value());
        for (qsizetype i = 0; i < rows.size(); ++i) {
            const QJsonObject row = rows[i].toObject();
            QCOMPARE(QString::fromStdString(stored->schema().definitions()[i].unit), row["unit"].toString());
            if (row["value"].isNull())
                QVERIFY(stored->isMissing(i));
            else if (row["value"].isDouble())
                QCOMPARE(stored->value(i), row["value"].toDouble());
            else
                QFAIL("a printed value is neither a number nor null");
            QCOMPARE(QString::fromStdString(stored->provenance(i).source), row["source"].toString());
        }
    }

    void refusesAnAmbiguousRecordFeatureRequest()
    {
        // fhirpath's example bundle holds three patients: which one must be said.
        const auto run = runCli({ "record-features", "--fhir",
            QStringLiteral(MOSAIC_SHARED_DATA_DIR "/records/hl7-examples/patient-bundle.json"),
            "--index-date", "2020-01-01" });
        QCOMPARE(run.exitCode, 1);
        QCOMPARE(run.err,
            QByteArray(
                "mosaic-cli: patient-bundle.json: the file holds 3 patients; name one with --subject\n"));
        const auto badDate
            = runCli({ "record-features", "--fhir", lastSyntheaBundle(), "--index-date", "1 Nov 1998" });
        QCOMPARE(badDate.exitCode, 1);
        QVERIFY(badDate.err.contains("--index-date is not a date"));
    }

    void leavesOtherJsonToTheOtherModalities()
    {
        // A JSON object without a resourceType (radiomics settings, a model bundle) is not claimed as
        // FHIR; `records` still reads it as FHIR when told to, and says why it cannot.
        QTemporaryDir directory;
        const QString path = directory.filePath("settings.json");
        writeFile(path, "{\"binWidth\": 25}");
        const auto inspected = runCli({ "inspect", path });
        QCOMPARE(inspected.exitCode, 1);
        QVERIFY(!inspected.err.contains("resourceType"));
        const auto records = runCli({ "records", "--fhir", path });
        QCOMPARE(records.exitCode, 1);
        QCOMPARE(records.err,
            QByteArray("mosaic-cli: settings.json, resource: resourceType is missing or not a string\n"));
    }

    void findsTheDocumentedHeartFailurePhenogroups()
    {
        // The command of docs/validation.md, "Heart failure: phenogroups"; tst_phenogroups checks the
        // same analysis against scikit-learn and statsmodels. Here: the command line gives those
        // figures, and places a new cardiorenal patient (creatinine 3.1 mg/dL, sodium 130) in group 2.
        const auto run = runCli({ "phenogroups", "--table",
            QStringLiteral(MOSAIC_SHARED_DATA_DIR "/clinical/heart_failure_S1Data.csv"), "--columns",
            "Age,Ejection.Fraction,Sodium,Creatinine,Pletelets,CPK", "--log", "Creatinine,Pletelets,CPK",
            "--binary", "Gender,Smoking,Diabetes,BP,Anaemia", "--time", "TIME", "--event", "Event",
            "--covariance", "diag", "--regularisation", "0.05", "--restarts", "20", "--max-groups", "6",
            "--survival-at", "90,180", "--patient",
            "Age=70,Ejection.Fraction=30,Sodium=130,Creatinine=3.1,Pletelets=200000,CPK=300" });
        QCOMPARE(run.exitCode, 0);
        const QJsonObject result = QJsonDocument::fromJson(run.out).object();
        QCOMPARE(result["chosen_groups"].toInt(), 2);
        QCOMPARE(result["events"].toInt(), 96);
        const QJsonArray groups = result["groups"].toArray();
        QCOMPARE(groups.size(), 2);
        QCOMPARE(groups[0].toObject()["patients"].toInt(), 248);
        QCOMPARE(groups[1].toObject()["patients"].toInt(), 51);
        QCOMPARE(groups[1].toObject()["events"].toInt(), 32);
        const QJsonObject hazard = groups[1].toObject()["hazard_ratio"].toObject();
        QVERIFY(hazard["hazard_ratio"].isDouble());
        QCOMPARE(hazard["ci95"].toArray().size(), 2);
        QVERIFY(hazard["ci95"].toArray()[0].isDouble() && hazard["ci95"].toArray()[1].isDouble());
        QCOMPARE(qRound(hazard["hazard_ratio"].toDouble() * 100), 320);
        QCOMPARE(qRound(hazard["ci95"].toArray()[0].toDouble() * 100), 209);
        QCOMPARE(qRound(hazard["ci95"].toArray()[1].toDouble() * 100), 491);
        const QJsonObject patient = result["patient"].toObject();
        QCOMPARE(patient["group"].toInt(), 2);
        const QJsonValue posterior = patient["posteriors"].toArray()[1].toObject()["probability"];
        QVERIFY(posterior.isDouble());
        QVERIFY(posterior.toDouble() > 0.99);
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
