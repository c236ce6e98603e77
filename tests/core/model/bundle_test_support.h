// SPDX-License-Identifier: Apache-2.0
// What the model-bundle suites share: the bundle checksum and signature as the format defines them,
// computed here with libsodium directly (independently of core/model), so a tampered bundle can be
// re-hashed and re-signed and reach the checks behind the SHA-256 and the signature.
#pragma once

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <QtGlobal>

#include <array>
#include <cstdint>
#include <string>

namespace mosaic::testing {

// SHA-256 of the compact dump of "content", in lower-case hex.
inline std::string contentSha256(const nlohmann::json &content)
{
    if (sodium_init() < 0)
        qFatal("libsodium failed to initialise");
    const std::string text = content.dump();
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest {};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char *>(text.data()), text.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex {};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return hex.data();
}

// An Ed25519 key pair made with libsodium from a fixed seed byte, for signing test bundles by hand.
struct TestKeyPair
{
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> publicKey {};
    std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secretKey {};
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed {};
};

inline TestKeyPair testKeyPair(unsigned char seedByte)
{
    if (sodium_init() < 0)
        qFatal("libsodium failed to initialise");
    TestKeyPair pair;
    pair.seed.fill(seedByte);
    crypto_sign_seed_keypair(pair.publicKey.data(), pair.secretKey.data(), pair.seed.data());
    return pair;
}

inline std::string base64Of(const unsigned char *bytes, std::size_t size)
{
    std::string text(sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(text.data(), text.size(), bytes, size, sodium_base64_VARIANT_ORIGINAL);
    text.pop_back();
    return text;
}

// First 8 bytes of SHA-256 of the public key, hex: the format's key id.
inline std::string keyIdOfTestKey(const TestKeyPair &pair)
{
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest {};
    crypto_hash_sha256(digest.data(), pair.publicKey.data(), pair.publicKey.size());
    std::array<char, 17> hex {};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), 8);
    return hex.data();
}

// Re-hashes the content and signs it with `pair` over the documented message
// "mosaic-model-bundle format <format_version> content-sha256 <hex>".
inline void rehashAndSign(nlohmann::json &document, const TestKeyPair &pair)
{
    document["content_sha256"] = contentSha256(document["content"]);
    const std::string message = "mosaic-model-bundle format " + document["format_version"].dump()
        + " content-sha256 " + document["content_sha256"].get<std::string>();
    std::array<unsigned char, crypto_sign_BYTES> signature {};
    crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char *>(message.data()),
        message.size(), pair.secretKey.data());
    document["signature"] = { { "algorithm", "ed25519" }, { "key_id", keyIdOfTestKey(pair) },
        { "public_key", base64Of(pair.publicKey.data(), pair.publicKey.size()) },
        { "signature", base64Of(signature.data(), signature.size()) } };
}

} // namespace mosaic::testing
