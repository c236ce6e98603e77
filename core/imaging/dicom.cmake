# SPDX-License-Identifier: Apache-2.0
# DICOM series and DICOMDIR (DCMTK), NIfTI (libnifti2), and inspection of any imaging input.
target_sources(mosaic_imaging PRIVATE
    ${CMAKE_CURRENT_LIST_DIR}/nifti_reader.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dicom_preflight.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dicom_series_reader.cpp
    ${CMAKE_CURRENT_LIST_DIR}/dicom_inspection.cpp)
