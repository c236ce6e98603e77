# SPDX-License-Identifier: Apache-2.0
# RTSTRUCT and SEG to masks. Paths are relative to tests/ (this fragment is include()d from there).
mosaic_add_test(tst_rtstruct_rasterizer SOURCES core/imaging/tst_rtstruct_rasterizer.cpp LIBRARIES mosaic_imaging)
mosaic_add_test(tst_rtstruct_reader SOURCES core/imaging/tst_rtstruct_reader.cpp LIBRARIES mosaic_imaging)
mosaic_add_test(tst_seg_reader SOURCES core/imaging/tst_seg_reader.cpp LIBRARIES mosaic_imaging)
