// SPDX-License-Identifier: Apache-2.0
// `mosaic-cli inspect` for genomic inputs: decides from a file's first bytes whether it is a VCF or
// BCF, a consumer genotype download (23andMe, AncestryDNA) or a PGS Catalog scoring file, and hands
// it to that format's inspection. Alignment files (SAM, BAM, CRAM) are recognised so they can be
// refused by name. Anything else is "not a genomic file" and left to the other modalities.
#pragma once

#include "core/error.h"
#include "core/inspection_report.h"

#include <filesystem>
#include <optional>

namespace mosaic {

enum class GenomicFileFormat { Variants, Alignments, ConsumerGenotypes, PgsScoringFile };

// Reads at most 64 KiB (decompressed when the file is gzip or BGZF). std::nullopt: not genomic, or
// not a regular readable file.
[[nodiscard]] std::optional<GenomicFileFormat> detectGenomicFileFormat(const std::filesystem::path &path);

// The report of the format detectGenomicFileFormat names; alignment files are refused
// (Unsupported). std::nullopt when the file is not a genomic format.
[[nodiscard]] std::optional<Result<InspectionReport>> inspectGenomicFile(const std::filesystem::path &path);

} // namespace mosaic
