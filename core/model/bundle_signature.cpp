// SPDX-License-Identifier: Apache-2.0
#include "core/model/bundle_signature.h"

#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <system_error>
#include <utility>

#ifndef _WIN32
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

namespace mosaic {
namespace {

constexpr std::string_view kSecretHeader = "# mosaic-ed25519-secret-key";
constexpr std::string_view kPublicHeader = "# mosaic-ed25519-public-key";
constexpr std::string_view kKeyIdField = " key-id=";
constexpr std::size_t kKeyIdHexDigits = 16;

static_assert(crypto_sign_PUBLICKEYBYTES == kPublicKeyBytes);
static_assert(crypto_sign_SECRETKEYBYTES == kSecretKeyBytes);
static_assert(crypto_sign_SEEDBYTES == kSeedBytes);
static_assert(crypto_sign_BYTES == kSignatureBytes);

// libsodium asks for sodium_init() before any use; it is idempotent and thread-safe.
Result<void> initialiseSodium()
{
    if (sodium_init() < 0)
        return fail(ErrorCode::ModelFailure, "libsodium could not be initialised");
    return {};
}

std::string hex(std::span<const unsigned char> bytes)
{
    std::string text(bytes.size() * 2 + 1, '\0');
    sodium_bin2hex(text.data(), text.size(), bytes.data(), bytes.size());
    text.pop_back();
    return text;
}

bool isKeyIdText(std::string_view text)
{
    return text.size() == kKeyIdHexDigits
        && std::ranges::all_of(text, [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::size_t base64Length(std::size_t bytes)
{
    return sodium_base64_ENCODED_LEN(bytes, sodium_base64_VARIANT_ORIGINAL) - 1;
}

// The file's text, refused past kMaxKeyFileBytes before anything is read.
Result<std::string> readKeyFileText(const std::filesystem::path &path, const std::string &name)
{
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return fail(ErrorCode::NotFound, "no key file here (or not a regular file)", name);
    const auto size = std::filesystem::file_size(path, error);
    if (error)
        return fail(ErrorCode::NotFound, "cannot read the key file: " + error.message(), name);
    if (size > kMaxKeyFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "a key file is at most " + std::to_string(kMaxKeyFileBytes) + " bytes; this one has "
                + std::to_string(size),
            name);
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size)))
        return fail(ErrorCode::NotFound, "cannot read the key file", name);
    return text;
}

// Header line and base64 line. Returns the base64 text; checks the header's key id afterwards.
struct KeyFileLines
{
    std::string base64;
    std::string keyId; // from the header; empty when the header has none
};

Result<KeyFileLines> splitKeyFile(std::string_view text, std::string_view header, const std::string &name)
{
    std::vector<std::string_view> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        lines.push_back(line);
        text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    }
    while (!lines.empty() && lines.back().empty())
        lines.pop_back();
    if (lines.empty() || !lines.front().starts_with(header))
        return fail(ErrorCode::Malformed,
            "line 1: not a Mosaic key file of this kind (expected '" + std::string(header) + "')", name);
    if (lines.size() != 2)
        return fail(ErrorCode::Malformed,
            "a key file has two lines (the header and the key); this one has " + std::to_string(lines.size()),
            name);
    KeyFileLines result;
    std::string_view rest = lines[0].substr(header.size());
    if (!rest.empty()) {
        if (!rest.starts_with(kKeyIdField) || !isKeyIdText(rest.substr(kKeyIdField.size())))
            return fail(ErrorCode::Malformed, "line 1: the header's key id is not 16 hex digits", name);
        result.keyId = std::string(rest.substr(kKeyIdField.size()));
    }
    result.base64 = std::string(lines[1]);
    return result;
}

Result<void> checkHeaderKeyId(const KeyFileLines &lines, const PublicKey &key, const std::string &name)
{
    if (!lines.keyId.empty() && lines.keyId != keyIdOf(key))
        return fail(ErrorCode::IntegrityFailed,
            "the header names key id " + lines.keyId + " but the key in the file has id " + keyIdOf(key),
            name);
    return {};
}

} // namespace

std::string keyIdOf(const PublicKey &key)
{
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest {};
    if (sodium_init() < 0)
        return {};
    crypto_hash_sha256(digest.data(), key.data(), key.size());
    return hex(std::span(digest).first(kKeyIdHexDigits / 2));
}

// ------------------------------------------------------------------------------------------ SigningKey

Result<SigningKey> SigningKey::generate()
{
    if (auto ready = initialiseSodium(); !ready)
        return std::unexpected(ready.error());
    SigningKey key;
    crypto_sign_keypair(key.m_public.data(), key.m_secret.data());
    return key;
}

Result<SigningKey> SigningKey::fromSeed(std::span<const unsigned char> seed)
{
    if (auto ready = initialiseSodium(); !ready)
        return std::unexpected(ready.error());
    if (seed.size() != kSeedBytes)
        return fail(
            ErrorCode::InvalidArgument, "an Ed25519 seed has 32 bytes, not " + std::to_string(seed.size()));
    SigningKey key;
    crypto_sign_seed_keypair(key.m_public.data(), key.m_secret.data(), seed.data());
    return key;
}

Result<SigningKey> SigningKey::fromSecretBytes(
    std::span<const unsigned char> secret, std::string_view location)
{
    if (secret.size() != kSecretKeyBytes)
        return fail(ErrorCode::Malformed,
            "an Ed25519 secret key has 64 bytes, not " + std::to_string(secret.size()),
            std::string(location));
    auto key = fromSeed(secret.first(kSeedBytes));
    if (!key)
        return key;
    // The second half is the public key; a mismatch means the file was damaged or assembled by hand.
    if (sodium_memcmp(key->m_secret.data(), secret.data(), kSecretKeyBytes) != 0)
        return fail(ErrorCode::IntegrityFailed,
            "the secret key's public half does not belong to its seed: the key is damaged",
            std::string(location));
    return key;
}

SigningKey::SigningKey(const SigningKey &other)
    : m_secret(other.m_secret)
    , m_public(other.m_public)
{ }

SigningKey &SigningKey::operator=(const SigningKey &other)
{
    m_secret = other.m_secret;
    m_public = other.m_public;
    return *this;
}

SigningKey::~SigningKey()
{
    sodium_memzero(m_secret.data(), m_secret.size());
}

Signature SigningKey::sign(std::string_view message) const
{
    Signature signature {};
    crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char *>(message.data()),
        message.size(), m_secret.data());
    return signature;
}

bool verifySignature(const PublicKey &key, std::string_view message, const Signature &signature)
{
    if (sodium_init() < 0)
        return false;
    return crypto_sign_verify_detached(signature.data(),
               reinterpret_cast<const unsigned char *>(message.data()), message.size(), key.data())
        == 0;
}

// ----------------------------------------------------------------------------------------- TrustedKeys

Result<void> TrustedKeys::add(std::string name, const PublicKey &key)
{
    std::string id = keyIdOf(key);
    if (const TrustedKey *existing = find(id)) {
        if (existing->publicKey == key)
            return {};
        return fail(ErrorCode::InvalidArgument,
            "another trusted key already has key id " + id + "; the two keys differ, so one is forged");
    }
    m_keys.push_back({ std::move(name), key, std::move(id) });
    return {};
}

const TrustedKey *TrustedKeys::find(std::string_view keyId) const
{
    const auto found = std::ranges::find(m_keys, keyId, &TrustedKey::keyId);
    return found == m_keys.end() ? nullptr : &*found;
}

// -------------------------------------------------------------------------------------------- base64

std::string toBase64(std::span<const unsigned char> bytes)
{
    std::string text(base64Length(bytes.size()) + 1, '\0');
    sodium_bin2base64(text.data(), text.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    text.pop_back();
    return text;
}

Result<std::vector<unsigned char>> fromBase64(
    std::string_view text, std::size_t bytes, std::string_view what, std::string_view location)
{
    if (auto ready = initialiseSodium(); !ready)
        return std::unexpected(ready.error());
    const std::size_t expected = base64Length(bytes);
    if (text.size() != expected)
        return fail(ErrorCode::Malformed,
            std::string(what) + " is " + std::to_string(text.size()) + " characters of base64, not the "
                + std::to_string(expected) + " of " + std::to_string(bytes) + " bytes",
            std::string(location));
    std::vector<unsigned char> decoded(bytes);
    std::size_t length = 0;
    const char *end = nullptr;
    if (sodium_base642bin(decoded.data(), decoded.size(), text.data(), text.size(), nullptr, &length, &end,
            sodium_base64_VARIANT_ORIGINAL)
            != 0
        || length != bytes || end != text.data() + text.size())
        return fail(ErrorCode::Malformed, std::string(what) + " is not valid base64", std::string(location));
    return decoded;
}

// ----------------------------------------------------------------------------------- bundle signatures

std::string bundleSignatureMessage(int formatVersion, std::string_view contentSha256Hex)
{
    return "mosaic-model-bundle format " + std::to_string(formatVersion) + " content-sha256 "
        + std::string(contentSha256Hex);
}

SignatureBlock signBundleDigest(const SigningKey &key, int formatVersion, std::string_view contentSha256Hex)
{
    const Signature signature = key.sign(bundleSignatureMessage(formatVersion, contentSha256Hex));
    return { std::string(kSignatureAlgorithm), key.keyId(), toBase64(key.publicKey()), toBase64(signature) };
}

Result<TrustedKey> verifyBundleSignature(const SignatureBlock &block, int formatVersion,
    std::string_view contentSha256Hex, const TrustedKeys &trusted, std::string_view location)
{
    const std::string where(location);
    if (block.algorithm != kSignatureAlgorithm)
        return fail(ErrorCode::Unsupported,
            "the bundle is signed with '" + block.algorithm.substr(0, 32) + "', not ed25519", where);
    if (!isKeyIdText(block.keyId))
        return fail(ErrorCode::Malformed, "the signature's key id is not 16 lower-case hex digits", where);
    const std::string keyId = block.keyId;
    auto carried = fromBase64(
        block.publicKey, kPublicKeyBytes, "the signature's public key (key id " + keyId + ")", location);
    if (!carried)
        return std::unexpected(carried.error());
    auto signatureBytes
        = fromBase64(block.signature, kSignatureBytes, "the signature (key id " + keyId + ")", location);
    if (!signatureBytes)
        return std::unexpected(signatureBytes.error());
    PublicKey carriedKey {};
    std::ranges::copy(*carried, carriedKey.begin());
    if (keyIdOf(carriedKey) != keyId)
        return fail(ErrorCode::IntegrityFailed,
            "the signature's key id " + keyId + " is not the id of the public key it carries ("
                + keyIdOf(carriedKey) + ")",
            where);
    const TrustedKey *key = trusted.find(keyId);
    if (!key)
        return fail(ErrorCode::IntegrityFailed,
            "the bundle is signed by key " + keyId + ", which is not among the "
                + std::to_string(trusted.size()) + " trusted key(s); refused",
            where);
    if (key->publicKey != carriedKey)
        return fail(ErrorCode::IntegrityFailed,
            "the bundle's public key for key id " + keyId + " differs from the trusted key '" + key->name
                + "' of that id; refused",
            where);
    Signature signature {};
    std::ranges::copy(*signatureBytes, signature.begin());
    // The trusted copy of the key, not the one the bundle carries.
    if (!verifySignature(key->publicKey, bundleSignatureMessage(formatVersion, contentSha256Hex), signature))
        return fail(ErrorCode::IntegrityFailed,
            "the bundle's signature by key " + keyId + " ('" + key->name
                + "') does not verify: the bundle was altered after signing or the signature is forged",
            where);
    return *key;
}

// ------------------------------------------------------------------------------------------- key files

Result<void> writeSecretKeyFile(const SigningKey &key, const std::filesystem::path &path)
{
    const std::string name = path.filename().string();
    std::string text = std::string(kSecretHeader) + std::string(kKeyIdField) + key.keyId() + "\n"
        + toBase64(key.secretBytes()) + "\n";
    Result<void> outcome;
#ifndef _WIN32
    // Created 0600 in one step (no window in which the file is readable by others), never over an
    // existing file or through a symbolic link.
    const int descriptor = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (descriptor < 0) {
        const int code = errno;
        sodium_memzero(text.data(), text.size());
        if (code == EEXIST)
            return fail(ErrorCode::InvalidArgument,
                "a file of this name exists; a secret key is never overwritten", name);
        return fail(ErrorCode::StorageFailure,
            std::string("cannot create the secret key file: ") + std::strerror(code), name);
    }
    std::size_t written = 0;
    while (written < text.size()) {
        const auto result = ::write(descriptor, text.data() + written, text.size() - written);
        if (result < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        written += static_cast<std::size_t>(result);
    }
    const bool synced = written == text.size() && ::fsync(descriptor) == 0;
    const bool closed = ::close(descriptor) == 0;
    if (!synced || !closed) {
        std::error_code ignored;
        std::filesystem::remove(path, ignored);
        outcome = fail(ErrorCode::StorageFailure, "writing the secret key file failed", name);
    }
#else
    std::error_code error;
    if (std::filesystem::exists(path, error)) {
        sodium_memzero(text.data(), text.size());
        return fail(ErrorCode::InvalidArgument,
            "a file of this name exists; a secret key is never overwritten", name);
    }
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        out.flush();
        if (!out)
            outcome = fail(ErrorCode::StorageFailure, "writing the secret key file failed", name);
    }
    std::filesystem::permissions(path,
        std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
        std::filesystem::perm_options::replace, error);
#endif
    sodium_memzero(text.data(), text.size());
    return outcome;
}

Result<SigningKey> readSecretKeyFile(const std::filesystem::path &path)
{
    const std::string name = path.filename().string();
#ifndef _WIN32
    // Like ssh: a secret key others can read is no longer secret, and signing with it would hide that.
    struct stat status
    {
    };
    if (::stat(path.c_str(), &status) == 0 && (status.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(status.st_mode & 07777));
        return fail(ErrorCode::InvalidArgument,
            std::string("the secret key file is readable by other users (permissions ") + mode
                + "); restrict it to its owner (chmod 600)",
            name);
    }
#endif
    auto text = readKeyFileText(path, name);
    if (!text)
        return std::unexpected(text.error());
    auto lines = splitKeyFile(*text, kSecretHeader, name);
    sodium_memzero(text->data(), text->size());
    if (!lines)
        return std::unexpected(lines.error());
    auto bytes = fromBase64(lines->base64, kSecretKeyBytes, "line 2, the secret key,", name);
    sodium_memzero(lines->base64.data(), lines->base64.size());
    if (!bytes)
        return std::unexpected(bytes.error());
    auto key = SigningKey::fromSecretBytes(*bytes, name);
    sodium_memzero(bytes->data(), bytes->size());
    if (!key)
        return key;
    if (auto matches = checkHeaderKeyId(*lines, key->publicKey(), name); !matches)
        return std::unexpected(matches.error());
    return key;
}

Result<void> writePublicKeyFile(const PublicKey &key, const std::filesystem::path &path)
{
    const std::string name = path.filename().string();
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!out)
        return fail(ErrorCode::StorageFailure, "cannot create the public key file", name);
    out << kPublicHeader << kKeyIdField << keyIdOf(key) << '\n' << toBase64(key) << '\n';
    out.flush();
    if (!out)
        return fail(ErrorCode::StorageFailure, "writing the public key file failed", name);
    return {};
}

Result<PublicKey> readPublicKeyFile(const std::filesystem::path &path)
{
    const std::string name = path.filename().string();
    auto text = readKeyFileText(path, name);
    if (!text)
        return std::unexpected(text.error());
    auto lines = splitKeyFile(*text, kPublicHeader, name);
    if (!lines)
        return std::unexpected(lines.error());
    auto bytes = fromBase64(lines->base64, kPublicKeyBytes, "line 2, the public key,", name);
    if (!bytes)
        return std::unexpected(bytes.error());
    PublicKey key {};
    std::ranges::copy(*bytes, key.begin());
    if (auto matches = checkHeaderKeyId(*lines, key, name); !matches)
        return std::unexpected(matches.error());
    return key;
}

} // namespace mosaic
