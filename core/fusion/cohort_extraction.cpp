// SPDX-License-Identifier: Apache-2.0
#include "core/fusion/cohort_extraction.h"

#include "core/imaging/roi_image_loader.h"
#include "core/radiomics/radiomics_pipeline.h"
#include "core/records/csv_records.h"
#include "core/records/fhir_reader.h"
#include "core/records/record_features.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <limits>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

namespace mosaic {

namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// What every case shares, prepared once.
struct ExtractionPlan
{
    const ModelSpec &spec;
    const CohortManifest &manifest;
    const CohortExtractionOptions &options;
    std::shared_ptr<const FeatureSchema> schema;
    std::vector<Modality> modalities; // those the schema has, in Modality order
    std::optional<GenomicFeatureSpec> genotypeSpec; // variants, PGx, scores
    std::optional<GenomicFeatureSpec> expressionSpec;
    std::size_t tableOffset = 0; // schema index of the first table feature
};

// One case's slice of the output.
struct CaseOutput
{
    std::span<float> values;
    std::span<Provenance> provenance;
    CaseReport &report;
};

std::string cellLocation(const ExtractionPlan &plan, const CohortCase &entry, std::string_view column)
{
    return plan.manifest.sourceName + ", line " + std::to_string(entry.line) + ", column '"
        + std::string(column) + "'";
}

// A modality's file failed: the error is kept for the report (location of the cell, then the reader's
// own message, which names the file by its name only) and, when strict, for the cohort.
struct Failure
{
    Modality modality;
    Error error;
};

ModalityCoverage &coverageOf(CaseReport &report, Modality modality)
{
    for (ModalityCoverage &coverage : report.modalities)
        if (coverage.modality == modality)
            return coverage;
    // The schema has no feature of this modality; the caller only asks for modalities it has.
    return report.modalities.front();
}

void recordFailure(std::vector<Failure> &failures, CaseReport &report, Modality modality,
    const Error &readerError, std::string location)
{
    Error error { readerError.code, readerError.message(), std::move(location) };
    ModalityCoverage &coverage = coverageOf(report, modality);
    coverage.error += (coverage.error.empty() ? "" : "; ") + error.message();
    failures.push_back({ modality, std::move(error) });
}

std::string exceptionText(const std::exception &exception)
{
    return std::string("reading failed: ") + exception.what();
}

void extractImaging(
    const ExtractionPlan &plan, const CohortCase &entry, CaseOutput &out, std::vector<Failure> &failures)
{
    const ImagingSection &imaging = *plan.spec.imaging;
    if (entry.image.empty())
        return;
    coverageOf(out.report, Modality::Imaging).inputGiven = true;
    const std::string location = cellLocation(plan, entry, "image");
    try {
        const std::string roi = entry.roi.empty() ? imaging.roi : entry.roi;
        auto loaded = loadRoiImage(entry.image, entry.mask, roi, plan.options.imageLimits);
        if (!loaded)
            return recordFailure(failures, out.report, Modality::Imaging, loaded.error(), location);
        auto features = computeRadiomics(loaded->image, loaded->mask, imaging.settings);
        if (!features)
            return recordFailure(failures, out.report, Modality::Imaging, features.error(), location);
        const std::string source = entry.image.filename().string();
        std::string where = roi.empty() ? std::string("the mask's ROI") : "ROI '" + roi + "'";
        if (!loaded->seriesInstanceUid.empty())
            where += ", series " + loaded->seriesInstanceUid;
        where += ", mask " + entry.mask.filename().string();
        for (std::size_t t = 0; t < imaging.tags.size(); ++t) {
            const auto value = findFeature(*features, imaging.tags[t]);
            if (!value) {
                coverageOf(out.report, Modality::Imaging)
                    .warnings.push_back("IBSI feature " + imaging.tags[t] + " was not computed for this ROI");
                continue;
            }
            out.values[t] = static_cast<float>(*value);
            out.provenance[t] = { source, where + ", " + imaging.tags[t] };
        }
    } catch (const std::exception &exception) {
        recordFailure(failures, out.report, Modality::Imaging,
            { ErrorCode::Malformed, exceptionText(exception), "" }, location);
    }
}

void storeGenomic(const ExtractionPlan &plan, const std::vector<GenomicFeatureValue> &values, CaseOutput &out)
{
    for (const GenomicFeatureValue &value : values) {
        const auto index = plan.schema->indexOf(value.name);
        if (!index)
            continue;
        out.values[*index] = std::isnan(value.value) ? kMissing : static_cast<float>(value.value);
        out.provenance[*index] = value.provenance;
    }
}

void extractGenomics(
    const ExtractionPlan &plan, const CohortCase &entry, CaseOutput &out, std::vector<Failure> &failures)
{
    if (plan.genotypeSpec && !entry.genotypes.empty()) {
        coverageOf(out.report, Modality::Genomics).inputGiven = true;
        const std::string location = cellLocation(plan, entry, "genotypes");
        try {
            GenomicFeatureInputs inputs;
            inputs.genotypes = entry.genotypes;
            inputs.sample = entry.sample;
            inputs.pgxDefinitions = plan.options.pgxDefinitions;
            auto values = extractGenomicFeatures(*plan.genotypeSpec, inputs);
            if (!values)
                recordFailure(failures, out.report, Modality::Genomics, values.error(), location);
            else
                storeGenomic(plan, *values, out);
        } catch (const std::exception &exception) {
            recordFailure(failures, out.report, Modality::Genomics,
                { ErrorCode::Malformed, exceptionText(exception), "" }, location);
        }
    }
    if (plan.expressionSpec && !entry.expression.empty()) {
        coverageOf(out.report, Modality::Genomics).inputGiven = true;
        const std::string location = cellLocation(plan, entry, "expression");
        try {
            GenomicFeatureInputs inputs;
            inputs.expression = entry.expression;
            inputs.expressionSample = entry.expressionSample;
            auto values = extractGenomicFeatures(*plan.expressionSpec, inputs);
            if (!values)
                recordFailure(failures, out.report, Modality::Genomics, values.error(), location);
            else
                storeGenomic(plan, *values, out);
        } catch (const std::exception &exception) {
            recordFailure(failures, out.report, Modality::Genomics,
                { ErrorCode::Malformed, exceptionText(exception), "" }, location);
        }
    }
}

// The time of the record's last dated event: the index when neither the manifest nor the
// specification gives one.
std::optional<records::ClinicalTime> latestEvent(const records::PatientRecord &record)
{
    std::optional<records::ClinicalTime> latest;
    const auto consider = [&](const std::optional<records::ClinicalTime> &time) {
        if (time && (!latest || latest->utcSeconds < time->utcSeconds))
            latest = time;
    };
    for (const auto &observation : record.observations)
        consider(observation.effective);
    for (const auto &condition : record.conditions) {
        consider(condition.onset);
        consider(condition.recorded);
    }
    for (const auto &medication : record.medications)
        consider(medication.start);
    for (const auto &procedure : record.procedures)
        consider(procedure.performed);
    for (const auto &encounter : record.encounters) {
        consider(encounter.start);
        consider(encounter.end);
    }
    for (const auto &report : record.reports)
        consider(report.effective);
    return latest;
}

bool isCsvPath(const std::filesystem::path &path)
{
    std::string extension = path.extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
        [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return extension == ".csv";
}

void extractRecords(
    const ExtractionPlan &plan, const CohortCase &entry, CaseOutput &out, std::vector<Failure> &failures)
{
    if (entry.records.empty())
        return;
    ModalityCoverage &coverage = coverageOf(out.report, Modality::Records);
    coverage.inputGiven = true;
    const std::string location = cellLocation(plan, entry, "records");
    try {
        Result<std::vector<records::PatientRecord>> patients = std::vector<records::PatientRecord> {};
        if (isCsvPath(entry.records)) {
            patients = records::readCsvRecords(entry.records);
        } else if (auto collection = records::readFhirFile(entry.records)) {
            patients = std::move(collection->patients);
        } else {
            patients = std::unexpected(collection.error());
        }
        if (!patients)
            return recordFailure(failures, out.report, Modality::Records, patients.error(), location);
        if (patients->size() != 1)
            return recordFailure(failures, out.report, Modality::Records,
                { ErrorCode::InvalidArgument,
                    "the file holds " + std::to_string(patients->size())
                        + " patient records; a manifest row needs a file with exactly one",
                    entry.records.filename().string() },
                location);
        const records::PatientRecord &record = patients->front();
        std::optional<records::ClinicalTime> index = entry.indexDate;
        if (!index && plan.spec.records->indexDate)
            index = plan.spec.records->indexDate;
        if (!index)
            index = latestEvent(record);
        if (!index)
            return recordFailure(failures, out.report, Modality::Records,
                { ErrorCode::InvalidArgument, "the record has no dated event; give an index_date",
                    entry.records.filename().string() },
                location);
        const records::DerivedRecordFeatures derived
            = records::deriveRecordFeatures(record, plan.spec.records->spec, *index, *plan.spec.units);
        const FeatureSchema &recordSchema = derived.values.schema();
        for (std::size_t i = 0; i < derived.values.size(); ++i) {
            const auto target = plan.schema->indexOf(recordSchema.at(i).name);
            if (!target)
                continue;
            const double value = derived.values.value(i);
            out.values[*target] = std::isnan(value) ? kMissing : static_cast<float>(value);
            out.provenance[*target] = derived.values.provenance(i);
        }
        for (const records::RecordFeatureWarning &warning : derived.warnings)
            coverage.warnings.push_back(warning.feature + ": " + warning.source + ": " + warning.detail);
    } catch (const std::exception &exception) {
        recordFailure(failures, out.report, Modality::Records,
            { ErrorCode::Malformed, exceptionText(exception), "" }, location);
    }
}

std::vector<Failure> extractCase(const ExtractionPlan &plan, const CohortCase &entry, CaseOutput out)
{
    for (const Modality modality : plan.modalities)
        out.report.modalities.push_back({ modality, 0, 0, false, {}, {} });
    std::vector<Failure> failures;
    if (plan.spec.imaging)
        extractImaging(plan, entry, out, failures);
    if (plan.spec.genomics)
        extractGenomics(plan, entry, out, failures);
    if (plan.spec.records)
        extractRecords(plan, entry, out, failures);
    for (std::size_t t = 0; t < entry.table.size(); ++t) {
        const std::size_t index = plan.tableOffset + t;
        const FeatureDefinition &definition = plan.schema->at(index);
        if (!std::isnan(entry.table[t])) {
            out.values[index] = static_cast<float>(entry.table[t]);
            coverageOf(out.report, definition.modality).inputGiven = true;
        }
        out.provenance[index] = { plan.manifest.sourceName,
            "line " + std::to_string(entry.line) + ", column '" + definition.name + "'" };
    }
    for (std::size_t f = 0; f < plan.schema->size(); ++f) {
        ModalityCoverage &coverage = coverageOf(out.report, plan.schema->at(f).modality);
        ++coverage.inModel;
        if (!std::isnan(out.values[f]))
            ++coverage.present;
    }
    return failures;
}

} // namespace

Result<std::vector<std::string>> CohortFeatures::attribute(std::string_view column) const
{
    const auto it = std::find(attributeColumns.begin(), attributeColumns.end(), column);
    if (it == attributeColumns.end())
        return fail(ErrorCode::NotFound, "the manifest has no attribute column '" + std::string(column) + "'",
            sourceName);
    const auto index = static_cast<std::size_t>(it - attributeColumns.begin());
    std::vector<std::string> values;
    values.reserve(attributes.size());
    for (const auto &row : attributes)
        values.push_back(row.at(index));
    return values;
}

CohortTable CohortFeatures::toCohortTable() const
{
    CohortTable table;
    table.sourceName = sourceName;
    table.ids = ids;
    table.lineNumbers = lineNumbers;
    table.featureColumns = schema->names();
    table.features = features;
    if (labels.size() > 0 && labels.array().isNaN().count() == 0)
        table.labels = labels;
    return table;
}

Result<CohortFeatures> extractCohortFeatures(const ModelSpec &spec, const CohortManifest &manifest,
    const CohortExtractionOptions &options, std::stop_token stop)
{
    auto schema = spec.schema(manifest.columns);
    if (!schema)
        return std::unexpected(schema.error());
    ExtractionPlan plan { spec, manifest, options, std::make_shared<const FeatureSchema>(std::move(*schema)),
        {}, {}, {}, 0 };
    if (manifest.tableFeatures.size() > plan.schema->size())
        return fail(ErrorCode::InvalidArgument, "the manifest was not read against this specification",
            manifest.sourceName);
    plan.tableOffset = plan.schema->size() - manifest.tableFeatures.size();
    for (std::size_t t = 0; t < manifest.tableFeatures.size(); ++t)
        if (plan.schema->at(plan.tableOffset + t).name != manifest.tableFeatures[t].name)
            return fail(ErrorCode::InvalidArgument, "the manifest was not read against this specification",
                manifest.sourceName);
    for (const Modality modality : { Modality::Imaging, Modality::Genomics, Modality::Records })
        if (std::any_of(plan.schema->definitions().begin(), plan.schema->definitions().end(),
                [&](const FeatureDefinition &definition) { return definition.modality == modality; }))
            plan.modalities.push_back(modality);
    if (spec.genomics) {
        const GenomicFeatureSpec &genomic = spec.genomics->spec;
        if (!genomic.pgx.empty() && options.pgxDefinitions == nullptr)
            return fail(ErrorCode::InvalidArgument,
                "the specification has PGx features; give the allele definitions",
                spec.sourceName + ", genomics.pgx");
        if (!genomic.variants.empty() || !genomic.pgx.empty() || !genomic.scores.empty()) {
            plan.genotypeSpec = genomic;
            plan.genotypeSpec->expression.clear();
        }
        if (!genomic.expression.empty()) {
            plan.expressionSpec = genomic;
            plan.expressionSpec->variants.clear();
            plan.expressionSpec->pgx.clear();
            plan.expressionSpec->scores.clear();
        }
    }
    if (spec.records && !spec.units)
        return fail(ErrorCode::InvalidArgument, "the specification's records section has no UCUM unit table",
            spec.sourceName + ", records");

    const std::size_t rows = manifest.cases.size();
    const std::size_t columns = plan.schema->size();
    CohortFeatures result;
    result.schema = plan.schema;
    result.sourceName = manifest.sourceName;
    result.features = RowMatrixXf::Constant(
        static_cast<Eigen::Index>(rows), static_cast<Eigen::Index>(columns), kMissing);
    result.labels = Eigen::VectorXf::Constant(static_cast<Eigen::Index>(rows), kMissing);
    result.provenance.resize(rows * columns);
    result.reports.resize(rows);
    result.attributeColumns = manifest.attributeColumns;
    for (std::size_t r = 0; r < rows; ++r) {
        const CohortCase &entry = manifest.cases[r];
        result.ids.push_back(entry.patient);
        result.groups.push_back(entry.group);
        result.lineNumbers.push_back(entry.line);
        result.attributes.push_back(entry.attributes);
        if (entry.label)
            result.labels[static_cast<Eigen::Index>(r)] = static_cast<float>(*entry.label);
    }

    std::vector<std::optional<Error>> caseErrors(rows);
    std::atomic<std::size_t> next { 0 };
    std::stop_source strictStop;
    std::mutex progressMutex;
    std::size_t done = 0;
    const auto work = [&] {
        for (;;) {
            if (stop.stop_requested() || strictStop.stop_requested())
                return;
            const std::size_t r = next.fetch_add(1);
            if (r >= rows)
                return;
            const auto row = static_cast<Eigen::Index>(r);
            CaseOutput out { std::span<float>(result.features.row(row).data(), columns),
                std::span<Provenance>(result.provenance.data() + r * columns, columns), result.reports[r] };
            std::vector<Failure> failures = extractCase(plan, manifest.cases[r], out);
            if (options.strict && !failures.empty()) {
                caseErrors[r] = failures.front().error;
                strictStop.request_stop();
            }
            std::scoped_lock lock(progressMutex);
            ++done;
            if (options.progress)
                options.progress(done, rows);
        }
    };

    unsigned workers = options.workers;
    if (workers == 0) {
        const unsigned cores = std::thread::hardware_concurrency();
        workers = cores > 1 ? cores - 1 : 1;
    }
    workers = static_cast<unsigned>(std::min<std::size_t>(workers, std::max<std::size_t>(rows, 1)));
    {
        std::vector<std::jthread> pool;
        pool.reserve(workers);
        for (unsigned w = 0; w < workers; ++w) {
            try {
                pool.emplace_back(work);
            } catch (const std::system_error &) {
                break; // fewer threads than asked; the ones started (or this thread) do the work
            }
        }
        if (pool.empty())
            work();
    } // joins every worker

    // Cases are claimed in manifest order and a claimed case always finishes, so every case before
    // the first failing one was extracted: the error returned does not depend on the thread count.
    for (std::optional<Error> &error : caseErrors)
        if (error)
            return std::unexpected(std::move(*error));
    if (done < rows)
        return fail(ErrorCode::Cancelled,
            "cohort extraction was stopped after " + std::to_string(done) + " of " + std::to_string(rows)
                + " cases",
            manifest.sourceName);
    return result;
}

} // namespace mosaic
