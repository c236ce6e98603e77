// SPDX-License-Identifier: Apache-2.0
#include "core/timestamp.h"

#include <QTest>

using namespace std::chrono;

class TestTimestamp : public QObject
{
    Q_OBJECT

private slots:
    void writesIso8601Utc_data()
    {
        QTest::addColumn<qint64>("secondsSinceEpoch");
        QTest::addColumn<QString>("expected");
        QTest::newRow("the Unix epoch") << qint64 { 0 } << "1970-01-01T00:00:00Z";
        // 2026-11-25 is day 20,782 after the epoch: 20782 * 86400 + 17 * 3600 + 49 * 60 = 1,795,628,940.
        QTest::newRow("an afternoon, zero-padded minutes and seconds")
            << qint64 { 1795628940 } << "2026-11-25T17:49:00Z";
        // 2024-02-29 is day 19,782: 19782 * 86400 + 86399 = 1,709,251,199.
        QTest::newRow("the last second of a leap day") << qint64 { 1709251199 } << "2024-02-29T23:59:59Z";
    }

    void writesIso8601Utc()
    {
        QFETCH(qint64, secondsSinceEpoch);
        QFETCH(QString, expected);
        const system_clock::time_point when { seconds { secondsSinceEpoch } };
        QCOMPARE(QString::fromStdString(mosaic::utcTimestamp(when)), expected);
        // Sub-second parts are dropped, not rounded up into the next second.
        QCOMPARE(QString::fromStdString(mosaic::utcTimestamp(when + milliseconds { 999 })), expected);
    }
};

QTEST_APPLESS_MAIN(TestTimestamp)
#include "tst_timestamp.moc"
