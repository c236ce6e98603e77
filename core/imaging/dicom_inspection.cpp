// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/dicom_inspection.h"

#include "core/imaging/dicom_series_reader.h"
#include "core/imaging/nifti_reader.h"
#include "core/imaging/rtstruct_reader.h"
#include "core/imaging/seg_reader.h"

#include <cstdio>
#include <map>

namespace mosaic {
namespace {

std::string number(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.4g", value);
    return text;
}

std::string triple(const std::array<double, 3> &values, const char *separator = " x ")
{
    return number(values[0]) + separator + number(values[1]) + separator + number(values[2]);
}

void addGeometry(InspectionReport &report, const ImageGeometry &geometry)
{
    report.facts.emplace_back("size",
        std::to_string(geometry.size[0]) + " x " + std::to_string(geometry.size[1]) + " x "
            + std::to_string(geometry.size[2]));
    report.facts.emplace_back("spacing_mm", triple(geometry.spacingMm));
    report.facts.emplace_back("origin_mm_lps", triple(geometry.originMm, ", "));
    for (int axis = 0; axis < 3; ++axis)
        report.facts.emplace_back(
            std::string("direction_") + "ijk"[axis], triple(geometry.direction[axis], ", "));
}

// Errors from other readers are made to start with the file name, as the command line promises.
Error named(Error error, const std::filesystem::path &path)
{
    const std::string label = path.filename().string();
    if (error.message().rfind(label, 0) != 0)
        error.location = error.location.empty() ? label : label + ", " + error.location;
    return error;
}

bool isNiftiName(const std::filesystem::path &path)
{
    std::string name = path.filename().string();
    for (char &c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const auto endsWith = [&name](std::string_view suffix) {
        return name.size() >= suffix.size()
            && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    return endsWith(".nii") || endsWith(".nii.gz") || endsWith(".hdr") || endsWith(".hdr.gz");
}

Result<InspectionReport> inspectSeries(const std::filesystem::path &path, const ImageLimits &limits)
{
    auto series = readDicomSeries(path, DicomSeriesOptions { .seriesInstanceUid = {}, .limits = limits });
    if (!series)
        return std::unexpected(series.error());
    InspectionReport report;
    report.kind = "dicom-series";
    report.facts.emplace_back("modality", series->modality);
    report.facts.emplace_back("series_instance_uid", series->seriesInstanceUid);
    report.facts.emplace_back("frame_of_reference_uid", series->frameOfReferenceUid);
    report.facts.emplace_back("slices", std::to_string(series->sopInstanceUids.size()));
    report.facts.emplace_back("unit", series->volume.unit);
    addGeometry(report, series->volume.geometry);
    report.warnings = series->warnings;
    return report;
}

Result<InspectionReport> inspectDicomdir(const std::filesystem::path &path, const ImageLimits &limits)
{
    auto files = dicomdirReferencedFiles(path, limits);
    if (!files)
        return std::unexpected(files.error());
    InspectionReport report;
    report.kind = "dicomdir";
    report.facts.emplace_back("referenced_files", std::to_string(files->size()));
    std::map<std::string, std::pair<std::string, std::size_t>> series; // uid -> modality, files
    for (const auto &file : *files) {
        auto summary = readDicomFileSummary(file, limits);
        if (!summary) {
            report.warnings.push_back(summary.error().message());
            continue;
        }
        auto &entry = series[summary->seriesInstanceUid];
        entry.first = summary->modality;
        ++entry.second;
    }
    report.facts.emplace_back("series", std::to_string(series.size()));
    for (const auto &[uid, entry] : series)
        report.facts.emplace_back(
            "series " + uid, entry.first + ", " + std::to_string(entry.second) + " file(s)");
    return report;
}

} // namespace

Result<InspectionReport> inspectPath(const std::filesystem::path &path, const ImageLimits &limits)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return inspectSeries(path, limits);
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, "no such file or folder", path.filename().string());

    if (isNiftiName(path)) {
        auto header = readNiftiHeader(path, limits);
        if (!header)
            return std::unexpected(header.error());
        InspectionReport report;
        report.kind = "nifti";
        report.facts.emplace_back("version", "NIfTI-" + std::to_string(header->version));
        report.facts.emplace_back("datatype", header->datatype);
        report.facts.emplace_back("geometry_from", header->geometrySource);
        if (header->slope != 0.0)
            report.facts.emplace_back(
                "scaling", "x " + number(header->slope) + " + " + number(header->intercept));
        addGeometry(report, header->geometry);
        return report;
    }

    auto summary = readDicomFileSummary(path, limits);
    if (!summary)
        return std::unexpected(summary.error());
    if (summary->isDicomdir)
        return inspectDicomdir(path, limits);

    if (summary->modality == "RTSTRUCT") {
        auto rtStruct = readRtStruct(path);
        if (!rtStruct)
            return std::unexpected(named(rtStruct.error(), path));
        InspectionReport report;
        report.kind = "rtstruct";
        for (auto &line : describeRtStruct(*rtStruct))
            report.facts.emplace_back("rtstruct", std::move(line));
        report.warnings = rtStruct->warnings;
        return report;
    }
    if (summary->modality == "SEG") {
        auto segmentation = readSeg(path);
        if (!segmentation)
            return std::unexpected(named(segmentation.error(), path));
        InspectionReport report;
        report.kind = "seg";
        for (auto &line : describeSeg(*segmentation))
            report.facts.emplace_back("seg", std::move(line));
        report.warnings = segmentation->warnings;
        return report;
    }

    InspectionReport report;
    report.kind = "dicom-file";
    report.facts.emplace_back("modality", summary->modality);
    report.facts.emplace_back("sop_class", summary->sopClassName + " (" + summary->sopClassUid + ")");
    report.facts.emplace_back(
        "transfer_syntax", summary->transferSyntaxName + " (" + summary->transferSyntaxUid + ")");
    report.facts.emplace_back("series_instance_uid", summary->seriesInstanceUid);
    if (summary->hasPixelData) {
        report.facts.emplace_back("rows", std::to_string(summary->rows));
        report.facts.emplace_back("columns", std::to_string(summary->columns));
        report.facts.emplace_back("frames", std::to_string(summary->frames));
        report.facts.emplace_back("samples_per_pixel", std::to_string(summary->samplesPerPixel));
        report.facts.emplace_back("bits_allocated", std::to_string(summary->bitsAllocated));
        // Whether it would load as a volume, and if not why: the most useful single fact.
        auto series = readDicomSeries(std::vector<std::filesystem::path> { path },
            DicomSeriesOptions { .seriesInstanceUid = {}, .limits = limits });
        if (series) {
            report.facts.emplace_back("unit", series->volume.unit);
            addGeometry(report, series->volume.geometry);
            report.warnings = series->warnings;
        } else {
            report.warnings.push_back("cannot be read as a volume: " + series.error().message());
        }
    } else {
        report.facts.emplace_back("pixel_data", "none");
    }
    return report;
}

} // namespace mosaic
