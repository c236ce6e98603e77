// SPDX-License-Identifier: Apache-2.0
// The independent truth for the real matrices is Python's csv and gzip modules (/usr/bin/python3,
// standard library only), run by the test through QProcess: they print each probe's id, its number
// of cells and the sum of its values, which the reader must reproduce for every probe of Golub 1999
// (multtest, CSV with quoted descriptions) and Chiaretti 2004 (ALL, gzipped CSV). Without the shared
// data or the interpreter those cases are skipped. Refusals are built inside the test so each case
// is readable, and each checks that the sample ids of the file never reach the message.
#include "core/genomics/expression_matrix.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include "tests/core/genomics/genomics_test_support.h"
#include <cmath>
#include <fstream>
#include <sstream>

using namespace mosaic;

using mosaic::testing::writeFile;

namespace {

std::filesystem::path expressionDir()
{
    return std::filesystem::path(MOSAIC_SHARED_DATA_DIR) / "expression";
}

const char *kPython = "/usr/bin/python3";

// Compresses `path` in place with gzip(1) to `path`.gz; false when gzip is unavailable.
bool gzipFile(const std::filesystem::path &path)
{
    QProcess gzip;
    gzip.start(QStringLiteral("gzip"), { QStringLiteral("-kf"), QString::fromStdString(path.string()) });
    return gzip.waitForFinished(60000) && gzip.exitStatus() == QProcess::NormalExit && gzip.exitCode() == 0;
}

// Per probe: id, number of value cells, sum of the values, from Python's csv module.
struct ProbeTruth
{
    std::string id;
    std::size_t cells = 0;
    double sum = 0.0;
};

std::vector<ProbeTruth> pythonTruth(
    const std::filesystem::path &path, int firstValueColumn, std::string &header)
{
    const QString script = QStringLiteral(
        "import csv, gzip, sys\n"
        "path, first = sys.argv[1], int(sys.argv[2])\n"
        "f = gzip.open(path, 'rt', newline='') if path.endswith('.gz') else open(path, newline='')\n"
        "rows = csv.reader(f)\n"
        "head = next(rows)\n"
        "print(len(head) - first, head[0], sep='\\t')\n"
        "for row in rows:\n"
        "    values = [float(x) for x in row[first:]]\n"
        "    print(row[0], len(values), repr(sum(values)), sep='\\t')\n");
    QProcess python;
    python.start(QString::fromLatin1(kPython),
        { QStringLiteral("-c"), script, QString::fromStdString(path.string()),
            QString::number(firstValueColumn) });
    if (!python.waitForFinished(120000) || python.exitCode() != 0)
        return {};
    std::istringstream out(python.readAllStandardOutput().toStdString());
    std::getline(out, header);
    std::vector<ProbeTruth> truth;
    std::string line;
    while (std::getline(out, line)) {
        std::istringstream fields(line);
        ProbeTruth probe;
        std::string cells, sum;
        std::getline(fields, probe.id, '\t');
        std::getline(fields, cells, '\t');
        std::getline(fields, sum, '\t');
        probe.cells = std::stoul(cells);
        probe.sum = std::stod(sum);
        truth.push_back(probe);
    }
    return truth;
}

// Same sums in the reader's order, within rounding of a different summation.
void compareWithTruth(const ExpressionMatrix &matrix, const std::vector<ProbeTruth> &truth)
{
    QCOMPARE(matrix.probeCount(), truth.size());
    for (std::size_t probe = 0; probe < truth.size(); ++probe) {
        QCOMPARE(matrix.probeIds()[probe], truth[probe].id);
        QCOMPARE(matrix.sampleCount(), truth[probe].cells);
        double sum = 0.0;
        for (double value : matrix.probeValues(probe))
            sum += value;
        QVERIFY2(std::abs(sum - truth[probe].sum) <= 1e-9 * std::max(1.0, std::abs(truth[probe].sum)),
            qPrintable(QStringLiteral("probe %1: %2 vs %3")
                           .arg(QString::fromStdString(truth[probe].id))
                           .arg(sum, 0, 'g', 17)
                           .arg(truth[probe].sum, 0, 'g', 17)));
    }
}

} // namespace

class TstExpressionMatrix : public QObject
{
    Q_OBJECT

private slots:
    void golubAgreesWithPythonCsv();
    void chiarettiGzipAgreesWithPythonGzip();
    void readsSmallTables_data();
    void readsSmallTables();
    void gzipReadsLikePlainText();
    void refusesBadTables_data();
    void refusesBadTables();
    void selectsProbesAndSamples();
};

void TstExpressionMatrix::golubAgreesWithPythonCsv()
{
    const auto path = expressionDir() / "golub_multtest_expr.csv";
    if (!std::filesystem::exists(path) || !std::filesystem::exists(kPython))
        QSKIP("the shared Golub matrix or /usr/bin/python3 is absent: no independent truth");
    std::string header;
    const auto truth = pythonTruth(path, 2, header);
    QVERIFY(!truth.empty());
    QCOMPARE(header, std::string("38\tprobe_id"));

    auto matrix = readExpressionMatrix(path);
    QVERIFY2(matrix.has_value(), matrix ? "" : matrix.error().message().c_str());
    QCOMPARE(matrix->probeCount(), std::size_t { 3051 });
    QCOMPARE(matrix->sampleCount(), std::size_t { 38 });
    QCOMPARE(matrix->idColumnName(), std::string("probe_id"));
    QCOMPARE(matrix->annotationColumnNames(), std::vector<std::string> { "description" });
    QCOMPARE(matrix->sampleIds().front(), std::string("S1"));
    QCOMPARE(matrix->sampleIds().back(), std::string("S38"));
    QCOMPARE(matrix->missingCount(), std::size_t { 0 });
    QVERIFY(!matrix->wasCompressed());
    QVERIFY(matrix->delimiter() == ExpressionDelimiter::Comma);
    // A quoted description with commas inside stays one cell.
    const auto quotedProbe = matrix->probeIndex("AB000464_at");
    QVERIFY(quotedProbe.has_value());
    QCOMPARE(matrix->probeAnnotations()[*quotedProbe].front(),
        std::string("mRNA, clone RES4-24A, exon 1, 2, 3, 4"));
    QCOMPARE(matrix->value(*quotedProbe, 0), 0.46387);
    QCOMPARE(matrix->value(0, 0), -1.45769);
    compareWithTruth(*matrix, truth);
}

void TstExpressionMatrix::chiarettiGzipAgreesWithPythonGzip()
{
    const auto path = expressionDir() / "ALL_chiaretti_exprs.csv.gz";
    if (!std::filesystem::exists(path) || !std::filesystem::exists(kPython))
        QSKIP("the shared Chiaretti matrix or /usr/bin/python3 is absent: no independent truth");
    std::string header;
    const auto truth = pythonTruth(path, 1, header);
    QVERIFY(!truth.empty());
    QCOMPARE(header, std::string("128\tprobe_id"));

    auto matrix = readExpressionMatrix(path);
    QVERIFY2(matrix.has_value(), matrix ? "" : matrix.error().message().c_str());
    QCOMPARE(matrix->probeCount(), std::size_t { 12625 });
    QCOMPARE(matrix->sampleCount(), std::size_t { 128 });
    QVERIFY(matrix->wasCompressed());
    QVERIFY(matrix->annotationColumnNames().empty());
    QCOMPARE(matrix->sampleIds().front(), std::string("01005")); // leading zero kept: an id, not a number
    QCOMPARE(matrix->value(0, 0), 7.5973);
    compareWithTruth(*matrix, truth);
}

void TstExpressionMatrix::readsSmallTables_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("probes");
    QTest::addColumn<int>("samples");
    QTest::addColumn<int>("missing");
    QTest::addColumn<double>("lastValue");
    QTest::addColumn<bool>("tab");

    QTest::newRow("CSV with an empty id header, as R's write.csv writes")
        << QByteArray("\"\",\"a\",\"b\"\n\"g1\",1.5,-2\n\"g2\",3e2,.25\n") << 2 << 2 << 0 << 0.25 << false;
    QTest::newRow("TSV sniffed from the tab in the header")
        << QByteArray("gene\ts1\ts2\ts3\nTP53\t1\t2\t3\n") << 1 << 3 << 0 << 3.0 << true;
    QTest::newRow("CRLF line ends and a final line without a newline")
        << QByteArray("id,x,y\r\ng1,1,2\r\ng2,3,4") << 2 << 2 << 0 << 4.0 << false;
    QTest::newRow("NA, NaN, N/A, null and empty cells are missing and counted")
        << QByteArray("id,a,b,c\ng1,NA,,NaN\ng2,N/A,null,7\n") << 2 << 3 << 5 << 7.0 << false;
    QTest::newRow("a UTF-8 byte order mark and trailing blank lines")
        << QByteArray("\xEF\xBB\xBFid,a\ng1,+4.5\n\n\n") << 1 << 1 << 0 << 4.5 << false;
    QTest::newRow("spaces around unquoted numbers")
        << QByteArray("id, a , b\ng1, 1 , -0.5 \n") << 1 << 2 << 0 << -0.5 << false;
    QTest::newRow("annotation columns named symbol and Description are not samples")
        << QByteArray("probe,symbol,Description,p1\n1000_at,MAPK3,\"kinase, MAP\",5\n") << 1 << 1 << 0 << 5.0
        << false;
}

void TstExpressionMatrix::readsSmallTables()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, probes);
    QFETCH(int, samples);
    QFETCH(int, missing);
    QFETCH(double, lastValue);
    QFETCH(bool, tab);
    QTemporaryDir dir;
    const auto path = std::filesystem::path(dir.path().toStdString()) / "small.csv";
    writeFile(path, bytes.toStdString());
    auto matrix = readExpressionMatrix(path);
    QVERIFY2(matrix.has_value(), matrix ? "" : matrix.error().message().c_str());
    QCOMPARE(matrix->probeCount(), std::size_t(probes));
    QCOMPARE(matrix->sampleCount(), std::size_t(samples));
    QCOMPARE(matrix->missingCount(), std::size_t(missing));
    QCOMPARE(matrix->value(matrix->probeCount() - 1, matrix->sampleCount() - 1), lastValue);
    QCOMPARE(matrix->delimiter() == ExpressionDelimiter::Tab, tab);
}

void TstExpressionMatrix::gzipReadsLikePlainText()
{
    QTemporaryDir dir;
    const auto path = std::filesystem::path(dir.path().toStdString()) / "tiny.tsv";
    std::string text = "probe\tA\tB\n";
    for (int i = 0; i < 5000; ++i) // longer than one 64 KiB read, so lines straddle buffers
        text += "p" + std::to_string(i) + "\t" + std::to_string(i) + ".5\t-" + std::to_string(i) + "\n";
    writeFile(path, text);
    if (!gzipFile(path))
        QSKIP("gzip(1) is not available to compress the test file");
    auto plain = readExpressionMatrix(path);
    auto compressed = readExpressionMatrix(path.string() + ".gz");
    QVERIFY2(plain.has_value(), plain ? "" : plain.error().message().c_str());
    QVERIFY2(compressed.has_value(), compressed ? "" : compressed.error().message().c_str());
    QVERIFY(!plain->wasCompressed());
    QVERIFY(compressed->wasCompressed());
    QCOMPARE(compressed->probeCount(), std::size_t { 5000 });
    QCOMPARE(compressed->values(), plain->values());
    QCOMPARE(compressed->probeIds(), plain->probeIds());
    QCOMPARE(compressed->value(4999, 0), 4999.5);

    // A gzip stream cut short is refused, not read as a shorter table.
    std::ifstream in(path.string() + ".gz", std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto truncated = std::filesystem::path(dir.path().toStdString()) / "truncated.tsv.gz";
    writeFile(truncated, bytes.substr(0, bytes.size() / 2));
    auto refused = readExpressionMatrix(truncated);
    QVERIFY(!refused.has_value());
    QCOMPARE(refused.error().code, ErrorCode::Malformed);
    QVERIFY2(
        refused.error().message().starts_with("truncated.tsv.gz, line "), refused.error().message().c_str());
}

void TstExpressionMatrix::refusesBadTables_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message"); // the whole message, file name first

    const int malformed = int(ErrorCode::Malformed);
    const int limit = int(ErrorCode::LimitExceeded);
    const int unsupported = int(ErrorCode::Unsupported);
    // PATIENT-7 and PATIENT-8 are sample ids: no message may contain them.
    QTest::newRow("a word where a number belongs")
        << QByteArray("id,PATIENT-7,PATIENT-8\ng1,1,2\ng2,3,high\n") << malformed
        << "bad.csv, line 3 (probe 'g2'), column 3: cell is not a number: 'high'";
    QTest::newRow("infinity is not an expression value")
        << QByteArray("id,PATIENT-7\ng1,inf\n") << malformed
        << "bad.csv, line 2 (probe 'g1'), column 2: cell is not a number: 'inf'";
    QTest::newRow("a number beyond double range")
        << QByteArray("id,PATIENT-7\ng1,1e999\n") << malformed
        << "bad.csv, line 2 (probe 'g1'), column 2: number out of range: '1e999'";
    QTest::newRow("a decimal comma leaves a row with one cell too many")
        << QByteArray("id,PATIENT-7,PATIENT-8\ng1,1,5,2\n") << malformed
        << "bad.csv, line 2: 4 cells where the header has 3";
    QTest::newRow("a row with a cell missing") << QByteArray("id,PATIENT-7,PATIENT-8\ng1,1\n") << malformed
                                               << "bad.csv, line 2: 2 cells where the header has 3";
    QTest::newRow("a quote left open")
        << QByteArray("id,PATIENT-7\n\"g1,1\n") << malformed
        << "bad.csv, line 2, column 1: unterminated quote (a quoted cell cannot span lines)";
    QTest::newRow("a quote inside an unquoted cell")
        << QByteArray("id,PATIENT-7\ng\"1,1\n") << malformed
        << "bad.csv, line 2, column 1: a quote inside an unquoted cell";
    QTest::newRow("the same probe twice") << QByteArray("id,PATIENT-7\ng1,1\ng2,2\ng1,3\n") << malformed
                                          << "bad.csv, line 4: probe 'g1' repeats the probe of line 2";
    QTest::newRow("the same sample twice, named by column only")
        << QByteArray("id,PATIENT-7,PATIENT-8,PATIENT-7\ng1,1,2,3\n") << malformed
        << "bad.csv, line 1: the sample id of column 4 repeats that of column 2";
    QTest::newRow("an empty sample id") << QByteArray("id,PATIENT-7,,PATIENT-8\ng1,1,2,3\n") << malformed
                                        << "bad.csv, line 1, column 3: empty sample id";
    QTest::newRow("an empty probe id")
        << QByteArray("id,PATIENT-7\n,1\n") << malformed << "bad.csv, line 2, column 1: empty probe id";
    QTest::newRow("an empty line inside the table") << QByteArray("id,PATIENT-7\ng1,1\n\ng2,2\n") << malformed
                                                    << "bad.csv, line 3: empty line inside the table";
    QTest::newRow("a header without sample columns")
        << QByteArray("probe_id\ng1\n") << unsupported
        << "bad.csv, line 1: the header has no sample columns (is it a CSV or TSV genes-by-samples matrix?)";
    QTest::newRow("a header and no probe rows")
        << QByteArray("id,PATIENT-7\n") << unsupported << "bad.csv: no probe rows after the header";
    QTest::newRow("an empty file") << QByteArray() << unsupported
                                   << "bad.csv: the file is empty, not an expression matrix";
    QTest::newRow("binary bytes (a BAM header)") << QByteArray("BAM\x01\x00\x00\x00\x00",
        8) << unsupported << "bad.csv, line 1: binary data, not a CSV or TSV text table";
    // The limits below are those refusesBadTables() sets: 3 samples, 4 probes, 40-byte lines, 9 cells.
    QTest::newRow("more sample columns than the limit") << QByteArray(
        "id,a,b,c,d\ng1,1,2,3,4\n") << limit << "bad.csv, line 1: 4 sample columns, more than the limit of 3";
    QTest::newRow("more probe rows than the limit")
        << QByteArray("id,a\ng1,1\ng2,1\ng3,1\ng4,1\ng5,1\n") << limit
        << "bad.csv, line 6: more probe rows than the limit of 4";
    QTest::newRow("more cells than the limit")
        << QByteArray("id,a,b,c\ng1,1,2,3\ng2,1,2,3\ng3,1,2,3\ng4,1,2,3\n") << limit
        << "bad.csv, line 5: more than the limit of 9 expression values";
    QTest::newRow("a line longer than the limit")
        << QByteArray("id,a\ng1," + QByteArray(60, '1') + "\n") << limit
        << "bad.csv, line 2: the line is longer than the limit of 40 bytes";
}

void TstExpressionMatrix::refusesBadTables()
{
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const auto path = std::filesystem::path(dir.path().toStdString()) / "bad.csv";
    writeFile(path, bytes.toStdString());
    ExpressionReadOptions options;
    options.limits.maxSamples = 3;
    options.limits.maxProbes = 4;
    options.limits.maxLineBytes = 40;
    options.limits.maxCells = 9;
    auto matrix = readExpressionMatrix(path, options);
    QVERIFY(!matrix.has_value());
    QCOMPARE(matrix.error().message(), message.toStdString());
    QCOMPARE(int(matrix.error().code), code);
    QVERIFY(matrix.error().message().find("PATIENT") == std::string::npos);
}

void TstExpressionMatrix::selectsProbesAndSamples()
{
    auto matrix = ExpressionMatrix::fromValues({ "g1", "g2", "g3" }, { "a", "b" }, { 1, 2, 3, 4, 5, 6 });
    QVERIFY(matrix.has_value());
    const std::vector<std::size_t> probes { 2, 0 };
    const ExpressionMatrix two = matrix->selectProbes(probes);
    QCOMPARE(two.probeIds(), (std::vector<std::string> { "g3", "g1" }));
    QCOMPARE(two.values(), (std::vector<double> { 5, 6, 1, 2 }));
    QCOMPARE(two.probeIndex("g1"), std::optional<std::size_t> { 1 });
    const std::vector<std::size_t> samples { 1 };
    const ExpressionMatrix one = matrix->selectSamples(samples);
    QCOMPARE(one.sampleIds(), std::vector<std::string> { "b" });
    QCOMPARE(one.values(), (std::vector<double> { 2, 4, 6 }));

    QVERIFY(!ExpressionMatrix::fromValues({ "g1" }, { "a", "b" }, { 1 }).has_value());
    auto twice = ExpressionMatrix::fromValues({ "g1" }, { "PATIENT-7", "PATIENT-7" }, { 1, 2 });
    QVERIFY(!twice.has_value());
    QVERIFY(twice.error().message().find("PATIENT") == std::string::npos);
}

QTEST_APPLESS_MAIN(TstExpressionMatrix)
#include "tst_expression_matrix.moc"
