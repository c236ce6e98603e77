# SPDX-License-Identifier: Apache-2.0
# The texture matrix families of IBSI 1, sections 3.6 to 3.11 (texture_features.h calls them all).
target_sources(mosaic_radiomics PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/texture_matrix.cpp
    ${CMAKE_CURRENT_LIST_DIR}/grey_level_zones.cpp
    ${CMAKE_CURRENT_LIST_DIR}/zone_matrix_aggregation.cpp
    ${CMAKE_CURRENT_LIST_DIR}/glcm_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/glrlm_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/glszm_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/gldzm_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ngtdm_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/ngldm_features.cpp)
