// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/pgx_definitions.h"

#include "core/genomics/vcf_reader.h"
#include "core/json_depth.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>
#include <system_error>

namespace mosaic {

namespace {

using Json = nlohmann::json;

std::string fileName(const std::filesystem::path &path)
{
    return path.filename().string();
}

// Reads a whole file after checking its size, and refuses JSON nested deeper than the limit before
// nlohmann sees it: the files nest four deep, and a hostile one should not cost a deep recursion.
Result<std::string> readBoundedJsonText(const std::filesystem::path &path, const PgxLimits &limits)
{
    const std::string name = fileName(path);
    std::error_code error;
    if (!std::filesystem::is_regular_file(path, error))
        return fail(ErrorCode::NotFound, "not a readable file", name);
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error)
        return fail(ErrorCode::NotFound, "cannot read the file size", name);
    if (size > limits.maxFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "the file has " + std::to_string(size) + " bytes; the limit is "
                + std::to_string(limits.maxFileBytes),
            name);
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return fail(ErrorCode::NotFound, "cannot open the file", name);
    std::string text(static_cast<std::size_t>(size), '\0');
    in.read(text.data(), static_cast<std::streamsize>(size));
    if (static_cast<std::uintmax_t>(in.gcount()) != size)
        return fail(ErrorCode::Malformed, "the file ended while being read", name);

    if (jsonNestingDepth(text) > limits.maxJsonDepth)
        return fail(ErrorCode::LimitExceeded,
            "JSON nested deeper than " + std::to_string(limits.maxJsonDepth) + " levels", name);
    return text;
}

Result<Json> parseJsonFile(const std::filesystem::path &path, const PgxLimits &limits)
{
    auto text = readBoundedJsonText(path, limits);
    if (!text)
        return std::unexpected(text.error());
    Json document = Json::parse(*text, nullptr, false);
    if (document.is_discarded())
        return fail(ErrorCode::Malformed, "not valid JSON", fileName(path));
    if (!document.is_object())
        return fail(ErrorCode::Malformed, "the top level is not a JSON object", fileName(path));
    return document;
}

// The string member `key` of `object`; std::nullopt when it is absent, null or not a string.
std::optional<std::string> stringMember(const Json &object, const char *key)
{
    const auto it = object.find(key);
    if (it == object.end() || !it->is_string())
        return std::nullopt;
    return it->get<std::string>();
}

bool isBaseSequence(std::string_view text)
{
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return c == 'A' || c == 'C' || c == 'G' || c == 'T' || c == 'N';
    });
}

// Names are shown to users and used as map keys: printable ASCII, bounded.
bool isPrintableName(std::string_view text, std::size_t maxLength)
{
    return !text.empty() && text.size() <= maxLength
        && std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

GenomeBuild parseBuild(std::string_view text)
{
    if (text.starts_with("GRCh38") || text.starts_with("hg38"))
        return GenomeBuild::GRCh38;
    if (text.starts_with("GRCh37") || text.starts_with("hg19"))
        return GenomeBuild::GRCh37;
    return GenomeBuild::Unknown;
}

std::string variantPlace(std::size_t index, const PgxVariant &variant)
{
    std::string place = "variant " + std::to_string(index + 1);
    if (variant.position > 0)
        place += " (" + variant.chromosome + ":" + std::to_string(variant.position) + ")";
    return place;
}

Result<PgxVariant> readVariant(const Json &entry, std::size_t index, const std::string &geneChromosome,
    const std::string &name, const PgxLimits &limits)
{
    PgxVariant variant;
    const std::string where = name + ", variant " + std::to_string(index + 1);
    if (!entry.is_object())
        return fail(ErrorCode::Malformed, "the entry is not an object", where);
    const auto chromosome = stringMember(entry, "chromosome");
    if (!chromosome || !isPrintableName(*chromosome, limits.maxNameLength))
        return fail(ErrorCode::Malformed, "no chromosome", where);
    variant.chromosome = normaliseChromosome(*chromosome);
    const auto position = entry.find("position");
    if (position == entry.end() || !position->is_number_integer())
        return fail(ErrorCode::Malformed, "no integer position", where);
    const std::int64_t value = position->get<std::int64_t>();
    if (value < 1 || value > std::int64_t { 1 } << 32)
        return fail(ErrorCode::Malformed, "position " + std::to_string(value) + " is out of range", where);
    variant.position = value;
    const std::string place = name + ", " + variantPlace(index, variant);
    if (variant.chromosome != geneChromosome)
        return fail(ErrorCode::Malformed,
            "the variant is on chromosome " + variant.chromosome + " but the gene is on " + geneChromosome,
            place);
    variant.rsid = stringMember(entry, "rsid").value_or("");
    if (variant.rsid.size() > limits.maxNameLength)
        return fail(ErrorCode::LimitExceeded, "the rsid is too long", place);

    const auto reference = stringMember(entry, "ref");
    if (!reference || !isBaseSequence(*reference) || reference->size() > limits.maxAlleleLength)
        return fail(ErrorCode::Malformed, "the reference allele is missing or not a base sequence", place);
    variant.reference = *reference;
    const auto alts = entry.find("alts");
    if (alts == entry.end() || !alts->is_array())
        return fail(ErrorCode::Malformed, "no list of alternate alleles", place);
    if (alts->size() > 255)
        return fail(ErrorCode::LimitExceeded, std::to_string(alts->size()) + " alternate alleles", place);
    for (const Json &alt : *alts) {
        if (!alt.is_string() || !isBaseSequence(alt.get<std::string>())
            || alt.get<std::string>().size() > limits.maxAlleleLength)
            return fail(ErrorCode::Malformed, "an alternate allele is not a base sequence", place);
        variant.alternates.push_back(alt.get<std::string>());
    }

    const auto map = entry.find("cpicToVcfAlleleMap");
    if (map != entry.end() && !map->is_null()) {
        if (!map->is_object() || map->size() > 256)
            return fail(ErrorCode::Malformed, "cpicToVcfAlleleMap is not a small object", place);
        for (const auto &[cpic, vcf] : map->items()) {
            if (!vcf.is_string())
                return fail(
                    ErrorCode::Malformed, "cpicToVcfAlleleMap maps '" + cpic + "' to a non-string", place);
            const std::string spelling = vcf.get<std::string>();
            if (spelling != variant.reference
                && std::find(variant.alternates.begin(), variant.alternates.end(), spelling)
                    == variant.alternates.end())
                return fail(ErrorCode::Malformed,
                    "cpicToVcfAlleleMap maps '" + cpic.substr(0, 40) + "' to '" + spelling.substr(0, 40)
                        + "', which is neither REF nor an ALT",
                    place);
            variant.cpicToVcf.emplace(cpic, spelling);
        }
    }
    return variant;
}

// A named allele's spelling at one position must be REF, one of the ALTs, or, at a single-base
// position, an IUPAC code standing for several bases.
bool isKnownSpelling(const PgxVariant &variant, const std::string &allele)
{
    if (allele == variant.reference)
        return true;
    if (std::find(variant.alternates.begin(), variant.alternates.end(), allele) != variant.alternates.end())
        return true;
    return allele.size() == 1 && variant.reference.size() == 1 && !iupacBases(allele[0]).empty();
}

Result<PgxNamedAllele> readNamedAllele(const Json &entry, std::size_t index,
    const std::vector<PgxVariant> &variants, const std::string &name, const PgxLimits &limits)
{
    const std::string where = name + ", named allele " + std::to_string(index + 1);
    if (!entry.is_object())
        return fail(ErrorCode::Malformed, "the entry is not an object", where);
    PgxNamedAllele allele;
    const auto alleleName = stringMember(entry, "name");
    if (!alleleName || !isPrintableName(*alleleName, limits.maxNameLength))
        return fail(ErrorCode::Malformed, "no printable name", where);
    allele.name = *alleleName;
    const std::string place = name + ", named allele '" + allele.name + "'";
    allele.id = stringMember(entry, "id").value_or("");
    if (allele.id.size() > limits.maxNameLength)
        return fail(ErrorCode::LimitExceeded, "the id is too long", place);
    const auto reference = entry.find("reference");
    if (reference != entry.end() && !reference->is_boolean())
        return fail(ErrorCode::Malformed, "'reference' is not true or false", place);
    allele.reference = reference != entry.end() && reference->get<bool>();
    const auto structural = entry.find("structuralVariant");
    if (structural != entry.end() && !structural->is_null() && !structural->is_boolean())
        return fail(ErrorCode::Malformed, "'structuralVariant' is not true or false", place);
    allele.structuralVariant
        = structural != entry.end() && structural->is_boolean() && structural->get<bool>();

    const auto alleles = entry.find("alleles");
    if (alleles == entry.end() || !alleles->is_array())
        return fail(ErrorCode::Malformed, "no list of alleles", place);
    if (alleles->size() != variants.size())
        return fail(ErrorCode::Malformed,
            "it lists " + std::to_string(alleles->size()) + " alleles for " + std::to_string(variants.size())
                + " variants",
            place);
    allele.alleles.reserve(variants.size());
    std::size_t defined = 0;
    for (std::size_t i = 0; i < variants.size(); ++i) {
        const Json &value = (*alleles)[i];
        if (value.is_null()) {
            allele.alleles.emplace_back();
            continue;
        }
        if (!value.is_string())
            return fail(ErrorCode::Malformed, "allele " + std::to_string(i + 1) + " is not a string or null",
                place + ", " + variantPlace(i, variants[i]));
        const std::string spelling = value.get<std::string>();
        if (!isKnownSpelling(variants[i], spelling))
            return fail(ErrorCode::Malformed,
                "allele '" + spelling.substr(0, 40)
                    + "' is neither REF, an ALT nor an IUPAC code of this variant",
                place + ", " + variantPlace(i, variants[i]));
        allele.alleles.emplace_back(spelling);
        ++defined;
    }
    if (allele.reference && defined != variants.size())
        return fail(ErrorCode::Malformed, "the reference allele must define every position", place);
    if (defined == 0 && !allele.structuralVariant)
        return fail(ErrorCode::Malformed, "the allele defines no position", place);
    return allele;
}

std::optional<double> parseActivity(const Json &value)
{
    if (value.is_number())
        return value.get<double>();
    if (value.is_string()) {
        const std::string text = value.get<std::string>();
        if (text.empty() || text.size() > 32)
            return std::nullopt;
        std::istringstream stream(text);
        stream.imbue(std::locale::classic());
        double number = 0.0;
        if ((stream >> number) && stream.eof() && std::isfinite(number))
            return number;
    }
    return std::nullopt;
}

} // namespace

std::string_view iupacBases(char code)
{
    switch (code) {
    case 'A': return "A";
    case 'C': return "C";
    case 'G': return "G";
    case 'T': return "T";
    case 'R': return "AG";
    case 'Y': return "CT";
    case 'S': return "CG";
    case 'W': return "AT";
    case 'K': return "GT";
    case 'M': return "AC";
    case 'B': return "CGT";
    case 'D': return "AGT";
    case 'H': return "ACT";
    case 'V': return "ACG";
    case 'N': return "ACGT";
    default: return {};
    }
}

bool pgxAlleleNameLess(std::string_view a, std::string_view b)
{
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < a.size() && j < b.size()) {
        const bool digitA = a[i] >= '0' && a[i] <= '9';
        const bool digitB = b[j] >= '0' && b[j] <= '9';
        if (digitA && digitB) {
            std::size_t endA = i;
            std::size_t endB = j;
            while (endA < a.size() && a[endA] >= '0' && a[endA] <= '9')
                ++endA;
            while (endB < b.size() && b[endB] >= '0' && b[endB] <= '9')
                ++endB;
            // Compare digit runs as numbers without converting (runs may be long): strip leading
            // zeros, then a longer run is larger, then compare lexically.
            std::string_view runA = a.substr(i, endA - i);
            std::string_view runB = b.substr(j, endB - j);
            while (runA.size() > 1 && runA.front() == '0')
                runA.remove_prefix(1);
            while (runB.size() > 1 && runB.front() == '0')
                runB.remove_prefix(1);
            if (runA.size() != runB.size())
                return runA.size() < runB.size();
            if (runA != runB)
                return runA < runB;
            i = endA;
            j = endB;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

const PgxNamedAllele *PgxGeneDefinition::namedAllele(std::string_view name) const
{
    for (const PgxNamedAllele &allele : namedAlleles)
        if (allele.name == name)
            return &allele;
    return nullptr;
}

const PgxDiplotypePhenotype *PgxPhenotypeTable::lookup(
    std::string_view allele1, std::string_view allele2) const
{
    if (pgxAlleleNameLess(allele2, allele1))
        std::swap(allele1, allele2);
    for (const PgxDiplotypePhenotype &row : diplotypes)
        if (row.allele1 == allele1 && row.allele2 == allele2)
            return &row;
    return nullptr;
}

const PgxGeneDefinition *PgxDefinitionSet::gene(std::string_view name) const
{
    for (const PgxGeneDefinition &definition : genes)
        if (definition.gene == name)
            return &definition;
    return nullptr;
}

const PgxPhenotypeTable *PgxDefinitionSet::phenotypeTable(std::string_view geneName) const
{
    const auto it = phenotypeTables.find(std::string(geneName));
    return it == phenotypeTables.end() ? nullptr : &it->second;
}

Result<PgxGeneDefinition> readPgxGeneDefinition(const std::filesystem::path &path, const PgxLimits &limits)
{
    const std::string name = fileName(path);
    auto document = parseJsonFile(path, limits);
    if (!document)
        return std::unexpected(document.error());
    const Json &root = *document;

    PgxGeneDefinition definition;
    const auto gene = stringMember(root, "gene");
    if (!gene || !isPrintableName(*gene, limits.maxNameLength))
        return fail(ErrorCode::Malformed, "no gene name", name);
    definition.gene = *gene;
    const auto chromosome = stringMember(root, "chromosome");
    if (!chromosome || !isPrintableName(*chromosome, limits.maxNameLength))
        return fail(ErrorCode::Malformed, "no chromosome", name);
    definition.chromosome = normaliseChromosome(*chromosome);
    definition.build = parseBuild(stringMember(root, "genomeBuild").value_or(""));
    if (definition.build != GenomeBuild::GRCh38)
        return fail(ErrorCode::Unsupported, "the definitions are not on GRCh38", name);
    definition.version = stringMember(root, "version").value_or("");
    if (definition.version.size() > limits.maxNameLength)
        definition.version.resize(limits.maxNameLength);

    const auto variants = root.find("variants");
    if (variants == root.end() || !variants->is_array() || variants->empty())
        return fail(ErrorCode::Malformed, "no list of variants", name);
    if (variants->size() > limits.maxVariantsPerGene)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(variants->size()) + " variants; the limit is "
                + std::to_string(limits.maxVariantsPerGene),
            name);
    definition.variants.reserve(variants->size());
    for (std::size_t i = 0; i < variants->size(); ++i) {
        auto variant = readVariant((*variants)[i], i, definition.chromosome, name, limits);
        if (!variant)
            return std::unexpected(variant.error());
        // The matcher looks positions up one by one; two entries at one position would make a sample's
        // single genotype there count twice.
        if (!definition.variants.empty() && variant->position <= definition.variants.back().position)
            return fail(ErrorCode::Malformed,
                "positions are not strictly ascending: " + std::to_string(variant->position) + " follows "
                    + std::to_string(definition.variants.back().position),
                name + ", " + variantPlace(i, *variant));
        definition.variants.push_back(std::move(*variant));
    }

    const auto named = root.find("namedAlleles");
    if (named == root.end() || !named->is_array() || named->empty())
        return fail(ErrorCode::Malformed, "no list of named alleles", name);
    if (named->size() > limits.maxNamedAllelesPerGene)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(named->size()) + " named alleles; the limit is "
                + std::to_string(limits.maxNamedAllelesPerGene),
            name);
    if (named->size() * definition.variants.size() > limits.maxAlleleCells)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(named->size()) + " named alleles over "
                + std::to_string(definition.variants.size()) + " variants; the limit is "
                + std::to_string(limits.maxAlleleCells) + " cells",
            name);
    std::set<std::string> names;
    std::optional<std::size_t> reference;
    for (std::size_t i = 0; i < named->size(); ++i) {
        auto allele = readNamedAllele((*named)[i], i, definition.variants, name, limits);
        if (!allele)
            return std::unexpected(allele.error());
        if (!names.insert(allele->name).second)
            return fail(ErrorCode::Malformed, "the name is used twice",
                name + ", named allele '" + allele->name + "'");
        if (allele->reference) {
            if (reference)
                return fail(ErrorCode::Malformed,
                    "a second reference allele; '" + definition.namedAlleles[*reference].name
                        + "' is already the reference",
                    name + ", named allele '" + allele->name + "'");
            reference = i;
        }
        definition.namedAlleles.push_back(std::move(*allele));
    }
    if (!reference)
        return fail(ErrorCode::Malformed, "no named allele is marked as the reference", name);
    definition.referenceAllele = *reference;
    return definition;
}

Result<PgxPhenotypeTable> readPgxPhenotypeTable(const std::filesystem::path &path, const PgxLimits &limits)
{
    const std::string name = fileName(path);
    auto document = parseJsonFile(path, limits);
    if (!document)
        return std::unexpected(document.error());
    const Json &root = *document;

    PgxPhenotypeTable table;
    const auto gene = stringMember(root, "gene");
    if (!gene || !isPrintableName(*gene, limits.maxNameLength))
        return fail(ErrorCode::Malformed, "no gene name", name);
    table.gene = *gene;
    table.version = stringMember(root, "version").value_or("");
    if (table.version.size() > limits.maxNameLength)
        table.version.resize(limits.maxNameLength);

    const auto haplotypes = root.find("haplotypes");
    if (haplotypes != root.end() && !haplotypes->is_null()) {
        if (!haplotypes->is_object() || haplotypes->size() > limits.maxNamedAllelesPerGene)
            return fail(ErrorCode::Malformed, "'haplotypes' is not an object of a bounded size", name);
        for (const auto &[allele, function] : haplotypes->items()) {
            if (!isPrintableName(allele, limits.maxNameLength))
                return fail(
                    ErrorCode::Malformed, "an allele name in 'haplotypes' is empty or not printable", name);
            if (function.is_string() && isPrintableName(function.get<std::string>(), limits.maxNameLength))
                table.alleleFunction.emplace(allele, function.get<std::string>());
        }
    }
    const auto activity = root.find("activityValues");
    if (activity != root.end() && !activity->is_null()) {
        if (!activity->is_object() || activity->size() > limits.maxNamedAllelesPerGene)
            return fail(ErrorCode::Malformed, "'activityValues' is not an object of a bounded size", name);
        for (const auto &[allele, value] : activity->items())
            if (const auto number = parseActivity(value))
                table.alleleActivity.emplace(allele, *number);
    }

    const auto diplotypes = root.find("diplotypes");
    if (diplotypes == root.end() || !diplotypes->is_array())
        return fail(ErrorCode::Malformed, "no list of diplotypes", name);
    if (diplotypes->size() > limits.maxDiplotypeRows)
        return fail(ErrorCode::LimitExceeded,
            std::to_string(diplotypes->size()) + " diplotype rows; the limit is "
                + std::to_string(limits.maxDiplotypeRows),
            name);
    std::set<std::pair<std::string, std::string>> seen;
    for (std::size_t i = 0; i < diplotypes->size(); ++i) {
        const Json &entry = (*diplotypes)[i];
        const std::string where = name + ", diplotype row " + std::to_string(i + 1);
        if (!entry.is_object())
            return fail(ErrorCode::Malformed, "the row is not an object", where);
        const auto key = entry.find("diplotypekey");
        if (key == entry.end() || !key->is_object() || key->empty() || key->size() > 2)
            return fail(ErrorCode::Malformed, "'diplotypekey' is not an object of one or two alleles", where);
        std::vector<std::string> alleles;
        for (const auto &[allele, count] : key->items()) {
            if (!isPrintableName(allele, limits.maxNameLength))
                return fail(ErrorCode::Malformed, "an allele name is empty or not printable", where);
            if (!count.is_number_integer() || count.get<std::int64_t>() < 1 || count.get<std::int64_t>() > 2)
                return fail(
                    ErrorCode::Malformed, "allele '" + allele + "' has a count other than 1 or 2", where);
            for (std::int64_t copy = 0; copy < count.get<std::int64_t>(); ++copy)
                alleles.push_back(allele);
        }
        if (alleles.size() != 2)
            return fail(ErrorCode::Malformed,
                "the diplotype has " + std::to_string(alleles.size()) + " allele copies, not 2", where);
        const auto result = stringMember(entry, "generesult");
        if (!result || !isPrintableName(*result, limits.maxNameLength))
            return fail(ErrorCode::Malformed, "no gene result", where);
        PgxDiplotypePhenotype row;
        row.allele1 = alleles[0];
        row.allele2 = alleles[1];
        if (pgxAlleleNameLess(row.allele2, row.allele1))
            std::swap(row.allele1, row.allele2);
        row.geneResult = *result;
        const auto score = entry.find("activityScore");
        if (score != entry.end() && !score->is_null()) {
            row.activityScore = parseActivity(*score);
            // "n/a" and similar words mean no score; anything else that is not a number is damage.
            if (!row.activityScore && !score->is_string())
                return fail(ErrorCode::Malformed, "the activity score is not a number", where);
        }
        if (!seen.emplace(row.allele1, row.allele2).second)
            return fail(ErrorCode::Malformed,
                "diplotype " + row.allele1 + "/" + row.allele2 + " is listed twice", where);
        table.diplotypes.push_back(std::move(row));
    }
    return table;
}

Result<PgxDefinitionSet> loadPgxDefinitions(const std::filesystem::path &directory, const PgxLimits &limits)
{
    const std::string folder = directory.filename().string();
    std::error_code error;
    if (!std::filesystem::is_directory(directory, error))
        return fail(ErrorCode::NotFound, "not a folder", folder);
    std::vector<std::filesystem::path> definitionFiles;
    std::vector<std::filesystem::path> phenotypeFiles;
    std::size_t entries = 0;
    for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end;
         it.increment(error)) {
        if (++entries > 100 * limits.maxGenes)
            return fail(ErrorCode::LimitExceeded, "the folder has too many entries", folder);
        const std::string name = it->path().filename().string();
        if (name.ends_with("_translation.json"))
            definitionFiles.push_back(it->path());
        else if (name.starts_with("phenotype_") && name.ends_with(".json"))
            phenotypeFiles.push_back(it->path());
    }
    if (error)
        return fail(ErrorCode::NotFound, "cannot list the folder", folder);
    if (definitionFiles.empty())
        return fail(ErrorCode::NotFound, "no <GENE>_translation.json file", folder);
    if (definitionFiles.size() > limits.maxGenes || phenotypeFiles.size() > limits.maxGenes)
        return fail(
            ErrorCode::LimitExceeded, "more than " + std::to_string(limits.maxGenes) + " genes", folder);

    PgxDefinitionSet set;
    for (const std::filesystem::path &path : definitionFiles) {
        auto definition = readPgxGeneDefinition(path, limits);
        if (!definition)
            return std::unexpected(definition.error());
        const std::string expected = path.filename().string().substr(
            0, path.filename().string().size() - std::string_view("_translation.json").size());
        if (definition->gene != expected)
            return fail(ErrorCode::Malformed,
                "the file defines gene '" + definition->gene + "', not the '" + expected + "' its name says",
                path.filename().string());
        set.genes.push_back(std::move(*definition));
    }
    std::sort(set.genes.begin(), set.genes.end(),
        [](const PgxGeneDefinition &a, const PgxGeneDefinition &b) { return a.gene < b.gene; });

    for (const std::filesystem::path &path : phenotypeFiles) {
        auto table = readPgxPhenotypeTable(path, limits);
        if (!table)
            return std::unexpected(table.error());
        const std::string name = path.filename().string();
        const std::string expected = name.substr(std::string_view("phenotype_").size(),
            name.size() - std::string_view("phenotype_").size() - std::string_view(".json").size());
        if (table->gene != expected)
            return fail(ErrorCode::Malformed,
                "the table is for gene '" + table->gene + "', not the '" + expected + "' its name says",
                name);
        if (!set.gene(table->gene))
            return fail(ErrorCode::Malformed, "there is no allele definition for gene " + table->gene, name);
        set.phenotypeTables.emplace(table->gene, std::move(*table));
    }
    return set;
}

} // namespace mosaic
