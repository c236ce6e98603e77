// SPDX-License-Identifier: Apache-2.0
// Streaming a whole-genome-sized single-sample VCF: 5 million records written once by this program's
// own deterministic generator (fixed seed) as a bgzipped VCF with realistic columns (rsIDs, QUAL,
// FILTER, INFO with AC/AN/AF/DP/MQ, FORMAT GT:DS:GQ:DP), cached in $MOSAIC_BENCH_CACHE or the
// temporary directory. Measured in the same run: VcfReader reading every column (the default
// VcfFields), VcfReader scanning CHROM/POS/ID/REF/ALT/GT only, and the peer, `bcftools view -Ov -o
// /dev/null`. The last benchmark reports each reader's time as a ratio to bcftools' (below 1 is
// faster). docs/performance.md, "Genotype files", records the figures and the command.
#include "core/genomics/genomic_features.h"
#include "core/genomics/vcf_reader.h"
#include "core/store/workspace.h"

#include "tests/benchmarks/bgzf_writer.h"
#include <array>
#include <benchmark/benchmark.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <sys/resource.h>
#include <time.h>
#include <zlib.h>

using mosaic::benchmarks::BgzfWriter;

namespace {

using namespace mosaic;
namespace fs = std::filesystem;

constexpr std::size_t kRecords = 5'000'000;

// GRCh38 autosome lengths: records are spread over chromosomes in proportion, positions ascending.
constexpr std::array<std::int64_t, 22> kLengths { 248956422, 242193529, 198295559, 190214555, 181538259,
    170805979, 159345973, 145138636, 138394717, 133797422, 135086622, 133275309, 114364328, 107043718,
    101991189, 90338345, 83257441, 80373285, 58617616, 64444167, 46709983, 50818468 };

fs::path generate()
{
    const char *cache = std::getenv("MOSAIC_BENCH_CACHE");
    const fs::path dir = cache != nullptr ? fs::path(cache) : fs::temp_directory_path() / "mosaic-bench";
    const fs::path path = dir / "vcf_stream_5M_v1.vcf.gz";
    if (fs::exists(path))
        return path;
    fs::create_directories(dir);
    const fs::path partial = dir / "vcf_stream_5M_v1.vcf.gz.partial";
    const auto start = std::chrono::steady_clock::now();
    {
        BgzfWriter out(partial);
        std::string header = "##fileformat=VCFv4.2\n##reference=GRCh38\n##FILTER=<ID=PASS,Description=\"All "
                             "filters passed\">\n"
                             "##FILTER=<ID=LowQual,Description=\"Low quality\">\n";
        for (std::size_t c = 0; c < kLengths.size(); ++c)
            header += "##contig=<ID=chr" + std::to_string(c + 1) + ",length=" + std::to_string(kLengths[c])
                + ">\n";
        header += "##INFO=<ID=AC,Number=A,Type=Integer,Description=\"Allele count\">\n"
                  "##INFO=<ID=AN,Number=1,Type=Integer,Description=\"Allele number\">\n"
                  "##INFO=<ID=AF,Number=A,Type=Float,Description=\"Allele frequency\">\n"
                  "##INFO=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
                  "##INFO=<ID=MQ,Number=1,Type=Float,Description=\"Mapping quality\">\n"
                  "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                  "##FORMAT=<ID=DS,Number=A,Type=Float,Description=\"Dosage\">\n"
                  "##FORMAT=<ID=GQ,Number=1,Type=Integer,Description=\"Genotype quality\">\n"
                  "##FORMAT=<ID=DP,Number=1,Type=Integer,Description=\"Depth\">\n"
                  "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tSAMPLE1\n";
        out.write(header);
        std::mt19937_64 random(20261130);
        std::int64_t genome = 0;
        for (const std::int64_t length : kLengths)
            genome += length;
        static constexpr char bases[] = "ACGT";
        std::uniform_int_distribution<int> base(0, 3);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        std::string chunk;
        std::size_t written = 0;
        char line[512];
        for (std::size_t c = 0; c < kLengths.size(); ++c) {
            const auto records = static_cast<std::size_t>(static_cast<double>(kRecords)
                * static_cast<double>(kLengths[c]) / static_cast<double>(genome));
            const std::size_t count = c + 1 == kLengths.size() ? kRecords - written : records;
            const std::int64_t meanGap = kLengths[c] / static_cast<std::int64_t>(count + 1);
            std::uniform_int_distribution<std::int64_t> gap(1, 2 * meanGap - 1);
            std::int64_t position = 10000;
            for (std::size_t i = 0; i < count; ++i, ++written) {
                position += gap(random);
                const int ref = base(random);
                std::string reference(1, bases[ref]);
                std::string alternate(1, bases[(ref + 1 + base(random) % 3) % 4]);
                const double kind = unit(random);
                int alternates = 1;
                if (kind < 0.04) {
                    reference += bases[base(random)]; // deletion
                } else if (kind < 0.08) {
                    alternate
                        = std::string(1, bases[ref]) + bases[base(random)] + bases[base(random)]; // insertion
                } else if (kind < 0.10) {
                    alternate += std::string(",") + bases[(ref + 2) % 4]; // multi-allelic
                    alternates = 2;
                }
                const double frequency = 0.001 + 0.998 * unit(random);
                const double p = unit(random);
                const int a = p < 0.5 ? 0 : 1;
                const int b = p < 0.25 ? 0 : (p < 0.85 ? 1 : alternates);
                const double dosage = std::min(2.0, a + b + (unit(random) - 0.5) * 0.1 + 0.05);
                const int depth = 10 + static_cast<int>(unit(random) * 40);
                const bool phased = unit(random) < 0.9;
                const int n = std::snprintf(line, sizeof line,
                    "chr%zu\t%lld\t%s\t%s\t%s\t%.1f\t%s\tAC=%d%s;AN=2;AF=%.4f%s;DP=%d;MQ=%.2f\tGT:DS:GQ:DP\t%"
                    "d%c%d:%.3f%s:%d:%d\n",
                    c + 1, static_cast<long long>(position),
                    unit(random) < 0.7 ? ("rs" + std::to_string(1000000 + written)).c_str() : ".",
                    reference.c_str(), alternate.c_str(), 20.0 + 80.0 * unit(random),
                    unit(random) < 0.95 ? "PASS" : "LowQual", a + b, alternates == 2 ? ",0" : "", frequency,
                    alternates == 2 ? ",0.0010" : "", depth * 30, 40.0 + 20.0 * unit(random), a,
                    phased ? '|' : '/', b, dosage, alternates == 2 ? ",0.000" : "",
                    static_cast<int>(unit(random) * 99), depth);
                chunk.append(line, static_cast<std::size_t>(n));
                if (chunk.size() > (1u << 20)) {
                    out.write(chunk);
                    chunk.clear();
                }
            }
        }
        out.write(chunk);
        out.close();
    }
    fs::rename(partial, path);
    std::fprintf(stderr, "generated %s in %.1f s\n", path.string().c_str(),
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return path;
}

const fs::path &input()
{
    static const fs::path path = generate();
    return path;
}

double gBcftoolsSeconds = 0; // best wall-clock times
double gFullSeconds = 0;
double gScanSeconds = 0;
double gBcftoolsCpuSeconds = 0; // best CPU times (user + system)
double gFullCpuSeconds = 0;
double gScanCpuSeconds = 0;
double gThreadedScanSeconds = 0;
double gThreadedScanCpuSeconds = 0;

void record(double &best, double seconds)
{
    if (best == 0 || seconds < best)
        best = seconds;
}

double processCpuSeconds()
{
    timespec now {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) / 1e9;
}

double childCpuSeconds()
{
    rusage usage {};
    getrusage(RUSAGE_CHILDREN, &usage);
    return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

void readWith(benchmark::State &state, const VcfFields &fields, double &best, double &bestCpu,
    int decompressionThreads = 0)
{
    const fs::path &path = input();
    VcfReadOptions options;
    options.fields = fields;
    options.decompressionThreads = decompressionThreads;
    std::size_t records = 0;
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        const double cpuStart = processCpuSeconds();
        auto reader = VcfReader::open(path, options);
        if (!reader) {
            state.SkipWithError(reader.error().message().c_str());
            return;
        }
        records = 0;
        std::size_t alternateCalls = 0;
        VcfRow row;
        while (true) {
            // Threaded runs reuse the row (next(VcfRow&)); the others take a fresh row per record.
            Result<bool> read = false;
            if (decompressionThreads > 0) {
                read = reader->next(row);
            } else {
                auto fresh = reader->next();
                if (!fresh) {
                    read = std::unexpected(fresh.error());
                } else if (*fresh) {
                    row = std::move(**fresh);
                    read = true;
                }
            }
            if (!read) {
                state.SkipWithError(read.error().message().c_str());
                return;
            }
            if (!*read)
                break;
            ++records;
            for (const int allele : row.calls[0].alleles)
                alternateCalls += allele > 0 ? 1 : 0;
        }
        benchmark::DoNotOptimize(alternateCalls);
        record(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        record(bestCpu, processCpuSeconds() - cpuStart);
    }
    if (records != kRecords)
        state.SkipWithError("the reader did not return every record");
    state.counters["records"] = static_cast<double>(records);
}

// bcftools runs as a child process; its CPU time comes from getrusage(RUSAGE_CHILDREN), comparable
// with the readers' CPU time when other work shares the machine and wall-clock times wander.
void BM_BcftoolsView(benchmark::State &state)
{
    const std::string command = "bcftools view -Ov -o /dev/null '" + input().string() + "'";
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        const double cpuStart = childCpuSeconds();
        if (std::system(command.c_str()) != 0) {
            state.SkipWithError("bcftools view failed (is bcftools installed?)");
            return;
        }
        record(gBcftoolsSeconds,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
        record(gBcftoolsCpuSeconds, childCpuSeconds() - cpuStart);
    }
}

void BM_VcfReaderFull(benchmark::State &state)
{
    readWith(state, VcfFields {}, gFullSeconds, gFullCpuSeconds);
}

void BM_VcfReaderGenotypeScan(benchmark::State &state)
{
    readWith(state, VcfFields { .genotypes = true, .dosages = false, .checkWholeRecord = false },
        gScanSeconds, gScanCpuSeconds);
}

// The GT scan with the row reused and BGZF inflated on a second thread (VcfReadOptions), as the
// polygenic scorer and SampleGenotypes::fromVcf read a genome.
void BM_VcfReaderGenotypeScanThreaded(benchmark::State &state)
{
    readWith(state, VcfFields { .genotypes = true, .dosages = false, .checkWholeRecord = false },
        gThreadedScanSeconds, gThreadedScanCpuSeconds, 1);
}

// Caching at import: a patient's genomic features are extracted once from the whole genome and
// stored in the workspace; opening the patient reads them back from SQLite. 40 variant features at
// positions spread over the genome (taken from the file itself, every 125,000th record).
struct ImportFixture
{
    fs::path directory;
    mosaic::GenomicFeatureSpec spec;
    std::shared_ptr<const mosaic::FeatureSchema> schema;
    std::int64_t patientId = 0;
};

ImportFixture &importFixture()
{
    static ImportFixture fixture = [] {
        ImportFixture f;
        f.directory = fs::temp_directory_path() / "mosaic-bench-import";
        fs::remove_all(f.directory);
        fs::create_directories(f.directory);
        VcfReadOptions options;
        options.fields = VcfFields { .genotypes = false, .dosages = false, .checkWholeRecord = false };
        auto reader = VcfReader::open(input(), options);
        VcfRow row;
        for (std::size_t record = 0; reader; ++record) {
            auto read = reader->next(row);
            if (!read || !*read)
                break;
            if (record % 125'000 == 0)
                f.spec.variants.push_back(
                    { "v" + std::to_string(record), { row.variant.chromosome, row.variant.position },
                        row.variant.alternates.front(), row.variant.reference, {} });
        }
        auto schema = mosaic::FeatureSchema::fromDefinitions(f.spec.definitions());
        f.schema = std::make_shared<const mosaic::FeatureSchema>(std::move(*schema));
        return f;
    }();
    return fixture;
}

void BM_ImportGenotypeFeatures(benchmark::State &state)
{
    ImportFixture &fixture = importFixture();
    mosaic::GenomicFeatureInputs inputs;
    inputs.genotypes = input();
    std::size_t present = 0;
    for (auto _ : state) {
        auto values = mosaic::extractGenomicFeatures(fixture.spec, inputs);
        auto vector
            = values ? mosaic::toFeatureVector(*values, fixture.schema) : std::unexpected(values.error());
        auto workspace = mosaic::Workspace::open(fixture.directory / "workspace.db");
        if (!vector || !workspace) {
            state.SkipWithError("import failed");
            return;
        }
        auto patients = workspace->patients();
        fixture.patientId = patients && !patients->empty()
            ? patients->front().id
            : workspace->addPatient("bench", "generated").value_or(0);
        if (!workspace->storeFeatures(fixture.patientId, *vector)) {
            state.SkipWithError("storing failed");
            return;
        }
        present = vector->size() - vector->missingCount();
    }
    state.counters["features"] = static_cast<double>(fixture.spec.variants.size());
    state.counters["present"] = static_cast<double>(present);
}

void BM_OpenPatientGenotypeFeatures(benchmark::State &state)
{
    ImportFixture &fixture = importFixture();
    auto workspace = mosaic::Workspace::open(fixture.directory / "workspace.db");
    if (!workspace || fixture.patientId == 0) {
        state.SkipWithError("run BM_ImportGenotypeFeatures first");
        return;
    }
    for (auto _ : state) {
        auto features = workspace->features(fixture.patientId, fixture.schema);
        if (!features) {
            state.SkipWithError(features.error().message().c_str());
            return;
        }
        benchmark::DoNotOptimize(features->values().data());
    }
}

// Ratios of the best wall-clock and CPU times above (registered last, so it runs after them).
void BM_RatiosToBcftools(benchmark::State &state)
{
    for (auto _ : state)
        benchmark::DoNotOptimize(gBcftoolsSeconds);
    if (gBcftoolsSeconds > 0 && gBcftoolsCpuSeconds > 0) {
        state.counters["full/bcftools"] = gFullSeconds / gBcftoolsSeconds;
        state.counters["scan/bcftools"] = gScanSeconds / gBcftoolsSeconds;
        state.counters["full/bcftools_cpu"] = gFullCpuSeconds / gBcftoolsCpuSeconds;
        state.counters["scan/bcftools_cpu"] = gScanCpuSeconds / gBcftoolsCpuSeconds;
        state.counters["threaded_scan/bcftools"] = gThreadedScanSeconds / gBcftoolsSeconds;
    }
    state.counters["bcftools_s"] = gBcftoolsSeconds;
    state.counters["full_s"] = gFullSeconds;
    state.counters["scan_s"] = gScanSeconds;
    state.counters["bcftools_cpu_s"] = gBcftoolsCpuSeconds;
    state.counters["full_cpu_s"] = gFullCpuSeconds;
    state.counters["scan_cpu_s"] = gScanCpuSeconds;
    state.counters["threaded_scan_s"] = gThreadedScanSeconds;
    state.counters["threaded_scan_cpu_s"] = gThreadedScanCpuSeconds;
}

} // namespace

BENCHMARK(BM_BcftoolsView)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);
BENCHMARK(BM_VcfReaderFull)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);
BENCHMARK(BM_VcfReaderGenotypeScan)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(3);
BENCHMARK(BM_VcfReaderGenotypeScanThreaded)
    ->Unit(benchmark::kSecond)
    ->UseRealTime()
    ->Iterations(1)
    ->Repetitions(3);
BENCHMARK(BM_RatiosToBcftools)->Iterations(1);
BENCHMARK(BM_ImportGenotypeFeatures)->Unit(benchmark::kSecond)->UseRealTime()->Iterations(1)->Repetitions(2);
BENCHMARK(BM_OpenPatientGenotypeFeatures)->Unit(benchmark::kMillisecond);
