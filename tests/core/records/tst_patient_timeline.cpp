// SPDX-License-Identifier: Apache-2.0
// The patient timeline. A hand-built record checks the order, the categories, periods, value texts,
// the range query's edges and the undated events. The independent truth for the real case is
// Python's json module (/usr/bin/python3, standard library only): for each of the 60 Synthea bundles
// it counts the events of each category, dated and undated, by the rules of patient_timeline.h
// (restated in the script), and the timeline built from the FHIR reader's record must agree.
#include "core/records/fhir_reader.h"
#include "core/records/patient_timeline.h"

#include <QProcess>
#include <QTest>

#include <map>
#include <sstream>

using namespace mosaic;
using namespace mosaic::records;

namespace {

const char *kPython = "/usr/bin/python3";

ClinicalTime at(const char *text)
{
    const auto time = parseClinicalTime(text);
    Q_ASSERT(time.has_value());
    return *time;
}

CodeableConcept coded(std::string_view system, const char *code, const char *display)
{
    CodeableConcept result;
    result.codings.push_back({ std::string(system), code, display });
    return result;
}

CodeableConcept category(const char *code)
{
    return coded("http://terminology.hl7.org/CodeSystem/observation-category", code, "");
}

QString qs(const std::string &text)
{
    return QString::fromStdString(text);
}

std::filesystem::path syntheaDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "records/synthea";
}

// Per bundle file: category, dated count, undated count; the rules of patient_timeline.h.
const char *kCountCategories = R"PY(
import glob, json, os, sys
VITAL = {'85353-1', '9279-1', '8867-4', '2708-6', '59408-5', '8310-5', '8302-2', '9843-4', '29463-7',
         '39156-5', '85354-9', '8480-6', '8462-4'}
def codes(concepts):
    return {c.get('code') for concept in concepts for c in concept.get('coding', [])}
def observation_category(r):
    categories = codes(r.get('category', []))
    if 'vital-signs' in categories: return 'vital-sign'
    if 'laboratory' in categories: return 'laboratory'
    if not r.get('category') and any(c.get('system') == 'http://loinc.org' and c.get('code') in VITAL
                                     for c in r['code'].get('coding', [])):
        return 'vital-sign'
    return 'observation'
def first(r, *keys):
    for key in keys:
        value = r
        for part in key.split('.'):
            value = value.get(part) if isinstance(value, dict) else None
        if value:
            return value
    return None
for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.json'))):
    counts = {}
    with open(path, encoding='utf-8') as f:
        entries = json.load(f)['entry']
    for e in entries:
        r = e['resource']
        t = r['resourceType']
        if t == 'Encounter': c, start = 'encounter', first(r, 'period.start')
        elif t == 'Condition': c, start = 'condition', first(r, 'onsetDateTime', 'onsetPeriod.start', 'recordedDate')
        elif t == 'MedicationRequest': c, start = 'medication', first(r, 'authoredOn')
        elif t == 'MedicationStatement':
            c, start = 'medication', first(r, 'effectiveDateTime', 'effectivePeriod.start', 'dateAsserted')
        elif t == 'Observation':
            c, start = observation_category(r), first(r, 'effectiveDateTime', 'effectivePeriod.start', 'effectiveInstant', 'issued')
        elif t == 'Procedure': c, start = 'procedure', first(r, 'performedDateTime', 'performedPeriod.start')
        elif t == 'ImagingStudy': c, start = 'imaging-study', first(r, 'started')
        elif t == 'AllergyIntolerance': c, start = 'allergy', first(r, 'recordedDate')
        else: continue
        dated, undated = counts.get(c, (0, 0))
        counts[c] = (dated + 1, undated) if start else (dated, undated + 1)
    for c, (dated, undated) in sorted(counts.items()):
        print(os.path.basename(path), c, dated, undated, sep='\t')
)PY";

} // namespace

class TestPatientTimeline : public QObject
{
    Q_OBJECT

private:
    static PatientRecord handBuiltRecord()
    {
        PatientRecord record;
        Encounter visit;
        visit.source = { "bundle.json", "Encounter", "enc-1" };
        visit.classCode = "AMB";
        visit.type.push_back(coded(kSnomedSystem, "185349003", "Encounter for check up"));
        visit.start = at("2019-03-01T08:00:00Z");
        visit.end = at("2019-03-01T08:30:00Z");
        record.encounters.push_back(visit);

        Condition hypertension;
        hypertension.source = { "bundle.json", "Condition", "cond-1" };
        hypertension.code = coded(kSnomedSystem, "38341003", "Hypertension");
        hypertension.clinicalStatus = "active";
        hypertension.onset = at("2015-06-01");
        record.conditions.push_back(hypertension);
        Condition sprain;
        sprain.source = { "bundle.json", "Condition", "cond-2" };
        sprain.code = coded(kSnomedSystem, "44465007", "Sprain of ankle");
        sprain.clinicalStatus = "resolved";
        sprain.recorded = at("2017-02-01"); // no onset: the recorded date places it
        sprain.abatement = at("2017-03-01");
        record.conditions.push_back(sprain);

        Observation creatinine;
        creatinine.source = { "bundle.json", "Observation", "obs-1" };
        creatinine.category.push_back(category("laboratory"));
        creatinine.code = coded(kLoincSystem, "2160-0", "Creatinine");
        creatinine.effective = at("2019-03-01T08:10:00Z");
        creatinine.quantity = Quantity { 1.2, "mg/dL", std::string(kUcumSystem), "mg/dL" };
        record.observations.push_back(creatinine);
        Observation pressure;
        pressure.source = { "bundle.json", "Observation", "obs-2" };
        pressure.category.push_back(category("vital-signs"));
        pressure.code = coded(kLoincSystem, "85354-9", "Blood pressure panel");
        pressure.effective = at("2019-03-01T08:05:00Z");
        pressure.components.push_back({ coded(kLoincSystem, "8480-6", "Systolic"),
            Quantity { 130, "mm[Hg]", std::string(kUcumSystem), "mmHg" }, {}, {}, {} });
        pressure.components.push_back({ coded(kLoincSystem, "8462-4", "Diastolic"),
            Quantity { 80, "mm[Hg]", std::string(kUcumSystem), "mmHg" }, {}, {}, {} });
        record.observations.push_back(pressure);
        Observation weight; // no category: the vital-signs profile code decides
        weight.source = { "records.csv", "csv", "line 7" };
        weight.code = coded(kLoincSystem, "29463-7", "Body weight");
        weight.effective = at("2018-01-01");
        weight.quantity = Quantity { 80, "kg", std::string(kUcumSystem), "kg" };
        record.observations.push_back(weight);
        Observation smoking;
        smoking.source = { "bundle.json", "Observation", "obs-3" };
        smoking.category.push_back(category("social-history"));
        smoking.code = coded(kLoincSystem, "72166-2", "Tobacco smoking status");
        smoking.codedValue = coded(kSnomedSystem, "8517006", "Former smoker");
        record.observations.push_back(smoking); // no date

        MedicationRecord lisinopril;
        lisinopril.source = { "bundle.json", "MedicationRequest", "med-1" };
        lisinopril.medication = coded(kRxNormSystem, "314076", "lisinopril 10 MG Oral Tablet");
        lisinopril.status = "active";
        lisinopril.start = at("2015-06-01");
        record.medications.push_back(lisinopril);

        ImagingStudyReference study;
        study.source = { "bundle.json", "ImagingStudy", "img-1" };
        study.modalities = { "CT" };
        study.seriesInstanceUids = { "1.2.3.4" };
        study.numberOfInstances = 120;
        study.started = at("2019-04-02T10:00:00Z");
        record.imagingStudies.push_back(study);

        AllergyIntolerance peanut;
        peanut.source = { "bundle.json", "AllergyIntolerance", "all-1" };
        peanut.code = coded(kSnomedSystem, "91935009", "Allergy to peanuts");
        peanut.criticality = "high";
        record.allergies.push_back(peanut); // no recorded date
        return record;
    }

private slots:
    void ordersEventsByStart()
    {
        PatientTimeline timeline = PatientTimeline::fromRecord(handBuiltRecord());
        TimelineEvent genotype;
        genotype.category = TimelineCategory::Genotype;
        genotype.start = at("2019-01-15");
        genotype.label = "CYP2C19 *1/*2";
        genotype.valueText = "Intermediate metabolizer";
        genotype.source = { "sample.vcf", "VCF", "chr10:94781859" };
        timeline.add(genotype);

        // Two events share 2015-06-01: the condition sorts before the medication (category order).
        const std::vector<std::pair<QString, TimelineCategory>> expected {
            { "Hypertension", TimelineCategory::Condition },
            { "lisinopril 10 MG Oral Tablet", TimelineCategory::Medication },
            { "Sprain of ankle", TimelineCategory::Condition },
            { "Body weight", TimelineCategory::VitalSign },
            { "CYP2C19 *1/*2", TimelineCategory::Genotype },
            { "Encounter for check up", TimelineCategory::Encounter },
            { "Blood pressure panel", TimelineCategory::VitalSign },
            { "Creatinine", TimelineCategory::Laboratory },
            { "CT study", TimelineCategory::ImagingStudy },
        };
        QCOMPARE(timeline.events().size(), expected.size());
        for (std::size_t index = 0; index < expected.size(); ++index) {
            QCOMPARE(qs(timeline.events()[index].label), expected[index].first);
            QCOMPARE(timeline.events()[index].category, expected[index].second);
        }
        const TimelineEvent &pressure = timeline.events()[6];
        QCOMPARE(qs(pressure.valueText), QStringLiteral("Systolic 130 mmHg, Diastolic 80 mmHg"));
        QCOMPARE(qs(pressure.code), QStringLiteral("http://loinc.org|85354-9"));
        QCOMPARE(qs(pressure.source.id), QStringLiteral("obs-2"));
        QCOMPARE(qs(timeline.events()[7].valueText), QStringLiteral("1.2 mg/dL"));
        QCOMPARE(qs(timeline.events()[8].valueText), QStringLiteral("1 series, 120 instances"));
        QCOMPARE(qs(timeline.events()[3].source.file), QStringLiteral("records.csv"));
        QCOMPARE(qs(timeline.events()[2].start->text), QStringLiteral("2017-02-01"));
        QCOMPARE(qs(timeline.events()[2].end->text), QStringLiteral("2017-03-01"));

        // Undated: counted and kept apart, never placed at 1970.
        QCOMPARE(timeline.undatedCount(), std::size_t { 2 });
        QCOMPARE(timeline.undatedCount(TimelineCategory::Observation), std::size_t { 1 });
        QCOMPARE(timeline.undatedCount(TimelineCategory::Allergy), std::size_t { 1 });
        QCOMPARE(qs(timeline.undatedEvents()[0].valueText), QStringLiteral("Former smoker"));
        QCOMPARE(timeline.count(TimelineCategory::VitalSign), std::size_t { 2 });
        QCOMPARE(timeline.count(TimelineCategory::Condition), std::size_t { 2 });
        QCOMPARE(timeline.count(TimelineCategory::Allergy), std::size_t { 0 });

        const auto extent = timeline.extent();
        QVERIFY(extent.has_value());
        QCOMPARE(qint64 { extent->first }, qint64 { at("2015-06-01").utcSeconds });
        QCOMPARE(qint64 { extent->second }, qint64 { at("2019-04-02T10:00:00Z").utcSeconds });
    }

    void answersRangeQueries_data()
    {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QStringList>("labels");
        // The visit 08:00-08:30 holds the pressure (08:05) and the creatinine (08:10); the open
        // hypertension and lisinopril overlap every later range.
        QTest::newRow("the morning of the visit")
            << "2019-03-01T08:00:00Z"
            << "2019-03-01T08:07:00Z"
            << QStringList { "Hypertension", "lisinopril 10 MG Oral Tablet", "Encounter for check up",
                   "Blood pressure panel" };
        QTest::newRow("a point event on the upper edge is inside")
            << "2019-03-01T08:06:00Z"
            << "2019-03-01T08:10:00Z"
            << QStringList { "Hypertension", "lisinopril 10 MG Oral Tablet", "Encounter for check up",
                   "Creatinine" };
        QTest::newRow("a period's end on the lower edge is inside")
            << "2019-03-01T08:30:00Z"
            << "2019-03-02"
            << QStringList { "Hypertension", "lisinopril 10 MG Oral Tablet", "Encounter for check up" };
        QTest::newRow("a closed period before the range is outside")
            << "2017-03-02"
            << "2017-12-31" << QStringList { "Hypertension", "lisinopril 10 MG Oral Tablet" };
        QTest::newRow("inside a closed period")
            << "2017-02-10"
            << "2017-02-11"
            << QStringList { "Hypertension", "lisinopril 10 MG Oral Tablet", "Sprain of ankle" };
        QTest::newRow("before everything") << "2000-01-01"
                                           << "2015-05-31" << QStringList {};
    }

    void answersRangeQueries()
    {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QStringList, labels);
        const PatientTimeline timeline = PatientTimeline::fromRecord(handBuiltRecord());
        QStringList found;
        for (const TimelineEvent *event : timeline.inRange(
                 at(from.toUtf8().constData()).utcSeconds, at(to.toUtf8().constData()).utcSeconds))
            found << qs(event->label);
        QCOMPARE(found, labels);
    }

    void anEmptyRecordHasAnEmptyTimeline()
    {
        const PatientTimeline timeline = PatientTimeline::fromRecord(PatientRecord {});
        QVERIFY(timeline.events().empty());
        QCOMPARE(timeline.undatedCount(), std::size_t { 0 });
        QVERIFY(!timeline.extent().has_value());
        QVERIFY(timeline.inRange(0, 1'000'000'000).empty());
    }

    void countsSyntheaEventsAsPythonDoes()
    {
        if (!std::filesystem::is_directory(syntheaDir()) || !QFile::exists(QString::fromLatin1(kPython)))
            QSKIP("the shared Synthea bundles or /usr/bin/python3 are not available");
        QProcess python;
        python.start(QString::fromLatin1(kPython),
            { QStringLiteral("-c"), QString::fromLatin1(kCountCategories),
                QString::fromStdString(syntheaDir().string()) });
        QVERIFY(python.waitForFinished(300000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        // file -> category -> (dated, undated)
        std::map<std::string, std::map<std::string, std::pair<std::size_t, std::size_t>>> expected;
        std::istringstream lines(python.readAllStandardOutput().toStdString());
        std::string file, categoryName;
        std::size_t dated = 0, undated = 0;
        while (lines >> file >> categoryName >> dated >> undated)
            expected[file][categoryName] = { dated, undated };
        QCOMPARE(expected.size(), std::size_t { 60 });

        std::size_t events = 0;
        for (const auto &[name, categories] : expected) {
            const auto collection = readFhirFile(syntheaDir() / name);
            QVERIFY2(collection.has_value(), collection ? "" : collection.error().message().c_str());
            QCOMPARE(collection->patients.size(), std::size_t { 1 });
            const PatientTimeline timeline = PatientTimeline::fromRecord(collection->patients.front());
            std::map<std::string, std::pair<std::size_t, std::size_t>> found;
            for (std::size_t index = 0; index < kTimelineCategoryCount; ++index) {
                const auto category = static_cast<TimelineCategory>(index);
                if (timeline.count(category) + timeline.undatedCount(category) > 0)
                    found[std::string(timelineCategoryName(category))]
                        = { timeline.count(category), timeline.undatedCount(category) };
            }
            QCOMPARE(found, categories);
            for (std::size_t index = 1; index < timeline.events().size(); ++index)
                QVERIFY(timeline.events()[index - 1].start->utcSeconds
                    <= timeline.events()[index].start->utcSeconds);
            events += timeline.events().size();
        }
        QVERIFY(events > 10000); // 1,224 encounters and 8,971 observations among them
    }
};

QTEST_APPLESS_MAIN(TestPatientTimeline)
#include "tst_patient_timeline.moc"
