// SPDX-License-Identifier: Apache-2.0
#include "core/store/workspace_location.h"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

namespace mosaic {
namespace {

// An unset and an empty variable mean the same: no preference. `name` is ASCII.
std::optional<std::filesystem::path> environmentPath(const char *name)
{
#ifdef _WIN32
    // The wide call: the narrow one mangles a profile folder outside the ANSI code page ("C:\Users\Zoë").
    const std::string narrowName(name);
    const std::wstring wideName(narrowName.begin(), narrowName.end());
    wchar_t *value = nullptr;
    std::size_t length = 0;
    if (_wdupenv_s(&value, &length, wideName.c_str()) != 0 || value == nullptr)
        return std::nullopt;
    const std::unique_ptr<wchar_t, decltype(&std::free)> owner(value, &std::free);
    if (*value == L'\0')
        return std::nullopt;
    return std::filesystem::path(value);
#else
    const char *value = std::getenv(name);
    if (value == nullptr || *value == '\0')
        return std::nullopt;
    return std::filesystem::path(value);
#endif
}

} // namespace

Result<std::filesystem::path> defaultDataDirectory()
{
    if (auto configured = environmentPath("MOSAIC_DATA_DIR"))
        return *configured;
#ifdef _WIN32
    if (auto localAppData = environmentPath("LOCALAPPDATA"))
        return *localAppData / "Mosaic";
    return fail(ErrorCode::NotFound,
        "cannot tell where to keep Mosaic's data: neither MOSAIC_DATA_DIR nor LOCALAPPDATA is set");
#else
    // XDG Base Directory Specification 0.8: a relative $XDG_DATA_HOME is invalid and must be ignored.
    if (auto dataHome = environmentPath("XDG_DATA_HOME"); dataHome && dataHome->is_absolute())
        return *dataHome / "Mosaic";
    if (auto home = environmentPath("HOME"))
        return *home / ".local" / "share" / "Mosaic";
    return fail(ErrorCode::NotFound,
        "cannot tell where to keep Mosaic's data: none of MOSAIC_DATA_DIR, XDG_DATA_HOME and HOME is set");
#endif
}

Result<std::filesystem::path> defaultWorkspacePath()
{
    auto directory = defaultDataDirectory();
    if (!directory)
        return std::unexpected(directory.error());
    return *directory / "workspace.sqlite";
}

} // namespace mosaic
