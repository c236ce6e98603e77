# SPDX-License-Identifier: Apache-2.0
# Included from tests/CMakeLists.txt: paths are relative to tests/.
mosaic_add_test(tst_clinical_time SOURCES core/records/tst_clinical_time.cpp LIBRARIES mosaic_records)
mosaic_add_test(tst_csv_records SOURCES core/records/tst_csv_records.cpp LIBRARIES mosaic_records)
# FHIR R4 JSON; the test runs fhir_peer_counts.py (Python's json module) as the independent reading.
mosaic_add_test(tst_fhir_reader SOURCES core/records/tst_fhir_reader.cpp LIBRARIES mosaic_records)
# Phenogroups: Gaussian mixtures, survival and the cohort analysis; phenogroup_peer.py runs
# scikit-learn and statsmodels (/usr/bin/python3) as the independent truth.
mosaic_add_test(tst_gaussian_mixture SOURCES core/records/tst_gaussian_mixture.cpp LIBRARIES mosaic_records)
mosaic_add_test(tst_survival SOURCES core/records/tst_survival.cpp LIBRARIES mosaic_records)
mosaic_add_test(tst_phenogroups SOURCES core/records/tst_phenogroups.cpp LIBRARIES mosaic_records)
# UCUM units and molar masses; the peer is NLM's ucum-lhc under node (tests/core/records/ucum_peer).
mosaic_add_test(tst_ucum_units SOURCES core/records/tst_ucum_units.cpp LIBRARIES mosaic_records)
mosaic_add_test(tst_patient_timeline SOURCES core/records/tst_patient_timeline.cpp LIBRARIES mosaic_records)
mosaic_add_test(tst_record_features SOURCES core/records/tst_record_features.cpp LIBRARIES mosaic_records)
