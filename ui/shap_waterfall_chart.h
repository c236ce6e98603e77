// SPDX-License-Identifier: Apache-2.0
// A SHAP waterfall for one patient: from the model's baseline log-odds, each of the largest
// contributions moves the risk up (red) or down (blue) until it reaches this patient's prediction.
// The remaining features are summed in one bar, so the bars always add up to the prediction. Each
// bar is labelled with the feature's value and unit; the axis is log-odds with ticks in percent.
#pragma once

#include "core/features/feature_schema.h"
#include "core/model/risk_model.h"

#include <QChartView>

#include <optional>
#include <vector>

class QBarSet;

namespace mosaic {

struct WaterfallBar
{
    QString label; // "Creatinine = 1.83 mg/dL   +1.59"
    double start = 0.0; // log-odds before this bar
    double end = 0.0; // log-odds after it
    std::optional<std::size_t> featureIndex; // none for the bar of the remaining features
};

// Bars from bottom to top: the remaining features first (when there are any), then the `top`
// largest contributions from the smallest to the largest, so the largest sits at the top.
[[nodiscard]] std::vector<WaterfallBar> waterfallBars(
    const RiskPrediction &prediction, const FeatureSchema &schema, std::size_t top);

class ShapWaterfallChart : public QChartView
{
    Q_OBJECT

public:
    explicit ShapWaterfallChart(QWidget *parent = nullptr);

    void showPrediction(const RiskPrediction &prediction, const FeatureSchema &schema, const QString &outcome,
        std::size_t top = 8);
    void clear();

    [[nodiscard]] const std::vector<WaterfallBar> &bars() const { return m_bars; }
    // The drawn bar sets: what raised and what lowered the risk, one value per bar (0 for the other
    // direction), in log-odds. For tests and accessibility.
    [[nodiscard]] const QBarSet *raisesRisk() const { return m_raises; }
    [[nodiscard]] const QBarSet *lowersRisk() const { return m_lowers; }

private:
    void replaceChart(QChart *next);

    std::vector<WaterfallBar> m_bars;
    QBarSet *m_raises = nullptr;
    QBarSet *m_lowers = nullptr;
};

} // namespace mosaic
