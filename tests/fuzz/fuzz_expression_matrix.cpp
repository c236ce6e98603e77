// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the expression matrix reader on arbitrary bytes (CSV or TSV text, gzip or BGZF
// are told apart from the content), then, when a matrix is read, two normalisations fitted on the
// first half of its samples and applied to all of them: Golub 1999's (clip, variation filter,
// log10) and a clip + quantile + z-score chain. The reader takes a path, so each input is written to
// a per-process temporary file. Any outcome is fine except a crash, a sanitizer report, a hang or a
// runaway allocation.
#include "core/genomics/expression_matrix.h"
#include "core/genomics/expression_normalisation.h"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <string>
#include <unistd.h>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    static const std::filesystem::path path = std::filesystem::temp_directory_path()
        / ("mosaic-fuzz-expression-" + std::to_string(::getpid()) + ".csv");
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char *>(data), static_cast<std::streamsize>(size));
    }
    mosaic::ExpressionReadOptions options;
    options.limits.maxSamples = 512;
    options.limits.maxProbes = 8192;
    options.limits.maxLineBytes = 1 << 16;
    options.limits.maxCells = 200'000;
    auto matrix = mosaic::readExpressionMatrix(path, options);
    if (!matrix)
        return 0;
    (void)matrix->missingCount();

    std::vector<std::size_t> training((matrix->sampleCount() + 1) / 2);
    std::iota(training.begin(), training.end(), std::size_t { 0 });
    const mosaic::ExpressionMatrix trainingMatrix = matrix->selectSamples(training);

    mosaic::ExpressionNormalisationSettings chain;
    chain.floor = -1e6;
    chain.ceiling = 1e6;
    chain.quantileNormalise = true;
    chain.zScorePerProbe = true;
    for (const auto &settings : { mosaic::ExpressionNormalisationSettings::golub1999(), chain }) {
        auto normaliser = mosaic::ExpressionNormaliser::fit(trainingMatrix, settings);
        if (normaliser)
            (void)normaliser->apply(*matrix);
    }
    return 0;
}
