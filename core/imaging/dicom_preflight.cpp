// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/dicom_preflight.h"

#include "core/imaging/message_text.h"

#include <climits>
#include <dcmtk/dcmdata/dcistrmz.h>
#include <dcmtk/dcmdata/dcobject.h>
#include <dcmtk/dcmdata/dctag.h>
#include <dcmtk/dcmdata/dcvr.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <optional>
#include <system_error>
#include <vector>
#include <zlib.h>

namespace mosaic::dicom_preflight {

using message_text::textOf;

namespace {

constexpr std::uint32_t kUndefinedLength = 0xFFFFFFFF;
constexpr std::uint64_t kOpenEnded = std::numeric_limits<std::uint64_t>::max();
constexpr std::size_t kChunkBytes = 64 * 1024;
// PS3.5 6.2: a code string (CS) holds at most 16 characters.
constexpr std::uint32_t kMaxRecordTypeBytes = 16;
// DCMTK parses nested sequences recursively, about 1.4 KB of stack per level: 6,500 levels (a 230 KB
// file) overflowed an 8 MB main-thread stack. Real objects nest a few levels (SR trees some tens).
constexpr std::size_t kMaxNestedSequences = 128;

// Bytes read forwards with skips: a file, or a deflated data set as it inflates.
class Source
{
public:
    virtual ~Source() = default;
    // Exactly `count` bytes, or false (end of the data or a read error).
    virtual bool read(std::uint8_t *out, std::size_t count) = 0;
    virtual bool skip(std::uint64_t count) = 0;
    [[nodiscard]] std::uint64_t position() const { return position_; }
    [[nodiscard]] std::uint64_t remaining() const { return size_ - std::min(position_, size_); }

protected:
    std::uint64_t position_ = 0;
    std::uint64_t size_ = 0;
};

// A file read in chunks; a skip past the chunk seeks, so long values (pixel data) are never read.
class FileSource final : public Source
{
public:
    FileSource(const std::filesystem::path &path, std::uint64_t size)
        : in_(path, std::ios::binary)
    {
        size_ = size;
    }
    [[nodiscard]] bool isOpen() const { return in_.is_open(); }
    void seek(std::uint64_t offset)
    {
        buffer_.clear();
        next_ = 0;
        position_ = std::min(offset, size_);
    }
    bool read(std::uint8_t *out, std::size_t count) override
    {
        while (count > 0) {
            if (next_ == buffer_.size() && !refill())
                return false;
            const std::size_t n = std::min(count, buffer_.size() - next_);
            std::memcpy(out, buffer_.data() + next_, n);
            out += n;
            count -= n;
            next_ += n;
            position_ += n;
        }
        return true;
    }
    bool skip(std::uint64_t count) override
    {
        if (count > remaining())
            return false;
        if (count <= buffer_.size() - next_) {
            next_ += static_cast<std::size_t>(count);
            position_ += count;
        } else {
            seek(position_ + count);
        }
        return true;
    }

private:
    bool refill()
    {
        if (remaining() == 0)
            return false;
        buffer_.resize(static_cast<std::size_t>(std::min<std::uint64_t>(kChunkBytes, remaining())));
        next_ = 0;
        in_.clear();
        in_.seekg(static_cast<std::streamoff>(position_));
        in_.read(reinterpret_cast<char *>(buffer_.data()), static_cast<std::streamsize>(buffer_.size()));
        if (in_.gcount() != static_cast<std::streamsize>(buffer_.size())) {
            buffer_.clear();
            return false;
        }
        return true;
    }

    std::ifstream in_;
    std::vector<std::uint8_t> buffer_;
    std::size_t next_ = 0;
};

// The data set of a deflated file (PS3.5 A.5), inflated as it is read, like DCMTK's zlib filter
// (raw deflate unless DCMTK is told to expect a zlib header). A stream that ends early just ends.
class InflateSource final : public Source
{
public:
    InflateSource(const std::filesystem::path &path, std::uint64_t offset, std::uint64_t size)
        : in_(path, std::ios::binary)
        , input_(kChunkBytes)
    {
        size_ = size;
        in_.seekg(static_cast<std::streamoff>(offset));
        const int windowBits = dcmZlibExpectRFC1950Encoding.get() ? MAX_WBITS : -MAX_WBITS;
        ready_ = in_.good() && inflateInit2(&stream_, windowBits) == Z_OK;
        if (!ready_)
            error_ = "cannot start inflating";
    }
    ~InflateSource() override
    {
        if (ready_)
            inflateEnd(&stream_);
    }
    InflateSource(const InflateSource &) = delete;
    InflateSource &operator=(const InflateSource &) = delete;
    [[nodiscard]] const std::string &error() const { return error_; }

    // Up to `count` bytes; 0 at the end of the stream or on an error (then error() says which).
    std::size_t readSome(std::uint8_t *out, std::size_t count)
    {
        if (!ready_ || ended_ || !error_.empty() || count == 0)
            return 0;
        const auto wanted = static_cast<uInt>(std::min<std::size_t>(count, UINT_MAX / 2));
        stream_.next_out = out;
        stream_.avail_out = wanted;
        while (stream_.avail_out > 0) {
            if (stream_.avail_in == 0) {
                in_.read(input_.data(), static_cast<std::streamsize>(input_.size()));
                const std::streamsize got = in_.gcount();
                if (got <= 0)
                    break; // the file ends before the deflate stream does
                stream_.next_in = reinterpret_cast<Bytef *>(input_.data());
                stream_.avail_in = static_cast<uInt>(got);
            }
            const int status = inflate(&stream_, Z_NO_FLUSH);
            if (status == Z_STREAM_END) {
                ended_ = true;
                break;
            }
            if (status != Z_OK) {
                error_ = stream_.msg ? stream_.msg : textOf("zlib status ", status);
                break;
            }
        }
        const std::size_t produced = wanted - stream_.avail_out;
        position_ += produced;
        return produced;
    }
    bool read(std::uint8_t *out, std::size_t count) override
    {
        while (count > 0) {
            const std::size_t n = readSome(out, count);
            if (n == 0)
                return false;
            out += n;
            count -= n;
        }
        return true;
    }
    bool skip(std::uint64_t count) override
    {
        std::vector<std::uint8_t> discard(
            static_cast<std::size_t>(std::min<std::uint64_t>(count, kChunkBytes)));
        while (count > 0) {
            const std::size_t n = readSome(
                discard.data(), static_cast<std::size_t>(std::min<std::uint64_t>(count, kChunkBytes)));
            if (n == 0)
                return false;
            count -= n;
        }
        return true;
    }

private:
    std::ifstream in_;
    std::vector<char> input_;
    z_stream stream_ {};
    bool ready_ = false;
    bool ended_ = false;
    std::string error_;
};

std::uint16_t read16(const std::uint8_t *bytes, bool bigEndian)
{
    return bigEndian ? static_cast<std::uint16_t>(bytes[0] << 8 | bytes[1])
                     : static_cast<std::uint16_t>(bytes[1] << 8 | bytes[0]);
}

std::uint32_t read32(const std::uint8_t *bytes, bool bigEndian)
{
    const std::uint32_t high = read16(bigEndian ? bytes : bytes + 2, bigEndian);
    const std::uint32_t low = read16(bigEndian ? bytes + 2 : bytes, bigEndian);
    return high << 16 | low;
}

std::string tagText(std::uint16_t group, std::uint16_t element)
{
    char text[16];
    std::snprintf(text, sizeof text, "(%04X,%04X)", group, element);
    return text;
}

struct Encoding
{
    bool explicitVr = true;
    bool bigEndian = false;
};

// DcmMetaInfo::nextTagIsMeta: the next tag is in group 0002, in either byte order. The file is left
// where it was.
bool nextTagIsMeta(FileSource &file)
{
    const std::uint64_t at = file.position();
    std::array<std::uint8_t, 2> bytes {};
    const bool read = file.read(bytes.data(), bytes.size());
    file.seek(at);
    return read && ((bytes[0] == 0x02 && bytes[1] == 0x00) || (bytes[0] == 0x00 && bytes[1] == 0x02));
}

// DCMTK's guess of an encoding from the first tag (DcmItem::checkTransferSyntax, 3.6.7): explicit
// when bytes 4-5 name a standard VR; big endian when only the swapped tag is in the dictionary, or
// both are and only the little-endian group is above 0x00FF. The file is left where it was.
Encoding detectEncoding(FileSource &file)
{
    const std::uint64_t at = file.position();
    std::array<std::uint8_t, 6> bytes {};
    const bool read = file.read(bytes.data(), bytes.size());
    file.seek(at);
    if (!read)
        return {};
    const char vrName[3] = { static_cast<char>(bytes[4]), static_cast<char>(bytes[5]), '\0' };
    const bool explicitVr = std::isalpha(bytes[4]) && std::isalpha(bytes[5]) && DcmVR(vrName).isStandard();
    const DcmTag little(read16(bytes.data(), false), read16(bytes.data() + 2, false));
    const DcmTag big(read16(bytes.data(), true), read16(bytes.data() + 2, true));
    bool bigEndian = false;
    if (little.error().bad() && big.error().good())
        bigEndian = true;
    else if (little.error().good() && big.error().good())
        bigEndian = little.getGTag() > 0xff && big.getGTag() <= 0xff;
    return { explicitVr, bigEndian };
}

// Walks element headers as DCMTK reads them (DcmItem::readTagAndLength and newDicomElement, 3.6.7),
// into sequences and items, skipping values. In a deflated data set a declared length that does not
// fit in what remains is an error (DCMTK would allocate it). In a file DCMTK checks the lengths of
// values itself, so the walk stops at one that does not fit; it goes on into a sequence or an item
// that claims too much, as DCMTK does.
class Walker
{
public:
    Walker(Source &source, Encoding encoding, bool deflated, const std::string &place)
        : source_(source)
        , encoding_(encoding)
        , deflated_(deflated)
        , place_(place)
    { }

    // One element at the top level with everything nested in it; false when the data ends first
    // or the walk cannot go on.
    Result<bool> topLevelElement()
    {
        do {
            const auto went = header();
            if (!went || !*went)
                return went;
        } while (!open_.empty());
        return true;
    }
    Result<void> toEnd()
    {
        for (;;) {
            const auto went = topLevelElement();
            if (!went)
                return std::unexpected(went.error());
            if (!*went)
                return {};
        }
    }
    // Values met at the top level: Transfer Syntax UID (0002,0010), File Meta Information Group
    // Length (0002,0000).
    std::string transferSyntaxUid;
    std::optional<std::uint32_t> groupLength;

private:
    struct Open
    {
        std::uint64_t end; // kOpenEnded: undefined length, closed by a sequence delimitation item
        Encoding outer;
        bool outerPixelItems;
    };

    std::string where(std::uint16_t group, std::uint16_t element, std::uint64_t at) const
    {
        return textOf(place_, ", ", tagText(group, element), " at byte ", at,
            deflated_ ? " of the inflated data set" : "");
    }
    Result<bool> wontFit(std::uint16_t group, std::uint16_t element, std::uint64_t length, std::uint64_t at)
    {
        if (!deflated_)
            return false;
        return fail(ErrorCode::Malformed,
            textOf("declares ", length, " bytes where ", source_.remaining(),
                " remain; DCMTK would allocate them before reading"),
            where(group, element, at));
    }
    void close()
    {
        encoding_ = open_.back().outer;
        pixelItems_ = open_.back().outerPixelItems;
        open_.pop_back();
    }
    void closeEnded()
    {
        while (!open_.empty() && open_.back().end != kOpenEnded && source_.position() >= open_.back().end)
            close();
    }
    // Reads a short value met at the top level instead of skipping it.
    bool keep(std::uint16_t group, std::uint16_t element, DcmEVR vr, std::uint32_t length)
    {
        if (!open_.empty() || group != 0x0002)
            return false;
        if (element == 0x0010 && length <= 64) {
            std::string uid(length, '\0');
            if (!source_.read(reinterpret_cast<std::uint8_t *>(uid.data()), length))
                return false;
            while (!uid.empty() && (uid.back() == '\0' || uid.back() == ' '))
                uid.pop_back();
            transferSyntaxUid = uid;
            return true;
        }
        if (element == 0x0000 && length >= 4 && vr == EVR_UL) {
            std::array<std::uint8_t, 4> value {};
            if (!source_.read(value.data(), value.size()) || !source_.skip(length - value.size()))
                return false;
            groupLength = read32(value.data(), encoding_.bigEndian);
            return true;
        }
        return false;
    }

    // One element or item header; false when the data ends or the walk cannot go on.
    Result<bool> header()
    {
        closeEnded();
        const std::uint64_t at = source_.position();
        std::array<std::uint8_t, 12> bytes {};
        // Fewer than 8 bytes cannot declare a length: DCMTK reports them, if anything.
        if (source_.remaining() < 8 || !source_.read(bytes.data(), 8))
            return false;
        const bool big = encoding_.bigEndian;
        const std::uint16_t group = read16(bytes.data(), big);
        const std::uint16_t element = read16(bytes.data() + 2, big);
        if (group == 0xFFFE && (element == 0xE000 || element == 0xE00D || element == 0xE0DD)) {
            const std::uint32_t length = read32(bytes.data() + 4, big);
            if (element == 0xE0DD) {
                if (!open_.empty() && open_.back().end == kOpenEnded)
                    close();
            } else if (element == 0xE000) {
                const bool fits = length == kUndefinedLength || length <= source_.remaining();
                if (!fits && (deflated_ || pixelItems_))
                    return wontFit(group, element, length, at);
                // A fragment of encapsulated pixel data is skipped; an item's elements follow.
                if (pixelItems_ && (length == kUndefinedLength || !source_.skip(length)))
                    return false;
            }
            closeEnded();
            return true;
        }

        DcmEVR vr = EVR_UNKNOWN;
        std::uint32_t length = 0;
        if (encoding_.explicitVr) {
            const char vrName[3] = { static_cast<char>(bytes[4]), static_cast<char>(bytes[5]), '\0' };
            const DcmVR fileVr(vrName);
            vr = fileVr.getEVR();
            if (fileVr.usesExtendedLengthEncoding()) {
                if (!source_.read(bytes.data() + 8, 4))
                    return false;
                length = read32(bytes.data() + 8, big);
            } else {
                length = read16(bytes.data() + 6, big);
            }
        } else {
            length = read32(bytes.data() + 4, big);
            vr = DcmTag(group, element).getEVR();
        }
        if (group == 0x0004 && element == 0x1430 && length != kUndefinedLength
            && length > kMaxRecordTypeBytes)
            return fail(ErrorCode::Malformed,
                textOf("Directory Record Type is ", length, " bytes long; a code string holds at most ",
                    kMaxRecordTypeBytes, " characters (DCMTK 3.6.7 cannot read a longer one safely)"),
                where(group, element, at));
        // An explicit UN of a known tag is read with the dictionary's VR, in implicit VR (PS3.5 6.2.2).
        bool asUnknown = false;
        if (encoding_.explicitVr && vr == EVR_UN && length != kUndefinedLength
            && dcmEnableUnknownVRConversion.get()) {
            const DcmEVR known = DcmTag(group, element).getEVR();
            if (known != EVR_UNKNOWN) {
                vr = known;
                asUnknown = true;
            }
        }
        const bool nests = length == kUndefinedLength || vr == EVR_SQ;
        if (nests && open_.size() >= kMaxNestedSequences)
            return fail(ErrorCode::Malformed,
                textOf("sequences are nested more than ", kMaxNestedSequences,
                    " deep; DCMTK reads them recursively and would run out of stack"),
                where(group, element, at));
        if (length == kUndefinedLength) {
            open_.push_back({ kOpenEnded, encoding_, pixelItems_ });
            const bool isPixelData = group == 0x7FE0 && element == 0x0010;
            pixelItems_ = isPixelData && (vr == EVR_OB || vr == EVR_OW || vr == EVR_ox);
            // An undefined-length UN (or unknown VR) holds a sequence in implicit VR (CP-246).
            const bool unknownVr = vr == EVR_UN || vr == EVR_UNKNOWN || vr == EVR_UNKNOWN2B;
            if (unknownVr && dcmEnableCP246Support.get())
                encoding_ = { false, false };
            return true;
        }
        if (length > source_.remaining() && (deflated_ || vr != EVR_SQ))
            return wontFit(group, element, length, at);
        if (vr == EVR_SQ) {
            open_.push_back({ source_.position() + std::min<std::uint64_t>(length, source_.remaining()),
                encoding_, pixelItems_ });
            pixelItems_ = false;
            if (asUnknown)
                encoding_ = { false, false };
            closeEnded(); // an empty sequence ends here
            return true;
        }
        if (!keep(group, element, vr, length) && !source_.skip(length))
            return false;
        closeEnded();
        return true;
    }

    Source &source_;
    Encoding encoding_;
    bool deflated_;
    const std::string &place_;
    std::vector<Open> open_;
    bool pixelItems_ = false; // inside encapsulated Pixel Data: items hold fragments, not elements
};

// Where the data set starts and the transfer syntax the File Meta Information names, as DCMTK 3.6.7
// reads them (DcmMetaInfo::read): after a 128-byte preamble and "DICM" if there is one, when the
// first tag is in group 0002; in the encoding that tag suggests; as far as the group length
// (0002,0000) says when it comes first (whatever the groups of the elements), else while the tags
// are in group 0002. Meta elements are walked like any other (they may nest sequences).
struct DataSetStart
{
    std::uint64_t offset = 0;
    std::string transferSyntaxUid;
};

Result<DataSetStart> readMetaInformation(FileSource &file, const std::string &place)
{
    DataSetStart start;
    std::array<std::uint8_t, 132> preamble {};
    const bool hasPreamble
        = file.read(preamble.data(), preamble.size()) && std::memcmp(preamble.data() + 128, "DICM", 4) == 0;
    start.offset = hasPreamble ? preamble.size() : 0;
    file.seek(start.offset);
    if (!nextTagIsMeta(file))
        return start; // no meta information: the data set starts here
    const Encoding encoding = detectEncoding(file);
    Walker walker(file, encoding, false, place);
    auto went = walker.topLevelElement();
    std::optional<std::uint64_t> end;
    if (went && *went && walker.groupLength)
        end = file.position() + *walker.groupLength;
    while (went && *went) {
        if (end ? file.position() >= *end : !nextTagIsMeta(file))
            break;
        went = walker.topLevelElement();
    }
    if (!went)
        return std::unexpected(went.error());
    start.offset = file.position();
    start.transferSyntaxUid = walker.transferSyntaxUid;
    return start;
}

} // namespace

Result<void> checkBeforeParsing(
    const std::filesystem::path &path, std::uint64_t maxInflatedBytes, const std::string &place)
{
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error)
        return {}; // the caller's loader reports it
    FileSource file(path, size);
    if (!file.isOpen())
        return {};
    const auto start = readMetaInformation(file, place);
    if (!start)
        return std::unexpected(start.error());
    file.seek(start->offset);
    E_TransferSyntax xfer = EXS_Unknown;
    if (!start->transferSyntaxUid.empty())
        xfer = DcmXfer(start->transferSyntaxUid.c_str()).getXfer();
    if (xfer == EXS_Unknown) // DCMTK guesses the data set's encoding as it does the meta group's
        return Walker(file, detectEncoding(file), false, place).toEnd();
    const DcmXfer syntax(xfer);
    const Encoding encoding { syntax.isExplicitVR() == OFTrue, syntax.getByteOrder() == EBO_BigEndian };
    if (syntax.getStreamCompression() == ESC_none)
        return Walker(file, encoding, false, place).toEnd();
    if (syntax.getStreamCompression() != ESC_zlib)
        return {}; // DCMTK refuses it

    // Deflated: inflate once to learn the size (within the limit), then walk the headers.
    std::uint64_t inflatedBytes = 0;
    {
        InflateSource counter(path, start->offset, kOpenEnded);
        std::vector<std::uint8_t> scratch(kChunkBytes);
        while (const std::size_t n = counter.readSome(scratch.data(), scratch.size())) {
            inflatedBytes += n;
            if (inflatedBytes > maxInflatedBytes)
                return fail(ErrorCode::LimitExceeded,
                    textOf("the deflated data set inflates to more than the limit of ", maxInflatedBytes,
                        " bytes"),
                    textOf(place, ", byte ", start->offset));
        }
        if (!counter.error().empty())
            return fail(ErrorCode::Malformed,
                textOf("the deflated data set cannot be inflated (zlib: ", counter.error(), ")"),
                textOf(place, ", byte ", start->offset));
    }
    InflateSource inflated(path, start->offset, inflatedBytes);
    return Walker(inflated, encoding, true, place).toEnd();
}

} // namespace mosaic::dicom_preflight
