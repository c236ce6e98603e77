// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/genomic_inspection.h"

#include "core/genomics/consumer_genotype_file.h"
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/variant_inspection.h"

#include <htslib/hfile.h>
#include <htslib/hts.h>

namespace mosaic {

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
    if (looksLikePgsScoringFile(path))
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
