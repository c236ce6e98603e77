# SPDX-License-Identifier: Apache-2.0
# Included from tests/CMakeLists.txt: paths are relative to tests/.
# The synthetic cohort read back by Mosaic's loaders and by pydicom, bcftools, json and statsmodels
# (synthetic_peer.py and an inline script under /usr/bin/python3).
mosaic_add_test(tst_synthetic_cohort SOURCES core/synthetic/tst_synthetic_cohort.cpp
    LIBRARIES mosaic_synthetic mosaic_imaging mosaic_genomics mosaic_records mosaic_radiomics)
