// SPDX-License-Identifier: Apache-2.0
#include "app/distributed_training.h"

#include "app/cli_support.h"
#include "core/model/booster.h"
#include "core/model/collective.h"
#include "core/model/metrics.h"
#include "core/timestamp.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <span>
#include <thread>

namespace mosaic::cli {
namespace {

using Json = nlohmann::json;

// Apparent metrics are computed from the pooled histogram of predicted probability by outcome, in
// bins this wide (1/1000): fine enough that AUROC moves by at most the share of case-control pairs
// that fall in one bin (counted as ties), coarse enough not to hand peers each patient's exact risk.
constexpr int kProbabilityBins = 1000;
// The metrics expand the histogram to one value per patient; beyond this many they are skipped.
constexpr double kMaxPooledRowsForMetrics = 50'000'000;

Result<std::pair<std::string, int>> parseTracker(const std::string &text)
{
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        return fail(ErrorCode::InvalidArgument, "the tracker must be given as HOST:PORT, not '" + text + "'");
    std::string host = text.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') // [::1]:9091
        host = host.substr(1, host.size() - 2);
    const std::string portText = text.substr(colon + 1);
    int port = 0;
    for (char c : portText) {
        if (c < '0' || c > '9' || port > 65535)
            return fail(ErrorCode::InvalidArgument, "the tracker's port is not a number from 1 to 65535");
        port = port * 10 + (c - '0');
    }
    return std::pair { host, port };
}

std::string environmentValue(const char *name)
{
    const char *value = std::getenv(name);
    return value ? std::string(value) : std::string();
}

// The job from the options, completed from the DMLC_* variables a tracker gives its workers.
Result<CollectiveJob> jobFrom(const DistributedArguments &arguments)
{
    CollectiveJob job;
    job.workers = arguments.workers;
    job.taskId = arguments.taskId.empty() ? environmentValue("DMLC_TASK_ID") : arguments.taskId;
    if (job.taskId.empty())
        return fail(ErrorCode::InvalidArgument, "a distributed worker needs --task-id (or DMLC_TASK_ID)");
    std::string tracker = arguments.tracker;
    if (tracker.empty()) {
        const std::string host = environmentValue("DMLC_TRACKER_URI");
        const std::string port = environmentValue("DMLC_TRACKER_PORT");
        if (host.empty() || port.empty())
            return fail(ErrorCode::InvalidArgument,
                "a distributed worker needs --tracker HOST:PORT (or DMLC_TRACKER_URI and DMLC_TRACKER_PORT)");
        tracker = host + ":" + port;
    }
    auto address = parseTracker(tracker);
    if (!address)
        return std::unexpected(address.error());
    job.trackerHost = address->first;
    job.trackerPort = address->second;
    job.peerTimeout = std::chrono::seconds(arguments.joinTimeoutSeconds);
    return job;
}

// Rabit blocks in a socket call until every worker has reached the tracker, and cannot be
// interrupted; a worker whose peers never come would wait for ever. This ends the process instead.
class JoinWatchdog
{
public:
    JoinWatchdog(std::chrono::seconds timeout, std::string message)
        : m_thread([this, timeout, message = std::move(message)] {
            std::unique_lock lock(m_mutex);
            if (!m_done.wait_for(lock, timeout, [this] { return m_disarmed; })) {
                std::cerr << "mosaic-cli: " << message << std::endl;
                std::_Exit(kExitInvalidInput);
            }
        })
    { }
    ~JoinWatchdog() { disarm(); }
    JoinWatchdog(const JoinWatchdog &) = delete;
    JoinWatchdog &operator=(const JoinWatchdog &) = delete;

    void disarm()
    {
        {
            std::lock_guard lock(m_mutex);
            m_disarmed = true;
        }
        m_done.notify_all();
        if (m_thread.joinable())
            m_thread.join();
    }

private:
    std::mutex m_mutex;
    std::condition_variable m_done;
    bool m_disarmed = false;
    std::thread m_thread; // last: started once the members it uses exist
};

Result<std::string> fileSha256(const std::string &path)
{
    const std::string name = std::filesystem::path(path).filename().string();
    if (sodium_init() < 0)
        return fail(ErrorCode::IntegrityFailed, "libsodium could not start");
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::NotFound, "cannot read the table to hash it", name);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    std::array<char, 1 << 16> buffer {};
    while (in.read(buffer.data(), buffer.size()) || in.gcount() > 0)
        crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char *>(buffer.data()),
            static_cast<std::size_t>(in.gcount()));
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest {};
    crypto_hash_sha256_final(&state, digest.data());
    std::array<char, crypto_hash_sha256_BYTES * 2 + 1> hex {};
    sodium_bin2hex(hex.data(), hex.size(), digest.data(), digest.size());
    return std::string(hex.data());
}

// What every worker must share for their rows to describe one data set and one model.
Json agreementJson(const FeatureSchema &schema, const TrainingRequest &request)
{
    const TrainingParameters &p = request.validation.training;
    return { { "schema", Json::parse(schema.toJson()) }, { "label", request.labelColumn },
        { "objective", p.objective == Objective::BinaryLogistic ? "binary:logistic" : "multi:softprob" },
        { "rounds", p.rounds }, { "learning_rate", p.learningRate }, { "max_depth", p.maxDepth },
        { "min_child_weight", p.minChildWeight }, { "subsample", p.subsample },
        { "column_sample", p.columnSample }, { "lambda", p.lambda }, { "seed", p.seed } };
}

// Every worker calls this with its own verdict; all learn whether any worker failed, so they stop
// together instead of leaving the others blocked in the next collective call.
Result<bool> anyWorkerFailed(const CollectiveSession &session, bool failed)
{
    double count = failed ? 1.0 : 0.0;
    if (auto summed = session.allreduceSum(std::span(&count, 1)); !summed)
        return std::unexpected(summed.error());
    return count > 0.0;
}

Json siteJson(const SiteSummary &site)
{
    return { { "task_id", site.taskId }, { "table", site.table }, { "rows", site.rows },
        { "positives", site.positives }, { "table_sha256", site.tableSha256 },
        { "data_sha256", site.dataSha256 } };
}

// Each worker's summary in turn, from each rank to all: a gather built from broadcasts.
Result<std::vector<SiteSummary>> exchangeSites(const CollectiveSession &session, const SiteSummary &own)
{
    std::vector<SiteSummary> sites;
    for (int root = 0; root < session.worldSize(); ++root) {
        std::string bytes = root == session.rank() ? siteJson(own).dump() : std::string();
        if (auto sent = session.broadcast(bytes, root, 64 * 1024); !sent)
            return std::unexpected(sent.error());
        const Json json = Json::parse(bytes, nullptr, false);
        try {
            sites.push_back({ json.at("task_id").get<std::string>(), json.at("table").get<std::string>(),
                json.at("rows").get<std::size_t>(), json.at("positives").get<std::size_t>(),
                json.at("table_sha256").get<std::string>(), json.at("data_sha256").get<std::string>() });
        } catch (const Json::exception &) {
            return fail(
                ErrorCode::Malformed, "worker " + std::to_string(root) + " sent an unreadable site summary");
        }
    }
    return sites;
}

std::string protocolText(const std::vector<SiteSummary> &sites, std::size_t cases, std::size_t positives)
{
    std::string text = "no cross-validation: distributed training over " + std::to_string(sites.size())
        + " sites through XGBoost's Rabit collective fitted only the final model, on " + std::to_string(cases)
        + " pooled rows (" + std::to_string(positives) + " positive) that never left their sites (";
    for (std::size_t i = 0; i < sites.size(); ++i) {
        const auto &site = sites[i];
        text += (i ? "; " : "") + site.taskId + ": " + site.table + ", " + std::to_string(site.rows)
            + " rows, table SHA-256 " + site.tableSha256 + ", data SHA-256 " + site.dataSha256;
    }
    text += "). The metrics are apparent (in-sample, on the training rows, so optimistic), from the "
            "pooled histogram of predicted probability in "
        + std::to_string(kProbabilityBins)
        + " bins by outcome; they do not estimate performance on new patients: validate on a held-out "
          "site with mosaic-cli validate";
    return text;
}

} // namespace

void addDistributedOptions(CLI::App &train, DistributedArguments &arguments)
{
    train
        .add_option("--workers", arguments.workers,
            "distributed training: join a job of this many workers started by xgboost's Rabit tracker; "
            "this worker's --table holds only its own rows; no cross-validation")
        ->check(CLI::Range(1, CollectiveJob::kMaxWorkers));
    train.add_option("--tracker", arguments.tracker,
        "the tracker, HOST:PORT (default: DMLC_TRACKER_URI:DMLC_TRACKER_PORT)");
    train.add_option("--task-id", arguments.taskId,
        "this worker's name in the job; ranks follow it (default: DMLC_TASK_ID)");
    train
        .add_option("--join-timeout", arguments.joinTimeoutSeconds,
            "seconds to wait for the other workers, and for a silent peer during training")
        ->check(CLI::Range(1, 86400));
}

Result<DistributedTrainingResult> trainDistributed(const CohortTable &table, const std::string &tablePath,
    const FeatureSchema &schema, const TrainingRequest &request, const DistributedArguments &arguments)
{
    // Everything that can fail locally fails before joining, so a bad table never holds up the others.
    auto job = jobFrom(arguments);
    if (!job)
        return std::unexpected(job.error());
    if (request.featureSelection)
        return fail(ErrorCode::Unsupported,
            "feature selection runs inside cross-validation, which distributed training does not do");
    if (request.validation.training.objective != Objective::BinaryLogistic)
        return fail(ErrorCode::Unsupported, "distributed training makes binary risk models only");
    if (!table.labels)
        return fail(ErrorCode::InvalidArgument, "the table has no label column", table.sourceName);
    auto features = table.select(schema);
    if (!features)
        return std::unexpected(features.error());
    std::vector<float> labels;
    std::size_t positives = 0;
    for (std::size_t row = 0; row < table.rows(); ++row) {
        const float label = (*table.labels)(static_cast<Eigen::Index>(row));
        if (label != 0.0f && label != 1.0f)
            return fail(ErrorCode::InvalidArgument, "a risk model needs labels 0 or 1; this one is not",
                table.sourceName + ", line " + std::to_string(table.lineNumbers[row]));
        labels.push_back(label);
        positives += label == 1.0f ? 1 : 0;
    }
    auto hash = fileSha256(tablePath);
    if (!hash)
        return std::unexpected(hash.error());
    auto dataHash = hashTrainingData(*features, labels);
    if (!dataHash)
        return std::unexpected(dataHash.error());
    const SiteSummary own { job->taskId, table.sourceName, table.rows(), positives, *hash, *dataHash };

    JoinWatchdog watchdog(std::chrono::seconds(arguments.joinTimeoutSeconds),
        "the distributed job at " + job->trackerHost + ":" + std::to_string(job->trackerPort)
            + " did not start within " + std::to_string(arguments.joinTimeoutSeconds) + " s ("
            + std::to_string(job->workers)
            + " workers expected): is the tracker running, and have all sites started?");
    auto session = CollectiveSession::join(*job);
    watchdog.disarm();
    if (!session)
        return std::unexpected(session.error());

    // The workers must agree on the features, the label and the parameters: rank 0's are the job's.
    const std::string ownAgreement = agreementJson(schema, request).dump();
    std::string jobAgreement = ownAgreement;
    if (auto sent = session->broadcast(jobAgreement, 0, 4 << 20); !sent)
        return std::unexpected(sent.error());
    const bool disagrees = jobAgreement != ownAgreement;
    auto disagreement = anyWorkerFailed(*session, disagrees);
    if (!disagreement)
        return std::unexpected(disagreement.error());
    if (*disagreement)
        return fail(ErrorCode::InvalidArgument,
            disagrees ? "this worker's features, label or training parameters differ from worker 0's"
                      : "another worker's features, label or training parameters differ from worker 0's",
            table.sourceName);

    auto sites = exchangeSites(*session, own);
    if (!sites)
        return std::unexpected(sites.error());
    std::size_t pooledCases = 0;
    std::size_t pooledPositives = 0;
    for (const auto &site : *sites) {
        pooledCases += site.rows;
        pooledPositives += site.positives;
    }

    // From here every worker makes the same collective calls: the matrix (XGBoost agrees the column
    // count), the training rounds (sketches and histograms), then the histogram of predictions.
    const std::vector<std::string> names = schema.names();
    auto data = DMatrix::fromDense(*features, labels, names);
    auto failed = anyWorkerFailed(*session, !data);
    if (!failed)
        return std::unexpected(failed.error());
    if (!data)
        return std::unexpected(data.error());
    if (*failed)
        return fail(ErrorCode::ModelFailure, "another worker could not build its data matrix");
    auto booster = Booster::train(*data, request.validation.training);
    if (!booster)
        return std::unexpected(booster.error());
    auto probabilities = booster->predictProbabilities(*data);
    if (!probabilities)
        return std::unexpected(probabilities.error());

    // Per outcome, how many rows fall in each probability bin; last, the squared errors for Brier.
    std::vector<double> pooled(2 * kProbabilityBins + 1, 0.0);
    for (std::size_t row = 0; row < labels.size(); ++row) {
        const double p = (*probabilities)(static_cast<Eigen::Index>(row), 0);
        const int bin = std::clamp(static_cast<int>(p * kProbabilityBins), 0, kProbabilityBins - 1);
        pooled[static_cast<std::size_t>(labels[row] == 1.0f ? kProbabilityBins + bin : bin)] += 1.0;
        pooled.back() += (p - labels[row]) * (p - labels[row]);
    }
    if (auto summed = session->allreduceSum(pooled); !summed)
        return std::unexpected(summed.error());
    auto model = booster->save(ModelFormat::Json);
    if (!model)
        return std::unexpected(model.error());

    DistributedTrainingResult result;
    result.rank = session->rank();
    result.workers = session->worldSize();
    result.sites = *sites;
    if (auto left = session->leave(); !left)
        return std::unexpected(left.error());
    if (result.rank != 0)
        return result;

    ValidationReport report;
    report.protocol = protocolText(result.sites, pooledCases, pooledPositives);
    report.seed = request.validation.training.seed;
    report.metrics.cases = pooledCases;
    report.metrics.positives = pooledPositives;
    bool haveMetrics = false;
    if (static_cast<double>(pooledCases) <= kMaxPooledRowsForMetrics) {
        std::vector<double> scores;
        std::vector<int> outcomes;
        for (int outcome = 0; outcome < 2; ++outcome)
            for (int bin = 0; bin < kProbabilityBins; ++bin)
                for (double n = pooled[static_cast<std::size_t>(outcome * kProbabilityBins + bin)]; n > 0.5;
                     n -= 1.0) {
                    scores.push_back((bin + 0.5) / kProbabilityBins);
                    outcomes.push_back(outcome);
                }
        if (auto metrics = evaluateBinary(scores, outcomes)) {
            report.metrics = *metrics;
            haveMetrics = true;
        }
    }
    // The Brier score needs no binning: the squared errors were summed exactly.
    report.metrics.brier = pooled.back() / static_cast<double>(pooledCases);

    ModelBundle bundle;
    bundle.name = request.name;
    bundle.labelColumn = request.labelColumn;
    bundle.outcome = request.outcome;
    bundle.schema = schema;
    bundle.parameters = request.validation.training;
    bundle.trainingSource = "distributed: ";
    for (std::size_t i = 0; i < result.sites.size(); ++i)
        bundle.trainingSource += (i ? ", " : "") + result.sites[i].table;
    bundle.trainingCases = pooledCases;
    bundle.trainingPositives = pooledPositives;
    // No one matrix holds the pooled rows, so there is no single data hash; each site's is in the
    // validation protocol and in every worker's report.
    bundle.libraries = currentLibraryVersions();
    bundle.createdAt = utcTimestampNow();
    // Without metrics (one class only, or separation the calibration fit cannot take) the bundle
    // carries no report rather than one with made-up numbers.
    if (haveMetrics)
        bundle.validation = std::move(report);
    bundle.xgboostModel = std::move(*model);
    result.bundle = std::move(bundle);
    return result;
}

std::string distributedTrainingJson(const DistributedTrainingResult &result, const std::string &bundlePath)
{
    Json sites = Json::array();
    std::size_t cases = 0;
    std::size_t positives = 0;
    for (const auto &site : result.sites) {
        sites.push_back(siteJson(site));
        cases += site.rows;
        positives += site.positives;
    }
    Json output = { { "rank", result.rank }, { "workers", result.workers }, { "sites", sites },
        { "pooled", { { "cases", cases }, { "positives", positives } } }, { "bundle", nullptr } };
    if (result.bundle) {
        output["bundle"] = bundlePath;
        output["model"] = result.bundle->name;
        if (const auto &report = result.bundle->validation) {
            const BinaryMetrics &m = report->metrics;
            output["validation"] = { { "protocol", report->protocol },
                { "apparent_metrics",
                    { { "cases", m.cases }, { "positives", m.positives }, { "auroc", m.auroc.auroc },
                        { "auprc", m.auprc }, { "brier", m.brier },
                        { "calibration_slope", m.calibration.slope },
                        { "calibration_intercept", m.calibration.intercept } } } };
        }
    }
    return output.dump(2);
}

} // namespace mosaic::cli
