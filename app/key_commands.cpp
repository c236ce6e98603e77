// SPDX-License-Identifier: Apache-2.0
#include "app/key_commands.h"

#include "app/cli_support.h"
#include "core/model/model_bundle.h"
#include "core/store/workspace.h"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <iostream>

namespace mosaic::cli {
namespace {

using Json = nlohmann::json;

int runGenerate(const KeyCommands &c)
{
    auto key = SigningKey::generate();
    if (!key)
        return reportError(key.error());
    if (auto written = writeSecretKeyFile(*key, c.secretKey); !written)
        return reportError(written.error());
    if (auto written = writePublicKeyFile(key->publicKey(), c.publicKey); !written)
        return reportError(written.error());
    std::cout << Json {
        { "key_id", key->keyId() }, { "secret_key", c.secretKey }, { "public_key", c.publicKey }
    }.dump(2) << '\n';
    return 0;
}

int runSign(const KeyCommands &c)
{
    auto key = readSecretKeyFile(c.secretKey);
    if (!key)
        return reportError(key.error());
    if (auto signed_ = resignBundleFile(c.model, *key); !signed_)
        return reportError(signed_.error());
    std::cout << Json { { "bundle", c.model }, { "key_id", key->keyId() } }.dump(2) << '\n';
    return 0;
}

int runTrust(const KeyCommands &c)
{
    auto key = readPublicKeyFile(c.publicKey);
    if (!key)
        return reportError(key.error());
    auto workspace = Workspace::open(c.workspace);
    if (!workspace)
        return reportError(workspace.error());
    const std::string name = c.name.empty() ? std::filesystem::path(c.publicKey).filename().string() : c.name;
    auto id = workspace->addTrustedKey(name, *key);
    if (!id)
        return reportError(id.error());
    std::cout << Json { { "key_id", *id }, { "name", name } }.dump(2) << '\n';
    return 0;
}

int runList(const KeyCommands &c)
{
    auto workspace = Workspace::open(c.workspace);
    if (!workspace)
        return reportError(workspace.error());
    auto keys = workspace->trustedKeyList();
    if (!keys)
        return reportError(keys.error());
    Json rows = Json::array();
    for (const auto &key : *keys)
        rows.push_back({ { "key_id", key.keyId }, { "name", key.name }, { "public_key", key.publicKey },
            { "added_at", key.addedAt } });
    std::cout << rows.dump(2) << '\n';
    return 0;
}

int runUntrust(const KeyCommands &c)
{
    auto workspace = Workspace::open(c.workspace);
    if (!workspace)
        return reportError(workspace.error());
    if (auto removed = workspace->removeTrustedKey(c.keyId); !removed)
        return reportError(removed.error());
    std::cout << Json { { "removed", c.keyId } }.dump(2) << '\n';
    return 0;
}

int runExport(const KeyCommands &c)
{
    auto workspace = Workspace::open(c.workspace);
    if (!workspace)
        return reportError(workspace.error());
    auto key = workspace->signingKey();
    if (!key)
        return reportError(key.error());
    if (auto written = writePublicKeyFile(key->publicKey(), c.publicKey); !written)
        return reportError(written.error());
    std::cout << Json { { "key_id", key->keyId() }, { "public_key", c.publicKey } }.dump(2) << '\n';
    return 0;
}

} // namespace

void addSigningOptions(CLI::App &command, SigningOptions &options)
{
    CLI::Option_group *group = command.add_option_group(
        "signing", "the bundle is signed: with a secret key file, or with a workspace's own key");
    group->add_option("--sign-with", options.secretKey, "secret key file (from `mosaic-cli keys generate`)")
        ->check(CLI::ExistingFile);
    group
        ->add_option("--workspace", options.workspace,
            "workspace whose own key signs the bundle (the workspace trusts it)")
        ->check(CLI::ExistingFile);
    group->require_option(1);
}

Result<SigningKey> signingKeyFor(const SigningOptions &options)
{
    if (!options.secretKey.empty())
        return readSecretKeyFile(options.secretKey);
    auto workspace = Workspace::open(options.workspace);
    if (!workspace)
        return std::unexpected(workspace.error());
    return workspace->signingKey();
}

void addTrustOptions(CLI::App &command, TrustOptions &options)
{
    CLI::Option_group *group = command.add_option_group("trust",
        "only bundles signed by a trusted key are loaded: public key files, a workspace's keys, or both");
    group->add_option("--trusted-key", options.publicKeys, "public key file to trust (repeatable)")
        ->check(CLI::ExistingFile);
    group->add_option("--workspace", options.workspace, "workspace whose trusted keys to use")
        ->check(CLI::ExistingFile);
    group->require_option(1, 0);
}

Result<TrustedKeys> trustedKeysFor(const TrustOptions &options)
{
    TrustedKeys keys;
    if (!options.workspace.empty()) {
        auto workspace = Workspace::open(options.workspace);
        if (!workspace)
            return std::unexpected(workspace.error());
        auto stored = workspace->trustedKeys();
        if (!stored)
            return std::unexpected(stored.error());
        keys = std::move(*stored);
    }
    for (const auto &file : options.publicKeys) {
        auto key = readPublicKeyFile(file);
        if (!key)
            return std::unexpected(key.error());
        if (auto added = keys.add(std::filesystem::path(file).filename().string(), *key); !added)
            return std::unexpected(added.error());
    }
    return keys;
}

void addKeyCommands(CLI::App &app, KeyCommands &c)
{
    c.keys
        = app.add_subcommand("keys", "Ed25519 keys that sign model bundles, and the keys a workspace trusts");
    c.keys->require_subcommand(1);

    c.generate
        = c.keys->add_subcommand("generate", "a new key pair: secret key file (0600) and public key file");
    c.generate->add_option("--secret-key", c.secretKey, "secret key file to create (never overwritten)")
        ->required();
    c.generate->add_option("--public-key", c.publicKey, "public key file to write")->required();

    c.trust = c.keys->add_subcommand("trust", "add a public key to a workspace's trusted keys");
    c.trust->add_option("--workspace", c.workspace, "workspace")->required()->check(CLI::ExistingFile);
    c.trust->add_option("--public-key", c.publicKey, "public key file")->required()->check(CLI::ExistingFile);
    c.trust->add_option("--name", c.name, "who holds the secret key (default: the file name)");

    c.list = c.keys->add_subcommand("list", "a workspace's trusted keys, as JSON");
    c.list->add_option("--workspace", c.workspace, "workspace")->required()->check(CLI::ExistingFile);

    c.untrust = c.keys->add_subcommand("untrust", "remove a key from a workspace's trusted keys");
    c.untrust->add_option("--workspace", c.workspace, "workspace")->required()->check(CLI::ExistingFile);
    c.untrust->add_option("--key-id", c.keyId, "the key's id (16 hex digits)")->required();

    c.exportKey = c.keys->add_subcommand(
        "export", "write a workspace's own public key, so others can trust models trained there");
    c.exportKey->add_option("--workspace", c.workspace, "workspace")->required()->check(CLI::ExistingFile);
    c.exportKey->add_option("--public-key", c.publicKey, "public key file to write")->required();

    c.sign = app.add_subcommand(
        "sign", "sign a model bundle again, in place, after checking its hash and content");
    c.sign->add_option("--model", c.model, "model bundle")->required()->check(CLI::ExistingFile);
    c.sign->add_option("--secret-key", c.secretKey, "secret key file")->required()->check(CLI::ExistingFile);
}

std::optional<int> runKeyCommand(const KeyCommands &c)
{
    if (c.sign && c.sign->parsed())
        return runSign(c);
    if (!c.keys || !c.keys->parsed())
        return std::nullopt;
    if (c.generate->parsed())
        return runGenerate(c);
    if (c.trust->parsed())
        return runTrust(c);
    if (c.list->parsed())
        return runList(c);
    if (c.untrust->parsed())
        return runUntrust(c);
    return runExport(c);
}

} // namespace mosaic::cli
