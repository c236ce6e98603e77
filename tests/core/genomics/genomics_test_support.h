// SPDX-License-Identifier: Apache-2.0
// Small helpers the genomics suites share: writing and reading test files, splitting peer-tool output,
// and finding bcftools, the peer most of them compare against.
#pragma once

#include <QStandardPaths>
#include <QString>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mosaic::testing {

inline void writeFile(const std::filesystem::path &path, const std::string &bytes)
{
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

inline std::string readBytes(const std::filesystem::path &path)
{
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

// Every field, empty ones included, except a trailing empty one ("a\tb\t" gives two).
inline std::vector<std::string> split(const std::string &line, char separator)
{
    std::vector<std::string> fields;
    std::string field;
    std::istringstream stream(line);
    while (std::getline(stream, field, separator))
        fields.push_back(field);
    return fields;
}

// Empty when bcftools is not installed: the suites then skip their peer comparisons.
inline QString bcftoolsPath()
{
    return QStandardPaths::findExecutable(QStringLiteral("bcftools"));
}

} // namespace mosaic::testing
