// SPDX-License-Identifier: Apache-2.0
// The main() of the benchmark programs that register with BENCHMARK(). As mosaic and mosaic-cli do,
// the malloc tunables (huge pages, heap growth) and the OpenMP wait policy are set by re-executing
// before anything is measured (core/process_environment.h). Setting GLIBC_TUNABLES yourself (e.g.
// glibc.malloc.hugetlb=0) measures glibc's defaults instead.
#include "core/process_environment.h"

#include <benchmark/benchmark.h>

int main(int argc, char **argv)
{
    mosaic::ensureStartupEnvironment(argv);
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
        return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
