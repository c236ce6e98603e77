# SPDX-License-Identifier: Apache-2.0
# Included from tests/CMakeLists.txt: paths are relative to tests/.
mosaic_add_test(tst_nifti_reader SOURCES core/imaging/tst_nifti_reader.cpp LIBRARIES mosaic_imaging)
mosaic_add_test(tst_dicom_series_reader SOURCES core/imaging/tst_dicom_series_reader.cpp LIBRARIES mosaic_imaging)
# DCMTK's JPEG encoder writes a compressed twin of a test file (decodesJpegLosslessLikeUncompressed).
find_package(DCMTK REQUIRED CONFIG)
target_link_libraries(tst_dicom_series_reader PRIVATE DCMTK::dcmjpeg DCMTK::dcmdata DCMTK::ofstd)
mosaic_add_test(tst_dicom_inspection SOURCES core/imaging/tst_dicom_inspection.cpp LIBRARIES mosaic_imaging)
mosaic_add_test(tst_fuzz_regressions SOURCES core/imaging/tst_fuzz_regressions.cpp LIBRARIES mosaic_imaging mosaic_genomics)
