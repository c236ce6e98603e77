// SPDX-License-Identifier: Apache-2.0
// Radiomics settings files: JSON round trip, the IBSI configuration files, and errors that name the key.
#include "core/radiomics/radiomics_settings.h"

#include <QFileInfo>
#include <QFile>
#include <QTest>

using namespace mosaic;

class TestRadiomicsSettings : public QObject
{
    Q_OBJECT

private slots:
    void defaultsRoundTrip();
    void everyFieldRoundTrips();
    void ibsiConfigurationsRead_data();
    void ibsiConfigurationsRead();
    void rejectsBadSettings_data();
    void rejectsBadSettings();
};

void TestRadiomicsSettings::defaultsRoundTrip()
{
    const RadiomicsSettings settings;
    const auto read = RadiomicsSettings::fromJson(settings.toJson(), "defaults.json");
    QVERIFY2(read, read ? "" : read.error().message().c_str());
    QVERIFY(*read == settings);
    const auto empty = RadiomicsSettings::fromJson("{}", "empty.json");
    QVERIFY(empty);
    QVERIFY(*empty == settings);
}

void TestRadiomicsSettings::everyFieldRoundTrips()
{
    RadiomicsSettings settings;
    settings.resampling.spacingMm = std::array<double, 3> { 2.0, 2.0, 0.0 };
    settings.resampling.inPlaneOnly = true;
    settings.resampling.imageInterpolation = ImageInterpolation::Cubic;
    settings.resampling.maskPartialVolumeThreshold = 0.4;
    settings.resampling.roundIntensities = true;
    settings.resegmentation.minimum = -500.0;
    settings.resegmentation.maximum = 400.0;
    settings.resegmentation.removeOutliers = true;
    settings.resegmentation.outlierSigmas = 2.5;
    settings.discretisation = { DiscretisationMethod::FixedBinSize, 16, 12.5, -1000.0 };
    settings.ivhDiscretisation = { DiscretisationMethod::FixedBinNumber, 1000, 1.0, std::nullopt };
    settings.aggregation = { false, true, false };
    const auto read = RadiomicsSettings::fromJson(settings.toJson(), "all.json");
    QVERIFY2(read, read ? "" : read.error().message().c_str());
    QVERIFY(*read == settings);
}

void TestRadiomicsSettings::ibsiConfigurationsRead_data()
{
    QTest::addColumn<QString>("file");
    QTest::addColumn<bool>("resampled");
    QTest::addColumn<int>("method");
    for (const auto &[name, resampled, method] :
        { std::tuple { "a", false, DiscretisationMethod::FixedBinSize },
            std::tuple { "b", true, DiscretisationMethod::FixedBinNumber },
            std::tuple { "c", true, DiscretisationMethod::FixedBinSize },
            std::tuple { "d", true, DiscretisationMethod::FixedBinNumber },
            std::tuple { "e", true, DiscretisationMethod::FixedBinNumber } })
        QTest::newRow(qPrintable(QStringLiteral("IBSI configuration %1").arg(QString(name).toUpper())))
            << QStringLiteral(MOSAIC_SOURCE_DIR "/resources/radiomics/ibsi_config_%1.json").arg(name)
            << resampled << static_cast<int>(method);
}

void TestRadiomicsSettings::ibsiConfigurationsRead()
{
    QFETCH(QString, file);
    QFETCH(bool, resampled);
    QFETCH(int, method);
    QFile input(file);
    QVERIFY2(input.open(QIODevice::ReadOnly), qPrintable(file));
    const QByteArray text = input.readAll();
    const auto settings
        = RadiomicsSettings::fromJson(text.toStdString(), QFileInfo(file).fileName().toStdString());
    QVERIFY2(settings, settings ? "" : settings.error().message().c_str());
    QCOMPARE(settings->resampling.spacingMm.has_value(), resampled);
    QCOMPARE(static_cast<int>(settings->discretisation.method), method);
    const auto again = RadiomicsSettings::fromJson(settings->toJson(), "again.json");
    QVERIFY(again && *again == *settings);
}

void TestRadiomicsSettings::rejectsBadSettings_data()
{
    QTest::addColumn<QString>("json");
    QTest::addColumn<QString>("expected");
    QTest::newRow("not JSON at all") << "{ resampling"
                                     << "not valid JSON";
    QTest::newRow("unknown top-level key") << R"({"discretization": {}})"
                                           << "unknown key 'discretization'";
    QTest::newRow("unknown key inside a section") << R"({"resampling": {"spacing": [1, 1, 1]}})"
                                                  << "unknown key 'resampling.spacing'";
    QTest::newRow("spacing of two numbers") << R"({"resampling": {"spacingMm": [1, 1]}})"
                                            << "'resampling.spacingMm' must be null or an array";
    QTest::newRow("interpolation name misspelt") << R"({"resampling": {"imageInterpolation": "bilinear"}})"
                                                 << "'resampling.imageInterpolation' is 'bilinear'";
    QTest::newRow("bin count as text") << R"({"discretisation": {"binCount": "32"}})"
                                       << "'discretisation.binCount' must be an integer";
    QTest::newRow("zero bins") << R"({"discretisation": {"binCount": 0}})"
                               << "'discretisation.binCount' must be at least 1";
    QTest::newRow("negative bin width in the IVH")
        << R"({"ivhDiscretisation": {"method": "fixedBinSize", "binWidth": -2.5}})"
        << "'ivhDiscretisation.binWidth' must be positive";
    QTest::newRow("re-segmentation minimum above maximum")
        << R"({"resegmentation": {"minimum": 400, "maximum": -500}})"
        << "'resegmentation.minimum' is above";
    QTest::newRow("aggregation flag as number") << R"({"aggregation": {"slice2D": 1}})"
                                                << "'aggregation.slice2D' must be true or false";
}

void TestRadiomicsSettings::rejectsBadSettings()
{
    QFETCH(QString, json);
    QFETCH(QString, expected);
    const auto settings = RadiomicsSettings::fromJson(json.toStdString(), "bad.json");
    QVERIFY(!settings);
    const QString message = QString::fromStdString(settings.error().message());
    QVERIFY2(message.startsWith("bad.json: "), qPrintable(message));
    QVERIFY2(message.contains(expected), qPrintable(message));
}

QTEST_APPLESS_MAIN(TestRadiomicsSettings)
#include "tst_radiomics_settings.moc"
