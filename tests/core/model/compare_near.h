// SPDX-License-Identifier: Apache-2.0
// COMPARE_NEAR for the model suites: |actual - expected| <= tolerance, and on failure both numbers
// to 17 significant digits (QCOMPARE's fuzzy compare neither takes a tolerance nor shows them).
#pragma once

#include <QString>
#include <QTest>

#include <cmath>

#define COMPARE_NEAR(actual, expected, tolerance)                                                            \
    QVERIFY2(std::abs((actual) - (expected)) <= (tolerance),                                                 \
        qPrintable(QStringLiteral("%1 is %2, expected %3")                                                   \
                       .arg(QString::fromLatin1(#actual))                                                    \
                       .arg(actual, 0, 'g', 17)                                                              \
                       .arg(expected, 0, 'g', 17)))
