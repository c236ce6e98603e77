// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/local_intensity_features.h"

#include "core/radiomics/preprocessing.h"

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <vector>

namespace mosaic {

namespace {

// One row of the spherical kernel along i: the voxels (i - halfWidth .. i + halfWidth, j + dj, k + dk).
struct KernelRow
{
    std::ptrdiff_t dj = 0;
    std::ptrdiff_t dk = 0;
    std::ptrdiff_t halfWidth = 0;
};

std::vector<KernelRow> sphereRows(const std::array<double, 3> &spacingMm)
{
    const double radius = kLocalIntensityRadiusMm;
    const auto reachJ = static_cast<std::ptrdiff_t>(std::floor(radius / spacingMm[1]));
    const auto reachK = static_cast<std::ptrdiff_t>(std::floor(radius / spacingMm[2]));
    std::vector<KernelRow> rows;
    for (std::ptrdiff_t dk = -reachK; dk <= reachK; ++dk)
        for (std::ptrdiff_t dj = -reachJ; dj <= reachJ; ++dj) {
            const double y = static_cast<double>(dj) * spacingMm[1];
            const double z = static_cast<double>(dk) * spacingMm[2];
            const double remaining = radius * radius - y * y - z * z;
            if (remaining < 0.0)
                continue;
            rows.push_back(
                { dj, dk, static_cast<std::ptrdiff_t>(std::floor(std::sqrt(remaining) / spacingMm[0])) });
        }
    return rows;
}

} // namespace

void addLocalIntensityFeatures(const PreparedRoi &roi, RadiomicsFeatures &features)
{
    const auto [ni, nj, nk] = roi.size;
    const std::size_t stride = ni + 1;
    // When the whole crop is on the image every sphere holds the full kernel count, and the counts
    // are neither needed nor allocated.
    const bool wholeCropOnImage = std::ranges::all_of(roi.insideImage, [](std::uint8_t v) { return v != 0; });
    const std::vector<KernelRow> kernel = sphereRows(roi.spacingMm);
    std::size_t reachK = 0;
    for (const KernelRow &kernelRow : kernel)
        reachK = std::max(reachK, static_cast<std::size_t>(std::abs(kernelRow.dk)));
    // Prefix sums along i of the intensity and of the voxel count (voxels on the image only), so a
    // kernel row costs two look-ups: a 2-million-voxel ROI takes a sphere of ~500 voxels at each voxel.
    // Only the slices the sphere reaches from the current one are kept, in a ring of `window` slices:
    // a few MB that stay in cache, where prefix sums of the whole crop took tens of MB of fresh pages.
    // Every element is written before it is read, so the ring is not zero-filled first.
    const std::size_t window = std::min(nk, 2 * reachK + 1);
    const std::size_t sliceStride = stride * nj;
    const auto sums = std::make_unique_for_overwrite<double[]>(window * sliceStride);
    const auto counts
        = std::make_unique_for_overwrite<std::int32_t[]>(wholeCropOnImage ? 0 : window * sliceStride);
    const auto buildSlice = [&](std::size_t kk) {
        double *sliceSums = sums.get() + (kk % window) * sliceStride;
        std::int32_t *sliceCounts = wholeCropOnImage ? nullptr : counts.get() + (kk % window) * sliceStride;
        for (std::size_t j = 0; j < nj; ++j) {
            const std::size_t row = j + nj * kk;
            double sum = 0.0;
            std::int32_t count = 0;
            sliceSums[j * stride] = 0.0;
            if (!wholeCropOnImage)
                sliceCounts[j * stride] = 0;
            for (std::size_t i = 0; i < ni; ++i) {
                const std::size_t n = row * ni + i;
                if (roi.insideImage[n] != 0) {
                    sum += roi.intensity[n];
                    ++count;
                }
                sliceSums[j * stride + i + 1] = sum;
                if (!wholeCropOnImage)
                    sliceCounts[j * stride + i + 1] = count;
            }
        }
    };
    std::size_t builtSlices = 0; // slices [0, builtSlices) have been through the ring

    double maximumIntensity = -std::numeric_limits<double>::infinity();
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (roi.intensityMask[n] != 0)
            maximumIntensity = std::max(maximumIntensity, static_cast<double>(roi.intensity[n]));

    double globalPeak = -std::numeric_limits<double>::infinity();
    double localPeak = -std::numeric_limits<double>::infinity();
    std::vector<double> rowSum(ni);
    std::vector<std::int32_t> rowCount(ni);
    for (std::size_t k = 0; k < nk; ++k) {
        // Slices up to k + reachK; the one this overwrites, k - reachK - 1, is out of reach from now on.
        for (; builtSlices < std::min(nk, k + reachK + 1); ++builtSlices)
            buildSlice(builtSlices);
        for (std::size_t j = 0; j < nj; ++j) {
            const std::size_t base = ni * (j + nj * k);
            std::size_t from = ni;
            std::size_t to = 0;
            for (std::size_t i = 0; i < ni; ++i)
                if (roi.intensityMask[base + i] != 0) {
                    from = std::min(from, i);
                    to = i + 1;
                }
            if (from >= to)
                continue;
            std::fill(rowSum.begin() + static_cast<std::ptrdiff_t>(from),
                rowSum.begin() + static_cast<std::ptrdiff_t>(to), 0.0);
            std::fill(rowCount.begin() + static_cast<std::ptrdiff_t>(from),
                rowCount.begin() + static_cast<std::ptrdiff_t>(to), 0);
            std::int32_t fullRows = 0; // voxels counted for every i of the row at once
            for (const KernelRow &kernelRow : kernel) {
                const auto jj = static_cast<std::ptrdiff_t>(j) + kernelRow.dj;
                const auto kk = static_cast<std::ptrdiff_t>(k) + kernelRow.dk;
                // The crop margin covers the sphere around every ROI voxel; rows beyond it would be
                // beyond the image, where nothing is counted.
                if (jj < 0 || kk < 0 || jj >= static_cast<std::ptrdiff_t>(nj)
                    || kk >= static_cast<std::ptrdiff_t>(nk))
                    continue;
                const std::size_t ring = (static_cast<std::size_t>(kk) % window) * sliceStride
                    + static_cast<std::size_t>(jj) * stride;
                const double *prefix = sums.get() + ring;
                const std::int32_t *prefixCount = wholeCropOnImage ? nullptr : counts.get() + ring;
                const auto h = static_cast<std::size_t>(kernelRow.halfWidth);
                if (from >= h && to + h <= ni) {
                    // The usual case (the crop margin holds the sphere). Eigen's packets vectorise what
                    // GCC's -O2 leaves scalar: the same additions, two or more at a time. When the whole
                    // crop is on the image every sphere holds the full kernel count.
                    const auto length = static_cast<Eigen::Index>(to - from);
                    Eigen::Map<Eigen::ArrayXd>(rowSum.data() + from, length)
                        += Eigen::Map<const Eigen::ArrayXd>(prefix + from + h + 1, length)
                        - Eigen::Map<const Eigen::ArrayXd>(prefix + from - h, length);
                    if (!wholeCropOnImage)
                        for (std::size_t i = from; i < to; ++i)
                            rowCount[i] += prefixCount[i + h + 1] - prefixCount[i - h];
                    else
                        fullRows += static_cast<std::int32_t>(2 * h + 1);
                    continue;
                }
                for (std::size_t i = from; i < to; ++i) {
                    const std::size_t lo = i >= h ? i - h : 0;
                    const std::size_t hi = std::min(i + h + 1, ni);
                    rowSum[i] += prefix[hi] - prefix[lo];
                    rowCount[i] += wholeCropOnImage ? static_cast<std::int32_t>(hi - lo)
                                                    : prefixCount[hi] - prefixCount[lo];
                }
            }
            for (std::size_t i = from; i < to; ++i) {
                if (roi.intensityMask[base + i] == 0 || rowCount[i] + fullRows == 0)
                    continue;
                const double mean = rowSum[i] / (rowCount[i] + fullRows);
                globalPeak = std::max(globalPeak, mean);
                if (roi.intensity[base + i] == maximumIntensity)
                    localPeak = std::max(localPeak, mean);
            }
        }
    }
    if (!std::isfinite(globalPeak))
        return;
    features.push_back({ "loc_peak_loc", localPeak });
    features.push_back({ "loc_peak_glob", globalPeak });
}

} // namespace mosaic
