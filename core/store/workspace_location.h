// SPDX-License-Identifier: Apache-2.0
// Where Mosaic keeps its data on a workstation when nobody says otherwise. Follows each platform's
// convention so hospital IT finds it where they expect, and honours MOSAIC_DATA_DIR for
// deployments that place the data elsewhere (a managed profile, a shared drive).
#pragma once

#include "core/error.h"

#include <filesystem>

namespace mosaic {

// MOSAIC_DATA_DIR if set; else Linux: $XDG_DATA_HOME/Mosaic or $HOME/.local/share/Mosaic;
// Windows: %LOCALAPPDATA%\Mosaic. NotFound when none of these variables is set.
Result<std::filesystem::path> defaultDataDirectory();

// <data directory>/workspace.sqlite
Result<std::filesystem::path> defaultWorkspacePath();

} // namespace mosaic
