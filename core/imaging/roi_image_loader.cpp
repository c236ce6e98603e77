// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/roi_image_loader.h"

#include "core/imaging/dicom_series_reader.h"
#include "core/imaging/nifti_reader.h"
#include "core/imaging/rtstruct_rasterizer.h"
#include "core/imaging/rtstruct_reader.h"
#include "core/imaging/seg_reader.h"

namespace mosaic {

bool isNiftiPath(const std::filesystem::path &path)
{
    const std::string name = path.filename().string();
    return name.ends_with(".nii") || name.ends_with(".nii.gz");
}

namespace {

Result<Mask> loadDicomMask(const std::filesystem::path &maskPath, std::string_view roiName,
    const RoiImage &loaded, const std::vector<std::string> &sopInstanceUids,
    std::vector<std::string> &warnings, const ImageLimits &limits)
{
    const std::string name = maskPath.filename().string();
    auto summary = readDicomFileSummary(maskPath, limits);
    if (!summary)
        return std::unexpected(summary.error());
    if (summary->modality == "RTSTRUCT") {
        auto structureSet = readRtStruct(maskPath);
        if (!structureSet)
            return std::unexpected(structureSet.error());
        for (const std::string &warning : structureSet->warnings)
            warnings.push_back("RTSTRUCT '" + structureSet->sourceName + "': " + warning);
        std::string roi(roiName);
        if (roi.empty()) {
            if (structureSet->rois.size() != 1)
                return fail(ErrorCode::InvalidArgument,
                    "the structure set holds " + std::to_string(structureSet->rois.size())
                        + " ROIs; name the one to use",
                    name);
            roi = structureSet->rois.front().name;
        }
        return rasterizeRoi(*structureSet, roi, loaded.image.geometry, sopInstanceUids, warnings);
    }
    if (summary->modality == "SEG")
        return readSegMask(maskPath, roiName, loaded.image.geometry, warnings);
    return fail(ErrorCode::Unsupported,
        "a mask must be an RTSTRUCT, a SEG or a NIfTI file; this is modality '" + summary->modality + "'",
        name);
}

} // namespace

Result<RoiImage> loadRoiImage(const std::filesystem::path &image, const std::filesystem::path &mask,
    std::string_view roiName, const ImageLimits &limits)
{
    RoiImage loaded;
    std::vector<std::string> sopInstanceUids;
    if (isNiftiPath(image)) {
        auto volume = readNifti(image, limits);
        if (!volume)
            return std::unexpected(volume.error());
        loaded.image = std::move(*volume);
    } else {
        DicomSeriesOptions options;
        options.limits = limits;
        auto series = readDicomSeries(image, options);
        if (!series)
            return std::unexpected(series.error());
        loaded.image = std::move(series->volume);
        loaded.modality = series->modality;
        loaded.seriesInstanceUid = series->seriesInstanceUid;
        loaded.warnings = std::move(series->warnings);
        sopInstanceUids = std::move(series->sopInstanceUids);
    }

    if (isNiftiPath(mask)) {
        auto niftiMask = readNiftiMask(mask, limits);
        if (!niftiMask)
            return std::unexpected(niftiMask.error());
        if (!niftiMask->geometry.sameGrid(loaded.image.geometry))
            return fail(ErrorCode::IntegrityFailed, "the mask is not on the image's voxel grid",
                mask.filename().string());
        loaded.mask = std::move(*niftiMask);
    } else {
        auto dicomMask = loadDicomMask(mask, roiName, loaded, sopInstanceUids, loaded.warnings, limits);
        if (!dicomMask)
            return std::unexpected(dicomMask.error());
        loaded.mask = std::move(*dicomMask);
    }
    if (loaded.mask.count() == 0)
        return fail(ErrorCode::InvalidArgument, "the region of interest covers no voxel of the image",
            mask.filename().string());
    return loaded;
}

} // namespace mosaic
