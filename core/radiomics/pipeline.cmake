# SPDX-License-Identifier: Apache-2.0
# Settings, preprocessing (IBSI 1 chapter 2), the non-texture feature families and the pipeline.
target_sources(mosaic_radiomics PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/radiomics_settings.cpp
    ${CMAKE_CURRENT_LIST_DIR}/preprocessing.cpp
    ${CMAKE_CURRENT_LIST_DIR}/morphology_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/local_intensity_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/statistics_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/intensity_histogram_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/intensity_volume_histogram_features.cpp
    ${CMAKE_CURRENT_LIST_DIR}/radiomics_pipeline.cpp)
