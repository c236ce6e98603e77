# SPDX-License-Identifier: Apache-2.0
# Included from tests/CMakeLists.txt: paths are relative to tests/.
mosaic_add_test(tst_vcf_reader SOURCES core/genomics/tst_vcf_reader.cpp LIBRARIES mosaic_genomics)
mosaic_add_test(tst_vcf_region SOURCES core/genomics/tst_vcf_region.cpp LIBRARIES mosaic_genomics)
mosaic_add_test(tst_vcf_inspection SOURCES core/genomics/tst_vcf_inspection.cpp LIBRARIES mosaic_genomics)
mosaic_add_test(tst_expression_matrix SOURCES core/genomics/tst_expression_matrix.cpp LIBRARIES mosaic_genomics)
mosaic_add_test(tst_expression_normalisation SOURCES core/genomics/tst_expression_normalisation.cpp
    LIBRARIES mosaic_genomics)
# Leave-one-out driver of validation/leukaemia_case_study.sh: mosaic-cli train has no leave-one-out and
# refuses a cohort its folds separate completely (Golub).
add_executable(leukaemia_loo validation/leukaemia_loo.cpp)
target_link_libraries(leukaemia_loo PRIVATE mosaic_genomics mosaic_model mosaic_warnings)
mosaic_add_test(tst_genomic_features SOURCES core/genomics/tst_genomic_features.cpp LIBRARIES mosaic_genomics)
mosaic_add_test(tst_consumer_genotypes SOURCES core/genomics/tst_consumer_genotypes.cpp LIBRARIES mosaic_genomics)
# The test writes a gzip-compressed download with zlib.
find_package(ZLIB REQUIRED)
target_link_libraries(tst_consumer_genotypes PRIVATE ZLIB::ZLIB)
mosaic_add_test(tst_sample_genotypes SOURCES core/genomics/tst_sample_genotypes.cpp LIBRARIES mosaic_genomics)
# Polygenic scores; the test runs plink2 --score as the independent truth and writes gzip with zlib.
find_package(ZLIB REQUIRED)
mosaic_add_test(tst_pgs_scoring SOURCES core/genomics/tst_pgs_scoring.cpp LIBRARIES mosaic_genomics ZLIB::ZLIB)
mosaic_add_test(tst_pgx_definitions SOURCES core/genomics/tst_pgx_definitions.cpp LIBRARIES mosaic_genomics)
mosaic_add_test(tst_pgx_matcher SOURCES core/genomics/tst_pgx_matcher.cpp LIBRARIES mosaic_genomics)
