// SPDX-License-Identifier: Apache-2.0
#include "ui/shap_waterfall_chart.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QCategoryAxis>
#include <QChart>
#include <QHorizontalStackedBarSeries>

#include <algorithm>
#include <cmath>
#include <limits>

namespace mosaic {
namespace {

const QColor kRaisesColour(0xc0, 0x39, 0x2b); // red: pushes risk up
const QColor kLowersColour(0x28, 0x74, 0xa6); // blue: pushes risk down

QString formatValue(double value)
{
    if (std::isnan(value))
        return QObject::tr("missing");
    // Up to 4 significant digits, without trailing zeros: 1.83, 237000, 0.5.
    return QString::number(value, 'g', std::abs(value) >= 1e4 ? 7 : 4);
}

QString signedLogOdds(double value)
{
    return (value >= 0 ? QStringLiteral("+") : QString()) + QString::number(value, 'f', 2);
}

double logistic(double logOdds)
{
    return 1.0 / (1.0 + std::exp(-logOdds));
}

} // namespace

std::vector<WaterfallBar> waterfallBars(
    const RiskPrediction &prediction, const FeatureSchema &schema, std::size_t top)
{
    const std::vector<FeatureContribution> largest = prediction.topContributions(top);
    double remaining = 0.0;
    for (const auto &feature : prediction.features)
        remaining += feature.contribution;
    for (const auto &feature : largest)
        remaining -= feature.contribution;

    std::vector<WaterfallBar> bars;
    double position = prediction.baseMargin;
    const std::size_t others = prediction.features.size() - largest.size();
    if (others > 0) {
        bars.push_back({ QObject::tr("%n other feature(s)   %1", nullptr, static_cast<int>(others))
                             .arg(signedLogOdds(remaining)),
            position, position + remaining, std::nullopt });
        position += remaining;
    }
    for (auto it = largest.rbegin(); it != largest.rend(); ++it) {
        const FeatureDefinition &definition = schema.at(it->featureIndex);
        QString label = QString::fromStdString(displayName(definition)) + QStringLiteral(" = ")
            + formatValue(it->value);
        if (!definition.unit.empty() && !std::isnan(it->value))
            label += QStringLiteral(" ") + QString::fromStdString(displayUnit(definition.unit));
        label += QStringLiteral("   ") + signedLogOdds(it->contribution);
        bars.push_back({ label, position, position + it->contribution, it->featureIndex });
        position += it->contribution;
    }
    return bars;
}

ShapWaterfallChart::ShapWaterfallChart(QWidget *parent)
    : QChartView(parent)
{
    setObjectName(QStringLiteral("shapWaterfall"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(320);
    clear();
}

void ShapWaterfallChart::clear()
{
    m_bars.clear();
    m_raises = nullptr;
    m_lowers = nullptr;
    auto *chart = new QChart;
    chart->legend()->hide();
    replaceChart(chart);
}

void ShapWaterfallChart::replaceChart(QChart *next)
{
    // QChartView::setChart releases the previous chart without deleting it (Qt documents this).
    QChart *previous = chart();
    setChart(next);
    delete previous;
}

void ShapWaterfallChart::showPrediction(
    const RiskPrediction &prediction, const FeatureSchema &schema, const QString &outcome, std::size_t top)
{
    m_bars = waterfallBars(prediction, schema, top);

    // Stacked bars draw from zero, so each bar stands on an invisible offset measured from the
    // axis minimum; the value axis then carries its own tick labels at the true log-odds.
    double lowest = prediction.baseMargin;
    double highest = prediction.baseMargin;
    for (const auto &bar : m_bars) {
        lowest = std::min({ lowest, bar.start, bar.end });
        highest = std::max({ highest, bar.start, bar.end });
    }
    const double padding = std::max(0.25, 0.08 * (highest - lowest));
    const double axisMinimum = lowest - padding;
    const double axisMaximum = highest + padding;

    auto *offsets = new QBarSet(QStringLiteral("offset"));
    offsets->setColor(Qt::transparent);
    offsets->setBorderColor(Qt::transparent);
    m_raises = new QBarSet(tr("raises the risk"));
    m_raises->setColor(kRaisesColour);
    m_raises->setBorderColor(kRaisesColour);
    m_lowers = new QBarSet(tr("lowers the risk"));
    m_lowers->setColor(kLowersColour);
    m_lowers->setBorderColor(kLowersColour);
    QStringList categories;
    for (const auto &bar : m_bars) {
        const double change = bar.end - bar.start;
        offsets->append(std::min(bar.start, bar.end) - axisMinimum);
        m_raises->append(change > 0 ? change : 0.0);
        m_lowers->append(change < 0 ? -change : 0.0);
        categories << bar.label;
    }
    auto *series = new QHorizontalStackedBarSeries;
    series->append(offsets);
    series->append(m_raises);
    series->append(m_lowers);
    series->setBarWidth(0.7);

    auto *chart = new QChart;
    chart->addSeries(series);
    chart->legend()->hide();
    const double baseline = logistic(prediction.baseMargin);
    // SHAP values add up on the model's own log-odds, before any calibration map: when the risk
    // shown is calibrated, the title says which number the bars explain.
    if (prediction.calibration == ProbabilityCalibration::Method::None)
        chart->setTitle(tr("Why %1 %: from the model's baseline %2 % to this patient's %1 %")
                            .arg(QString::number(prediction.probability * 100.0, 'f', 0),
                                QString::number(baseline * 100.0, 'f', 0)));
    else
        chart->setTitle(tr("Why the model's probability is %1 % (calibrated risk %3 %): from its baseline "
                           "%2 % to this patient's %1 %")
                            .arg(QString::number(prediction.probability * 100.0, 'f', 0),
                                QString::number(baseline * 100.0, 'f', 0),
                                QString::number(prediction.risk * 100.0, 'f', 0)));

    auto *featureAxis = new QBarCategoryAxis;
    featureAxis->append(categories);
    chart->addAxis(featureAxis, Qt::AlignLeft);
    series->attachAxis(featureAxis);

    // Probability ticks on the log-odds axis, for the clinician who thinks in percent.
    auto *riskAxis = new QCategoryAxis;
    riskAxis->setRange(0.0, axisMaximum - axisMinimum);
    riskAxis->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    // Candidate ticks are dense; one is kept only when it stands clear of the previous one, so a
    // narrow range still gets several ticks and a wide one does not crowd.
    const double minimumGap = (axisMaximum - axisMinimum) / 9.0;
    double previous = -std::numeric_limits<double>::infinity();
    for (double percent :
        { 0.1, 0.2, 0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0, 55.0,
            60.0, 65.0, 70.0, 75.0, 80.0, 85.0, 90.0, 93.0, 95.0, 97.0, 98.0, 99.0, 99.5, 99.8, 99.9 }) {
        const double p = percent / 100.0;
        const double logOdds = std::log(p / (1.0 - p));
        if (logOdds <= axisMinimum || logOdds >= axisMaximum || logOdds - previous < minimumGap)
            continue;
        riskAxis->append(QString::number(percent) + QStringLiteral(" %"), logOdds - axisMinimum);
        previous = logOdds;
    }
    riskAxis->setTitleText(tr("Risk of %1 (log-odds scale)").arg(outcome));
    chart->addAxis(riskAxis, Qt::AlignBottom);
    series->attachAxis(riskAxis);

    replaceChart(chart);
}

} // namespace mosaic
