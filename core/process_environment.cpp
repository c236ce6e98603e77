// SPDX-License-Identifier: Apache-2.0
#include "core/process_environment.h"

#include <cstdlib>

#ifndef _WIN32
#include <unistd.h>
#endif

namespace mosaic {

void ensureStartupEnvironment(char **argv)
{
#ifndef _WIN32
    bool changed = false;
    // Only a variable that was actually set counts, so the re-executed program finds both set (or
    // unsettable) and never re-executes again.
    if (std::getenv("OMP_WAIT_POLICY") == nullptr && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0)
        changed = true;
    if (std::getenv("GLIBC_TUNABLES") == nullptr && setenv("GLIBC_TUNABLES", kGlibcTunables, 1) == 0)
        changed = true;
    if (!changed)
        return;
    // /proc/self/exe names this very binary even when argv[0] is a bare name found on PATH.
    execv("/proc/self/exe", argv);
    // Only reached when execv failed: carry on with the defaults.
#else
    (void)argv;
#endif
}

} // namespace mosaic
