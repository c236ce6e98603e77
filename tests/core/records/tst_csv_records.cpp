// SPDX-License-Identifier: Apache-2.0
// Long-format CSV records. A hand-written file (tests/data/records/hand_written.csv) checks every
// kind of row against values read off the file by hand (instants computed from days since
// 1970-01-01, the arithmetic in the comments). Malformed files are built inside the test, each with
// a patient id that must never reach the message. The independent truth for the large case is
// Python's json and csv modules (/usr/bin/python3, standard library only): the test has Python write
// a CSV from the 60 Synthea bundles (every LOINC-coded observation with a quantity or a coded value,
// and each patient's birth date) and print what it wrote; the reader must give back the same
// observations per patient, in order, with identical codes, times, values and units, and the same
// count per LOINC code. Without the shared data or the interpreter that case is skipped.
#include "core/records/csv_records.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <fstream>
#include <map>
#include <sstream>

using namespace mosaic;
using namespace mosaic::records;

namespace {

const char *kPython = "/usr/bin/python3";

std::filesystem::path handWrittenFile()
{
    return std::filesystem::path(MOSAIC_SOURCE_DIR) / "tests/data/records/hand_written.csv";
}

std::filesystem::path syntheaDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "records/synthea";
}

QString qs(const std::string &text)
{
    return QString::fromStdString(text);
}

// Writes the CSV from every bundle and prints one line per observation written:
// patient index (order of first appearance), LOINC code, time text, 'q' or 't', value, unit.
const char *kWriteCsvFromSynthea = R"PY(
import csv, glob, json, os, sys
bundles, target = sys.argv[1], sys.argv[2]
with open(target, 'w', newline='', encoding='utf-8') as f:
    out = csv.writer(f)
    out.writerow(['patient', 'time', 'system', 'code', 'display', 'value', 'unit', 'kind', 'category'])
    for index, path in enumerate(sorted(glob.glob(os.path.join(bundles, '*.json')))):
        with open(path, encoding='utf-8') as b:
            resources = [e['resource'] for e in json.load(b)['entry']]
        patient = next(r for r in resources if r['resourceType'] == 'Patient')
        out.writerow([patient['id'], patient['birthDate'], '', '', '', '', '', 'birthdate', ''])
        for r in resources:
            if r['resourceType'] != 'Observation':
                continue
            loinc = [c for c in r['code']['coding'] if c.get('system') == 'http://loinc.org']
            if not loinc:
                continue
            if 'valueQuantity' in r:
                kind, value, unit = 'q', repr(float(r['valueQuantity']['value'])), r['valueQuantity'].get('code', '')
            elif 'valueCodeableConcept' in r:
                kind, value, unit = 't', r['valueCodeableConcept']['coding'][0]['display'], ''
            else:
                continue
            category = r['category'][0]['coding'][0]['code'] if 'category' in r else ''
            out.writerow([patient['id'], r['effectiveDateTime'], 'LOINC', loinc[0]['code'],
                          loinc[0].get('display', ''), value, unit, 'observation', category])
            print(index, loinc[0]['code'], r['effectiveDateTime'], kind, value, unit, sep='\t')
)PY";

struct WrittenObservation
{
    std::size_t patient = 0;
    std::string code;
    std::string time;
    bool quantity = false;
    std::string value;
    std::string unit;
};

std::vector<WrittenObservation> split(const QByteArray &output)
{
    std::vector<WrittenObservation> rows;
    std::istringstream in(output.toStdString());
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::istringstream cells(line);
        std::string field;
        while (std::getline(cells, field, '\t'))
            fields.push_back(field);
        fields.resize(6);
        rows.push_back(
            { std::stoul(fields[0]), fields[1], fields[2], fields[3] == "q", fields[4], fields[5] });
    }
    return rows;
}

} // namespace

class TestCsvRecords : public QObject
{
    Q_OBJECT

private slots:
    void readsEveryKindOfRow()
    {
        const auto patients = readCsvRecords(handWrittenFile());
        QVERIFY2(patients.has_value(), patients ? "" : patients.error().message().c_str());
        QCOMPARE(patients->size(), std::size_t { 2 });
        const PatientRecord &first = (*patients)[0];
        const PatientRecord &second = (*patients)[1];
        QCOMPARE(qs(first.patient.id), QStringLiteral("p1"));
        QCOMPARE(qs(second.patient.id), QStringLiteral("p2"));
        QVERIFY(first.patient.birthDate.has_value());
        QCOMPARE(qs(first.patient.birthDate->text), QStringLiteral("1956-08-03"));
        QCOMPARE(first.patient.birthDate->precision, ClinicalTime::Precision::Day);
        QCOMPARE(qs(first.patient.gender), QStringLiteral("male"));
        QVERIFY(!second.patient.birthDate.has_value());

        QCOMPARE(first.observations.size(), std::size_t { 3 });
        const Observation &creatinine = first.observations[0];
        QVERIFY(creatinine.code.has(kLoincSystem, "2160-0"));
        QCOMPARE(qs(creatinine.code.label()), QStringLiteral("Creatinine"));
        QVERIFY(creatinine.quantity.has_value());
        QCOMPARE(creatinine.quantity->value, 1.2);
        QCOMPARE(qs(creatinine.quantity->unit), QStringLiteral("mg/dL"));
        QCOMPARE(
            qs(creatinine.quantity->system), QString::fromLatin1(kUcumSystem.data(), kUcumSystem.size()));
        // 2011-10-14T09:30:00+02:00 is 07:30 UTC; 2011-01-01 is day 41 * 365 + 10 leap days = 14,975,
        // plus 273 days to 1 October and 13 more: 15,261 days * 86,400 + 27,000 s = 1,318,577,400.
        QCOMPARE(qint64 { creatinine.effective->utcSeconds }, qint64 { 1318577400 });
        QVERIFY(creatinine.isLaboratory());
        QCOMPARE(qs(creatinine.source.file), QStringLiteral("hand_written.csv"));
        QCOMPARE(qs(creatinine.source.resourceType), QStringLiteral("csv"));
        QCOMPARE(qs(creatinine.source.id), QStringLiteral("line 4"));

        const Observation &systolic = first.observations[1];
        QVERIFY2(
            systolic.code.has("LOINC", "8480-6"), "an empty kind cell reads as an observation; a URI system");
        QCOMPARE(qs(systolic.code.label()), QStringLiteral("Systolic blood pressure, seated"));
        QCOMPARE(systolic.quantity->value, 142.0);
        QCOMPARE(qs(systolic.quantity->unit), QStringLiteral("mm[Hg]"));
        QVERIFY(systolic.isVitalSign());
        // 2012-01-20: 42 * 365 + 10 leap days = 15,340 days to 2012-01-01, + 19 = 15,359 days.
        QCOMPARE(qint64 { systolic.effective->utcSeconds }, qint64 { 15359 } * 86400);

        const Observation &smoking = first.observations[2];
        QVERIFY(!smoking.quantity.has_value());
        QVERIFY(smoking.text.has_value());
        QCOMPARE(qs(*smoking.text), QStringLiteral("Former smoker, quit \"2010\""));

        QCOMPARE(first.conditions.size(), std::size_t { 1 });
        QVERIFY(first.conditions[0].code.has(kSnomedSystem, "38341003"));
        QCOMPARE(qs(first.conditions[0].onset->text), QStringLiteral("2009-05-01"));
        // 2013-06-30: 2013-01-01 is 43 * 365 + 11 = 15,706 days; + 180 (Jan..Jun 29) = 15,886 days.
        QCOMPARE(qint64 { first.conditions[0].abatement->utcSeconds }, qint64 { 15886 } * 86400);
        QCOMPARE(first.medications.size(), std::size_t { 1 });
        QVERIFY(first.medications[0].medication.has(kRxNormSystem, "314076"));
        QCOMPARE(first.medications[0].kind, MedicationRecord::Kind::Statement);
        QCOMPARE(qs(first.medications[0].end->text), QStringLiteral("2012-07-20"));

        QCOMPARE(second.conditions.size(), std::size_t { 1 });
        QCOMPARE(qs(second.conditions[0].code.label()), QStringLiteral("Diabetes mellitus type 2"));
        QVERIFY(!second.conditions[0].abatement.has_value());
        QCOMPARE(second.encounters.size(), std::size_t { 1 });
        // A line break inside a quoted cell is content, kept as written (CRLF in this file).
        QCOMPARE(qs(second.encounters[0].type.at(0).label()), QStringLiteral("Encounter for\r\ncheck up"));
        // 2015-03-01T08:30Z: 2015-01-01 is 45 * 365 + 11 = 16,436 days; + 59 = 16,495; + 30,600 s.
        QCOMPARE(qint64 { second.encounters[0].end->utcSeconds }, qint64 { 16495 } * 86400 + 30600);
        QCOMPARE(qs(second.encounters[0].source.id), QStringLiteral("line 10"));
        QCOMPARE(second.observations.size(), std::size_t { 1 });
        QVERIFY2(!second.observations[0].effective.has_value(), "an empty time is an undated observation");
        QCOMPARE(second.observations[0].quantity->value, 7.1);
        QCOMPARE(second.procedures.size(), std::size_t { 1 });
        // The quoted line break in line 10 and the blank line 13 are counted.
        QCOMPARE(qs(second.procedures[0].source.id), QStringLiteral("line 14"));
    }

    void refusesMalformedFiles_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("location");
        QTest::addColumn<QString>("detail");
        const QString header = QStringLiteral("patient,time,system,code,value,unit\n");
        const int malformed = static_cast<int>(ErrorCode::Malformed);
        QTest::newRow("an empty file") << QString() << malformed << "bad.csv"
                                       << "empty";
        QTest::newRow("only blank lines") << "\n \r\n"
                                          << malformed << "bad.csv"
                                          << "empty";
        QTest::newRow("a header without rows") << header << malformed << "bad.csv"
                                               << "no rows";
        QTest::newRow("a bad time") << header + "PATIENT-4711,2019-13-01,LOINC,2160-0,1.2,mg/dL\n"
                                    << malformed << "bad.csv, line 2, column 'time'"
                                    << "not a FHIR date";
        QTest::newRow("a time without a zone")
            << header + "PATIENT-4711,2019-03-01T10:00:00,LOINC,2160-0,1.2,mg/dL\n"
            << malformed << "bad.csv, line 2, column 'time'"
            << "not a FHIR date";
        QTest::newRow("a missing required column")
            << "patient,time,system,code,value\nPATIENT-4711,2019-01-01,LOINC,2160-0,1.2\n"
            << malformed << "bad.csv, line 1"
            << "lacks the required column 'unit'";
        QTest::newRow("no header") << "PATIENT-4711,2019-01-01,LOINC,2160-0,1.2,mg/dL\n"
                                   << malformed << "bad.csv, line 1, cell 1"
                                   << "header is required";
        QTest::newRow("a misspelt column") << "patient,time,system,code,value,unti\n"
                                           << malformed << "bad.csv, line 1, cell 6"
                                           << "not a column";
        QTest::newRow("a column twice") << "patient,time,system,code,value,unit,time\n"
                                        << malformed << "bad.csv, line 1, cell 7"
                                        << "appears twice";
        QTest::newRow("an unterminated quote")
            << header + "PATIENT-4711,2019-01-01,LOINC,2160-0,\"1.2,mg/dL\nPATIENT-4711,2019,LOINC,1-8,2,g\n"
            << malformed << "bad.csv, line 2, column 'value'"
            << "not closed";
        QTest::newRow("too few cells") << header + "PATIENT-4711,2019-01-01,LOINC,2160-0,1.2\n"
                                       << malformed << "bad.csv, line 2"
                                       << "5 cells where the header has 6";
        QTest::newRow("too many cells") << header + "PATIENT-4711,2019-01-01,LOINC,2160-0,1.2,mg/dL,x\n"
                                        << malformed << "bad.csv, line 2"
                                        << "7 cells where the header has 6";
        QTest::newRow("a quote inside an unquoted cell")
            << header + "PATIENT-4711,2019-01-01,LOINC,2160-0,1\"2,mg/dL\n"
            << malformed << "bad.csv, line 2, column 'value'"
            << "quote inside an unquoted cell";
        QTest::newRow("text after a closing quote")
            << header + "PATIENT-4711,2019-01-01,LOINC,\"2160-0\"x,1.2,mg/dL\n"
            << malformed << "bad.csv, line 2, column 'code'"
            << "after the closing quote";
        QTest::newRow("a unit without a number")
            << header + "PATIENT-4711,2019-01-01,LOINC,2160-0,high,mg/dL\n"
            << malformed << "bad.csv, line 2, column 'unit'"
            << "not a number";
        QTest::newRow("a code without its system") << header + "PATIENT-4711,2019-01-01,,2160-0,1.2,mg/dL\n"
                                                   << malformed << "bad.csv, line 2, column 'system'"
                                                   << "code system";
        QTest::newRow("an observation without a code")
            << header + "PATIENT-4711,2019-01-01,LOINC,,1.2,mg/dL\n"
            << malformed << "bad.csv, line 2, column 'code'"
            << "needs a code";
        QTest::newRow("a row without its patient") << header + ",2019-01-01,LOINC,2160-0,1.2,mg/dL\n"
                                                   << malformed << "bad.csv, line 2, column 'patient'"
                                                   << "names its patient";
        const QString withKind = QStringLiteral("patient,time,system,code,value,unit,kind,end\n");
        QTest::newRow("an unknown kind") << withKind + "PATIENT-4711,2019-01-01,LOINC,1-8,1,g,allergy,\n"
                                         << malformed << "bad.csv, line 2, column 'kind'"
                                         << "not a record kind";
        QTest::newRow("a second birth date")
            << withKind + "PATIENT-4711,1956-08-03,,,,,birthdate,\nPATIENT-4711,1957-08-03,,,,,birthdate,\n"
            << malformed << "bad.csv, line 3, column 'time'"
            << "second birthdate";
        QTest::newRow("a birthdate row with a value")
            << withKind + "PATIENT-4711,1956-08-03,,,1,,birthdate,\n"
            << malformed << "bad.csv, line 2, column 'value'"
            << "must be empty in a row of kind 'birthdate'";
        QTest::newRow("an unknown gender") << withKind + "PATIENT-4711,,,,M,,gender,\n"
                                           << malformed << "bad.csv, line 2, column 'value'"
                                           << "male, female";
        QTest::newRow("a condition that ends before it starts")
            << withKind + "PATIENT-4711,2019-01-01,SNOMED,44054006,,,condition,2018-12-31\n"
            << malformed << "bad.csv, line 2, column 'end'"
            << "before the time";
        QTest::newRow("an observation with an end")
            << withKind + "PATIENT-4711,2019-01-01,LOINC,1-8,1,g,,2019-02-01\n"
            << malformed << "bad.csv, line 2, column 'end'"
            << "must be empty in a row of kind 'observation'";
    }

    void refusesMalformedFiles()
    {
        QFETCH(QString, text);
        QFETCH(int, code);
        QFETCH(QString, location);
        QFETCH(QString, detail);
        const std::string bytes = text.toStdString();
        const auto patients = parseCsvRecords(bytes, "bad.csv");
        QVERIFY(!patients.has_value());
        QCOMPARE(static_cast<int>(patients.error().code), code);
        QCOMPARE(qs(patients.error().location), location);
        QVERIFY2(qs(patients.error().detail).contains(detail), patients.error().detail.c_str());
        QVERIFY2(!qs(patients.error().message()).contains(QStringLiteral("4711")),
            "the patient id must not reach the message");
        QVERIFY2(!qs(patients.error().message()).contains(QStringLiteral("1957")),
            "a birth date must not reach the message");
    }

    void enforcesItsLimits()
    {
        const std::string text = "patient,time,system,code,value,unit\n"
                                 "p1,2019-01-01,LOINC,2160-0,1.2,mg/dL\n"
                                 "p2,2019-01-02,LOINC,2160-0,1.300000000,mg/dL\n";
        QVERIFY(parseCsvRecords(text, "limits.csv").has_value());
        CsvRecordLimits limits;
        limits.maxRows = 1;
        auto refused = parseCsvRecords(text, "limits.csv", limits);
        QCOMPARE(refused.error().code, ErrorCode::LimitExceeded);
        QCOMPARE(qs(refused.error().location), QStringLiteral("limits.csv, line 3"));
        limits = {};
        limits.maxPatients = 1;
        refused = parseCsvRecords(text, "limits.csv", limits);
        QCOMPARE(refused.error().code, ErrorCode::LimitExceeded);
        limits = {};
        limits.maxFieldBytes = 10; // a date has ten bytes, "1.300000000" eleven
        refused = parseCsvRecords(text, "limits.csv", limits);
        QCOMPARE(refused.error().code, ErrorCode::LimitExceeded);
        QCOMPARE(qs(refused.error().location), QStringLiteral("limits.csv, line 3, column 'value'"));
        limits = {};
        limits.maxBytes = text.size() - 1;
        refused = parseCsvRecords(text, "limits.csv", limits);
        QCOMPARE(refused.error().code, ErrorCode::LimitExceeded);

        QTemporaryDir dir;
        const std::filesystem::path path = dir.filePath(QStringLiteral("limits.csv")).toStdString();
        std::ofstream(path, std::ios::binary) << text;
        refused = readCsvRecords(path, limits);
        QCOMPARE(refused.error().code, ErrorCode::LimitExceeded);
        QCOMPARE(qs(refused.error().location), QStringLiteral("limits.csv"));
        refused = readCsvRecords(dir.filePath(QStringLiteral("absent.csv")).toStdString());
        QCOMPARE(refused.error().code, ErrorCode::NotFound);
    }

    // Every prefix of the hand-written file (a file cut off anywhere: inside a quote, a CRLF, a cell)
    // either parses or is refused with the file and a line; none crashes.
    void survivesEveryTruncation()
    {
        std::ifstream in(handWrittenFile(), std::ios::binary);
        const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        QVERIFY(text.size() > 500);
        std::size_t refused = 0;
        for (std::size_t length = 0; length <= text.size(); ++length) {
            const auto patients = parseCsvRecords(std::string_view(text).substr(0, length), "cut.csv");
            if (!patients) {
                ++refused;
                QVERIFY2(qs(patients.error().location).startsWith(QStringLiteral("cut.csv")),
                    patients.error().location.c_str());
                QVERIFY(!qs(patients.error().message()).contains(QStringLiteral("1956")));
            }
        }
        // Cut inside the header, a quoted cell or a row, most prefixes are refused; cut at a line
        // end, they parse.
        QVERIFY(refused > 0);
        QVERIFY(refused < text.size());
    }

    void acceptsAByteOrderMarkAndCrlf()
    {
        const std::string text
            = "\xEF\xBB\xBFpatient,time,system,code,value,unit\r\np1,2019,LOINC,2160-0,1.2,mg/dL\r\n";
        const auto patients = parseCsvRecords(text, "bom.csv");
        QVERIFY(patients.has_value());
        QCOMPARE(qs(patients->at(0).observations.at(0).quantity->unit), QStringLiteral("mg/dL"));
        QCOMPARE(patients->at(0).observations.at(0).effective->precision, ClinicalTime::Precision::Year);
    }

    void readsBackWhatPythonWroteFromSynthea()
    {
        if (!std::filesystem::is_directory(syntheaDir()) || !QFile::exists(QString::fromLatin1(kPython)))
            QSKIP("the shared Synthea bundles or /usr/bin/python3 are not available");
        QTemporaryDir dir;
        const QString csvPath = dir.filePath(QStringLiteral("synthea_long.csv"));
        QProcess python;
        python.start(QString::fromLatin1(kPython),
            { QStringLiteral("-c"), QString::fromLatin1(kWriteCsvFromSynthea),
                QString::fromStdString(syntheaDir().string()), csvPath });
        QVERIFY(python.waitForFinished(300000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const auto written = split(python.readAllStandardOutput());
        QVERIFY(written.size() > 5000); // 8,971 observations in the bundles, most LOINC-coded

        const auto patients = readCsvRecords(csvPath.toStdString());
        QVERIFY2(patients.has_value(), patients ? "" : patients.error().message().c_str());
        QCOMPARE(patients->size(), std::size_t { 60 });
        std::map<std::string, std::size_t> expectedPerCode;
        std::map<std::string, std::size_t> readPerCode;
        std::vector<std::size_t> nextObservation(patients->size(), 0);
        for (const WrittenObservation &row : written) {
            ++expectedPerCode[row.code];
            QVERIFY(row.patient < patients->size());
            const PatientRecord &record = (*patients)[row.patient];
            QVERIFY(record.patient.birthDate.has_value());
            const std::size_t index = nextObservation[row.patient]++;
            QVERIFY(index < record.observations.size());
            const Observation &observation = record.observations[index];
            QVERIFY(observation.code.has("LOINC", row.code));
            QCOMPARE(qs(observation.effective->text), qs(row.time));
            if (row.quantity) {
                QVERIFY(observation.quantity.has_value());
                QCOMPARE(observation.quantity->value, std::stod(row.value)); // Python's repr round-trips
                QCOMPARE(qs(observation.quantity->unit), qs(row.unit));
            } else {
                QVERIFY(!observation.quantity.has_value());
                QCOMPARE(qs(observation.text.value_or("")), qs(row.value));
            }
        }
        for (std::size_t patient = 0; patient < patients->size(); ++patient) {
            QCOMPARE(nextObservation[patient], (*patients)[patient].observations.size());
            for (const Observation &observation : (*patients)[patient].observations)
                ++readPerCode[observation.code.codings.at(0).code];
        }
        QCOMPARE(readPerCode, expectedPerCode);
    }
};

QTEST_APPLESS_MAIN(TestCsvRecords)
#include "tst_csv_records.moc"
