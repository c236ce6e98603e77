// SPDX-License-Identifier: Apache-2.0
#include "core/model/model_bundle.h"

#include "core/model/tree_structure.h"

#include <nlohmann/json.hpp>
#include <sodium.h>
#include <xgboost/c_api.h>

#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

namespace mosaic {
namespace {

using Json = nlohmann::json;

std::string sha256Hex(std::string_view text)
{
    // libsodium asks for sodium_init() before any use; it is idempotent and thread-safe.
    if (sodium_init() < 0)
        return {};
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest {};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char *>(text.data()), text.size());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex {};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data());
}

// nlohmann-json's get<int>() and get<std::size_t>() accept 2.5 (as 2), wrap 1e10 and -1, and
// convert -3.5 to an unsigned count, which is undefined behaviour; a bundle's counts and settings
// must be whole numbers that fit, or the bundle is malformed.
struct NotAWholeNumber
{
    std::string key;
};

template <typename Integer> Integer wholeNumberAt(const Json &object, const char *key)
{
    const Json &value = object.at(key);
    if (value.is_number_unsigned()) {
        if (const auto number = value.get<std::uint64_t>(); std::in_range<Integer>(number))
            return static_cast<Integer>(number);
    } else if (value.is_number_integer()) {
        if (const auto number = value.get<std::int64_t>(); std::in_range<Integer>(number))
            return static_cast<Integer>(number);
    }
    throw NotAWholeNumber { key };
}

std::string objectiveOf(const TrainingParameters &parameters)
{
    return parameters.objective == Objective::BinaryLogistic ? "binary:logistic" : "multi:softprob";
}

Json metricsToJson(const BinaryMetrics &metrics)
{
    return { { "cases", metrics.cases }, { "positives", metrics.positives }, { "auroc", metrics.auroc.auroc },
        { "auroc_standard_error", metrics.auroc.standardError },
        { "auroc_ci95", { metrics.auroc.ci95.lower, metrics.auroc.ci95.upper } }, { "auprc", metrics.auprc },
        { "brier", metrics.brier }, { "calibration_slope", metrics.calibration.slope },
        { "calibration_intercept", metrics.calibration.intercept } };
}

BinaryMetrics metricsFromJson(const Json &json)
{
    BinaryMetrics metrics;
    metrics.cases = wholeNumberAt<std::size_t>(json, "cases");
    metrics.positives = wholeNumberAt<std::size_t>(json, "positives");
    metrics.auroc.auroc = json.at("auroc").get<double>();
    metrics.auroc.standardError = json.at("auroc_standard_error").get<double>();
    metrics.auroc.ci95.lower = json.at("auroc_ci95").at(0).get<double>();
    metrics.auroc.ci95.upper = json.at("auroc_ci95").at(1).get<double>();
    metrics.auprc = json.at("auprc").get<double>();
    metrics.brier = json.at("brier").get<double>();
    // null: undefined on these predictions (they separate the classes), written from a NaN.
    auto numberOrNaN = [&](const char *key) {
        const Json &value = json.at(key);
        return value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
    };
    metrics.calibration.slope = numberOrNaN("calibration_slope");
    metrics.calibration.intercept = numberOrNaN("calibration_intercept");
    return metrics;
}

Json intervalToJson(const ConfidenceInterval &interval)
{
    return Json::array({ interval.lower, interval.upper });
}

ConfidenceInterval intervalFromJson(const Json &json)
{
    if (!json.is_array() || json.size() != 2)
        throw Json::other_error::create(501, "an interval is not a pair of numbers", &json);
    return { json.at(0).get<double>(), json.at(1).get<double>() };
}

Json calibrationToJson(const ProbabilityCalibration &calibration)
{
    Json json = { { "method", calibrationMethodName(calibration.method) } };
    if (calibration.method == ProbabilityCalibration::Method::Platt) {
        json["a"] = calibration.platt.a;
        json["b"] = calibration.platt.b;
    } else if (calibration.method == ProbabilityCalibration::Method::Isotonic) {
        json["thresholds"] = calibration.isotonic.thresholds;
        json["values"] = calibration.isotonic.values;
    }
    return json;
}

// A calibration map changes every risk the clinician sees: refused unless it is well formed.
Result<ProbabilityCalibration> calibrationFromJson(const Json &json, const std::string &location)
{
    auto bad = [&](const std::string &problem) {
        return fail(ErrorCode::Malformed, "the bundle's calibration " + problem, location);
    };
    const auto method = calibrationMethodFromName(json.at("method").get<std::string>());
    if (!method)
        return bad("names an unknown method");
    ProbabilityCalibration calibration;
    calibration.method = *method;
    if (*method == ProbabilityCalibration::Method::Platt) {
        calibration.platt.a = json.at("a").get<double>();
        calibration.platt.b = json.at("b").get<double>();
        if (!std::isfinite(calibration.platt.a) || !std::isfinite(calibration.platt.b))
            return bad("has a coefficient that is not finite");
    } else if (*method == ProbabilityCalibration::Method::Isotonic) {
        const Json &thresholds = json.at("thresholds");
        const Json &values = json.at("values");
        if (!thresholds.is_array() || !values.is_array() || thresholds.size() != values.size()
            || thresholds.empty())
            return bad("needs as many thresholds as values, at least one");
        for (std::size_t i = 0; i < thresholds.size(); ++i) {
            const double threshold = thresholds[i].get<double>();
            const double value = values[i].get<double>();
            if (!(threshold >= 0.0 && threshold <= 1.0) || !(value >= 0.0 && value <= 1.0))
                return bad("has a threshold or value outside [0, 1]");
            if (i > 0
                && (threshold <= calibration.isotonic.thresholds.back()
                    || value < calibration.isotonic.values.back()))
                return bad("is not increasing");
            calibration.isotonic.thresholds.push_back(threshold);
            calibration.isotonic.values.push_back(value);
        }
    }
    return calibration;
}

Result<Json> contentToJson(const ModelBundle &bundle)
{
    const auto &p = bundle.parameters;
    Json content = {
        { "name", bundle.name },
        { "label_column", bundle.labelColumn },
        { "outcome", bundle.outcome },
        { "schema", Json::parse(bundle.schema.toJson()) },
        { "training",
            { { "objective", objectiveOf(p) }, { "class_count", p.classCount }, { "rounds", p.rounds },
                { "learning_rate", p.learningRate }, { "max_depth", p.maxDepth },
                { "min_child_weight", p.minChildWeight }, { "subsample", p.subsample },
                { "column_sample", p.columnSample }, { "lambda", p.lambda }, { "seed", p.seed },
                { "source", bundle.trainingSource }, { "cases", bundle.trainingCases },
                { "positives", bundle.trainingPositives }, { "data_sha256", bundle.trainingDataSha256 } } },
        { "libraries", { { "xgboost", bundle.libraries.xgboost }, { "mosaic", bundle.libraries.mosaic } } },
        { "created_at", bundle.createdAt },
        { "intended_use", bundle.intendedUse },
        { "limitations", bundle.limitations },
        { "xgboost_model", bundle.xgboostModel },
    };
    if (bundle.specification) {
        Json specification = Json::parse(*bundle.specification, nullptr, false);
        if (specification.is_discarded() || !specification.is_object())
            return fail(ErrorCode::InvalidArgument, "the model specification is not a JSON object");
        content["specification"] = std::move(specification);
    }
    if (bundle.validation) {
        const auto &v = *bundle.validation;
        content["validation"] = { { "protocol", v.protocol }, { "folds", v.folds }, { "repeats", v.repeats },
            { "seed", v.seed }, { "auroc_sd_across_repeats", v.aurocStandardDeviation },
            { "metrics", metricsToJson(v.metrics) } };
        if (!v.selectionFrequency.empty()) {
            Json frequency = Json::array();
            for (const auto &[feature, share] : v.selectionFrequency)
                frequency.push_back({ { "feature", feature }, { "share_of_outer_fits", share } });
            content["validation"]["feature_selection"] = frequency;
        }
        if (!v.chosenFeatureCounts.empty()) {
            Json counts = Json::array();
            for (const auto &[count, fits] : v.chosenFeatureCounts)
                counts.push_back({ { "feature_count", count }, { "outer_fits", fits } });
            content["validation"]["chosen_feature_counts"] = counts;
        }
        Json &written = content["validation"];
        if (!v.calibrationMethod.empty())
            written["calibration_method"] = v.calibrationMethod;
        if (v.aurocBootstrap95)
            written["auroc_bootstrap_ci95"] = intervalToJson(*v.aurocBootstrap95);
        if (v.brierBootstrap95)
            written["brier_bootstrap_ci95"] = intervalToJson(*v.brierBootstrap95);
        if (v.expectedCalibrationError)
            written["expected_calibration_error"] = *v.expectedCalibrationError;
        if (v.abstentionRate)
            written["abstention_rate"] = *v.abstentionRate;
        if (!v.details.empty()) {
            Json details = Json::parse(v.details, nullptr, false);
            if (details.is_discarded() || !details.is_object())
                return fail(ErrorCode::InvalidArgument, "the validation details are not a JSON object");
            written["details"] = std::move(details);
        }
    }
    if (bundle.calibration)
        content["calibration"] = calibrationToJson(*bundle.calibration);
    if (bundle.abstention)
        content["abstention"] = Json::parse(bundle.abstention->toJson());
    return content;
}

// The embedded model must describe the same features as the schema before XGBoost reads it.
Result<void> checkModelStructure(const ModelBundle &bundle, const std::string &location)
{
    const Json model = Json::parse(bundle.xgboostModel, nullptr, false);
    if (model.is_discarded() || !model.is_object())
        return fail(ErrorCode::Malformed, "the embedded XGBoost model is not JSON", location);
    const Json *learner = model.contains("learner") ? &model["learner"] : nullptr;
    if (!learner || !learner->is_object() || !learner->contains("learner_model_param")
        || !learner->contains("objective") || !learner->contains("feature_names"))
        return fail(ErrorCode::Malformed, "the embedded XGBoost model lacks its learner", location);
    const Json &featureCount = (*learner)["learner_model_param"].value("num_feature", Json());
    if (!featureCount.is_string() || featureCount.get<std::string>() != std::to_string(bundle.schema.size()))
        return fail(ErrorCode::IntegrityFailed,
            "the embedded model's feature count does not match the bundle's "
                + std::to_string(bundle.schema.size()) + " features",
            location);
    const Json &names = (*learner)["feature_names"];
    if (!names.is_array() || names != Json(bundle.schema.names()))
        return fail(ErrorCode::IntegrityFailed,
            "the embedded model's feature names differ from the bundle's schema", location);
    const Json &objective = (*learner)["objective"].value("name", Json());
    if (!objective.is_string() || objective.get<std::string>() != objectiveOf(bundle.parameters))
        return fail(
            ErrorCode::IntegrityFailed, "the embedded model's objective differs from the bundle's", location);
    // The trees themselves: XGBoost would follow a child index out of its array or round a cycle.
    if (auto trees = checkTreeStructure(bundle.xgboostModel, bundle.schema.size()); !trees) {
        Error error = trees.error();
        error.location = location;
        return std::unexpected(std::move(error));
    }
    return {};
}

// The envelope of a bundle, checked before anything in its content is believed.
struct CheckedDocument
{
    Json document;
    std::string contentSha256;
};

// Size, JSON, format tag and version, and the SHA-256 over the content, in that order.
Result<CheckedDocument> checkedDocument(std::string_view json, const std::string &location)
{
    if (json.size() > ModelBundle::kMaxBytes)
        return fail(ErrorCode::LimitExceeded, "the model bundle is larger than 256 MiB", location);
    CheckedDocument checked;
    checked.document = Json::parse(json, nullptr, false);
    const Json &document = checked.document;
    if (document.is_discarded() || !document.is_object())
        return fail(ErrorCode::Malformed, "not a JSON document", location);
    if (!document.contains("format") || document["format"] != "mosaic-model-bundle")
        return fail(ErrorCode::Malformed, "not a Mosaic model bundle", location);
    const Json &version = document.value("format_version", Json());
    if (!version.is_number_integer())
        return fail(ErrorCode::Malformed, "the bundle has no format version", location);
    // Compared at full width: get<int>() would wrap format 4294967297 to 1.
    const bool newer = version.is_number_unsigned()
        ? version.get<std::uint64_t>() > static_cast<std::uint64_t>(ModelBundle::kFormatVersion)
        : version.get<std::int64_t>() > ModelBundle::kFormatVersion;
    if (newer)
        return fail(ErrorCode::Unsupported,
            "bundle format " + version.dump() + " is newer than this Mosaic reads ("
                + std::to_string(ModelBundle::kFormatVersion) + ")",
            location);
    if (version.get<std::int64_t>() < ModelBundle::kFormatVersion)
        return fail(ErrorCode::Unsupported,
            "bundle format " + version.dump()
                + " is unsigned and no longer accepted (signed bundles are format "
                + std::to_string(ModelBundle::kFormatVersion) + "): train the model again with this Mosaic",
            location);
    if (!document.contains("content") || !document["content"].is_object()
        || !document.contains("content_sha256"))
        return fail(ErrorCode::Malformed, "the bundle lacks its content or its checksum", location);
    checked.contentSha256 = sha256Hex(document["content"].dump());
    const Json &checksum = document["content_sha256"];
    if (!checksum.is_string() || checksum.get<std::string>() != checked.contentSha256)
        return fail(ErrorCode::IntegrityFailed,
            "the bundle's SHA-256 does not match its content: it was altered or damaged", location);
    return checked;
}

Result<SignatureBlock> signatureBlockOf(const Json &document, const std::string &location)
{
    if (!document.contains("signature"))
        return fail(ErrorCode::IntegrityFailed,
            "the bundle is not signed; Mosaic loads only bundles signed by a trusted key", location);
    const Json &signature = document["signature"];
    SignatureBlock block;
    const std::array<std::pair<const char *, std::string *>, 4> members
        = { { { "algorithm", &block.algorithm }, { "key_id", &block.keyId },
            { "public_key", &block.publicKey }, { "signature", &block.signature } } };
    if (!signature.is_object())
        return fail(ErrorCode::Malformed, "the bundle's signature is not an object", location);
    for (const auto &[key, target] : members) {
        if (!signature.contains(key) || !signature[key].is_string())
            return fail(ErrorCode::Malformed,
                std::string("the bundle's signature lacks its '") + key + "' text", location);
        *target = signature[key].get<std::string>();
    }
    return block;
}

Json signatureToJson(const SignatureBlock &block)
{
    return { { "algorithm", block.algorithm }, { "key_id", block.keyId }, { "public_key", block.publicKey },
        { "signature", block.signature } };
}

// The content's fields and the model's structure; the envelope and signature were checked before.
Result<ModelBundle> contentFromJson(
    const Json &content, std::string_view sourceName, const std::string &location)
{
    // nlohmann-json throws on a value of the wrong type; every such case is a malformed bundle.
    ModelBundle bundle;
    try {
        bundle.name = content.at("name").get<std::string>();
        bundle.labelColumn = content.at("label_column").get<std::string>();
        bundle.outcome = content.at("outcome").get<std::string>();
        auto schema = FeatureSchema::fromJson(content.at("schema").dump(), sourceName);
        if (!schema)
            return std::unexpected(schema.error());
        bundle.schema = std::move(*schema);
        const Json &training = content.at("training");
        const auto objective = training.at("objective").get<std::string>();
        if (objective != "binary:logistic" && objective != "multi:softprob")
            return fail(
                ErrorCode::Unsupported, "objective '" + objective + "' is not one Mosaic trains", location);
        auto &p = bundle.parameters;
        p.objective
            = objective == "binary:logistic" ? Objective::BinaryLogistic : Objective::MulticlassSoftprob;
        p.classCount = wholeNumberAt<int>(training, "class_count");
        p.rounds = wholeNumberAt<int>(training, "rounds");
        p.learningRate = training.at("learning_rate").get<double>();
        p.maxDepth = wholeNumberAt<int>(training, "max_depth");
        p.minChildWeight = training.at("min_child_weight").get<double>();
        p.subsample = training.at("subsample").get<double>();
        p.columnSample = training.at("column_sample").get<double>();
        p.lambda = training.at("lambda").get<double>();
        p.seed = wholeNumberAt<std::uint64_t>(training, "seed");
        bundle.trainingSource = training.at("source").get<std::string>();
        bundle.trainingCases = wholeNumberAt<std::size_t>(training, "cases");
        bundle.trainingPositives = wholeNumberAt<std::size_t>(training, "positives");
        bundle.trainingDataSha256 = training.at("data_sha256").get<std::string>();
        const Json &libraries = content.at("libraries");
        bundle.libraries.xgboost = libraries.at("xgboost").get<std::string>();
        bundle.libraries.mosaic = libraries.at("mosaic").get<std::string>();
        bundle.createdAt = content.at("created_at").get<std::string>();
        bundle.intendedUse = content.at("intended_use").get<std::string>();
        bundle.limitations = content.at("limitations").get<std::string>();
        if (content.contains("specification")) {
            if (!content["specification"].is_object())
                return fail(
                    ErrorCode::Malformed, "the bundle's specification is not a JSON object", location);
            bundle.specification = content["specification"].dump();
        }
        bundle.xgboostModel = content.at("xgboost_model").get<std::string>();
        if (content.contains("validation")) {
            const Json &v = content["validation"];
            ValidationReport report;
            report.protocol = v.at("protocol").get<std::string>();
            report.folds = wholeNumberAt<int>(v, "folds");
            report.repeats = wholeNumberAt<int>(v, "repeats");
            report.seed = wholeNumberAt<std::uint64_t>(v, "seed");
            report.aurocStandardDeviation = v.at("auroc_sd_across_repeats").get<double>();
            report.metrics = metricsFromJson(v.at("metrics"));
            if (v.contains("feature_selection"))
                for (const Json &entry : v.at("feature_selection"))
                    report.selectionFrequency.emplace_back(entry.at("feature").get<std::string>(),
                        entry.at("share_of_outer_fits").get<double>());
            if (v.contains("chosen_feature_counts"))
                for (const Json &entry : v.at("chosen_feature_counts"))
                    report.chosenFeatureCounts.emplace_back(
                        wholeNumberAt<int>(entry, "feature_count"), wholeNumberAt<int>(entry, "outer_fits"));
            if (v.contains("calibration_method"))
                report.calibrationMethod = v["calibration_method"].get<std::string>();
            if (v.contains("auroc_bootstrap_ci95"))
                report.aurocBootstrap95 = intervalFromJson(v["auroc_bootstrap_ci95"]);
            if (v.contains("brier_bootstrap_ci95"))
                report.brierBootstrap95 = intervalFromJson(v["brier_bootstrap_ci95"]);
            if (v.contains("expected_calibration_error"))
                report.expectedCalibrationError = v["expected_calibration_error"].get<double>();
            if (v.contains("abstention_rate"))
                report.abstentionRate = v["abstention_rate"].get<double>();
            if (v.contains("details")) {
                if (!v["details"].is_object())
                    return fail(
                        ErrorCode::Malformed, "the bundle's validation details are not an object", location);
                report.details = v["details"].dump();
            }
            bundle.validation = report;
        }
        if (content.contains("calibration")) {
            auto calibration = calibrationFromJson(content["calibration"], location);
            if (!calibration)
                return std::unexpected(calibration.error());
            bundle.calibration = std::move(*calibration);
        }
        if (content.contains("abstention")) {
            auto policy = AbstentionPolicy::fromJson(content["abstention"].dump(), sourceName);
            if (!policy)
                return std::unexpected(policy.error());
            if (auto applies = policy->checkApplies(
                    bundle.schema, bundle.parameters.objective == Objective::MulticlassSoftprob);
                !applies)
                return std::unexpected(applies.error());
            bundle.abstention = std::move(*policy);
        }
        if (auto structure = checkModelStructure(bundle, location); !structure)
            return std::unexpected(structure.error());
    } catch (const Json::exception &error) {
        return fail(ErrorCode::Malformed, std::string("the bundle's content is incomplete: ") + error.what(),
            location);
    } catch (const NotAWholeNumber &error) {
        return fail(ErrorCode::Malformed, "the bundle's '" + error.key + "' is not a whole number in range",
            location);
    }
    return bundle;
}

// Beside the target and renamed, so a crash never leaves half a bundle under its name.
Result<void> writeTextInPlace(const std::filesystem::path &path, const std::string &text)
{
    const std::filesystem::path temporary = path.string() + ".partial";
    {
        std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
        if (!out)
            return fail(ErrorCode::NotFound, "cannot write the model bundle", path.filename().string());
        out << text;
        out.flush();
        if (!out)
            return fail(
                ErrorCode::StorageFailure, "writing the model bundle failed", path.filename().string());
    }
    std::error_code error;
    std::filesystem::rename(temporary, path, error);
    if (error)
        return fail(ErrorCode::StorageFailure, "cannot move the model bundle into place: " + error.message(),
            path.filename().string());
    return {};
}

Result<std::string> readBundleText(const std::filesystem::path &path)
{
    const std::string name = path.filename().string();
    std::error_code error;
    const auto size = std::filesystem::file_size(path, error);
    if (error)
        return fail(ErrorCode::NotFound, "cannot read the model bundle: " + error.message(), name);
    if (size > ModelBundle::kMaxBytes)
        return fail(ErrorCode::LimitExceeded, "the model bundle is larger than 256 MiB", name);
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size)))
        return fail(ErrorCode::NotFound, "cannot read the model bundle", name);
    return text;
}

void appendLittleEndian32(crypto_hash_sha256_state &state, float value)
{
    // Every NaN alike: a missing value is missing whatever payload the reader happened to produce.
    const std::uint32_t bits = std::isnan(value) ? 0x7FC00000u : std::bit_cast<std::uint32_t>(value);
    const std::array<unsigned char, 4> bytes
        = { static_cast<unsigned char>(bits), static_cast<unsigned char>(bits >> 8),
              static_cast<unsigned char>(bits >> 16), static_cast<unsigned char>(bits >> 24) };
    crypto_hash_sha256_update(&state, bytes.data(), bytes.size());
}

void appendLittleEndian64(crypto_hash_sha256_state &state, std::uint64_t value)
{
    std::array<unsigned char, 8> bytes {};
    for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = static_cast<unsigned char>(value >> (8 * i));
    crypto_hash_sha256_update(&state, bytes.data(), bytes.size());
}

} // namespace

LibraryVersions currentLibraryVersions()
{
    int major = 0;
    int minor = 0;
    int patch = 0;
    XGBoostVersion(&major, &minor, &patch);
    return { std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch),
        MOSAIC_VERSION };
}

Result<std::string> hashTrainingData(const RowMatrixXf &features, std::span<const float> labels)
{
    if (labels.size() != static_cast<std::size_t>(features.rows()))
        return fail(ErrorCode::InvalidArgument,
            "hashing training data needs one label per row: " + std::to_string(labels.size()) + " labels for "
                + std::to_string(features.rows()) + " rows");
    if (sodium_init() < 0)
        return fail(ErrorCode::ModelFailure, "libsodium could not be initialised");
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    constexpr std::string_view kScheme = "mosaic-training-data-v1\n";
    crypto_hash_sha256_update(
        &state, reinterpret_cast<const unsigned char *>(kScheme.data()), kScheme.size());
    appendLittleEndian64(state, static_cast<std::uint64_t>(features.rows()));
    appendLittleEndian64(state, static_cast<std::uint64_t>(features.cols()));
    for (Eigen::Index row = 0; row < features.rows(); ++row)
        for (Eigen::Index column = 0; column < features.cols(); ++column)
            appendLittleEndian32(state, features(row, column));
    for (const float label : labels)
        appendLittleEndian32(state, label);
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest {};
    crypto_hash_sha256_final(&state, digest.data());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex {};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data());
}

Result<std::string> ModelBundle::toJson(const SigningKey &key) const
{
    auto content = contentToJson(*this);
    if (!content)
        return std::unexpected(content.error());
    const std::string digest = sha256Hex(content->dump());
    const Json document = { { "format", "mosaic-model-bundle" }, { "format_version", kFormatVersion },
        { "content", *content }, { "content_sha256", digest },
        { "signature", signatureToJson(signBundleDigest(key, kFormatVersion, digest)) } };
    return document.dump(1);
}

Result<ModelBundle> ModelBundle::fromJson(
    std::string_view json, std::string_view sourceName, const TrustedKeys &trusted)
{
    const std::string location(sourceName);
    auto checked = checkedDocument(json, location);
    if (!checked)
        return std::unexpected(checked.error());
    auto block = signatureBlockOf(checked->document, location);
    if (!block)
        return std::unexpected(block.error());
    auto signer = verifyBundleSignature(*block, kFormatVersion, checked->contentSha256, trusted, location);
    if (!signer)
        return std::unexpected(signer.error());
    auto bundle = contentFromJson(checked->document["content"], sourceName, location);
    if (!bundle)
        return bundle;
    bundle->signerKeyId = signer->keyId;
    bundle->signerName = signer->name;
    return bundle;
}

Result<void> ModelBundle::writeFile(const std::filesystem::path &path, const SigningKey &key) const
{
    auto text = toJson(key);
    if (!text)
        return std::unexpected(Error { text.error().code, text.error().detail, path.filename().string() });
    return writeTextInPlace(path, *text);
}

Result<ModelBundle> ModelBundle::readFile(const std::filesystem::path &path, const TrustedKeys &trusted)
{
    auto text = readBundleText(path);
    if (!text)
        return std::unexpected(text.error());
    return fromJson(*text, path.filename().string(), trusted);
}

Result<std::string> resignBundleJson(
    std::string_view json, std::string_view sourceName, const SigningKey &key)
{
    const std::string location(sourceName);
    auto checked = checkedDocument(json, location);
    if (!checked)
        return std::unexpected(checked.error());
    // The same checks a reader makes after the signature: a signer vouches only for a sound bundle.
    if (auto content = contentFromJson(checked->document["content"], sourceName, location); !content)
        return std::unexpected(content.error());
    checked->document["signature"]
        = signatureToJson(signBundleDigest(key, ModelBundle::kFormatVersion, checked->contentSha256));
    return checked->document.dump(1);
}

Result<void> resignBundleFile(const std::filesystem::path &path, const SigningKey &key)
{
    auto text = readBundleText(path);
    if (!text)
        return std::unexpected(text.error());
    auto signed_ = resignBundleJson(*text, path.filename().string(), key);
    if (!signed_)
        return std::unexpected(signed_.error());
    return writeTextInPlace(path, *signed_);
}

Result<Booster> ModelBundle::loadBooster() const
{
    return Booster::load(xgboostModel);
}

ValidationReport makeValidationReport(const CrossValidationResult &result)
{
    ValidationReport report;
    const auto &s = result.settings;
    report.protocol = std::to_string(s.repeats) + " x repeated stratified " + std::to_string(s.folds)
        + "-fold cross-validation, seed " + std::to_string(s.seed)
        + "; metrics on each repeat's out-of-fold predictions, averaged over repeats";
    report.folds = s.folds;
    report.repeats = s.repeats;
    report.seed = s.seed;
    report.metrics = result.mean;
    report.aurocStandardDeviation = result.aurocStandardDeviation;
    return report;
}

} // namespace mosaic
