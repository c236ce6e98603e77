// SPDX-License-Identifier: Apache-2.0
#include "core/genomics/genomic_features.h"

#include "core/genomics/consumer_genotype_file.h"
#include "core/genomics/expression_matrix.h"
#include "core/genomics/pgs_scoring_file.h"
#include "core/genomics/pgx_matcher.h"
#include "core/genomics/pgx_phenotype_feature.h"
#include "core/genomics/polygenic_score.h"
#include "core/genomics/vcf_reader.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

namespace mosaic {

namespace {

using Json = nlohmann::json;

constexpr std::size_t kMaxSpecBytes = 16u * 1024u * 1024u;
constexpr std::size_t kMaxEntries = 100'000;

Result<std::string> requiredString(const Json &entry, const char *key, const std::string &where)
{
    const auto it = entry.find(key);
    if (it == entry.end() || !it->is_string() || it->get_ref<const std::string &>().empty())
        return fail(ErrorCode::Malformed, std::string("'") + key + "' must be a non-empty string", where);
    return it->get<std::string>();
}

std::string optionalString(const Json &entry, const char *key)
{
    const auto it = entry.find(key);
    return it != entry.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Result<const Json *> entryList(const Json &root, const char *key, const std::string &sourceName)
{
    const auto it = root.find(key);
    if (it == root.end())
        return nullptr;
    if (!it->is_array())
        return fail(ErrorCode::Malformed, std::string("'") + key + "' must be a list", sourceName);
    if (it->size() > kMaxEntries)
        return fail(ErrorCode::LimitExceeded,
            std::string("'") + key + "' has more than " + std::to_string(kMaxEntries) + " entries",
            sourceName);
    return &*it;
}

bool isAlleleSpelling(const std::string &allele)
{
    for (const char base : allele)
        if (base != 'A' && base != 'C' && base != 'G' && base != 'T' && base != 'N')
            return false;
    return !allele.empty();
}

std::string formatValue(double value)
{
    if (std::isnan(value))
        return "missing";
    std::ostringstream text;
    text.precision(6);
    text << value;
    return text.str();
}

std::string describeCall(const std::vector<std::string> &alleles, bool phased)
{
    std::string text;
    for (std::size_t i = 0; i < alleles.size(); ++i) {
        if (i > 0)
            text += phased ? '|' : '/';
        text += alleles[i].empty() ? "." : alleles[i];
    }
    return text;
}

} // namespace

Result<GenomicFeatureSpec> GenomicFeatureSpec::fromJson(
    std::string_view text, std::string_view sourceName, const std::filesystem::path &baseFolder)
{
    const std::string source(sourceName);
    if (text.size() > kMaxSpecBytes)
        return fail(ErrorCode::LimitExceeded, "the specification is larger than 16 MB", source);
    const Json root = Json::parse(text, nullptr, false);
    if (root.is_discarded() || !root.is_object())
        return fail(ErrorCode::Malformed, "not a JSON object", source);

    GenomicFeatureSpec spec;
    std::set<std::string> names;
    auto claimName = [&](const std::string &name, const std::string &where) -> Result<void> {
        if (!names.insert(name).second)
            return fail(ErrorCode::Malformed, "feature name '" + name + "' is used twice", where);
        return {};
    };

    if (const auto it = root.find("build"); it != root.end()) {
        const GenomeBuild build
            = it->is_string() ? genomeBuildFromAssemblyName(it->get<std::string>()) : GenomeBuild::Unknown;
        if (build == GenomeBuild::Unknown)
            return fail(ErrorCode::Malformed, "'build' must name GRCh37 or GRCh38", source);
        spec.build = build;
    }
    if (const auto it = root.find("absentSites"); it != root.end()) {
        const auto rule = it->is_string() ? parseAbsentSiteRule(it->get<std::string>()) : std::nullopt;
        if (!rule)
            return fail(ErrorCode::Malformed, "'absentSites' must be \"missing\" or \"homozygous-reference\"",
                source);
        spec.absentSites = *rule;
    }

    auto variants = entryList(root, "variants", source);
    if (!variants)
        return std::unexpected(variants.error());
    if (*variants != nullptr)
        for (std::size_t i = 0; i < (*variants)->size(); ++i) {
            const Json &entry = (**variants)[i];
            const std::string where = source + ", variants[" + std::to_string(i) + "]";
            if (!entry.is_object())
                return fail(ErrorCode::Malformed, "not an object", where);
            VariantFeature feature;
            auto name = requiredString(entry, "name", where);
            auto chromosome = requiredString(entry, "chromosome", where);
            auto allele = requiredString(entry, "allele", where);
            if (!name)
                return std::unexpected(name.error());
            if (!chromosome)
                return std::unexpected(chromosome.error());
            if (!allele)
                return std::unexpected(allele.error());
            const auto position = entry.find("position");
            if (position == entry.end() || !position->is_number_integer()
                || position->get<std::int64_t>() <= 0)
                return fail(ErrorCode::Malformed, "'position' must be a positive integer", where);
            feature.name = *name;
            feature.position = { normaliseChromosome(*chromosome), position->get<std::int64_t>() };
            feature.allele = *allele;
            feature.reference = optionalString(entry, "reference");
            feature.description = optionalString(entry, "description");
            if (!isAlleleSpelling(feature.allele))
                return fail(ErrorCode::Malformed, "'allele' must be spelled with A, C, G, T or N", where);
            if (!feature.reference.empty() && !isAlleleSpelling(feature.reference))
                return fail(ErrorCode::Malformed, "'reference' must be spelled with A, C, G, T or N", where);
            if (spec.absentSites == AbsentSiteRule::HomozygousReference && feature.reference.empty())
                return fail(ErrorCode::Malformed,
                    "'reference' is required when absent sites are read as homozygous reference", where);
            if (auto claimed = claimName(feature.name, where); !claimed)
                return std::unexpected(claimed.error());
            spec.variants.push_back(std::move(feature));
        }

    auto pgx = entryList(root, "pgx", source);
    if (!pgx)
        return std::unexpected(pgx.error());
    if (*pgx != nullptr)
        for (std::size_t i = 0; i < (*pgx)->size(); ++i) {
            const Json &entry = (**pgx)[i];
            const std::string where = source + ", pgx[" + std::to_string(i) + "]";
            if (!entry.is_object())
                return fail(ErrorCode::Malformed, "not an object", where);
            auto name = requiredString(entry, "name", where);
            auto gene = requiredString(entry, "gene", where);
            if (!name)
                return std::unexpected(name.error());
            if (!gene)
                return std::unexpected(gene.error());
            if (auto claimed = claimName(*name, where); !claimed)
                return std::unexpected(claimed.error());
            spec.pgx.push_back({ *name, *gene, optionalString(entry, "description") });
        }

    auto scores = entryList(root, "scores", source);
    if (!scores)
        return std::unexpected(scores.error());
    if (*scores != nullptr)
        for (std::size_t i = 0; i < (*scores)->size(); ++i) {
            const Json &entry = (**scores)[i];
            const std::string where = source + ", scores[" + std::to_string(i) + "]";
            if (!entry.is_object())
                return fail(ErrorCode::Malformed, "not an object", where);
            auto name = requiredString(entry, "name", where);
            auto file = requiredString(entry, "file", where);
            if (!name)
                return std::unexpected(name.error());
            if (!file)
                return std::unexpected(file.error());
            if (auto claimed = claimName(*name, where); !claimed)
                return std::unexpected(claimed.error());
            std::filesystem::path path(*file);
            if (path.is_relative() && !baseFolder.empty())
                path = baseFolder / path;
            spec.scores.push_back({ *name, path, optionalString(entry, "description") });
        }

    if (const auto it = root.find("expression"); it != root.end()) {
        const std::string where = source + ", expression";
        if (!it->is_object())
            return fail(ErrorCode::Malformed, "not an object", where);
        if (const auto normalisation = it->find("normalisation"); normalisation != it->end()) {
            auto settings
                = ExpressionNormalisationSettings::fromJson(normalisation->dump(), where + ".normalisation");
            if (!settings)
                return std::unexpected(settings.error());
            spec.expressionNormalisation = *settings;
        }
        auto probes = entryList(*it, "probes", where);
        if (!probes)
            return std::unexpected(probes.error());
        if (*probes != nullptr)
            for (std::size_t i = 0; i < (*probes)->size(); ++i) {
                const Json &entry = (**probes)[i];
                const std::string at = where + ".probes[" + std::to_string(i) + "]";
                if (!entry.is_object())
                    return fail(ErrorCode::Malformed, "not an object", at);
                auto name = requiredString(entry, "name", at);
                auto probe = requiredString(entry, "probe", at);
                if (!name)
                    return std::unexpected(name.error());
                if (!probe)
                    return std::unexpected(probe.error());
                if (auto claimed = claimName(*name, at); !claimed)
                    return std::unexpected(claimed.error());
                spec.expression.push_back({ *name, *probe, optionalString(entry, "description") });
            }
    }

    if (names.empty())
        return fail(ErrorCode::Malformed, "the specification names no genomic feature", source);
    return spec;
}

Result<GenomicFeatureSpec> GenomicFeatureSpec::readFile(const std::filesystem::path &path)
{
    const std::string name = path.filename().string();
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec)
        return fail(ErrorCode::NotFound, "the file cannot be read", name);
    if (size > kMaxSpecBytes)
        return fail(ErrorCode::LimitExceeded, "the specification is larger than 16 MB", name);
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof())
        return fail(ErrorCode::NotFound, "the file cannot be read", name);
    return fromJson(text.str(), name, path.parent_path());
}

std::vector<FeatureDefinition> GenomicFeatureSpec::definitions() const
{
    std::vector<FeatureDefinition> definitions;
    for (const VariantFeature &feature : variants)
        definitions.push_back({ feature.name, Modality::Genomics, "",
            feature.description.empty() ? feature.allele + " copies at " + feature.position.first + ":"
                    + std::to_string(feature.position.second)
                                        : feature.description });
    for (const PgxFeature &feature : pgx)
        definitions.push_back({ feature.name, Modality::Genomics, "",
            feature.description.empty() ? feature.gene + " phenotype (ordinal)" : feature.description });
    for (const ScoreFeature &feature : scores)
        definitions.push_back({ feature.name, Modality::Genomics, "",
            feature.description.empty() ? "Polygenic score " + feature.scoringFile.filename().string()
                                        : feature.description });
    for (const ExpressionFeature &feature : expression)
        definitions.push_back({ feature.name, Modality::Genomics, "",
            feature.description.empty() ? "Expression of " + feature.probe : feature.description });
    return definitions;
}

std::set<GenomicPosition> GenomicFeatureSpec::variantPositions() const
{
    std::set<GenomicPosition> positions;
    for (const VariantFeature &feature : variants)
        positions.insert(feature.position);
    return positions;
}

GenomicFeatureValue variantDosage(
    const VariantFeature &feature, const SampleGenotypes &genotypes, AbsentSiteRule rule)
{
    GenomicFeatureValue result;
    result.name = feature.name;
    result.provenance.source = genotypes.sourceName();
    const std::string site = feature.position.first + ":" + std::to_string(feature.position.second);

    const auto call = genotypes.lookup(feature.position, feature.reference, rule);
    if (!call) {
        result.provenance.location = site + ": not in the file (absent sites read as missing)";
        return result;
    }
    std::string where = site;
    const std::vector<const SiteGenotype *> records = genotypes.at(feature.position);
    if (call->listed && !records.empty())
        where += " (record " + std::to_string(records.front()->line) + ")";
    else
        where += ": not in the file, read as homozygous reference";
    where += ", genotype " + describeCall(call->alleles, call->phased) + ", copies of " + feature.allele;

    const bool anyMissing = std::any_of(
        call->alleles.begin(), call->alleles.end(), [](const std::string &allele) { return allele.empty(); });
    // DS is the expected number of ALT copies; it answers for a biallelic record's ALT or REF.
    if (call->dosage && records.size() == 1 && records.front()->alternates.size() == 1
        && std::isfinite(*call->dosage)) {
        const SiteGenotype &record = *records.front();
        const double ploidy = static_cast<double>(record.alleles.size());
        if (feature.allele == record.alternates.front()) {
            result.value = *call->dosage;
            result.provenance.location = where + " (from DS)";
            return result;
        }
        if (feature.allele == record.reference && ploidy > 0) {
            result.value = ploidy - *call->dosage;
            result.provenance.location = where + " (from DS)";
            return result;
        }
    }
    if (anyMissing || call->alleles.empty()) {
        result.provenance.location = where + ": no call";
        return result;
    }
    result.value
        = static_cast<double>(std::count(call->alleles.begin(), call->alleles.end(), feature.allele));
    result.provenance.location = where;
    return result;
}

namespace {

// Two builds conflict only when both are known and differ.
bool buildsConflict(GenomeBuild a, GenomeBuild b)
{
    return a != GenomeBuild::Unknown && b != GenomeBuild::Unknown && a != b;
}

std::string buildConflict(std::string_view what, GenomeBuild theirs, GenomeBuild genotypes)
{
    return std::string(what) + " positions are on " + std::string(genomeBuildName(theirs))
        + " but the genotypes are on " + std::string(genomeBuildName(genotypes));
}

// The evidence a clinician reads for a PGx call: the positions where the person carries a
// non-reference allele (homozygous-reference positions only confirm the reference and are counted).
GenomicFeatureValue pgxValue(
    const PgxFeature &feature, const PgxPhenotypeFeature &pgx, const PgxGeneDefinition &gene)
{
    std::map<std::int64_t, std::string> references;
    for (const PgxVariant &variant : gene.variants)
        references.emplace(variant.position, variant.reference);
    GenomicFeatureValue result;
    result.name = feature.name;
    if (pgx.value)
        result.value = *pgx.value;
    result.provenance.source = pgx.source;
    std::string location = pgx.gene + " " + (pgx.diplotype.empty() ? std::string("no call") : pgx.diplotype)
        + " (" + std::string(pgxCallQualityName(pgx.quality)) + ")";
    if (!pgx.phenotype.empty())
        location += ", " + pgx.phenotype;
    location += ", definitions " + pgx.definitionsVersion;
    std::size_t missing = 0;
    std::size_t reference = 0;
    for (const PgxFeatureEvidence &evidence : pgx.provenance) {
        if (evidence.missing) {
            ++missing;
            continue;
        }
        if (const auto it = references.find(evidence.position); it != references.end()
            && (evidence.genotype == it->second + "/" + it->second
                || evidence.genotype == it->second + "|" + it->second)) {
            ++reference;
            continue;
        }
        location += "; " + evidence.chromosome + ":" + std::to_string(evidence.position);
        if (!evidence.rsid.empty())
            location += " " + evidence.rsid;
        location += " " + evidence.genotype;
        for (const std::string &definition : evidence.alleleDefinitions)
            location += " [" + definition + "]";
    }
    if (reference > 0)
        location += "; " + std::to_string(reference) + " positions homozygous reference";
    if (missing > 0)
        location += "; " + std::to_string(missing) + (missing == 1 ? " position" : " positions") + " missing";
    result.provenance.location = std::move(location);
    return result;
}

// What the normalisation did, for provenance: "clip 100..16000, log2(x + 0)".
std::string describeNormalisation(const ExpressionNormalisationSettings &settings)
{
    std::string text;
    auto add = [&text](const std::string &step) { text += (text.empty() ? "" : ", ") + step; };
    if (settings.floor || settings.ceiling)
        add("clip " + (settings.floor ? formatValue(*settings.floor) : std::string("-inf")) + ".."
            + (settings.ceiling ? formatValue(*settings.ceiling) : std::string("inf")));
    if (settings.variationFilter)
        add("variation filter");
    if (settings.logBase != ExpressionLogBase::None)
        add(std::string(settings.logBase == ExpressionLogBase::Two ? "log2" : "log10") + "(x + "
            + formatValue(settings.logOffset) + ")");
    if (settings.quantileNormalise)
        add("quantile");
    if (settings.zScorePerProbe)
        add("z-score");
    return text.empty() ? "none" : text;
}

Result<std::vector<GenomicFeatureValue>> expressionValues(
    const GenomicFeatureSpec &spec, const GenomicFeatureInputs &inputs)
{
    if (inputs.expression.empty())
        return fail(ErrorCode::InvalidArgument, "expression features need an expression profile");
    auto matrix = readExpressionMatrix(inputs.expression);
    if (!matrix)
        return std::unexpected(matrix.error());
    const std::string source = matrix->sourceName();
    std::size_t column = 0;
    if (inputs.expressionSample.empty()) {
        if (matrix->sampleCount() != 1)
            return fail(ErrorCode::InvalidArgument,
                "the matrix has " + std::to_string(matrix->sampleCount()) + " samples; name the one to read",
                source);
    } else {
        const auto index = matrix->sampleIndex(inputs.expressionSample);
        if (!index) // the requested id is an identifier: not repeated in the message
            return fail(ErrorCode::NotFound, "the requested sample is not in the matrix", source);
        column = *index;
    }
    const std::size_t columns[] = { column };
    const ExpressionMatrix person = matrix->selectSamples(columns);

    const ExpressionNormalisationSettings &settings = spec.expressionNormalisation;
    const bool learnsFromCohort
        = settings.variationFilter || settings.quantileNormalise || settings.zScorePerProbe;
    std::optional<ExpressionNormaliser> normaliser;
    if (inputs.fittedExpression != nullptr) {
        if (!(inputs.fittedExpression->settings == settings))
            return fail(ErrorCode::InvalidArgument,
                "the fitted normalisation's settings differ from the specification's", source);
        normaliser = ExpressionNormaliser::fromFitted(*inputs.fittedExpression);
    } else if (learnsFromCohort) {
        return fail(ErrorCode::InvalidArgument,
            "the specification's expression normalisation (" + describeNormalisation(settings)
                + ") learns from the training cohort; its fitted statistics come with a model bundle",
            source);
    } else {
        auto fitted = ExpressionNormaliser::fit(person, settings); // per-sample steps only: nothing learnt
        if (!fitted)
            return std::unexpected(fitted.error());
        normaliser = std::move(*fitted);
    }
    auto normalised = normaliser->apply(person);
    if (!normalised)
        return std::unexpected(normalised.error());

    std::vector<GenomicFeatureValue> values;
    for (const ExpressionFeature &feature : spec.expression) {
        GenomicFeatureValue value;
        value.name = feature.name;
        value.provenance.source = source;
        const auto raw = person.probeIndex(feature.probe);
        if (!raw) {
            value.provenance.location = "probe " + feature.probe + ": not in the matrix";
            values.push_back(std::move(value));
            continue;
        }
        const auto kept = normalised->probeIndex(feature.probe);
        if (kept)
            value.value = normalised->value(*kept, 0);
        value.provenance.location = "probe " + feature.probe + ", sample column " + std::to_string(column + 1)
            + ": measured " + formatValue(person.value(*raw, 0)) + ", normalised ("
            + describeNormalisation(settings) + ") " + formatValue(value.value);
        values.push_back(std::move(value));
    }
    return values;
}

} // namespace

Result<std::vector<GenomicFeatureValue>> extractGenomicFeatures(
    const GenomicFeatureSpec &spec, const GenomicFeatureInputs &inputs)
{
    const std::string fileName = inputs.genotypes.filename().string();

    // The scoring files first: their positions are among the sites to keep.
    std::vector<PgsScoringFile> scores;
    for (const ScoreFeature &feature : spec.scores) {
        auto score = readPgsScoringFile(feature.scoringFile);
        if (!score)
            return std::unexpected(score.error());
        scores.push_back(std::move(*score));
    }
    if (!spec.pgx.empty() && inputs.pgxDefinitions == nullptr)
        return fail(ErrorCode::InvalidArgument, "pharmacogenomic features need the allele definitions");
    std::vector<const PgxGeneDefinition *> genes;
    for (const PgxFeature &feature : spec.pgx) {
        const PgxGeneDefinition *gene = inputs.pgxDefinitions->gene(feature.gene);
        if (gene == nullptr)
            return fail(ErrorCode::NotFound, "the allele definitions have no gene '" + feature.gene + "'",
                "feature '" + feature.name + "'");
        genes.push_back(gene);
    }

    std::set<GenomicPosition> positions = spec.variantPositions();
    for (const PgxGeneDefinition *gene : genes)
        for (const PgxVariant &variant : gene->variants)
            positions.insert({ gene->chromosome, variant.position });
    for (const PgsScoringFile &score : scores)
        for (const PgsVariant &variant : score.variants)
            if (variant.hasPosition())
                positions.insert({ variant.chromosome, variant.position });

    std::vector<GenomicFeatureValue> values;
    const bool needsGenotypes = !spec.variants.empty() || !spec.pgx.empty() || !spec.scores.empty();
    if (!needsGenotypes)
        return spec.expression.empty() ? values : expressionValues(spec, inputs);
    if (inputs.genotypes.empty())
        return fail(
            ErrorCode::InvalidArgument, "variant, pharmacogenomic and score features need a genotype file");

    // The builds are checked before the genome is read: positions on different builds never match.
    auto checkBuilds = [&](GenomeBuild build) -> Result<void> {
        if (!spec.variants.empty() && buildsConflict(spec.build, build))
            return fail(ErrorCode::InvalidArgument,
                buildConflict("the specification's variant", spec.build, build), fileName);
        for (const PgxGeneDefinition *gene : genes)
            if (buildsConflict(gene->build, build))
                return fail(ErrorCode::InvalidArgument,
                    buildConflict("the " + gene->gene + " allele definitions'", gene->build, build),
                    fileName);
        return {};
    };

    // One read of the genotype file, keeping the wanted sites.
    std::optional<SampleGenotypes> genotypes;
    GenomeBuild build = GenomeBuild::Unknown;
    if (detectConsumerGenotypeFormat(inputs.genotypes)) {
        auto file = readConsumerGenotypeFile(inputs.genotypes);
        if (!file)
            return std::unexpected(file.error());
        build = file->build;
        if (auto checked = checkBuilds(build); !checked)
            return std::unexpected(checked.error());
        genotypes.emplace(std::move(file->genotypes));
    } else {
        auto reader = VcfReader::open(inputs.genotypes); // the header, for its stated build
        if (!reader)
            return std::unexpected(reader.error());
        build = reader->genomeBuild();
        if (auto checked = checkBuilds(build); !checked)
            return std::unexpected(checked.error());
        if (positions.empty()) { // an empty filter would keep every record of a whole genome
            genotypes.emplace(fileName, std::vector<SiteGenotype> {});
        } else {
            auto read = SampleGenotypes::fromVcf(inputs.genotypes, inputs.sample, positions);
            if (!read)
                return std::unexpected(read.error());
            genotypes.emplace(std::move(*read));
        }
    }

    for (const VariantFeature &feature : spec.variants)
        values.push_back(variantDosage(feature, *genotypes, spec.absentSites));

    for (std::size_t i = 0; i < spec.pgx.size(); ++i) {
        const PgxGeneDefinition &gene = *genes[i];
        const auto outside = std::find_if(inputs.outsideCalls.begin(), inputs.outsideCalls.end(),
            [&](const PgxOutsideCall &call) { return call.gene == gene.gene; });
        const PgxPhenotypeTable *table = inputs.pgxDefinitions->phenotypeTable(gene.gene);
        PgxGeneCall call;
        if (outside != inputs.outsideCalls.end()) {
            call = pgxOutsideGeneCall(*outside, table, inputs.outsideCallsSource);
        } else {
            PgxMatchOptions options;
            options.absentSiteRule = spec.absentSites;
            auto matched = matchPgxGene(gene, table, *genotypes, options);
            if (!matched)
                return std::unexpected(matched.error());
            call = std::move(*matched);
        }
        values.push_back(
            pgxValue(spec.pgx[i], pgxPhenotypeFeature(call, gene, genotypes->sourceName()), gene));
    }

    for (std::size_t i = 0; i < spec.scores.size(); ++i) {
        PgsScoringOptions options;
        options.genotypeBuild = build;
        auto scored = scoreSample(scores[i], *genotypes, options);
        if (!scored)
            return std::unexpected(scored.error());
        GenomicFeatureValue value;
        value.name = spec.scores[i].name;
        const SampleScore &sample = scored->samples.at(0);
        if (scored->variantsMatched > 0)
            value.value = sample.score;
        value.provenance.source = genotypes->sourceName();
        value.provenance.location = (scores[i].pgsId.empty() ? scores[i].sourceName : scores[i].pgsId) + ": "
            + std::to_string(sample.variantsUsed) + " of " + std::to_string(scored->variantsInScore)
            + " variants used (" + std::to_string(scored->variantsMatched) + " matched, "
            + std::to_string(scored->matchedByStrandFlip) + " by strand flip, "
            + std::to_string(sample.variantsMissing) + " missing genotypes)";
        values.push_back(std::move(value));
    }
    if (!spec.expression.empty()) {
        auto expression = expressionValues(spec, inputs);
        if (!expression)
            return std::unexpected(expression.error());
        values.insert(values.end(), expression->begin(), expression->end());
    }
    return values;
}

Result<FeatureVector> toFeatureVector(
    const std::vector<GenomicFeatureValue> &values, std::shared_ptr<const FeatureSchema> schema)
{
    FeatureVector vector(std::move(schema));
    for (const GenomicFeatureValue &value : values)
        if (auto set = vector.set(value.name, value.value, value.provenance); !set)
            return std::unexpected(set.error());
    return vector;
}

} // namespace mosaic
