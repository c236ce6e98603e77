// SPDX-License-Identifier: Apache-2.0
// A one-million-variant polygenic score over a bgzipped VCF of kSamples samples, Mosaic against
// plink2 --score (Debian's plink2, run in the same process run on the same files). The inputs are
// generated at start-up from a fixed seed (generateInputs below): 1,000,000 biallelic SNPs on
// chromosomes 1-22 with phased GT for every sample, written as BGZF by zlib; a PGS Catalog format 2.0
// scoring file (gzipped) with every variant, 2 % of the non-ambiguous ones stated on the other strand;
// and plink2's score file with the same variants, IDs and weights (alleles as the VCF writes them, so
// plink2 needs no strand handling). docs/performance.md, "Polygenic scores", records the figures.
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/polygenic_score.h"

#include "tests/benchmarks/bgzf_writer.h"
#include <benchmark/benchmark.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <sys/resource.h>
#include <vector>
#include <zlib.h>

using mosaic::benchmarks::BgzfWriter;

namespace {

namespace fs = std::filesystem;
constexpr int kVariants = 1'000'000;
constexpr int kSamples = 100;

char complementBase(char base)
{
    switch (base) {
    case 'A': return 'T';
    case 'T': return 'A';
    case 'C': return 'G';
    default: return 'C';
    }
}

struct Inputs
{
    fs::path folder;
    fs::path vcf; // bgzipped VCF
    fs::path pgs; // PGS Catalog scoring file, gzipped
    fs::path plinkScore; // plink2 --score file: ID, allele, weight
};

const Inputs &generateInputs()
{
    static const Inputs inputs = [] {
        Inputs in;
        in.folder = fs::temp_directory_path() / "mosaic_bench_polygenic_score";
        fs::remove_all(in.folder);
        fs::create_directories(in.folder);
        in.vcf = in.folder / "cohort.vcf.gz";
        in.pgs = in.folder / "PGS_BENCH.txt.gz";
        in.plinkScore = in.folder / "plink_score.txt";

        std::mt19937_64 random(20261130);
        std::uniform_int_distribution<int> baseIndex(0, 3);
        std::uniform_int_distribution<int> step(1, 2000);
        std::uniform_real_distribution<double> frequency(0.02, 0.5);
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        std::normal_distribution<double> weight(0.0, 0.01);
        const char bases[4] = { 'A', 'C', 'G', 'T' };

        BgzfWriter vcf(in.vcf);
        std::string header = "##fileformat=VCFv4.2\n";
        for (int chromosome = 1; chromosome <= 22; ++chromosome)
            header += "##contig=<ID=" + std::to_string(chromosome) + ">\n";
        header += "##FORMAT=<ID=GT,Number=1,Type=String,Description=\"Genotype\">\n"
                  "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT";
        for (int sample = 1; sample <= kSamples; ++sample)
            header += "\tS" + std::to_string(sample);
        vcf.write(header + "\n");

        gzFile pgs = gzopen(in.pgs.string().c_str(), "wb6");
        const std::string pgsHeader = "###PGS CATALOG SCORING FILE (generated for bench_polygenic_score)\n"
                                      "#format_version=2.0\n#pgs_id=PGS_BENCH\n#trait_reported=none\n"
                                      "#genome_build=GRCh38\n#variants_number="
            + std::to_string(kVariants)
            + "\n#weight_type=beta\nrsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_"
              "weight\n";
        gzwrite(pgs, pgsHeader.data(), static_cast<unsigned>(pgsHeader.size()));
        std::ofstream plink(in.plinkScore);
        plink << "ID\tA1\tWEIGHT\n";

        const int perChromosome = kVariants / 22 + 1;
        int written = 0;
        std::string line;
        std::string pgsLine;
        char number[32];
        for (int chromosome = 1; chromosome <= 22 && written < kVariants; ++chromosome) {
            long position = 10000;
            for (int i = 0; i < perChromosome && written < kVariants; ++i, ++written) {
                position += step(random);
                const char ref = bases[baseIndex(random)];
                char alt = bases[baseIndex(random)];
                while (alt == ref)
                    alt = bases[baseIndex(random)];
                const std::string id = std::to_string(chromosome) + ":" + std::to_string(position);
                line = std::to_string(chromosome) + "\t" + std::to_string(position) + "\t" + id + "\t" + ref
                    + "\t" + alt + "\t.\t.\t.\tGT";
                const double p = frequency(random);
                for (int sample = 0; sample < kSamples; ++sample) {
                    line += unit(random) < p ? "\t1|" : "\t0|";
                    line += unit(random) < p ? '1' : '0';
                }
                line += '\n';
                vcf.write(line);

                const bool effectIsAlt = unit(random) < 0.5;
                const char effect = effectIsAlt ? alt : ref;
                const char other = effectIsAlt ? ref : alt;
                const bool ambiguous = complementBase(effect) == other;
                const bool flip = !ambiguous && unit(random) < 0.02;
                std::snprintf(number, sizeof number, "%.6g", weight(random));
                pgsLine = "rs" + std::to_string(written + 1) + "\t" + std::to_string(chromosome) + "\t"
                    + std::to_string(position) + "\t" + (flip ? complementBase(effect) : effect) + "\t"
                    + (flip ? complementBase(other) : other) + "\t" + number + "\n";
                gzwrite(pgs, pgsLine.data(), static_cast<unsigned>(pgsLine.size()));
                plink << id << '\t' << effect << '\t' << number << '\n';
            }
        }
        gzclose(pgs);
        return in;
    }();
    return inputs;
}

std::vector<double> &mosaicScores()
{
    static std::vector<double> scores;
    return scores;
}

void runMosaic(benchmark::State &state, bool checkWholeRecord)
{
    const Inputs &in = generateInputs();
    mosaic::PgsScoringOptions options;
    options.checkWholeRecord = checkWholeRecord;
    options.keepMatchedVariants = false; // as mosaic-cli prs: scores and counts, no per-variant records
    std::size_t matched = 0;
    std::size_t flipped = 0;
    for (auto _ : state) {
        const auto score = mosaic::readPgsScoringFile(in.pgs);
        if (!score) {
            state.SkipWithError(score.error().message().c_str());
            return;
        }
        const auto result = mosaic::scoreVcf(*score, in.vcf, options);
        if (!result) {
            state.SkipWithError(result.error().message().c_str());
            return;
        }
        matched = result->variantsMatched;
        flipped = result->matchedByStrandFlip;
        mosaicScores().clear();
        for (const mosaic::SampleScore &s : result->samples)
            mosaicScores().push_back(s.score);
    }
    state.counters["matched"] = static_cast<double>(matched);
    state.counters["flipped"] = static_cast<double>(flipped);
}

void BM_MosaicScore(benchmark::State &state)
{
    runMosaic(state, true);
}

void BM_MosaicScoreFieldsOnly(benchmark::State &state)
{
    runMosaic(state, false);
}

// The scoring file alone (1,000,000 rows, gzipped), to show where Mosaic's time goes.
void BM_MosaicReadScoringFile(benchmark::State &state)
{
    const Inputs &in = generateInputs();
    for (auto _ : state) {
        const auto score = mosaic::readPgsScoringFile(in.pgs);
        if (!score) {
            state.SkipWithError(score.error().message().c_str());
            return;
        }
        benchmark::DoNotOptimize(score->variants.data());
    }
}

// plink2 converts the VCF and scores it; it uses both cores by default. The iteration time is its
// wall time; cpu_s is its user + system CPU time (all threads). max_diff compares its SCORE1_SUM with
// the last Mosaic run's scores, sample by sample (plink2 prints 6 significant digits).
void BM_Plink2Score(benchmark::State &state)
{
    const Inputs &in = generateInputs();
    const std::string out = (in.folder / "plink").string();
    const std::string command = "plink2 --vcf " + in.vcf.string() + " --score " + in.plinkScore.string()
        + " 1 2 3 header no-mean-imputation cols=+scoresums --out " + out + " > " + out + ".stdout 2>&1";
    double cpuSeconds = 0.0;
    for (auto _ : state) {
        rusage before {};
        getrusage(RUSAGE_CHILDREN, &before);
        const auto start = std::chrono::steady_clock::now();
        const int status = std::system(command.c_str());
        const auto stop = std::chrono::steady_clock::now();
        rusage after {};
        getrusage(RUSAGE_CHILDREN, &after);
        if (status != 0) {
            state.SkipWithError("plink2 failed or is not installed (see the .stdout file beside the inputs)");
            return;
        }
        auto seconds = [](const timeval &t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
        cpuSeconds = seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime)
            - seconds(before.ru_stime);
        state.SetIterationTime(std::chrono::duration<double>(stop - start).count());
    }
    state.counters["cpu_s"] = cpuSeconds;
    std::ifstream sscore(out + ".sscore");
    std::string line;
    std::getline(sscore, line);
    double largest = 0.0;
    std::size_t sample = 0;
    while (std::getline(sscore, line) && sample < mosaicScores().size()) {
        const double plink = std::stod(line.substr(line.rfind('\t') + 1));
        largest
            = std::max(largest, std::abs(plink - mosaicScores()[sample]) / std::max(1.0, std::abs(plink)));
        ++sample;
    }
    if (sample == static_cast<std::size_t>(kSamples))
        state.counters["max_rel_diff"] = largest;
}

} // namespace

// Mosaic is single-threaded: its CPU column is its time. Run order: Mosaic first, so plink2's
// comparison has Mosaic's scores.
BENCHMARK(BM_MosaicScore)->Unit(benchmark::kMillisecond)->Iterations(3)->MeasureProcessCPUTime();
BENCHMARK(BM_MosaicScoreFieldsOnly)->Unit(benchmark::kMillisecond)->Iterations(3)->MeasureProcessCPUTime();
BENCHMARK(BM_MosaicReadScoringFile)->Unit(benchmark::kMillisecond)->Iterations(3)->MeasureProcessCPUTime();
BENCHMARK(BM_Plink2Score)->Unit(benchmark::kMillisecond)->UseManualTime()->Iterations(3);
