// SPDX-License-Identifier: Apache-2.0
#include "core/model/collective.h"

#include <nlohmann/json.hpp>
#include <xgboost/c_api.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>

namespace mosaic {
namespace {

// One communicator per process in XGBoost 1.7; a second Init would replace the first's.
std::atomic<bool> g_sessionAlive { false };

// XGBoost's collective enumerations (src/collective/communicator.h, mirrored by the Python
// package's xgboost/collective.py): data type 7 is double, operation 2 is sum.
constexpr int kDataTypeDouble = 7;
constexpr int kOperationSum = 2;

std::unexpected<Error> collectiveError(std::string_view operation)
{
    const char *message = XGBGetLastError();
    std::string detail = "XGBoost's collective could not " + std::string(operation);
    if (message && *message)
        detail += ": " + std::string(message);
    return fail(ErrorCode::ModelFailure, std::move(detail));
}

// Rabit reads each setting with sscanf("%[^=]=%s") into 256-byte buffers: a value must be short and
// hold no whitespace or '=', or it would be cut, merged with the next setting, or overflow.
bool isRabitText(std::string_view text)
{
    return !text.empty() && text.size() <= CollectiveJob::kMaxTextLength
        && std::ranges::all_of(text, [](char c) { return c > ' ' && c < 127 && c != '='; });
}

} // namespace

CollectiveSession::CollectiveSession(int rank, int worldSize)
    : m_active(true)
    , m_rank(rank)
    , m_worldSize(worldSize)
{ }

CollectiveSession::CollectiveSession(CollectiveSession &&other) noexcept
    : m_active(std::exchange(other.m_active, false))
    , m_rank(other.m_rank)
    , m_worldSize(other.m_worldSize)
{ }

CollectiveSession::~CollectiveSession()
{
    (void)leave();
}

Result<CollectiveSession> CollectiveSession::join(const CollectiveJob &job)
{
    const std::string where = "distributed job";
    if (!isRabitText(job.trackerHost))
        return fail(ErrorCode::InvalidArgument,
            "the tracker host must be 1 to " + std::to_string(CollectiveJob::kMaxTextLength)
                + " printable characters without spaces or '='",
            where);
    if (job.trackerPort < 1 || job.trackerPort > 65535)
        return fail(ErrorCode::InvalidArgument,
            "the tracker port must be 1 to 65535, not " + std::to_string(job.trackerPort), where);
    if (!isRabitText(job.taskId))
        return fail(ErrorCode::InvalidArgument,
            "the task id must be 1 to " + std::to_string(CollectiveJob::kMaxTextLength)
                + " printable characters without spaces or '='",
            where);
    if (job.workers < 1 || job.workers > CollectiveJob::kMaxWorkers)
        return fail(ErrorCode::InvalidArgument,
            "a job has 1 to " + std::to_string(CollectiveJob::kMaxWorkers) + " workers, not "
                + std::to_string(job.workers),
            where);
    if (job.peerTimeout.count() < 1 || job.connectRetries < 1)
        return fail(
            ErrorCode::InvalidArgument, "the timeout and the connection retries must be positive", where);

    if (g_sessionAlive.exchange(true))
        return fail(
            ErrorCode::InvalidArgument, "this process is already a worker of a distributed job", where);

    // Key names as Rabit reads them (c_api.h, XGCommunicatorInit); the world size is deliberately not
    // sent, since the tracker would adopt a worker's count instead of its own and the check below
    // would then pass for a wrongly started job.
    const nlohmann::json config = {
        { "xgboost_communicator", "rabit" },
        { "DMLC_TRACKER_URI", job.trackerHost },
        { "DMLC_TRACKER_PORT", job.trackerPort },
        { "DMLC_TASK_ID", job.taskId },
        { "DMLC_WORKER_CONNECT_RETRY", std::to_string(job.connectRetries) },
        { "rabit_timeout", "1" },
        { "rabit_timeout_sec", std::to_string(job.peerTimeout.count()) },
    };
    if (XGCommunicatorInit(config.dump().c_str()) != 0) {
        auto error
            = collectiveError("join the job at " + job.trackerHost + ":" + std::to_string(job.trackerPort));
        XGCommunicatorFinalize();
        g_sessionAlive = false;
        return error;
    }
    CollectiveSession session(XGCommunicatorGetRank(), XGCommunicatorGetWorldSize());
    if (session.worldSize() != job.workers)
        return fail(ErrorCode::InvalidArgument,
            "the tracker runs a job of " + std::to_string(session.worldSize()) + " workers, not "
                + std::to_string(job.workers),
            where);
    return session;
}

Result<void> CollectiveSession::leave()
{
    if (!std::exchange(m_active, false))
        return {};
    const int status = XGCommunicatorFinalize();
    g_sessionAlive = false;
    if (status != 0)
        return collectiveError("leave the job");
    return {};
}

Result<void> CollectiveSession::allreduceSum(std::span<double> values) const
{
    if (!m_active)
        return fail(ErrorCode::InvalidArgument, "the worker has left the distributed job");
    if (values.empty())
        return {};
    if (XGCommunicatorAllreduce(values.data(), values.size(), kDataTypeDouble, kOperationSum) != 0)
        return collectiveError("sum " + std::to_string(values.size()) + " values over the workers");
    return {};
}

Result<void> CollectiveSession::broadcast(std::string &bytes, int root, std::size_t maxBytes) const
{
    if (!m_active)
        return fail(ErrorCode::InvalidArgument, "the worker has left the distributed job");
    if (root < 0 || root >= m_worldSize)
        return fail(ErrorCode::InvalidArgument, "there is no worker of rank " + std::to_string(root));
    // The length first, then the bytes: every worker makes both calls, so none is left waiting.
    std::uint64_t length = m_rank == root ? bytes.size() : 0;
    if (XGCommunicatorBroadcast(&length, sizeof length, root) != 0)
        return collectiveError("receive a length from worker " + std::to_string(root));
    if (length > maxBytes)
        return fail(ErrorCode::LimitExceeded,
            "worker " + std::to_string(root) + " sent " + std::to_string(length) + " bytes; the limit is "
                + std::to_string(maxBytes));
    if (m_rank != root)
        bytes.assign(static_cast<std::size_t>(length), '\0');
    if (length > 0 && XGCommunicatorBroadcast(bytes.data(), bytes.size(), root) != 0)
        return collectiveError(
            "receive " + std::to_string(length) + " bytes from worker " + std::to_string(root));
    return {};
}

} // namespace mosaic
