// SPDX-License-Identifier: Apache-2.0
// The worklist: the workspace's patients with the latest stored risk of the workspace model.
#pragma once

#include <QAbstractTableModel>

#include <cstdint>
#include <optional>
#include <vector>

namespace mosaic {

struct WorklistEntry
{
    std::int64_t patientId = 0;
    QString externalId;
    QString source;
    std::optional<double> probability; // latest stored prediction, if any
};

class PatientListModel : public QAbstractTableModel
{
    Q_OBJECT

public:
    enum Column { PatientColumn, RiskColumn, SourceColumn, ColumnCount };
    // Qt::UserRole on any column: the workspace's patient id. SortRole: numbers sort as numbers.
    static constexpr int PatientIdRole = Qt::UserRole;
    static constexpr int SortRole = Qt::UserRole + 1;

    explicit PatientListModel(QObject *parent = nullptr);

    void setEntries(std::vector<WorklistEntry> entries);
    [[nodiscard]] const std::vector<WorklistEntry> &entries() const { return m_entries; }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<WorklistEntry> m_entries;
};

} // namespace mosaic
