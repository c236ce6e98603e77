// SPDX-License-Identifier: Apache-2.0
#include "core/radiomics/glcm_features.h"

#include "core/radiomics/texture_matrix.h"

#include <algorithm>
#include <cmath>

namespace mosaic {
namespace {

using texture::kDirections;
using texture::kInPlaneDirectionCount;
using texture::TouchedCountMatrix;

constexpr std::size_t kGlcmFeatureCount = 25;
using GlcmValues = std::array<double, kGlcmFeatureCount>;

constexpr std::array<std::string_view, kGlcmFeatureCount> kNames { "joint_max", "joint_avg", "joint_var",
    "joint_entr", "diff_avg", "diff_var", "diff_entr", "sum_avg", "sum_var", "sum_entr", "energy", "contrast",
    "dissimilarity", "inv_diff", "inv_diff_norm", "inv_diff_mom", "inv_diff_mom_norm", "inv_var", "corr",
    "auto_corr", "clust_tend", "clust_shade", "clust_prom", "info_corr1", "info_corr2" };

// Pairs are counted once, in the upper triangle (row <= column): the symmetric matrix P + P^T of IBSI
// has the count c in both (a, b) and (b, a) for a < b, and 2c on the diagonal. This halves the work
// per voxel and the memory touched.
// Without branches: neighbouring grey levels of a noisy ROI are in random order, and a branch on
// which is the smaller was mispredicted every other pair.
void addPair(TouchedCountMatrix &matrix, int first, int second)
{
    const int low = first < second ? first : second;
    matrix.add(low, first + second - low);
}

double entropyTerm(double probability)
{
    return probability > 0.0 ? -probability * std::log2(probability) : 0.0;
}

GlcmValues glcmValues(const TouchedCountMatrix &matrix, int greyLevelCount)
{
    std::vector<texture::MatrixEntry> cells;
    matrix.appendEntries(cells);
    const int ng = greyLevelCount;
    double total = 0.0;
    for (const auto &cell : cells)
        total += 2.0 * cell.count;

    std::vector<double> marginal(static_cast<std::size_t>(ng) + 1, 0.0);
    std::vector<double> difference(static_cast<std::size_t>(ng), 0.0); // k = |i - j|
    std::vector<double> sum(2 * static_cast<std::size_t>(ng) + 1, 0.0); // k = i + j
    double jointMax = 0.0, jointEntropy = 0.0, energy = 0.0, autoCorrelation = 0.0;
    for (const auto &cell : cells) {
        const bool diagonal = cell.row == cell.column;
        // value of one cell of the symmetric matrix, and how many cells carry it
        const double probability = (diagonal ? 2.0 * cell.count : cell.count) / total;
        const double multiplicity = diagonal ? 1.0 : 2.0;
        const double mass = probability * multiplicity;
        jointMax = std::max(jointMax, probability);
        jointEntropy += multiplicity * entropyTerm(probability);
        energy += multiplicity * probability * probability;
        autoCorrelation += mass * cell.row * cell.column;
        marginal[static_cast<std::size_t>(cell.row)] += mass / 2.0;
        marginal[static_cast<std::size_t>(cell.column)] += mass / 2.0;
        difference[static_cast<std::size_t>(cell.column - cell.row)] += mass;
        sum[static_cast<std::size_t>(cell.row + cell.column)] += mass;
    }

    double mean = 0.0, marginalEntropy = 0.0;
    for (int level = 1; level <= ng; ++level) {
        mean += level * marginal[static_cast<std::size_t>(level)];
        marginalEntropy += entropyTerm(marginal[static_cast<std::size_t>(level)]);
    }
    double variance = 0.0;
    for (int level = 1; level <= ng; ++level)
        variance += (level - mean) * (level - mean) * marginal[static_cast<std::size_t>(level)];

    double differenceMean = 0.0, differenceEntropy = 0.0, contrast = 0.0, inverseDifference = 0.0;
    double inverseDifferenceNormalised = 0.0, inverseDifferenceMoment = 0.0,
           inverseDifferenceMomentNormalised = 0.0;
    double inverseVariance = 0.0;
    const double ngSquared = static_cast<double>(ng) * ng;
    for (int k = 0; k < ng; ++k) {
        const double p = difference[static_cast<std::size_t>(k)];
        const double kk = static_cast<double>(k) * k;
        differenceMean += k * p;
        differenceEntropy += entropyTerm(p);
        contrast += kk * p;
        inverseDifference += p / (1.0 + k);
        inverseDifferenceNormalised += p / (1.0 + static_cast<double>(k) / ng);
        inverseDifferenceMoment += p / (1.0 + kk);
        inverseDifferenceMomentNormalised += p / (1.0 + kk / ngSquared);
        if (k > 0)
            inverseVariance += p / kk;
    }
    double differenceVariance = 0.0;
    for (int k = 0; k < ng; ++k)
        differenceVariance
            += (k - differenceMean) * (k - differenceMean) * difference[static_cast<std::size_t>(k)];

    double sumMean = 0.0, sumEntropy = 0.0;
    for (int k = 2; k <= 2 * ng; ++k) {
        sumMean += k * sum[static_cast<std::size_t>(k)];
        sumEntropy += entropyTerm(sum[static_cast<std::size_t>(k)]);
    }
    double sumVariance = 0.0, clusterShade = 0.0, clusterProminence = 0.0;
    for (int k = 2; k <= 2 * ng; ++k) {
        const double p = sum[static_cast<std::size_t>(k)];
        const double deviation = k - 2.0 * mean;
        sumVariance += (k - sumMean) * (k - sumMean) * p;
        clusterShade += deviation * deviation * deviation * p;
        clusterProminence += deviation * deviation * deviation * deviation * p;
    }
    // Cluster tendency, sum_k (k - 2 mu)^2 p_{i+j}(k), equals the sum variance since sum_avg = 2 mu.
    double clusterTendency = 0.0;
    for (int k = 2; k <= 2 * ng; ++k)
        clusterTendency += (k - 2.0 * mean) * (k - 2.0 * mean) * sum[static_cast<std::size_t>(k)];

    // HXY1 = -sum p_ij log2(p_x(i) p_y(j)); HXY2 = -sum p_x(i) p_y(j) log2(p_x(i) p_y(j)) factorises to
    // HX + HY, which for the symmetric matrix is 2 HX (IBSI 1, 3.6.24 and 3.6.25).
    double crossEntropy = 0.0;
    for (const auto &cell : cells) {
        const double multiplicity = cell.row == cell.column ? 1.0 : 2.0;
        const double probability = (cell.row == cell.column ? 2.0 * cell.count : cell.count) / total;
        crossEntropy -= multiplicity * probability
            * std::log2(marginal[static_cast<std::size_t>(cell.row)]
                * marginal[static_cast<std::size_t>(cell.column)]);
    }
    // A matrix with one grey level has no variance and no marginal entropy. IBSI 1 leaves these
    // features undefined there; as pyradiomics does, correlation is reported as 1 (a constant is
    // trivially correlated with itself) and information correlation 1 as 0 (no information).
    const double correlation = variance > 0.0 ? (autoCorrelation - mean * mean) / variance : 1.0;
    const double informationCorrelation1
        = marginalEntropy > 0.0 ? (jointEntropy - crossEntropy) / marginalEntropy : 0.0;
    const double informationCorrelation2
        = std::sqrt(std::max(0.0, 1.0 - std::exp(-2.0 * (2.0 * marginalEntropy - jointEntropy))));

    return { jointMax, mean, variance, jointEntropy, differenceMean, differenceVariance, differenceEntropy,
        sumMean, sumVariance, sumEntropy, energy, contrast, differenceMean, inverseDifference,
        inverseDifferenceNormalised, inverseDifferenceMoment, inverseDifferenceMomentNormalised,
        inverseVariance, correlation, autoCorrelation, clusterTendency, clusterShade, clusterProminence,
        informationCorrelation1, informationCorrelation2 };
}

void append(RadiomicsFeatures &features, const GlcmValues &values, std::string_view suffix)
{
    texture::appendFeatures(features, "cm_", kNames, values, suffix);
}

} // namespace

void addGlcmFeatures(
    const PreparedRoi &roi, const AggregationSettings &aggregation, RadiomicsFeatures &features)
{
    if (!texture::hasInterior(roi) || !(aggregation.slice2D || aggregation.slice25D || aggregation.volume3D))
        return;
    const int ng = roi.greyLevelCount;
    const auto makeMatrix = [ng] { return TouchedCountMatrix(ng + 1, ng + 1); };
    // The out-of-plane directions enter the 3D matrices only.
    const std::size_t directionCount = aggregation.volume3D ? kDirections.size() : kInPlaneDirectionCount;
    const bool keepsDirectionMatrices = aggregation.slice25D || aggregation.volume3D;
    std::array<std::ptrdiff_t, kDirections.size()> offsets {};
    for (std::size_t direction = 0; direction < directionCount; ++direction)
        offsets[direction] = texture::flatOffset(roi, kDirections[direction]);

    // In-plane matrices of the current slice, their merge, and per direction over all slices (which
    // are both the 2.5D matrices and the in-plane four of the 13 3D matrices).
    std::vector<TouchedCountMatrix> sliceMatrices(kInPlaneDirectionCount, makeMatrix());
    std::vector<TouchedCountMatrix> volumeMatrices(directionCount, makeMatrix());
    TouchedCountMatrix sliceMerged = makeMatrix();
    texture::FeatureMean<kGlcmFeatureCount> perSliceAndDirection, perSlice;

    const int *grey = roi.greyLevel.data();
    const std::vector<texture::RowSpan> spans = texture::roiRowSpans(roi);
    for (std::size_t k = 1; k + 1 < roi.size[2]; ++k) {
        // Direction by direction, so the inner loop adds into one matrix with one fixed offset.
        for (std::size_t direction = 0; direction < directionCount; ++direction) {
            TouchedCountMatrix &matrix
                = direction < kInPlaneDirectionCount ? sliceMatrices[direction] : volumeMatrices[direction];
            const std::ptrdiff_t offset = offsets[direction];
            for (std::size_t j = 1; j + 1 < roi.size[1]; ++j) {
                const int *row = grey + roi.index(0, j, k);
                const texture::RowSpan span = spans[j + roi.size[1] * k];
                for (std::size_t i = span.from; i < span.to; ++i) {
                    const int level = row[i];
                    const int neighbour = row[static_cast<std::ptrdiff_t>(i) + offset];
                    if (level != 0 && neighbour != 0)
                        addPair(matrix, level, neighbour);
                }
            }
        }
        // IBSI 1, 3.6: a slice (or slice and direction) without any pair has no matrix and does not
        // enter the averages.
        for (std::size_t direction = 0; direction < kInPlaneDirectionCount; ++direction) {
            TouchedCountMatrix &matrix = sliceMatrices[direction];
            if (matrix.empty())
                continue;
            if (aggregation.slice2D) {
                perSliceAndDirection.add(glcmValues(matrix, ng));
                sliceMerged.addMatrix(matrix);
            }
            if (keepsDirectionMatrices)
                volumeMatrices[direction].addMatrix(matrix);
            matrix.clear();
        }
        if (!sliceMerged.empty()) {
            perSlice.add(glcmValues(sliceMerged, ng));
            sliceMerged.clear();
        }
    }

    texture::FeatureMean<kGlcmFeatureCount> perInPlaneDirection, perDirection;
    TouchedCountMatrix inPlaneMerged = makeMatrix();
    TouchedCountMatrix allMerged = makeMatrix();
    for (std::size_t direction = 0; direction < volumeMatrices.size(); ++direction) {
        const TouchedCountMatrix &matrix = volumeMatrices[direction];
        if (matrix.empty())
            continue;
        const GlcmValues values = glcmValues(matrix, ng);
        perDirection.add(values);
        allMerged.addMatrix(matrix);
        if (direction < kInPlaneDirectionCount) {
            perInPlaneDirection.add(values);
            inPlaneMerged.addMatrix(matrix);
        }
    }

    if (!perSliceAndDirection.empty())
        append(features, perSliceAndDirection.mean(), "_2D_avg");
    if (!perSlice.empty())
        append(features, perSlice.mean(), "_2D_comb");
    if (aggregation.slice25D && !perInPlaneDirection.empty()) {
        append(features, perInPlaneDirection.mean(), "_2_5D_avg");
        append(features, glcmValues(inPlaneMerged, ng), "_2_5D_comb");
    }
    if (aggregation.volume3D && !perDirection.empty()) {
        append(features, perDirection.mean(), "_3D_avg");
        append(features, glcmValues(allMerged, ng), "_3D_comb");
    }
}

} // namespace mosaic
