// SPDX-License-Identifier: Apache-2.0
#include "ui/patient_page.h"

#include "ui/shap_waterfall_chart.h"

#include <QGroupBox>
#include <QHeaderView>
#include <QLabel>
#include <QScrollArea>
#include <QSplitter>
#include <QStandardItemModel>
#include <QTableView>
#include <QVBoxLayout>

#include <cmath>
#include <memory>

namespace mosaic {
namespace {

QLabel *plainLabel(QWidget *parent, const QString &objectName)
{
    auto *label = new QLabel(parent);
    // Identifiers and file contents are untrusted text: never let Qt interpret them as rich text.
    label->setTextFormat(Qt::PlainText);
    label->setWordWrap(true);
    label->setObjectName(objectName);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QString percent(double probability)
{
    return QString::number(probability * 100.0, 'f', 0) + QStringLiteral(" %");
}

QString decimal(double value, int digits = 2)
{
    return QString::number(value, 'f', digits);
}

// A change of risk in percentage points, signed: "+4.2 points".
QString points(double change)
{
    const double shown = change * 100.0;
    return (shown >= 0 ? QStringLiteral("+") : QString()) + QString::number(shown, 'f', 1)
        + QStringLiteral(" points");
}

QString calibrationInWords(ProbabilityCalibration::Method method)
{
    switch (method) {
    case ProbabilityCalibration::Method::Platt: return QObject::tr("Platt scaling");
    case ProbabilityCalibration::Method::Isotonic: return QObject::tr("isotonic regression");
    case ProbabilityCalibration::Method::None: break;
    }
    return QObject::tr("none");
}

} // namespace

PatientPage::PatientPage(QWidget *parent)
    : QWidget(parent)
{
    m_header = plainLabel(this, QStringLiteral("patientHeader"));
    QFont headerFont = m_header->font();
    headerFont.setPointSizeF(headerFont.pointSizeF() * 1.4);
    headerFont.setBold(true);
    m_header->setFont(headerFont);

    m_risk = plainLabel(this, QStringLiteral("riskSummary"));
    QFont riskFont = m_risk->font();
    riskFont.setPointSizeF(riskFont.pointSizeF() * 1.2);
    m_risk->setFont(riskFont);
    m_rawProbability = plainLabel(this, QStringLiteral("rawProbability"));
    QFont smallFont = m_rawProbability->font();
    smallFont.setPointSizeF(smallFont.pointSizeF() * 0.9);
    m_rawProbability->setFont(smallFont);
    m_rawProbability->setStyleSheet(QStringLiteral("color: #555555;"));
    m_call = plainLabel(this, QStringLiteral("callSummary"));
    m_inSampleNotice = plainLabel(this, QStringLiteral("inSampleNotice"));
    m_inSampleNotice->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    m_validation = plainLabel(this, QStringLiteral("validationSummary"));
    m_modalities = plainLabel(this, QStringLiteral("modalitySummary"));

    auto *predictionBox = new QGroupBox(tr("Prediction"), this);
    auto *predictionLayout = new QVBoxLayout(predictionBox);
    predictionLayout->addWidget(m_risk);
    predictionLayout->addWidget(m_rawProbability);
    predictionLayout->addWidget(m_call);
    predictionLayout->addWidget(m_inSampleNotice);
    predictionLayout->addWidget(m_modalities);
    auto *validationBox = new QGroupBox(tr("How the model was validated"), this);
    auto *validationLayout = new QVBoxLayout(validationBox);
    validationLayout->addWidget(m_validation);

    m_waterfall = new ShapWaterfallChart(this);

    m_evidence = new QStandardItemModel(this);
    m_evidenceView = new QTableView(this);
    m_evidenceView->setObjectName(QStringLiteral("evidenceTable"));
    m_evidenceView->setModel(m_evidence);
    m_evidenceView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_evidenceView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_evidenceView->verticalHeader()->hide();
    m_evidenceView->horizontalHeader()->setStretchLastSection(true);
    m_evidenceView->setSortingEnabled(false);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_waterfall);
    splitter->addWidget(m_evidenceView);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_header);
    auto *summaries = new QHBoxLayout;
    summaries->addWidget(predictionBox, 1);
    summaries->addWidget(validationBox, 1);
    layout->addLayout(summaries);
    layout->addWidget(splitter, 1);

    showMessage(tr("Select a patient in the worklist."));
}

void PatientPage::setRiskModel(const RiskModel *model)
{
    m_model = model;
    showValidation();
}

void PatientPage::showMessage(const QString &message)
{
    m_prediction.reset();
    m_header->setText(message);
    m_risk->clear();
    m_risk->setToolTip(QString());
    m_rawProbability->clear();
    m_rawProbability->hide();
    m_call->clear();
    m_call->setStyleSheet(QString());
    m_call->hide();
    m_inSampleNotice->hide();
    m_modalities->clear();
    m_waterfall->clear();
    m_evidence->clear();
}

void PatientPage::showValidation()
{
    if (!m_model) {
        m_validation->setText(tr("The workspace has no model yet."));
        return;
    }
    const ModelBundle &bundle = m_model->bundle();
    if (!bundle.validation) {
        m_validation->setText(
            tr("%1\nThis model carries no validation report: treat its predictions as untested.")
                .arg(QString::fromStdString(bundle.name)));
        return;
    }
    const ValidationReport &report = *bundle.validation;
    const BinaryMetrics &m = report.metrics;
    m_validation->setText(
        tr("%1\nTrained on %2 patients (%3 with %4) from %5.\n"
           "%6 x %7-fold stratified cross-validation:\n"
           "AUROC %8 (95 % CI %9 to %10), AUPRC %11 (event rate %12)\n"
           "Brier score %13; calibration slope %14 (1 is ideal), intercept %15 (0 is ideal)")
            .arg(QString::fromStdString(bundle.name))
            .arg(bundle.trainingCases)
            .arg(bundle.trainingPositives)
            .arg(QString::fromStdString(bundle.outcome), QString::fromStdString(bundle.trainingSource))
            .arg(report.repeats)
            .arg(report.folds)
            .arg(decimal(m.auroc.auroc), decimal(m.auroc.ci95.lower), decimal(m.auroc.ci95.upper),
                decimal(m.auprc),
                decimal(static_cast<double>(m.positives)
                    / static_cast<double>(std::max<std::size_t>(1, m.cases))),
                decimal(m.brier, 3), decimal(m.calibration.slope), decimal(m.calibration.intercept)));

    // Reports of the training pipeline (model_training.h) add figures of the calibrated risk.
    QStringList pipeline;
    if (!report.calibrationMethod.empty()) {
        const auto method = calibrationMethodFromName(report.calibrationMethod);
        pipeline << tr("Risk calibration: %1, fitted on out-of-fold predictions")
                        .arg(method ? calibrationInWords(*method)
                                    : QString::fromStdString(report.calibrationMethod));
    }
    if (report.aurocBootstrap95)
        pipeline << tr("AUROC bootstrap 95 % CI %1 to %2")
                        .arg(
                            decimal(report.aurocBootstrap95->lower), decimal(report.aurocBootstrap95->upper));
    if (report.brierBootstrap95)
        pipeline << tr("Brier score bootstrap 95 % CI %1 to %2")
                        .arg(decimal(report.brierBootstrap95->lower, 3),
                            decimal(report.brierBootstrap95->upper, 3));
    if (report.expectedCalibrationError)
        pipeline << tr("Expected calibration error %1 (10 bins; 0 is ideal)")
                        .arg(decimal(*report.expectedCalibrationError, 3));
    if (report.abstentionRate)
        pipeline << tr("No confident call for %1 of the cross-validated patients")
                        .arg(QString::number(*report.abstentionRate * 100.0, 'f', 1) + QStringLiteral(" %"));
    if (!pipeline.isEmpty())
        m_validation->setText(m_validation->text() + QLatin1Char('\n') + pipeline.join(QLatin1Char('\n')));
}

void PatientPage::showPatient(const Workspace &workspace, std::int64_t patientId)
{
    auto patient = workspace.patient(patientId);
    if (!patient) {
        showMessage(
            tr("This patient could not be read: %1").arg(QString::fromStdString(patient.error().message())));
        return;
    }
    showMessage(tr("Patient %1").arg(QString::fromStdString(patient->externalId)));
    if (!m_model) {
        m_risk->setText(tr("No model in this workspace: nothing to predict."));
        return;
    }

    const ModelBundle &bundle = m_model->bundle();
    auto schema = std::make_shared<const FeatureSchema>(bundle.schema);
    auto features = workspace.features(patientId, schema);
    if (!features) {
        m_risk->setText(tr("The patient's data could not be read: %1")
                            .arg(QString::fromStdString(features.error().message())));
        return;
    }
    auto prediction = m_model->predict(*features);
    if (!prediction) {
        m_risk->setText(
            tr("The model could not predict: %1").arg(QString::fromStdString(prediction.error().message())));
        return;
    }
    m_prediction = *prediction;
    const QString outcome = QString::fromStdString(bundle.outcome);

    const std::size_t missing = features->missingCount();
    const bool calibrated = prediction->calibration != ProbabilityCalibration::Method::None;
    const QString rawText
        = tr("Model probability before calibration: %1").arg(percent(prediction->probability));
    m_risk->setText((calibrated ? tr("Calibrated risk of %1: %2") : tr("Risk of %1: %2"))
                        .arg(outcome, percent(prediction->risk))
        + (missing > 0 ? tr("  (%n feature(s) missing)", nullptr, static_cast<int>(missing)) : QString()));
    if (calibrated) {
        m_risk->setToolTip(tr("%1. The risk is the model's probability recalibrated by %2, fitted on "
                              "out-of-fold predictions of the training cohort.")
                               .arg(rawText, calibrationInWords(prediction->calibration)));
        m_rawProbability->setText(rawText);
    } else {
        m_risk->setToolTip(tr("The model's own probability: this model carries no calibration map."));
        m_rawProbability->setText(tr("Not recalibrated: the model's own probability."));
    }
    m_rawProbability->show();

    if (prediction->abstention) {
        if (prediction->abstention->called) {
            m_call->setText(tr("Confident call: the model's abstention rules are met."));
            m_call->setStyleSheet(QStringLiteral("color: #2d6a2d;"));
        } else {
            QStringList lines { tr("No confident call") };
            for (const auto &reason : prediction->abstention->reasons)
                lines << QStringLiteral("\u2022 ") + QString::fromStdString(reason.text);
            lines << tr("The risk above is shown for reference; do not act on it alone.");
            m_call->setText(lines.join(QLatin1Char('\n')));
            m_call->setStyleSheet(QStringLiteral(
                "color: #8b1a1a; font-weight: bold; border: 2px solid #8b1a1a; padding: 4px;"));
        }
        m_call->show();
    }
    if (patient->source == bundle.trainingSource) {
        m_inSampleNotice->setText(
            tr("This patient is in the model's training cohort, so this prediction is in-sample "
               "and optimistic. The cross-validated figures are the honest estimate."));
        m_inSampleNotice->show();
    }

    QStringList modalityLines;
    for (Modality modality : { Modality::Imaging, Modality::Genomics, Modality::Records }) {
        QString name = QString::fromStdString(std::string(modalityName(modality)));
        QString capitalised = name;
        capitalised[0] = capitalised[0].toUpper();
        const auto it = std::ranges::find(prediction->modalities, modality, &ModalityContribution::modality);
        if (it == prediction->modalities.end()) {
            modalityLines << tr("%1: not used by this model").arg(capitalised);
            continue;
        }
        QString line
            = tr("%1: %2 of %3 features present (%4 coverage), %5 log-odds")
                  .arg(capitalised)
                  .arg(it->featuresPresent)
                  .arg(it->featuresInModel)
                  .arg(QString::number(it->coverage() * 100.0, 'f', 0) + QStringLiteral(" %"),
                      (it->contribution >= 0 ? QStringLiteral("+") : QString()) + decimal(it->contribution));
        if (it->featuresPresent == 0)
            line += tr("; the risk is already without %1").arg(name);
        else
            line += tr("; without %1 the risk would be %2 (%3)")
                        .arg(name, percent(it->riskWithout), points(it->absenceEffect));
        modalityLines << line;
    }
    m_modalities->setText(modalityLines.join(QLatin1Char('\n')));

    m_waterfall->showPrediction(*prediction, bundle.schema, outcome);

    m_evidence->setHorizontalHeaderLabels(
        { tr("Feature"), tr("Value"), tr("Unit"), tr("Contribution (log-odds)"), tr("Evidence") });
    for (const auto &contribution : prediction->topContributions(prediction->features.size())) {
        const FeatureDefinition &definition = bundle.schema.at(contribution.featureIndex);
        auto *name = new QStandardItem(QString::fromStdString(displayName(definition)));
        name->setToolTip(tr("Column '%1'").arg(QString::fromStdString(definition.name)));
        auto *value = new QStandardItem(
            std::isnan(contribution.value) ? tr("missing") : QString::number(contribution.value, 'g', 7));
        auto *unit = new QStandardItem(QString::fromStdString(displayUnit(definition.unit)));
        auto *shap = new QStandardItem((contribution.contribution >= 0 ? QStringLiteral("+") : QString())
            + QString::number(contribution.contribution, 'f', 3));
        shap->setForeground(
            contribution.contribution >= 0 ? QColor(0xc0, 0x39, 0x2b) : QColor(0x28, 0x74, 0xa6));
        auto *evidence = new QStandardItem(QString::fromStdString(contribution.provenance.source)
            + QStringLiteral(", ") + QString::fromStdString(contribution.provenance.location));
        value->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        shap->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_evidence->appendRow({ name, value, unit, shap, evidence });
    }
    m_evidenceView->resizeColumnsToContents();
}

} // namespace mosaic
