// SPDX-License-Identifier: Apache-2.0
// mosaic-cli's signing keys: `keys generate` (an Ed25519 key pair in two files), `keys trust`,
// `keys list`, `keys untrust` and `keys export` (a workspace's trusted keys and its own public key),
// `sign` (re-sign a bundle in place after checking its hash and content), and the options with
// which `train` signs the bundle it writes and `predict` and `validate` say which keys they trust.
//
// The rule for a modeller: every bundle `train` writes is signed, with `--sign-with SECRET_KEY` or,
// with `--workspace FILE`, with that workspace's own key (which the workspace trusts). Exactly one of
// the two. `predict` and `validate` load only bundles signed by a key given with `--trusted-key
// PUBLIC_KEY` (repeatable) or trusted by `--workspace FILE`.
#pragma once

#include "core/error.h"
#include "core/model/bundle_signature.h"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace mosaic::cli {

struct SigningOptions
{
    std::string secretKey; // --sign-with
    std::string workspace;
};

struct TrustOptions
{
    std::vector<std::string> publicKeys; // --trusted-key, repeatable
    std::string workspace;
};

// Adds --sign-with and --workspace, exactly one of them required (a usage error otherwise).
void addSigningOptions(CLI::App &command, SigningOptions &options);
[[nodiscard]] Result<SigningKey> signingKeyFor(const SigningOptions &options);

// Adds --trusted-key (repeatable) and --workspace, at least one of them required.
void addTrustOptions(CLI::App &command, TrustOptions &options);
[[nodiscard]] Result<TrustedKeys> trustedKeysFor(const TrustOptions &options);

struct KeyCommands
{
    CLI::App *keys = nullptr;
    CLI::App *generate = nullptr;
    CLI::App *trust = nullptr;
    CLI::App *list = nullptr;
    CLI::App *untrust = nullptr;
    CLI::App *exportKey = nullptr;
    CLI::App *sign = nullptr;
    std::string secretKey;
    std::string publicKey;
    std::string workspace;
    std::string name;
    std::string keyId;
    std::string model;
};

// Registers the commands; `commands` must outlive parsing (CLI11 keeps references to its fields).
void addKeyCommands(CLI::App &app, KeyCommands &commands);
// The exit status when one of these commands was parsed; nullopt otherwise.
[[nodiscard]] std::optional<int> runKeyCommand(const KeyCommands &commands);

} // namespace mosaic::cli
