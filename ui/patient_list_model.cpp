// SPDX-License-Identifier: Apache-2.0
#include "ui/patient_list_model.h"

namespace mosaic {

PatientListModel::PatientListModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

void PatientListModel::setEntries(std::vector<WorklistEntry> entries)
{
    beginResetModel();
    m_entries = std::move(entries);
    endResetModel();
}

int PatientListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int PatientListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PatientListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const WorklistEntry &entry = m_entries[static_cast<std::size_t>(index.row())];
    if (role == PatientIdRole)
        return QVariant::fromValue<qlonglong>(entry.patientId);
    switch (index.column()) {
    case PatientColumn:
        if (role == Qt::DisplayRole || role == SortRole)
            return entry.externalId;
        break;
    case RiskColumn:
        if (role == Qt::DisplayRole)
            return entry.probability
                ? QString::number(*entry.probability * 100.0, 'f', 0) + QStringLiteral(" %")
                : tr("no prediction");
        if (role == SortRole)
            return entry.probability ? QVariant(*entry.probability) : QVariant(-1.0);
        if (role == Qt::TextAlignmentRole)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    case SourceColumn:
        if (role == Qt::DisplayRole || role == SortRole)
            return entry.source;
        break;
    default: break;
    }
    return {};
}

QVariant PatientListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case PatientColumn: return tr("Patient");
    case RiskColumn: return tr("Risk");
    case SourceColumn: return tr("Source");
    default: return {};
    }
}

} // namespace mosaic
