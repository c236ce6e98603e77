// SPDX-License-Identifier: Apache-2.0
// Ed25519 signatures of model bundles (libsodium's crypto_sign_*): key pairs, key ids, the set of
// keys a workspace trusts, the signature of a bundle's content digest, and key files.
//
// What is signed is the ASCII text "mosaic-model-bundle format <version> content-sha256 <hex>",
// where <hex> is the lower-case SHA-256 of the bundle's content that the bundle already carries.
// The format version is part of the message so a signature cannot be carried over to a bundle that
// claims another format, and the fixed prefix keeps a bundle signature from meaning anything else.
//
// A key id is the first 8 bytes of SHA-256 over the 32 public-key bytes, as 16 lower-case hex
// digits. Verification never uses the public key a bundle carries: it looks up the bundle's key id
// among the trusted keys, requires the carried key to be that trusted key, and verifies with the
// trusted copy.
//
// Key files are text: one header line, then the key in base64 (RFC 4648, padded), e.g.
//   # mosaic-ed25519-secret-key key-id=0f3c2a9b81d4e6f7
//   <88 characters: the 64 bytes of libsodium's secret key, seed then public key>
// and "# mosaic-ed25519-public-key key-id=..." with 44 characters for a public key. A secret key
// file is created with permissions 0600 and never overwritten; one readable by others is refused.
#pragma once

#include "core/error.h"

#include <array>
#include <cstddef>
#include <filesystem>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mosaic {

inline constexpr std::string_view kSignatureAlgorithm = "ed25519";
inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSecretKeyBytes = 64; // libsodium's form: 32-byte seed, then the public key
inline constexpr std::size_t kSeedBytes = 32;
inline constexpr std::size_t kSignatureBytes = 64;
inline constexpr std::size_t kMaxKeyFileBytes = 4096;

using PublicKey = std::array<unsigned char, kPublicKeyBytes>;
using Signature = std::array<unsigned char, kSignatureBytes>;

// First 8 bytes of SHA-256 of the public key, as 16 lower-case hex digits.
[[nodiscard]] std::string keyIdOf(const PublicKey &key);

// An Ed25519 secret key. Its bytes are wiped (sodium_memzero) when it is destroyed.
class SigningKey
{
public:
    static Result<SigningKey> generate();
    // Deterministic: the key pair of a 32-byte seed (RFC 8032's test vectors are given as seeds).
    static Result<SigningKey> fromSeed(std::span<const unsigned char> seed);
    // 64 bytes as libsodium keeps them; refused unless the public half is the seed's public key.
    static Result<SigningKey> fromSecretBytes(
        std::span<const unsigned char> secret, std::string_view location);

    SigningKey(const SigningKey &other);
    SigningKey &operator=(const SigningKey &other);
    ~SigningKey();

    [[nodiscard]] const PublicKey &publicKey() const { return m_public; }
    [[nodiscard]] std::string keyId() const { return keyIdOf(m_public); }
    [[nodiscard]] Signature sign(std::string_view message) const;
    // For storage only (a key file, the workspace).
    [[nodiscard]] std::span<const unsigned char, kSecretKeyBytes> secretBytes() const { return m_secret; }

private:
    SigningKey() = default;

    std::array<unsigned char, kSecretKeyBytes> m_secret {};
    PublicKey m_public {};
};

[[nodiscard]] bool verifySignature(
    const PublicKey &key, std::string_view message, const Signature &signature);

struct TrustedKey
{
    std::string name; // who holds the secret key, e.g. "Cardiology models, St Elsewhere"
    PublicKey publicKey {};
    std::string keyId;
};

class TrustedKeys
{
public:
    // Adding a key already in the set is a no-op. A different key with the same id (64-bit ids do
    // not collide by chance) is refused (InvalidArgument).
    Result<void> add(std::string name, const PublicKey &key);
    [[nodiscard]] const TrustedKey *find(std::string_view keyId) const;
    [[nodiscard]] const std::vector<TrustedKey> &keys() const { return m_keys; }
    [[nodiscard]] bool empty() const { return m_keys.empty(); }
    [[nodiscard]] std::size_t size() const { return m_keys.size(); }

private:
    std::vector<TrustedKey> m_keys;
};

// RFC 4648 base64 with padding (libsodium's ORIGINAL variant).
[[nodiscard]] std::string toBase64(std::span<const unsigned char> bytes);
// Exactly `bytes` bytes, or an error naming `what` and `location`. Text of any other length than the
// encoding of `bytes` is refused before it is decoded.
Result<std::vector<unsigned char>> fromBase64(
    std::string_view text, std::size_t bytes, std::string_view what, std::string_view location);

// A bundle's signature block as read from the document, before anything in it is trusted.
struct SignatureBlock
{
    std::string algorithm;
    std::string keyId;
    std::string publicKey; // base64
    std::string signature; // base64
};

[[nodiscard]] std::string bundleSignatureMessage(int formatVersion, std::string_view contentSha256Hex);
[[nodiscard]] SignatureBlock signBundleDigest(
    const SigningKey &key, int formatVersion, std::string_view contentSha256Hex);
// Checks, in order: the algorithm, the key id's form, the lengths of the public key and signature,
// that the key id is the carried public key's, that the key id is trusted and the carried key is the
// trusted one, and the signature with the trusted key. Errors carry `location` and name the key id.
Result<TrustedKey> verifyBundleSignature(const SignatureBlock &block, int formatVersion,
    std::string_view contentSha256Hex, const TrustedKeys &trusted, std::string_view location);

// Key files (see the header comment). Errors name the file name only.
Result<void> writeSecretKeyFile(const SigningKey &key, const std::filesystem::path &path);
Result<SigningKey> readSecretKeyFile(const std::filesystem::path &path);
Result<void> writePublicKeyFile(const PublicKey &key, const std::filesystem::path &path);
Result<PublicKey> readPublicKeyFile(const std::filesystem::path &path);

} // namespace mosaic
