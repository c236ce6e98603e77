// SPDX-License-Identifier: Apache-2.0
// Environment variables that only take effect when read before main() runs, so a program sets them
// by re-executing itself first thing in main(). Two matter to Mosaic:
// - OMP_WAIT_POLICY: XGBoost trains with OpenMP, whose threads spin while they wait by default. On a
//   2-core workstation with the interface thread (or any other program) busy on the second core,
//   that spinning made training three times slower here. GNU OpenMP reads the variable once, when
//   the library loads.
// - GLIBC_TUNABLES=glibc.malloc.hugetlb=1: glibc (2.35 and later) then advises transparent huge pages
//   for the large blocks malloc maps, which is what THP's usual "madvise" mode waits for. Radiomics
//   and image loading allocate and first touch buffers of tens to hundreds of MB; with 4 KiB pages
//   every page costs a fault (about 13 us on the development VM), and that was half the time of the
//   full IBSI feature set (docs/performance.md, "Radiomics"). glibc reads tunables at start-up.
#pragma once

namespace mosaic {

// Sets OMP_WAIT_POLICY=PASSIVE when it is unset, and GLIBC_TUNABLES=glibc.malloc.hugetlb=1 when
// GLIBC_TUNABLES is unset (a user's own tunables are left alone, not extended), then re-executes the
// program with the same arguments when it set either (POSIX; on Windows, where the installer's
// launcher sets the variables, it does nothing). Returns normally when nothing needed setting, or
// when re-executing failed (the program then still works, only slower). Older glibc ignores the
// unknown tunable; a deployment may set either variable itself to override.
void ensureStartupEnvironment(char **argv);

} // namespace mosaic
