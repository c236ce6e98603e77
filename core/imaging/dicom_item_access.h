// SPDX-License-Identifier: Apache-2.0
// Small, checked accessors over DCMTK's dcmdata used by the RTSTRUCT and SEG readers. Internal to
// core/imaging (it includes DCMTK headers); nothing outside this folder may include it.
#pragma once

#include "core/error.h"

#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <filesystem>
#include <memory>
#include <string>

namespace mosaic::dicom_access {

// Loads a whole DICOM file after checking its size, so that a file larger than `maxFileBytes`
// is refused before DCMTK reads any of it. DCMTK itself refuses an element longer than the bytes
// left in the file, so no allocation exceeds the (bounded) file size; in a deflated data set, where
// DCMTK does not, dicom_preflight checks the lengths first. Large values are read lazily
// (DCM_MaxReadLength), from the same file, while the returned object lives.
[[nodiscard]] Result<std::unique_ptr<DcmFileFormat>> loadDicomFile(
    const std::filesystem::path &path, std::size_t maxFileBytes, const std::string &place);

// First value of a string element, trailing padding removed; empty when absent or unreadable.
[[nodiscard]] std::string stringOf(DcmItem &item, const DcmTagKey &tag);
// The sequence `tag` directly inside `item`, or nullptr when absent or not a sequence.
[[nodiscard]] DcmSequenceOfItems *sequenceOf(DcmItem &item, const DcmTagKey &tag);
// Item `index` of `sequence`, or nullptr.
[[nodiscard]] DcmItem *itemAt(DcmSequenceOfItems &sequence, unsigned long index);
// First item of sequence `tag` inside `item`, or nullptr.
[[nodiscard]] DcmItem *firstItemOf(DcmItem &item, const DcmTagKey &tag);

} // namespace mosaic::dicom_access
