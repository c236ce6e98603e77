// SPDX-License-Identifier: Apache-2.0
// Writes the inputs the genomics benchmarks generate as BGZF, so htslib reads them as bgzipped files.
#pragma once

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <zlib.h>

namespace mosaic::benchmarks {

// BGZF (SAM/BAM specification, section 4.1): gzip members of at most 64 KiB, each carrying its own
// compressed size in a "BC" extra field, then an empty end-of-file member. Written with zlib so the
// benchmark needs no htslib header (only core/genomics includes htslib).
class BgzfWriter
{
public:
    explicit BgzfWriter(const std::filesystem::path &path)
        : m_out(path, std::ios::binary | std::ios::trunc)
    { }
    ~BgzfWriter() { close(); }
    BgzfWriter(const BgzfWriter &) = delete;
    BgzfWriter &operator=(const BgzfWriter &) = delete;

    void write(const std::string &text)
    {
        for (std::size_t at = 0; at < text.size();) {
            const std::size_t take = std::min(text.size() - at, kBlockInput - m_buffer.size());
            m_buffer.append(text, at, take);
            at += take;
            if (m_buffer.size() == kBlockInput)
                flush();
        }
    }
    void close()
    {
        if (!m_out.is_open())
            return;
        flush();
        static constexpr std::array<unsigned char, 28> eof { 0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0,
            0x42, 0x43, 2, 0, 0x1b, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
        m_out.write(reinterpret_cast<const char *>(eof.data()), eof.size());
        m_out.close();
    }
    bool good() const { return m_out.good(); }

private:
    static constexpr std::size_t kBlockInput = 0xff00; // bgzip's block size

    void flush()
    {
        if (m_buffer.empty())
            return;
        std::array<unsigned char, 65536> block {};
        z_stream stream {};
        deflateInit2(&stream, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY); // bgzip's default level
        stream.next_in = reinterpret_cast<Bytef *>(m_buffer.data());
        stream.avail_in = static_cast<uInt>(m_buffer.size());
        stream.next_out = block.data() + 18;
        stream.avail_out = static_cast<uInt>(block.size() - 18 - 8);
        const int status = deflate(&stream, Z_FINISH);
        const std::size_t compressed = stream.total_out;
        deflateEnd(&stream);
        if (status != Z_STREAM_END)
            std::abort(); // text compresses; a 64 KiB block of it always fits
        const std::size_t total = 18 + compressed + 8;
        const unsigned char header[18] = { 0x1f, 0x8b, 8, 4, 0, 0, 0, 0, 0, 0xff, 6, 0, 0x42, 0x43, 2, 0,
            static_cast<unsigned char>((total - 1) & 0xff), static_cast<unsigned char>((total - 1) >> 8) };
        std::copy(std::begin(header), std::end(header), block.begin());
        const uLong crc = crc32(crc32(0, nullptr, 0), reinterpret_cast<const Bytef *>(m_buffer.data()),
            static_cast<uInt>(m_buffer.size()));
        const std::size_t size = m_buffer.size();
        unsigned char *trailer = block.data() + 18 + compressed;
        for (int i = 0; i < 4; ++i) {
            trailer[i] = static_cast<unsigned char>((crc >> (8 * i)) & 0xff);
            trailer[4 + i] = static_cast<unsigned char>((size >> (8 * i)) & 0xff);
        }
        m_out.write(reinterpret_cast<const char *>(block.data()), static_cast<std::streamsize>(total));
        m_buffer.clear();
    }

    std::ofstream m_out;
    std::string m_buffer;
};

} // namespace mosaic::benchmarks
