// SPDX-License-Identifier: Apache-2.0
// The FHIR R4 reader against independent truth: Python's json module walks the same files
// (fhir_peer_counts.py) and gives resources by type, Observations by LOINC code with the sum of their
// values, and component counts; hand-written resources give the bundle types, references and every
// refusal (malformed JSON, unknown resourceType, duplicate keys, deep nesting, wrong JSON types).
#include "core/records/fhir_reader.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <map>

using namespace mosaic::records;

namespace {

const QString kSharedRecords = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/records");
const QString kPeerScript = QStringLiteral(MOSAIC_SOURCE_DIR "/tests/core/records/fhir_peer_counts.py");

QJsonObject runPeer(const QStringList &arguments)
{
    QProcess python;
    python.start(QStringLiteral("/usr/bin/python3"), QStringList { kPeerScript } + arguments);
    if (!python.waitForFinished(120000) || python.exitCode() != 0)
        qFatal("fhir_peer_counts.py failed: %s", python.readAllStandardError().constData());
    return QJsonDocument::fromJson(python.readAllStandardOutput()).object();
}

QStringList syntheaBundles()
{
    QStringList paths;
    for (const QString &name :
        QDir(kSharedRecords + "/synthea").entryList({ "*.json" }, QDir::Files, QDir::Name))
        paths << kSharedRecords + "/synthea/" + name;
    return paths;
}

// JSON written with single quotes, which C++ strings need not escape (and Qt's moc, unlike raw
// string literals, reads without trouble).
QByteArray json(const char *text)
{
    QByteArray bytes(text);
    bytes.replace('\'', '"');
    return bytes;
}

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    QCOMPARE(file.write(bytes), bytes.size());
}

struct ObservedCounts
{
    std::map<std::string, int> types;
    std::map<std::string, int> loincCounts;
    std::map<std::string, double> loincSums;
    std::map<std::string, int> componentCounts;
    std::map<std::string, int> kept;
};

ObservedCounts countsOf(const RecordCollection &collection)
{
    ObservedCounts counts;
    for (const auto &[type, count] : collection.resourceCounts)
        counts.types[type] = static_cast<int>(count);
    for (const PatientRecord &record : collection.patients) {
        for (const Observation &observation : record.observations) {
            for (const Coding &coding : observation.code.codings) {
                if (coding.system != kLoincSystem)
                    continue;
                ++counts.loincCounts[coding.code];
                if (observation.quantity)
                    counts.loincSums[coding.code] += observation.quantity->value;
            }
            for (const ObservationComponent &component : observation.components)
                for (const Coding &coding : component.code.codings)
                    if (coding.system == kLoincSystem)
                        ++counts.componentCounts[coding.code];
        }
        counts.kept["Observation"] += static_cast<int>(record.observations.size());
        counts.kept["Condition"] += static_cast<int>(record.conditions.size());
        counts.kept["Encounter"] += static_cast<int>(record.encounters.size());
        counts.kept["Procedure"] += static_cast<int>(record.procedures.size());
        counts.kept["DiagnosticReport"] += static_cast<int>(record.reports.size());
        counts.kept["AllergyIntolerance"] += static_cast<int>(record.allergies.size());
        counts.kept["ImagingStudy"] += static_cast<int>(record.imagingStudies.size());
        for (const MedicationRecord &medication : record.medications)
            ++counts.kept[medication.kind == MedicationRecord::Kind::Request ? "MedicationRequest"
                                                                             : "MedicationStatement"];
    }
    std::erase_if(counts.kept, [](const auto &entry) { return entry.second == 0; });
    return counts;
}

std::map<std::string, int> intMap(const QJsonObject &object)
{
    std::map<std::string, int> result;
    for (auto it = object.begin(); it != object.end(); ++it)
        result[it.key().toStdString()] = it.value().toInt();
    return result;
}

// Compares Mosaic's counts with the peer's for one file; the failure message names the file and field.
void compareWithPeer(const QString &path, const ObservedCounts &mosaic, const QJsonObject &peer)
{
    const QByteArray name = QFileInfo(path).fileName().toUtf8();
    if (mosaic.types != intMap(peer["types"].toObject()))
        QFAIL(("resource types differ for " + name).constData());
    if (mosaic.loincCounts != intMap(peer["loincCounts"].toObject()))
        QFAIL(("observation counts by LOINC code differ for " + name).constData());
    if (mosaic.componentCounts != intMap(peer["componentCounts"].toObject()))
        QFAIL(("component counts differ for " + name).constData());
    if (mosaic.kept != intMap(peer["kept"].toObject()))
        QFAIL(("clinical resources kept differ for " + name).constData());
    const QJsonObject sums = peer["loincSums"].toObject();
    QCOMPARE(mosaic.loincSums.size(), std::size_t(sums.size()));
    for (const auto &[code, sum] : mosaic.loincSums) {
        const QJsonValue expected = sums[QString::fromStdString(code)];
        QVERIFY2(expected.isDouble(), code.c_str());
        // The same decimal texts summed in the same order: equal to the last bit but for the
        // parsers' rounding of each number (both are correctly rounded, so exactly equal).
        QCOMPARE(sum, expected.toDouble());
    }
}

} // namespace

class TestFhirReader : public QObject
{
    Q_OBJECT

private slots:
    void readsEverySyntheaBundleAsPythonDoes()
    {
        const QStringList bundles = syntheaBundles();
        QCOMPARE(bundles.size(), 60);
        const QJsonObject peer = runPeer(bundles);
        int observations = 0;
        for (const QString &path : bundles) {
            const auto collection = readFhirFile(path.toStdString());
            QVERIFY2(collection.has_value(), collection ? "" : collection.error().message().c_str());
            QCOMPARE(collection->format, RecordCollection::Format::Bundle);
            QCOMPARE(collection->bundleType, std::string("transaction"));
            QCOMPARE(collection->patients.size(), std::size_t { 1 });
            QCOMPARE(collection->unattachedResources, std::size_t { 0 });
            compareWithPeer(path, countsOf(*collection), peer[path].toObject());
            observations += static_cast<int>(collection->patients.front().observations.size());
        }
        // The whole set as the data README describes it: 8,971 Observations in 60 bundles.
        QCOMPARE(observations, 8971);
    }

    void readsBloodPressureComponentsAndUnits()
    {
        // The first 55284-4 panel of the first bundle, compared field by field with Python's reading.
        const QString path = syntheaBundles().front();
        QProcess python;
        python.start("/usr/bin/python3",
            { "-c",
                "import json,sys\n"
                "b=json.load(open(sys.argv[1]))\n"
                "o=[e['resource'] for e in b['entry'] if e['resource']['resourceType']=='Observation' and "
                "e['resource']['code']['coding'][0]['code']=='55284-4'][0]\n"
                "print(json.dumps({'effective':o['effectiveDateTime'],'components':[[c['code']['coding'][0]['"
                "code'],"
                "c['valueQuantity']['value'],c['valueQuantity']['code']] for c in o['component']]}))",
                path });
        QVERIFY(python.waitForFinished(60000));
        const QJsonObject expected = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
        const auto collection = readFhirFile(path.toStdString());
        QVERIFY(collection.has_value());
        const auto &observations = collection->patients.front().observations;
        const auto panel = std::ranges::find_if(
            observations, [](const Observation &o) { return o.code.has("LOINC", "55284-4"); });
        QVERIFY(panel != observations.end());
        QVERIFY(panel->isVitalSign());
        QVERIFY(!panel->quantity.has_value());
        QCOMPARE(QString::fromStdString(panel->effective->text), expected["effective"].toString());
        const QJsonArray components = expected["components"].toArray();
        QCOMPARE(panel->components.size(), std::size_t(components.size()));
        for (qsizetype i = 0; i < components.size(); ++i) {
            const QJsonArray component = components[i].toArray();
            QCOMPARE(QString::fromStdString(panel->components[i].code.codings.front().code),
                component[0].toString());
            QCOMPARE(panel->components[i].quantity->value, component[1].toDouble());
            QCOMPARE(QString::fromStdString(panel->components[i].quantity->unit), component[2].toString());
            QCOMPARE(panel->components[i].quantity->system, std::string(kUcumSystem));
        }
    }

    void readsTheHl7Examples_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("rootType");
        QTest::addColumn<int>("patients");
        for (const auto &[file, type, patients] :
            std::initializer_list<std::tuple<const char *, const char *, int>> {
                { "observation-example.json", "Observation", 1 }, { "patient-example.json", "Patient", 1 },
                { "patient-bundle.json", "Bundle", 3 },
                { "diagnosticreport-example.json", "DiagnosticReport", 1 },
                { "medicationrequest-example.json", "MedicationRequest", 0 },
                { "codesystem-example.json", "CodeSystem", 0 },
                { "valueset-example-expansion.json", "ValueSet", 0 },
                { "questionnaire-response-example.json", "QuestionnaireResponse", 0 },
                { "quantity-example.json", "QuestionnaireResponse", 0 } })
            QTest::newRow(file) << QString(file) << QString(type) << patients;
    }

    void readsTheHl7Examples()
    {
        QFETCH(QString, file);
        QFETCH(QString, rootType);
        QFETCH(int, patients);
        const QString path = kSharedRecords + "/hl7-examples/" + file;
        const auto collection = readFhirFile(path.toStdString());
        QVERIFY2(collection.has_value(), collection ? "" : collection.error().message().c_str());
        QVERIFY(collection->resourceCounts.contains(rootType.toStdString()));
        QCOMPARE(collection->format,
            rootType == "Bundle" ? RecordCollection::Format::Bundle : RecordCollection::Format::Resource);
        QCOMPARE(int(collection->patients.size()), patients);
        compareWithPeer(path, countsOf(*collection), runPeer({ path })[path].toObject());
    }

    void keepsTheHl7ObservationExampleFieldByField()
    {
        // observation-example.json: body weight 185 [lb_av], LOINC 29463-7 and 3141-9, SNOMED 27113001,
        // effective 2016-03-28, subject Patient/example; its narrative is not read.
        const auto collection
            = readFhirFile((kSharedRecords + "/hl7-examples/observation-example.json").toStdString());
        QVERIFY(collection.has_value());
        const Observation &weight = collection->patients.at(0).observations.at(0);
        QCOMPARE(collection->patients.at(0).patient.id, std::string("example"));
        QVERIFY(weight.code.has(kLoincSystem, "29463-7"));
        QVERIFY(weight.code.has(kSnomedSystem, "27113001"));
        QCOMPARE(weight.quantity->value, 185.0);
        QCOMPARE(weight.quantity->unit, std::string("[lb_av]"));
        QCOMPARE(weight.quantity->displayUnit, std::string("lbs"));
        QCOMPARE(weight.effective->text, std::string("2016-03-28"));
        QCOMPARE(weight.encounterId, std::string("example"));
    }

    void readsBulkNdjsonAsTheBundleItCameFrom()
    {
        // One Synthea bundle rewritten by Python as Bulk FHIR NDJSON (one resource per line, references
        // made relative, "Patient/<id>", as a Bulk export writes them): the same
        // counts, through both the .ndjson extension and the content sniffing of a .json name.
        const QString bundle = syntheaBundles().at(7);
        QTemporaryDir directory;
        const QString ndjson = directory.filePath("Observation.ndjson");
        QProcess python;
        python.start("/usr/bin/python3",
            { "-c",
                "import json,sys\n"
                "b=json.load(open(sys.argv[1]))\n"
                "ids={e['fullUrl']:e['resource']['resourceType']+'/'+e['resource']['id'] for e in "
                "b['entry']}\n"
                "def relative(x):\n"
                "  if isinstance(x,dict): return {k:(ids.get(v,v) if k=='reference' else relative(v)) for "
                "k,v in x.items()}\n"
                "  if isinstance(x,list): return [relative(v) for v in x]\n"
                "  return x\n"
                "open(sys.argv[2],'w').write(''.join(json.dumps(relative(e['resource']))+'\\n' for e in "
                "b['entry']))",
                bundle, ndjson });
        QVERIFY(python.waitForFinished(60000));
        QCOMPARE(python.exitCode(), 0);
        QVERIFY(QFile::copy(ndjson, directory.filePath("export.json")));
        const QJsonObject peer = runPeer({ "--ndjson", ndjson })[ndjson].toObject();
        for (const QString &path : { ndjson, directory.filePath("export.json") }) {
            const auto collection = readFhirFile(path.toStdString());
            QVERIFY2(collection.has_value(), collection ? "" : collection.error().message().c_str());
            QCOMPARE(collection->format, RecordCollection::Format::Ndjson);
            QCOMPARE(collection->patients.size(), std::size_t { 1 });
            compareWithPeer(path, countsOf(*collection), peer);
        }
    }

    void attachesResourcesThroughEveryReferenceForm()
    {
        // A searchset with a Patient, an Observation pointing at it by relative reference, one by
        // absolute URL, a MedicationStatement whose drug is a Medication resource, and an Observation
        // about a Group (kept out of the patient's record).
        const QByteArray searchset = json(
            "{'resourceType':'Bundle','type':'searchset','entry':[\n"
            " {'fullUrl':'http://example.org/fhir/Patient/"
            "p1','resource':{'resourceType':'Patient','id':'p1','gender':'female','birthDate':'1950-04-02'}},"
            "\n"
            " {'resource':{'resourceType':'Observation','id':'o1','status':'final','code':{'coding':[{'"
            "system':'http://loinc.org','code':'2160-0'}]},\n"
            "   "
            "'subject':{'reference':'Patient/"
            "p1'},'effectiveDateTime':'2020-01-02','valueQuantity':{'value':1.3,'unit':'mg/"
            "dL','system':'http://unitsofmeasure.org','code':'mg/dL'},\n"
            "   "
            "'interpretation':[{'coding':[{'system':'http://terminology.hl7.org/CodeSystem/"
            "v3-ObservationInterpretation','code':'H'}]}],\n"
            "   "
            "'referenceRange':[{'low':{'value':0.6,'unit':'mg/dL'},'high':{'value':1.2,'unit':'mg/dL'}}]}},\n"
            " {'resource':{'resourceType':'Observation','id':'o2','status':'final','code':{'coding':[{'"
            "system':'http://loinc.org','code':'2160-0'}]},\n"
            "   "
            "'subject':{'reference':'http://example.org/fhir/Patient/p1/_history/"
            "3'},'effectivePeriod':{'start':'2021-05-06T08:00:00Z'},'valueQuantity':{'value':106,'code':'"
            "umol/L','system':'http://unitsofmeasure.org'}}},\n"
            " {'resource':{'resourceType':'Medication','id':'m1','code':{'coding':[{'system':'http://"
            "www.nlm.nih.gov/research/umls/rxnorm','code':'197361'}]}}},\n"
            " {'resource':{'resourceType':'MedicationStatement','id':'s1','status':'active','"
            "medicationReference':{'reference':'Medication/m1'},\n"
            "   "
            "'subject':{'reference':'Patient/"
            "p1'},'effectivePeriod':{'start':'2019-01-01','end':'2019-06-30'}}},\n"
            " {'resource':{'resourceType':'Observation','id':'o3','status':'final','code':{'text':'group "
            "measure'},'subject':{'reference':'Group/g1'}}},\n"
            " {'resource':{'resourceType':'Observation','id':'o4','status':'final','code':{'text':'falls in "
            "a "
            "year'},'subject':{'reference':'Patient/p1'},'valueInteger':3}}\n"
            "]}");
        const auto collection
            = readFhirText(std::string_view(searchset.constData(), searchset.size()), "search.json");
        QVERIFY2(collection.has_value(), collection ? "" : collection.error().message().c_str());
        QCOMPARE(collection->bundleType, std::string("searchset"));
        QCOMPARE(collection->patients.size(), std::size_t { 1 });
        const PatientRecord &record = collection->patients.front();
        QCOMPARE(record.patient.gender, std::string("female"));
        QCOMPARE(record.patient.birthDate->text, std::string("1950-04-02"));
        QCOMPARE(record.observations.size(), std::size_t { 3 });
        // valueInteger is a count: UCUM's unity.
        QCOMPARE(record.observations[2].quantity->value, 3.0);
        QCOMPARE(record.observations[2].quantity->unit, std::string("1"));
        QCOMPARE(record.observations[0].interpretation.at(0).codings.at(0).code, std::string("H"));
        QCOMPARE(record.observations[0].referenceRange.at(0).high->value, 1.2);
        QCOMPARE(record.observations[1].effective->text, std::string("2021-05-06T08:00:00Z"));
        QCOMPARE(record.observations[1].quantity->unit, std::string("umol/L"));
        QCOMPARE(record.medications.size(), std::size_t { 1 });
        QVERIFY(record.medications[0].medication.has("RxNorm", "197361"));
        QCOMPARE(record.medications[0].end->text, std::string("2019-06-30"));
        QCOMPARE(collection->unattachedResources, std::size_t { 1 });
        QCOMPARE(collection->warnings.size(), std::size_t { 1 });
        QCOMPARE(collection->resourceCounts.at("Observation"), std::size_t { 4 });
    }

    void refusesBadInput_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::addColumn<QString>("fileName");
        QTest::addColumn<QString>("expected"); // the whole message
        const QByteArray observationStart
            = json("{'resourceType':'Observation','id':'secret-id','status':'final','code':{'text':'x'},");
        QTest::newRow("truncated JSON")
            << (json("{'resourceType':'Patient','id':'p")) << "a.json"
            << "a.json: not valid JSON: " + QString("A string is opened, but never closed.");
        QTest::newRow("misspelled resourceType")
            << (json("{'resourceType':'Observaton'}")) << "a.json"
            << "a.json, resource: unknown resourceType 'Observaton': not a FHIR R4 resource";
        QTest::newRow("no resourceType") << (json("{'id':'x'}")) << "a.json"
                                         << "a.json, resource: resourceType is missing or not a string";
        QTest::newRow("an array, not a resource")
            << QByteArray("[1,2]") << "a.json"
            << "a.json, resource: a resource must be a JSON object, not an array";
        QTest::newRow("duplicate key inside a quantity")
            << observationStart + json("'valueQuantity':{'value':1.2,'value':12,'unit':'mg/dL'}}") << "a.json"
            << "a.json: a key appears twice in one object, so its value is ambiguous: valueQuantity.value "
               "(duplicate key)";
        QTest::newRow("duplicate key in a bundle entry")
            << QByteArray(json("{'resourceType':'Bundle','type':'collection','entry':[{'resource':{'"
                               "resourceType':'Patient','id':'a','id':'b'}}]}"))
            << "b.json"
            << "b.json: a key appears twice in one object, so "
               "its value is ambiguous: entry[0].resource.id "
               "(duplicate key)";
        // Past 16 keys the check moves to a hash set: a repeat of an early key and of a late one.
        QByteArray wide = "{\"resourceType\":\"Basic\"";
        for (int i = 0; i < 20; ++i)
            wide += ",\"k" + QByteArray::number(i) + "\":" + QByteArray::number(i);
        QTest::newRow("a repeat of the 3rd key after 21 keys")
            << wide + ",\"k1\":0}"
            << "w.json"
            << "w.json: a key appears twice in one object, so its value is ambiguous: k1 (duplicate key)";
        QTest::newRow("a repeat of the 20th key after 21 keys")
            << wide + ",\"k18\":0}"
            << "w.json"
            << "w.json: a key appears twice in one object, so its value is ambiguous: k18 (duplicate key)";
        QTest::newRow("a value that is a string")
            << observationStart + json("'valueQuantity':{'value':'1.2','unit':'mg/dL'}}") << "a.json"
            << "a.json, resource (Observation): valueQuantity.value is a string, expected a number";
        QTest::newRow("a quantity without a value")
            << observationStart + json("'valueQuantity':{'unit':'mg/dL'}}") << "a.json"
            << "a.json, resource (Observation): valueQuantity.value is missing: a Quantity without a value "
               "cannot be used";
        QTest::newRow("null for an element")
            << observationStart + json("'effectiveDateTime':null}") << "a.json"
            << "a.json, resource (Observation): effectiveDateTime is null; "
               "FHIR JSON leaves an absent element out";
        QTest::newRow("a date that is not a date")
            << observationStart + json("'effectiveDateTime':'28/03/2016'}") << "a.json"
            << "a.json, resource (Observation): effectiveDateTime is not a FHIR date or dateTime";
        QTest::newRow("a coding that is a string") << QByteArray(json(
            "{'resourceType':'Condition','code':{'coding':['I50.9']},'subject':{'reference':'Patient/x'}}"))
                                                   << "a.json"
                                                   << "a.json, resource (Condition): code.coding[0] is a "
                                                      "string, expected an object";
        QTest::newRow("an Observation without a code")
            << (json("{'resourceType':'Observation','status':'final'}")) << "a.json"
            << "a.json, resource (Observation): code is missing: an Observation must say what was observed";
        QTest::newRow("invalid UTF-8")
            << QByteArray("{\"resourceType\":\"Patient\",\"id\":\"\xff\xfe\"}") << "a.json"
            << "a.json: text is not valid UTF-8";
        QByteArray deep = json("{'resourceType':'Basic','extension':");
        for (int i = 0; i < 100; ++i)
            deep += json("[{'extension':");
        deep += "[]";
        for (int i = 0; i < 100; ++i)
            deep += "}]";
        deep += "}";
        QTest::newRow("nesting 200 deep")
            << deep << "a.json"
            << "a.json: JSON nested deeper than 64 levels (FhirReadLimits::maxDepth)";
        QTest::newRow("a bad NDJSON line is named")
            << QByteArray("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Patient\",\"id\":"
                          "\"b\"}\n{\"resourceType\":\"Patient\",\n")
            << "export.ndjson"
            << "export.ndjson, line 3: not valid JSON: "
                + QString("The JSON document has an improper structure: missing or superfluous commas, "
                          "braces, missing keys, etc.");
        QTest::newRow("a wrong type on an NDJSON line")
            << QByteArray("{\"resourceType\":\"Patient\",\"id\":\"a\"}\n{\"resourceType\":\"Encounter\","
                          "\"period\":[]}\n")
            << "p.ndjson"
            << "p.ndjson, line 2 (Encounter): period is an array, expected an object";
        QTest::newRow("a Bundle entry that is not an object")
            << QByteArray(json("{'resourceType':'Bundle','type':'collection','entry':[{'resource':{'"
                               "resourceType':'Patient','id':'a'}},7]}"))
            << "c.json"
            << "c.json, entry 2: a Bundle entry must be a "
               "JSON object";
    }

    void refusesBadInput()
    {
        QFETCH(QByteArray, text);
        QFETCH(QString, fileName);
        QFETCH(QString, expected);
        const auto collection
            = readFhirText(std::string_view(text.constData(), text.size()), fileName.toStdString());
        QVERIFY(!collection.has_value());
        QCOMPARE(QString::fromStdString(collection.error().message()), expected);
        // Never an identifier in the message.
        QVERIFY(!collection.error().message().contains("secret-id"));
    }

    void refusesFilesItCannotRead()
    {
        QTemporaryDir directory;
        const auto missing = readFhirFile(directory.filePath("absent.json").toStdString());
        QVERIFY(!missing.has_value());
        QCOMPARE(QString::fromStdString(missing.error().message()),
            QString("absent.json: the file does not exist"));
        writeFile(directory.filePath("empty.json"), {});
        const auto empty = readFhirFile(directory.filePath("empty.json").toStdString());
        QVERIFY(!empty.has_value());
        QCOMPARE(QString::fromStdString(empty.error().message()),
            QString("empty.json: the file is empty, not FHIR JSON"));
        const auto folder = readFhirFile(directory.path().toStdString());
        QVERIFY(!folder.has_value());
        QCOMPARE(folder.error().code, mosaic::ErrorCode::Unsupported);
        FhirReadLimits small;
        small.maxFileBytes = 1000;
        const auto large = readFhirFile(syntheaBundles().front().toStdString(), small);
        QVERIFY(!large.has_value());
        QCOMPARE(large.error().code, mosaic::ErrorCode::LimitExceeded);
    }
};

QTEST_APPLESS_MAIN(TestFhirReader)
#include "tst_fhir_reader.moc"
