// SPDX-License-Identifier: Apache-2.0
// One patient's values for a schema, each with the evidence it came from, so the explanation view
// can follow a SHAP bar back to the table cell, the contour or the VCF record. A missing value is
// NaN: XGBoost routes it natively and the prediction says which values were absent.
#pragma once

#include "core/error.h"
#include "core/features/feature_schema.h"

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace mosaic {

struct Provenance
{
    std::string source; // file or resource the value came from, e.g. "heart_failure_S1Data.csv"
    std::string location; // where in it, e.g. "line 14, column 'Creatinine'"

    friend bool operator==(const Provenance &, const Provenance &) = default;
};

class FeatureVector
{
public:
    // Every value starts missing (NaN) with empty provenance. `schema` must not be null.
    explicit FeatureVector(std::shared_ptr<const FeatureSchema> schema);

    [[nodiscard]] const FeatureSchema &schema() const { return *m_schema; }
    [[nodiscard]] std::shared_ptr<const FeatureSchema> sharedSchema() const { return m_schema; }
    [[nodiscard]] std::size_t size() const { return m_values.size(); }

    void set(std::size_t index, double value, Provenance provenance);
    // NotFound when the schema has no feature of that name.
    Result<void> set(std::string_view name, double value, Provenance provenance);

    [[nodiscard]] double value(std::size_t index) const { return m_values.at(index); }
    [[nodiscard]] bool isMissing(std::size_t index) const;
    [[nodiscard]] const Provenance &provenance(std::size_t index) const { return m_provenance.at(index); }
    [[nodiscard]] std::span<const double> values() const { return m_values; }
    [[nodiscard]] std::size_t missingCount() const;

private:
    std::shared_ptr<const FeatureSchema> m_schema;
    std::vector<double> m_values;
    std::vector<Provenance> m_provenance;
};

} // namespace mosaic
