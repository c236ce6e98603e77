// SPDX-License-Identifier: Apache-2.0
#include "core/features/feature_vector.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace mosaic {

FeatureVector::FeatureVector(std::shared_ptr<const FeatureSchema> schema)
    : m_schema(std::move(schema))
{
    assert(m_schema);
    m_values.assign(m_schema->size(), std::numeric_limits<double>::quiet_NaN());
    m_provenance.resize(m_schema->size());
}

void FeatureVector::set(std::size_t index, double value, Provenance provenance)
{
    m_values.at(index) = value;
    m_provenance.at(index) = std::move(provenance);
}

Result<void> FeatureVector::set(std::string_view name, double value, Provenance provenance)
{
    const auto index = m_schema->indexOf(name);
    if (!index)
        return fail(ErrorCode::NotFound, "the feature schema has no feature '" + std::string(name) + "'");
    set(*index, value, std::move(provenance));
    return {};
}

bool FeatureVector::isMissing(std::size_t index) const
{
    return std::isnan(m_values.at(index));
}

std::size_t FeatureVector::missingCount() const
{
    return static_cast<std::size_t>(
        std::ranges::count_if(m_values, [](double value) { return std::isnan(value); }));
}

} // namespace mosaic
