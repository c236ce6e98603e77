# SPDX-License-Identifier: Apache-2.0
# Radiomics settings, preprocessing (IBSI 1 chapter 2) and the full pipeline against the IBSI digital phantom.
mosaic_add_test(tst_radiomics_settings SOURCES core/radiomics/tst_radiomics_settings.cpp LIBRARIES mosaic_radiomics)
mosaic_add_test(tst_preprocessing SOURCES core/radiomics/tst_preprocessing.cpp LIBRARIES mosaic_radiomics)
mosaic_add_test(tst_ibsi_phantom SOURCES core/radiomics/tst_ibsi_phantom.cpp LIBRARIES mosaic_radiomics)
