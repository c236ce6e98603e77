// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/vcf_reader.h"

#include <htslib/hts.h>
#include <htslib/vcf.h>

#include <cstdlib>
#include <limits>
#include <utility>

namespace mosaic {

namespace {

struct HtsFileCloser
{
    void operator()(htsFile *file) const { hts_close(file); }
};
struct HeaderDestroyer
{
    void operator()(bcf_hdr_t *header) const { bcf_hdr_destroy(header); }
};
struct RecordDestroyer
{
    void operator()(bcf1_t *record) const { bcf_destroy(record); }
};

// Warnings htslib tolerates and so do we: contigs and tags used without a header line.
constexpr int toleratedRecordErrors = BCF_ERR_CTG_UNDEF | BCF_ERR_TAG_UNDEF;

} // namespace

std::string normaliseChromosome(std::string_view name)
{
    if (name.size() > 3 && name.substr(0, 3) == "chr")
        name.remove_prefix(3);
    if (name == "M" || name == "MT")
        return "MT";
    return std::string(name);
}

struct VcfReader::State
{
    std::string fileName; // file name only, for error locations
    VcfLimits limits;
    std::unique_ptr<htsFile, HtsFileCloser> file;
    std::unique_ptr<bcf_hdr_t, HeaderDestroyer> header;
    std::unique_ptr<bcf1_t, RecordDestroyer> record;
    std::size_t recordNumber = 0;
    bool finished = false;
    bool bcf = false;
    int32_t *genotypes = nullptr;
    int genotypeCapacity = 0;
    float *dosages = nullptr;
    int dosageCapacity = 0;

    State() = default;
    State(const State &) = delete;
    State &operator=(const State &) = delete;
    ~State()
    {
        std::free(genotypes);
        std::free(dosages);
    }

    std::string recordLocation() const { return fileName + ", record " + std::to_string(recordNumber); }
    std::string variantLocation(const VariantRecord &variant) const
    {
        return fileName + ", record " + std::to_string(recordNumber) + " (" + variant.chromosome + ":"
            + std::to_string(variant.position) + ")";
    }
};

VcfReader::VcfReader(std::unique_ptr<State> state)
    : state_(std::move(state))
{ }
VcfReader::VcfReader(VcfReader &&) noexcept = default;
VcfReader &VcfReader::operator=(VcfReader &&) noexcept = default;
VcfReader::~VcfReader() = default;

Result<VcfReader> VcfReader::open(const std::filesystem::path &path, const VcfLimits &limits)
{
    // htslib's own log goes to stderr and quotes header lines, sample names included; Mosaic reports
    // through Error values instead, so htslib is silenced (its log level is process-wide, and only
    // this folder uses htslib).
    hts_set_log_level(HTS_LOG_OFF);
    auto state = std::make_unique<State>();
    state->fileName = path.filename().string();
    state->limits = limits;
    const std::string &name = state->fileName;

    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, "file does not exist", name);
    if (!std::filesystem::is_regular_file(path, ec))
        return fail(ErrorCode::Unsupported, "not a regular file", name);
    if (std::filesystem::file_size(path, ec) == 0)
        return fail(ErrorCode::Unsupported, "the file is empty, not VCF or BCF", name);

    state->file.reset(hts_open(path.string().c_str(), "r"));
    if (!state->file)
        return fail(ErrorCode::Malformed, "htslib could not open the file", name);
    const htsFormat *format = hts_get_format(state->file.get());
    if (format == nullptr || format->category != variant_data
        || (format->format != vcf && format->format != bcf)) {
        std::string what = "not VCF or BCF";
        if (format != nullptr && format->format != unknown_format) {
            char *description = hts_format_description(format);
            if (description != nullptr) {
                what += " but " + std::string(description);
                std::free(description);
            }
        }
        return fail(ErrorCode::Unsupported, what, name);
    }
    state->bcf = format->format == bcf;

    state->header.reset(bcf_hdr_read(state->file.get()));
    if (!state->header)
        return fail(ErrorCode::Malformed, "the header could not be read", name + ", header");
    const int samples = bcf_hdr_nsamples(state->header.get());
    if (samples < 0)
        return fail(ErrorCode::Malformed, "negative sample count", name + ", header");
    if (static_cast<std::size_t>(samples) > limits.maxSamples)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(samples) + " samples, more than the limit of " + std::to_string(limits.maxSamples),
            name + ", header");
    state->record.reset(bcf_init());
    if (!state->record)
        return fail(ErrorCode::Malformed, "htslib could not allocate a record", name);
    return VcfReader(std::move(state));
}

std::size_t VcfReader::sampleCount() const
{
    return static_cast<std::size_t>(bcf_hdr_nsamples(state_->header.get()));
}

std::optional<std::size_t> VcfReader::sampleIndex(std::string_view name) const
{
    const std::string key(name);
    const int index = bcf_hdr_id2int(state_->header.get(), BCF_DT_SAMPLE, key.c_str());
    if (index < 0)
        return std::nullopt;
    return static_cast<std::size_t>(index);
}

bool VcfReader::isBcf() const
{
    return state_->bcf;
}

Result<std::optional<VcfRow>> VcfReader::next()
{
    State &s = *state_;
    if (s.finished)
        return std::optional<VcfRow> {};
    bcf1_t *rec = s.record.get();
    bcf_hdr_t *hdr = s.header.get();
    ++s.recordNumber;
    const int status = bcf_read(s.file.get(), hdr, rec);
    if (status == -1) {
        s.finished = true;
        return std::optional<VcfRow> {};
    }
    if (status < -1) {
        s.finished = true;
        return fail(ErrorCode::Malformed, "htslib could not read the record (truncated or malformed file)",
            s.recordLocation());
    }
    if ((rec->errcode & ~toleratedRecordErrors) != 0) {
        s.finished = true;
        return fail(ErrorCode::Malformed,
            "htslib reported a malformed record (error code " + std::to_string(rec->errcode) + ")",
            s.recordLocation());
    }
    const std::size_t recordBytes = static_cast<std::size_t>(rec->shared.l) + rec->indiv.l;
    if (recordBytes > s.limits.maxRecordBytes) {
        s.finished = true;
        return fail(ErrorCode::LimitExceeded,
            std::to_string(recordBytes) + " bytes, more than the limit of "
                + std::to_string(s.limits.maxRecordBytes),
            s.recordLocation());
    }
    if (rec->n_allele == 0 || rec->n_allele > s.limits.maxAllelesPerRecord) {
        s.finished = true;
        if (rec->n_allele == 0)
            return fail(ErrorCode::Malformed, "the record has no reference allele", s.recordLocation());
        return fail(ErrorCode::LimitExceeded,
            std::to_string(rec->n_allele) + " alleles, more than the limit of "
                + std::to_string(s.limits.maxAllelesPerRecord),
            s.recordLocation());
    }
    if (bcf_unpack(rec, BCF_UN_ALL) < 0) {
        s.finished = true;
        return fail(ErrorCode::Malformed, "htslib could not unpack the record", s.recordLocation());
    }

    VcfRow row;
    const char *contig = bcf_seqname(hdr, rec);
    if (contig == nullptr) {
        s.finished = true;
        return fail(ErrorCode::Malformed, "the chromosome is not declared", s.recordLocation());
    }
    row.variant.chromosome = normaliseChromosome(contig);
    row.variant.position = static_cast<std::int64_t>(rec->pos) + 1;
    row.variant.id = rec->d.id != nullptr ? rec->d.id : ".";
    row.variant.reference = rec->d.allele[0];
    row.variant.alternates.reserve(rec->n_allele - 1u);
    for (unsigned i = 1; i < rec->n_allele; ++i)
        row.variant.alternates.emplace_back(rec->d.allele[i]);

    const std::size_t samples = sampleCount();
    if (samples == 0)
        return std::optional<VcfRow>(std::move(row));
    row.calls.resize(samples);

    const int genotypeCount = bcf_get_genotypes(hdr, rec, &s.genotypes, &s.genotypeCapacity);
    if (genotypeCount > 0) {
        if (genotypeCount % static_cast<int>(samples) != 0) {
            s.finished = true;
            return fail(ErrorCode::Malformed, "the genotype count does not divide among the samples",
                s.variantLocation(row.variant));
        }
        const std::size_t ploidy = static_cast<std::size_t>(genotypeCount) / samples;
        for (std::size_t sample = 0; sample < samples; ++sample) {
            GenotypeCall &call = row.calls[sample];
            const int32_t *values = s.genotypes + sample * ploidy;
            bool allPhased = true;
            for (std::size_t k = 0; k < ploidy; ++k) {
                if (values[k] == bcf_int32_vector_end)
                    break;
                if (k > 0 && !bcf_gt_is_phased(values[k]))
                    allPhased = false;
                if (bcf_gt_is_missing(values[k])) {
                    call.alleles.push_back(-1);
                    continue;
                }
                const int allele = bcf_gt_allele(values[k]);
                if (allele < 0 || static_cast<unsigned>(allele) >= rec->n_allele) {
                    s.finished = true;
                    return fail(ErrorCode::Malformed,
                        "sample " + std::to_string(sample + 1) + " calls allele " + std::to_string(allele)
                            + " of " + std::to_string(rec->n_allele),
                        s.variantLocation(row.variant));
                }
                call.alleles.push_back(allele);
            }
            call.phased = call.alleles.size() > 1 && allPhased;
        }
    } else if (genotypeCount < -1 && genotypeCount != -3) {
        // -1: no GT in the header; -3: GT absent from this record. Anything else is damage.
        s.finished = true;
        return fail(ErrorCode::Malformed,
            "the GT field could not be decoded (htslib code " + std::to_string(genotypeCount) + ")",
            s.variantLocation(row.variant));
    }

    const int dosageCount = bcf_get_format_float(hdr, rec, "DS", &s.dosages, &s.dosageCapacity);
    if (dosageCount > 0 && dosageCount % static_cast<int>(samples) == 0) {
        const std::size_t perSample = static_cast<std::size_t>(dosageCount) / samples;
        for (std::size_t sample = 0; sample < samples; ++sample) {
            const float value = s.dosages[sample * perSample];
            if (!bcf_float_is_missing(value) && !bcf_float_is_vector_end(value))
                row.calls[sample].dosage = static_cast<double>(value);
        }
    }
    return std::optional<VcfRow>(std::move(row));
}

} // namespace mosaic
