// SPDX-License-Identifier: Apache-2.0
// Builds DICOM Part 10 bytes (explicit VR little endian) inside a test, so that a malformed case
// reads as what it is (as DCMTK's own dcmdata/tests/tparser.cc does) and no opaque binary is
// vendored. Lengths are explicit everywhere; values are padded to even length as PS3.5 7.1 says.
#pragma once

#include <QByteArray>
#include <QList>

#include <cstdint>

namespace mosaic::test {

inline void appendLittleEndian16(QByteArray &out, std::uint16_t value)
{
    out.append(static_cast<char>(value & 0xff));
    out.append(static_cast<char>(value >> 8));
}

inline void appendLittleEndian32(QByteArray &out, std::uint32_t value)
{
    for (int shift = 0; shift < 32; shift += 8)
        out.append(static_cast<char>((value >> shift) & 0xff));
}

// One data element. VRs with a 4-byte length (PS3.5 7.1.2) get the long header.
inline QByteArray dicomElement(std::uint16_t group, std::uint16_t element, const char *vr, QByteArray value)
{
    const QByteArray representation(vr, 2);
    if (value.size() % 2 != 0)
        value.append(representation == "UI" || representation == "OB" ? '\0' : ' ');
    QByteArray out;
    appendLittleEndian16(out, group);
    appendLittleEndian16(out, element);
    out.append(representation);
    if (representation == "OB" || representation == "OW" || representation == "SQ" || representation == "UN"
        || representation == "UT") {
        appendLittleEndian16(out, 0);
        appendLittleEndian32(out, static_cast<std::uint32_t>(value.size()));
    } else {
        appendLittleEndian16(out, static_cast<std::uint16_t>(value.size()));
    }
    return out + value;
}

inline QByteArray dicomItem(const QByteArray &content)
{
    QByteArray out;
    appendLittleEndian16(out, 0xfffe);
    appendLittleEndian16(out, 0xe000);
    appendLittleEndian32(out, static_cast<std::uint32_t>(content.size()));
    return out + content;
}

inline QByteArray dicomSequence(
    std::uint16_t group, std::uint16_t element, const QList<QByteArray> &itemContents)
{
    QByteArray items;
    for (const QByteArray &content : itemContents)
        items += dicomItem(content);
    return dicomElement(group, element, "SQ", items);
}

// Preamble, "DICM" and a File Meta Information group (PS3.10 7.1) in front of `dataset`.
inline QByteArray dicomFile(const QByteArray &dataset, const QByteArray &sopClassUid,
    const QByteArray &sopInstanceUid = "1.2.826.0.1.3680043.10.1.1")
{
    QByteArray meta;
    meta += dicomElement(0x0002, 0x0001, "OB", QByteArray("\0\1", 2));
    meta += dicomElement(0x0002, 0x0002, "UI", sopClassUid);
    meta += dicomElement(0x0002, 0x0003, "UI", sopInstanceUid);
    meta += dicomElement(0x0002, 0x0010, "UI", "1.2.840.10008.1.2.1");
    QByteArray groupLength;
    appendLittleEndian32(groupLength, static_cast<std::uint32_t>(meta.size()));
    return QByteArray(128, '\0') + "DICM" + dicomElement(0x0002, 0x0000, "UL", groupLength) + meta + dataset;
}

} // namespace mosaic::test
