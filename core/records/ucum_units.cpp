// SPDX-License-Identifier: Apache-2.0
// Grammar: UCUM section 2 ("Syntax Rules") and its BNF, case-sensitive form:
//   main-term  ::= "/" term | term
//   term       ::= term "." component | term "/" component | component      (left-associative)
//   component  ::= annotatable annotation | annotatable | annotation | factor | "(" term ")"
//   annotatable ::= simple-unit exponent | simple-unit
//   simple-unit ::= ATOM | PREFIX ATOM[metric]
// so "mg/dL/h" is mg/(dL.h) and "kg/m2" is kg/m^2. Special units stand alone (UCUM section 21:
// they cannot take part in algebraic terms), hence "Cel/h" is refused rather than read as K/h.
#include "core/records/ucum_units.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <expat.h>
#include <fstream>
#include <functional>
#include <iterator>

namespace mosaic::records {

namespace {

constexpr std::string_view kEssenceNamespace = "http://unitsofmeasure.org/ucum-essence";
// The official table is 83 KB; anything past this is not a unit table.
constexpr std::uintmax_t kMaxEssenceFileBytes = 16u << 20;
constexpr std::size_t kMaxTableEntries = 10'000;
constexpr int kMaxXmlDepth = 16;
// Units defined through units defined through ...: the real table nests about 8 deep.
constexpr int kMaxDefinitionDepth = 64;
// A dimension exponent beyond this is not a unit anyone measures in.
constexpr int kMaxDimensionExponent = 10'000;

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

// A unit string as it may appear in an error: printable ASCII only, and not too long.
std::string printable(std::string_view text)
{
    constexpr std::size_t kShown = 64;
    std::string shown;
    for (const char c : text.substr(0, kShown))
        shown += (c >= 32 && c <= 126) ? c : '?';
    if (text.size() > kShown)
        shown += "...";
    return shown;
}

std::string unitLocation(std::string_view unit, std::size_t position)
{
    return "unit '" + printable(unit) + "', position " + std::to_string(position + 1);
}

std::optional<double> parseNumber(std::string_view text)
{
    double value = 0.0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc {} || end != text.data() + text.size() || !std::isfinite(value))
        return std::nullopt;
    return value;
}

// Resolves a prefix-less code to its table entry, nullptr when there is none. While the table
// loads this resolves definitions on demand; afterwards every entry is already resolved.
using AtomLookup = std::function<Result<const UcumUnits::Atom *>(std::string_view code)>;

class ExpressionParser
{
public:
    ExpressionParser(std::string_view text, const std::vector<std::pair<std::string, double>> &prefixes,
        const AtomLookup &lookup)
        : m_text(text)
        , m_prefixes(prefixes)
        , m_lookup(lookup)
    { }

    Result<ParsedUnit> parse()
    {
        if (m_text.empty())
            return fail(
                ErrorCode::Malformed, "an empty string is not a unit (UCUM writes '1' for none)", "unit ''");
        if (m_text.size() > kMaxUcumExpressionLength)
            return fail(ErrorCode::LimitExceeded,
                "the unit is " + std::to_string(m_text.size()) + " characters long; the limit is "
                    + std::to_string(kMaxUcumExpressionLength),
                "unit '" + printable(m_text) + "'");
        for (std::size_t i = 0; i < m_text.size(); ++i) {
            const auto c = static_cast<unsigned char>(m_text[i]);
            if (c == ' ')
                return error(ErrorCode::Malformed, "a space is not allowed in a UCUM unit", i);
            if (c < 33 || c > 126)
                return error(
                    ErrorCode::Malformed, "only printable ASCII characters may appear in a UCUM unit", i);
        }
        Result<ParsedUnit> result;
        if (m_text.front() == '/') {
            m_position = 1;
            if (m_position == m_text.size())
                return error(ErrorCode::Malformed, "a unit is missing after '/'", m_position);
            auto divisor = term(0);
            if (!divisor)
                return divisor;
            result = combine(ParsedUnit {}, *divisor, -1, 0);
        } else {
            result = term(0);
        }
        if (!result)
            return result;
        if (m_position < m_text.size()) {
            if (m_text[m_position] == ')')
                return error(ErrorCode::Malformed, "')' has no matching '('", m_position);
            return error(ErrorCode::Malformed,
                std::string("unexpected '") + m_text[m_position] + "'; units are joined by '.' or '/'",
                m_position);
        }
        return result;
    }

private:
    std::unexpected<Error> error(ErrorCode code, std::string detail, std::size_t position) const
    {
        return fail(code, std::move(detail), unitLocation(m_text, position));
    }

    Result<ParsedUnit> term(int depth)
    {
        auto result = component(depth);
        if (!result)
            return result;
        while (m_position < m_text.size() && (m_text[m_position] == '.' || m_text[m_position] == '/')) {
            const char op = m_text[m_position];
            const std::size_t opPosition = m_position++;
            if (m_position == m_text.size())
                return error(
                    ErrorCode::Malformed, std::string("a unit is missing after '") + op + "'", m_position);
            const char next = m_text[m_position];
            if (next == '.' || next == '/' || next == ')')
                return error(ErrorCode::Malformed,
                    std::string("a unit is missing between '") + op + "' and '" + next + "'", m_position);
            auto operand = component(depth);
            if (!operand)
                return operand;
            result = combine(std::move(*result), *operand, op == '.' ? 1 : -1, opPosition);
            if (!result)
                return result;
        }
        return result;
    }

    // After a component only an operator, a closing parenthesis or the end may follow.
    Result<void> expectOperatorOrEnd() const
    {
        if (m_position == m_text.size())
            return {};
        const char next = m_text[m_position];
        if (next == '.' || next == '/' || next == ')')
            return {};
        return error(ErrorCode::Malformed,
            std::string("unexpected '") + next + "'; units are joined by '.' or '/'", m_position);
    }

    Result<ParsedUnit> component(int depth)
    {
        const std::size_t start = m_position;
        const char first = m_text[m_position];
        Result<ParsedUnit> result;
        if (first == '(') {
            if (depth + 1 > kMaxUcumNesting)
                return error(ErrorCode::LimitExceeded,
                    "parentheses nest deeper than " + std::to_string(kMaxUcumNesting), m_position);
            ++m_position;
            if (m_position == m_text.size())
                return error(ErrorCode::Malformed, "'(' is not closed", start);
            if (m_text[m_position] == ')')
                return error(ErrorCode::Malformed, "empty parentheses", start);
            result = term(depth + 1);
            if (!result)
                return result;
            if (m_position == m_text.size() || m_text[m_position] != ')')
                return error(ErrorCode::Malformed, "'(' is not closed", start);
            ++m_position;
        } else if (first == '{') {
            if (auto annotated = annotation(); !annotated)
                return std::unexpected(annotated.error());
            result = ParsedUnit {}; // an annotation alone counts as the unit 1: "{beats}/min" is /min
        } else if (first == ')') {
            return error(ErrorCode::Malformed, "')' has no matching '('", m_position);
        } else if (first == '}') {
            return error(ErrorCode::Malformed, "'}' has no matching '{'", m_position);
        } else if (first == '.' || first == '/') {
            return error(
                ErrorCode::Malformed, std::string("a unit is missing before '") + first + "'", m_position);
        } else {
            result = annotatable();
            if (!result)
                return result;
            if (m_position < m_text.size() && m_text[m_position] == '{') {
                if (auto annotated = annotation(); !annotated)
                    return std::unexpected(annotated.error());
            }
        }
        if (auto next = expectOperatorOrEnd(); !next)
            return std::unexpected(next.error());
        return result;
    }

    // "{...}": printable ASCII without braces (UCUM 2.4, annotations). Its text carries no meaning.
    Result<void> annotation()
    {
        const std::size_t start = m_position;
        for (++m_position; m_position < m_text.size(); ++m_position) {
            if (m_text[m_position] == '}') {
                ++m_position;
                return {};
            }
            if (m_text[m_position] == '{')
                return error(ErrorCode::Malformed, "annotations cannot nest", m_position);
        }
        return error(ErrorCode::Malformed, "'{' is not closed", start);
    }

    // A simple unit with its exponent ("mm[Hg]", "s-1", "10*9", "[in_i]2"), or an integer factor.
    Result<ParsedUnit> annotatable()
    {
        const std::size_t start = m_position;
        while (m_position < m_text.size()) {
            const char c = m_text[m_position];
            if (c == '[') {
                // Square brackets belong to the unit's name and may hold '.', '/' and digits.
                const std::size_t close = m_text.find(']', m_position);
                if (close == std::string_view::npos)
                    return error(ErrorCode::Malformed, "'[' is not closed", m_position);
                m_position = close + 1;
                continue;
            }
            if (c == ']')
                return error(ErrorCode::Malformed, "']' has no matching '['", m_position);
            if (c == '.' || c == '/' || c == '(' || c == ')' || c == '{' || c == '}')
                break;
            ++m_position;
        }
        const std::string_view run = m_text.substr(start, m_position - start);
        if (std::ranges::all_of(run, isDigit)) {
            const auto factor = parseNumber(run);
            if (!factor || *factor == 0.0)
                return error(ErrorCode::LimitExceeded,
                    "the factor '" + printable(run) + "' is zero or too large", start);
            ParsedUnit unit;
            unit.factor = *factor;
            return unit;
        }
        // Trailing digits, with an optional sign, are the exponent: "s-1", "10*-3", "m2".
        std::size_t symbolEnd = run.size();
        while (symbolEnd > 0 && isDigit(run[symbolEnd - 1]))
            --symbolEnd;
        const std::size_t digitsStart = symbolEnd;
        if (digitsStart < run.size() && symbolEnd > 0
            && (run[symbolEnd - 1] == '+' || run[symbolEnd - 1] == '-'))
            --symbolEnd;
        const std::string_view symbol = run.substr(0, symbolEnd);
        const std::string_view exponentText = run.substr(symbolEnd);
        if (symbol.empty())
            return error(ErrorCode::Malformed, "an exponent needs a unit before it", start);
        int exponent = 1;
        const bool hasExponent = !exponentText.empty();
        if (hasExponent) {
            const std::size_t digitCount = run.size() - digitsStart;
            if (digitCount > 3)
                return error(ErrorCode::LimitExceeded,
                    "the exponent '" + printable(exponentText) + "' exceeds "
                        + std::to_string(kMaxUcumExponent),
                    start + symbolEnd);
            const std::string_view unsignedText
                = exponentText.front() == '+' ? exponentText.substr(1) : exponentText;
            std::from_chars(unsignedText.data(), unsignedText.data() + unsignedText.size(), exponent);
        }
        auto atomWithPrefix = findSymbol(symbol, start);
        if (!atomWithPrefix)
            return std::unexpected(atomWithPrefix.error());
        const auto [atom, prefixFactor] = *atomWithPrefix;
        ParsedUnit unit = atom->resolved;
        if (unit.isSpecial()) {
            if (hasExponent && exponent != 1)
                return error(ErrorCode::Malformed,
                    "'" + atom->code + "' has a special (non-ratio) conversion and cannot take an exponent",
                    start + symbolEnd);
            unit.specialPrefix = prefixFactor;
            return unit;
        }
        unit.factor = std::pow(unit.factor * prefixFactor, exponent);
        if (!std::isfinite(unit.factor) || unit.factor == 0.0)
            return error(ErrorCode::LimitExceeded,
                "'" + printable(run) + "' is too large or too small for a double", start);
        for (int &power : unit.dimension.base)
            power *= exponent;
        for (auto it = unit.dimension.arbitrary.begin(); it != unit.dimension.arbitrary.end();) {
            it->second *= exponent;
            it = it->second == 0 ? unit.dimension.arbitrary.erase(it) : std::next(it);
        }
        return unit;
    }

    // An atom of the table, or a prefix followed by a metric atom. An exact atom wins, so "Pa" is
    // the pascal and "cd" the candela; longer prefixes are tried first ("da" before "d").
    Result<std::pair<const UcumUnits::Atom *, double>> findSymbol(
        std::string_view symbol, std::size_t start) const
    {
        auto exact = m_lookup(symbol);
        if (!exact)
            return std::unexpected(exact.error());
        if (*exact)
            return std::pair { *exact, 1.0 };
        std::optional<Error> nonMetric;
        for (const auto &[prefix, factor] : m_prefixes) {
            if (symbol.size() <= prefix.size() || !symbol.starts_with(prefix))
                continue;
            auto atom = m_lookup(symbol.substr(prefix.size()));
            if (!atom)
                return std::unexpected(atom.error());
            if (!*atom)
                continue;
            if (!(*atom)->isMetric) {
                if (!nonMetric)
                    nonMetric = error(ErrorCode::Malformed,
                        "'" + (*atom)->code + "' is not a metric unit and takes no prefix such as '" + prefix
                            + "'",
                        start)
                                    .error();
                continue;
            }
            return std::pair { *atom, factor };
        }
        if (nonMetric)
            return std::unexpected(*nonMetric);
        return error(ErrorCode::Malformed, "'" + printable(symbol) + "' is not a UCUM unit", start);
    }

    Result<ParsedUnit> combine(ParsedUnit left, const ParsedUnit &right, int sign, std::size_t position) const
    {
        if (left.isSpecial() || right.isSpecial())
            return error(ErrorCode::Malformed,
                "a unit with a special (non-ratio) conversion such as Cel or [degF] stands alone; it cannot "
                "be "
                "multiplied or divided",
                position);
        left.factor = sign > 0 ? left.factor * right.factor : left.factor / right.factor;
        if (!std::isfinite(left.factor) || left.factor == 0.0)
            return error(ErrorCode::LimitExceeded, "the unit's factor is too large or too small for a double",
                position);
        for (std::size_t i = 0; i < kUcumBaseUnitCount; ++i) {
            left.dimension.base[i] += sign * right.dimension.base[i];
            if (std::abs(left.dimension.base[i]) > kMaxDimensionExponent)
                return error(ErrorCode::LimitExceeded,
                    "a dimension's exponent exceeds " + std::to_string(kMaxDimensionExponent), position);
        }
        for (const auto &[code, power] : right.dimension.arbitrary) {
            const int sum = (left.dimension.arbitrary[code] += sign * power);
            if (sum == 0)
                left.dimension.arbitrary.erase(code);
            else if (std::abs(sum) > kMaxDimensionExponent)
                return error(ErrorCode::LimitExceeded,
                    "a dimension's exponent exceeds " + std::to_string(kMaxDimensionExponent), position);
        }
        return left;
    }

    std::string_view m_text;
    std::size_t m_position = 0;
    const std::vector<std::pair<std::string, double>> &m_prefixes;
    const AtomLookup &m_lookup;
};

// ---- Reading the essence table with expat ----

enum class Entry { None, Prefix, BaseUnit, Unit };

struct EssenceReader
{
    XML_Parser parser = nullptr;
    std::string fileName;
    std::optional<Error> error;
    int depth = 0;
    Entry entry = Entry::None;
    long entryLine = 0;
    std::string code;
    std::string dimensionLetter;
    bool isMetric = false;
    bool isSpecial = false;
    bool isArbitrary = false;
    std::optional<std::string> valueText;
    std::optional<std::string> valueUnit;
    std::optional<std::string> functionName;
    std::optional<std::string> functionValue;
    std::optional<std::string> functionUnit;

    std::vector<std::pair<std::string, double>> prefixes;
    std::vector<UcumUnits::Atom> atoms;
    std::vector<std::string> baseLetters;

    long line() const { return static_cast<long>(XML_GetCurrentLineNumber(parser)); }

    void stop(ErrorCode errorCode, std::string detail, long atLine)
    {
        if (!error)
            error = Error { errorCode, std::move(detail), fileName + ", line " + std::to_string(atLine) };
        XML_StopParser(parser, XML_FALSE);
    }

    static std::optional<std::string> attribute(const XML_Char **attributes, std::string_view name)
    {
        for (int i = 0; attributes[i] != nullptr; i += 2) {
            if (name == attributes[i])
                return std::string(attributes[i + 1]);
        }
        return std::nullopt;
    }

    void startElement(std::string_view name, const XML_Char **attributes)
    {
        ++depth;
        if (depth > kMaxXmlDepth)
            return stop(ErrorCode::LimitExceeded, "elements nest deeper than " + std::to_string(kMaxXmlDepth),
                line());
        if (depth == 1) {
            if (name != "root")
                return stop(ErrorCode::Malformed,
                    "the root element is <" + printable(name) + ">, not the UCUM essence table's <root>",
                    line());
            if (attribute(attributes, "xmlns") != std::string(kEssenceNamespace))
                return stop(ErrorCode::Malformed,
                    "the root element is not in the UCUM essence namespace " + std::string(kEssenceNamespace),
                    line());
            return;
        }
        if (depth == 2) {
            entry = name == "prefix"  ? Entry::Prefix
                : name == "base-unit" ? Entry::BaseUnit
                : name == "unit"      ? Entry::Unit
                                      : Entry::None;
            if (entry == Entry::None)
                return;
            if (prefixes.size() + atoms.size() >= kMaxTableEntries)
                return stop(ErrorCode::LimitExceeded,
                    "more than " + std::to_string(kMaxTableEntries) + " prefixes and units", line());
            entryLine = line();
            code = attribute(attributes, "Code").value_or("");
            if (code.empty())
                return stop(
                    ErrorCode::Malformed, "<" + std::string(name) + "> has no Code attribute", entryLine);
            dimensionLetter = attribute(attributes, "dim").value_or("");
            isMetric = attribute(attributes, "isMetric") == "yes";
            isSpecial = attribute(attributes, "isSpecial") == "yes";
            isArbitrary = attribute(attributes, "isArbitrary") == "yes";
            valueText.reset();
            valueUnit.reset();
            functionName.reset();
            functionValue.reset();
            functionUnit.reset();
            return;
        }
        if (entry == Entry::None)
            return;
        if (depth == 3 && name == "value") {
            valueText = attribute(attributes, "value");
            valueUnit = attribute(attributes, "Unit");
        } else if (depth == 4 && name == "function") {
            functionName = attribute(attributes, "name");
            functionValue = attribute(attributes, "value");
            functionUnit = attribute(attributes, "Unit");
        }
    }

    void endElement()
    {
        if (depth == 2 && entry != Entry::None)
            finishEntry();
        if (depth == 2)
            entry = Entry::None;
        --depth;
    }

    std::optional<double> positiveNumber(const std::optional<std::string> &text, std::string_view what)
    {
        const auto number = text ? parseNumber(*text) : std::nullopt;
        if (!number || *number <= 0.0) {
            stop(ErrorCode::Malformed,
                "'" + printable(code) + "' has no positive number as its " + std::string(what)
                    + (text ? ": '" + printable(*text) + "'" : ""),
                entryLine);
            return std::nullopt;
        }
        return number;
    }

    void finishEntry()
    {
        if (entry == Entry::Prefix) {
            // Prefixes and units have separate name spaces: "T" is tera and tesla, "h" hecto and hour.
            if (std::ranges::any_of(prefixes, [&](const auto &p) { return p.first == code; }))
                return stop(
                    ErrorCode::Malformed, "prefix '" + printable(code) + "' is defined twice", entryLine);
            if (const auto factor = positiveNumber(valueText, "value"))
                prefixes.emplace_back(code, *factor);
            return;
        }
        if (std::ranges::any_of(atoms, [&](const auto &a) { return a.code == code; }))
            return stop(ErrorCode::Malformed, "unit '" + printable(code) + "' is defined twice", entryLine);
        UcumUnits::Atom atom;
        atom.code = code;
        atom.isMetric = isMetric;
        atom.isSpecial = isSpecial;
        atom.isArbitrary = isArbitrary;
        atom.line = entryLine;
        if (entry == Entry::BaseUnit) {
            if (baseLetters.size() == kUcumBaseUnitCount)
                return stop(ErrorCode::Unsupported,
                    "more than " + std::to_string(kUcumBaseUnitCount) + " base units", entryLine);
            if (dimensionLetter.empty())
                return stop(
                    ErrorCode::Malformed, "base unit '" + printable(code) + "' has no dim", entryLine);
            atom.baseIndex = static_cast<int>(baseLetters.size());
            atom.isMetric = true; // UCUM: every base unit is metric
            baseLetters.push_back(dimensionLetter);
        } else if (isSpecial) {
            if (!functionName || !functionUnit || functionName->empty())
                return stop(ErrorCode::Malformed,
                    "special unit '" + printable(code) + "' has no <function name=... Unit=...>", entryLine);
            const auto value = positiveNumber(functionValue, "function value");
            if (!value)
                return;
            atom.function = *functionName;
            atom.definitionUnit = *functionUnit;
            atom.definitionValue = *value;
        } else {
            if (!valueUnit)
                return stop(ErrorCode::Malformed, "unit '" + printable(code) + "' has no <value Unit=...>",
                    entryLine);
            const auto value = positiveNumber(valueText, "value");
            if (!value)
                return;
            atom.definitionUnit = *valueUnit;
            atom.definitionValue = *value;
        }
        atoms.push_back(std::move(atom));
    }
};

void XMLCALL onStartElement(void *userData, const XML_Char *name, const XML_Char **attributes)
{
    static_cast<EssenceReader *>(userData)->startElement(name, attributes);
}

void XMLCALL onEndElement(void *userData, const XML_Char *)
{
    static_cast<EssenceReader *>(userData)->endElement();
}

// A unit table has no business declaring a DTD or entities (billion-laughs and external entities).
void XMLCALL onDoctype(void *userData, const XML_Char *, const XML_Char *, const XML_Char *, int)
{
    auto *reader = static_cast<EssenceReader *>(userData);
    reader->stop(
        ErrorCode::Unsupported, "a DOCTYPE declaration is not expected in the UCUM table", reader->line());
}

void XMLCALL onEntityDeclaration(void *userData, const XML_Char *, int, const XML_Char *, int,
    const XML_Char *, const XML_Char *, const XML_Char *, const XML_Char *)
{
    auto *reader = static_cast<EssenceReader *>(userData);
    reader->stop(
        ErrorCode::Unsupported, "an entity declaration is not expected in the UCUM table", reader->line());
}

// The official file declares encoding="ascii", a name expat does not know (it knows "US-ASCII"):
// map it to the 128 ASCII code points; any byte above 127 is then an error.
int XMLCALL onUnknownEncoding(void *, const XML_Char *name, XML_Encoding *info)
{
    std::string lowered(name);
    std::ranges::transform(
        lowered, lowered.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (lowered != "ascii")
        return XML_STATUS_ERROR;
    for (int i = 0; i < 256; ++i)
        info->map[i] = i < 128 ? i : -1;
    info->data = nullptr;
    info->convert = nullptr;
    info->release = nullptr;
    return XML_STATUS_OK;
}

struct ParserOwner
{
    XML_Parser parser;
    ~ParserOwner() { XML_ParserFree(parser); }
};

// Special conversion functions that Mosaic evaluates: the unit's value is shifted, then scaled by
// the unit's factor (UCUM section 21, table 21): T[K] = (t + offset) * factor.
struct OffsetFunction
{
    std::string_view name;
    double offset;
};
constexpr std::array kOffsetFunctions {
    OffsetFunction { "Cel", 273.15 }, // K = Cel + 273.15
    OffsetFunction { "degF", 459.67 }, // K = ([degF] + 459.67) * 5/9
    OffsetFunction { "degRe", 218.52 }, // K = ([degRe] + 218.52) * 5/4 = [degRe] * 5/4 + 273.15
};

const OffsetFunction *offsetFunction(std::string_view name)
{
    const auto it = std::ranges::find(kOffsetFunctions, name, &OffsetFunction::name);
    return it == kOffsetFunctions.end() ? nullptr : &*it;
}

} // namespace

bool UnitDimension::isDimensionless() const
{
    return arbitrary.empty() && std::ranges::all_of(base, [](int power) { return power == 0; });
}

Result<UcumUnits> UcumUnits::load(const std::filesystem::path &essenceXml)
{
    const std::string fileName = essenceXml.filename().string();
    std::error_code sizeError;
    const auto size = std::filesystem::file_size(essenceXml, sizeError);
    if (sizeError)
        return fail(ErrorCode::NotFound, "cannot read the UCUM table: " + sizeError.message(), fileName);
    if (size > kMaxEssenceFileBytes)
        return fail(ErrorCode::LimitExceeded,
            "the UCUM table is " + std::to_string(size) + " bytes; the limit is "
                + std::to_string(kMaxEssenceFileBytes),
            fileName);
    std::ifstream input(essenceXml, std::ios::binary);
    std::string bytes(static_cast<std::size_t>(size), '\0');
    if (!input || !input.read(bytes.data(), static_cast<std::streamsize>(bytes.size())))
        return fail(ErrorCode::NotFound, "cannot read the UCUM table", fileName);

    EssenceReader reader;
    reader.fileName = fileName;
    const ParserOwner owner { XML_ParserCreate(nullptr) };
    if (owner.parser == nullptr)
        return fail(ErrorCode::Unsupported, "expat could not create a parser", fileName);
    reader.parser = owner.parser;
    XML_SetUserData(owner.parser, &reader);
    XML_SetElementHandler(owner.parser, onStartElement, onEndElement);
    XML_SetStartDoctypeDeclHandler(owner.parser, onDoctype);
    XML_SetEntityDeclHandler(owner.parser, onEntityDeclaration);
    XML_SetUnknownEncodingHandler(owner.parser, onUnknownEncoding, nullptr);
    const auto status = XML_Parse(owner.parser, bytes.data(), static_cast<int>(bytes.size()), XML_TRUE);
    if (reader.error)
        return std::unexpected(*reader.error);
    if (status != XML_STATUS_OK)
        return fail(ErrorCode::Malformed,
            std::string("not well-formed XML: ") + XML_ErrorString(XML_GetErrorCode(owner.parser)),
            fileName + ", line " + std::to_string(XML_GetCurrentLineNumber(owner.parser)));
    if (reader.baseLetters.size() != kUcumBaseUnitCount)
        return fail(ErrorCode::Malformed,
            "the table defines " + std::to_string(reader.baseLetters.size()) + " base units; UCUM has "
                + std::to_string(kUcumBaseUnitCount),
            fileName);

    UcumUnits table;
    table.m_fileName = fileName;
    table.m_prefixes = std::move(reader.prefixes);
    // Longer prefixes first, so "da" (deka) is tried before "d" (deci).
    std::ranges::stable_sort(table.m_prefixes, std::greater {}, [](const auto &p) { return p.first.size(); });
    for (std::size_t i = 0; i < kUcumBaseUnitCount; ++i)
        table.m_dimensionLetters[i] = reader.baseLetters[i];
    for (auto &atom : reader.atoms) {
        table.m_atomOrder.push_back(atom.code);
        table.m_atoms.emplace(atom.code, std::move(atom));
    }

    // Resolve every unit through its definition, depth first, refusing cycles.
    enum class State { Unresolved, Resolving, Resolved };
    std::map<std::string, State, std::less<>> states;
    for (const auto &code : table.m_atomOrder)
        states[code] = State::Unresolved;
    std::function<Result<void>(Atom &, int)> resolve;
    AtomLookup lookup; // set below; resolves on demand while the table loads
    int currentDepth = 0;
    lookup = [&](std::string_view code) -> Result<const Atom *> {
        const auto it = table.m_atoms.find(code);
        if (it == table.m_atoms.end())
            return nullptr;
        if (states[it->first] != State::Resolved) {
            if (auto resolved = resolve(it->second, currentDepth + 1); !resolved)
                return std::unexpected(resolved.error());
        }
        return &it->second;
    };
    resolve = [&](Atom &atom, int depth) -> Result<void> {
        const std::string where
            = fileName + ", line " + std::to_string(atom.line) + ", unit '" + printable(atom.code) + "'";
        State &state = states[atom.code];
        if (state == State::Resolved)
            return {};
        if (state == State::Resolving)
            return fail(ErrorCode::Malformed, "the unit's definition refers back to itself", where);
        if (depth > kMaxDefinitionDepth)
            return fail(ErrorCode::LimitExceeded,
                "units are defined through more than " + std::to_string(kMaxDefinitionDepth) + " levels",
                where);
        state = State::Resolving;
        ParsedUnit unit;
        if (atom.baseIndex >= 0) {
            unit.dimension.base[static_cast<std::size_t>(atom.baseIndex)] = 1;
        } else {
            const int savedDepth = currentDepth;
            currentDepth = depth;
            auto definition = ExpressionParser(atom.definitionUnit, table.m_prefixes, lookup).parse();
            currentDepth = savedDepth;
            if (!definition) {
                Error error = definition.error();
                // A failure deeper down already names its own unit; keep that one.
                if (error.location.starts_with(fileName))
                    return std::unexpected(error);
                return fail(error.code, "its definition does not parse: " + error.message(), where);
            }
            if (definition->isSpecial())
                return fail(ErrorCode::Unsupported, "its definition uses a special unit", where);
            unit.factor = atom.definitionValue * definition->factor;
            unit.dimension = definition->dimension;
            if (!std::isfinite(unit.factor) || unit.factor == 0.0)
                return fail(
                    ErrorCode::LimitExceeded, "its factor is too large or too small for a double", where);
            if (atom.isSpecial)
                unit.specialFunction = atom.function;
            // An arbitrary unit defined as "1" is a dimension of its own; one defined through another
            // ([IU] = [iU]) shares that one's dimension.
            if (atom.isArbitrary && unit.dimension.arbitrary.empty())
                unit.dimension.arbitrary[atom.code] = 1;
        }
        atom.resolved = std::move(unit);
        state = State::Resolved;
        return {};
    };
    for (const auto &code : table.m_atomOrder) {
        if (auto resolved = resolve(table.m_atoms.find(code)->second, 0); !resolved)
            return std::unexpected(resolved.error());
    }
    for (std::size_t i = 0; i < kUcumBaseUnitCount; ++i) {
        const auto it = std::ranges::find_if(
            table.m_atoms, [&](const auto &entry) { return entry.second.baseIndex == static_cast<int>(i); });
        if (it != table.m_atoms.end() && it->first == "g")
            table.m_massIndex = static_cast<int>(i);
    }
    if (const auto mole = table.m_atoms.find("mol");
        mole != table.m_atoms.end() && mole->second.resolved.dimension.isDimensionless())
        table.m_moleFactor = mole->second.resolved.factor;
    return table;
}

Result<ParsedUnit> UcumUnits::parse(std::string_view unit) const
{
    const AtomLookup lookup = [this](std::string_view code) -> Result<const Atom *> {
        const auto it = m_atoms.find(code);
        return it == m_atoms.end() ? nullptr : &it->second;
    };
    return ExpressionParser(unit, m_prefixes, lookup).parse();
}

bool UcumUnits::commensurable(std::string_view a, std::string_view b) const
{
    const auto first = parse(a);
    const auto second = parse(b);
    return first && second && first->dimension == second->dimension;
}

std::string UcumUnits::dimensionText(const UnitDimension &dimension) const
{
    std::string text;
    const auto append = [&text](std::string_view name, int power) {
        if (power == 0)
            return;
        if (!text.empty())
            text += '.';
        text += name;
        if (power != 1)
            text += std::to_string(power);
    };
    for (std::size_t i = 0; i < kUcumBaseUnitCount; ++i)
        append(m_dimensionLetters[i], dimension.base[i]);
    for (const auto &[code, power] : dimension.arbitrary)
        append(code, power);
    return text.empty() ? "1" : text;
}

Result<double> UcumUnits::convert(double value, std::string_view from, std::string_view to,
    std::optional<double> molarMassGramsPerMole) const
{
    if (!std::isfinite(value))
        return fail(ErrorCode::InvalidArgument, "the value to convert is not a finite number");
    auto source = parse(from);
    if (!source)
        return std::unexpected(source.error());
    auto target = parse(to);
    if (!target)
        return std::unexpected(target.error());
    const std::string both = "'" + printable(from) + "' (" + dimensionText(source->dimension) + ") and '"
        + printable(to) + "' (" + dimensionText(target->dimension) + ")";

    // Mass -> amount of substance when the dimensions differ by exactly one gram.
    int massStep = 0;
    if (source->dimension != target->dimension) {
        UnitDimension difference = source->dimension;
        if (m_massIndex >= 0 && source->dimension.arbitrary == target->dimension.arbitrary) {
            for (std::size_t i = 0; i < kUcumBaseUnitCount; ++i)
                difference.base[i] -= target->dimension.base[i];
            const int massPower = difference.base[static_cast<std::size_t>(m_massIndex)];
            difference.base[static_cast<std::size_t>(m_massIndex)] = 0;
            difference.arbitrary.clear();
            if (difference.isDimensionless() && (massPower == 1 || massPower == -1) && m_moleFactor)
                massStep = massPower;
        }
        if (massStep == 0)
            return fail(ErrorCode::InvalidArgument, both + " are not commensurable");
        if (!molarMassGramsPerMole)
            return fail(ErrorCode::InvalidArgument,
                both
                    + " are not commensurable: converting between mass and amount of substance needs the "
                      "analyte's molar mass");
        if (!std::isfinite(*molarMassGramsPerMole) || *molarMassGramsPerMole <= 0.0)
            return fail(ErrorCode::InvalidArgument, "a molar mass must be a positive number of g/mol");
    }

    if (source->isSpecial() || target->isSpecial()) {
        // The same function at the same scale: only the prefixes differ (dB and B, mCel and Cel).
        if (source->specialFunction == target->specialFunction && source->factor == target->factor)
            return value * source->specialPrefix / target->specialPrefix;
        const auto functionOf = [&](const ParsedUnit &unit) -> Result<const OffsetFunction *> {
            if (!unit.isSpecial())
                return nullptr;
            if (const OffsetFunction *function = offsetFunction(unit.specialFunction))
                return function;
            return fail(ErrorCode::Unsupported,
                "converting " + both + " goes through the special function '"
                    + printable(unit.specialFunction)
                    + "', which Mosaic does not evaluate; only Cel, [degF] and [degRe] convert to other "
                      "units");
        };
        const auto fromFunction = functionOf(*source);
        if (!fromFunction)
            return std::unexpected(fromFunction.error());
        const auto toFunction = functionOf(*target);
        if (!toFunction)
            return std::unexpected(toFunction.error());
        const double base = *fromFunction
            ? (value * source->specialPrefix + (*fromFunction)->offset) * source->factor
            : value * source->factor;
        const double result = *toFunction
            ? (base / target->factor - (*toFunction)->offset) / target->specialPrefix
            : base / target->factor;
        return result;
    }

    double base = value * source->factor;
    if (massStep == 1)
        base = base / *molarMassGramsPerMole * *m_moleFactor; // grams -> moles (as counts)
    else if (massStep == -1)
        base = base / *m_moleFactor * *molarMassGramsPerMole; // moles -> grams
    const double result = base / target->factor;
    if (!std::isfinite(result))
        return fail(ErrorCode::InvalidArgument, "converting " + both + " overflows a double");
    return result;
}

std::vector<std::string> UcumUnits::unitCodes() const
{
    return m_atomOrder;
}

std::vector<std::string> UcumUnits::prefixCodes() const
{
    std::vector<std::string> codes;
    for (const auto &[code, factor] : m_prefixes)
        codes.push_back(code);
    return codes;
}

} // namespace mosaic::records
