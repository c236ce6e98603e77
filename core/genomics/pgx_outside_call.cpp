// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/pgx_outside_call.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <locale>
#include <regex>
#include <set>
#include <sstream>
#include <system_error>

namespace mosaic {

namespace {

constexpr std::size_t kMaxLineBytes = 4096;

std::vector<std::string> splitOn(const std::string &text, char separator)
{
    std::vector<std::string> parts;
    std::size_t start = 0;
    for (;;) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos)
            return parts;
        start = end + 1;
    }
}

std::string trimmed(const std::string &text)
{
    const auto first = text.find_first_not_of(" \r");
    if (first == std::string::npos)
        return {};
    const auto last = text.find_last_not_of(" \r");
    return text.substr(first, last - first + 1);
}

bool isPrintable(const std::string &text)
{
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// A star-allele name, alone or as copies ("*2x2", "*1xN") or a tandem ("*36+*10"): '*', digits, at
// most a few letters or ".digits" (suballeles), nothing else.
bool isStarAlleleName(const std::string &name)
{
    static const std::regex pattern(
        R"(\*[0-9]{1,4}[A-Z]{0,2}(\.[0-9]{1,3})?(x([0-9]{1,2}|N))?(\+\*[0-9]{1,4}[A-Z]{0,2}(\.[0-9]{1,3})?(x([0-9]{1,2}|N))?)*)");
    return name.size() <= 64 && std::regex_match(name, pattern);
}

// A name the definition or the phenotype table knows, or a copy-number ("*1x2", "*2xN") or tandem
// ("*36+*10") arrangement of such names.
bool isKnownAllele(
    const std::string &name, const PgxGeneDefinition &definition, const PgxPhenotypeTable *table)
{
    const auto known = [&](const std::string &single) {
        if (definition.namedAllele(single))
            return true;
        if (table
            && (table->alleleFunction.contains(single)
                || std::any_of(table->diplotypes.begin(), table->diplotypes.end(),
                    [&](const PgxDiplotypePhenotype &row) {
                        return row.allele1 == single || row.allele2 == single;
                    })))
            return true;
        return false;
    };
    if (known(name))
        return true;
    const std::vector<std::string> tandem = splitOn(name, '+');
    if (tandem.size() > 1)
        return std::all_of(tandem.begin(), tandem.end(),
            [&](const std::string &part) { return isKnownAllele(part, definition, table); });
    const std::size_t copies = name.rfind('x');
    if (copies != std::string::npos && copies > 0 && copies + 1 < name.size()) {
        const std::string count = name.substr(copies + 1);
        const bool countOk
            = count == "N" || (count.size() <= 2 && std::all_of(count.begin(), count.end(), [](char c) {
                  return c >= '0' && c <= '9';
              }) && std::stoi(count) >= 2);
        return countOk && known(name.substr(0, copies));
    }
    return false;
}

} // namespace

Result<std::vector<PgxOutsideCall>> readPgxOutsideCalls(
    const std::filesystem::path &path, const PgxDefinitionSet &definitions, const PgxLimits &limits)
{
    const std::string name = path.filename().string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return fail(ErrorCode::NotFound, "not a readable file", name);
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error || size > limits.maxFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "the file is larger than " + std::to_string(limits.maxFileBytes) + " bytes", name);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::NotFound, "cannot open the file", name);

    std::vector<PgxOutsideCall> calls;
    std::set<std::string> genes;
    std::string line;
    std::size_t lineNumber = 0;
    while (std::getline(in, line)) {
        ++lineNumber;
        const std::string where = name + ", line " + std::to_string(lineNumber);
        if (lineNumber > limits.maxOutsideCallLines)
            return fail(ErrorCode::LimitExceeded,
                "more than " + std::to_string(limits.maxOutsideCallLines) + " lines", name);
        if (line.size() > kMaxLineBytes)
            return fail(ErrorCode::LimitExceeded,
                "the line is longer than " + std::to_string(kMaxLineBytes) + " bytes", where);
        if (lineNumber == 1 && line.starts_with("\xEF\xBB\xBF"))
            line.erase(0, 3);
        if (!line.empty() && line.back() == '\r')
            line.pop_back();
        if (trimmed(line).empty() || line.front() == '#')
            continue;
        std::vector<std::string> columns = splitOn(line, '\t');
        if (columns.size() > 4)
            return fail(ErrorCode::Malformed,
                std::to_string(columns.size())
                    + " tab-separated columns; the format has gene, diplotype, phenotype and "
                      "activity score",
                where);
        for (std::string &column : columns) {
            column = trimmed(column);
            if (!isPrintable(column))
                return fail(
                    ErrorCode::Malformed, "a column holds characters that are not printable text", where);
        }
        columns.resize(4);
        PgxOutsideCall call;
        call.line = lineNumber;
        call.gene = columns[0];
        if (call.gene.empty())
            return fail(ErrorCode::Malformed, "no gene in the first column", where);
        const PgxGeneDefinition *definition = definitions.gene(call.gene);
        if (!definition)
            return fail(ErrorCode::NotFound,
                "gene '" + call.gene.substr(0, limits.maxNameLength) + "' has no allele definition", where);
        if (!genes.insert(call.gene).second)
            return fail(ErrorCode::Malformed, "gene " + call.gene + " is called a second time", where);
        const PgxPhenotypeTable *table = definitions.phenotypeTable(call.gene);

        if (!columns[1].empty()) {
            std::vector<std::string> alleles = splitOn(columns[1], '/');
            if (alleles.size() > 2)
                return fail(
                    ErrorCode::Malformed, "diplotype '" + columns[1] + "' has more than two alleles", where);
            for (std::string &allele : alleles) {
                allele = trimmed(allele);
                if (allele.starts_with(call.gene) && allele.size() > call.gene.size())
                    allele.erase(0, call.gene.size()); // "CYP2D6*4" -> "*4"
                if (allele.empty())
                    return fail(
                        ErrorCode::Malformed, "diplotype '" + columns[1] + "' has an empty allele", where);
                if (isKnownAllele(allele, *definition, table))
                    continue;
                // Structural alleles (CYP2D6's deletion *5, hybrids such as *13 or *68) are not in the
                // SNV definitions; the caller that found them is trusted with them only when it also
                // gives the phenotype, which then stands alone: no table row is ever looked up for a
                // name Mosaic does not know, and a typo cannot turn into a phenotype.
                const bool callerGivesPhenotype = !columns[2].empty() || !columns[3].empty();
                if (!callerGivesPhenotype || !isStarAlleleName(allele))
                    return fail(ErrorCode::NotFound,
                        "allele '" + allele.substr(0, limits.maxNameLength) + "' is not named by the "
                            + call.gene + " definitions; an allele they do not define (e.g. the deletion "
                            + "*5) needs the outside caller's phenotype or activity score on the same line",
                        where);
                call.undefinedAlleles.push_back(allele);
            }
            call.alleles = std::move(alleles);
        }
        call.phenotype = columns[2];
        if (call.phenotype.size() > limits.maxNameLength)
            return fail(ErrorCode::LimitExceeded, "the phenotype is too long", where);
        if (!columns[3].empty()) {
            std::istringstream stream(columns[3]);
            stream.imbue(std::locale::classic());
            double score = 0.0;
            if (!(stream >> score) || !stream.eof() || !std::isfinite(score) || score < 0.0 || score > 100.0)
                return fail(ErrorCode::Malformed,
                    "activity score '" + columns[3].substr(0, 40) + "' is not a number", where);
            call.activityScore = score;
        }
        if (call.alleles.empty() && call.phenotype.empty() && !call.activityScore)
            return fail(ErrorCode::Malformed,
                "neither a diplotype, a phenotype nor an activity score for " + call.gene, where);
        calls.push_back(std::move(call));
    }
    if (in.bad())
        return fail(ErrorCode::Malformed, "the file could not be read to its end", name);
    return calls;
}

} // namespace mosaic
