// SPDX-License-Identifier: Apache-2.0
// FHIR date, dateTime and instant parsing and the code-system aliases. Expected instants are computed
// by hand from days since 1970-01-01 (each step in the row's comment).
#include "core/records/clinical_record.h"

#include <QTest>

using mosaic::records::ClinicalTime;
using mosaic::records::parseClinicalTime;

Q_DECLARE_METATYPE(ClinicalTime::Precision)

class TestClinicalTime : public QObject
{
    Q_OBJECT

private slots:
    void parsesFhirTimes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("utcSeconds");
        QTest::addColumn<ClinicalTime::Precision>("precision");
        // 2019-01-01 is day 17,897 after the epoch: 17897 * 86400 = 1,546,300,800.
        QTest::newRow("a year alone starts on 1 January")
            << "2019" << qint64 { 1546300800 } << ClinicalTime::Precision::Year;
        // 2019-03-01: 17897 + 31 + 28 = 17,956 days: 1,551,398,400.
        QTest::newRow("a year and month start on the first")
            << "2019-03" << qint64 { 1551398400 } << ClinicalTime::Precision::Month;
        // 2019-03-07: 17,962 days: 1,551,916,800.
        QTest::newRow("a date is midnight UTC")
            << "2019-03-07" << qint64 { 1551916800 } << ClinicalTime::Precision::Day;
        // 10:15:00 at +01:00 is 09:15:00 UTC: 1,551,916,800 + 33,300.
        QTest::newRow("a positive zone offset is subtracted")
            << "2019-03-07T10:15:00+01:00" << qint64 { 1551950100 } << ClinicalTime::Precision::Second;
        // 23:37:54 at -05:00 is 04:37:54 UTC on the 8th: 1,551,916,800 + 86,400 + 16,674.
        QTest::newRow("a negative offset can cross midnight")
            << "2019-03-07T23:37:54-05:00" << qint64 { 1552019874 } << ClinicalTime::Precision::Second;
        QTest::newRow("fractional seconds of an instant are dropped")
            << "2019-03-07T10:15:00.123Z" << qint64 { 1551953700 } << ClinicalTime::Precision::Second;
        // 2024-02-29: day 19,782: 1,709,164,800.
        QTest::newRow("a leap day") << "2024-02-29" << qint64 { 1709164800 } << ClinicalTime::Precision::Day;
        // 1921-05-03: 17,775 days before 1970-01-01 (48 years of 365 days, 12 leap days, minus 122 + 3 - 1):
        // -1,535,760,000.
        QTest::newRow("a birth date before 1970")
            << "1921-05-03" << qint64 { -1535760000 } << ClinicalTime::Precision::Day;
    }

    void parsesFhirTimes()
    {
        QFETCH(QString, text);
        QFETCH(qint64, utcSeconds);
        QFETCH(ClinicalTime::Precision, precision);
        const auto time = parseClinicalTime(text.toStdString());
        QVERIFY(time.has_value());
        QCOMPARE(qint64 { time->utcSeconds }, utcSeconds);
        QCOMPARE(time->precision, precision);
        QCOMPARE(QString::fromStdString(time->text), text);
    }

    void refusesWhatIsNotAFhirTime_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("empty") << "";
        QTest::newRow("two-digit year") << "19-03-07";
        QTest::newRow("month 13") << "2019-13";
        QTest::newRow("30 February") << "2019-02-30";
        QTest::newRow("a time without a zone") << "2019-03-07T10:15:00";
        QTest::newRow("hour 24") << "2019-03-07T24:00:00Z";
        QTest::newRow("slashes") << "07/03/2019";
        QTest::newRow("trailing text") << "2019-03-07 (approx.)";
        QTest::newRow("a zone without minutes") << "2019-03-07T10:15:00+01";
    }

    void refusesWhatIsNotAFhirTime()
    {
        QFETCH(QString, text);
        QVERIFY(!parseClinicalTime(text.toStdString()).has_value());
    }

    void namesCodeSystemsByTheirFhirUri()
    {
        using mosaic::records::canonicalCodeSystem;
        QCOMPARE(canonicalCodeSystem("LOINC"), std::string("http://loinc.org"));
        QCOMPARE(canonicalCodeSystem("SNOMED"), std::string("http://snomed.info/sct"));
        QCOMPARE(canonicalCodeSystem("icd-10-cm"), std::string("http://hl7.org/fhir/sid/icd-10-cm"));
        QCOMPARE(canonicalCodeSystem("RxNorm"), std::string("http://www.nlm.nih.gov/research/umls/rxnorm"));
        QCOMPARE(canonicalCodeSystem("http://example.org/local"), std::string("http://example.org/local"));
        mosaic::records::CodeableConcept creatinine;
        creatinine.codings.push_back({ "http://loinc.org", "2160-0", "Creatinine" });
        QVERIFY(creatinine.has("LOINC", "2160-0"));
        QVERIFY(!creatinine.has("SNOMED", "2160-0"));
        QCOMPARE(creatinine.label(), std::string("Creatinine"));
    }
};

QTEST_APPLESS_MAIN(TestClinicalTime)
#include "tst_clinical_time.moc"
