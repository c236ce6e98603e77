// SPDX-License-Identifier: Apache-2.0
// The one error type of Mosaic's core. Bad input is an expected outcome and travels as a value
// (std::expected); programming errors are asserts. An Error names what is wrong in words a user can
// act on, and where (file, line, column, record). It never carries patient identifiers.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace mosaic {

enum class ErrorCode {
    NotFound, // a file, column, patient or model that should be there is not
    Malformed, // input that breaks its format's rules
    Unsupported, // valid input that Mosaic does not handle (yet)
    LimitExceeded, // input larger than a configured safety limit
    IntegrityFailed, // a hash or signature does not match; stored data is damaged
    ModelFailure, // XGBoost refused an operation; detail carries its message
    InvalidArgument, // a caller asked for something impossible (k-fold with k > cases, ...)
    StorageFailure, // the workspace database refused a read or write
    Cancelled, // the user stopped a long-running job
};

struct Error
{
    ErrorCode code = ErrorCode::Malformed;
    std::string detail; // what is wrong, e.g. "cell is not a number: 'abc'"
    std::string location; // where, e.g. "cohort.csv, line 12, column 'Sodium'"; may be empty

    // "cohort.csv, line 12, column 'Sodium': cell is not a number: 'abc'"
    [[nodiscard]] std::string message() const { return location.empty() ? detail : location + ": " + detail; }
};

[[nodiscard]] constexpr std::string_view errorCodeName(ErrorCode code)
{
    switch (code) {
    case ErrorCode::NotFound: return "not found";
    case ErrorCode::Malformed: return "malformed";
    case ErrorCode::Unsupported: return "unsupported";
    case ErrorCode::LimitExceeded: return "limit exceeded";
    case ErrorCode::IntegrityFailed: return "integrity check failed";
    case ErrorCode::ModelFailure: return "model failure";
    case ErrorCode::InvalidArgument: return "invalid argument";
    case ErrorCode::StorageFailure: return "storage failure";
    case ErrorCode::Cancelled: return "cancelled";
    }
    return "error";
}

template <typename T> using Result = std::expected<T, Error>;

// Shorthand for the failure branch: `return fail(ErrorCode::Malformed, "...", where);`
[[nodiscard]] inline std::unexpected<Error> fail(
    ErrorCode code, std::string detail, std::string location = {})
{
    return std::unexpected(Error { code, std::move(detail), std::move(location) });
}

} // namespace mosaic
