# SPDX-License-Identifier: Apache-2.0
# Included from tests/CMakeLists.txt: paths are relative to tests/. Model specification, cohort
# manifest and cohort extraction (core/fusion); the extraction suite reads ../shared/data and runs
# bcftools and /usr/bin/python3 as peers.
mosaic_add_test(tst_model_spec SOURCES core/fusion/tst_model_spec.cpp LIBRARIES mosaic_fusion)
mosaic_add_test(tst_cohort_manifest SOURCES core/fusion/tst_cohort_manifest.cpp LIBRARIES mosaic_fusion)
mosaic_add_test(tst_cohort_extraction SOURCES core/fusion/tst_cohort_extraction.cpp LIBRARIES mosaic_fusion)
