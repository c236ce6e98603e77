// SPDX-License-Identifier: Apache-2.0
#include "core/fusion/model_spec.h"

#include "core/json_depth.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <set>
#include <utility>

namespace mosaic {

namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

std::string jsonWhat(const nlohmann::json::exception &error)
{
    std::string_view what = error.what();
    const auto tagEnd = what.find("] ");
    if (what.starts_with("[json.exception.") && tagEnd != std::string_view::npos)
        what.remove_prefix(tagEnd + 2);
    return std::string(what);
}

// Parses `text` refusing duplicate keys in any object (a silent choice between two values is how a
// wrong setting reaches a model).
Result<Json> parseStrict(std::string_view text, const std::string &source)
{
    if (text.size() > kMaxModelSpecBytes)
        return fail(ErrorCode::LimitExceeded,
            "the specification is larger than the limit of " + std::to_string(kMaxModelSpecBytes) + " bytes",
            source);
    if (jsonNestingDepth(text) > kMaxModelSpecDepth)
        return fail(ErrorCode::LimitExceeded,
            "the JSON nesting is deeper than the limit of " + std::to_string(kMaxModelSpecDepth), source);
    std::vector<std::set<std::string>> open;
    std::vector<std::string> path; // the key path to the duplicate, for the message
    std::vector<std::string> currentKey;
    std::optional<std::string> duplicate;
    Json document;
    try {
        document = Json::parse(text, [&](int, Json::parse_event_t event, Json &parsed) {
            using Event = Json::parse_event_t;
            if (event == Event::object_start) {
                open.emplace_back();
                currentKey.emplace_back();
            } else if (event == Event::object_end && !open.empty()) {
                open.pop_back();
                currentKey.pop_back();
            } else if (event == Event::key && !open.empty() && !duplicate) {
                auto key = parsed.get<std::string>();
                currentKey.back() = key;
                if (!open.back().insert(key).second) {
                    std::string where;
                    for (std::size_t i = 0; i + 1 < currentKey.size(); ++i)
                        where += currentKey[i].empty() ? std::string() : currentKey[i] + ".";
                    duplicate = where + key;
                }
            }
            return true;
        });
    } catch (const nlohmann::json::exception &error) {
        return fail(ErrorCode::Malformed, "not valid JSON: " + jsonWhat(error), source);
    }
    if (duplicate)
        return fail(ErrorCode::Malformed, "the key appears twice in one object", source + ", " + *duplicate);
    return document;
}

class SpecReader
{
public:
    explicit SpecReader(std::string source)
        : m_source(std::move(source))
    { }

    [[nodiscard]] const std::string &source() const { return m_source; }

    std::unexpected<Error> refuse(
        const std::string &path, std::string detail, ErrorCode code = ErrorCode::Malformed) const
    {
        return fail(code, std::move(detail), path.empty() ? m_source : m_source + ", " + path);
    }

    Result<void> knownKeys(
        const Json &object, const std::string &path, const std::vector<std::string_view> &keys) const
    {
        for (const auto &item : object.items())
            if (std::find(keys.begin(), keys.end(), item.key()) == keys.end()) {
                std::string list;
                for (const std::string_view key : keys)
                    list += (list.empty() ? "" : ", ") + std::string(key);
                return refuse(path.empty() ? item.key() : path + "." + item.key(),
                    "unknown key (known here: " + list + ")");
            }
        return {};
    }

    Result<const Json *> object(const Json &parent, const char *key, const std::string &path) const
    {
        const auto it = parent.find(key);
        if (it == parent.end())
            return nullptr;
        if (!it->is_object())
            return refuse(path, std::string("must be an object, not ") + it->type_name());
        return &*it;
    }

    Result<std::optional<std::string>> string(
        const Json &parent, const char *key, const std::string &path, bool nonEmpty = false) const
    {
        const auto it = parent.find(key);
        if (it == parent.end())
            return std::optional<std::string> {};
        if (!it->is_string())
            return refuse(path, std::string("must be a string, not ") + it->type_name());
        if (nonEmpty && it->get_ref<const std::string &>().empty())
            return refuse(path, "must not be empty");
        return std::optional<std::string>(it->get<std::string>());
    }

    // A non-empty array of unique non-empty strings.
    Result<std::vector<std::string>> names(const Json &value, const std::string &path, bool allowEmpty) const
    {
        if (!value.is_array())
            return refuse(path, std::string("must be an array of strings, not ") + value.type_name());
        if (value.empty() && !allowEmpty)
            return refuse(path, "must not be empty");
        if (value.size() > 100'000)
            return refuse(path, "more entries than the limit of 100000", ErrorCode::LimitExceeded);
        std::vector<std::string> out;
        std::set<std::string> seen;
        for (std::size_t i = 0; i < value.size(); ++i) {
            const std::string at = path + "[" + std::to_string(i) + "]";
            if (!value[i].is_string() || value[i].get_ref<const std::string &>().empty())
                return refuse(at, "must be a non-empty string");
            if (!seen.insert(value[i].get<std::string>()).second)
                return refuse(at, "\"" + value[i].get<std::string>() + "\" is listed twice");
            out.push_back(value[i].get<std::string>());
        }
        return out;
    }

    // An error of a section's own parser, re-anchored under the section's path: its location is
    // "<source>" or "<source>, <path in the section>".
    Error underSection(Error error, const std::string &section) const
    {
        if (error.location == m_source)
            error.location = m_source + ", " + section;
        else if (error.location.starts_with(m_source + ", "))
            error.location = m_source + ", " + section + "." + error.location.substr(m_source.size() + 2);
        return error;
    }

private:
    std::string m_source;
};

bool isTagSpelling(std::string_view tag)
{
    if (tag.empty() || tag.size() > 128)
        return false;
    return std::all_of(tag.begin(), tag.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
            || c == '.';
    });
}

Result<std::string> readSmallFile(const std::filesystem::path &path, std::size_t limit)
{
    const std::string name = path.filename().string();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec))
        return fail(ErrorCode::NotFound, "the file does not exist or is not a regular file", name);
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "the file's size cannot be read", name);
    if (size > limit)
        return fail(ErrorCode::LimitExceeded,
            "the file is larger than the limit of " + std::to_string(limit) + " bytes", name);
    std::ifstream in(path, std::ios::binary);
    std::string text(static_cast<std::size_t>(size), '\0');
    if (!in.read(text.data(), static_cast<std::streamsize>(size)))
        return fail(ErrorCode::NotFound, "the file cannot be read", name);
    return text;
}

const std::vector<std::string> &fileColumns()
{
    static const std::vector<std::string> columns { "patient", "group", "image", "mask", "roi", "genotypes",
        "sample", "expression", "expression_sample", "records", "index_date" };
    return columns;
}

Result<ModelTask> readTask(const SpecReader &reader, const Json &root)
{
    const auto it = root.find("task");
    if (it == root.end())
        return reader.refuse("task", "is required");
    if (!it->is_object())
        return reader.refuse("task", std::string("must be an object, not ") + it->type_name());
    if (auto known = reader.knownKeys(*it, "task", { "type", "label", "outcome", "classes" }); !known)
        return std::unexpected(known.error());
    ModelTask task;
    auto type = reader.string(*it, "type", "task.type");
    if (!type)
        return std::unexpected(type.error());
    if (!*type)
        return reader.refuse("task.type", "is required (\"binary\" or \"multiclass\")");
    if (**type == "binary")
        task.type = TaskType::Binary;
    else if (**type == "multiclass")
        task.type = TaskType::Multiclass;
    else
        return reader.refuse("task.type", "must be \"binary\" or \"multiclass\"");
    auto label = reader.string(*it, "label", "task.label", true);
    if (!label)
        return std::unexpected(label.error());
    if (!*label)
        return reader.refuse("task.label", "is required (the manifest column of the reference label)");
    task.label = **label;
    auto outcome = reader.string(*it, "outcome", "task.outcome");
    if (!outcome)
        return std::unexpected(outcome.error());
    task.outcome = outcome->value_or("");
    if (const auto classes = it->find("classes"); classes != it->end()) {
        auto names = reader.names(*classes, "task.classes", false);
        if (!names)
            return std::unexpected(names.error());
        if (names->size() > kMaxModelSpecClasses)
            return reader.refuse("task.classes",
                "more classes than the limit of " + std::to_string(kMaxModelSpecClasses),
                ErrorCode::LimitExceeded);
        task.classes = std::move(*names);
    }
    if (task.type == TaskType::Multiclass && task.classes.size() < 2)
        return reader.refuse("task.classes", "a multiclass task names at least two classes");
    if (task.type == TaskType::Binary && !task.classes.empty() && task.classes.size() != 2)
        return reader.refuse("task.classes", "a binary task names exactly two classes (class 0, class 1)");
    return task;
}

Result<ImagingSection> readImaging(
    const SpecReader &reader, const Json &section, const std::filesystem::path &base)
{
    if (auto known
        = reader.knownKeys(section, "imaging", { "roi", "settings", "settings_file", "features", "prefix" });
        !known)
        return std::unexpected(known.error());
    ImagingSection imaging;
    auto roi = reader.string(section, "roi", "imaging.roi");
    if (!roi)
        return std::unexpected(roi.error());
    imaging.roi = roi->value_or("");
    auto prefix = reader.string(section, "prefix", "imaging.prefix");
    if (!prefix)
        return std::unexpected(prefix.error());
    if (*prefix)
        imaging.prefix = **prefix;

    const auto settings = section.find("settings");
    const auto settingsFile = section.find("settings_file");
    if ((settings == section.end()) == (settingsFile == section.end()))
        return reader.refuse("imaging", "give exactly one of \"settings\" and \"settings_file\"");
    if (settings != section.end()) {
        if (!settings->is_object())
            return reader.refuse(
                "imaging.settings", std::string("must be an object, not ") + settings->type_name());
        auto parsed = RadiomicsSettings::fromJson(settings->dump(), reader.source());
        if (!parsed)
            return std::unexpected(reader.underSection(parsed.error(), "imaging.settings"));
        imaging.settings = *parsed;
    } else {
        auto file = reader.string(section, "settings_file", "imaging.settings_file", true);
        if (!file)
            return std::unexpected(file.error());
        std::filesystem::path path(**file);
        if (path.is_relative())
            path = base / path;
        auto text = readSmallFile(path, kMaxModelSpecBytes);
        if (!text)
            return std::unexpected(text.error());
        // Errors name the settings file itself: the problem is in it.
        auto parsed = RadiomicsSettings::fromJson(*text, path.filename().string());
        if (!parsed)
            return std::unexpected(parsed.error());
        imaging.settings = *parsed;
    }
    if (auto valid = imaging.settings.validate(reader.source() + ", imaging.settings"); !valid)
        return std::unexpected(valid.error());

    const auto features = section.find("features");
    if (features == section.end())
        return reader.refuse("imaging.features", "is required (IBSI tags such as \"stat_mean\")");
    auto tags = reader.names(*features, "imaging.features", false);
    if (!tags)
        return std::unexpected(tags.error());
    for (std::size_t i = 0; i < tags->size(); ++i)
        if (!isTagSpelling((*tags)[i]))
            return reader.refuse("imaging.features[" + std::to_string(i) + "]",
                "an IBSI tag is letters, digits and '_' (e.g. \"stat_mean\")");
    imaging.tags = std::move(*tags);
    return imaging;
}

Result<GenomicsSection> readGenomics(
    const SpecReader &reader, const Json &section, const std::filesystem::path &base)
{
    // GenomicFeatureSpec reads past keys it does not know; a model specification must not.
    if (auto known = reader.knownKeys(
            section, "genomics", { "build", "absentSites", "variants", "pgx", "scores", "expression" });
        !known)
        return std::unexpected(known.error());
    const std::pair<const char *, std::vector<std::string_view>> lists[] {
        { "variants", { "name", "chromosome", "position", "allele", "reference", "description" } },
        { "pgx", { "name", "gene", "description" } },
        { "scores", { "name", "file", "description" } },
    };
    for (const auto &[key, keys] : lists) {
        const auto list = section.find(key);
        if (list == section.end() || !list->is_array())
            continue;
        for (std::size_t i = 0; i < list->size(); ++i)
            if ((*list)[i].is_object())
                if (auto known = reader.knownKeys(
                        (*list)[i], "genomics." + std::string(key) + "[" + std::to_string(i) + "]", keys);
                    !known)
                    return std::unexpected(known.error());
    }
    if (const auto expression = section.find("expression");
        expression != section.end() && expression->is_object()) {
        if (auto known = reader.knownKeys(*expression, "genomics.expression", { "normalisation", "probes" });
            !known)
            return std::unexpected(known.error());
        if (const auto probes = expression->find("probes"); probes != expression->end() && probes->is_array())
            for (std::size_t i = 0; i < probes->size(); ++i)
                if ((*probes)[i].is_object())
                    if (auto known = reader.knownKeys((*probes)[i],
                            "genomics.expression.probes[" + std::to_string(i) + "]",
                            { "name", "probe", "description" });
                        !known)
                        return std::unexpected(known.error());
    }
    GenomicsSection genomics;
    genomics.json = section.dump();
    auto spec = GenomicFeatureSpec::fromJson(genomics.json, reader.source(), base);
    if (!spec)
        return std::unexpected(reader.underSection(spec.error(), "genomics"));
    genomics.spec = std::move(*spec);
    return genomics;
}

Result<RecordsSection> readRecords(
    const SpecReader &reader, const Json &section, const records::UcumUnits &units)
{
    RecordsSection recordsSection;
    Json rest = section;
    if (const auto index = section.find("index_date"); index != section.end()) {
        if (!index->is_string())
            return reader.refuse("records.index_date", "must be a FHIR date or dateTime string");
        auto time = records::parseClinicalTime(index->get<std::string>());
        if (!time)
            return reader.refuse("records.index_date", "is not a FHIR date or dateTime (2020-01-31)");
        recordsSection.indexDate = *time;
        rest.erase("index_date");
    }
    recordsSection.json = rest.dump();
    auto spec = records::RecordFeatureSpec::fromJson(recordsSection.json, reader.source(), units);
    if (!spec)
        return std::unexpected(reader.underSection(spec.error(), "records"));
    recordsSection.spec = std::move(*spec);
    return recordsSection;
}

Result<TableSection> readTable(const SpecReader &reader, const Json &section)
{
    if (auto known = reader.knownKeys(section, "table", { "features", "all_columns", "exclude" }); !known)
        return std::unexpected(known.error());
    TableSection table;
    const auto features = section.find("features");
    const auto all = section.find("all_columns");
    if ((features == section.end()) == (all == section.end()))
        return reader.refuse("table", "give exactly one of \"features\" and \"all_columns\"");
    if (all != section.end()) {
        const auto modality = all->is_string() ? modalityFromName(all->get<std::string>()) : std::nullopt;
        if (!modality)
            return reader.refuse(
                "table.all_columns", "must name a modality: \"imaging\", \"genomics\" or \"records\"");
        table.allColumns = *modality;
        if (const auto exclude = section.find("exclude"); exclude != section.end()) {
            auto names = reader.names(*exclude, "table.exclude", true);
            if (!names)
                return std::unexpected(names.error());
            table.exclude = std::move(*names);
        }
        return table;
    }
    if (section.contains("exclude"))
        return reader.refuse("table.exclude", "applies to \"all_columns\" only");
    if (!features->is_array() || features->empty())
        return reader.refuse("table.features", "must be a non-empty array of features");
    if (features->size() > 100'000)
        return reader.refuse(
            "table.features", "more entries than the limit of 100000", ErrorCode::LimitExceeded);
    for (std::size_t i = 0; i < features->size(); ++i) {
        const std::string at = "table.features[" + std::to_string(i) + "]";
        const Json &entry = (*features)[i];
        if (!entry.is_object())
            return reader.refuse(at, std::string("must be an object, not ") + entry.type_name());
        if (auto known = reader.knownKeys(entry, at, { "name", "modality", "unit", "description" }); !known)
            return std::unexpected(known.error());
        FeatureDefinition definition;
        auto name = reader.string(entry, "name", at + ".name", true);
        if (!name)
            return std::unexpected(name.error());
        if (!*name)
            return reader.refuse(at + ".name", "is required (the manifest column)");
        definition.name = **name;
        auto modality = reader.string(entry, "modality", at + ".modality");
        if (!modality)
            return std::unexpected(modality.error());
        if (!*modality)
            return reader.refuse(at + ".modality", "is required (\"imaging\", \"genomics\" or \"records\")");
        const auto parsed = modalityFromName(**modality);
        if (!parsed)
            return reader.refuse(at + ".modality", "must be \"imaging\", \"genomics\" or \"records\"");
        definition.modality = *parsed;
        auto unit = reader.string(entry, "unit", at + ".unit");
        auto description = reader.string(entry, "description", at + ".description");
        if (!unit)
            return std::unexpected(unit.error());
        if (!description)
            return std::unexpected(description.error());
        definition.unit = unit->value_or("");
        definition.description = description->value_or("");
        table.features.push_back(std::move(definition));
    }
    return table;
}

} // namespace

std::optional<int> ModelTask::parseLabel(std::string_view cell) const
{
    const std::size_t count = classCount();
    int index = -1;
    const auto [end, error] = std::from_chars(cell.data(), cell.data() + cell.size(), index);
    if (error == std::errc() && end == cell.data() + cell.size() && !cell.empty()) {
        if (index >= 0 && static_cast<std::size_t>(index) < count)
            return index;
        return std::nullopt;
    }
    for (std::size_t i = 0; i < classes.size(); ++i)
        if (classes[i] == cell)
            return static_cast<int>(i);
    return std::nullopt;
}

std::vector<FeatureDefinition> ImagingSection::definitions() const
{
    std::vector<FeatureDefinition> definitions;
    definitions.reserve(tags.size());
    for (const std::string &tag : tags)
        definitions.push_back({ prefix + tag, Modality::Imaging, "", "IBSI " + tag });
    return definitions;
}

Result<ModelSpec> ModelSpec::fromJson(std::string_view text, std::string_view sourceName,
    const std::filesystem::path &baseFolder, std::shared_ptr<const records::UcumUnits> units)
{
    const SpecReader reader { std::string(sourceName) };
    auto parsed = parseStrict(text, reader.source());
    if (!parsed)
        return std::unexpected(parsed.error());
    const Json &root = *parsed;
    if (!root.is_object())
        return reader.refuse({}, "a model specification is a JSON object");
    if (auto known = reader.knownKeys(root, {},
            { "format", "version", "name", "task", "imaging", "genomics", "records", "table", "subgroups",
                "training", "abstention", "intended_use", "limitations" });
        !known)
        return std::unexpected(known.error());
    const auto format = root.find("format");
    if (format == root.end() || !format->is_string() || format->get<std::string>() != "mosaic-model-spec")
        return reader.refuse("format", "must be \"mosaic-model-spec\"");
    const auto version = root.find("version");
    if (version == root.end() || !version->is_number_integer())
        return reader.refuse("version", "must be the integer 1");
    if (version->get<std::int64_t>() != 1)
        return reader.refuse("version",
            "version " + std::to_string(version->get<std::int64_t>())
                + " is not supported (this reader knows 1)",
            ErrorCode::Unsupported);

    ModelSpec spec;
    spec.sourceName = reader.source();
    spec.units = units;
    for (const auto &[key, target] :
        { std::pair { "name", &spec.name }, std::pair { "intended_use", &spec.intendedUse },
            std::pair { "limitations", &spec.limitations } }) {
        auto value = reader.string(root, key, key);
        if (!value)
            return std::unexpected(value.error());
        *target = value->value_or("");
    }
    auto task = readTask(reader, root);
    if (!task)
        return std::unexpected(task.error());
    spec.task = std::move(*task);

    auto imaging = reader.object(root, "imaging", "imaging");
    if (!imaging)
        return std::unexpected(imaging.error());
    if (*imaging != nullptr) {
        auto section = readImaging(reader, **imaging, baseFolder);
        if (!section)
            return std::unexpected(section.error());
        spec.imaging = std::move(*section);
    }
    auto genomics = reader.object(root, "genomics", "genomics");
    if (!genomics)
        return std::unexpected(genomics.error());
    if (*genomics != nullptr) {
        auto section = readGenomics(reader, **genomics, baseFolder);
        if (!section)
            return std::unexpected(section.error());
        spec.genomics = std::move(*section);
    }
    auto recordsObject = reader.object(root, "records", "records");
    if (!recordsObject)
        return std::unexpected(recordsObject.error());
    if (*recordsObject != nullptr) {
        if (!units)
            return reader.refuse(
                "records", "reading record features needs the UCUM unit table", ErrorCode::InvalidArgument);
        auto section = readRecords(reader, **recordsObject, *units);
        if (!section)
            return std::unexpected(section.error());
        spec.records = std::move(*section);
    }
    auto table = reader.object(root, "table", "table");
    if (!table)
        return std::unexpected(table.error());
    if (*table != nullptr) {
        auto section = readTable(reader, **table);
        if (!section)
            return std::unexpected(section.error());
        spec.table = std::move(*section);
    }
    if (!spec.imaging && !spec.genomics && !spec.records && !spec.table)
        return reader.refuse(
            {}, "the specification has no feature section (imaging, genomics, records or table)");

    if (const auto subgroups = root.find("subgroups"); subgroups != root.end()) {
        auto names = reader.names(*subgroups, "subgroups", true);
        if (!names)
            return std::unexpected(names.error());
        spec.subgroups = std::move(*names);
    }
    for (const auto &[key, target] :
        { std::pair { "training", &spec.trainingJson }, std::pair { "abstention", &spec.abstentionJson } }) {
        auto object = reader.object(root, key, key);
        if (!object)
            return std::unexpected(object.error());
        if (*object != nullptr)
            *target = (*object)->dump();
    }

    // Columns: the label, subgroups and table features may not take a reserved column's name.
    const auto &files = fileColumns();
    const auto isFileColumn
        = [&](const std::string &name) { return std::find(files.begin(), files.end(), name) != files.end(); };
    if (isFileColumn(spec.task.label))
        return reader.refuse("task.label", "\"" + spec.task.label + "\" is a reserved manifest column");
    for (std::size_t i = 0; i < spec.subgroups.size(); ++i) {
        const std::string &column = spec.subgroups[i];
        if (column == spec.task.label || (isFileColumn(column) && column != "group"))
            return reader.refuse("subgroups[" + std::to_string(i) + "]",
                "\"" + column + "\" is the label or a file column, not a case attribute");
    }
    if (spec.table)
        for (std::size_t i = 0; i < spec.table->features.size(); ++i) {
            const std::string &column = spec.table->features[i].name;
            if (column == spec.task.label || isFileColumn(column))
                return reader.refuse("table.features[" + std::to_string(i) + "].name",
                    "\"" + column + "\" is the label or a reserved column, not a feature");
        }

    // Feature names are unique across sections: a model column has one meaning.
    std::set<std::string> names;
    const auto claim = [&](const std::string &name, const std::string &where) -> Result<void> {
        if (!names.insert(name).second)
            return reader.refuse(where, "the feature name \"" + name + "\" is used by an earlier feature");
        return {};
    };
    if (spec.imaging)
        for (std::size_t i = 0; i < spec.imaging->tags.size(); ++i)
            if (auto ok = claim(spec.imaging->prefix + spec.imaging->tags[i],
                    "imaging.features[" + std::to_string(i) + "]");
                !ok)
                return std::unexpected(ok.error());
    if (spec.genomics) {
        const auto definitions = spec.genomics->spec.definitions();
        for (const FeatureDefinition &definition : definitions)
            if (auto ok = claim(definition.name, "genomics"); !ok)
                return std::unexpected(ok.error());
    }
    if (spec.records)
        for (std::size_t i = 0; i < spec.records->spec.features().size(); ++i)
            if (auto ok = claim(spec.records->spec.features()[i].name,
                    "records.features[" + std::to_string(i) + "].name");
                !ok)
                return std::unexpected(ok.error());
    if (spec.table)
        for (std::size_t i = 0; i < spec.table->features.size(); ++i)
            if (auto ok
                = claim(spec.table->features[i].name, "table.features[" + std::to_string(i) + "].name");
                !ok)
                return std::unexpected(ok.error());
    return spec;
}

Result<ModelSpec> ModelSpec::readFile(
    const std::filesystem::path &path, std::shared_ptr<const records::UcumUnits> units)
{
    auto text = readSmallFile(path, kMaxModelSpecBytes);
    if (!text)
        return std::unexpected(text.error());
    return fromJson(*text, path.filename().string(), path.parent_path(), std::move(units));
}

std::string ModelSpec::toJson() const
{
    OrderedJson root;
    root["format"] = "mosaic-model-spec";
    root["version"] = 1;
    root["name"] = name;
    OrderedJson taskJson;
    taskJson["type"] = task.type == TaskType::Binary ? "binary" : "multiclass";
    taskJson["label"] = task.label;
    taskJson["outcome"] = task.outcome;
    if (!task.classes.empty())
        taskJson["classes"] = task.classes;
    root["task"] = std::move(taskJson);
    if (imaging) {
        OrderedJson section;
        section["roi"] = imaging->roi;
        section["prefix"] = imaging->prefix;
        section["settings"] = OrderedJson::parse(imaging->settings.toJson());
        section["features"] = imaging->tags;
        root["imaging"] = std::move(section);
    }
    if (genomics)
        root["genomics"] = OrderedJson::parse(genomics->json);
    if (records) {
        OrderedJson section = OrderedJson::parse(records->json);
        if (records->indexDate)
            section["index_date"] = records->indexDate->text;
        root["records"] = std::move(section);
    }
    if (table) {
        OrderedJson section;
        if (table->allColumns) {
            section["all_columns"] = std::string(modalityName(*table->allColumns));
            section["exclude"] = table->exclude;
        } else {
            section["features"] = OrderedJson::array();
            for (const FeatureDefinition &feature : table->features)
                section["features"].push_back(
                    { { "name", feature.name }, { "modality", std::string(modalityName(feature.modality)) },
                        { "unit", feature.unit }, { "description", feature.description } });
        }
        root["table"] = std::move(section);
    }
    root["subgroups"] = subgroups;
    if (!trainingJson.empty())
        root["training"] = OrderedJson::parse(trainingJson);
    if (!abstentionJson.empty())
        root["abstention"] = OrderedJson::parse(abstentionJson);
    root["intended_use"] = intendedUse;
    root["limitations"] = limitations;
    return root.dump(2) + "\n";
}

std::vector<std::string> ModelSpec::reservedColumns() const
{
    std::vector<std::string> columns = fileColumns();
    columns.push_back(task.label);
    return columns;
}

Result<std::vector<FeatureDefinition>> ModelSpec::tableFeatures(
    std::span<const std::string> manifestColumns) const
{
    if (!table)
        return std::vector<FeatureDefinition> {};
    if (!table->allColumns)
        return table->features;
    if (manifestColumns.empty())
        return fail(ErrorCode::InvalidArgument,
            "the table section reads all manifest columns; its features are known once a manifest is read",
            sourceName + ", table.all_columns");
    const std::vector<std::string> reserved = reservedColumns();
    const auto listed = [](const std::vector<std::string> &list, const std::string &wanted) {
        return std::find(list.begin(), list.end(), wanted) != list.end();
    };
    std::vector<FeatureDefinition> features;
    for (const std::string &column : manifestColumns)
        if (!listed(reserved, column) && !listed(subgroups, column) && !listed(table->exclude, column))
            features.push_back({ column, *table->allColumns, "", "" });
    return features;
}

Result<FeatureSchema> ModelSpec::schema(std::span<const std::string> manifestColumns) const
{
    std::vector<FeatureDefinition> definitions;
    if (imaging)
        for (FeatureDefinition &definition : imaging->definitions())
            definitions.push_back(std::move(definition));
    if (genomics)
        for (FeatureDefinition &definition : genomics->spec.definitions())
            definitions.push_back(std::move(definition));
    if (records)
        for (const FeatureDefinition &definition : records->spec.schema()->definitions())
            definitions.push_back(definition);
    auto tableDefinitions = tableFeatures(manifestColumns);
    if (!tableDefinitions)
        return std::unexpected(tableDefinitions.error());
    for (FeatureDefinition &definition : *tableDefinitions)
        definitions.push_back(std::move(definition));
    auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
    if (!schema)
        return fail(schema.error().code, schema.error().detail, sourceName);
    return schema;
}

} // namespace mosaic
