// SPDX-License-Identifier: Apache-2.0
// Environment variables that only take effect when read before main() runs, so a program sets them
// by re-executing itself first thing in main(). Two matter to Mosaic:
// - OMP_WAIT_POLICY: XGBoost trains with OpenMP, whose threads spin while they wait by default. On a
//   2-core workstation with the interface thread (or any other program) busy on the second core,
//   that spinning made training three times slower here. GNU OpenMP reads the variable once, when
//   the library loads.
// - GLIBC_TUNABLES: glibc reads its malloc tunables at start-up. Radiomics and image loading allocate
//   and first touch buffers of tens to hundreds of MB, and with 4 KiB pages every page costs a fault
//   (about 13 us on the development VM): that was half the time of the full IBSI feature set
//   (docs/performance.md, "Radiomics"). Mosaic sets
//   - hugetlb=1: malloc advises transparent huge pages (madvise) for the memory it obtains from the
//     system, which is what THP's usual "madvise" mode waits for (glibc 2.35 and later);
//   - top_pad=64 MiB: the heap grows by 64 MiB more than each request and keeps 64 MiB when trimmed,
//     so its fresh memory comes in whole huge pages and stays for the next ROI instead of being
//     returned and faulted in again;
//   - mmap_threshold=32 MiB: blocks below 32 MiB come from that heap. glibc's own threshold starts at
//     128 KiB and only rises, to at most 32 MiB, after such blocks are freed, so a first computation
//     would map (and fault in) every buffer separately.
//   Only the heap's top is returned to the system, so a process may hold up to about 64 MiB more than
//   it uses; blocks of 32 MiB and more (a CT volume) are mapped and returned as before.
#pragma once

namespace mosaic {

inline constexpr const char *kGlibcTunables
    = "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=67108864:glibc.malloc.mmap_threshold=33554432";

// Sets OMP_WAIT_POLICY=PASSIVE when it is unset, and GLIBC_TUNABLES to kGlibcTunables when
// GLIBC_TUNABLES is unset (a user's own tunables are left alone, not extended), then re-executes the
// program with the same arguments when it set either (POSIX; on Windows, where the installer's
// launcher sets the variables, it does nothing). Returns normally when nothing needed setting, or
// when re-executing failed (the program then still works, only slower). Older glibc ignores the
// unknown tunables; a deployment may set either variable itself to override.
void ensureStartupEnvironment(char **argv);

} // namespace mosaic
