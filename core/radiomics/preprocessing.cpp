// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/preprocessing.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>
#include <utility>

namespace mosaic {

namespace {

// GCC 12's libstdc++ has no <format>: messages are streamed together.
template <typename... Parts> std::string textOf(const Parts &...parts)
{
    std::ostringstream out;
    out.precision(6);
    (out << ... << parts);
    return out.str();
}

// One sample along one axis: up to four source indices with weights (nearest 1, linear 2, cubic 4).
struct AxisTaps
{
    std::array<std::size_t, 4> index {};
    std::array<double, 4> weight {};
    int count = 0;
};

std::size_t clampIndex(std::ptrdiff_t index, std::size_t size)
{
    return static_cast<std::size_t>(
        std::clamp<std::ptrdiff_t>(index, 0, static_cast<std::ptrdiff_t>(size) - 1));
}

// Keys' cubic convolution kernel with a = -0.5 (Catmull-Rom), the usual "tricubic" of image libraries.
double cubicWeight(double distance)
{
    const double x = std::abs(distance);
    if (x < 1.0)
        return (1.5 * x - 2.5) * x * x + 1.0;
    if (x < 2.0)
        return ((-0.5 * x + 2.5) * x - 4.0) * x + 2.0;
    return 0.0;
}

AxisTaps tapsAt(double position, std::size_t size, ImageInterpolation interpolation)
{
    AxisTaps taps;
    switch (interpolation) {
    case ImageInterpolation::Nearest:
        taps.count = 1;
        taps.index[0] = clampIndex(static_cast<std::ptrdiff_t>(std::floor(position + 0.5)), size);
        taps.weight[0] = 1.0;
        break;
    case ImageInterpolation::Linear: {
        const double base = std::floor(position);
        const double fraction = position - base;
        taps.count = 2;
        taps.index[0] = clampIndex(static_cast<std::ptrdiff_t>(base), size);
        taps.index[1] = clampIndex(static_cast<std::ptrdiff_t>(base) + 1, size);
        taps.weight[0] = 1.0 - fraction;
        taps.weight[1] = fraction;
        break;
    }
    case ImageInterpolation::Cubic: {
        const double base = std::floor(position);
        const double fraction = position - base;
        taps.count = 4;
        for (int tap = 0; tap < 4; ++tap) {
            taps.index[static_cast<std::size_t>(tap)]
                = clampIndex(static_cast<std::ptrdiff_t>(base) + tap - 1, size);
            taps.weight[static_cast<std::size_t>(tap)] = cubicWeight(fraction - (tap - 1));
        }
        break;
    }
    }
    return taps;
}

// Continuous source index along `axis` of voxel `targetIndex` of `target`; both grids share orientation.
double sourcePosition(const ImageGeometry &source, const ImageGeometry &target, int axis, double targetIndex)
{
    double offsetMm = 0.0;
    for (int xyz = 0; xyz < 3; ++xyz)
        offsetMm += (target.originMm[static_cast<std::size_t>(xyz)]
                        - source.originMm[static_cast<std::size_t>(xyz)])
            * source.direction[static_cast<std::size_t>(axis)][static_cast<std::size_t>(xyz)];
    const auto a = static_cast<std::size_t>(axis);
    return (offsetMm + targetIndex * target.spacingMm[a]) / source.spacingMm[a];
}

template <typename Sample>
std::vector<float> resample(const ImageGeometry &source, const Sample &sample, const ImageGeometry &target,
    const std::array<std::ptrdiff_t, 3> &first, const std::array<std::size_t, 3> &size,
    ImageInterpolation interpolation)
{
    std::array<std::vector<AxisTaps>, 3> taps;
    for (int axis = 0; axis < 3; ++axis) {
        const auto a = static_cast<std::size_t>(axis);
        taps[a].resize(size[a]);
        for (std::size_t m = 0; m < size[a]; ++m) {
            const double position = sourcePosition(
                source, target, axis, static_cast<double>(first[a] + static_cast<std::ptrdiff_t>(m)));
            taps[a][m] = tapsAt(position, source.size[a], interpolation);
        }
    }
    std::vector<float> out(size[0] * size[1] * size[2]);
    std::size_t n = 0;
    if (interpolation == ImageInterpolation::Nearest) {
        // One tap per axis: a gather, also the copy of the crop when nothing is resampled.
        for (std::size_t k = 0; k < size[2]; ++k)
            for (std::size_t j = 0; j < size[1]; ++j) {
                const std::size_t row
                    = source.size[0] * (taps[1][j].index[0] + source.size[1] * taps[2][k].index[0]);
                for (std::size_t i = 0; i < size[0]; ++i)
                    out[n++] = static_cast<float>(sample(row + taps[0][i].index[0]));
            }
        return out;
    }
    for (std::size_t k = 0; k < size[2]; ++k)
        for (std::size_t j = 0; j < size[1]; ++j)
            for (std::size_t i = 0; i < size[0]; ++i) {
                const auto &ti = taps[0][i];
                const auto &tj = taps[1][j];
                const auto &tk = taps[2][k];
                double value = 0.0;
                for (int c = 0; c < tk.count; ++c)
                    for (int b = 0; b < tj.count; ++b) {
                        const double wkj
                            = tk.weight[static_cast<std::size_t>(c)] * tj.weight[static_cast<std::size_t>(b)];
                        if (wkj == 0.0)
                            continue;
                        const std::size_t row = source.size[0]
                            * (tj.index[static_cast<std::size_t>(b)]
                                + source.size[1] * tk.index[static_cast<std::size_t>(c)]);
                        for (int a = 0; a < ti.count; ++a)
                            value += wkj * ti.weight[static_cast<std::size_t>(a)]
                                * sample(row + ti.index[static_cast<std::size_t>(a)]);
                    }
                out[n++] = static_cast<float>(value);
            }
    return out;
}

// The first and last index of a non-zero value in row[0, count), if any.
std::optional<std::pair<std::size_t, std::size_t>> nonZeroSpan(const std::uint8_t *row, std::size_t count)
{
    std::size_t from = 0;
    while (from < count && row[from] == 0)
        ++from;
    if (from == count)
        return std::nullopt;
    std::size_t last = count - 1;
    while (row[last] == 0)
        --last;
    return std::pair { from, last };
}

// Grows the box [low, high] by the voxels span.first..span.second of row (j, k).
void extendBox(std::array<std::size_t, 3> &low, std::array<std::size_t, 3> &high,
    std::pair<std::size_t, std::size_t> span, std::size_t j, std::size_t k, bool &any)
{
    any = true;
    low[0] = std::min(low[0], span.first);
    high[0] = std::max(high[0], span.second);
    low[1] = std::min(low[1], j);
    high[1] = std::max(high[1], j);
    low[2] = std::min(low[2], k);
    high[2] = std::max(high[2], k);
}

std::string describeGrid(const ImageGeometry &geometry)
{
    return textOf(geometry.size[0], "x", geometry.size[1], "x", geometry.size[2], " voxels of ",
        geometry.spacingMm[0], "x", geometry.spacingMm[1], "x", geometry.spacingMm[2], " mm at (",
        geometry.originMm[0], ", ", geometry.originMm[1], ", ", geometry.originMm[2], ")");
}

std::string roiLabel(const Mask &mask)
{
    return mask.roiName.empty() ? std::string("ROI") : "ROI '" + mask.roiName + "'";
}

// Keeps voxels inside [minimum, maximum], then (optionally) within mean +- sigmas SD (IBSI 1, 2.5).
void resegment(PreparedRoi &roi, const ResegmentationSettings &settings)
{
    roi.intensityMask = roi.morphologicalMask;
    if (settings.minimum || settings.maximum)
        for (std::size_t n = 0; n < roi.voxelCount(); ++n) {
            if (roi.intensityMask[n] == 0)
                continue;
            const double value = roi.intensity[n];
            if ((settings.minimum && value < *settings.minimum)
                || (settings.maximum && value > *settings.maximum))
                roi.intensityMask[n] = 0;
        }
    if (!settings.removeOutliers)
        return;
    double sum = 0.0;
    double sumSquares = 0.0;
    std::size_t count = 0;
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (roi.intensityMask[n] != 0) {
            sum += roi.intensity[n];
            sumSquares += static_cast<double>(roi.intensity[n]) * roi.intensity[n];
            ++count;
        }
    if (count == 0)
        return;
    const double mean = sum / static_cast<double>(count);
    const double sd = std::sqrt(std::max(0.0, sumSquares / static_cast<double>(count) - mean * mean));
    const double low = mean - settings.outlierSigmas * sd;
    const double high = mean + settings.outlierSigmas * sd;
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (roi.intensityMask[n] != 0 && (roi.intensity[n] < low || roi.intensity[n] > high))
            roi.intensityMask[n] = 0;
}

Result<void> discretise(PreparedRoi &roi, const RadiomicsSettings &settings, const std::string &label)
{
    const auto &discretisation = settings.discretisation;
    roi.greyLevel.assign(roi.voxelCount(), 0);
    double minimum = std::numeric_limits<double>::infinity();
    double maximum = -std::numeric_limits<double>::infinity();
    for (std::size_t n = 0; n < roi.voxelCount(); ++n)
        if (roi.intensityMask[n] != 0) {
            minimum = std::min(minimum, static_cast<double>(roi.intensity[n]));
            maximum = std::max(maximum, static_cast<double>(roi.intensity[n]));
        }
    int levels = 0;
    switch (discretisation.method) {
    case DiscretisationMethod::FixedBinNumber: {
        // IBSI 1, 2.7.1: floor(Ng (x - min) / (max - min)) + 1, with the maximum in bin Ng.
        const int binCount = discretisation.binCount;
        const double range = maximum - minimum;
        for (std::size_t n = 0; n < roi.voxelCount(); ++n) {
            if (roi.intensityMask[n] == 0)
                continue;
            int level = 1;
            if (range > 0.0)
                level = static_cast<int>(std::floor(binCount * (roi.intensity[n] - minimum) / range)) + 1;
            roi.greyLevel[n] = std::clamp(level, 1, binCount);
        }
        levels = binCount;
        break;
    }
    case DiscretisationMethod::FixedBinSize: {
        // IBSI 1, 2.7.2: floor((x - min_b) / w) + 1. Intensities below a lower bound set above the
        // ROI minimum fall into bin 1.
        const double lowerBound
            = discretisation.lowerBound.value_or(settings.resegmentation.minimum.value_or(minimum));
        for (std::size_t n = 0; n < roi.voxelCount(); ++n) {
            if (roi.intensityMask[n] == 0)
                continue;
            const double bin = std::floor((roi.intensity[n] - lowerBound) / discretisation.binWidth) + 1.0;
            if (bin > 1e7)
                return fail(ErrorCode::LimitExceeded,
                    textOf("fixed bin size ", discretisation.binWidth,
                        " gives more than 10 million grey levels"),
                    label);
            roi.greyLevel[n] = std::max(1, static_cast<int>(bin));
            levels = std::max(levels, roi.greyLevel[n]);
        }
        break;
    }
    case DiscretisationMethod::None:
        for (std::size_t n = 0; n < roi.voxelCount(); ++n) {
            if (roi.intensityMask[n] == 0)
                continue;
            const double value = roi.intensity[n];
            if (value < 1.0 || value != std::floor(value) || value > 1e7)
                return fail(ErrorCode::InvalidArgument,
                    textOf("discretisation 'none' needs integer intensities from 1 to 10 million; the ROI "
                           "holds ",
                        value),
                    label);
            roi.greyLevel[n] = static_cast<int>(value);
            levels = std::max(levels, roi.greyLevel[n]);
        }
        break;
    }
    roi.greyLevelCount = levels;
    return {};
}

} // namespace

ImageGeometry alignedGrid(
    const ImageGeometry &original, const std::array<double, 3> &spacingMm, bool inPlaneOnly)
{
    ImageGeometry grid = original;
    std::array<double, 3> centreShiftIndex {}; // new voxel 0 relative to old voxel 0, in old voxel units
    for (std::size_t axis = 0; axis < 3; ++axis) {
        if (inPlaneOnly && axis == 2)
            continue;
        const double extentMm = static_cast<double>(original.size[axis]) * original.spacingMm[axis];
        // A tiny tolerance keeps 10 x 1.0 mm / 0.5 mm at 20 voxels despite rounding in the spacings.
        grid.size[axis] = static_cast<std::size_t>(std::ceil(extentMm / spacingMm[axis] - 1e-9));
        grid.spacingMm[axis] = spacingMm[axis];
        const double oldCentre = (static_cast<double>(original.size[axis]) - 1.0) / 2.0;
        const double newCentreMm = (static_cast<double>(grid.size[axis]) - 1.0) / 2.0 * spacingMm[axis];
        centreShiftIndex[axis] = oldCentre - newCentreMm / original.spacingMm[axis];
    }
    grid.originMm = original.toPatient(centreShiftIndex[0], centreShiftIndex[1], centreShiftIndex[2]);
    return grid;
}

std::vector<float> interpolateImage(const Volume &image, const ImageGeometry &target,
    const std::array<std::ptrdiff_t, 3> &first, const std::array<std::size_t, 3> &size,
    ImageInterpolation interpolation)
{
    return resample(
        image.geometry, [&image](std::size_t n) { return static_cast<double>(image.voxels[n]); }, target,
        first, size, interpolation);
}

Result<PreparedRoi> prepareRoi(const Volume &image, const Mask &mask, const RadiomicsSettings &settings)
{
    const std::string label = roiLabel(mask);
    if (auto ok = settings.validate(); !ok)
        return std::unexpected(ok.error());
    if (image.voxels.size() != image.geometry.voxelCount()
        || mask.voxels.size() != mask.geometry.voxelCount())
        return fail(ErrorCode::InvalidArgument, "image or mask holds fewer voxels than its grid", label);
    if (!mask.geometry.sameGrid(image.geometry))
        return fail(ErrorCode::InvalidArgument,
            textOf("the mask grid (", describeGrid(mask.geometry), ") differs from the image grid (",
                describeGrid(image.geometry), ")"),
            label);

    // Bounding box of the ROI on the original grid: per row, only its first and last ROI voxel count.
    const auto &source = image.geometry;
    std::array<std::size_t, 3> low { source.size[0], source.size[1], source.size[2] };
    std::array<std::size_t, 3> high { 0, 0, 0 };
    bool any = false;
    for (std::size_t k = 0; k < source.size[2]; ++k)
        for (std::size_t j = 0; j < source.size[1]; ++j) {
            const std::uint8_t *row = mask.voxels.data() + source.size[0] * (j + source.size[1] * k);
            if (const auto span = nonZeroSpan(row, source.size[0]))
                extendBox(low, high, *span, j, k, any);
        }
    if (!any)
        return fail(ErrorCode::InvalidArgument, "the ROI is empty", label);

    const bool resampling = settings.resampling.spacingMm.has_value();
    const ImageGeometry target = resampling
        ? alignedGrid(source, *settings.resampling.spacingMm, settings.resampling.inPlaneOnly)
        : source;

    // The ROI box on the target grid, one source voxel wider for the interpolation support, plus the
    // margin the local-intensity sphere needs. Cropping first keeps a large CT from being resampled whole.
    std::array<std::ptrdiff_t, 3> margin {};
    std::array<std::ptrdiff_t, 3> first {};
    std::array<std::size_t, 3> size {};
    for (std::size_t axis = 0; axis < 3; ++axis) {
        margin[axis] = std::max<std::ptrdiff_t>(1,
            static_cast<std::ptrdiff_t>(std::ceil(kLocalIntensityRadiusMm / target.spacingMm[axis] - 1e-9)));
        const double zero = sourcePosition(source, target, static_cast<int>(axis), 0.0);
        const double step = target.spacingMm[axis] / source.spacingMm[axis];
        const double from = (static_cast<double>(low[axis]) - 1.0 - zero) / step;
        const double to = (static_cast<double>(high[axis]) + 1.0 - zero) / step;
        first[axis] = static_cast<std::ptrdiff_t>(std::floor(from)) - margin[axis];
        const auto last = static_cast<std::ptrdiff_t>(std::ceil(to)) + margin[axis];
        size[axis] = static_cast<std::size_t>(last - first[axis] + 1);
    }
    if (size[0] * size[1] * size[2] > ImageLimits {}.maxVoxels / 4)
        return fail(ErrorCode::LimitExceeded,
            textOf("the ROI spans ", size[0], "x", size[1], "x", size[2], " voxels after interpolation"),
            label);

    std::vector<float> intensity;
    std::vector<float> maskValue;
    if (resampling) {
        intensity = interpolateImage(image, target, first, size, settings.resampling.imageInterpolation);
        // IBSI 1, 2.4: the mask is interpolated linearly and thresholded at the partial-volume threshold.
        maskValue = resample(
            source, [&mask](std::size_t n) { return mask.voxels[n] != 0 ? 1.0 : 0.0; }, target, first, size,
            ImageInterpolation::Linear);
    } else {
        intensity = interpolateImage(image, target, first, size, ImageInterpolation::Nearest);
        maskValue = resample(
            source, [&mask](std::size_t n) { return mask.voxels[n] != 0 ? 1.0 : 0.0; }, target, first, size,
            ImageInterpolation::Nearest);
    }
    const double threshold = settings.resampling.maskPartialVolumeThreshold;
    auto insideTarget = [&](std::size_t axis, std::size_t m) {
        const auto index = first[axis] + static_cast<std::ptrdiff_t>(m);
        return index >= 0 && index < static_cast<std::ptrdiff_t>(target.size[axis]);
    };

    // The morphological mask's own bounding box on the target grid.
    std::array<std::size_t, 3> roiLow { size[0], size[1], size[2] };
    std::array<std::size_t, 3> roiHigh { 0, 0, 0 };
    any = false;
    // Columns i on the target grid: [firstInsideI, endInsideI).
    std::size_t firstInsideI = 0;
    while (firstInsideI < size[0] && !insideTarget(0, firstInsideI))
        ++firstInsideI;
    std::size_t endInsideI = firstInsideI;
    while (endInsideI < size[0] && insideTarget(0, endInsideI))
        ++endInsideI;
    for (std::size_t k = 0; k < size[2]; ++k)
        for (std::size_t j = 0; j < size[1]; ++j) {
            if (!insideTarget(1, j) || !insideTarget(2, k))
                continue;
            const float *row = maskValue.data() + size[0] * (j + size[1] * k);
            std::size_t from = endInsideI;
            std::size_t to = firstInsideI;
            for (std::size_t i = firstInsideI; i < endInsideI; ++i)
                if (row[i] >= threshold - 1e-6) {
                    from = std::min(from, i);
                    to = i + 1;
                }
            if (from < to)
                extendBox(roiLow, roiHigh, std::pair { from, to - 1 }, j, k, any);
        }
    if (!any)
        return fail(ErrorCode::InvalidArgument, "the ROI is empty after interpolation", label);

    PreparedRoi roi;
    std::array<std::size_t, 3> offset {};
    for (std::size_t axis = 0; axis < 3; ++axis) {
        const auto from = static_cast<std::ptrdiff_t>(roiLow[axis]) - margin[axis];
        const auto to = static_cast<std::ptrdiff_t>(roiHigh[axis]) + margin[axis];
        assert(from >= 0 && to < static_cast<std::ptrdiff_t>(size[axis]));
        offset[axis] = static_cast<std::size_t>(from);
        roi.size[axis] = static_cast<std::size_t>(to - from + 1);
    }
    roi.spacingMm = target.spacingMm;
    roi.direction = target.direction;
    roi.originMm = target.toPatient(static_cast<double>(first[0] + static_cast<std::ptrdiff_t>(offset[0])),
        static_cast<double>(first[1] + static_cast<std::ptrdiff_t>(offset[1])),
        static_cast<double>(first[2] + static_cast<std::ptrdiff_t>(offset[2])));
    const std::size_t count = roi.voxelCount();
    roi.intensity.resize(count);
    roi.insideImage.resize(count);
    roi.morphologicalMask.resize(count);
    const bool round = settings.resampling.roundIntensities && resampling;
    for (std::size_t k = 0, n = 0; k < roi.size[2]; ++k)
        for (std::size_t j = 0; j < roi.size[1]; ++j, n += roi.size[0]) {
            const std::size_t sj = j + offset[1];
            const std::size_t sk = k + offset[2];
            const std::size_t s = offset[0] + size[0] * (sj + size[1] * sk);
            const bool rowInside = insideTarget(1, sj) && insideTarget(2, sk);
            for (std::size_t i = 0; i < roi.size[0]; ++i) {
                const std::size_t si = i + offset[0];
                const bool inside = rowInside && si >= firstInsideI && si < endInsideI;
                const float value = intensity[s + i];
                roi.intensity[n + i] = round ? std::round(value) : value; // half away from zero
                roi.insideImage[n + i] = inside ? 1 : 0;
                roi.morphologicalMask[n + i] = inside && maskValue[s + i] >= threshold - 1e-6 ? 1 : 0;
            }
        }

    resegment(roi, settings.resegmentation);
    if (std::ranges::none_of(roi.intensityMask, [](std::uint8_t v) { return v != 0; }))
        return fail(ErrorCode::InvalidArgument, "no voxel of the ROI is left after re-segmentation", label);
    if (auto ok = discretise(roi, settings, label); !ok)
        return std::unexpected(ok.error());
    return roi;
}

} // namespace mosaic
