// SPDX-License-Identifier: Apache-2.0
// End to end on a SYNTHETIC cohort (core/synthetic/README.md): `mosaic-cli synth` writes DICOM,
// RTSTRUCT, VCF and FHIR files for every patient and the ground truth the outcome was drawn from;
// `mosaic-cli train --cohort` extracts the three modalities, runs the nested pipeline and signs a
// bundle; `predict` and `validate` then load it or refuse it. Independent truth: the generator's
// ground_truth.json (the true drivers, every patient's logit, which patients lack imaging) and the
// manifest cohort.csv, read here, not through Mosaic; the truth's AUROC is counted pair by pair.
#include "core/model/bundle_signature.h"

#include <nlohmann/json.hpp>

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include "cli_runner.h"
#include <algorithm>
#include <filesystem>
#include <limits>

using mosaic::testing::runCli;
using mosaic::testing::writeFile;

namespace {

// A value absent from a peer's or the CLI's JSON reads as NaN, which fails every comparison, not as 0.
constexpr double kNotANumber = std::numeric_limits<double>::quiet_NaN();

// The true drivers of core/synthetic/README.md's ground truth, as the bundle's schema names them
// (imaging features carry the spec's "img_" prefix).
const QSet<QString> kTrueDrivers = { "img_morph_volume", "rs429358_C", "creatinine", "hba1c" };

QByteArray readAll(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot read a test file");
    return file.readAll();
}

QJsonObject jsonObject(const QByteArray &bytes)
{
    return QJsonDocument::fromJson(bytes).object();
}

// A copy of the cohort's specification with a small "training" section: one hyperparameter candidate
// (the one the default 12-candidate search picks on these cohorts: depth 2, eta 0.1, weight 1) and
// 500 bootstrap resamples, so the test runs in seconds rather than minutes. Nesting is unchanged.
QString smallSpec(const QString &cohort, const QString &out)
{
    QJsonObject spec = jsonObject(readAll(cohort + "/model_spec.json"));
    spec["training"] = QJsonObject { { "outer_folds", 5 }, { "inner_folds", 3 },
        { "grid",
            QJsonObject { { "max_depth", QJsonArray { 2 } }, { "learning_rate", QJsonArray { 0.1 } },
                { "min_child_weight", QJsonArray { 1 } } } },
        { "bootstrap_resamples", 500 } };
    writeFile(out, QJsonDocument(spec).toJson());
    return out;
}

// AUROC as the probability that a random case outranks a random control, ties counted half: every
// pair counted (Mann-Whitney's definition), nothing shared with Mosaic's metrics.
double pairwiseAuroc(const std::vector<double> &score, const std::vector<int> &label)
{
    double wins = 0;
    double pairs = 0;
    for (std::size_t i = 0; i < score.size(); ++i) {
        if (label[i] != 1)
            continue;
        for (std::size_t j = 0; j < score.size(); ++j) {
            if (label[j] != 0)
                continue;
            pairs += 1;
            wins += score[i] > score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
        }
    }
    return wins / pairs;
}

// Splits one line of the synthetic manifest (no quoted cells: ids, paths and dates only).
QStringList cells(const QByteArray &line)
{
    return QString::fromUtf8(line).trimmed().split(',');
}

} // namespace

class TestFusionPipeline : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void driversRankFirstAndAurocStaysBelowTruth();
    void missingImagingIsReportedAndRouted();
    void predictAndValidateLoadTheBundle();
    void tamperedOrUntrustedBundlesAreRefused_data();
    void tamperedOrUntrustedBundlesAreRefused();

private:
    QTemporaryDir m_dir;
    QString m_secretKey;
    QString m_publicKey;
    QString m_otherPublicKey;
    QString m_bundle; // trained by driversRankFirstAndAurocStaysBelowTruth
    QString m_table; // ground-truth feature table of that cohort's first patients
};

void TestFusionPipeline::initTestCase()
{
    QVERIFY(m_dir.isValid());
    m_secretKey = m_dir.filePath("site.key");
    m_publicKey = m_dir.filePath("site.pub");
    m_otherPublicKey = m_dir.filePath("other.pub");
    auto keys = runCli({ "keys", "generate", "--secret-key", m_secretKey, "--public-key", m_publicKey });
    QVERIFY2(keys.exitCode == 0, keys.err.constData());
    keys = runCli({ "keys", "generate", "--secret-key", m_dir.filePath("other.key"), "--public-key",
        m_otherPublicKey });
    QVERIFY2(keys.exitCode == 0, keys.err.constData());
}

void TestFusionPipeline::driversRankFirstAndAurocStaysBelowTruth()
{
    // 1,500 patients. Tried with this training section (lead's mosaic-cli, 2026-11-30): seeds 1, 3
    // and 20261130 put the four drivers first, the fourth ahead of the strongest noise feature by
    // 0.12, 0.26 and 0.31 mean |SHAP|; the truth's AUROC (0.834, 0.832, 0.836) lay inside every
    // model's interval ([0.799, 0.846], [0.783, 0.836], [0.794, 0.843]), each estimate 0.012 to
    // 0.020 below it. Seed 2 is checked here (truth 0.843; model 0.823 [0.797, 0.847]).
    const QString cohort = m_dir.filePath("cohort");
    auto synth = runCli({ "synth", "--patients", "1500", "--seed", "2", "--out", cohort, "--quiet" });
    QVERIFY2(synth.exitCode == 0, synth.err.constData());

    m_bundle = m_dir.filePath("synthetic.mosaic");
    const QString coverage = m_dir.filePath("coverage.csv");
    auto train
        = runCli({ "train", "--cohort", cohort, "--spec", smallSpec(cohort, m_dir.filePath("spec.json")),
            "--sign-with", m_secretKey, "--out", m_bundle, "--coverage", coverage });
    QVERIFY2(train.exitCode == 0, train.err.constData());
    const QJsonObject report = jsonObject(train.out);
    QCOMPARE(report["cases"].toInt(), 1500);
    QCOMPARE(report["features"].toInt(), 11);
    const QJsonObject validation = report["validation"].toObject();

    // Importance: the four true drivers first, every modality contributing.
    const QJsonObject importance = validation["importance"].toObject();
    const QJsonArray top = importance["top_features"].toArray();
    QCOMPARE(top.size(), 11);
    QSet<QString> firstFour;
    for (int i = 0; i < 4; ++i)
        firstFour.insert(top[i].toObject()["feature"].toString());
    QVERIFY2(firstFour == kTrueDrivers, QJsonDocument(top).toJson().constData());
    qInfo("fourth driver %.3f mean |SHAP|, strongest noise feature %.3f",
        top[3].toObject()["mean_absolute_shap"].toDouble(kNotANumber),
        top[4].toObject()["mean_absolute_shap"].toDouble(kNotANumber));
    for (int i = 1; i < top.size(); ++i) // listed by decreasing mean |SHAP|
        QVERIFY(top[i].toObject()["mean_absolute_shap"].toDouble(kNotANumber)
            <= top[i - 1].toObject()["mean_absolute_shap"].toDouble(kNotANumber));
    const QJsonArray modalities = importance["modalities"].toArray();
    QCOMPARE(modalities.size(), 3);
    for (const auto &modality : modalities)
        QVERIFY2(modality.toObject()["mean_absolute_shap"].toDouble(kNotANumber) > 0,
            modality.toObject()["modality"].toString().toUtf8().constData());

    // The truth's AUROC on the same 1,500 cases, from the generator's logits.
    const QJsonObject truth = jsonObject(readAll(cohort + "/ground_truth.json"));
    std::vector<double> logit;
    std::vector<int> outcome;
    for (const auto &patient : truth["patients"].toArray()) {
        logit.push_back(patient.toObject()["logit"].toDouble(kNotANumber));
        outcome.push_back(patient.toObject()["outcome"].toInt());
    }
    QCOMPARE(logit.size(), std::size_t(1500));
    const double truthAuroc = pairwiseAuroc(logit, outcome);
    const QJsonObject auroc = validation["metrics"].toObject()["auroc"].toObject();
    const double estimate = auroc["estimate"].toDouble(kNotANumber);
    const QJsonArray ci = auroc["ci95"].toArray();
    qInfo("truth AUROC %.4f; nested AUROC %.4f [%.4f, %.4f]", truthAuroc, estimate,
        ci[0].toDouble(kNotANumber), ci[1].toDouble(kNotANumber));
    // A model cannot beat the truth beyond noise: its estimate stays below the truth's AUROC and the
    // truth lies in its interval (0.01 of slack at the top: the interval is of the model's AUROC).
    QVERIFY(estimate < truthAuroc);
    QVERIFY(ci[0].toDouble(kNotANumber) <= truthAuroc);
    QVERIFY(truthAuroc <= ci[1].toDouble(kNotANumber) + 0.01);

    // For the prediction tests: the first 200 patients' features as the generator knows them (the
    // lesion's analytic volume and mean, dosages, recorded labs and age), with the outcome.
    QByteArray table = "patient,outcome,img_morph_volume,img_stat_mean,syn_chr1_100000123_G,"
                       "syn_chr6_50000456_T,syn_chr10_80000789_A,rs429358_C,rs7412_T,creatinine,hba1c,"
                       "systolic_bp,age\n";
    const QJsonArray patients = truth["patients"].toArray();
    for (int i = 0; i < 200; ++i) {
        const QJsonObject p = patients[i].toObject();
        const QJsonObject d = p["dosages"].toObject();
        QStringList row { p["patient"].toString(), QString::number(p["outcome"].toInt()),
            QString::number(p["volume_mm3"].toDouble(kNotANumber), 'g', 10),
            QString::number(p["lesion_mean_hu"].toDouble(kNotANumber), 'g', 10) };
        for (const char *variant : { "syn_chr1_100000123_G", "syn_chr6_50000456_T", "syn_chr10_80000789_A",
                 "rs429358_C", "rs7412_T" })
            row << QString::number(d[variant].toInt());
        row << QString::number(p["creatinine_mg_dl"].toDouble(kNotANumber), 'g', 10)
            << QString::number(p["hba1c_percent"].toDouble(kNotANumber), 'g', 10)
            << QString::number(p["systolic_bp_mm_hg"].toDouble(kNotANumber), 'g', 10)
            << QString::number(p["age"].toInt());
        table += row.join(',').toUtf8() + '\n';
    }
    m_table = m_dir.filePath("truth_features.csv");
    writeFile(m_table, table);
}

void TestFusionPipeline::missingImagingIsReportedAndRouted()
{
    const QString cohort = m_dir.filePath("cohort_missing");
    auto synth = runCli({ "synth", "--patients", "400", "--seed", "7", "--missing-imaging", "0.3", "--out",
        cohort, "--quiet" });
    QVERIFY2(synth.exitCode == 0, synth.err.constData());

    // The manifest's patients with an empty image cell.
    const QList<QByteArray> lines = readAll(cohort + "/cohort.csv").split('\n');
    const QStringList header = cells(lines[0]);
    const int patientColumn = header.indexOf("patient");
    const int imageColumn = header.indexOf("image");
    QVERIFY(patientColumn >= 0 && imageColumn >= 0);
    QSet<QString> withoutImage;
    int manifestPatients = 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        if (lines[i].trimmed().isEmpty())
            continue;
        const QStringList row = cells(lines[i]);
        ++manifestPatients;
        if (row[imageColumn].isEmpty())
            withoutImage.insert(row[patientColumn]);
    }
    QCOMPARE(manifestPatients, 400);
    // 30 % of 400 is about 120 (binomial SD 9): the manifest did leave some out.
    QVERIFY2(withoutImage.size() > 80 && withoutImage.size() < 160, QByteArray::number(withoutImage.size()));
    // The ground truth agrees with the manifest.
    QSet<QString> truthWithoutImage;
    for (const auto &patient : jsonObject(readAll(cohort + "/ground_truth.json"))["patients"].toArray())
        if (!patient.toObject()["has_imaging"].toBool())
            truthWithoutImage.insert(patient.toObject()["patient"].toString());
    QCOMPARE(truthWithoutImage, withoutImage);

    const QString coverage = m_dir.filePath("coverage_missing.csv");
    auto train = runCli(
        { "train", "--cohort", cohort, "--spec", smallSpec(cohort, m_dir.filePath("spec_missing.json")),
            "--sign-with", m_secretKey, "--out", m_dir.filePath("missing.mosaic"), "--coverage", coverage });
    QVERIFY2(train.exitCode == 0, train.err.constData());

    // Coverage CSV: patient,manifest_line,modality,features_present,features_in_model,input_given,error
    const QList<QByteArray> rows = readAll(coverage).split('\n');
    const QStringList coverageHeader = cells(rows[0]);
    const int cPatient = coverageHeader.indexOf("patient");
    const int cModality = coverageHeader.indexOf("modality");
    const int cPresent = coverageHeader.indexOf("features_present");
    const int cInModel = coverageHeader.indexOf("features_in_model");
    const int cGiven = coverageHeader.indexOf("input_given");
    QVERIFY(cPatient >= 0 && cModality >= 0 && cPresent >= 0 && cInModel >= 0 && cGiven >= 0);
    QSet<QString> imagingNotGiven;
    QSet<QString> imagingFeaturesMissing;
    int imagingRows = 0;
    for (qsizetype i = 1; i < rows.size(); ++i) {
        if (rows[i].trimmed().isEmpty())
            continue;
        const QStringList row = cells(rows[i]);
        if (row[cModality] != "imaging")
            continue;
        ++imagingRows;
        QCOMPARE(row[cInModel], QStringLiteral("2"));
        if (row[cGiven] == "no")
            imagingNotGiven.insert(row[cPatient]);
        if (row[cPresent] == "0")
            imagingFeaturesMissing.insert(row[cPatient]);
    }
    QCOMPARE(imagingRows, 400);
    QCOMPARE(imagingNotGiven, withoutImage);
    QCOMPARE(imagingFeaturesMissing, withoutImage);

    // The run's summary counts the same, and training went on with XGBoost routing the gaps.
    const QJsonObject report = jsonObject(train.out);
    QCOMPARE(report["cases"].toInt(), 400);
    bool sawImaging = false;
    for (const auto &entry : report["coverage"].toArray()) {
        const QJsonObject modality = entry.toObject();
        if (modality["modality"].toString() != "imaging")
            continue;
        sawImaging = true;
        QCOMPARE(modality["cases_with_input"].toInt(), 400 - int(withoutImage.size()));
        QCOMPARE(modality["cases_failed_to_load"].toInt(), 0);
    }
    QVERIFY(sawImaging);
    const double auroc
        = report["validation"].toObject()["metrics"].toObject()["auroc"].toObject()["estimate"].toDouble(
            kNotANumber);
    QVERIFY2(auroc > 0.6, QByteArray::number(auroc)); // the other modalities still carry signal
}

void TestFusionPipeline::predictAndValidateLoadTheBundle()
{
    // `predict` reads a feature table (--table) only, not a cohort folder: the table here holds the
    // generator's own values for 200 of the training patients.
    QVERIFY(!m_bundle.isEmpty() && !m_table.isEmpty());
    auto predict = runCli({ "predict", "--model", m_bundle, "--table", m_table, "--id", "patient", "--ignore",
        "outcome", "--trusted-key", m_publicKey, "--format", "json", "--top", "0" });
    QVERIFY2(predict.exitCode == 0, predict.err.constData());
    const QJsonArray predictions = jsonObject(predict.out)["predictions"].toArray();
    QCOMPARE(predictions.size(), 200);
    const QJsonArray truth
        = jsonObject(readAll(m_dir.filePath("cohort/ground_truth.json")))["patients"].toArray();
    std::vector<double> predicted;
    std::vector<int> outcome;
    for (int i = 0; i < 200; ++i) {
        const QJsonObject p = predictions[i].toObject();
        QCOMPARE(p["id"].toString(), truth[i].toObject()["patient"].toString());
        const double probability = p["probability"].toDouble(kNotANumber);
        QVERIFY(probability > 0 && probability < 1);
        QCOMPARE(p["modalities"].toArray().size(), 3);
        predicted.push_back(probability);
        outcome.push_back(truth[i].toObject()["outcome"].toInt());
    }
    // Ranked against the drawn outcomes as well as the truth ranks them, give or take: the truth's
    // own AUROC on these 200 counted pair by pair.
    std::vector<double> logit;
    for (int i = 0; i < 200; ++i)
        logit.push_back(truth[i].toObject()["logit"].toDouble(kNotANumber));
    const double modelAuroc = pairwiseAuroc(predicted, outcome);
    const double truthAuroc = pairwiseAuroc(logit, outcome);
    qInfo("200 patients: model AUROC %.4f, truth AUROC %.4f", modelAuroc, truthAuroc);
    QVERIFY(std::abs(modelAuroc - truthAuroc) < 0.1);

    auto validate = runCli({ "validate", "--model", m_bundle, "--table", m_table, "--id", "patient",
        "--label", "outcome", "--trusted-key", m_publicKey });
    QVERIFY2(validate.exitCode == 0, validate.err.constData());
    const QJsonObject metrics = jsonObject(validate.out)["metrics"].toObject();
    QCOMPARE(metrics["cases"].toInt(), 200);
    QVERIFY(std::abs(metrics["auroc"].toDouble(kNotANumber) - modelAuroc) < 1e-6);
}

void TestFusionPipeline::tamperedOrUntrustedBundlesAreRefused_data()
{
    QTest::addColumn<QString>("tamper");
    QTest::addColumn<QString>("expected");
    QTest::newRow("one byte of the embedded model changed")
        << "byte"
        << "SHA-256 does not match its content: it was altered or damaged";
    QTest::newRow("re-signed with a child index beyond the tree") << "child"
                                                                  << "is outside the tree's nodes";
    QTest::newRow("signed by a key that is not trusted")
        << "untrusted"
        << "which is not among the 1 trusted key(s); refused";
}

void TestFusionPipeline::tamperedOrUntrustedBundlesAreRefused()
{
    QFETCH(QString, tamper);
    QFETCH(QString, expected);
    QVERIFY(!m_bundle.isEmpty() && !m_table.isEmpty());
    QByteArray text = readAll(m_bundle);
    QString trusted = m_publicKey;
    const QString tampered = m_dir.filePath("tampered_" + tamper + ".mosaic");

    if (tamper == "byte") {
        // The first digit of the first split condition, inside content.xgboost_model's text.
        const qsizetype at = text.indexOf("split_conditions");
        QVERIFY(at > 0);
        qsizetype digit = at;
        while (digit < text.size() && (text[digit] < '1' || text[digit] > '8'))
            ++digit;
        QVERIFY(digit < text.size());
        text[digit] = char(text[digit] + 1);
    } else if (tamper == "child") {
        // A sound envelope around an unsound tree: the child index is changed, the content hashed
        // and signed again with the trusted key, so only the tree check stands in the way.
        nlohmann::json document = nlohmann::json::parse(text.toStdString());
        nlohmann::json model = nlohmann::json::parse(document["content"]["xgboost_model"].get<std::string>());
        auto &tree = model["learner"]["gradient_booster"]["model"]["trees"][0];
        QVERIFY(tree["left_children"].size() > 1);
        tree["left_children"][0] = 100000;
        document["content"]["xgboost_model"] = model.dump();
        const std::string content = document["content"].dump();
        const std::string digest
            = QCryptographicHash::hash(QByteArray::fromStdString(content), QCryptographicHash::Sha256)
                  .toHex()
                  .toStdString();
        document["content_sha256"] = digest;
        auto key = mosaic::readSecretKeyFile(std::filesystem::path(m_secretKey.toStdString()));
        QVERIFY(key.has_value());
        const auto block = mosaic::signBundleDigest(*key, document["format_version"].get<int>(), digest);
        document["signature"] = { { "algorithm", block.algorithm }, { "key_id", block.keyId },
            { "public_key", block.publicKey }, { "signature", block.signature } };
        text = QByteArray::fromStdString(document.dump(1));
    } else {
        trusted = m_otherPublicKey; // the bundle is intact; the workstation trusts another key
    }
    writeFile(tampered, text);

    auto predict = runCli({ "predict", "--model", tampered, "--table", m_table, "--id", "patient", "--ignore",
        "outcome", "--trusted-key", trusted });
    QVERIFY(predict.exitCode != 0);
    QVERIFY(predict.out.isEmpty());
    QVERIFY2(predict.err.contains(expected.toUtf8()), predict.err.constData());
    QVERIFY2(predict.err.contains(QFileInfo(tampered).fileName().toUtf8()), predict.err.constData());
    auto validate = runCli({ "validate", "--model", tampered, "--table", m_table, "--id", "patient",
        "--label", "outcome", "--trusted-key", trusted });
    QVERIFY(validate.exitCode != 0);
    QVERIFY2(validate.err.contains(expected.toUtf8()), validate.err.constData());
    if (tamper == "child") {
        // Nor will `mosaic-cli sign` vouch for it: it checks the trees before signing.
        auto sign = runCli({ "sign", "--model", tampered, "--secret-key", m_secretKey });
        QVERIFY(sign.exitCode != 0);
        QVERIFY2(sign.err.contains(expected.toUtf8()), sign.err.constData());
    }
}

QTEST_APPLESS_MAIN(TestFusionPipeline)
#include "tst_fusion_pipeline.moc"
