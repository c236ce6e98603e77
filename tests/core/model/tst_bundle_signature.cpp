// SPDX-License-Identifier: Apache-2.0
// Ed25519 signatures of model bundles. Independent truth: RFC 8032's test vectors 1 and 2 (section
// 7.1), the key id and base64 of test 1's public key computed with Python's hashlib and base64,
// signatures made by hand with libsodium over the documented message (bundle_test_support.h), and a
// bundle signature verified by Python's cryptography package (OpenSSL) as a peer. Every tampering of
// the content, the signature, the key id or the public key must be refused, and a tampered tree
// signed by a trusted key must still be refused by the tree check, which runs after the signature.
#include "core/features/cohort_table.h"
#include "core/features/feature_schema.h"
#include "core/model/booster.h"
#include "core/model/bundle_signature.h"
#include "core/model/model_bundle.h"
#include "core/model/risk_model.h"

#include <nlohmann/json.hpp>

#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/model/bundle_test_support.h"
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <sys/stat.h>
#include <vector>

using namespace mosaic;
using Json = nlohmann::json;
using DocumentEdit = std::function<void(Json &document)>;

Q_DECLARE_METATYPE(mosaic::ErrorCode)
Q_DECLARE_METATYPE(DocumentEdit)

using mosaic::testing::base64Of;
using mosaic::testing::keyIdOfTestKey;
using mosaic::testing::rehashAndSign;
using mosaic::testing::testKeyPair;

namespace {

const char *kCohortPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv";
const char *kSchemaPath = MOSAIC_SOURCE_DIR "/resources/demo/heart_failure.schema.json";

template <typename T> QByteArray failureText(const Result<T> &result)
{
    return result ? QByteArray() : QByteArray::fromStdString(result.error().message());
}

std::vector<unsigned char> fromHex(std::string_view text)
{
    std::vector<unsigned char> bytes;
    for (std::size_t i = 0; i + 1 < text.size(); i += 2)
        bytes.push_back(static_cast<unsigned char>(std::stoi(std::string(text.substr(i, 2)), nullptr, 16)));
    return bytes;
}

std::string toHex(std::span<const unsigned char> bytes)
{
    static const char *digits = "0123456789abcdef";
    std::string text;
    for (unsigned char byte : bytes) {
        text += digits[byte >> 4];
        text += digits[byte & 15];
    }
    return text;
}

SigningKey keyFromSeedByte(unsigned char byte)
{
    const auto pair = testKeyPair(byte);
    auto key = SigningKey::fromSeed(pair.seed);
    if (!key)
        qFatal("%s", key.error().message().c_str());
    return *key;
}

// One base64 text with its decoded byte `index` changed.
std::string flipDecodedByte(const std::string &base64, std::size_t index)
{
    QByteArray bytes = QByteArray::fromBase64(QByteArray::fromStdString(base64));
    bytes[static_cast<qsizetype>(index)] = static_cast<char>(bytes[static_cast<qsizetype>(index)] ^ 0x01);
    return bytes.toBase64().toStdString();
}

void writeText(const QString &path, const QByteArray &text)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        qFatal("cannot write %s", qPrintable(path));
    file.write(text);
}

// The root of the first tree made to split on feature 99 of a model with 11: XGBoost would read past
// the row. The tree check names it "tree 0, node 0: splits on feature 99, but the model has 11".
void splitOnMissingFeature(Json &document)
{
    Json model = Json::parse(document["content"]["xgboost_model"].get<std::string>());
    model["learner"]["gradient_booster"]["model"]["trees"][0]["split_indices"][0] = 99;
    document["content"]["xgboost_model"] = model.dump();
}

} // namespace

class TestBundleSignature : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();

    void rfc8032Vectors_data();
    void rfc8032Vectors();
    void keyIdAndBase64OfRfc8032Test1();
    void base64RefusesWrongLengthsAndLetters_data();
    void base64RefusesWrongLengthsAndLetters();
    void trustedKeysAddTheSameKeyOnce();

    void signedBundleRoundTripsAndNamesItsSigner();
    void bundleSignatureVerifiesInPythonCryptography();
    void refusesTamperedOrUntrustedBundles_data();
    void refusesTamperedOrUntrustedBundles();
    void refusesEveryBundleWithoutTrustedKeys();
    void tamperedTreeSignedByTrustedKeyIsRefusedByTheTreeCheck();
    void resigningReplacesTheSignerAndKeepsTheContent();
    void resigningRefusesAlteredContent();

    void secretKeyFileRoundTripsWithOwnerOnlyPermissions();
    void secretKeyFileIsNeverOverwritten();
    void publicKeyFileRoundTrips();
    void refusesBadKeyFiles_data();
    void refusesBadKeyFiles();
    void refusesSecretKeyReadableByOthers();

private:
    SigningKey m_siteKey = keyFromSeedByte(0x11); // trusted
    SigningKey m_otherSiteKey = keyFromSeedByte(0x22); // trusted
    SigningKey m_strangerKey = keyFromSeedByte(0x33); // not trusted
    TrustedKeys m_trusted;
    ModelBundle m_bundle;
    std::string m_bundleJson; // signed by m_siteKey
};

void TestBundleSignature::initTestCase()
{
    QVERIFY(m_trusted.add("Site models", m_siteKey.publicKey()));
    QVERIFY(m_trusted.add("Other site", m_otherSiteKey.publicKey()));

    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    auto table = readCohortTable(kCohortPath, options);
    QVERIFY2(table, failureText(table));
    auto schema = FeatureSchema::readFile(kSchemaPath);
    QVERIFY2(schema, failureText(schema));
    TrainingRequest request;
    request.name = "Death during follow-up (heart failure, signature test)";
    request.outcome = "death during follow-up";
    request.labelColumn = "Event";
    request.validation.folds = 5;
    request.validation.repeats = 1;
    request.validation.training.rounds = 20;
    auto bundle = trainRiskModel(*table, *schema, request);
    QVERIFY2(bundle, failureText(bundle));
    m_bundle = std::move(*bundle);
    auto json = m_bundle.toJson(m_siteKey);
    QVERIFY2(json, failureText(json));
    m_bundleJson = std::move(*json);
}

void TestBundleSignature::rfc8032Vectors_data()
{
    QTest::addColumn<QByteArray>("seed");
    QTest::addColumn<QByteArray>("publicKey");
    QTest::addColumn<QByteArray>("message");
    QTest::addColumn<QByteArray>("signature");

    // RFC 8032, section 7.1, TEST 1 (empty message) and TEST 2 (one byte, 0x72).
    QTest::newRow("RFC 8032 test 1, empty message")
        << QByteArray("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        << QByteArray("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a") << QByteArray()
        << QByteArray("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
                      "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b");
    QTest::newRow("RFC 8032 test 2, one byte")
        << QByteArray("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")
        << QByteArray("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c") << QByteArray("72")
        << QByteArray("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
                      "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00");
}

void TestBundleSignature::rfc8032Vectors()
{
    QFETCH(QByteArray, seed);
    QFETCH(QByteArray, publicKey);
    QFETCH(QByteArray, message);
    QFETCH(QByteArray, signature);

    auto key = SigningKey::fromSeed(fromHex(seed.toStdString()));
    QVERIFY2(key, failureText(key));
    QCOMPARE(toHex(key->publicKey()), publicKey.toStdString());
    const auto bytes = fromHex(message.toStdString());
    const std::string text(bytes.begin(), bytes.end());
    const Signature made = key->sign(text);
    QCOMPARE(toHex(made), signature.toStdString());
    QVERIFY(verifySignature(key->publicKey(), text, made));
    // The control: one more byte in the message and the same signature fails.
    QVERIFY(!verifySignature(key->publicKey(), text + "x", made));
}

void TestBundleSignature::keyIdAndBase64OfRfc8032Test1()
{
    // /usr/bin/python3: p = bytes.fromhex('d75a9801...511a');
    // hashlib.sha256(p).hexdigest()[:16] -> 21fe31dfa154a261; base64.b64encode(p) -> 11qYAY...URo=
    PublicKey key {};
    const auto bytes = fromHex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    std::copy(bytes.begin(), bytes.end(), key.begin());
    QCOMPARE(keyIdOf(key), std::string("21fe31dfa154a261"));
    QCOMPARE(toBase64(key), std::string("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="));
    auto decoded = fromBase64("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", 32, "the key", "k.pub");
    QVERIFY2(decoded, failureText(decoded));
    QVERIFY(*decoded == bytes);
}

void TestBundleSignature::base64RefusesWrongLengthsAndLetters_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("detail");

    const QString valid = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    QTest::newRow("empty") << ""
                           << "0 characters of base64, not the 44 of 32 bytes";
    QTest::newRow("truncated by four characters") << valid.left(40) << "40 characters";
    QTest::newRow("four characters too many") << valid + "AAAA"
                                              << "48 characters";
    QTest::newRow("a megabyte") << QString(1 << 20, 'A') << "1048576 characters";
    QTest::newRow("a letter outside the alphabet") << QString(valid).replace(5, 1, "*") << "not valid base64";
    QTest::newRow("URL-safe letters") << QString(valid).replace("/", "_") << "not valid base64";
    QTest::newRow("padding in the middle") << QString(valid).replace(10, 1, "=") << "not valid base64";
}

void TestBundleSignature::base64RefusesWrongLengthsAndLetters()
{
    QFETCH(QString, text);
    QFETCH(QString, detail);
    auto decoded = fromBase64(text.toStdString(), 32, "the key", "k.pub");
    QVERIFY(!decoded);
    QCOMPARE(decoded.error().code, ErrorCode::Malformed);
    QCOMPARE(decoded.error().location, std::string("k.pub"));
    QVERIFY2(
        QString::fromStdString(decoded.error().detail).contains(detail), decoded.error().message().c_str());
}

void TestBundleSignature::trustedKeysAddTheSameKeyOnce()
{
    TrustedKeys keys;
    QVERIFY(keys.add("first name", m_siteKey.publicKey()));
    QVERIFY(keys.add("second name", m_siteKey.publicKey()));
    QCOMPARE(keys.size(), std::size_t { 1 });
    QCOMPARE(keys.keys().front().name, std::string("first name"));
    QCOMPARE(keys.find(m_siteKey.keyId())->keyId, m_siteKey.keyId());
    QVERIFY(keys.find(m_strangerKey.keyId()) == nullptr);
}

void TestBundleSignature::signedBundleRoundTripsAndNamesItsSigner()
{
    const Json document = Json::parse(m_bundleJson);
    QCOMPARE(document["signature"]["algorithm"].get<std::string>(), std::string("ed25519"));
    QCOMPARE(document["signature"]["key_id"].get<std::string>(), keyIdOfTestKey(testKeyPair(0x11)));
    const auto pair = testKeyPair(0x11);
    QCOMPARE(document["signature"]["public_key"].get<std::string>(),
        base64Of(pair.publicKey.data(), pair.publicKey.size()));

    auto read = ModelBundle::fromJson(m_bundleJson, "death.mosaic-model.json", m_trusted);
    QVERIFY2(read, failureText(read));
    QCOMPARE(read->signerKeyId, m_siteKey.keyId());
    QCOMPARE(read->signerName, std::string("Site models"));
    QCOMPARE(read->xgboostModel, m_bundle.xgboostModel);

    // Signed by hand with libsodium over the documented message: the library reads it the same.
    Json byHand = Json::parse(m_bundleJson);
    rehashAndSign(byHand, testKeyPair(0x22));
    auto other = ModelBundle::fromJson(byHand.dump(1), "by-hand.json", m_trusted);
    QVERIFY2(other, failureText(other));
    QCOMPARE(other->signerName, std::string("Other site"));
    // Ed25519 is deterministic: the hand-made signature by the site key equals the library's.
    Json again = Json::parse(m_bundleJson);
    rehashAndSign(again, testKeyPair(0x11));
    QVERIFY(again["signature"] == document["signature"]);
}

void TestBundleSignature::bundleSignatureVerifiesInPythonCryptography()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const QString path = directory.filePath("death.mosaic-model.json");
    writeText(path, QByteArray::fromStdString(m_bundleJson));
    const char *script = R"(
import base64, hashlib, json, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
d = json.load(open(sys.argv[1]))
s = d["signature"]
key_bytes = base64.b64decode(s["public_key"], validate=True)
assert hashlib.sha256(key_bytes).hexdigest()[:16] == s["key_id"]
message = ("mosaic-model-bundle format %d content-sha256 %s" % (d["format_version"], d["content_sha256"])).encode()
Ed25519PublicKey.from_public_bytes(key_bytes).verify(base64.b64decode(s["signature"], validate=True), message)
print("verified", s["key_id"])
)";
    QProcess python;
    python.start("/usr/bin/python3", { "-c", script, path });
    QVERIFY(python.waitForFinished(60000));
    const QByteArray errors = python.readAllStandardError();
    if (errors.contains("No module named 'cryptography'"))
        QSKIP("python3-cryptography is not installed");
    QCOMPARE(python.exitCode(), 0);
    QCOMPARE(
        python.readAllStandardOutput().trimmed(), QByteArray::fromStdString("verified " + m_siteKey.keyId()));
}

void TestBundleSignature::refusesTamperedOrUntrustedBundles_data()
{
    QTest::addColumn<DocumentEdit>("edit");
    QTest::addColumn<mosaic::ErrorCode>("expected");
    QTest::addColumn<QString>("detail");
    QTest::addColumn<bool>("namesKeyId");

    const auto site = testKeyPair(0x11);
    const auto other = testKeyPair(0x22);
    const auto stranger = testKeyPair(0x33);
    const std::string siteId = keyIdOfTestKey(site);
    const std::string otherId = keyIdOfTestKey(other);
    const std::string otherKey = base64Of(other.publicKey.data(), other.publicKey.size());

    QTest::newRow("unsigned") << DocumentEdit([](Json &d) { d.erase("signature"); })
                              << ErrorCode::IntegrityFailed << "the bundle is not signed" << false;
    QTest::newRow("format 1, unsigned as it was") << DocumentEdit([](Json &d) {
        d["format_version"] = 1;
        d.erase("signature");
    }) << ErrorCode::Unsupported << "bundle format 1 is unsigned and no longer accepted"
                                                  << false;
    QTest::newRow("content changed, not re-hashed")
        << DocumentEdit([](Json &d) { d["content"]["name"] = "Death (edited)"; })
        << ErrorCode::IntegrityFailed << "SHA-256 does not match" << false;
    QTest::newRow("content changed and re-hashed, old signature kept") << DocumentEdit([](Json &d) {
        d["content"]["name"] = "Death (edited)";
        d["content_sha256"] = mosaic::testing::contentSha256(d["content"]);
    }) << ErrorCode::IntegrityFailed << "does not verify" << true;
    QTest::newRow("format version changed with the signature of format 2")
        << DocumentEdit([](Json &d) { d["format_version"] = 3; }) << ErrorCode::Unsupported
        << "newer than this Mosaic" << false;
    QTest::newRow("one signature byte flipped") << DocumentEdit(
        [](Json &d) { d["signature"]["signature"] = flipDecodedByte(d["signature"]["signature"], 17); })
                                                << ErrorCode::IntegrityFailed << "does not verify" << true;
    QTest::newRow("last signature byte flipped") << DocumentEdit(
        [](Json &d) { d["signature"]["signature"] = flipDecodedByte(d["signature"]["signature"], 63); })
                                                 << ErrorCode::IntegrityFailed << "does not verify" << true;
    QTest::newRow("one key id digit changed") << DocumentEdit([](Json &d) {
        std::string id = d["signature"]["key_id"];
        id[3] = id[3] == '0' ? '1' : '0';
        d["signature"]["key_id"] = id;
    }) << ErrorCode::IntegrityFailed << "is not the id of the public key it carries"
                                              << true;
    QTest::newRow("one public key byte flipped") << DocumentEdit([](Json &d) {
        d["signature"]["public_key"] = flipDecodedByte(d["signature"]["public_key"], 5);
    }) << ErrorCode::IntegrityFailed << "is not the id of the public key it carries"
                                                 << true;
    QTest::newRow("site's signature presented with the other trusted key and its id")
        << DocumentEdit([otherId, otherKey](Json &d) {
               d["signature"]["key_id"] = otherId;
               d["signature"]["public_key"] = otherKey;
           })
        << ErrorCode::IntegrityFailed
        << "signature by key " + QString::fromStdString(otherId) + " ('Other site') does not verify" << true;
    QTest::newRow("site's signature and key with the other key's id")
        << DocumentEdit([otherId](Json &d) { d["signature"]["key_id"] = otherId; })
        << ErrorCode::IntegrityFailed << "is not the id of the public key it carries" << true;
    QTest::newRow("signed by a key nobody trusts")
        << DocumentEdit([stranger](Json &d) { rehashAndSign(d, stranger); }) << ErrorCode::IntegrityFailed
        << "which is not among the 2 trusted key(s)" << true;
    QTest::newRow("stranger's signature presented under the site's id and key") << DocumentEdit(
        [stranger, siteId, site](Json &d) {
            rehashAndSign(d, stranger);
            d["signature"]["key_id"] = siteId;
            d["signature"]["public_key"] = base64Of(site.publicKey.data(), site.publicKey.size());
        }) << ErrorCode::IntegrityFailed << "does not verify" << true;
    QTest::newRow("another algorithm")
        << DocumentEdit([](Json &d) { d["signature"]["algorithm"] = "rsa-pss"; }) << ErrorCode::Unsupported
        << "not ed25519" << false;
    QTest::newRow("signature block is text") << DocumentEdit([](Json &d) { d["signature"] = "signed"; })
                                             << ErrorCode::Malformed << "signature is not an object" << false;
    QTest::newRow("no key id") << DocumentEdit([](Json &d) { d["signature"].erase("key_id"); })
                               << ErrorCode::Malformed << "lacks its 'key_id'" << false;
    QTest::newRow("signature is a number") << DocumentEdit([](Json &d) { d["signature"]["signature"] = 7; })
                                           << ErrorCode::Malformed << "lacks its 'signature'" << false;
    QTest::newRow("key id in capitals") << DocumentEdit([](Json &d) {
        d["signature"]["key_id"] = QString::fromStdString(d["signature"]["key_id"]).toUpper().toStdString();
    }) << ErrorCode::Malformed << "not 16 lower-case hex digits"
                                        << false;
    QTest::newRow("signature truncated") << DocumentEdit([](Json &d) {
        d["signature"]["signature"] = d["signature"]["signature"].get<std::string>().substr(0, 84);
    }) << ErrorCode::Malformed << "84 characters of base64, not the 88 of 64 bytes"
                                         << true;
    QTest::newRow("signature with 64 more bytes") << DocumentEdit([](Json &d) {
        d["signature"]["signature"] = d["signature"]["signature"].get<std::string>() + std::string(88, 'A');
    }) << ErrorCode::Malformed << "176 characters of base64"
                                                  << true;
    QTest::newRow("public key truncated") << DocumentEdit([](Json &d) {
        d["signature"]["public_key"] = d["signature"]["public_key"].get<std::string>().substr(0, 40);
    }) << ErrorCode::Malformed << "40 characters of base64, not the 44 of 32 bytes"
                                          << true;
    QTest::newRow("public key with a letter outside base64") << DocumentEdit([](Json &d) {
        std::string key = d["signature"]["public_key"];
        key[7] = '!';
        d["signature"]["public_key"] = key;
    }) << ErrorCode::Malformed << "not valid base64" << true;
}

void TestBundleSignature::refusesTamperedOrUntrustedBundles()
{
    QFETCH(DocumentEdit, edit);
    QFETCH(mosaic::ErrorCode, expected);
    QFETCH(QString, detail);
    QFETCH(bool, namesKeyId);

    Json document = Json::parse(m_bundleJson);
    edit(document);
    std::optional<Result<ModelBundle>> read;
    QVERIFY_THROWS_NO_EXCEPTION(
        read = ModelBundle::fromJson(document.dump(1), "tampered.mosaic-model.json", m_trusted));
    QVERIFY(!*read);
    const Error &error = read->error();
    QCOMPARE(error.code, expected);
    QCOMPARE(error.location, std::string("tampered.mosaic-model.json"));
    QVERIFY2(QString::fromStdString(error.detail).contains(detail), error.message().c_str());
    if (namesKeyId) {
        const std::string id = document["signature"]["key_id"];
        QVERIFY2(error.detail.find(id) != std::string::npos, error.message().c_str());
    }
}

void TestBundleSignature::refusesEveryBundleWithoutTrustedKeys()
{
    auto read = ModelBundle::fromJson(m_bundleJson, "death.json", TrustedKeys {});
    QVERIFY(!read);
    QCOMPARE(read.error().code, ErrorCode::IntegrityFailed);
    QVERIFY2(QString::fromStdString(read.error().detail)
                 .contains(QString::fromStdString(
                     "signed by key " + m_siteKey.keyId() + ", which is not among the 0")),
        read.error().message().c_str());
}

void TestBundleSignature::tamperedTreeSignedByTrustedKeyIsRefusedByTheTreeCheck()
{
    Json tampered = Json::parse(m_bundleJson);
    splitOnMissingFeature(tampered);

    // Signed by a stranger: the signature check refuses it before the trees are looked at.
    Json byStranger = tampered;
    rehashAndSign(byStranger, testKeyPair(0x33));
    auto refusedBySignature = ModelBundle::fromJson(byStranger.dump(1), "tampered.json", m_trusted);
    QVERIFY(!refusedBySignature);
    QVERIFY2(refusedBySignature.error().detail.find("not among the") != std::string::npos,
        refusedBySignature.error().message().c_str());

    // Signed by a trusted key (a careless or compromised signer): the signature passes and the tree
    // check, which runs after it, still refuses.
    Json byTrusted = tampered;
    rehashAndSign(byTrusted, testKeyPair(0x11));
    auto refusedByTrees = ModelBundle::fromJson(byTrusted.dump(1), "tampered.json", m_trusted);
    QVERIFY(!refusedByTrees);
    QCOMPARE(refusedByTrees.error().code, ErrorCode::IntegrityFailed);
    QCOMPARE(refusedByTrees.error().location, std::string("tampered.json"));
    QVERIFY2(refusedByTrees.error().detail.find("splits on feature 99, but the model has 11 features")
            != std::string::npos,
        refusedByTrees.error().message().c_str());

    // The control: the untampered content signed the same way by hand is read.
    Json control = Json::parse(m_bundleJson);
    rehashAndSign(control, testKeyPair(0x11));
    auto read = ModelBundle::fromJson(control.dump(1), "control.json", m_trusted);
    QVERIFY2(read, failureText(read));
}

void TestBundleSignature::resigningReplacesTheSignerAndKeepsTheContent()
{
    auto resigned = resignBundleJson(m_bundleJson, "death.json", m_otherSiteKey);
    QVERIFY2(resigned, failureText(resigned));
    const Json before = Json::parse(m_bundleJson);
    const Json after = Json::parse(*resigned);
    QVERIFY(after["content"] == before["content"]);
    QVERIFY(after["content_sha256"] == before["content_sha256"]);
    QCOMPARE(after["signature"]["key_id"].get<std::string>(), m_otherSiteKey.keyId());

    auto read = ModelBundle::fromJson(*resigned, "death.json", m_trusted);
    QVERIFY2(read, failureText(read));
    QCOMPARE(read->signerName, std::string("Other site"));
    TrustedKeys onlySite;
    QVERIFY(onlySite.add("Site models", m_siteKey.publicKey()));
    QVERIFY(!ModelBundle::fromJson(*resigned, "death.json", onlySite));

    // Re-signing an unsigned bundle (its signature removed) signs it.
    Json unsigned_ = before;
    unsigned_.erase("signature");
    auto signedAgain = resignBundleJson(unsigned_.dump(), "death.json", m_siteKey);
    QVERIFY2(signedAgain, failureText(signedAgain));
    QVERIFY(ModelBundle::fromJson(*signedAgain, "death.json", onlySite));
}

void TestBundleSignature::resigningRefusesAlteredContent()
{
    Json altered = Json::parse(m_bundleJson);
    altered["content"]["name"] = "Death (edited)";
    auto resigned = resignBundleJson(altered.dump(), "altered.json", m_siteKey);
    QVERIFY(!resigned);
    QVERIFY2(resigned.error().detail.find("SHA-256 does not match") != std::string::npos,
        resigned.error().message().c_str());

    // Re-hashed but with a tree split on a feature the model lacks: the signer refuses to vouch for it.
    Json cyclic = Json::parse(m_bundleJson);
    splitOnMissingFeature(cyclic);
    cyclic["content_sha256"] = mosaic::testing::contentSha256(cyclic["content"]);
    auto refused = resignBundleJson(cyclic.dump(), "cyclic.json", m_siteKey);
    QVERIFY(!refused);
    QVERIFY2(refused.error().detail.find("splits on feature 99") != std::string::npos,
        refused.error().message().c_str());
}

void TestBundleSignature::secretKeyFileRoundTripsWithOwnerOnlyPermissions()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const std::filesystem::path path = directory.filePath("site.key").toStdString();
    auto written = writeSecretKeyFile(m_siteKey, path);
    QVERIFY2(written, failureText(written));
    struct stat status
    {
    };
    QCOMPARE(::stat(path.c_str(), &status), 0);
    QCOMPARE(status.st_mode & 0777, 0600u);

    QFile file(QString::fromStdString(path.string()));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().split('\n');
    QCOMPARE(lines.size(), 3); // header, key, and the empty rest after the final newline
    QCOMPARE(lines[0], QByteArray::fromStdString("# mosaic-ed25519-secret-key key-id=" + m_siteKey.keyId()));
    // libsodium's secret key is the seed followed by the public key (0x11 * 32, then its key).
    const auto pair = testKeyPair(0x11);
    QCOMPARE(lines[1].toStdString(), base64Of(pair.secretKey.data(), pair.secretKey.size()));

    auto read = readSecretKeyFile(path);
    QVERIFY2(read, failureText(read));
    QCOMPARE(read->publicKey(), m_siteKey.publicKey());
    QCOMPARE(read->sign("a message"), m_siteKey.sign("a message"));
}

void TestBundleSignature::secretKeyFileIsNeverOverwritten()
{
    QTemporaryDir directory;
    const QString path = directory.filePath("site.key");
    writeText(path, "notes\n");
    auto written = writeSecretKeyFile(m_siteKey, path.toStdString());
    QVERIFY(!written);
    QCOMPARE(written.error().location, std::string("site.key"));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QCOMPARE(file.readAll(), QByteArray("notes\n"));
}

void TestBundleSignature::publicKeyFileRoundTrips()
{
    QTemporaryDir directory;
    const std::filesystem::path path = directory.filePath("site.pub").toStdString();
    QVERIFY(writePublicKeyFile(m_siteKey.publicKey(), path));
    auto read = readPublicKeyFile(path);
    QVERIFY2(read, failureText(read));
    QCOMPARE(*read, m_siteKey.publicKey());
    // A secret key file is not a public key file, and the other way round.
    QVERIFY(!readSecretKeyFile(path));
}

void TestBundleSignature::refusesBadKeyFiles_data()
{
    QTest::addColumn<bool>("secret");
    QTest::addColumn<QByteArray>("contents");
    QTest::addColumn<mosaic::ErrorCode>("expected");
    QTest::addColumn<QString>("detail");

    const auto site = testKeyPair(0x11);
    const auto other = testKeyPair(0x22);
    const QByteArray secret
        = QByteArray::fromStdString(base64Of(site.secretKey.data(), site.secretKey.size()));
    const QByteArray publicKey
        = QByteArray::fromStdString(base64Of(site.publicKey.data(), site.publicKey.size()));
    const QByteArray siteId = QByteArray::fromStdString(keyIdOfTestKey(site));
    const QByteArray otherId = QByteArray::fromStdString(keyIdOfTestKey(other));
    // The seed of one key with the public half of another.
    std::array<unsigned char, 64> mixed = site.secretKey;
    std::copy(other.publicKey.begin(), other.publicKey.end(), mixed.begin() + 32);

    QTest::newRow("empty") << true << QByteArray() << ErrorCode::Malformed << "line 1: not a Mosaic key file";
    QTest::newRow("a PEM key") << true
                               << QByteArray("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ1h\n")
                               << ErrorCode::Malformed << "line 1: not a Mosaic key file";
    QTest::newRow("public key read as secret") << true << "# mosaic-ed25519-public-key\n" + publicKey + "\n"
                                               << ErrorCode::Malformed << "not a Mosaic key file";
    QTest::newRow("secret key read as public") << false << "# mosaic-ed25519-secret-key\n" + secret + "\n"
                                               << ErrorCode::Malformed << "not a Mosaic key file";
    QTest::newRow("header only") << true << QByteArray("# mosaic-ed25519-secret-key\n")
                                 << ErrorCode::Malformed << "this one has 1";
    QTest::newRow("a third line") << true << "# mosaic-ed25519-secret-key\n" + secret + "\nmore\n"
                                  << ErrorCode::Malformed << "this one has 3";
    QTest::newRow("secret truncated")
        << true << "# mosaic-ed25519-secret-key\n" + secret.left(84) + "\n"
        << ErrorCode::Malformed << "84 characters of base64, not the 88 of 64 bytes";
    QTest::newRow("public key as the secret") << true << "# mosaic-ed25519-secret-key\n" + publicKey + "\n"
                                              << ErrorCode::Malformed << "44 characters of base64";
    QTest::newRow("public half of another key") << true
                                                << "# mosaic-ed25519-secret-key\n"
            + QByteArray::fromStdString(base64Of(mixed.data(), mixed.size()))
            + "\n" << ErrorCode::IntegrityFailed << "does not belong to its seed";
    QTest::newRow("header names another key")
        << true << "# mosaic-ed25519-secret-key key-id=" + otherId + "\n" + secret + "\n"
        << ErrorCode::IntegrityFailed << "header names key id " + QString(otherId);
    QTest::newRow("header key id not hex")
        << false << "# mosaic-ed25519-public-key key-id=zz\n" + publicKey + "\n"
        << ErrorCode::Malformed << "not 16 hex digits";
    QTest::newRow("larger than 4 KiB")
        << false
        << "# mosaic-ed25519-public-key key-id=" + siteId + "\n" + publicKey + "\n" + QByteArray(5000, '\n')
        << ErrorCode::LimitExceeded << "at most 4096 bytes";
    QTest::newRow("Windows line ends are read")
        << false << "# mosaic-ed25519-public-key key-id=" + siteId + "\r\n" + publicKey + "\r\n"
        << ErrorCode::Cancelled << ""; // Cancelled: expected to be read
}

void TestBundleSignature::refusesBadKeyFiles()
{
    QFETCH(bool, secret);
    QFETCH(QByteArray, contents);
    QFETCH(mosaic::ErrorCode, expected);
    QFETCH(QString, detail);

    QTemporaryDir directory;
    const QString path = directory.filePath("given.key");
    writeText(path, contents);
    QVERIFY(QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner));
    const std::filesystem::path file = path.toStdString();
    std::optional<Error> error;
    if (secret) {
        auto read = readSecretKeyFile(file);
        if (!read)
            error = read.error();
    } else {
        auto read = readPublicKeyFile(file);
        if (!read)
            error = read.error();
        else
            QCOMPARE(*read, m_siteKey.publicKey());
    }
    if (expected == ErrorCode::Cancelled) {
        QVERIFY2(!error, error ? error->message().c_str() : "");
        return;
    }
    QVERIFY(error.has_value());
    QCOMPARE(error->code, expected);
    QCOMPARE(error->location, std::string("given.key"));
    QVERIFY2(QString::fromStdString(error->detail).contains(detail), error->message().c_str());
}

void TestBundleSignature::refusesSecretKeyReadableByOthers()
{
    QTemporaryDir directory;
    const std::filesystem::path path = directory.filePath("site.key").toStdString();
    QVERIFY(writeSecretKeyFile(m_siteKey, path));
    std::filesystem::permissions(
        path, std::filesystem::perms::group_read, std::filesystem::perm_options::add);
    auto read = readSecretKeyFile(path);
    QVERIFY(!read);
    QCOMPARE(read.error().code, ErrorCode::InvalidArgument);
    QVERIFY2(read.error().detail.find("readable by other users (permissions 0640)") != std::string::npos,
        read.error().message().c_str());
}

QTEST_APPLESS_MAIN(TestBundleSignature)
#include "tst_bundle_signature.moc"
