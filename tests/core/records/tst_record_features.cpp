// SPDX-License-Identifier: Apache-2.0
// Derived record features on hand-built records whose expected values are worked out by hand in the
// comments (days since 1970-01-01, the conversion factors from their definitions: 1 [lb_av] =
// 0.45359237 kg, 1 [in_i] = 2.54 cm, creatinine 113.12 g/mol), and the specification's refusals.
// The index date of most cases is 2020-01-01T00:00:00Z, day 18,262 after the epoch.
#include "core/records/fhir_reader.h"
#include "core/records/molar_mass.h"
#include "core/records/record_features.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>

#include <cmath>
#include <map>

using namespace mosaic;
using namespace mosaic::records;

namespace {

const char *kPython = "/usr/bin/python3";

std::filesystem::path syntheaDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "records/synthea";
}

// The specification the Synthea comparison derives, and the same rules restated in Python.
const char *kSyntheaSpec = R"({"features": [
    {"name": "creat_latest", "derivation": "latest", "codes": ["LOINC|38483-4", "LOINC|2160-0"], "unit": "umol/L", "windowDays": 1095},
    {"name": "creat_mean", "derivation": "mean", "codes": ["LOINC|38483-4", "LOINC|2160-0"], "unit": "umol/L", "windowDays": 1095},
    {"name": "sbp_mean", "derivation": "mean", "codes": ["LOINC|8480-6"], "unit": "mm[Hg]", "windowDays": 365},
    {"name": "sbp_max", "derivation": "max", "codes": ["LOINC|8480-6"], "unit": "mm[Hg]", "windowDays": 365},
    {"name": "sbp_count", "derivation": "count", "codes": ["LOINC|8480-6"], "windowDays": 365},
    {"name": "weight_slope", "derivation": "slope", "codes": ["LOINC|29463-7"], "unit": "kg", "windowDays": 1095},
    {"name": "bmi", "derivation": "bmi", "windowDays": 365},
    {"name": "age", "derivation": "age"},
    {"name": "hf_ever", "derivation": "conditionPresent", "codes": ["SNOMED|88805009"]},
    {"name": "sinusitis_active", "derivation": "conditionPresent", "codes": ["SNOMED|444814009", "SNOMED|40055000"], "when": "active"},
    {"name": "statin_ever", "derivation": "medicationPresent", "codes": ["RxNorm|316672", "RxNorm|312961"]},
    {"name": "drug_active", "derivation": "medicationPresent", "codes": ["RxNorm|315971", "RxNorm|1719286", "RxNorm|316049", "RxNorm|313782"], "when": "active"}
]})";

// For each bundle and two index times (its last observation's time and its median one), prints the
// expected values as JSON: creatinine mg/dL -> umol/L by 10 / 113.12 * 1000, heights cm -> m by
// 1/100, slopes by least squares in Julian years, windows inclusive at both ends.
const char *kSyntheaTruth = R"PY(
import datetime, glob, json, math, os, sys
def ts(text): return int(datetime.datetime.fromisoformat(text.replace('Z', '+00:00')).timestamp())
def has(concept, system, codes):
    return any(c.get('system') == system and c.get('code') in codes for c in concept.get('coding', []))
LOINC, SNOMED, RXNORM = 'http://loinc.org', 'http://snomed.info/sct', 'http://www.nlm.nih.gov/research/umls/rxnorm'
YEAR = 365.25 * 86400
def samples(obs, codes, index, days, factor=1.0):
    out = []
    for order, r in enumerate(obs):
        t = ts(r['effectiveDateTime'])
        if t > index or (days and t < index - days * 86400): continue
        if has(r['code'], LOINC, codes) and 'valueQuantity' in r:
            out.append((t, order, r['valueQuantity']['value'] * factor))
        for c in r.get('component', []):
            if has(c['code'], LOINC, codes) and 'valueQuantity' in c:
                out.append((t, order, c['valueQuantity']['value'] * factor))
    return out
def latest(s): return max(s)[2] if s else float('nan')
def mean(s): return sum(v for _, _, v in s) / len(s) if s else float('nan')
def slope(s, index):
    if len(s) < 2: return float('nan')
    t = [(x - index) / YEAR for x, _, _ in s]; v = [y for _, _, y in s]
    tm = sum(t) / len(t); vm = sum(v) / len(v)
    var = sum((a - tm) ** 2 for a in t)
    return sum((a - tm) * (b - vm) for a, b in zip(t, v)) / var if var > 0 else float('nan')
def count(obs, codes, index, days):
    return sum(1 for r in obs if index - days * 86400 <= ts(r['effectiveDateTime']) <= index and
               (has(r['code'], LOINC, codes) or any(has(c['code'], LOINC, codes) for c in r.get('component', []))))
def present(items, system, codes, index, start_of, active_rule):
    for r in items:
        concept = r.get('code') or r.get('medicationCodeableConcept')
        if not has(concept, system, codes): continue
        start = start_of(r)
        if start is None or ts(start) > index: continue
        if active_rule is None or active_rule(r, index): return 1.0
    return 0.0
def condition_active(r, index):
    if 'abatementDateTime' in r: return ts(r['abatementDateTime']) > index
    return r['clinicalStatus']['coding'][0]['code'] not in ('inactive', 'remission', 'resolved')
def medication_active(r, index):
    return r['status'] not in ('stopped', 'completed', 'on-hold')
def civil(seconds): return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).date()
results = []
for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.json'))):
    with open(path, encoding='utf-8') as f:
        resources = [e['resource'] for e in json.load(f)['entry']]
    patient = next(r for r in resources if r['resourceType'] == 'Patient')
    obs = [r for r in resources if r['resourceType'] == 'Observation' and r['status'] not in ('entered-in-error', 'cancelled')]
    conditions = [r for r in resources if r['resourceType'] == 'Condition']
    meds = [r for r in resources if r['resourceType'] == 'MedicationRequest'
            and r['status'] not in ('entered-in-error', 'cancelled', 'draft')]
    times = sorted(obs, key=lambda r: ts(r['effectiveDateTime']))
    for index_text in (times[-1]['effectiveDateTime'], times[len(times) // 2]['effectiveDateTime']):
        index = ts(index_text)
        creat = samples(obs, {'38483-4', '2160-0'}, index, 1095, 10 / 113.12 * 1000)
        sbp = samples(obs, {'8480-6'}, index, 365)
        recorded = samples(obs, {'39156-5'}, index, 365)
        weight, height = samples(obs, {'29463-7'}, index, 365), samples(obs, {'8302-2'}, index, 365, 0.01)
        bmi = latest(recorded) if recorded else (latest(weight) / latest(height) ** 2 if weight and height else float('nan'))
        born, at = datetime.date.fromisoformat(patient['birthDate']), civil(index)
        age = at.year - born.year - ((at.month, at.day) < (born.month, born.day))
        if 'deceasedDateTime' in patient and ts(patient['deceasedDateTime']) < index:
            age = float('nan')
        onset = lambda r: r.get('onsetDateTime') or r.get('recordedDate')
        values = {
            'creat_latest': latest(creat), 'creat_mean': mean(creat), 'sbp_mean': mean(sbp),
            'sbp_max': max((v for _, _, v in sbp), default=float('nan')),
            'sbp_count': float(count(obs, {'8480-6'}, index, 365)),
            'weight_slope': slope(samples(obs, {'29463-7'}, index, 1095), index), 'bmi': bmi, 'age': float(age),
            'hf_ever': present(conditions, SNOMED, {'88805009'}, index, onset, None),
            'sinusitis_active': present(conditions, SNOMED, {'444814009', '40055000'}, index, onset, condition_active),
            'statin_ever': present(meds, RXNORM, {'316672', '312961'}, index, lambda r: r.get('authoredOn'), None),
            'drug_active': present(meds, RXNORM, {'315971', '1719286', '316049', '313782'}, index,
                                   lambda r: r.get('authoredOn'), medication_active),
        }
        results.append({'file': os.path.basename(path), 'index': index_text,
                         'values': {k: (None if math.isnan(v) else v) for k, v in values.items()}})
print(json.dumps(results))
)PY";

std::filesystem::path ucumTable()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "records/ucum/ucum-essence.xml";
}

ClinicalTime at(const char *text)
{
    const auto time = parseClinicalTime(text);
    Q_ASSERT(time.has_value());
    return *time;
}

CodeableConcept coded(std::string_view system, const char *code, const char *display = "")
{
    CodeableConcept concept_;
    concept_.codings.push_back({ std::string(system), code, display });
    return concept_;
}

Quantity quantity(double value, const char *unit)
{
    return Quantity { value, unit, std::string(kUcumSystem), unit };
}

Observation observation(const char *id, const char *code, const char *time, double value, const char *unit)
{
    Observation result;
    result.source = { "bundle.json", "Observation", id };
    result.status = "final";
    result.code = coded(kLoincSystem, code);
    result.effective = at(time);
    result.quantity = quantity(value, unit);
    return result;
}

QString qs(const std::string &text)
{
    return QString::fromStdString(text);
}

// 1 mg/dL of creatinine = 10 mg/L = 10 / 113.12 mmol/L = 88.40 umol/L.
constexpr double kCreatinineUmolPerMgDl = 10.0 / 113.12 * 1000.0;

} // namespace

class TestRecordFeatures : public QObject
{
    Q_OBJECT

private:
    std::optional<UcumUnits> m_units;
    ClinicalTime m_index;

    RecordFeatureSpec spec(const std::string &json)
    {
        auto parsed = RecordFeatureSpec::fromJson(json, "spec.json", *m_units);
        if (!parsed)
            qWarning("%s", parsed.error().message().c_str());
        Q_ASSERT(parsed.has_value());
        return std::move(*parsed);
    }

    double valueOf(const DerivedRecordFeatures &derived, const char *name)
    {
        return derived.values.value(*derived.values.schema().indexOf(name));
    }

    const Provenance &provenanceOf(const DerivedRecordFeatures &derived, const char *name)
    {
        return derived.values.provenance(*derived.values.schema().indexOf(name));
    }

    // Creatinine (LOINC 2160-0) rising 0.002 mg/dL per day over the year before the index, with one
    // value on each side of both window edges and one in a unit that is not a concentration.
    PatientRecord creatinineRecord()
    {
        PatientRecord record;
        // One second before index - 365 days: outside.
        record.observations.push_back(observation("cr-a", "2160-0", "2018-12-31T23:59:59Z", 0.9, "mg/dL"));
        // Exactly index - 365 days (day 17,897): inside. t = 0 d.
        record.observations.push_back(observation("cr-b", "2160-0", "2019-01-01T00:00:00Z", 1.0, "mg/dL"));
        // Day 18,079: t = 182 d, 1.0 + 0.002 * 182 = 1.364.
        record.observations.push_back(observation("cr-c", "2160-0", "2019-07-02", 1.364, "mg/dL"));
        // "mg" alone is a mass, not a concentration: skipped with a warning, still counted.
        record.observations.push_back(observation("cr-f", "2160-0", "2019-03-01", 7.0, "mg"));
        // 01:00 at +01:00 is exactly the index instant: inside. t = 365 d, 1.0 + 0.73 = 1.73.
        record.observations.push_back(
            observation("cr-d", "2160-0", "2020-01-01T01:00:00+01:00", 1.73, "mg/dL"));
        // One second after the index: outside.
        record.observations.push_back(observation("cr-e", "2160-0", "2020-01-01T00:00:01Z", 5.0, "mg/dL"));
        return record;
    }

private slots:
    void initTestCase()
    {
        auto units = UcumUnits::load(ucumTable());
        QVERIFY2(units.has_value(), units ? "" : units.error().message().c_str());
        m_units = std::move(*units);
        m_index = at("2020-01-01");
        QCOMPARE(qint64 { m_index.utcSeconds }, qint64 { 18262 } * 86400);
        QCOMPARE(molarMassForLoinc("2160-0").value_or(0.0), 113.12);
    }

    void aggregatesAWindowOfObservations()
    {
        const auto features = spec(
            R"({"features": [
            {"name": "creat_latest", "derivation": "latest", "codes": ["LOINC|2160-0"], "unit": "umol/L", "windowDays": 365},
            {"name": "creat_first", "derivation": "first", "codes": ["LOINC|2160-0"], "unit": "umol/L", "windowDays": 365},
            {"name": "creat_min", "derivation": "min", "codes": ["LOINC|2160-0"], "unit": "mg/dL", "windowDays": 365},
            {"name": "creat_max", "derivation": "max", "codes": ["LOINC|2160-0"], "unit": "mg/dL", "windowDays": 365},
            {"name": "creat_mean", "derivation": "mean", "codes": ["LOINC|2160-0"], "unit": "mg/dL", "windowDays": 365},
            {"name": "creat_slope", "derivation": "slope", "codes": [)"
            "\"http:\\/\\/loinc.org|2160-0\"" // by URI, slashes JSON-escaped: moc misreads // in raw strings
            R"(], "unit": "umol/L", "windowDays": 365},
            {"name": "creat_count", "derivation": "count", "codes": ["LOINC|2160-0"], "windowDays": 365},
            {"name": "creat_all", "derivation": "count", "codes": ["LOINC|2160-0"]}
        ]})");
        const auto derived = deriveRecordFeatures(creatinineRecord(), features, m_index, *m_units);

        // Latest: cr-d, 1.73 mg/dL * 88.40 = 152.93 umol/L.
        QVERIFY(std::abs(valueOf(derived, "creat_latest") - 1.73 * kCreatinineUmolPerMgDl) < 1e-9);
        QCOMPARE(qs(provenanceOf(derived, "creat_latest").source), QStringLiteral("Observation/cr-d"));
        QCOMPARE(qs(provenanceOf(derived, "creat_latest").location),
            QStringLiteral("2020-01-01, 1.73 mg/dL -> 152.9 umol/L"));
        // First: cr-b on the window's first second, 1.0 mg/dL = 88.40 umol/L.
        QVERIFY(std::abs(valueOf(derived, "creat_first") - kCreatinineUmolPerMgDl) < 1e-9);
        QCOMPARE(qs(provenanceOf(derived, "creat_first").source), QStringLiteral("Observation/cr-b"));
        QCOMPARE(valueOf(derived, "creat_min"), 1.0);
        QCOMPARE(valueOf(derived, "creat_max"), 1.73);
        // Mean of b, c, d: (1.0 + 1.364 + 1.73) / 3 = 4.094 / 3 = 1.364667 mg/dL.
        QVERIFY(std::abs(valueOf(derived, "creat_mean") - 4.094 / 3.0) < 1e-12);
        QCOMPARE(qs(provenanceOf(derived, "creat_mean").source),
            QStringLiteral("Observation/cr-b, Observation/cr-c, Observation/cr-d"));
        // The values lie on a line of 0.002 mg/dL per day: 0.002 * 365.25 = 0.7305 mg/dL per year,
        // * 88.40 = 64.58 umol/L per year.
        QVERIFY(std::abs(valueOf(derived, "creat_slope") - 0.7305 * kCreatinineUmolPerMgDl) < 1e-6);
        // Count: b, c, d and the unusable cr-f are in the window; a and e are not.
        QCOMPARE(valueOf(derived, "creat_count"), 4.0);
        // Without a window everything up to the index counts: a, b, c, f, d.
        QCOMPARE(valueOf(derived, "creat_all"), 5.0);

        // cr-f was reported, once for each value feature that met it (latest, first, min, max, mean,
        // slope), never used.
        std::size_t massWarnings = 0;
        for (const RecordFeatureWarning &warning : derived.warnings) {
            QCOMPARE(qs(warning.source), QStringLiteral("Observation/cr-f"));
            QVERIFY2(qs(warning.detail)
                         .startsWith(QStringLiteral("2019-03-01, 7 mg: 'mg' cannot be converted to ")),
                warning.detail.c_str());
            ++massWarnings;
        }
        QCOMPARE(massWarnings, std::size_t { 6 });

        // The schema carries modality and the canonical unit; a slope is per year.
        const FeatureSchema &schema = derived.values.schema();
        QCOMPARE(schema.at(0).modality, Modality::Records);
        QCOMPARE(qs(schema.at(0).unit), QStringLiteral("umol/L"));
        QCOMPARE(qs(schema.at(5).unit), QStringLiteral("umol/L/a"));
        QCOMPARE(qs(schema.at(6).unit), QString());
    }

    void aWindowWithoutValuesIsMissing()
    {
        const auto features = spec(R"({"features": [
            {"name": "creat_latest", "derivation": "latest", "codes": ["LOINC|2160-0"], "unit": "umol/L", "windowDays": 30},
            {"name": "creat_slope", "derivation": "slope", "codes": ["LOINC|2160-0"], "unit": "umol/L", "windowDays": 30}
        ]})");
        PatientRecord record = creatinineRecord();
        record.observations.erase(record.observations.begin() + 4); // only cr-e is left near the index
        const auto derived = deriveRecordFeatures(record, features, m_index, *m_units);
        QVERIFY(derived.values.isMissing(0));
        QVERIFY(derived.values.isMissing(1));
        QVERIFY(qs(derived.values.provenance(0).location).contains(QStringLiteral("no usable value")));
        // One value is no slope: with cr-d back, the 30-day window holds only it.
        const auto single = deriveRecordFeatures(creatinineRecord(), features, m_index, *m_units);
        QVERIFY(!single.values.isMissing(0));
        QVERIFY(single.values.isMissing(1));
    }

    void readsComponentsAndRefusesUnknownUnits()
    {
        PatientRecord record;
        Observation panel;
        panel.source = { "bundle.json", "Observation", "bp-1" };
        panel.status = "final";
        panel.code = coded(kLoincSystem, "85354-9", "Blood pressure panel");
        panel.effective = at("2019-06-01");
        panel.components.push_back({ coded(kLoincSystem, "8480-6"), quantity(130, "mm[Hg]"), {}, {}, {} });
        panel.components.push_back({ coded(kLoincSystem, "8462-4"), quantity(80, "mm[Hg]"), {}, {}, {} });
        record.observations.push_back(panel);
        record.observations.push_back(observation("sbp-2", "8480-6", "2019-09-01", 150, "mm[Hg]"));
        // "mmHg" is the printed symbol, not a UCUM code: reported, not read as 999 mm[Hg].
        record.observations.push_back(observation("sbp-3", "8480-6", "2019-10-01", 999, "mmHg"));
        // Entered in error: ignored without a word.
        Observation retracted = observation("sbp-4", "8480-6", "2019-11-01", 500, "mm[Hg]");
        retracted.status = "entered-in-error";
        record.observations.push_back(retracted);
        // A non-UCUM unit system is not trusted either.
        Observation local = observation("sbp-5", "8480-6", "2019-11-02", 400, "mm[Hg]");
        local.quantity->system = "http://example.org/units";
        record.observations.push_back(local);

        const auto features = spec(R"({"features": [
            {"name": "sbp_mean", "derivation": "mean", "codes": ["LOINC|8480-6"], "unit": "mm[Hg]", "windowDays": 365},
            {"name": "sbp_kpa", "derivation": "max", "codes": ["LOINC|8480-6"], "unit": "kPa", "windowDays": 365}
        ]})");
        const auto derived = deriveRecordFeatures(record, features, m_index, *m_units);
        // (130 + 150) / 2 = 140 mm[Hg].
        QCOMPARE(valueOf(derived, "sbp_mean"), 140.0);
        QVERIFY(qs(provenanceOf(derived, "sbp_mean").source).contains(QStringLiteral("Observation/bp-1")));
        // 150 mm[Hg] = 150 * 133.322 Pa (UCUM: 1 mm[Hg] = 133.3220 Pa) = 19.998 kPa.
        QVERIFY(std::abs(valueOf(derived, "sbp_kpa") - 150 * 0.133322) < 1e-3);
        QCOMPARE(derived.warnings.size(), std::size_t { 4 }); // sbp-3 and sbp-5, for each feature
        QCOMPARE(qs(derived.warnings[0].feature), QStringLiteral("sbp_mean"));
        QCOMPARE(qs(derived.warnings[0].source), QStringLiteral("Observation/sbp-3"));
        QCOMPARE(qs(derived.warnings[1].source), QStringLiteral("Observation/sbp-5"));
        QVERIFY(qs(derived.warnings[1].detail).contains(QStringLiteral("not a UCUM code")));
    }

    void derivesBmi()
    {
        const auto features = spec(R"({"features": [
            {"name": "bmi", "derivation": "bmi", "windowDays": 365}
        ]})");
        PatientRecord record;
        // Older than the window: not used.
        record.observations.push_back(observation("w-old", "29463-7", "2018-06-01", 70, "kg"));
        // 176 [lb_av] = 176 * 0.45359237 = 79.83226 kg; 70 [in_i] = 1.778 m; 1.778^2 = 3.161284;
        // 79.83226 / 3.161284 = 25.2531 kg/m2.
        record.observations.push_back(observation("w-1", "29463-7", "2019-05-01", 176, "[lb_av]"));
        record.observations.push_back(observation("h-1", "8302-2", "2019-05-01", 70, "[in_i]"));
        auto derived = deriveRecordFeatures(record, features, m_index, *m_units);
        QVERIFY(std::abs(derived.values.value(0) - (176 * 0.45359237) / (1.778 * 1.778)) < 1e-9);
        QCOMPARE(qs(derived.values.provenance(0).source), QStringLiteral("Observation/w-1, Observation/h-1"));
        QCOMPARE(derived.values.schema().at(0).unit, std::string("kg/m2"));

        // A recorded BMI (LOINC 39156-5) in the window is used as it is.
        record.observations.push_back(observation("bmi-1", "39156-5", "2019-02-01", 31.2, "kg/m2"));
        derived = deriveRecordFeatures(record, features, m_index, *m_units);
        QCOMPARE(derived.values.value(0), 31.2);
        QCOMPARE(qs(derived.values.provenance(0).source), QStringLiteral("Observation/bmi-1"));

        // Weight without height: missing.
        PatientRecord weightOnly;
        weightOnly.observations.push_back(observation("w-1", "29463-7", "2019-05-01", 80, "kg"));
        derived = deriveRecordFeatures(weightOnly, features, m_index, *m_units);
        QVERIFY(derived.values.isMissing(0));
    }

    void derivesAgeInCompletedYears_data()
    {
        QTest::addColumn<QString>("birth");
        QTest::addColumn<QString>("index");
        QTest::addColumn<double>("years");
        QTest::newRow("the day before the birthday") << "1956-08-03"
                                                     << "2020-08-02" << 63.0; // 2020 - 1956 - 1
        QTest::newRow("on the birthday") << "1956-08-03"
                                         << "2020-08-03" << 64.0;
        QTest::newRow("a 29 February birthday on 28 February") << "2000-02-29"
                                                               << "2021-02-28" << 20.0;
        QTest::newRow("a 29 February birthday on 1 March") << "2000-02-29"
                                                           << "2021-03-01" << 21.0;
        // 1990 - 1921 - 1: the birthday is a day later.
        QTest::newRow("born before 1970") << "1921-05-03"
                                          << "1990-05-02" << 68.0;
        QTest::newRow("an index with a time zone") << "1956-08-03"
                                                   << "2020-08-03T00:30:00+02:00" << 63.0;
    }

    void derivesAgeInCompletedYears()
    {
        QFETCH(QString, birth);
        QFETCH(QString, index);
        QFETCH(double, years);
        PatientRecord record;
        record.patient.birthDate = parseClinicalTime(birth.toStdString());
        const auto features = spec(R"({"features": [{"name": "age", "derivation": "age"}]})");
        const auto derived
            = deriveRecordFeatures(record, features, *parseClinicalTime(index.toStdString()), *m_units);
        QCOMPARE(derived.values.value(0), years);
        QCOMPARE(derived.values.schema().at(0).unit, std::string("a"));
        QVERIFY2(
            !qs(derived.values.provenance(0).location).contains(birth), "the birth date is an identifier");
    }

    void ageBeforeBirthIsMissing()
    {
        PatientRecord record;
        record.patient.birthDate = at("2021-01-01");
        const auto features = spec(R"({"features": [{"name": "age", "derivation": "age"}]})");
        const auto derived = deriveRecordFeatures(record, features, m_index, *m_units);
        QVERIFY(derived.values.isMissing(0));
        QCOMPARE(derived.warnings.size(), std::size_t { 1 });
        QVERIFY(deriveRecordFeatures(PatientRecord {}, features, m_index, *m_units).values.isMissing(0));
    }

    void ageAfterDeathIsMissing()
    {
        // Born 1913-01-13, died 1998-11-24: at 1998-11-01 aged 85, at 2011-06-01 no age (not 98).
        PatientRecord record;
        record.patient.birthDate = at("1913-01-13");
        record.patient.deceased = at("1998-11-24");
        record.patient.deceasedFlag = true;
        const auto features = spec(R"({"features": [{"name": "age", "derivation": "age"}]})");
        QCOMPARE(deriveRecordFeatures(record, features, at("1998-11-01"), *m_units).values.value(0), 85.0);
        const auto after = deriveRecordFeatures(record, features, at("2011-06-01"), *m_units);
        QVERIFY(after.values.isMissing(0));
        QCOMPARE(after.warnings.size(), std::size_t { 1 });
        QCOMPARE(after.warnings[0].detail, std::string("the index date is after the recorded death"));
    }

    void findsConditionsAndMedications()
    {
        PatientRecord record;
        auto condition = [&](const char *id, std::string_view system, const char *code, const char *onset,
                             const char *abatement, const char *status) {
            Condition result;
            result.source = { "bundle.json", "Condition", id };
            result.code = coded(system, code);
            result.onset = at(onset);
            if (abatement)
                result.abatement = at(abatement);
            result.clinicalStatus = status;
            record.conditions.push_back(result);
        };
        condition("htn", kSnomedSystem, "38341003", "2009-05-01", "2013-06-30", "resolved");
        condition("dm", kSnomedSystem, "44054006", "2015-03-01", nullptr, "active");
        condition("hf", kIcd10System, "I50.9", "2021-01-01", nullptr, "active"); // after the index
        condition("ckd", kSnomedSystem, "431855005", "2016-01-01", nullptr, "resolved"); // no end date
        condition("af", kSnomedSystem, "49436004", "2017-01-01", nullptr, "active");
        record.conditions.back().verificationStatus = "refuted";
        auto medication
            = [&](const char *id, const char *code, const char *start, const char *end, const char *status) {
                  MedicationRecord result;
                  result.source = { "bundle.json", "MedicationRequest", id };
                  result.medication = coded(kRxNormSystem, code);
                  result.start = at(start);
                  if (end)
                      result.end = at(end);
                  result.status = status;
                  record.medications.push_back(result);
              };
        medication("lis", "314076", "2012-01-20", "2012-07-20", "completed");
        medication("met", "860975", "2015-03-01", nullptr, "active");
        medication("sim", "312961", "2016-01-01", nullptr, "stopped");

        const auto features = spec(R"({"features": [
            {"name": "htn_ever", "derivation": "conditionPresent", "codes": ["SNOMED|38341003"]},
            {"name": "htn_active", "derivation": "conditionPresent", "codes": ["SNOMED|38341003"], "when": "active"},
            {"name": "dm_active", "derivation": "conditionPresent", "codes": ["SNOMED|44054006", "ICD-10|E11*"], "when": "active"},
            {"name": "hf_ever", "derivation": "conditionPresent", "codes": ["ICD-10|I50*"], "when": "ever"},
            {"name": "ckd_ever", "derivation": "conditionPresent", "codes": ["SNOMED|431855005"]},
            {"name": "ckd_active", "derivation": "conditionPresent", "codes": ["SNOMED|431855005"], "when": "active"},
            {"name": "af_ever", "derivation": "conditionPresent", "codes": ["SNOMED|49436004"]},
            {"name": "ace_ever", "derivation": "medicationPresent", "codes": ["RxNorm|314076"]},
            {"name": "ace_active", "derivation": "medicationPresent", "codes": ["RxNorm|314076"], "when": "active"},
            {"name": "metformin_active", "derivation": "medicationPresent", "codes": ["RxNorm|860975"], "when": "active"},
            {"name": "statin_active", "derivation": "medicationPresent", "codes": ["RxNorm|312961"], "when": "active"}
        ]})");
        const auto derived = deriveRecordFeatures(record, features, m_index, *m_units);
        QCOMPARE(valueOf(derived, "htn_ever"), 1.0);
        QCOMPARE(qs(provenanceOf(derived, "htn_ever").source), QStringLiteral("Condition/htn"));
        QCOMPARE(qs(provenanceOf(derived, "htn_ever").location),
            QStringLiteral("onset 2009-05-01, http://snomed.info/sct|38341003; on or before 2020-01-01"));
        QCOMPARE(valueOf(derived, "htn_active"), 0.0); // abated 2013-06-30, before the index
        QCOMPARE(valueOf(derived, "dm_active"), 1.0);
        QCOMPARE(valueOf(derived, "hf_ever"), 0.0); // onset after the index
        QCOMPARE(valueOf(derived, "ckd_ever"), 1.0);
        QCOMPARE(valueOf(derived, "ckd_active"), 0.0); // resolved at an unknown date
        QCOMPARE(valueOf(derived, "af_ever"), 0.0); // refuted
        QCOMPARE(valueOf(derived, "ace_ever"), 1.0);
        QCOMPARE(valueOf(derived, "ace_active"), 0.0); // ended 2012-07-20
        QCOMPARE(valueOf(derived, "metformin_active"), 1.0);
        QCOMPARE(valueOf(derived, "statin_active"), 0.0); // stopped, no end date
        QCOMPARE(qs(derived.values.schema().at(0).unit), QString());

        // One day after the heart-failure onset the prefix I50* finds I50.9; while the condition is
        // open, the active rule counts it too.
        const auto later = deriveRecordFeatures(record, features, at("2021-01-02"), *m_units);
        QCOMPARE(valueOf(later, "hf_ever"), 1.0);
        QCOMPARE(valueOf(later, "htn_active"), 0.0);
        // While hypertension was open (before its abatement), it was active.
        const auto earlier = deriveRecordFeatures(record, features, at("2013-06-29"), *m_units);
        QCOMPARE(valueOf(earlier, "htn_active"), 1.0);
        QCOMPARE(valueOf(earlier, "ace_active"), 0.0);
        QCOMPARE(
            valueOf(deriveRecordFeatures(record, features, at("2012-03-01"), *m_units), "ace_active"), 1.0);
    }

    void refusesBadSpecifications_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("location");
        QTest::addColumn<QString>("detail");
        QTest::newRow("not JSON") << "{\"features\": ["
                                  << "spec.json"
                                  << "not valid JSON";
        QTest::newRow("no features") << "{\"features\": []}"
                                     << "spec.json, features"
                                     << "non-empty array";
        QTest::newRow("an unknown top-level key") << "{\"feature\": []}"
                                                  << "spec.json"
                                                  << "unknown key \"feature\"";
        QTest::newRow("a duplicate key")
            << R"({"features": [{"name": "a", "derivation": "age", "name": "b"}]})"
            << "spec.json"
            << "appears twice";
        QTest::newRow("an unknown derivation")
            << R"({"features": [{"name": "a", "derivation": "median", "codes": ["LOINC|1-8"], "unit": "g"}]})"
            << "spec.json, features[0].derivation"
            << "must be one of";
        QTest::newRow("a value feature without a unit")
            << R"({"features": [{"name": "a", "derivation": "latest", "codes": ["LOINC|1-8"]}]})"
            << "spec.json, features[0]"
            << "canonical UCUM";
        QTest::newRow("a unit that is not UCUM")
            << R"({"features": [{"name": "a", "derivation": "latest", "codes": ["LOINC|1-8"], "unit": "mmHg"}]})"
            << "spec.json, features[0].unit"
            << "not a UCUM unit";
        QTest::newRow("a code without its system")
            << R"({"features": [{"name": "a", "derivation": "latest", "codes": ["2160-0"], "unit": "g"}]})"
            << "spec.json, features[0].codes[0]"
            << "system|code";
        QTest::newRow("a star inside a code")
            << R"({"features": [{"name": "a", "derivation": "count", "codes": ["ICD-10|I*50"]}]})"
            << "spec.json, features[0].codes[0]"
            << "may only end";
        QTest::newRow("a fractional window")
            << R"({"features": [{"name": "a", "derivation": "count", "codes": ["LOINC|1-8"], "windowDays": 1.5}]})"
            << "spec.json, features[0].windowDays"
            << "whole number";
        QTest::newRow("a zero window")
            << R"({"features": [{"name": "a", "derivation": "count", "codes": ["LOINC|1-8"], "windowDays": 0}]})"
            << "spec.json, features[0].windowDays"
            << "whole number";
        QTest::newRow("when on a lab value")
            << R"({"features": [{"name": "a", "derivation": "latest", "codes": ["LOINC|1-8"], "unit": "g", "when": "active"}]})"
            << "spec.json, features[0].when"
            << "only condition and medication";
        QTest::newRow("a presence rule that is neither")
            << R"({"features": [{"name": "a", "derivation": "conditionPresent", "codes": ["SNOMED|1"], "when": "now"}]})"
            << "spec.json, features[0].when"
            << "\"ever\"";
        QTest::newRow("a unit on a count")
            << R"({"features": [{"name": "a", "derivation": "count", "codes": ["LOINC|1-8"], "unit": "1"}]})"
            << "spec.json, features[0].unit"
            << "has no unit";
        QTest::newRow("an age in months")
            << R"({"features": [{"name": "a", "derivation": "age", "unit": "mo"}]})"
            << "spec.json, features[0].unit"
            << "completed years";
        QTest::newRow("a BMI in kilograms")
            << R"({"features": [{"name": "a", "derivation": "bmi", "unit": "kg"}]})"
            << "spec.json, features[0].unit"
            << "commensurable with kg/m2";
        QTest::newRow("two features of one name")
            << R"({"features": [{"name": "a", "derivation": "age"}, {"name": "a", "derivation": "bmi"}]})"
            << "spec.json, features[1].name"
            << "earlier feature";
        QTest::newRow("a misspelt key")
            << R"({"features": [{"name": "a", "derivation": "count", "code": ["LOINC|1-8"]}]})"
            << "spec.json, features[0]"
            << "unknown key \"code\"";
        QTest::newRow("codes on an age")
            << R"({"features": [{"name": "a", "derivation": "age", "codes": ["LOINC|1-8"]}]})"
            << "spec.json, features[0].codes"
            << "not used";
    }

    void agreesWithPythonOnSynthea()
    {
        if (!std::filesystem::is_directory(syntheaDir()) || !QFile::exists(QString::fromLatin1(kPython)))
            QSKIP("the shared Synthea bundles or /usr/bin/python3 are not available");
        QProcess python;
        python.start(QString::fromLatin1(kPython),
            { QStringLiteral("-c"), QString::fromLatin1(kSyntheaTruth),
                QString::fromStdString(syntheaDir().string()) });
        QVERIFY(python.waitForFinished(300000));
        QVERIFY2(python.exitCode() == 0, python.readAllStandardError().constData());
        const QJsonArray cases = QJsonDocument::fromJson(python.readAllStandardOutput()).array();
        QCOMPARE(cases.size(), 120); // 60 bundles, two index times each

        const auto features = spec(kSyntheaSpec);
        std::map<std::string, std::size_t> present; // how many cases have a value, per feature
        std::map<std::string, std::size_t> ones; // how many cases find a condition or medication
        for (const QJsonValue &entry : cases) {
            const QJsonObject object = entry.toObject();
            const std::string file = object.value(QStringLiteral("file")).toString().toStdString();
            const auto index
                = parseClinicalTime(object.value(QStringLiteral("index")).toString().toStdString());
            QVERIFY(index.has_value());
            const auto collection = readFhirFile(syntheaDir() / file);
            QVERIFY2(collection.has_value(), collection ? "" : collection.error().message().c_str());
            const auto derived = deriveRecordFeatures(collection->patients.at(0), features, *index, *m_units);
            // Synthea writes observations after death (the death certificate): the only warning
            // expected is the missing age there, which the Python truth also leaves out.
            for (const RecordFeatureWarning &warning : derived.warnings)
                QCOMPARE(warning.detail, std::string("the index date is after the recorded death"));
            const QJsonObject expected = object.value(QStringLiteral("values")).toObject();
            for (std::size_t position = 0; position < features.features().size(); ++position) {
                const std::string &name = features.features()[position].name;
                const QJsonValue truth = expected.value(QString::fromStdString(name));
                const double value = derived.values.value(position);
                const QByteArray where = QByteArray::fromStdString(file + " at " + index->text + ": " + name);
                if (truth.isNull()) {
                    QVERIFY2(std::isnan(value), where.constData());
                    continue;
                }
                ++present[name];
                if (truth.toDouble() == 1.0)
                    ++ones[name];
                QVERIFY2(
                    std::abs(value - truth.toDouble()) <= 1e-9 * std::max(1.0, std::abs(truth.toDouble())),
                    (where + " = " + QByteArray::number(value, 'g', 17) + ", Python "
                        + QByteArray::number(truth.toDouble(), 'g', 17))
                        .constData());
            }
        }
        // The comparison is not vacuous: every feature has values in many cases.
        // Python finds the conditions and medications in 15 to 44 of the 120 cases.
        for (const RecordFeatureDefinition &feature : features.features()) {
            QVERIFY2(present[feature.name] >= 10, feature.name.c_str());
            if (feature.derivation == RecordDerivation::ConditionPresent
                || feature.derivation == RecordDerivation::MedicationPresent)
                QVERIFY2(ones[feature.name] >= 10 && ones[feature.name] <= 110, feature.name.c_str());
        }
    }

    void refusesBadSpecifications()
    {
        QFETCH(QString, json);
        QFETCH(QString, location);
        QFETCH(QString, detail);
        const auto parsed = RecordFeatureSpec::fromJson(json.toStdString(), "spec.json", *m_units);
        QVERIFY(!parsed.has_value());
        QCOMPARE(qs(parsed.error().location), location);
        QVERIFY2(qs(parsed.error().detail).contains(detail), parsed.error().detail.c_str());
    }
};

QTEST_APPLESS_MAIN(TestRecordFeatures)
#include "tst_record_features.moc"
