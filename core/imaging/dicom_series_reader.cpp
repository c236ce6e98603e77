// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/dicom_series_reader.h"

#include "core/imaging/dicom_preflight.h"

#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcmetinf.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmdata/dcuid.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <thread>

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace mosaic {
namespace {

static_assert(std::endian::native == std::endian::little, "pixel unpacking assumes a little-endian host");

// Elements longer than this stay on disk when a file is parsed and are read only when asked for (the
// pixel data, after its declared length has been checked against the grid and the file size).
constexpr Uint32 kMaxEagerElementBytes = 64 * 1024;

// Pixel data is read from disk at most this many files ahead of the slice being written to the volume,
// so that memory for DCMTK's copies stays bounded whatever the series' length. Frames up to
// kMaxPooledFrameBytes are read into kReadAheadFiles + 1 reused buffers; helpers with nothing to read
// fault in the volume's memory kPopulateBytes at a time.
constexpr std::size_t kReadAheadFiles = 8;
constexpr std::size_t kMaxPooledFrameBytes = std::size_t { 8 } << 20;
constexpr std::size_t kPopulateBytes = std::size_t { 4 } << 20;

// Slices of one series may differ in position by rounding in the exporter's decimal strings (DS has
// 16 characters, PS3.5 6.2): positions agree within 0.01 mm or 1% of the slice spacing, whichever is
// larger; orientation cosines within 1e-4.
constexpr double kPositionToleranceMm = 0.01;
constexpr double kRelativeSpacingTolerance = 0.01;
constexpr double kOrientationTolerance = 1e-4;

void prepareDcmtkOnce()
{
    // Decoders are registered once for the process (DCMTK's codec list is global); DCMTK's own log is
    // quietened because every problem comes back as an Error naming the file.
    static const bool prepared = [] {
        DJDecoderRegistration::registerCodecs();
        DJLSDecoderRegistration::registerCodecs();
        DcmRLEDecoderRegistration::registerCodecs();
        OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
        // Some converters (GDCM's gdcmconv among them) write standard attributes with VR UN in
        // explicit VR files; PS3.5 6.2.2 lets a reader re-interpret UN with the dictionary VR.
        dcmEnableUnknownVRConversion.set(OFTrue);
        return true;
    }();
    (void)prepared;
}

std::string fileLabel(const std::filesystem::path &file)
{
    // The file name only: folder names often carry patient names.
    return file.filename().string();
}

std::string at(const std::filesystem::path &file, std::string_view place)
{
    return fileLabel(file) + ", " + std::string(place);
}

std::string getString(DcmItem &item, const DcmTagKey &tag)
{
    OFString value;
    if (item.findAndGetOFStringArray(tag, value).good())
        return std::string(value.c_str());
    return {};
}

std::optional<long> getInteger(DcmItem &item, const DcmTagKey &tag)
{
    Uint16 u16 = 0;
    if (item.findAndGetUint16(tag, u16).good())
        return u16;
    Sint32 s32 = 0;
    if (item.findAndGetSint32(tag, s32).good())
        return s32;
    OFString text;
    if (item.findAndGetOFString(tag, text).good() && !text.empty()) {
        try {
            std::size_t used = 0;
            const long value = std::stol(text.c_str(), &used);
            return value;
        } catch (const std::exception &) {
            return std::nullopt;
        }
    }
    return std::nullopt;
}

std::optional<double> getDouble(DcmItem &item, const DcmTagKey &tag, unsigned long position = 0)
{
    Float64 value = 0.0;
    if (item.findAndGetFloat64(tag, value, position).good() && std::isfinite(value))
        return value;
    return std::nullopt;
}

template <std::size_t N> std::optional<std::array<double, N>> getDoubles(DcmItem &item, const DcmTagKey &tag)
{
    std::array<double, N> values {};
    for (std::size_t index = 0; index < N; ++index) {
        const auto value = getDouble(item, tag, index);
        if (!value)
            return std::nullopt;
        values[index] = *value;
    }
    return values;
}

// The item of a functional-group macro (PS3.3 C.7.6.16): per-frame first, then shared.
DcmItem *functionalGroup(DcmItem *perFrame, DcmItem *shared, const DcmTagKey &sequence)
{
    DcmItem *found = nullptr;
    if (perFrame && perFrame->findAndGetSequenceItem(sequence, found, 0).good() && found)
        return found;
    if (shared && shared->findAndGetSequenceItem(sequence, found, 0).good() && found)
        return found;
    return nullptr;
}

std::array<double, 3> cross(const std::array<double, 3> &a, const std::array<double, 3> &b)
{
    return { a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0] };
}

double dot(const std::array<double, 3> &a, const std::array<double, 3> &b)
{
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

std::string formatMm(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.3f", value);
    return text;
}

// DA "YYYYMMDD" and TM "HHMMSS.FFFFFF" (PS3.5 6.2; TM components after the hour are optional) as
// seconds on a continuous scale; DT "YYYYMMDDHHMMSS.FFFFFF&ZZXX" likewise, ignoring the offset.
std::optional<double> dateSeconds(std::string_view date)
{
    if (date.size() < 8 || !std::all_of(date.begin(), date.begin() + 8, [](char c) {
            return std::isdigit(static_cast<unsigned char>(c));
        }))
        return std::nullopt;
    const int year = std::stoi(std::string(date.substr(0, 4)));
    const unsigned month = static_cast<unsigned>(std::stoi(std::string(date.substr(4, 2))));
    const unsigned day = static_cast<unsigned>(std::stoi(std::string(date.substr(6, 2))));
    const std::chrono::year_month_day ymd { std::chrono::year { year }, std::chrono::month { month },
        std::chrono::day { day } };
    if (!ymd.ok())
        return std::nullopt;
    return static_cast<double>(std::chrono::sys_days(ymd).time_since_epoch().count()) * 86400.0;
}

std::optional<double> timeSeconds(std::string_view time)
{
    std::string digits;
    std::string fraction;
    bool inFraction = false;
    for (char c : time) {
        if (c == ':')
            continue; // ACR-NEMA style "HH:MM:SS" still appears
        if (c == '.') {
            inFraction = true;
            continue;
        }
        if (c == ' ' || c == '&' || c == '+' || c == '-')
            break;
        if (!std::isdigit(static_cast<unsigned char>(c)))
            return std::nullopt;
        (inFraction ? fraction : digits) += c;
    }
    if (digits.size() < 2 || digits.size() > 6 || digits.size() % 2 != 0)
        return std::nullopt;
    const int hours = std::stoi(digits.substr(0, 2));
    const int minutes = digits.size() >= 4 ? std::stoi(digits.substr(2, 2)) : 0;
    const int seconds = digits.size() >= 6 ? std::stoi(digits.substr(4, 2)) : 0;
    if (hours > 23 || minutes > 59 || seconds > 60)
        return std::nullopt;
    double result = hours * 3600.0 + minutes * 60.0 + seconds;
    if (!fraction.empty())
        result += std::stod("0." + fraction.substr(0, 6));
    return result;
}

std::optional<double> dateTimeSeconds(std::string_view date, std::string_view time)
{
    const auto day = dateSeconds(date);
    const auto clock = timeSeconds(time);
    if (!day || !clock)
        return std::nullopt;
    return *day + *clock;
}

// ---------------------------------------------------------------------------------------------------

struct LoadedFile
{
    std::filesystem::path path;
    std::unique_ptr<DcmFileFormat> format;
    DcmDataset *dataset = nullptr;
};

Result<LoadedFile> loadDicomFile(const std::filesystem::path &file, const ImageLimits &limits)
{
    prepareDcmtkOnce();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(file, ec))
        return fail(ErrorCode::NotFound, "no such file", fileLabel(file));
    const std::uintmax_t bytes = std::filesystem::file_size(file, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "cannot read the file size: " + ec.message(), fileLabel(file));
    if (bytes > limits.maxFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "file of " + std::to_string(bytes) + " bytes exceeds the limit of "
                + std::to_string(limits.maxFileBytes),
            fileLabel(file));
    LoadedFile loaded;
    loaded.path = file;
    loaded.format = std::make_unique<DcmFileFormat>();
    // From disk, never from a memory buffer: with a file, DCMTK checks each declared length against
    // what remains and leaves long values on disk; a 546-byte crafted buffer made it reserve 4.3 GB.
    // Not so in a deflated data set, and an over-long directory record type makes DCMTK throw and
    // leak: both are refused before DCMTK parses (dicom_preflight.h).
    OFCondition status = EC_Normal;
    try {
        if (auto checked = dicom_preflight::checkBeforeParsing(file, limits.maxFileBytes, fileLabel(file));
            !checked)
            return std::unexpected(checked.error());
        status = loaded.format->loadFile(
            OFFilename(file.c_str()), EXS_Unknown, EGL_noChange, kMaxEagerElementBytes);
    } catch (const std::exception &exception) {
        // Found by fuzzing (tests/fuzz): DCMTK 3.6.7 throws std::out_of_range from
        // DcmByteString::verify on a crafted directory record; nothing of DCMTK may escape as a throw.
        return fail(ErrorCode::Malformed,
            std::string("not a readable DICOM file (DCMTK threw: ") + exception.what() + ")",
            fileLabel(file));
    }
    if (status.bad())
        return fail(ErrorCode::Malformed,
            std::string("not a readable DICOM file (DCMTK: ") + status.text() + ")", fileLabel(file));
    loaded.dataset = loaded.format->getDataset();
    if (!loaded.dataset)
        return fail(ErrorCode::Malformed, "DICOM file without a data set", fileLabel(file));
    return loaded;
}

std::string transferSyntaxUidOf(DcmDataset &dataset)
{
    const DcmXfer xfer(dataset.getOriginalXfer());
    return xfer.getXferID();
}

std::string transferSyntaxNameOf(DcmDataset &dataset)
{
    const DcmXfer xfer(dataset.getOriginalXfer());
    return xfer.getXferName();
}

// One slice of the volume: a single-frame instance, or one frame of a multi-frame instance.
struct Slice
{
    std::size_t fileIndex = 0;
    std::size_t frame = 0;
    std::array<double, 3> positionMm {};
    double slope = 1.0;
    double intercept = 0.0;
    double distanceMm = 0.0; // along the slice normal
};

struct ImageFile
{
    LoadedFile loaded;
    std::string sopInstanceUid;
    std::string seriesInstanceUid;
    std::string modality;
    std::size_t rows = 0;
    std::size_t columns = 0;
    std::size_t frames = 1;
    std::size_t bitsAllocated = 0;
    std::size_t bitsStored = 0;
    std::size_t highBit = 0;
    bool isSigned = false;
    std::array<double, 6> orientation {};
    std::array<double, 2> pixelSpacingMm {}; // row spacing \ column spacing (PS3.3 10.7.1.3)
    std::optional<double> sliceThicknessMm;
    std::optional<double> sliceSpacingMm;
    std::vector<Slice> slices;
};

// Reads the attributes of an image instance needed to place and decode it (PS3.3 C.7.6.2 Image Plane,
// C.7.6.3 Image Pixel, C.7.6.16 Multi-frame Functional Groups, C.8.8.3 RT Dose).
Result<ImageFile> describeImageFile(LoadedFile loaded, const ImageLimits &limits)
{
    DcmDataset &data = *loaded.dataset;
    const std::filesystem::path file = loaded.path;
    ImageFile image;
    image.sopInstanceUid = getString(data, DCM_SOPInstanceUID);
    image.seriesInstanceUid = getString(data, DCM_SeriesInstanceUID);
    image.modality = getString(data, DCM_Modality);
    if (!data.tagExists(DCM_PixelData))
        return fail(ErrorCode::Unsupported,
            "holds no pixel data (SOP class "
                + std::string(dcmFindNameOfUID(getString(data, DCM_SOPClassUID).c_str(), "unknown")) + ")",
            at(file, "(7FE0,0010) Pixel Data"));

    // Refuse an encoding DCMTK cannot decode before anything else, so the message names the real problem.
    const DcmXfer original(data.getOriginalXfer());
    if (original.isEncapsulated()
        && !DcmCodecList::canChangeCoding(original.getXfer(), EXS_LittleEndianExplicit))
        return fail(ErrorCode::Unsupported,
            "transfer syntax " + std::string(original.getXferName()) + " (" + original.getXferID()
                + ") cannot be decoded by DCMTK 3.6.7 (no JPEG 2000 or HTJ2K decoder in its free edition)",
            at(file, "(0002,0010) Transfer Syntax UID"));

    const auto samples = getInteger(data, DCM_SamplesPerPixel).value_or(1);
    if (samples != 1)
        return fail(ErrorCode::Unsupported,
            "colour image (" + std::to_string(samples) + " samples per pixel, "
                + getString(data, DCM_PhotometricInterpretation) + "); a volume needs one sample per pixel",
            at(file, "(0028,0002) Samples per Pixel"));
    const auto rows = getInteger(data, DCM_Rows);
    const auto columns = getInteger(data, DCM_Columns);
    if (!rows || !columns || *rows <= 0 || *columns <= 0)
        return fail(ErrorCode::Malformed, "missing or zero Rows or Columns", at(file, "(0028,0010) Rows"));
    image.rows = static_cast<std::size_t>(*rows);
    image.columns = static_cast<std::size_t>(*columns);
    const long frames = getInteger(data, DCM_NumberOfFrames).value_or(1);
    if (frames < 1)
        return fail(
            ErrorCode::Malformed, "Number of Frames is " + std::to_string(frames), at(file, "(0028,0008)"));
    image.frames = static_cast<std::size_t>(frames);
    if (image.rows * image.columns > limits.maxVoxels / image.frames)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(image.rows) + " x " + std::to_string(image.columns) + " x "
                + std::to_string(image.frames) + " pixels exceed the limit of "
                + std::to_string(limits.maxVoxels) + " voxels",
            fileLabel(file));

    const long bitsAllocated = getInteger(data, DCM_BitsAllocated).value_or(0);
    if (bitsAllocated != 8 && bitsAllocated != 16 && bitsAllocated != 32)
        return fail(ErrorCode::Unsupported,
            "Bits Allocated " + std::to_string(bitsAllocated) + " (8, 16 or 32 are read)",
            at(file, "(0028,0100) Bits Allocated"));
    image.bitsAllocated = static_cast<std::size_t>(bitsAllocated);
    const long bitsStored = getInteger(data, DCM_BitsStored).value_or(bitsAllocated);
    const long highBit = getInteger(data, DCM_HighBit).value_or(bitsStored - 1);
    // PS3.5 8.1.1: the stored bits sit inside the allocated cell, ending at High Bit.
    if (bitsStored < 1 || bitsStored > bitsAllocated || highBit < bitsStored - 1 || highBit >= bitsAllocated)
        return fail(ErrorCode::Malformed,
            "Bits Stored " + std::to_string(bitsStored) + " / High Bit " + std::to_string(highBit)
                + " do not fit in Bits Allocated " + std::to_string(bitsAllocated),
            at(file, "(0028,0101) Bits Stored"));
    image.bitsStored = static_cast<std::size_t>(bitsStored);
    image.highBit = static_cast<std::size_t>(highBit);
    image.isSigned = getInteger(data, DCM_PixelRepresentation).value_or(0) == 1;

    DcmItem *shared = nullptr;
    data.findAndGetSequenceItem(DCM_SharedFunctionalGroupsSequence, shared, 0);
    DcmSequenceOfItems *perFrameSequence = nullptr;
    data.findAndGetSequence(DCM_PerFrameFunctionalGroupsSequence, perFrameSequence);
    const bool enhanced = perFrameSequence != nullptr;
    if (enhanced && perFrameSequence->card() != image.frames)
        return fail(ErrorCode::Malformed,
            "Per-frame Functional Groups Sequence has " + std::to_string(perFrameSequence->card())
                + " items for " + std::to_string(image.frames) + " frames",
            at(file, "(5200,9230)"));
    DcmItem *firstFrame = enhanced && image.frames > 0 ? perFrameSequence->getItem(0) : nullptr;

    // Orientation and pixel spacing: top level (classic images), else the functional groups.
    std::optional<std::array<double, 6>> orientation = getDoubles<6>(data, DCM_ImageOrientationPatient);
    if (!orientation)
        if (DcmItem *group = functionalGroup(firstFrame, shared, DCM_PlaneOrientationSequence))
            orientation = getDoubles<6>(*group, DCM_ImageOrientationPatient);
    if (!orientation)
        return fail(ErrorCode::Malformed,
            "missing Image Orientation (Patient); cannot place the image in space", at(file, "(0020,0037)"));
    image.orientation = *orientation;
    std::optional<std::array<double, 2>> spacing = getDoubles<2>(data, DCM_PixelSpacing);
    DcmItem *measures = functionalGroup(firstFrame, shared, DCM_PixelMeasuresSequence);
    if (!spacing && measures)
        spacing = getDoubles<2>(*measures, DCM_PixelSpacing);
    if (!spacing || !((*spacing)[0] > 0.0) || !((*spacing)[1] > 0.0))
        return fail(ErrorCode::Malformed, "missing or non-positive Pixel Spacing", at(file, "(0028,0030)"));
    image.pixelSpacingMm = *spacing;
    image.sliceThicknessMm = getDouble(data, DCM_SliceThickness);
    if (!image.sliceThicknessMm && measures)
        image.sliceThicknessMm = getDouble(*measures, DCM_SliceThickness);
    image.sliceSpacingMm = getDouble(data, DCM_SpacingBetweenSlices);
    if (!image.sliceSpacingMm && measures)
        image.sliceSpacingMm = getDouble(*measures, DCM_SpacingBetweenSlices);

    // Per-slice position and rescale.
    const auto rescaleOf = [&](DcmItem *perFrame, Slice &slice) {
        DcmItem *source = &data;
        if (!data.tagExists(DCM_RescaleSlope))
            if (DcmItem *group = functionalGroup(perFrame, shared, DCM_PixelValueTransformationSequence))
                source = group;
        slice.slope = getDouble(*source, DCM_RescaleSlope).value_or(1.0);
        slice.intercept = getDouble(*source, DCM_RescaleIntercept).value_or(0.0);
        // RT Dose, PS3.3 C.8.8.3: dose = stored value x Dose Grid Scaling.
        if (const auto scaling = getDouble(data, DCM_DoseGridScaling); scaling && image.modality == "RTDOSE")
            slice.slope = *scaling;
    };
    const auto topPosition = getDoubles<3>(data, DCM_ImagePositionPatient);
    if (enhanced) {
        for (std::size_t frame = 0; frame < image.frames; ++frame) {
            DcmItem *perFrame = perFrameSequence->getItem(static_cast<unsigned long>(frame));
            DcmItem *plane = functionalGroup(perFrame, nullptr, DCM_PlanePositionSequence);
            const auto position = plane ? getDoubles<3>(*plane, DCM_ImagePositionPatient) : std::nullopt;
            if (!position)
                return fail(ErrorCode::Malformed,
                    "frame " + std::to_string(frame + 1) + " has no Plane Position",
                    at(file, "(5200,9230) > (0020,9113) Plane Position Sequence"));
            if (DcmItem *own = functionalGroup(perFrame, nullptr, DCM_PlaneOrientationSequence)) {
                const auto frameOrientation = getDoubles<6>(*own, DCM_ImageOrientationPatient);
                if (!frameOrientation)
                    return fail(ErrorCode::Malformed,
                        "frame " + std::to_string(frame + 1) + " has a broken orientation",
                        at(file, "(0020,9116) Plane Orientation Sequence"));
                for (std::size_t c = 0; c < 6; ++c)
                    if (std::abs((*frameOrientation)[c] - image.orientation[c]) > kOrientationTolerance)
                        return fail(ErrorCode::Unsupported,
                            "frame " + std::to_string(frame + 1)
                                + " has a different orientation from frame 1",
                            at(file, "(0020,9116) Plane Orientation Sequence"));
            }
            Slice slice;
            slice.frame = frame;
            slice.positionMm = *position;
            rescaleOf(perFrame, slice);
            image.slices.push_back(slice);
        }
    } else if (image.frames > 1) {
        // Classic multi-frame: only RT Dose's Grid Frame Offset Vector (PS3.3 C.8.8.3.2) places frames.
        if (!topPosition)
            return fail(ErrorCode::Malformed, "missing Image Position (Patient)", at(file, "(0020,0032)"));
        DcmElement *offsets = nullptr;
        if (data.findAndGetElement(DCM_GridFrameOffsetVector, offsets).bad() || !offsets
            || offsets->getVM() != image.frames)
            return fail(ErrorCode::Unsupported,
                "multi-frame image of " + std::to_string(image.frames)
                    + " frames without per-frame positions (no Per-frame Functional Groups or Grid Frame "
                      "Offset Vector)",
                at(file, "(0028,0008) Number of Frames"));
        const auto &o = image.orientation;
        const std::array<double, 3> normal = cross({ o[0], o[1], o[2] }, { o[3], o[4], o[5] });
        for (std::size_t frame = 0; frame < image.frames; ++frame) {
            const auto offset = getDouble(data, DCM_GridFrameOffsetVector, static_cast<unsigned long>(frame));
            if (!offset)
                return fail(ErrorCode::Malformed, "unreadable Grid Frame Offset Vector value",
                    at(file, "(3004,000C)"));
            Slice slice;
            slice.frame = frame;
            for (int xyz = 0; xyz < 3; ++xyz)
                slice.positionMm[xyz] = (*topPosition)[xyz] + *offset * normal[xyz];
            rescaleOf(nullptr, slice);
            image.slices.push_back(slice);
        }
    } else {
        if (!topPosition)
            return fail(ErrorCode::Malformed,
                "missing Image Position (Patient); cannot place the slice in space", at(file, "(0020,0032)"));
        Slice slice;
        slice.positionMm = *topPosition;
        rescaleOf(nullptr, slice);
        image.slices.push_back(slice);
    }
    image.loaded = std::move(loaded);
    return image;
}

// ---------------------------------------------------------------------------------------------------
// Pixel data

// The stored pixel values of all frames of `image`, read from disk (and decompressed) by DCMTK after
// the declared length has been checked against the grid. A single uncompressed frame is read straight
// into `buffer` when one is given (it holds the frame's bytes); otherwise the values are in DCMTK's
// memory, valid until image.loaded.format is reset.
Result<const unsigned char *> pixelBytes(ImageFile &image, std::size_t sliceVoxels, unsigned char *buffer)
{
    DcmDataset &data = *image.loaded.dataset;
    const std::filesystem::path &file = image.loaded.path;
    const DcmXfer original(data.getOriginalXfer());
    if (original.isEncapsulated()) {
        // Decompress in memory to little-endian explicit (JPEG baseline/extended/lossless via dcmjpeg,
        // JPEG-LS via dcmjpls, RLE via dcmdata). Deflate was undone by dcmdata while parsing.
        const OFCondition status = data.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
        if (status.bad() || !data.hasRepresentation(EXS_LittleEndianExplicit, nullptr))
            return fail(ErrorCode::Unsupported,
                "pixel data in " + std::string(original.getXferName())
                    + " could not be decoded: " + status.text(),
                at(file, "(7FE0,0010) Pixel Data"));
    }
    DcmElement *element = nullptr;
    if (data.findAndGetElement(DCM_PixelData, element).bad() || !element)
        return fail(ErrorCode::Malformed, "pixel data cannot be read", at(file, "(7FE0,0010) Pixel Data"));
    const std::size_t bytesPerPixel = image.bitsAllocated / 8;
    const std::size_t needed = sliceVoxels * image.frames * bytesPerPixel;
    // The declared length is checked before DCMTK reads the value from disk into memory.
    const Uint32 declared = element->getLength();
    if (declared == DCM_UndefinedLength || declared < needed)
        return fail(ErrorCode::Malformed,
            "pixel data holds " + std::to_string(declared) + " bytes where the image needs "
                + std::to_string(needed),
            at(file, "(7FE0,0010) Pixel Data"));
    if (buffer && image.frames == 1 && !original.isEncapsulated()) {
        // Into the caller's (reused) buffer, in the host's byte order: no allocation per file.
        // DCMTK checks the range against the element's length again and reads nothing beyond it.
        if (element->getPartialValue(buffer, 0, static_cast<Uint32>(needed)).bad())
            return fail(ErrorCode::Malformed, "pixel data cannot be read from the file",
                at(file, "(7FE0,0010) Pixel Data"));
        return buffer;
    }
    const unsigned char *bytes = nullptr;
    Uint16 *words = nullptr;
    Uint8 *octets = nullptr;
    if (element->getUint16Array(words).good() && words)
        bytes = reinterpret_cast<const unsigned char *>(words);
    else if (element->getUint8Array(octets).good() && octets)
        bytes = octets;
    if (!bytes)
        return fail(ErrorCode::Malformed, "pixel data cannot be read from the file",
            at(file, "(7FE0,0010) Pixel Data"));
    return bytes;
}

// One frame of stored values (`bytes` from pixelBytes) to one slice of the volume, rescaled.
void convertFrame(const ImageFile &image, const Slice &slice, const unsigned char *bytes, float *target,
    std::size_t sliceVoxels)
{
    // PS3.5 8.1.1: shift the stored bits down from High Bit, mask them, and sign-extend when Pixel
    // Representation is 1 (two's complement).
    const std::size_t bytesPerPixel = image.bitsAllocated / 8;
    const unsigned shift = static_cast<unsigned>(image.highBit + 1 - image.bitsStored);
    const std::uint64_t mask
        = image.bitsStored >= 32 ? 0xFFFFFFFFull : ((std::uint64_t { 1 } << image.bitsStored) - 1);
    const std::uint64_t signBit = std::uint64_t { 1 } << (image.bitsStored - 1);
    const bool plain16 = image.bitsAllocated == 16 && image.bitsStored == 16;
    const unsigned char *source = bytes + slice.frame * sliceVoxels * bytesPerPixel;
    const auto slope = static_cast<float>(slice.slope);
    const auto intercept = static_cast<float>(slice.intercept);
    if (plain16) {
        // The common CT/MR/PET case, kept branch-free so it vectorises.
        if (image.isSigned)
            for (std::size_t index = 0; index < sliceVoxels; ++index) {
                std::int16_t value;
                std::memcpy(&value, source + 2 * index, 2);
                target[index] = static_cast<float>(value) * slope + intercept;
            }
        else
            for (std::size_t index = 0; index < sliceVoxels; ++index) {
                std::uint16_t value;
                std::memcpy(&value, source + 2 * index, 2);
                target[index] = static_cast<float>(value) * slope + intercept;
            }
        return;
    }
    for (std::size_t index = 0; index < sliceVoxels; ++index) {
        std::uint64_t raw = 0;
        std::memcpy(&raw, source + bytesPerPixel * index, bytesPerPixel);
        raw = (raw >> shift) & mask;
        double value = static_cast<double>(raw);
        if (image.isSigned && (raw & signBit))
            value -= static_cast<double>(mask) + 1.0;
        target[index] = static_cast<float>(value * slice.slope + slice.intercept);
    }
}

std::uintptr_t systemPageBytes()
{
#if defined(__linux__)
    const long page = sysconf(_SC_PAGESIZE);
    if (page > 0 && (page & (page - 1)) == 0)
        return static_cast<std::uintptr_t>(page);
#endif
    return 0; // unknown: nothing is advised or populated
}

// Asks the kernel to back `bytes` at `data` with transparent huge pages (Linux; where THP is in
// "madvise" mode, only advised memory gets them): a 300-slice CT volume is 314 MB, 77 000 first-touch
// faults with 4 KiB pages, which cost more than reading and converting the series (docs/performance.md).
// Only pages wholly inside the buffer are advised; it is a hint, and failure changes nothing but speed.
void adviseHugePages(const void *data, std::size_t bytes)
{
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    constexpr std::size_t kHugePage = std::size_t { 2 } << 20;
    if (bytes < 2 * kHugePage)
        return;
    const std::uintptr_t page = systemPageBytes();
    if (page == 0)
        return;
    const auto begin = (reinterpret_cast<std::uintptr_t>(data) + page - 1) & ~(page - 1);
    const auto end = (reinterpret_cast<std::uintptr_t>(data) + bytes) & ~(page - 1);
    if (end > begin)
        (void)madvise(reinterpret_cast<void *>(begin), end - begin, MADV_HUGEPAGE);
#else
    (void)data;
    (void)bytes;
#endif
}

// Faults in (and so has the kernel zero) the whole pages [begin, begin + bytes) of memory the caller
// owns, without writing to it from user space (MADV_POPULATE_WRITE, Linux 5.14). Pages already present
// are left as they are. False when the kernel cannot: whoever writes the pages then faults them in.
bool populatePages(std::uintptr_t begin, std::size_t bytes)
{
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    return madvise(reinterpret_cast<void *>(begin), bytes, MADV_POPULATE_WRITE) == 0;
#else
    (void)begin;
    (void)bytes;
    return false;
#endif
}

// ---------------------------------------------------------------------------------------------------
// PET: standardised uptake value normalised by body weight.

struct SuvResult
{
    std::optional<double> factor; // multiply Bq/ml by this to get SUVbw
    std::string unit;
    std::vector<std::string> warnings;
};

// SUVbw = activity concentration (Bq/ml) x body weight (g) / injected dose decayed to the time the
// image activity refers to (Bq). Follows the QIBA FDG-PET/CT profile's vendor-neutral SUV pseudo-code
// (QIBA wiki, "Standardized Uptake Value (SUV)", 2015): the images are decay-corrected to the series
// start when Decay Correction (0054,1102) is START, so the dose is decayed from injection to Series
// Time, or to the earliest Acquisition Time when Series Time is later than it (re-saved series).
// ADMIN means the images are corrected to the injection time: no decay. NONE is left in Bq/ml.
SuvResult suvFactor(std::vector<ImageFile> &files, const std::vector<std::size_t> &order)
{
    SuvResult result;
    DcmDataset &first = *files[order.front()].loaded.dataset;
    const std::string units = getString(first, DCM_Units);
    if (units == "GML") {
        result.factor = 1.0;
        result.unit = "SUVbw";
        return result;
    }
    if (units != "BQML") {
        result.unit = units;
        result.warnings.push_back(
            "PET Units (0054,1001) are '" + units + "', not BQML or GML: values left as stored");
        return result;
    }
    result.unit = "BQML";
    const auto missing = [&result](const std::string &what) {
        result.warnings.push_back("PET left in Bq/ml (BQML): cannot compute SUVbw, " + what);
        return result;
    };
    const std::string decay = getString(first, DCM_DecayCorrection);
    DcmItem *drug = nullptr;
    if (first.findAndGetSequenceItem(DCM_RadiopharmaceuticalInformationSequence, drug, 0).bad() || !drug)
        return missing("no Radiopharmaceutical Information Sequence (0054,0016)");
    const auto dose = getDouble(*drug, DCM_RadionuclideTotalDose);
    const auto halfLife = getDouble(*drug, DCM_RadionuclideHalfLife);
    const auto weightKg = getDouble(first, DCM_PatientWeight);
    if (!dose || *dose <= 0.0)
        return missing("Radionuclide Total Dose (0018,1074) missing or not positive");
    if (!weightKg || *weightKg <= 0.0)
        return missing("Patient's Weight (0010,1030) missing or not positive");
    double decayedDose = *dose;
    if (decay == "START") {
        if (!halfLife || *halfLife <= 0.0)
            return missing("Radionuclide Half Life (0018,1075) missing or not positive");
        // Scan start: Series Date/Time, unless an acquisition began earlier (QIBA pseudo-code).
        std::optional<double> scanStart
            = dateTimeSeconds(getString(first, DCM_SeriesDate), getString(first, DCM_SeriesTime));
        std::optional<double> earliestAcquisition;
        for (std::size_t index : order) {
            DcmDataset &data = *files[index].loaded.dataset;
            const auto acquired
                = dateTimeSeconds(getString(data, DCM_AcquisitionDate), getString(data, DCM_AcquisitionTime));
            if (acquired && (!earliestAcquisition || *acquired < *earliestAcquisition))
                earliestAcquisition = acquired;
        }
        if (!scanStart || (earliestAcquisition && *earliestAcquisition < *scanStart))
            scanStart = earliestAcquisition;
        if (!scanStart)
            return missing("no Series or Acquisition Date/Time to decay the dose to");
        std::optional<double> injection;
        const std::string startDateTime = getString(*drug, DCM_RadiopharmaceuticalStartDateTime);
        if (startDateTime.size() >= 10)
            injection = dateTimeSeconds(startDateTime.substr(0, 8), startDateTime.substr(8));
        if (!injection) {
            // Only a time of day: assume the injection was on the day of the scan start (QIBA).
            const auto clock = timeSeconds(getString(*drug, DCM_RadiopharmaceuticalStartTime));
            if (!clock)
                return missing("no Radiopharmaceutical Start (Date)Time (0018,1072/1078)");
            injection = std::floor(*scanStart / 86400.0) * 86400.0 + *clock;
        }
        const double elapsed = *scanStart - *injection;
        if (elapsed < 0.0 || elapsed > 86400.0)
            return missing("injection time is " + std::to_string(static_cast<long>(elapsed))
                + " s from the scan start, outside 0..24 h");
        decayedDose = *dose * std::exp2(-elapsed / *halfLife);
    } else if (decay != "ADMIN") {
        return missing("Decay Correction (0054,1102) is '" + decay + "', not START or ADMIN");
    }
    result.factor = *weightKg * 1000.0 / decayedDose;
    result.unit = "SUVbw";
    return result;
}

// ---------------------------------------------------------------------------------------------------

std::string lowerCase(std::string text)
{
    std::ranges::transform(
        text, text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

bool isDicomdirFile(const std::filesystem::path &file)
{
    return lowerCase(file.filename().string()) == "dicomdir";
}

Result<DicomSeries> assembleSeries(std::vector<ImageFile> files, std::vector<std::string> warnings)
{
    // Geometry from the first file; every other must agree (PS3.3 C.7.6.2: one plane per slice).
    const ImageFile &reference = files.front();
    const auto &o = reference.orientation;
    const std::array<double, 3> rowDirection { o[0], o[1], o[2] };
    const std::array<double, 3> columnDirection { o[3], o[4], o[5] };
    const double rowLength = std::sqrt(dot(rowDirection, rowDirection));
    const double columnLength = std::sqrt(dot(columnDirection, columnDirection));
    if (std::abs(rowLength - 1.0) > 1e-3 || std::abs(columnLength - 1.0) > 1e-3
        || std::abs(dot(rowDirection, columnDirection)) > 1e-3)
        return fail(ErrorCode::Malformed, "Image Orientation (Patient) is not two orthogonal unit vectors",
            at(reference.loaded.path, "(0020,0037)"));
    const std::array<double, 3> normal = cross(rowDirection, columnDirection);

    struct Placed
    {
        std::size_t fileIndex;
        std::size_t sliceIndex;
        double distance;
    };
    std::vector<Placed> placed;
    for (std::size_t fileIndex = 0; fileIndex < files.size(); ++fileIndex) {
        ImageFile &image = files[fileIndex];
        const std::string label = fileLabel(image.loaded.path);
        if (image.rows != reference.rows || image.columns != reference.columns)
            return fail(ErrorCode::Malformed,
                "slice is " + std::to_string(image.columns) + " x " + std::to_string(image.rows) + " where "
                    + fileLabel(reference.loaded.path) + " is " + std::to_string(reference.columns) + " x "
                    + std::to_string(reference.rows),
                at(image.loaded.path, "(0028,0010) Rows / (0028,0011) Columns"));
        for (std::size_t c = 0; c < 6; ++c)
            if (std::abs(image.orientation[c] - o[c]) > kOrientationTolerance)
                return fail(ErrorCode::Unsupported,
                    "mixed orientations: this slice is oriented differently from "
                        + fileLabel(reference.loaded.path),
                    at(image.loaded.path, "(0020,0037) Image Orientation (Patient)"));
        for (std::size_t c = 0; c < 2; ++c)
            if (std::abs(image.pixelSpacingMm[c] - reference.pixelSpacingMm[c]) > kPositionToleranceMm)
                return fail(ErrorCode::Unsupported,
                    "pixel spacing differs from " + fileLabel(reference.loaded.path),
                    at(image.loaded.path, "(0028,0030) Pixel Spacing"));
        if (image.bitsAllocated != reference.bitsAllocated)
            return fail(ErrorCode::Unsupported, "Bits Allocated differs between slices",
                at(image.loaded.path, "(0028,0100)"));
        for (std::size_t sliceIndex = 0; sliceIndex < image.slices.size(); ++sliceIndex) {
            Slice &slice = image.slices[sliceIndex];
            slice.distanceMm = dot(slice.positionMm, normal);
            placed.push_back({ fileIndex, sliceIndex, slice.distanceMm });
        }
    }
    std::ranges::stable_sort(placed, {}, &Placed::distance);
    const auto sliceName = [&files](const Placed &p) {
        const ImageFile &image = files[p.fileIndex];
        std::string name = fileLabel(image.loaded.path);
        if (image.frames > 1)
            name += " frame " + std::to_string(image.slices[p.sliceIndex].frame + 1);
        return name;
    };

    double spacingK = 0.0;
    if (placed.size() == 1) {
        spacingK = reference.sliceSpacingMm.value_or(reference.sliceThicknessMm.value_or(0.0));
        if (!(spacingK > 0.0)) {
            spacingK = 1.0;
            warnings.push_back("a single slice without Slice Thickness: its thickness is taken as 1 mm");
        }
    } else {
        std::vector<double> steps;
        for (std::size_t index = 1; index < placed.size(); ++index)
            steps.push_back(placed[index].distance - placed[index - 1].distance);
        // Duplicates first: two slices at one position (a repeated acquisition in one series).
        for (std::size_t index = 0; index < steps.size(); ++index)
            if (steps[index] < kPositionToleranceMm)
                return fail(ErrorCode::Malformed,
                    "two slices at the same position: " + sliceName(placed[index]) + " and "
                        + sliceName(placed[index + 1]) + " (" + formatMm(placed[index].distance)
                        + " mm along the slice normal)",
                    fileLabel(files[placed[index + 1].fileIndex].loaded.path));
        std::vector<double> sorted = steps;
        std::ranges::nth_element(sorted, sorted.begin() + static_cast<std::ptrdiff_t>(sorted.size() / 2));
        spacingK = sorted[sorted.size() / 2];
        const double tolerance = std::max(kPositionToleranceMm, kRelativeSpacingTolerance * spacingK);
        for (std::size_t index = 0; index < steps.size(); ++index) {
            if (std::abs(steps[index] - spacingK) <= tolerance)
                continue;
            const double ratio = steps[index] / spacingK;
            const std::string between = sliceName(placed[index]) + " and " + sliceName(placed[index + 1]);
            if (std::abs(ratio - std::round(ratio)) * spacingK <= tolerance && ratio > 1.5)
                return fail(ErrorCode::Malformed,
                    "missing slice: a gap of " + formatMm(steps[index]) + " mm between " + between
                        + " where slices are " + formatMm(spacingK) + " mm apart ("
                        + std::to_string(std::lround(ratio) - 1) + " slice(s) missing)",
                    fileLabel(files[placed[index + 1].fileIndex].loaded.path));
            return fail(ErrorCode::Unsupported,
                "uneven slice spacing: " + formatMm(steps[index]) + " mm between " + between
                    + " where slices are " + formatMm(spacingK) + " mm apart (tolerance "
                    + formatMm(tolerance) + " mm)",
                fileLabel(files[placed[index + 1].fileIndex].loaded.path));
        }
        // Positions must lie on one line along the normal; otherwise the stack is sheared (gantry tilt).
        const auto &origin = files[placed.front().fileIndex].slices[placed.front().sliceIndex].positionMm;
        for (const Placed &p : placed) {
            const auto &position = files[p.fileIndex].slices[p.sliceIndex].positionMm;
            const std::array<double, 3> offset { position[0] - origin[0], position[1] - origin[1],
                position[2] - origin[2] };
            const double along = dot(offset, normal);
            const double inPlane = std::sqrt(std::max(0.0, dot(offset, offset) - along * along));
            if (inPlane > tolerance)
                return fail(ErrorCode::Unsupported,
                    "slices are shifted in-plane by " + formatMm(inPlane)
                        + " mm (gantry tilt or sheared stack); Mosaic needs slices stacked along their "
                          "normal",
                    at(files[p.fileIndex].loaded.path, "(0020,0032) Image Position (Patient)"));
        }
    }

    const std::size_t sliceVoxels = reference.rows * reference.columns;
    DicomSeries series;
    series.modality = reference.modality;
    DcmDataset &firstData = *reference.loaded.dataset;
    series.seriesInstanceUid = reference.seriesInstanceUid;
    series.studyInstanceUid = getString(firstData, DCM_StudyInstanceUID);
    series.frameOfReferenceUid = getString(firstData, DCM_FrameOfReferenceUID);
    ImageGeometry &geometry = series.volume.geometry;
    geometry.size = { reference.columns, reference.rows, placed.size() };
    // PS3.3 10.7.1.3: Pixel Spacing is row spacing (between rows, along j) \ column spacing (along i).
    geometry.spacingMm = { reference.pixelSpacingMm[1], reference.pixelSpacingMm[0], spacingK };
    geometry.direction = { rowDirection, columnDirection, normal };
    geometry.originMm = files[placed.front().fileIndex].slices[placed.front().sliceIndex].positionMm;
    geometry.frameOfReferenceUid = series.frameOfReferenceUid;

    // The volume is written once, slice by slice in k order, by this thread: growing the vector one
    // slice at a time keeps each slice's zero-fill in the cache just before the conversion overwrites
    // it (resizing the whole vector first wrote every voxel to memory twice). Helper threads meanwhile
    // read the pixel data of the next files, at most kReadAheadFiles ahead, and when they have none to
    // read they fault in the volume's memory ahead of this thread: page faults and the kernel's zeroing
    // of fresh pages were most of the load time (docs/performance.md, "DICOM series loading").
    for (const Placed &p : placed) {
        series.sopInstanceUids.push_back(files[p.fileIndex].sopInstanceUid);
        series.slicePositionsMm.push_back(files[p.fileIndex].slices[p.sliceIndex].positionMm);
    }
    std::vector<std::size_t> loadOrder; // files in the order the writer first needs them
    std::vector<std::size_t> slicesLeft(files.size(), 0);
    for (const Placed &p : placed)
        if (slicesLeft[p.fileIndex]++ == 0)
            loadOrder.push_back(p.fileIndex);
    const std::size_t workers = std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8);
    const std::size_t helpers = files.size() >= 8 ? workers - 1 : 0;

    // Single uncompressed frames are read into reused buffers rather than one DCMTK allocation each.
    // kReadAheadFiles + 1 buffers suffice: a file holding one is at most kReadAheadFiles ahead of the one
    // being written, and gives it back once written.
    const std::size_t frameBytes = sliceVoxels * (reference.bitsAllocated / 8);
    const std::size_t poolSlots = std::min(kReadAheadFiles + 1, files.size());
    const std::size_t slotBytes = (frameBytes + 63) / 64 * 64;
    std::unique_ptr<unsigned char[]> pool;
    std::vector<bool> usesSlot(files.size(), false);
    if (files.size() > 1 && frameBytes <= kMaxPooledFrameBytes) {
        pool = std::make_unique_for_overwrite<unsigned char[]>(poolSlots * slotBytes);
        adviseHugePages(pool.get(), poolSlots * slotBytes);
        for (std::size_t fileIndex = 0; fileIndex < files.size(); ++fileIndex)
            usesSlot[fileIndex] = files[fileIndex].frames == 1
                && !DcmXfer(files[fileIndex].loaded.dataset->getOriginalXfer()).isEncapsulated();
    }
    constexpr std::size_t kNoSlot = static_cast<std::size_t>(-1);
    std::vector<std::size_t> freeSlots;
    for (std::size_t slot = poolSlots; pool && slot-- > 0;)
        freeSlots.push_back(slot);
    std::vector<std::size_t> slotOf(files.size(), kNoSlot);

    std::vector<float> &voxels = series.volume.voxels;
    voxels.reserve(geometry.voxelCount()); // bounded by limits.maxVoxels in readFiles
    adviseHugePages(voxels.data(), geometry.voxelCount() * sizeof(float));
    // The whole pages of the reserved storage, faulted in by helpers ahead of the writer.
    const std::uintptr_t pageBytes = systemPageBytes();
    const std::uintptr_t storageBegin = reinterpret_cast<std::uintptr_t>(voxels.data());
    const std::uintptr_t populateEnd
        = (storageBegin + geometry.voxelCount() * sizeof(float)) & ~(pageBytes - 1);
    std::uintptr_t populated = (storageBegin + pageBytes - 1) & ~(pageBytes - 1);
    bool populating = helpers > 0 && pageBytes > 0 && populated < populateEnd;

    enum class Pixels { Waiting, Loading, Ready, Failed };
    std::vector<Pixels> state(files.size(), Pixels::Waiting);
    std::vector<const unsigned char *> pixels(files.size(), nullptr);
    std::vector<std::optional<Error>> errors(files.size());
    std::mutex mutex;
    std::condition_variable changed;
    std::size_t started = 0; // files of loadOrder whose first slice the writer has reached
    std::size_t writtenVoxels = 0;
    bool finished = false;
    // Under the lock: marks the file taken and gives it a buffer if it reads into one.
    const auto claim = [&](std::size_t fileIndex) -> unsigned char * {
        state[fileIndex] = Pixels::Loading;
        if (!usesSlot[fileIndex] || freeSlots.empty())
            return nullptr;
        slotOf[fileIndex] = freeSlots.back();
        freeSlots.pop_back();
        return pool.get() + slotOf[fileIndex] * slotBytes;
    };
    // Outside the lock; the result is published under it.
    const auto load = [&](std::size_t fileIndex, unsigned char *buffer) {
        Result<const unsigned char *> bytes = nullptr;
        try {
            bytes = pixelBytes(files[fileIndex], sliceVoxels, buffer);
        } catch (const std::exception &exception) {
            // A throw must not leave a helper thread (std::terminate); it becomes this file's error.
            bytes = fail(ErrorCode::Malformed,
                std::string("pixel data could not be decoded: ") + exception.what(),
                fileLabel(files[fileIndex].loaded.path));
        }
        {
            const std::scoped_lock lock(mutex);
            if (bytes) {
                pixels[fileIndex] = *bytes;
                state[fileIndex] = Pixels::Ready;
            } else {
                errors[fileIndex] = bytes.error();
                state[fileIndex] = Pixels::Failed;
            }
        }
        changed.notify_all();
    };
    const auto help = [&] {
        std::unique_lock lock(mutex);
        for (std::size_t next = 0; !finished;) {
            while (next < loadOrder.size() && state[loadOrder[next]] != Pixels::Waiting)
                ++next;
            if (next < loadOrder.size() && next < started + kReadAheadFiles) {
                const std::size_t fileIndex = loadOrder[next];
                unsigned char *buffer = claim(fileIndex);
                lock.unlock();
                load(fileIndex, buffer);
                lock.lock();
                continue;
            }
            // Nothing to read yet: fault in the next stretch of the volume not yet written.
            populated = std::max(
                populated, (storageBegin + writtenVoxels * sizeof(float) + pageBytes - 1) & ~(pageBytes - 1));
            if (populating && populated < populateEnd) {
                const std::uintptr_t begin = populated;
                populated = std::min(populateEnd, begin + kPopulateBytes);
                const std::uintptr_t end = populated;
                lock.unlock();
                const bool done = populatePages(begin, end - begin);
                lock.lock();
                populating = populating && done;
                continue;
            }
            if (next == loadOrder.size())
                return;
            changed.wait(lock);
        }
    };
    {
        // DCMTK's codecs and parsing keep no shared mutable state per data set, so files load independently.
        std::vector<std::jthread> threads;
        // However this block is left (a thread that cannot be started included), the helpers take no
        // further work before they are joined: stopHelpers is destroyed before `threads`.
        struct StopHelpers
        {
            std::mutex &mutex;
            std::condition_variable &changed;
            bool &finished;
            ~StopHelpers()
            {
                {
                    const std::scoped_lock lock(mutex);
                    finished = true;
                }
                changed.notify_all();
            }
        } stopHelpers { mutex, changed, finished };
        for (std::size_t helper = 0; helper < helpers; ++helper)
            threads.emplace_back(help);
        std::vector<bool> reached(files.size(), false);
        bool failed = false;
        for (const Placed &p : placed) {
            const std::size_t fileIndex = p.fileIndex;
            std::unique_lock lock(mutex);
            writtenVoxels = voxels.size();
            if (!reached[fileIndex]) {
                reached[fileIndex] = true;
                ++started;
                changed.notify_all();
            }
            if (state[fileIndex] == Pixels::Waiting) { // no helper took it (or there are none)
                unsigned char *buffer = claim(fileIndex);
                lock.unlock();
                load(fileIndex, buffer);
                lock.lock();
            }
            changed.wait(lock,
                [&] { return state[fileIndex] == Pixels::Ready || state[fileIndex] == Pixels::Failed; });
            const unsigned char *bytes = pixels[fileIndex];
            // After a failure the other files are still read (not converted) so that the error
            // returned is the first in file order, whichever thread met it first.
            failed = failed || state[fileIndex] == Pixels::Failed;
            lock.unlock();
            if (!failed) {
                // Within the reserved capacity: no reallocation, and the zeros are still in the cache.
                voxels.resize(voxels.size() + sliceVoxels);
                convertFrame(files[fileIndex], files[fileIndex].slices[p.sliceIndex], bytes,
                    voxels.data() + voxels.size() - sliceVoxels, sliceVoxels);
            }
            if (--slicesLeft[fileIndex] == 0) {
                // The file's pixel data is in the volume now; free DCMTK's copy (or the buffer) early.
                files[fileIndex].loaded.format.reset();
                if (slotOf[fileIndex] != kNoSlot) {
                    {
                        const std::scoped_lock release(mutex);
                        freeSlots.push_back(slotOf[fileIndex]);
                    }
                    changed.notify_all();
                }
            }
        }
    }
    for (auto &error : errors)
        if (error)
            return std::unexpected(*error);
    series.warnings = std::move(warnings);
    return series;
}

} // namespace

bool hasDicomPrefix(const std::filesystem::path &file)
{
    std::ifstream in(file, std::ios::binary);
    char bytes[132] = {};
    if (!in.read(bytes, sizeof bytes))
        return false;
    return std::memcmp(bytes + 128, "DICM", 4) == 0;
}

Result<DicomFileSummary> readDicomFileSummary(const std::filesystem::path &file, const ImageLimits &limits)
{
    auto loaded = loadDicomFile(file, limits);
    if (!loaded)
        return std::unexpected(loaded.error());
    DcmDataset &data = *loaded->dataset;
    DcmMetaInfo *meta = loaded->format->getMetaInfo();
    DicomFileSummary summary;
    summary.sopClassUid = getString(data, DCM_SOPClassUID);
    if (summary.sopClassUid.empty() && meta)
        summary.sopClassUid = getString(*meta, DCM_MediaStorageSOPClassUID);
    summary.sopClassName = dcmFindNameOfUID(summary.sopClassUid.c_str(), "unknown SOP class");
    summary.transferSyntaxUid = transferSyntaxUidOf(data);
    summary.transferSyntaxName = transferSyntaxNameOf(data);
    summary.modality = getString(data, DCM_Modality);
    summary.seriesInstanceUid = getString(data, DCM_SeriesInstanceUID);
    summary.isDicomdir = summary.sopClassUid == UID_MediaStorageDirectoryStorage;
    summary.hasPixelData = data.tagExists(DCM_PixelData);
    summary.rows = static_cast<std::size_t>(std::max(0L, getInteger(data, DCM_Rows).value_or(0)));
    summary.columns = static_cast<std::size_t>(std::max(0L, getInteger(data, DCM_Columns).value_or(0)));
    summary.samplesPerPixel
        = static_cast<std::size_t>(std::max(0L, getInteger(data, DCM_SamplesPerPixel).value_or(0)));
    summary.bitsAllocated
        = static_cast<std::size_t>(std::max(0L, getInteger(data, DCM_BitsAllocated).value_or(0)));
    summary.frames = summary.hasPixelData
        ? static_cast<std::size_t>(std::max(1L, getInteger(data, DCM_NumberOfFrames).value_or(1)))
        : 0;
    return summary;
}

Result<std::vector<std::filesystem::path>> dicomdirReferencedFiles(
    const std::filesystem::path &dicomdir, const ImageLimits &limits)
{
    auto loaded = loadDicomFile(dicomdir, limits);
    if (!loaded)
        return std::unexpected(loaded.error());
    DcmSequenceOfItems *records = nullptr;
    if (loaded->dataset->findAndGetSequence(DCM_DirectoryRecordSequence, records).bad() || !records)
        return fail(ErrorCode::Malformed, "DICOMDIR without a Directory Record Sequence",
            at(dicomdir, "(0004,1220)"));
    std::error_code ec;
    const std::filesystem::path root
        = std::filesystem::weakly_canonical(std::filesystem::absolute(dicomdir).parent_path(), ec);
    std::vector<std::filesystem::path> files;
    for (unsigned long index = 0; index < records->card(); ++index) {
        DcmItem *record = records->getItem(index);
        DcmElement *reference = nullptr;
        if (!record || record->findAndGetElement(DCM_ReferencedFileID, reference).bad() || !reference)
            continue;
        const std::string where
            = at(dicomdir, "directory record " + std::to_string(index + 1) + ", (0004,1500)");
        // PS3.10 8.2: a File ID is up to 8 components of up to 8 characters from A-Z, 0-9 and _. Lower
        // case is tolerated (many writers use it); anything that could leave the folder is refused.
        std::filesystem::path relative;
        const unsigned long components = reference->getVM();
        if (components == 0 || components > 8)
            return fail(ErrorCode::Malformed,
                "Referenced File ID with " + std::to_string(components) + " components", where);
        for (unsigned long c = 0; c < components; ++c) {
            OFString component;
            reference->getOFString(component, c);
            const std::string text(component.c_str());
            if (text.empty() || text == "." || text == ".."
                || !std::ranges::all_of(text,
                    [](unsigned char ch) { return std::isalnum(ch) || ch == '_' || ch == '.' || ch == '-'; }))
                return fail(ErrorCode::Malformed,
                    "Referenced File ID component '" + text + "' is not a plain file name", where);
            relative /= text;
        }
        std::filesystem::path resolved = root / relative;
        if (!std::filesystem::exists(resolved, ec)) {
            std::filesystem::path lowered = root;
            for (const auto &part : relative)
                lowered /= lowerCase(part.string());
            if (std::filesystem::exists(lowered, ec))
                resolved = lowered;
            else
                return fail(ErrorCode::NotFound,
                    "referenced file " + relative.generic_string() + " does not exist", where);
        }
        // Symbolic links could still lead out of the folder: compare canonical paths.
        const std::filesystem::path canonical = std::filesystem::weakly_canonical(resolved, ec);
        const auto [rootEnd, unused]
            = std::mismatch(root.begin(), root.end(), canonical.begin(), canonical.end());
        (void)unused;
        if (ec || rootEnd != root.end())
            return fail(ErrorCode::Malformed,
                "referenced file " + relative.generic_string() + " lies outside the DICOMDIR's folder",
                where);
        files.push_back(canonical);
        if (files.size() > limits.maxFiles)
            return fail(ErrorCode::LimitExceeded,
                "more than " + std::to_string(limits.maxFiles) + " referenced files", fileLabel(dicomdir));
    }
    if (files.empty())
        return fail(ErrorCode::NotFound, "DICOMDIR references no files", fileLabel(dicomdir));
    return files;
}

namespace {

// DCMTK and the standard library may throw (bad_alloc, out_of_range); the public functions return
// that as an Error rather than let it cross into callers that expect values.
template <typename Function> auto guarded(const std::string &label, Function function) -> decltype(function())
{
    try {
        return function();
    } catch (const std::exception &exception) {
        return fail(ErrorCode::Malformed, std::string("could not be read: ") + exception.what(), label);
    }
}

Result<DicomSeries> readSeriesAt(const std::filesystem::path &path, const DicomSeriesOptions &options);

// Calls work(0), ..., work(count - 1) on up to hardware_concurrency() threads (at most 8, this one
// included; one for fewer than 8 items). `work` must not throw.
template <typename Work> void forEachIndexInParallel(std::size_t count, const Work &work)
{
    const std::size_t threads
        = count >= 8 ? std::clamp<std::size_t>(std::thread::hardware_concurrency(), 1, 8) : 1;
    std::atomic<std::size_t> next { 0 };
    const auto run = [&] {
        for (std::size_t index = next++; index < count; index = next++)
            work(index);
    };
    std::vector<std::jthread> helpers;
    for (std::size_t helper = 1; helper < threads; ++helper)
        helpers.emplace_back(run);
    run();
}

// `inputLabel` names the folder, DICOMDIR or file the caller gave, for errors about the whole input.
Result<DicomSeries> readFiles(const std::vector<std::filesystem::path> &paths,
    const DicomSeriesOptions &options, bool skipNonImages, const std::string &inputLabel)
{
    if (paths.empty())
        return fail(ErrorCode::NotFound, "no files to read", inputLabel);
    if (paths.size() > options.limits.maxFiles)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(paths.size()) + " files exceed the limit of "
                + std::to_string(options.limits.maxFiles) + " per series",
            inputLabel);
    std::vector<std::string> warnings;
    std::size_t skippedNotDicom = 0;
    std::size_t skippedNonImage = 0;
    std::map<std::string, std::vector<ImageFile>> bySeries;
    std::map<std::string, std::string> modalityOfSeries;
    // The files are parsed (pixel data stays on disk) and described on several threads; the outcomes
    // are then taken in the order of `paths`, so the files skipped, the series found and the error
    // reported are those of reading the files one by one.
    struct Parsed
    {
        std::optional<Error> loadError;
        bool hasPixelData = false;
        std::string series;
        std::string modality; // of a file of another series than the one asked for
        std::optional<Result<ImageFile>> image; // an image of the series asked for (or of any)
        std::exception_ptr thrown;
    };
    std::vector<Parsed> parsed(paths.size());
    forEachIndexInParallel(paths.size(), [&](std::size_t index) {
        Parsed &out = parsed[index];
        try {
            auto loaded = loadDicomFile(paths[index], options.limits);
            if (!loaded) {
                out.loadError = loaded.error();
                return;
            }
            out.hasPixelData = loaded->dataset->tagExists(DCM_PixelData);
            if (skipNonImages && !out.hasPixelData)
                return;
            out.series = getString(*loaded->dataset, DCM_SeriesInstanceUID);
            if (!options.seriesInstanceUid.empty() && out.series != options.seriesInstanceUid) {
                out.modality = getString(*loaded->dataset, DCM_Modality);
                return;
            }
            out.image = describeImageFile(std::move(*loaded), options.limits);
        } catch (...) {
            out.thrown = std::current_exception(); // rethrown below, in file order
        }
    });
    for (std::size_t index = 0; index < paths.size(); ++index) {
        Parsed &file = parsed[index];
        if (file.thrown)
            std::rethrow_exception(file.thrown);
        if (file.loadError) {
            if (skipNonImages && !hasDicomPrefix(paths[index])
                && file.loadError->code == ErrorCode::Malformed) {
                ++skippedNotDicom;
                continue;
            }
            return std::unexpected(*file.loadError);
        }
        if (skipNonImages && !file.hasPixelData) {
            ++skippedNonImage; // RTSTRUCT, SR, presentation states beside the images
            continue;
        }
        if (!file.image) {
            modalityOfSeries[file.series] = file.modality;
            bySeries[file.series]; // remembered for the "not found" message
            continue;
        }
        if (!*file.image)
            return std::unexpected(file.image->error());
        modalityOfSeries[file.series] = (*file.image)->modality;
        bySeries[file.series].push_back(std::move(**file.image));
    }
    parsed.clear();
    if (skippedNotDicom > 0)
        warnings.push_back("skipped " + std::to_string(skippedNotDicom) + " file(s) that are not DICOM");
    if (skippedNonImage > 0)
        warnings.push_back(
            "skipped " + std::to_string(skippedNonImage) + " DICOM file(s) without pixel data");

    const auto listing = [&bySeries, &modalityOfSeries] {
        std::string text;
        for (const auto &[uid, images] : bySeries)
            text += (text.empty() ? "" : "; ") + uid + " (" + modalityOfSeries[uid] + ", "
                + std::to_string(images.size()) + " file(s))";
        return text;
    };
    std::vector<ImageFile> chosen;
    if (!options.seriesInstanceUid.empty()) {
        auto found = bySeries.find(options.seriesInstanceUid);
        if (found == bySeries.end() || found->second.empty())
            return fail(ErrorCode::NotFound,
                "series " + options.seriesInstanceUid + " is not among the input's series: " + listing(),
                inputLabel);
        chosen = std::move(found->second);
    } else {
        if (bySeries.empty())
            return fail(ErrorCode::NotFound, "no DICOM image files found", inputLabel);
        if (bySeries.size() > 1)
            return fail(ErrorCode::InvalidArgument,
                "the input holds " + std::to_string(bySeries.size()) + " series: " + listing()
                    + "; choose one by its Series Instance UID",
                inputLabel);
        chosen = std::move(bySeries.begin()->second);
    }

    const std::size_t sliceVoxels = chosen.front().rows * chosen.front().columns;
    std::size_t sliceCount = 0;
    for (const auto &image : chosen)
        sliceCount += image.slices.size();
    if (sliceCount > options.limits.maxVoxels / sliceVoxels)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(sliceCount) + " slices of " + std::to_string(sliceVoxels)
                + " voxels exceed the limit of " + std::to_string(options.limits.maxVoxels) + " voxels",
            inputLabel);

    const std::string modality = chosen.front().modality;
    std::vector<std::size_t> order(chosen.size());
    std::iota(order.begin(), order.end(), std::size_t { 0 });
    SuvResult suv;
    if (modality == "PT")
        suv = suvFactor(chosen, order);
    auto series = assembleSeries(std::move(chosen), std::move(warnings));
    if (!series)
        return series;
    if (modality == "CT")
        series->volume.unit = "HU";
    else if (modality == "RTDOSE")
        series->volume.unit = "Gy";
    else if (modality == "PT") {
        series->volume.unit = suv.unit;
        series->warnings.insert(series->warnings.end(), suv.warnings.begin(), suv.warnings.end());
        if (suv.factor) {
            const auto factor = static_cast<float>(*suv.factor);
            for (float &value : series->volume.voxels)
                value *= factor;
        }
    }
    return series;
}

} // namespace

Result<DicomSeries> readDicomSeries(
    const std::vector<std::filesystem::path> &files, const DicomSeriesOptions &options)
{
    return guarded(files.size() == 1 ? fileLabel(files.front()) : std::string(), [&] {
        return readFiles(files, options, false, files.size() == 1 ? fileLabel(files.front()) : std::string());
    });
}

namespace {

Result<DicomSeries> readSeriesAt(const std::filesystem::path &path, const DicomSeriesOptions &options)
{
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        std::vector<std::filesystem::path> files;
        for (std::filesystem::directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
            if (!it->is_regular_file(ec) || isDicomdirFile(it->path()))
                continue;
            files.push_back(it->path());
            if (files.size() > options.limits.maxFiles)
                return fail(ErrorCode::LimitExceeded,
                    "folder holds more than " + std::to_string(options.limits.maxFiles) + " files",
                    fileLabel(path));
        }
        if (ec)
            return fail(ErrorCode::NotFound, "cannot list the folder: " + ec.message(), fileLabel(path));
        std::ranges::sort(files);
        if (files.empty())
            return fail(ErrorCode::NotFound, "folder holds no files", fileLabel(path));
        return readFiles(files, options, true, fileLabel(path));
    }
    if (!std::filesystem::exists(path, ec))
        return fail(ErrorCode::NotFound, "no such file or folder", fileLabel(path));
    if (isDicomdirFile(path)) {
        auto files = dicomdirReferencedFiles(path, options.limits);
        if (!files)
            return std::unexpected(files.error());
        return readFiles(*files, options, true, fileLabel(path));
    }
    return readFiles({ path }, options, false, fileLabel(path));
}

} // namespace

Result<DicomSeries> readDicomSeries(const std::filesystem::path &path, const DicomSeriesOptions &options)
{
    return guarded(fileLabel(path), [&] { return readSeriesAt(path, options); });
}

} // namespace mosaic
