// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/nifti_reader.h"

#include <nifti2_io.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <system_error>

namespace mosaic {
namespace {

struct NiftiImageDeleter
{
    void operator()(nifti_image *image) const { nifti_image_free(image); }
};
using NiftiImagePtr = std::unique_ptr<nifti_image, NiftiImageDeleter>;

// Deflate cannot expand more than 1032:1 (RFC 1951 stored maximum: zlib's technical notes), so a
// .nii.gz of n bytes holds at most about 1032 n bytes. This bounds what a tiny crafted file may make
// libnifti allocate before it discovers the data is missing.
constexpr std::uint64_t kMaxDeflateRatio = 1032;

bool isGzipped(const std::filesystem::path &path)
{
    std::string extension = path.extension().string();
    std::ranges::transform(extension, extension.begin(), [](unsigned char c) { return std::tolower(c); });
    return extension == ".gz";
}

std::string where(const std::filesystem::path &path, std::string_view place = {})
{
    // The file name only: folder names often carry patient names.
    std::string location = path.filename().string();
    if (!place.empty())
        location += ", " + std::string(place);
    return location;
}

void silenceLibniftiOnce()
{
    // libnifti prints its own diagnostics to stderr at level 1; ours come back as Errors instead.
    static const bool silenced = [] {
        nifti_set_debug_level(0);
        return true;
    }();
    (void)silenced;
}

bool supportedDatatype(int datatype)
{
    switch (datatype) {
    case NIFTI_TYPE_UINT8:
    case NIFTI_TYPE_INT8:
    case NIFTI_TYPE_INT16:
    case NIFTI_TYPE_UINT16:
    case NIFTI_TYPE_INT32:
    case NIFTI_TYPE_UINT32:
    case NIFTI_TYPE_FLOAT32:
    case NIFTI_TYPE_FLOAT64: return true;
    default: return false;
    }
}

template <typename T> T byteSwapped(T value)
{
    auto bytes = std::bit_cast<std::array<unsigned char, sizeof(T)>>(value);
    std::ranges::reverse(bytes);
    return std::bit_cast<T>(bytes);
}

// dim[] of a raw header as stored, in native byte order whether or not libnifti swapped it: the header
// size field (348 for NIfTI-1, 540 for NIfTI-2) tells the byte order.
std::array<int64_t, 8> rawDimensions(const void *header, int version)
{
    std::array<int64_t, 8> dims {};
    if (version == 2) {
        const auto *n2 = static_cast<const nifti_2_header *>(header);
        const bool swap = n2->sizeof_hdr != 540;
        for (int axis = 0; axis < 8; ++axis)
            dims[axis] = swap ? byteSwapped(n2->dim[axis]) : n2->dim[axis];
    } else {
        const auto *n1 = static_cast<const nifti_1_header *>(header);
        const bool swap = n1->sizeof_hdr != 348;
        for (int axis = 0; axis < 8; ++axis)
            dims[axis] = swap ? byteSwapped(n1->dim[axis]) : n1->dim[axis];
    }
    return dims;
}

struct CheckedHeader
{
    NiftiImagePtr image;
    NiftiHeaderInfo info;
};

// Reads and checks the header only (nifti_image_read with read_data = 0); nothing is allocated from the
// header's dimensions here.
Result<CheckedHeader> readCheckedHeader(const std::filesystem::path &path, const ImageLimits &limits)
{
    silenceLibniftiOnce();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return fail(ErrorCode::NotFound, "no such NIfTI file", where(path));
    const std::uintmax_t fileBytes = std::filesystem::file_size(path, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "cannot read the file size: " + ec.message(), where(path));
    if (fileBytes > limits.maxFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "file of " + std::to_string(fileBytes) + " bytes exceeds the limit of "
                + std::to_string(limits.maxFileBytes),
            where(path));

    // The raw header first: nifti_image_read quietly clamps a non-positive dim[i] to 1 and carries on,
    // which would read a different grid than the file declares.
    int version = 0;
    void *rawHeader = nifti_read_header(path.string().c_str(), &version, 0);
    if (!rawHeader)
        return fail(ErrorCode::Malformed, "not a readable NIfTI-1 or NIfTI-2 header", where(path, "header"));
    const std::array<int64_t, 8> rawDims = rawDimensions(rawHeader, version);
    std::free(rawHeader); // NOLINT(cppcoreguidelines-no-malloc): libnifti allocates with malloc
    if (rawDims[0] < 1 || rawDims[0] > 7)
        return fail(ErrorCode::Malformed,
            "dim[0] = " + std::to_string(rawDims[0]) + " is not between 1 and 7", where(path, "header"));
    for (int axis = 1; axis <= rawDims[0]; ++axis)
        if (rawDims[axis] < 1)
            return fail(ErrorCode::Malformed,
                "dim[" + std::to_string(axis) + "] = " + std::to_string(rawDims[axis])
                    + " is not a positive size",
                where(path, "header"));

    NiftiImagePtr image(nifti_image_read(path.string().c_str(), 0));
    if (!image)
        return fail(ErrorCode::Malformed, "not a readable NIfTI-1 or NIfTI-2 header (or its .img is missing)",
            where(path, "header"));

    CheckedHeader checked;
    NiftiHeaderInfo &info = checked.info;
    info.version
        = image->nifti_type == NIFTI_FTYPE_NIFTI2_1 || image->nifti_type == NIFTI_FTYPE_NIFTI2_2 ? 2 : 1;

    // NIfTI-1 header, dim[0] = number of dimensions (1..7); dim[5..7] exist for vector/tensor data.
    const int64_t rank = image->dim[0];
    if (rank < 1 || rank > 7)
        return fail(ErrorCode::Malformed, "dim[0] = " + std::to_string(rank) + " is not between 1 and 7",
            where(path, "header"));
    std::array<int64_t, 8> dims {};
    for (int axis = 1; axis <= 7; ++axis) {
        dims[axis] = axis <= rank ? image->dim[axis] : 1;
        if (dims[axis] < 1)
            return fail(ErrorCode::Malformed,
                "dim[" + std::to_string(axis) + "] = " + std::to_string(dims[axis])
                    + " is not a positive size",
                where(path, "header"));
    }
    if (dims[4] > 1)
        return fail(ErrorCode::Unsupported,
            "a time series of " + std::to_string(dims[4]) + " volumes; Mosaic reads one 3D volume",
            where(path, "header, dim[4]"));
    for (int axis = 5; axis <= 7; ++axis)
        if (dims[axis] > 1)
            return fail(ErrorCode::Unsupported,
                "vector or tensor data (dim[" + std::to_string(axis) + "] = " + std::to_string(dims[axis])
                    + "); Mosaic reads scalar volumes",
                where(path, "header"));

    std::uint64_t voxels = 1;
    for (int axis = 1; axis <= 3; ++axis) {
        const auto extent = static_cast<std::uint64_t>(dims[axis]);
        if (extent > limits.maxVoxels || voxels > limits.maxVoxels / extent)
            return fail(ErrorCode::LimitExceeded,
                "grid " + std::to_string(dims[1]) + " x " + std::to_string(dims[2]) + " x "
                    + std::to_string(dims[3]) + " exceeds the limit of " + std::to_string(limits.maxVoxels)
                    + " voxels",
                where(path, "header"));
        voxels *= extent;
    }
    info.dims = { static_cast<std::size_t>(dims[1]), static_cast<std::size_t>(dims[2]),
        static_cast<std::size_t>(dims[3]), static_cast<std::size_t>(dims[4]) };

    info.datatype = nifti_datatype_string(image->datatype);
    if (!supportedDatatype(image->datatype))
        return fail(ErrorCode::Unsupported,
            "datatype " + info.datatype + " (code " + std::to_string(image->datatype)
                + "); Mosaic reads UINT8, INT8, INT16, UINT16, INT32, UINT32, FLOAT32 and FLOAT64",
            where(path, "header, datatype"));

    // The data must fit in the file: for an uncompressed file exactly, for gzip within deflate's ratio.
    const std::uint64_t dataBytes = voxels * static_cast<std::uint64_t>(image->nbyper);
    const auto offset = static_cast<std::uint64_t>(std::max<int64_t>(image->iname_offset, 0));
    const std::filesystem::path dataPath = image->iname ? std::filesystem::path(image->iname) : path;
    const std::uintmax_t dataFileBytes
        = dataPath == path ? fileBytes : std::filesystem::file_size(dataPath, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "cannot read the image data file", where(dataPath));
    const bool gzipped = isGzipped(dataPath);
    const std::uint64_t capacity = gzipped ? dataFileBytes * kMaxDeflateRatio + 65536 : dataFileBytes;
    if (offset + dataBytes > capacity)
        return fail(ErrorCode::Malformed,
            "header promises " + std::to_string(dataBytes) + " bytes of voxels from offset "
                + std::to_string(offset) + " but the file "
                + (gzipped ? "cannot hold them" : "has " + std::to_string(dataFileBytes) + " bytes"),
            where(path, "header"));

    // Geometry: NIfTI-1 header comments, "methods" 3 (sform), 2 (qform) and 1 (pixdim only).
    ImageGeometry &geometry = info.geometry;
    geometry.size = { info.dims[0], info.dims[1], info.dims[2] };
    std::array<std::array<double, 4>, 3> affine {};
    if (image->sform_code > 0) {
        info.geometrySource = "sform";
        for (int row = 0; row < 3; ++row)
            for (int column = 0; column < 4; ++column)
                affine[row][column] = image->sto_xyz.m[row][column];
    } else if (image->qform_code > 0) {
        info.geometrySource = "qform";
        for (int row = 0; row < 3; ++row)
            for (int column = 0; column < 4; ++column)
                affine[row][column] = image->qto_xyz.m[row][column];
    } else {
        // Method 1 (ANALYZE 7.5 compatibility): x = pixdim[1] * i, ... with no orientation; taken as RAS.
        info.geometrySource = "pixdim";
        for (int axis = 0; axis < 3; ++axis)
            affine[axis][axis] = std::abs(image->pixdim[axis + 1]);
    }
    for (int axis = 0; axis < 3; ++axis) {
        const std::array<double, 3> column { affine[0][axis], affine[1][axis], affine[2][axis] };
        const double length = std::hypot(column[0], column[1], column[2]);
        if (!std::isfinite(length) || length <= 0.0)
            return fail(ErrorCode::Malformed,
                "voxel spacing along axis " + std::to_string(axis + 1) + " is zero or not a number",
                where(path, "header, " + info.geometrySource));
        geometry.spacingMm[axis] = length;
        // RAS+ to LPS: negate x and y.
        geometry.direction[axis] = { -column[0] / length, -column[1] / length, column[2] / length };
    }
    geometry.originMm = { -affine[0][3], -affine[1][3], affine[2][3] };
    for (double coordinate : geometry.originMm)
        if (!std::isfinite(coordinate))
            return fail(ErrorCode::Malformed, "origin is not a finite number",
                where(path, "header, " + info.geometrySource));

    info.slope = image->scl_slope;
    info.intercept = image->scl_inter;
    checked.image = std::move(image);
    return checked;
}

Result<NiftiImagePtr> loadData(CheckedHeader &checked, const std::filesystem::path &path)
{
    if (nifti_image_load(checked.image.get()) != 0 || checked.image->data == nullptr)
        return fail(ErrorCode::Malformed, "voxel data is truncated or unreadable", where(path, "image data"));
    return std::move(checked.image);
}

template <typename Stored, typename Output, typename Convert>
void convertVoxels(const void *data, std::size_t count, std::vector<Output> &out, Convert convert)
{
    out.resize(count);
    const auto *bytes = static_cast<const unsigned char *>(data);
    for (std::size_t index = 0; index < count; ++index) {
        Stored value;
        std::memcpy(&value, bytes + index * sizeof(Stored), sizeof(Stored));
        out[index] = convert(static_cast<double>(value));
    }
}

template <typename Output, typename Convert>
void convertAny(const nifti_image &image, std::size_t count, std::vector<Output> &out, Convert convert)
{
    switch (image.datatype) {
    case NIFTI_TYPE_UINT8: convertVoxels<std::uint8_t>(image.data, count, out, convert); break;
    case NIFTI_TYPE_INT8: convertVoxels<std::int8_t>(image.data, count, out, convert); break;
    case NIFTI_TYPE_INT16: convertVoxels<std::int16_t>(image.data, count, out, convert); break;
    case NIFTI_TYPE_UINT16: convertVoxels<std::uint16_t>(image.data, count, out, convert); break;
    case NIFTI_TYPE_INT32: convertVoxels<std::int32_t>(image.data, count, out, convert); break;
    case NIFTI_TYPE_UINT32: convertVoxels<std::uint32_t>(image.data, count, out, convert); break;
    case NIFTI_TYPE_FLOAT32: convertVoxels<float>(image.data, count, out, convert); break;
    case NIFTI_TYPE_FLOAT64: convertVoxels<double>(image.data, count, out, convert); break;
    default: break; // refused in readCheckedHeader
    }
}

} // namespace

Result<NiftiHeaderInfo> readNiftiHeader(const std::filesystem::path &path, const ImageLimits &limits)
{
    auto checked = readCheckedHeader(path, limits);
    if (!checked)
        return std::unexpected(checked.error());
    return std::move(checked->info);
}

Result<Volume> readNifti(const std::filesystem::path &path, const ImageLimits &limits)
{
    auto checked = readCheckedHeader(path, limits);
    if (!checked)
        return std::unexpected(checked.error());
    const NiftiHeaderInfo info = checked->info;
    auto image = loadData(*checked, path);
    if (!image)
        return std::unexpected(image.error());

    // NIfTI-1 header: "If the scl_slope field is nonzero, then each voxel value in the dataset should be
    // scaled as y = scl_slope * x + scl_inter".
    const bool scaled = info.slope != 0.0 && std::isfinite(info.slope);
    const double slope = scaled ? info.slope : 1.0;
    const double intercept = scaled && std::isfinite(info.intercept) ? info.intercept : 0.0;

    Volume volume;
    volume.geometry = info.geometry;
    convertAny(**image, volume.geometry.voxelCount(), volume.voxels,
        [slope, intercept](double value) { return static_cast<float>(value * slope + intercept); });
    return volume;
}

Result<Mask> readNiftiMask(const std::filesystem::path &path, const ImageLimits &limits)
{
    auto checked = readCheckedHeader(path, limits);
    if (!checked)
        return std::unexpected(checked.error());
    const NiftiHeaderInfo info = checked->info;
    auto image = loadData(*checked, path);
    if (!image)
        return std::unexpected(image.error());

    Mask mask;
    mask.geometry = info.geometry;
    // NaN compares unequal to zero, so it is tested for explicitly: an undefined label is outside.
    convertAny(**image, mask.geometry.voxelCount(), mask.voxels,
        [](double value) { return static_cast<std::uint8_t>(value != 0.0 && !std::isnan(value) ? 1 : 0); });
    std::filesystem::path stem = path.filename();
    while (stem.has_extension())
        stem = stem.stem();
    mask.roiName = stem.string();
    return mask;
}

} // namespace mosaic
