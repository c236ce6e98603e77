// SPDX-License-Identifier: Apache-2.0
// What the model-bundle suites share: the bundle checksum as the format defines it, computed here
// with libsodium directly (independently of core/model), so a tampered bundle can be re-hashed and
// reach the checks behind the SHA-256.
#pragma once

#include <nlohmann/json.hpp>
#include <sodium.h>

#include <QtGlobal>

#include <array>
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

} // namespace mosaic::testing
