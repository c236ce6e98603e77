// SPDX-License-Identifier: Apache-2.0
#include "core/model/openmp_wait_policy.h"

#include <cstdlib>

#ifndef _WIN32
#include <unistd.h>
#endif

namespace mosaic {

void ensurePassiveOpenMpWait(char **argv)
{
#ifndef _WIN32
    if (std::getenv("OMP_WAIT_POLICY") != nullptr)
        return;
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0)
        return;
    // /proc/self/exe names this very binary even when argv[0] is a bare name found on PATH.
    execv("/proc/self/exe", argv);
    // Only reached when execv failed: carry on with the spinning default.
#else
    (void)argv;
#endif
}

} // namespace mosaic
