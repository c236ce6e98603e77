// SPDX-License-Identifier: Apache-2.0
#include "core/imaging/volume.h"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>

namespace mosaic {

std::array<double, 3> ImageGeometry::toPatient(double i, double j, double k) const
{
    const std::array<double, 3> index{i, j, k};
    std::array<double, 3> position = originMm;
    for (int axis = 0; axis < 3; ++axis)
        for (int xyz = 0; xyz < 3; ++xyz)
            position[xyz] += direction[axis][xyz] * spacingMm[axis] * index[axis];
    return position;
}

std::array<double, 3> ImageGeometry::toIndex(const std::array<double, 3> &patientMm) const
{
    // Columns of `axes` are the voxel steps; solving handles oblique and non-orthogonal grids.
    Eigen::Matrix3d axes;
    for (int axis = 0; axis < 3; ++axis)
        for (int xyz = 0; xyz < 3; ++xyz)
            axes(xyz, axis) = direction[axis][xyz] * spacingMm[axis];
    const Eigen::Vector3d offset(patientMm[0] - originMm[0], patientMm[1] - originMm[1], patientMm[2] - originMm[2]);
    const Eigen::Vector3d index = axes.colPivHouseholderQr().solve(offset);
    return {index[0], index[1], index[2]};
}

bool ImageGeometry::sameGrid(const ImageGeometry &other, double toleranceMm) const
{
    if (size != other.size)
        return false;
    for (int axis = 0; axis < 3; ++axis) {
        if (std::abs(spacingMm[axis] - other.spacingMm[axis]) > toleranceMm
            || std::abs(originMm[axis] - other.originMm[axis]) > toleranceMm)
            return false;
        for (int xyz = 0; xyz < 3; ++xyz)
            if (std::abs(direction[axis][xyz] - other.direction[axis][xyz]) > 1e-4)
                return false;
    }
    return true;
}

std::size_t Mask::count() const
{
    return static_cast<std::size_t>(std::ranges::count_if(voxels, [](std::uint8_t v) { return v != 0; }));
}

} // namespace mosaic
