// SPDX-License-Identifier: Apache-2.0
// The model specification: a full specification read, its schema in section order and its canonical
// text read back; every malformed one refused with the exact message (file and JSON path).
#include "core/fusion/model_spec.h"

#include <QTest>

#include <memory>
#include <string>

using namespace mosaic;

namespace {

const std::filesystem::path kSource = MOSAIC_SOURCE_DIR;

std::shared_ptr<const records::UcumUnits> units()
{
    static const auto loaded = [] {
        auto table = records::UcumUnits::load(kSource / "resources" / "ucum" / "ucum-essence.xml");
        return table ? std::make_shared<const records::UcumUnits>(std::move(*table)) : nullptr;
    }();
    return loaded;
}

// A specification with every section; tests below replace parts of it.
const std::string kFull = R"({
  "format": "mosaic-model-spec", "version": 1,
  "name": "Lung metastasis in soft-tissue sarcoma",
  "task": {"type": "binary", "label": "outcome", "outcome": "lung metastasis during follow-up",
           "classes": ["no metastasis", "metastasis"]},
  "imaging": {"roi": "GTV_Mass_PET", "settings_file": "resources/radiomics/sts_pet.json",
              "features": ["morph_volume", "stat_mean"]},
  "genomics": {"build": "GRCh38",
               "variants": [{"name": "rs4244285_A", "chromosome": "chr10", "position": 94781859,
                             "allele": "A", "reference": "G", "description": "CYP2C19*2 allele copies"}],
               "pgx": [{"name": "CYP2C19_phenotype", "gene": "CYP2C19"}]},
  "records": {"features": [{"name": "body_weight", "derivation": "latest", "codes": ["LOINC|29463-7"], "unit": "kg"},
                           {"name": "age", "derivation": "age"}],
              "index_date": "2020-01-01"},
  "table": {"features": [{"name": "apoe_e4", "modality": "genomics", "unit": "", "description": "APOE e4 copies"}]},
  "subgroups": ["sex"],
  "training": {"folds": 5, "repeats": 2},
  "abstention": {"band": [0.4, 0.6]},
  "intended_use": "research", "limitations": "51 patients"
})";

} // namespace

class TestModelSpec : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(units() != nullptr, "the UCUM table resources/ucum/ucum-essence.xml loads");
    }

    void fullSpecification()
    {
        auto spec = ModelSpec::fromJson(kFull, "spec.json", kSource, units());
        QVERIFY2(spec.has_value(), spec ? "" : spec.error().message().c_str());
        QCOMPARE(spec->name, std::string("Lung metastasis in soft-tissue sarcoma"));
        QVERIFY(spec->task.type == TaskType::Binary);
        QCOMPARE(spec->task.label, std::string("outcome"));
        QCOMPARE(spec->task.classCount(), std::size_t { 2 });
        QCOMPARE(spec->task.parseLabel("1"), std::optional<int>(1));
        QCOMPARE(spec->task.parseLabel("no metastasis"), std::optional<int>(0));
        QCOMPARE(spec->task.parseLabel("2"), std::optional<int>());
        QCOMPARE(spec->task.parseLabel("01x"), std::optional<int>());
        // The settings file is resources/radiomics/sts_pet.json: 3 mm isotropic, bins of 0.5 SUV.
        QCOMPARE(spec->imaging->settings.discretisation.binWidth, 0.5);
        QCOMPARE(spec->imaging->settings.resampling.spacingMm.value()[0], 3.0);
        QCOMPARE(spec->records->indexDate->text, std::string("2020-01-01"));
        QCOMPARE(spec->trainingJson, std::string(R"({"folds":5,"repeats":2})"));
        QCOMPARE(spec->abstentionJson, std::string(R"({"band":[0.4,0.6]})"));
        QCOMPARE(spec->subgroups, std::vector<std::string> { "sex" });

        // Imaging, genomics, records, then table features, each in specification order.
        auto schema = spec->schema();
        QVERIFY(schema.has_value());
        const std::vector<std::string> names { "img_morph_volume", "img_stat_mean", "rs4244285_A",
            "CYP2C19_phenotype", "body_weight", "age", "apoe_e4" };
        QCOMPARE(schema->names(), names);
        const std::vector<Modality> modalities { Modality::Imaging, Modality::Imaging, Modality::Genomics,
            Modality::Genomics, Modality::Records, Modality::Records, Modality::Genomics };
        for (std::size_t i = 0; i < names.size(); ++i)
            QVERIFY(schema->at(i).modality == modalities[i]);
        QCOMPARE(schema->at(4).unit, std::string("kg"));
        QCOMPARE(schema->at(5).unit, std::string("a"));
        QCOMPARE(schema->at(6).description, std::string("APOE e4 copies"));
    }

    void canonicalTextReadsBack()
    {
        auto spec = ModelSpec::fromJson(kFull, "spec.json", kSource, units());
        QVERIFY(spec.has_value());
        const std::string text = spec->toJson();
        // The settings file is inlined: the bundle does not depend on a file beside it.
        QVERIFY(text.find("settings_file") == std::string::npos);
        auto again = ModelSpec::fromJson(text, "bundle.json", kSource, units());
        QVERIFY2(again.has_value(), again ? "" : again.error().message().c_str());
        QCOMPARE(again->toJson(), text);
        QCOMPARE(again->imaging->settings, spec->imaging->settings);
        QCOMPARE(again->schema()->names(), spec->schema()->names());
        QCOMPARE(again->records->indexDate->utcSeconds, spec->records->indexDate->utcSeconds);
    }

    void allColumnsResolveAgainstTheManifest()
    {
        const std::string text = R"({"format": "mosaic-model-spec", "version": 1,
            "task": {"type": "multiclass", "label": "subtype", "classes": ["ALL", "AML", "CLL"]},
            "table": {"all_columns": "records", "exclude": ["TIME"]}, "subgroups": ["sex"]})";
        auto spec = ModelSpec::fromJson(text, "spec.json", {});
        QVERIFY(spec.has_value());
        QCOMPARE(spec->task.classCount(), std::size_t { 3 });
        QCOMPARE(spec->task.parseLabel("AML"), std::optional<int>(1));
        QCOMPARE(spec->task.parseLabel("2"), std::optional<int>(2));
        QCOMPARE(spec->task.parseLabel("3"), std::optional<int>());
        const auto unresolved = spec->schema();
        QVERIFY(!unresolved.has_value());
        QVERIFY(unresolved.error().code == ErrorCode::InvalidArgument);
        // patient, group and subtype are reserved, sex is a subgroup, TIME is excluded.
        const std::vector<std::string> header { "patient", "sex", "creatinine", "group", "TIME", "subtype",
            "sodium" };
        auto schema = spec->schema(header);
        QVERIFY(schema.has_value());
        QCOMPARE(schema->names(), (std::vector<std::string> { "creatinine", "sodium" }));
        QVERIFY(schema->at(1).modality == Modality::Records);
    }

    void refused_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("code");
        const QString task = R"("task": {"type": "binary", "label": "outcome"})";
        const QString head = R"({"format": "mosaic-model-spec", "version": 1, )";
        const QString table = R"("table": {"features": [{"name": "x", "modality": "records"}]})";
        const auto malformed = static_cast<int>(ErrorCode::Malformed);

        QTest::newRow("not JSON") << "{\"format\": "
                                  << "" << malformed;
        QTest::newRow("not an object") << "[1]"
                                       << "spec.json: a model specification is a JSON object" << malformed;
        QTest::newRow("unknown top-level key")
            << head + task + ", " + table + R"(, "colour": "red"})"
            << "spec.json, colour: unknown key (known here: format, version, name, task, imaging, genomics, "
               "records, table, subgroups, training, abstention, intended_use, limitations)"
            << malformed;
        QTest::newRow("duplicate key")
            << head + R"("task": {"type": "binary", "label": "outcome", "label": "death"}, )" + table + "}"
            << "spec.json, task.label: the key appears twice in one object" << malformed;
        QTest::newRow("wrong format")
            << R"({"format": "mosaic-schema", "version": 1, )" + task + ", " + table + "}"
            << "spec.json, format: must be \"mosaic-model-spec\"" << malformed;
        QTest::newRow("future version")
            << R"({"format": "mosaic-model-spec", "version": 2, )" + task + ", " + table + "}"
            << "spec.json, version: version 2 is not supported (this reader knows 1)"
            << static_cast<int>(ErrorCode::Unsupported);
        QTest::newRow("no task") << head + table + "}"
                                 << "spec.json, task: is required" << malformed;
        QTest::newRow("task type") << head + R"("task": {"type": "regression", "label": "y"}, )" + table + "}"
                                   << "spec.json, task.type: must be \"binary\" or \"multiclass\""
                                   << malformed;
        QTest::newRow("task without label")
            << head + R"("task": {"type": "binary"}, )" + table + "}"
            << "spec.json, task.label: is required (the manifest column of the reference label)" << malformed;
        QTest::newRow("multiclass with one class")
            << head + R"("task": {"type": "multiclass", "label": "y", "classes": ["ALL"]}, )" + table + "}"
            << "spec.json, task.classes: a multiclass task names at least two classes" << malformed;
        QTest::newRow("class named twice")
            << head + R"("task": {"type": "multiclass", "label": "y", "classes": ["ALL", "AML", "ALL"]}, )"
                + table + "}"
            << "spec.json, task.classes[2]: \"ALL\" is listed twice" << malformed;
        QTest::newRow("label is a file column")
            << head + R"("task": {"type": "binary", "label": "image"}, )" + table + "}"
            << "spec.json, task.label: \"image\" is a reserved manifest column" << malformed;
        QTest::newRow("no feature section")
            << head + task + "}"
            << "spec.json: the specification has no feature section (imaging, genomics, records or table)"
            << malformed;
        QTest::newRow("imaging settings and settings_file")
            << head + task
                + R"(, "imaging": {"settings": {}, "settings_file": "a.json", "features": ["stat_mean"]}})"
            << "spec.json, imaging: give exactly one of \"settings\" and \"settings_file\"" << malformed;
        QTest::newRow("imaging tag spelling")
            << head + task + R"(, "imaging": {"settings": {}, "features": ["stat_mean", "stat mean"]}})"
            << "spec.json, imaging.features[1]: an IBSI tag is letters, digits and '_' (e.g. \"stat_mean\")"
            << malformed;
        QTest::newRow("imaging without features")
            << head + task + R"(, "imaging": {"settings": {}}})"
            << "spec.json, imaging.features: is required (IBSI tags such as \"stat_mean\")" << malformed;
        QTest::newRow("genomics unknown key in a variant")
            << head + task
                + R"(, "genomics": {"variants": [{"name": "v", "chromosome": "1", "position": 5, "allele": "A", "rsid": "rs1"}]}})"
            << "spec.json, genomics.variants[0].rsid: unknown key (known here: name, chromosome, position, "
               "allele, reference, description)"
            << malformed;
        QTest::newRow("genomics error re-anchored")
            << head + task
                + R"(, "genomics": {"variants": [{"name": "v", "chromosome": "1", "position": -5, "allele": "A"}]}})"
            << "spec.json, genomics.variants[0]: 'position' must be a positive integer" << malformed;
        QTest::newRow("records index date")
            << head + task
                + R"(, "records": {"features": [{"name": "age", "derivation": "age"}], "index_date": "31/01/2020"}})"
            << "spec.json, records.index_date: is not a FHIR date or dateTime (2020-01-31)" << malformed;
        QTest::newRow("table modality")
            << head + task + R"(, "table": {"features": [{"name": "x", "modality": "proteomics"}]}})"
            << "spec.json, table.features[0].modality: must be \"imaging\", \"genomics\" or \"records\""
            << malformed;
        QTest::newRow("table features and all_columns")
            << head + task + R"(, "table": {"features": [], "all_columns": "records"}})"
            << "spec.json, table: give exactly one of \"features\" and \"all_columns\"" << malformed;
        QTest::newRow("feature name used in two sections")
            << head + task
                + R"(, "imaging": {"settings": {}, "features": ["stat_mean"]}, "table": {"features": [{"name": "img_stat_mean", "modality": "imaging"}]}})"
            << "spec.json, table.features[0].name: the feature name \"img_stat_mean\" is used by an earlier "
               "feature"
            << malformed;
        QTest::newRow("subgroup is the label")
            << head + task + ", " + table + R"(, "subgroups": ["outcome"]})"
            << "spec.json, subgroups[0]: \"outcome\" is the label or a file column, not a case attribute"
            << malformed;
        QTest::newRow("training not an object")
            << head + task + ", " + table + R"(, "training": [5]})"
            << "spec.json, training: must be an object, not array" << malformed;
        QTest::newRow("nesting too deep")
            << head + task + ", " + table + R"(, "training": )" + QString(100, '[') + QString(100, ']') + "}"
            << "spec.json: the JSON nesting is deeper than the limit of 64"
            << static_cast<int>(ErrorCode::LimitExceeded);
    }

    void refused()
    {
        QFETCH(QString, json);
        QFETCH(QString, message);
        QFETCH(int, code);
        const auto spec = ModelSpec::fromJson(json.toStdString(), "spec.json", kSource, units());
        QVERIFY(!spec.has_value());
        QCOMPARE(static_cast<int>(spec.error().code), code);
        if (message.isEmpty())
            QVERIFY2(spec.error().message().starts_with("spec.json: not valid JSON: "),
                spec.error().message().c_str());
        else
            QCOMPARE(QString::fromStdString(spec.error().message()), message);
    }

    void recordErrorsAreAnchoredUnderRecords()
    {
        // RecordFeatureSpec's own message; the location is moved under "records".
        const std::string text = R"({"format": "mosaic-model-spec", "version": 1,
            "task": {"type": "binary", "label": "outcome"},
            "records": {"features": [{"name": "w", "derivation": "latest", "codes": ["LOINC|29463-7"], "unit": "kilogram"}]}})";
        const auto spec = ModelSpec::fromJson(text, "spec.json", kSource, units());
        QVERIFY(!spec.has_value());
        QVERIFY2(spec.error().location.starts_with("spec.json, records.features[0]"),
            spec.error().message().c_str());
        // Without the UCUM table a records section cannot be checked.
        const auto noUnits = ModelSpec::fromJson(text, "spec.json", kSource);
        QVERIFY(!noUnits.has_value());
        QCOMPARE(QString::fromStdString(noUnits.error().message()),
            QString("spec.json, records: reading record features needs the UCUM unit table"));
    }

    void missingSettingsFileNamesIt()
    {
        const std::string text = R"({"format": "mosaic-model-spec", "version": 1,
            "task": {"type": "binary", "label": "outcome"},
            "imaging": {"settings_file": "no_such_settings.json", "features": ["stat_mean"]}})";
        const auto spec = ModelSpec::fromJson(text, "spec.json", kSource);
        QVERIFY(!spec.has_value());
        QCOMPARE(QString::fromStdString(spec.error().message()),
            QString("no_such_settings.json: the file does not exist or is not a regular file"));
    }
};

QTEST_APPLESS_MAIN(TestModelSpec)
#include "tst_model_spec.moc"
