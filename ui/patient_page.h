// SPDX-License-Identifier: Apache-2.0
// One patient as the clinician reviews them: who they are, the workspace model's prediction (the
// calibrated risk when the model carries a calibration map, with the model's raw probability beside
// it, and "No confident call" with its reasons when the model's abstention policy declines), how
// well that model was validated, each modality's coverage, contribution and absence effect, the
// SHAP waterfall, and the evidence behind every feature (file, line, column).
#pragma once

#include "core/model/risk_model.h"
#include "core/store/workspace.h"

#include <QWidget>

#include <cstdint>
#include <optional>

class QLabel;
class QStandardItemModel;
class QTableView;

namespace mosaic {

class ShapWaterfallChart;

class PatientPage : public QWidget
{
    Q_OBJECT

public:
    explicit PatientPage(QWidget *parent = nullptr);

    // The model whose predictions the page shows; null when the workspace has none.
    void setRiskModel(const RiskModel *model);
    void showPatient(const Workspace &workspace, std::int64_t patientId);
    void showMessage(const QString &message);

    [[nodiscard]] const std::optional<RiskPrediction> &prediction() const { return m_prediction; }
    [[nodiscard]] ShapWaterfallChart *waterfall() const { return m_waterfall; }

private:
    void showValidation();

    const RiskModel *m_model = nullptr;
    std::optional<RiskPrediction> m_prediction;
    QLabel *m_header = nullptr;
    QLabel *m_risk = nullptr;
    QLabel *m_rawProbability = nullptr;
    QLabel *m_call = nullptr;
    QLabel *m_inSampleNotice = nullptr;
    QLabel *m_validation = nullptr;
    QLabel *m_modalities = nullptr;
    ShapWaterfallChart *m_waterfall = nullptr;
    QStandardItemModel *m_evidence = nullptr;
    QTableView *m_evidenceView = nullptr;
};

} // namespace mosaic
