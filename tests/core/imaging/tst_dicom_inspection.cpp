// SPDX-License-Identifier: Apache-2.0
// The edge-case walk: every file of pydicom's test collection and of the dcmqi SEG data is given to
// the series reader (as a one-file series) and to inspectPath. Each must load or be refused with a
// message that starts with the file's name; none may crash. A table of outcomes is printed.
#include "core/imaging/dicom_inspection.h"
#include "core/imaging/dicom_series_reader.h"

#include <QDebug>
#include <QTest>

#include <algorithm>
#include <map>

using namespace mosaic;
namespace fs = std::filesystem;

namespace {

const fs::path kData = fs::path(MOSAIC_SHARED_DATA_DIR) / "imaging";

std::string factOf(const InspectionReport &report, const std::string &key)
{
    for (const auto &[name, value] : report.facts)
        if (name == key)
            return value;
    return {};
}

} // namespace

class TestDicomInspection : public QObject
{
    Q_OBJECT

private slots:
    void walksEveryEdgeCaseFile_data();
    void walksEveryEdgeCaseFile();
    void printsOutcomeTable();
    void identifiesKinds_data();
    void identifiesKinds();

private:
    std::map<std::string, std::string> m_outcomes;
};

void TestDicomInspection::walksEveryEdgeCaseFile_data()
{
    QTest::addColumn<QString>("file");
    for (const fs::path &folder : { kData / "dicom-edge-cases/pydicom", kData / "dicom-seg" }) {
        std::vector<fs::path> files;
        for (const auto &entry : fs::recursive_directory_iterator(folder))
            if (entry.is_regular_file())
                files.push_back(entry.path());
        std::ranges::sort(files);
        for (const auto &file : files) {
            const std::string name = fs::relative(file, kData).generic_string();
            QTest::newRow(name.c_str()) << QString::fromStdString(file.string());
        }
    }
}

void TestDicomInspection::walksEveryEdgeCaseFile()
{
    QFETCH(QString, file);
    const fs::path path = file.toStdString();
    const std::string name = path.filename().string();
    const auto series = readDicomSeries(std::vector<fs::path> { path });
    std::string outcome;
    if (series) {
        outcome = "loads " + series->modality + " " + std::to_string(series->volume.geometry.size[0]) + "x"
            + std::to_string(series->volume.geometry.size[1]) + "x"
            + std::to_string(series->volume.geometry.size[2]);
    } else {
        const std::string message = series.error().message();
        QVERIFY2(message.rfind(name, 0) == 0, message.c_str());
        outcome = std::string(errorCodeName(series.error().code)) + ": "
            + message.substr(name.size() + std::min<std::size_t>(2, message.size() - name.size()));
    }
    const auto report = inspectPath(path);
    if (report) {
        QVERIFY(!report->kind.empty());
        for (const auto &[key, value] : report->facts)
            QVERIFY2(key.find("patient") == std::string::npos, key.c_str());
        outcome += " | inspect: " + report->kind;
    } else {
        const std::string message = report.error().message();
        QVERIFY2(!message.empty() && message.rfind(name, 0) == 0, message.c_str());
        outcome += " | inspect refused";
    }
    m_outcomes[fs::relative(path, kData).generic_string()] = outcome;
}

void TestDicomInspection::printsOutcomeTable()
{
    std::size_t loaded = 0;
    for (const auto &[file, outcome] : m_outcomes) {
        loaded += outcome.rfind("loads", 0) == 0 ? 1 : 0;
        qDebug().noquote() << QString::fromStdString(file).leftJustified(70)
                           << QString::fromStdString(outcome).left(160);
    }
    qDebug().noquote() << m_outcomes.size() << "files," << loaded << "load as a volume";
    QVERIFY(m_outcomes.size() > 150);
}

void TestDicomInspection::identifiesKinds_data()
{
    QTest::addColumn<QString>("path");
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("key");
    QTest::addColumn<QString>("value");
    QTest::newRow("PET series folder") << "sts/STS_001/PET/image"
                                       << "dicom-series"
                                       << "slices"
                                       << "59";
    QTest::newRow("one CT slice") << "dicom-seg/01.dcm"
                                  << "dicom-file"
                                  << "modality"
                                  << "CT";
    QTest::newRow("IBSI phantom NIfTI") << "ibsi-digital-phantom/nifti/image/phantom.nii.gz"
                                        << "nifti"
                                        << "size"
                                        << "5 x 4 x 4";
    QTest::newRow("DICOMDIR") << "dicom-edge-cases/pydicom/dicomdirtests/TINY_ALPHA/DICOMDIR"
                              << "dicomdir"
                              << ""
                              << "";
    QTest::newRow("RTSTRUCT") << "sts/STS_001/PET/mask/RS.dcm"
                              << "rtstruct"
                              << ""
                              << "";
    QTest::newRow("SEG") << "dicom-seg/liver.dcm"
                         << "seg"
                         << ""
                         << "";
    QTest::newRow("JPEG 2000 file is described, with a warning")
        << "dicom-edge-cases/pydicom/JPEG2000.dcm"
        << "dicom-file"
        << "transfer_syntax"
        << "JPEG 2000 (Lossless or Lossy) (1.2.840.10008.1.2.4.91)";
}

void TestDicomInspection::identifiesKinds()
{
    QFETCH(QString, path);
    QFETCH(QString, kind);
    QFETCH(QString, key);
    QFETCH(QString, value);
    const auto report = inspectPath(kData / path.toStdString());
    QVERIFY2(report.has_value(), report ? "" : report.error().message().c_str());
    QCOMPARE(QString::fromStdString(report->kind), kind);
    if (!key.isEmpty())
        QCOMPARE(QString::fromStdString(factOf(*report, key.toStdString())), value);
    for (const auto &[name, fact] : report->facts)
        qDebug().noquote() << "  " << QString::fromStdString(name) << "=" << QString::fromStdString(fact);
    for (const auto &warning : report->warnings)
        qDebug().noquote() << "  warning:" << QString::fromStdString(warning);
}

QTEST_APPLESS_MAIN(TestDicomInspection)
#include "tst_dicom_inspection.moc"
