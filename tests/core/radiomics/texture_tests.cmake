# SPDX-License-Identifier: Apache-2.0
# Texture matrix families (GLCM, GLRLM, GLSZM, GLDZM, NGTDM, NGLDM) against the IBSI digital phantom.
mosaic_add_test(tst_texture_features SOURCES core/radiomics/tst_texture_features.cpp LIBRARIES mosaic_radiomics)
