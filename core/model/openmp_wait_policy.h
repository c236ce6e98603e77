// SPDX-License-Identifier: Apache-2.0
// XGBoost trains with OpenMP, whose threads spin while they wait by default. On a 2-core workstation
// with the interface thread (or any other program) busy on the second core, that spinning made
// training three times slower here. GNU OpenMP reads OMP_WAIT_POLICY once, when the library loads,
// which is before main() runs, so setting the variable inside the process is too late: a program
// that trains models calls this first thing in main() and is started again with the variable set.
#pragma once

namespace mosaic {

// When OMP_WAIT_POLICY is unset: sets it to PASSIVE and re-executes the program with the same
// arguments (POSIX; on Windows, where the installer's launcher sets the variable, it does nothing).
// Returns normally when the variable was already set, or when re-executing failed (training then
// still works, only slower under load). A deployment may set OMP_WAIT_POLICY itself to override.
void ensurePassiveOpenMpWait(char **argv);

} // namespace mosaic
