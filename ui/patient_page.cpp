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
    m_inSampleNotice = plainLabel(this, QStringLiteral("inSampleNotice"));
    m_inSampleNotice->setStyleSheet(QStringLiteral("color: #8a5a00;"));
    m_validation = plainLabel(this, QStringLiteral("validationSummary"));
    m_modalities = plainLabel(this, QStringLiteral("modalitySummary"));

    auto *predictionBox = new QGroupBox(tr("Prediction"), this);
    auto *predictionLayout = new QVBoxLayout(predictionBox);
    predictionLayout->addWidget(m_risk);
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
    m_risk->setText(tr("Risk of %1: %2").arg(outcome, percent(prediction->probability))
        + (missing > 0 ? tr("  (%n feature(s) missing)", nullptr, static_cast<int>(missing)) : QString()));
    if (patient->source == bundle.trainingSource) {
        m_inSampleNotice->setText(
            tr("This patient is in the model's training cohort, so this prediction is in-sample "
               "and optimistic. The cross-validated figures are the honest estimate."));
        m_inSampleNotice->show();
    }

    QStringList modalityLines;
    for (Modality modality : { Modality::Imaging, Modality::Genomics, Modality::Records }) {
        QString name = QString::fromStdString(std::string(modalityName(modality)));
        name[0] = name[0].toUpper();
        const auto it = std::ranges::find(prediction->modalities, modality, &ModalityContribution::modality);
        if (it == prediction->modalities.end())
            modalityLines << tr("%1: not used by this model").arg(name);
        else
            modalityLines << tr("%1: %2 log-odds (%3 of %4 features present)")
                                 .arg(name,
                                     (it->contribution >= 0 ? QStringLiteral("+") : QString())
                                         + decimal(it->contribution))
                                 .arg(it->featuresPresent)
                                 .arg(it->featuresInModel);
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
