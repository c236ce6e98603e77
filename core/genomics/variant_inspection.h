// SPDX-License-Identifier: Apache-2.0
// What `mosaic-cli inspect` says about a VCF or BCF file: format and version, compression, sample
// count (never sample names), genome build, contigs, and counts from streaming every record (records,
// multi-allelic records, records with GT and DS, phased share), with warnings for what Mosaic
// tolerated or ignored (an index file beside the input, undeclared contigs or tags, unsorted records).
// A file the reader refuses is refused here with the reader's error.
#pragma once

#include "core/error.h"
#include "core/genomics/vcf_reader.h"
#include "core/inspection_report.h"

#include <filesystem>

namespace mosaic {

// Streams the whole file with `limits`; kind is "vcf" or "bcf".
[[nodiscard]] Result<InspectionReport> inspectVariantFile(
    const std::filesystem::path &path, const VcfLimits &limits = {});

} // namespace mosaic
