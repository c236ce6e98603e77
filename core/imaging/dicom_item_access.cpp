// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/dicom_item_access.h"

#include "core/imaging/dicom_preflight.h"
#include "core/imaging/message_text.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <system_error>

namespace mosaic::dicom_access {

using mosaic::message_text::textOf;

Result<std::unique_ptr<DcmFileFormat>> loadDicomFile(
    const std::filesystem::path &path, std::size_t maxFileBytes, const std::string &place)
{
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return fail(ErrorCode::NotFound, "the file does not exist or is not a regular file", place);
    const std::uintmax_t bytes = std::filesystem::file_size(path, error);
    if (error)
        return fail(ErrorCode::NotFound, "the file's size cannot be read", place);
    if (bytes > maxFileBytes)
        return fail(ErrorCode::LimitExceeded,
            textOf("the file is ", bytes, " bytes, more than the limit of ", maxFileBytes), place);
    try {
        // DCMTK 3.6.7 leaks on an over-long Directory Record Type and allocates the declared lengths
        // of a deflated data set unchecked; both are refused first (dicom_preflight.h).
        if (auto checked = dicom_preflight::checkBeforeParsing(path, maxFileBytes, place); !checked)
            return std::unexpected(checked.error());
        auto fileFormat = std::make_unique<DcmFileFormat>();
        // ERM_autoDetect accepts files with and without the PS3.10 preamble and meta header, as
        // written by older RT planning systems.
        const OFCondition status = fileFormat->loadFile(
            OFFilename(path.c_str()), EXS_Unknown, EGL_noChange, DCM_MaxReadLength, ERM_autoDetect);
        if (status.bad())
            return fail(
                ErrorCode::Malformed, textOf("not a readable DICOM file (", status.text(), ")"), place);
        if (!fileFormat->getDataset())
            return fail(ErrorCode::Malformed, "the file holds no DICOM data set", place);
        return fileFormat;
    } catch (const std::bad_alloc &) {
        return fail(ErrorCode::LimitExceeded, "not enough memory to read the file", place);
    } catch (const std::exception &exception) {
        // Found by fuzzing (tests/fuzz/regressions): DCMTK throws std::out_of_range from
        // DcmByteString::verify on a crafted directory record. No throw may leave a reader.
        return fail(ErrorCode::Malformed,
            textOf("not a readable DICOM file (DCMTK threw: ", exception.what(), ")"), place);
    }
}

std::string stringOf(DcmItem &item, const DcmTagKey &tag)
{
    OFString value;
    if (item.findAndGetOFString(tag, value).bad())
        return {};
    std::string text(value.c_str(), value.length());
    // UIDs are padded with NUL, other strings with spaces (PS3.5 6.2); DCMTK normally strips both.
    while (!text.empty() && (text.back() == ' ' || text.back() == '\0'))
        text.pop_back();
    return text;
}

DcmSequenceOfItems *sequenceOf(DcmItem &item, const DcmTagKey &tag)
{
    DcmSequenceOfItems *sequence = nullptr;
    if (item.findAndGetSequence(tag, sequence, OFFalse).bad())
        return nullptr;
    return sequence;
}

DcmItem *itemAt(DcmSequenceOfItems &sequence, unsigned long index)
{
    if (index >= sequence.card())
        return nullptr;
    return sequence.getItem(index);
}

DcmItem *firstItemOf(DcmItem &item, const DcmTagKey &tag)
{
    DcmSequenceOfItems *sequence = sequenceOf(item, tag);
    return sequence ? itemAt(*sequence, 0) : nullptr;
}

} // namespace mosaic::dicom_access
