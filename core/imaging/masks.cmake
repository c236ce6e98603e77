# SPDX-License-Identifier: Apache-2.0
# RTSTRUCT and SEG to masks (NIfTI masks come from nifti_reader in dicom.cmake).
target_sources(mosaic_imaging PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/dicom_item_access.cpp
    ${CMAKE_CURRENT_LIST_DIR}/rtstruct_reader.cpp
    ${CMAKE_CURRENT_LIST_DIR}/rtstruct_rasterizer.cpp
    ${CMAKE_CURRENT_LIST_DIR}/seg_reader.cpp)
