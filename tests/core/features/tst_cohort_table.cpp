// SPDX-License-Identifier: Apache-2.0
#include "core/features/cohort_table.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

using namespace mosaic;

Q_DECLARE_METATYPE(mosaic::ErrorCode)

namespace {

constexpr std::string_view kSource = "cohort.csv";

std::string_view viewOf(const QByteArray &bytes)
{
    return { bytes.constData(), static_cast<std::size_t>(bytes.size()) };
}

std::optional<std::string> optionalColumn(const QString &name)
{
    if (name.isEmpty())
        return std::nullopt;
    return name.toStdString();
}

CohortTableOptions labelledById()
{
    CohortTableOptions options;
    options.idColumn = "id";
    options.labelColumn = "Event";
    return options;
}

Result<CohortTable> parse(std::string_view text, const CohortTableOptions &options = labelledById())
{
    return parseCohortTable(text, kSource, options);
}

// The column's index among the feature columns; -1 when absent.
Eigen::Index featureColumn(const CohortTable &table, std::string_view name)
{
    for (std::size_t index = 0; index < table.featureColumns.size(); ++index)
        if (table.featureColumns[index] == name)
            return static_cast<Eigen::Index>(index);
    return -1;
}

float cell(const CohortTable &table, std::size_t row, std::string_view column)
{
    const Eigen::Index index = featureColumn(table, column);
    if (index < 0)
        return -12345.0F; // shows up plainly in a failed comparison
    return table.features(static_cast<Eigen::Index>(row), index);
}

const char *messageOf(const Result<CohortTable> &table)
{
    static std::string message;
    message = table ? std::string("(no error)") : table.error().message();
    return message.c_str();
}

std::shared_ptr<const FeatureSchema> schemaOf(std::vector<std::string> names)
{
    std::vector<FeatureDefinition> definitions;
    for (std::string &name : names)
        definitions.push_back({ std::move(name), Modality::Records, "", "" });
    auto schema = FeatureSchema::fromDefinitions(std::move(definitions));
    Q_ASSERT(schema.has_value());
    return std::make_shared<const FeatureSchema>(std::move(*schema));
}

QString demoTablePath()
{
    return QStringLiteral(MOSAIC_SOURCE_DIR "/resources/demo/heart_failure_S1Data.csv");
}

} // namespace

class TestCohortTable : public QObject
{
    Q_OBJECT

private slots:
    void refusesMalformedTables_data();
    void refusesMalformedTables();
    void refusesTablesBeyondLimits_data();
    void refusesTablesBeyondLimits();
    void acceptsTablesExactlyAtLimits();
    void errorsDoNotRepeatPatientIds();

    void readsIdsLabelsAndFeatures();
    void idsAreLineNumbersWithoutIdColumn();
    void quotedFieldsKeepCommasQuotesAndNewlines();
    void acceptsCrlfAndByteOrderMark();
    void acceptsLastLineWithoutNewlineAndTrailingBlankLines();
    void readsCells_data();
    void readsCells();
    void ignoredColumnsAreSkipped();
    void labelMayBeMissingWhenNotRequired();
    void labelColumnMayBeAbsentWhenNotRequired();

    void selectFollowsSchemaOrder();
    void selectNamesMissingFeature();
    void featureVectorCarriesProvenance();
    void featureVectorRefusesBadRequests();

    void readMissingFileNamesIt();
    void readDirectoryIsRefused();
    void readChecksSizeBeforeReading();
    void readsHeartFailureDemoTable();
};

void TestCohortTable::refusesMalformedTables_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<QString>("idColumn");
    QTest::addColumn<QString>("labelColumn");
    QTest::addColumn<QStringList>("ignoredColumns");
    QTest::addColumn<ErrorCode>("code");
    QTest::addColumn<QString>("location");
    QTest::addColumn<QString>("detail");

    const QString id = "id";
    const QString event = "Event";
    const QStringList none;
    const auto malformed = ErrorCode::Malformed;

    QTest::newRow("empty file") << QByteArray() << id << event << none << malformed << "cohort.csv"
                                << "empty";
    QTest::newRow("only a byte order mark and blank lines")
        << QByteArray("\xEF\xBB\xBF\n\r\n  \n") << id << event << none << malformed << "cohort.csv"
        << "empty";
    QTest::newRow("header only") << QByteArray("id,Event,Age\n") << id << event << none << malformed
                                 << "cohort.csv"
                                 << "header but no data rows";
    QTest::newRow("header only, then blank lines")
        << QByteArray("id,Event,Age\n\n\n") << id << event << none << malformed << "cohort.csv"
        << "header but no data rows";
    QTest::newRow("UTF-16 text") << QByteArray("\xFF\xFE"
                                               "i\0d\0",
        6) << id << event << none << ErrorCode::Unsupported
                                 << "cohort.csv"
                                 << "UTF-16";

    QTest::newRow("ragged row: line 3 has 2 cells of 3") << QByteArray("id,Event,Age\nP1,0,43\nP2,1\n") << id
                                                         << event << none << malformed << "cohort.csv, line 3"
                                                         << "the row has 2 cells, the header has 3";
    QTest::newRow("ragged row: line 2 has 4 cells of 3")
        << QByteArray("id,Event,Age\nP1,0,43,7\nP2,1,50\n") << id << event << none << malformed
        << "cohort.csv, line 2"
        << "the row has 4 cells, the header has 3";
    QTest::newRow("ragged row: a trailing comma makes line 2 one cell too long")
        << QByteArray("id,Event,Age\nP1,0,43,\n") << id << event << none << malformed << "cohort.csv, line 2"
        << "4 cells";

    QTest::newRow("non-numeric cell: line 3, column 'Age'")
        << QByteArray("id,Event,Age\nP1,0,43\nP2,1,forty\n") << id << event << none << malformed
        << "cohort.csv, line 3, column 'Age'"
        << "not a number";
    QTest::newRow("decimal comma in a quoted cell is not a number")
        << QByteArray("id,Event,Age\nP1,0,\"43,5\"\n") << id << event << none << malformed
        << "cohort.csv, line 2, column 'Age'"
        << "not a number";
    QTest::newRow("number followed by a unit is not a number")
        << QByteArray("id,Event,Creatinine\nP1,0,1.3 mg/dL\n") << id << event << none << malformed
        << "cohort.csv, line 2, column 'Creatinine'"
        << "not a number";
    QTest::newRow("hexadecimal is not a number") << QByteArray("id,Event,Age\nP1,0,0x2B\n") << id << event
                                                 << none << malformed << "cohort.csv, line 2, column 'Age'"
                                                 << "not a number";
    QTest::newRow("two signs are not a number") << QByteArray("id,Event,Age\nP1,0,+-4\n") << id << event
                                                << none << malformed << "cohort.csv, line 2, column 'Age'"
                                                << "not a number";
    QTest::newRow("infinity is refused") << QByteArray("id,Event,Age\nP1,0,inf\n") << id << event << none
                                         << malformed << "cohort.csv, line 2, column 'Age'"
                                         << "infinite or not a number";
    QTest::newRow("negative Infinity is refused")
        << QByteArray("id,Event,Age\nP1,0,-Infinity\n") << id << event << none << malformed
        << "cohort.csv, line 2, column 'Age'"
        << "infinite or not a number";
    QTest::newRow("signed nan is not a missing-value token")
        << QByteArray("id,Event,Age\nP1,0,-nan\n") << id << event << none << malformed
        << "cohort.csv, line 2, column 'Age'"
        << "infinite or not a number";
    QTest::newRow("number beyond 32-bit float range")
        << QByteArray("id,Event,CPK\nP1,0,1e39\n") << id << event << none << malformed
        << "cohort.csv, line 2, column 'CPK'"
        << "too large for a 32-bit";
    QTest::newRow("number beyond double range") << QByteArray("id,Event,CPK\nP1,0,1e400\n") << id << event
                                                << none << malformed << "cohort.csv, line 2, column 'CPK'"
                                                << "out of range";

    QTest::newRow("missing label column 'Event'") << QByteArray("id,Outcome,Age\nP1,0,43\n") << id << event
                                                  << none << ErrorCode::NotFound << "cohort.csv, line 1"
                                                  << "no label column 'Event'";
    QTest::newRow("missing id column 'id'") << QByteArray("PatientId,Event,Age\nP1,0,43\n") << id << event
                                            << none << ErrorCode::NotFound << "cohort.csv, line 1"
                                            << "no id column 'id'";
    QTest::newRow("id and label are the same column") << QByteArray("id,Event,Age\nP1,0,43\n") << id << id
                                                      << none << ErrorCode::InvalidArgument << "cohort.csv"
                                                      << "same column";
    QTest::newRow("duplicate ids: line 4 repeats line 2")
        << QByteArray("id,Event,Age\nP1,0,43\nP2,1,50\nP1,0,61\n") << id << event << none << malformed
        << "cohort.csv, line 4, column 'id'"
        << "duplicate id (same as line 2)";
    QTest::newRow("duplicate ids differing only in surrounding spaces")
        << QByteArray("id,Event,Age\nP1,0,43\n P1 ,0,61\n") << id << event << none << malformed
        << "cohort.csv, line 3, column 'id'"
        << "duplicate id (same as line 2)";
    QTest::newRow("empty id on line 3") << QByteArray("id,Event,Age\nP1,0,43\n,1,50\n") << id << event << none
                                        << malformed << "cohort.csv, line 3, column 'id'"
                                        << "empty id";
    QTest::newRow("blank id on line 2") << QByteArray("id,Event,Age\n\"  \",0,43\n") << id << event << none
                                        << malformed << "cohort.csv, line 2, column 'id'"
                                        << "empty id";
    QTest::newRow("missing label value on line 3")
        << QByteArray("id,Event,Age\nP1,0,43\nP2,,50\n") << id << event << none << malformed
        << "cohort.csv, line 3, column 'Event'"
        << "missing label";
    QTest::newRow("label NA on line 2") << QByteArray("id,Event,Age\nP1,NA,43\n") << id << event << none
                                        << malformed << "cohort.csv, line 2, column 'Event'"
                                        << "missing label";
    QTest::newRow("non-numeric label on line 2") << QByteArray("id,Event,Age\nP1,yes,43\n") << id << event
                                                 << none << malformed << "cohort.csv, line 2, column 'Event'"
                                                 << "label: cell is not a number";

    QTest::newRow("duplicate column name 'Age' in column 4")
        << QByteArray("id,Event,Age,Age\nP1,0,43,43\n") << id << event << none << malformed
        << "cohort.csv, line 1, column 4"
        << "duplicate column name 'Age' (same as column 3)";
    QTest::newRow("column 3 has no name") << QByteArray("id,Event,,Age\nP1,0,1,43\n") << id << event << none
                                          << malformed << "cohort.csv, line 1, column 3"
                                          << "no name";

    QTest::newRow("quoted cell on line 3 is never closed")
        << QByteArray("id,Event,Age\nP1,0,43\nP2,1,\"50\nP3,0,61\n") << id << event << none << malformed
        << "cohort.csv, line 3, column 'Age'"
        << "not closed before the end of the file";
    QTest::newRow("quote inside an unquoted cell") << QByteArray("id,Event,Age\nP1,0,4\"3\n") << id << event
                                                   << none << malformed << "cohort.csv, line 2, column 'Age'"
                                                   << "quote inside an unquoted cell";
    QTest::newRow("text after a closing quote") << QByteArray("id,Event,Age\nP1,0,\"43\"x\n") << id << event
                                                << none << malformed << "cohort.csv, line 2, column 'Age'"
                                                << "text after the closing quote";
    QTest::newRow("quote inside an unquoted header cell")
        << QByteArray("id,Event,A\"ge\nP1,0,43\n") << id << event << none << malformed
        << "cohort.csv, line 1, column 3"
        << "quote inside an unquoted cell";
    QTest::newRow("old Mac line ends: a lone carriage return")
        << QByteArray("id,Event,Age\rP1,0,43\r") << id << event << none << malformed
        << "cohort.csv, line 1, column 3"
        << "carriage return without a line feed";
    QTest::newRow("blank line inside the table") << QByteArray("id,Event,Age\nP1,0,43\n\nP2,1,50\n") << id
                                                 << event << none << malformed << "cohort.csv, line 3"
                                                 << "blank line inside the table";
    QTest::newRow("blank line before the header")
        << QByteArray("\nid,Event,Age\nP1,0,43\n") << id << event << none << malformed << "cohort.csv, line 1"
        << "blank line inside the table";
    QTest::newRow("a quoted newline shifts the line of the next row's error")
        << QByteArray("id,Event,Note,Age\nP1,0,\"two\nlines\",43\nP2,1,x,abc\n") << id << event
        << QStringList { "Note" } << malformed << "cohort.csv, line 4, column 'Age'"
        << "not a number";
    QTest::newRow("an ignored column does not hide an error in a feature column")
        << QByteArray("id,Event,TIME,Age\nP1,0,97,?\n") << id << event << QStringList { "TIME" } << malformed
        << "cohort.csv, line 2, column 'Age'"
        << "not a number";
}

void TestCohortTable::refusesMalformedTables()
{
    QFETCH(QByteArray, text);
    QFETCH(QString, idColumn);
    QFETCH(QString, labelColumn);
    QFETCH(QStringList, ignoredColumns);
    QFETCH(ErrorCode, code);
    QFETCH(QString, location);
    QFETCH(QString, detail);

    CohortTableOptions options;
    options.idColumn = optionalColumn(idColumn);
    options.labelColumn = optionalColumn(labelColumn);
    for (const QString &ignored : ignoredColumns)
        options.ignoredColumns.push_back(ignored.toStdString());

    const auto table = parse(viewOf(text), options);
    QVERIFY2(!table.has_value(), "the table was accepted");
    QCOMPARE(table.error().code, code);
    QCOMPARE(QString::fromStdString(table.error().location), location);
    QVERIFY2(QString::fromStdString(table.error().detail).contains(detail), messageOf(table));
    QVERIFY(QString::fromStdString(table.error().message()).startsWith(location + ": "));
}

void TestCohortTable::refusesTablesBeyondLimits_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::addColumn<qulonglong>("maxBytes");
    QTest::addColumn<qulonglong>("maxRows");
    QTest::addColumn<qulonglong>("maxColumns");
    QTest::addColumn<QString>("location");
    QTest::addColumn<QString>("detail");

    const QByteArray threeRows("id,Event,Age\nP1,0,43\nP2,1,50\nP3,0,61\n");
    const qulonglong large = 1'000'000;
    QTest::newRow("maxRows 2: the third row on line 4 is one too many")
        << threeRows << large << qulonglong { 2 } << large << "cohort.csv, line 4"
        << "more than 2 data rows";
    QTest::newRow("maxColumns 2: a header of 3 columns")
        << threeRows << large << large << qulonglong { 2 } << "cohort.csv, line 1"
        << "the header has 3 columns, more than the limit of 2";
    QTest::newRow("maxBytes 20: a table of 37 bytes")
        << threeRows << qulonglong { 20 } << large << large << "cohort.csv"
        << "37 bytes, more than the limit of 20";

    // The reader counts the header's columns past the limit without storing them.
    QByteArray wideHeader = "id,Event";
    for (int column = 0; column < 199'999; ++column)
        wideHeader += ",c" + QByteArray::number(column);
    wideHeader += "\nP1,0\n";
    QTest::newRow("maxColumns 100000: a header of 200001 columns")
        << wideHeader << (qulonglong { 1 } << 30) << large << qulonglong { 100'000 } << "cohort.csv, line 1"
        << "the header has 200001 columns";
}

void TestCohortTable::refusesTablesBeyondLimits()
{
    QFETCH(QByteArray, text);
    QFETCH(qulonglong, maxBytes);
    QFETCH(qulonglong, maxRows);
    QFETCH(qulonglong, maxColumns);
    QFETCH(QString, location);
    QFETCH(QString, detail);

    CohortTableOptions options = labelledById();
    options.maxBytes = maxBytes;
    options.maxRows = maxRows;
    options.maxColumns = maxColumns;
    const auto table = parse(viewOf(text), options);
    QVERIFY2(!table.has_value(), "the table was accepted");
    QCOMPARE(table.error().code, ErrorCode::LimitExceeded);
    QCOMPARE(QString::fromStdString(table.error().location), location);
    QVERIFY2(QString::fromStdString(table.error().detail).contains(detail), messageOf(table));
}

void TestCohortTable::acceptsTablesExactlyAtLimits()
{
    const std::string_view text = "id,Event,Age\nP1,0,43\nP2,1,50\n";
    CohortTableOptions options = labelledById();
    options.maxBytes = text.size();
    options.maxRows = 2;
    options.maxColumns = 3;
    const auto table = parse(text, options);
    QVERIFY2(table.has_value(), messageOf(table));
    QCOMPARE(table->rows(), std::size_t { 2 });
}

void TestCohortTable::errorsDoNotRepeatPatientIds()
{
    const auto duplicate = parse("id,Event,Age\nMRN-0042,0,43\nMRN-0042,1,50\n");
    QVERIFY(!duplicate.has_value());
    QVERIFY(duplicate.error().message().find("MRN-0042") == std::string::npos);

    // A column mistakenly left as a feature may hold names; the cell text stays out of the message.
    const auto notANumber = parse("id,Event,Name\nP1,0,Jane Doe\n");
    QVERIFY(!notANumber.has_value());
    QVERIFY(notANumber.error().message().find("Jane") == std::string::npos);
}

void TestCohortTable::readsIdsLabelsAndFeatures()
{
    const auto table = parse("id,Age,Event,Sodium\nP1,43,0,135\nP2,73,1,142\nP3,70,1,134\n");
    QVERIFY2(table.has_value(), messageOf(table));
    QCOMPARE(table->sourceName, std::string(kSource));
    QCOMPARE(table->rows(), std::size_t { 3 });
    QCOMPARE(table->ids, (std::vector<std::string> { "P1", "P2", "P3" }));
    QCOMPARE(table->lineNumbers, (std::vector<std::size_t> { 2, 3, 4 }));
    QCOMPARE(table->featureColumns, (std::vector<std::string> { "Age", "Sodium" }));
    QCOMPARE(table->features.rows(), Eigen::Index { 3 });
    QCOMPARE(table->features.cols(), Eigen::Index { 2 });
    QCOMPARE(cell(*table, 1, "Age"), 73.0F);
    QCOMPARE(cell(*table, 2, "Sodium"), 134.0F);
    QVERIFY(table->labels.has_value());
    QCOMPARE(table->labels->size(), Eigen::Index { 3 });
    QCOMPARE((*table->labels)(0), 0.0F);
    QCOMPARE((*table->labels)(1), 1.0F);
}

void TestCohortTable::idsAreLineNumbersWithoutIdColumn()
{
    CohortTableOptions options;
    options.labelColumn = "Event";
    const auto table = parse("Event,Age\n0,43\n1,73\n", options);
    QVERIFY2(table.has_value(), messageOf(table));
    QCOMPARE(table->ids, (std::vector<std::string> { "2", "3" }));
    QCOMPARE(table->featureColumns, (std::vector<std::string> { "Age" }));
}

void TestCohortTable::quotedFieldsKeepCommasQuotesAndNewlines()
{
    CohortTableOptions options = labelledById();
    options.ignoredColumns = { "Note" };
    const auto table = parse("\"id\",\"Event\",Note,\"Age, years\"\n"
                             "\"P,1\",0,\"He said \"\"stop\"\", then left\",\"43\"\n"
                             "P2,1,\"two\r\nlines\", \"50\" \n"
                             "P3,0,,61\n",
        options);
    QVERIFY2(table.has_value(), messageOf(table));
    QCOMPARE(table->ids, (std::vector<std::string> { "P,1", "P2", "P3" }));
    QCOMPARE(table->featureColumns, (std::vector<std::string> { "Age, years" }));
    QCOMPARE(cell(*table, 0, "Age, years"), 43.0F);
    QCOMPARE(cell(*table, 1, "Age, years"), 50.0F);
    // The quoted line break belongs to line 3, so the next row starts on line 5.
    QCOMPARE(table->lineNumbers, (std::vector<std::size_t> { 2, 3, 5 }));
}

void TestCohortTable::acceptsCrlfAndByteOrderMark()
{
    const auto table = parse("\xEF\xBB\xBF"
                             "id,Event,Age\r\nP1,0,43\r\nP2,1,50\r\n");
    QVERIFY2(table.has_value(), messageOf(table));
    QCOMPARE(table->ids, (std::vector<std::string> { "P1", "P2" }));
    QCOMPARE(cell(*table, 1, "Age"), 50.0F);
}

void TestCohortTable::acceptsLastLineWithoutNewlineAndTrailingBlankLines()
{
    for (const std::string_view text :
        { std::string_view("id,Event,Age\nP1,0,43"), std::string_view("id,Event,Age\nP1,0,43\n\n\n"),
            std::string_view("id,Event,Age\r\nP1,0,43\r\n\r\n  \r\n") }) {
        const auto table = parse(text);
        QVERIFY2(table.has_value(), messageOf(table));
        QCOMPARE(table->rows(), std::size_t { 1 });
        QCOMPARE(cell(*table, 0, "Age"), 43.0F);
    }
}

void TestCohortTable::readsCells_data()
{
    QTest::addColumn<QByteArray>("cellText");
    QTest::addColumn<bool>("missing");
    QTest::addColumn<float>("value");

    const float none = 0.0F;
    QTest::newRow("empty cell is missing") << QByteArray("") << true << none;
    QTest::newRow("spaces only are missing") << QByteArray("   ") << true << none;
    QTest::newRow("quoted empty cell is missing") << QByteArray("\"\"") << true << none;
    QTest::newRow("NA is missing") << QByteArray("NA") << true << none;
    QTest::newRow("na is missing") << QByteArray("na") << true << none;
    QTest::newRow("N/A is missing") << QByteArray("N/A") << true << none;
    QTest::newRow("n/a is missing") << QByteArray("n/a") << true << none;
    QTest::newRow("NaN is missing") << QByteArray("NaN") << true << none;
    QTest::newRow("NAN is missing") << QByteArray("NAN") << true << none;
    QTest::newRow("null is missing") << QByteArray("null") << true << none;
    QTest::newRow("NULL is missing") << QByteArray("NULL") << true << none;
    QTest::newRow("NA with surrounding spaces is missing") << QByteArray("  NA ") << true << none;
    QTest::newRow("integer") << QByteArray("43") << false << 43.0F;
    QTest::newRow("integer with surrounding spaces and tabs") << QByteArray(" \t43 ") << false << 43.0F;
    QTest::newRow("decimal point, any locale") << QByteArray("1.83") << false << 1.83F;
    QTest::newRow("negative with exponent") << QByteArray("-1.5e2") << false << -150.0F;
    QTest::newRow("leading plus sign") << QByteArray("+5") << false << 5.0F;
    QTest::newRow("no digit before the point") << QByteArray(".5") << false << 0.5F;
    QTest::newRow("quoted number") << QByteArray("\"263358.03\"") << false << 263358.03F;
}

void TestCohortTable::readsCells()
{
    QFETCH(QByteArray, cellText);
    QFETCH(bool, missing);
    QFETCH(float, value);

    const QByteArray text = "id,Event,Age,Sodium\nP1,0," + cellText + ",135\n";
    const auto table = parse(viewOf(text));
    QVERIFY2(table.has_value(), messageOf(table));
    QCOMPARE(table->rows(), std::size_t { 1 });
    if (missing)
        QVERIFY(std::isnan(cell(*table, 0, "Age")));
    else
        QCOMPARE(cell(*table, 0, "Age"), value);
    QCOMPARE(cell(*table, 0, "Sodium"), 135.0F);
}

void TestCohortTable::ignoredColumnsAreSkipped()
{
    CohortTableOptions options = labelledById();
    // TIME is follow-up time, which leaks the outcome; "Absent" is not in the file, which is fine.
    options.ignoredColumns = { "TIME", "Absent" };
    const auto table = parse("id,TIME,Event,Age,Comment\nP1,97,0,43,5\nP2,n/a,1,50,7\n", options);
    QVERIFY2(table.has_value(), messageOf(table));
    QCOMPARE(table->featureColumns, (std::vector<std::string> { "Age", "Comment" }));

    // Text in an ignored column is never parsed.
    options.ignoredColumns = { "Comment" };
    const auto withText = parse("id,Event,Age,Comment\nP1,0,43,\"seen by Dr. X, stable\"\n", options);
    QVERIFY2(withText.has_value(), messageOf(withText));
    QCOMPARE(withText->featureColumns, (std::vector<std::string> { "Age" }));
}

void TestCohortTable::labelMayBeMissingWhenNotRequired()
{
    CohortTableOptions options = labelledById();
    options.labelRequired = false;
    const auto table = parse("id,Event,Age\nP1,,43\nP2,1,50\n", options);
    QVERIFY2(table.has_value(), messageOf(table));
    QVERIFY(table->labels.has_value());
    QVERIFY(std::isnan((*table->labels)(0)));
    QCOMPARE((*table->labels)(1), 1.0F);
}

void TestCohortTable::labelColumnMayBeAbsentWhenNotRequired()
{
    CohortTableOptions options = labelledById();
    options.labelRequired = false;
    const auto table = parse("id,Age\nP1,43\n", options);
    QVERIFY2(table.has_value(), messageOf(table));
    QVERIFY(!table->labels.has_value());
    QCOMPARE(table->featureColumns, (std::vector<std::string> { "Age" }));
}

void TestCohortTable::selectFollowsSchemaOrder()
{
    const auto table = parse("id,Event,Age,Sodium,CPK\nP1,0,43,135,358\nP2,1,73,142,231\n");
    QVERIFY2(table.has_value(), messageOf(table));
    const auto selected = table->select(*schemaOf({ "CPK", "Age" }));
    QVERIFY2(selected.has_value(), selected ? "" : selected.error().message().c_str());
    QCOMPARE(selected->rows(), Eigen::Index { 2 });
    QCOMPARE(selected->cols(), Eigen::Index { 2 });
    QCOMPARE((*selected)(0, 0), 358.0F);
    QCOMPARE((*selected)(0, 1), 43.0F);
    QCOMPARE((*selected)(1, 0), 231.0F);
    QCOMPARE((*selected)(1, 1), 73.0F);
}

void TestCohortTable::selectNamesMissingFeature()
{
    const auto table = parse("id,Event,Age\nP1,0,43\n");
    QVERIFY2(table.has_value(), messageOf(table));
    const auto selected = table->select(*schemaOf({ "Age", "Creatinine" }));
    QVERIFY(!selected.has_value());
    QCOMPARE(selected.error().code, ErrorCode::NotFound);
    QCOMPARE(selected.error().location, std::string("cohort.csv"));
    QVERIFY2(selected.error().detail.find("'Creatinine'") != std::string::npos,
        selected.error().message().c_str());

    // The label is not a feature column, even though the file has it.
    const auto label = table->select(*schemaOf({ "Event" }));
    QVERIFY(!label.has_value());
    QCOMPARE(label.error().code, ErrorCode::NotFound);
}

void TestCohortTable::featureVectorCarriesProvenance()
{
    const auto table = parse("id,Event,Age,Sodium\nP1,0,43,135\nP2,1,NA,142\n");
    QVERIFY2(table.has_value(), messageOf(table));
    const auto schema = schemaOf({ "Sodium", "Age" });
    const auto vector = table->featureVector(1, schema);
    QVERIFY2(vector.has_value(), vector ? "" : vector.error().message().c_str());
    QCOMPARE(vector->size(), std::size_t { 2 });
    QCOMPARE(vector->value(0), 142.0);
    QCOMPARE(vector->provenance(0), (Provenance { "cohort.csv", "line 3, column 'Sodium'" }));
    // A missing value still points at the empty cell, so the explanation can show where it was absent.
    QVERIFY(vector->isMissing(1));
    QCOMPARE(vector->provenance(1), (Provenance { "cohort.csv", "line 3, column 'Age'" }));
    QCOMPARE(vector->missingCount(), std::size_t { 1 });
}

void TestCohortTable::featureVectorRefusesBadRequests()
{
    const auto table = parse("id,Event,Age\nP1,0,43\n");
    QVERIFY2(table.has_value(), messageOf(table));

    const auto outOfRange = table->featureVector(1, schemaOf({ "Age" }));
    QVERIFY(!outOfRange.has_value());
    QCOMPARE(outOfRange.error().code, ErrorCode::InvalidArgument);

    const auto noSchema = table->featureVector(0, nullptr);
    QVERIFY(!noSchema.has_value());
    QCOMPARE(noSchema.error().code, ErrorCode::InvalidArgument);

    const auto missingColumn = table->featureVector(0, schemaOf({ "Age", "Sodium" }));
    QVERIFY(!missingColumn.has_value());
    QCOMPARE(missingColumn.error().code, ErrorCode::NotFound);
    QVERIFY(missingColumn.error().message().find("'Sodium'") != std::string::npos);
    QVERIFY(missingColumn.error().message().find("cohort.csv") != std::string::npos);
}

void TestCohortTable::readMissingFileNamesIt()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const auto table
        = readCohortTable(directory.filePath("no_such_cohort.csv").toStdString(), labelledById());
    QVERIFY(!table.has_value());
    QCOMPARE(table.error().code, ErrorCode::NotFound);
    QCOMPARE(table.error().location, std::string("no_such_cohort.csv"));
    QVERIFY(!QString::fromStdString(table.error().message()).contains(directory.path()));
}

void TestCohortTable::readDirectoryIsRefused()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    QVERIFY(QDir(directory.path()).mkdir("cohort.csv"));
    const auto table = readCohortTable(directory.filePath("cohort.csv").toStdString(), labelledById());
    QVERIFY(!table.has_value());
    QCOMPARE(table.error().code, ErrorCode::NotFound);
    QCOMPARE(table.error().location, std::string("cohort.csv"));
}

void TestCohortTable::readChecksSizeBeforeReading()
{
    QTemporaryDir directory;
    QVERIFY(directory.isValid());
    const QString path = directory.filePath("big.csv");
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    const QByteArray text = "id,Event,Age\nP1,0,43\n";
    QCOMPARE(file.write(text), qint64 { text.size() });
    file.close();

    CohortTableOptions options = labelledById();
    options.maxBytes = 10;
    const auto refused = readCohortTable(path.toStdString(), options);
    QVERIFY(!refused.has_value());
    QCOMPARE(refused.error().code, ErrorCode::LimitExceeded);
    QCOMPARE(refused.error().location, std::string("big.csv"));
    QVERIFY2(refused.error().detail.find("21 bytes") != std::string::npos, messageOf(refused));

    const auto accepted = readCohortTable(path.toStdString(), labelledById());
    QVERIFY2(accepted.has_value(), messageOf(accepted));
    QCOMPARE(accepted->sourceName, std::string("big.csv"));
}

void TestCohortTable::readsHeartFailureDemoTable()
{
    // Ahmad et al. 2017 (PLoS ONE, S1 Data): 299 heart failure patients, 96 deaths in follow-up.
    CohortTableOptions options;
    options.labelColumn = "Event";
    options.ignoredColumns = { "TIME" };
    const auto table = readCohortTable(demoTablePath().toStdString(), options);
    QVERIFY2(table.has_value(), messageOf(table));

    QCOMPARE(table->sourceName, std::string("heart_failure_S1Data.csv"));
    QCOMPARE(table->rows(), std::size_t { 299 });
    QCOMPARE(table->featureColumns,
        (std::vector<std::string> { "Gender", "Smoking", "Diabetes", "BP", "Anaemia", "Age",
            "Ejection.Fraction", "Sodium", "Creatinine", "Pletelets", "CPK" }));
    QCOMPARE(table->features.rows(), Eigen::Index { 299 });
    QCOMPARE(table->features.cols(), Eigen::Index { 11 });
    QCOMPARE(table->ids.front(), std::string("2"));
    QCOMPARE(table->ids.back(), std::string("300"));
    QCOMPARE(table->lineNumbers.back(), std::size_t { 300 });
    QVERIFY(table->labels.has_value());
    QCOMPARE(table->labels->sum(), 96.0F);
    QVERIFY(!table->features.array().isNaN().any());

    // Line 2: 97,0,0,0,0,0,1,43,50,135,1.3,237000,358
    QCOMPARE(cell(*table, 0, "Age"), 43.0F);
    QCOMPARE(cell(*table, 0, "Ejection.Fraction"), 50.0F);
    QCOMPARE(cell(*table, 0, "Sodium"), 135.0F);
    QCOMPARE(cell(*table, 0, "Creatinine"), 1.3F);
    QCOMPARE(cell(*table, 0, "Pletelets"), 237000.0F);
    QCOMPARE(cell(*table, 0, "CPK"), 358.0F);
    QCOMPARE((*table->labels)(0), 0.0F);
    // Line 4: 31,1,1,1,0,1,0,70,20,134,1.83,263358.03,582
    QCOMPARE(cell(*table, 2, "Age"), 70.0F);
    QCOMPARE(cell(*table, 2, "Creatinine"), 1.83F);
    QCOMPARE(cell(*table, 2, "Pletelets"), 263358.03F);
    QCOMPARE((*table->labels)(2), 1.0F);
    // Line 300: 16,0,0,0,0,1,1,65,25,137,1.3,276000,52
    QCOMPARE(cell(*table, 298, "Age"), 65.0F);
    QCOMPARE(cell(*table, 298, "CPK"), 52.0F);

    const auto vector = table->featureVector(2, schemaOf({ "Creatinine", "Age" }));
    QVERIFY2(vector.has_value(), vector ? "" : vector.error().message().c_str());
    QCOMPARE(
        vector->provenance(0), (Provenance { "heart_failure_S1Data.csv", "line 4, column 'Creatinine'" }));
}

QTEST_APPLESS_MAIN(TestCohortTable)
#include "tst_cohort_table.moc"
