// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/prepared_roi.h"

#include <algorithm>

namespace mosaic {

std::optional<double> findFeature(const RadiomicsFeatures &features, std::string_view tag)
{
    const auto it = std::ranges::find(features, tag, &RadiomicsFeature::tag);
    if (it == features.end())
        return std::nullopt;
    return it->value;
}

} // namespace mosaic
