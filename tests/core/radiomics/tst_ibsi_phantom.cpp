// SPDX-License-Identifier: Apache-2.0
// IBSI 1 conformance: every feature of the digital phantom's reference table that has a reference
// value, computed by the full pipeline (computeRadiomics) with the phantom's settings: no
// resampling, no re-segmentation, no discretisation (intensities 1..6 are the grey levels).
// Rule: |ours - reference| <= tolerance + half a unit in the last significant digit of the reference
// as printed. With MOSAIC_WRITE_CONFORMANCE=path the suite writes the table of docs/conformance/ibsi.md.
#include "core/imaging/nifti_reader.h"
#include "core/radiomics/radiomics_pipeline.h"

#include <QFile>
#include <QTest>

#include <cmath>
#include <optional>

using namespace mosaic;

namespace {

const QString kPhantomDir = QStringLiteral(MOSAIC_SHARED_DATA_DIR "/imaging/ibsi-digital-phantom");

struct ReferenceRow
{
    QString family;
    QString feature;
    QString tag;
    QString printed;
    double value = 0.0;
    double tolerance = 0.0;
};

// One CSV line: fields separated by commas, a field in double quotes may hold commas.
QStringList splitCsvLine(const QString &line)
{
    QStringList cells;
    QString cell;
    bool quoted = false;
    for (const QChar character : line) {
        if (character == '"')
            quoted = !quoted;
        else if (character == ',' && !quoted) {
            cells.append(cell);
            cell.clear();
        } else
            cell.append(character);
    }
    cells.append(cell);
    return cells;
}

// Rows with a reference value; OMBB, MVEE and ivh_auc have none ("not standardised") and are skipped.
QList<ReferenceRow> readReferenceRows()
{
    QList<ReferenceRow> rows;
    QFile file(kPhantomDir + "/reference_values.csv");
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return rows;
    file.readLine(); // dataset,family,feature,consensus,reference value,tolerance,...,tag
    while (!file.atEnd()) {
        const QStringList cells = splitCsvLine(QString::fromUtf8(file.readLine()).trimmed());
        if (cells.size() < 10 || cells[4].isEmpty())
            continue;
        rows.append({ cells[1], cells[2], cells[9], cells[4], cells[4].toDouble(), cells[5].toDouble() });
    }
    return rows;
}

// Half a unit in the last significant digit as printed: "2.15" allows 0.005, "7" allows 0.5. Integers
// of more than three digits ("1200", "1490") are three significant digits, IBSI's precision.
double roundingAllowance(const QString &printed)
{
    const QString digits = printed.startsWith('-') ? printed.mid(1) : printed;
    const qsizetype point = digits.indexOf('.');
    if (point >= 0)
        return 0.5 * std::pow(10.0, -static_cast<double>(digits.size() - point - 1));
    return 0.5 * std::pow(10.0, static_cast<double>(std::max<qsizetype>(0, digits.size() - 3)));
}

struct Outcome
{
    ReferenceRow row;
    std::optional<double> ours;
    double allowed = 0.0;
    bool passed = false;
};

} // namespace

Q_DECLARE_METATYPE(ReferenceRow)

class TestIbsiPhantom : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void matchesReference_data();
    void matchesReference();
    void cleanupTestCase();

private:
    RadiomicsFeatures m_features;
    QList<Outcome> m_outcomes;
};

void TestIbsiPhantom::initTestCase()
{
    auto image = readNifti((kPhantomDir + "/nifti/image/phantom.nii.gz").toStdString());
    QVERIFY2(image, image ? "" : image.error().message().c_str());
    auto mask = readNiftiMask((kPhantomDir + "/nifti/mask/mask.nii.gz").toStdString());
    QVERIFY2(mask, mask ? "" : mask.error().message().c_str());

    RadiomicsSettings settings;
    settings.discretisation.method = DiscretisationMethod::None;
    settings.ivhDiscretisation.method = DiscretisationMethod::None;
    auto features = computeRadiomics(*image, *mask, settings);
    QVERIFY2(features, features ? "" : features.error().message().c_str());
    m_features = std::move(*features);
}

void TestIbsiPhantom::matchesReference_data()
{
    QTest::addColumn<ReferenceRow>("row");
    const QList<ReferenceRow> rows = readReferenceRows();
    QVERIFY2(rows.size() > 400, "the reference table is missing or incomplete");
    for (const ReferenceRow &row : rows)
        QTest::newRow(qPrintable(QStringLiteral("%1: %2 (%3)").arg(row.family, row.feature, row.tag))) << row;
}

void TestIbsiPhantom::matchesReference()
{
    QFETCH(ReferenceRow, row);
    Outcome outcome { row, findFeature(m_features, row.tag.toStdString()),
        row.tolerance + roundingAllowance(row.printed), false };
    outcome.passed = outcome.ours && std::abs(*outcome.ours - row.value) <= outcome.allowed + 1e-12;
    m_outcomes.append(outcome);
    QVERIFY2(outcome.ours, qPrintable(QStringLiteral("%1 was not computed").arg(row.tag)));
    QVERIFY2(outcome.passed,
        qPrintable(QStringLiteral("%1 = %2, reference %3 +- %4")
                       .arg(row.tag)
                       .arg(*outcome.ours, 0, 'g', 6)
                       .arg(row.printed)
                       .arg(outcome.allowed)));
}

void TestIbsiPhantom::cleanupTestCase()
{
    const QByteArray path = qgetenv("MOSAIC_WRITE_CONFORMANCE");
    if (path.isEmpty())
        return;
    QFile file(QString::fromLocal8Bit(path));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Text | QIODevice::Truncate))
        QFAIL("cannot write the conformance table");
    QString text
        = QStringLiteral("| Feature | Tag | Family | Mosaic | Reference | Tolerance | Allowed | Result |\n"
                         "|---|---|---|---|---|---|---|---|\n");
    int passed = 0;
    for (const Outcome &outcome : m_outcomes) {
        passed += outcome.passed ? 1 : 0;
        text += QStringLiteral("| %1 | `%2` | %3 | %4 | %5 | %6 | %7 | %8 |\n")
                    .arg(outcome.row.feature, outcome.row.tag, outcome.row.family,
                        outcome.ours ? QString::number(*outcome.ours, 'g', 6) : QStringLiteral("—"),
                        outcome.row.printed, QString::number(outcome.row.tolerance, 'g', 6),
                        QString::number(outcome.allowed, 'g', 6),
                        outcome.passed ? QStringLiteral("pass") : QStringLiteral("**fail**"));
    }
    text += QStringLiteral("\n%1 of %2 reference values matched.\n").arg(passed).arg(m_outcomes.size());
    file.write(text.toUtf8());
}

QTEST_APPLESS_MAIN(TestIbsiPhantom)
#include "tst_ibsi_phantom.moc"
