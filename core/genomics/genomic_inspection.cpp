// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/genomic_inspection.h"

#include "core/genomics/consumer_genotype_file.h"
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/variant_inspection.h"

#include <htslib/bgzf.h>
#include <htslib/hfile.h>
#include <htslib/hts.h>

#include <string>
#include <string_view>

namespace mosaic {

namespace {

constexpr std::size_t kSniffBytes = 64 * 1024;

// The first kSniffBytes of the file's text, decompressed when it is gzip or BGZF.
std::string leadingText(const std::filesystem::path &path)
{
    BGZF *file = bgzf_open(path.string().c_str(), "r");
    if (file == nullptr)
        return {};
    std::string text(kSniffBytes, '\0');
    const ssize_t read = bgzf_read(file, text.data(), text.size());
    bgzf_close(file);
    text.resize(read > 0 ? static_cast<std::size_t>(read) : 0);
    return text;
}

// A PGS Catalog scoring file: its banner ("###PGS CATALOG SCORING FILE"), a "#pgs_id=" header line,
// or, for files without a header, a column line naming effect_allele and effect_weight.
bool looksLikeScoringFile(std::string_view text)
{
    if (text.starts_with("###PGS CATALOG SCORING FILE") || text.find("\n#pgs_id=") != std::string_view::npos
        || text.starts_with("#pgs_id="))
        return true;
    std::size_t begin = 0;
    while (begin < text.size()) {
        const std::size_t end = std::min(text.find('\n', begin), text.size());
        const std::string_view line = text.substr(begin, end - begin);
        if (!line.starts_with('#'))
            return line.find("effect_allele") != std::string_view::npos
                && line.find("effect_weight") != std::string_view::npos;
        begin = end + 1;
    }
    return false;
}

} // namespace

std::optional<GenomicFileFormat> detectGenomicFileFormat(const std::filesystem::path &path)
{
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec) || std::filesystem::file_size(path, ec) == 0)
        return std::nullopt;
    hts_set_log_level(HTS_LOG_OFF);
    hFILE *handle = hopen(path.string().c_str(), "r");
    if (handle == nullptr)
        return std::nullopt;
    htsFormat format {};
    const int detected = hts_detect_format(handle, &format);
    hclose_abruptly(handle);
    if (detected == 0) {
        if (format.format == vcf || format.format == bcf)
            return GenomicFileFormat::Variants;
        if (format.format == sam || format.format == bam || format.format == cram)
            return GenomicFileFormat::Alignments;
    }
    if (detectConsumerGenotypeFormat(path))
        return GenomicFileFormat::ConsumerGenotypes;
    if (looksLikeScoringFile(leadingText(path)))
        return GenomicFileFormat::PgsScoringFile;
    return std::nullopt;
}

std::optional<Result<InspectionReport>> inspectGenomicFile(const std::filesystem::path &path)
{
    const auto format = detectGenomicFileFormat(path);
    if (!format)
        return std::nullopt;
    switch (*format) {
    case GenomicFileFormat::Variants:
    case GenomicFileFormat::Alignments: // VcfReader refuses them, naming what they are
        return inspectVariantFile(path);
    case GenomicFileFormat::ConsumerGenotypes: return inspectConsumerGenotypeFile(path);
    case GenomicFileFormat::PgsScoringFile: return inspectScoringFile(path);
    }
    return std::nullopt;
}

} // namespace mosaic
