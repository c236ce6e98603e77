#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
# Independent reading of one synthetic patient's files for tst_synthetic_cohort: pydicom for the CT
# series and the RTSTRUCT, Python's json module for the FHIR bundle. Prints one JSON object.
# Usage: synthetic_peer.py dicom SERIES_FOLDER RTSTRUCT | synthetic_peer.py fhir BUNDLE
import json
import os
import re
import sys

UID = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))+$")


def valid_uid(uid):
    return bool(UID.match(uid)) and len(uid) <= 64


def dicom(series_folder, rtstruct_path):
    import pydicom

    slices = [pydicom.dcmread(os.path.join(series_folder, name)) for name in sorted(os.listdir(series_folder))]
    slices.sort(key=lambda ds: float(ds.ImagePositionPatient[2]))
    uids = []
    hu = []
    for ds in slices:
        pixels = ds.pixel_array  # raises when the pixel data does not match rows x columns x bits
        slope = float(ds.RescaleSlope)
        intercept = float(ds.RescaleIntercept)
        hu.extend(float(v) * slope + intercept for v in pixels.flatten(order="C"))  # row-major: i fastest
        uids += [ds.SOPInstanceUID, ds.SeriesInstanceUID, ds.StudyInstanceUID, ds.FrameOfReferenceUID]
    first = slices[0]
    rt = pydicom.dcmread(rtstruct_path)
    frame = rt.ReferencedFrameOfReferenceSequence[0]
    series_item = frame.RTReferencedStudySequence[0].RTReferencedSeriesSequence[0]
    series_sops = {ds.SOPInstanceUID for ds in slices}
    contour_sops = []
    contour_points = 0
    contour_z = []
    for roi_contour in rt.ROIContourSequence:
        for contour in roi_contour.ContourSequence:
            contour_sops += [item.ReferencedSOPInstanceUID for item in contour.ContourImageSequence]
            data = [float(v) for v in contour.ContourData]
            if len(data) != 3 * int(contour.NumberOfContourPoints):
                raise SystemExit("contour point count does not match its data")
            contour_points += int(contour.NumberOfContourPoints)
            contour_z.append(sorted(set(data[2::3])))
    uids += [rt.SOPInstanceUID, rt.SeriesInstanceUID, frame.FrameOfReferenceUID] + contour_sops
    return {
        "files": len(slices),
        "rows": int(first.Rows),
        "columns": int(first.Columns),
        "pixel_shape": list(first.pixel_array.shape),
        "pixel_spacing": [float(v) for v in first.PixelSpacing],
        "slice_z": [float(ds.ImagePositionPatient[2]) for ds in slices],
        "origin": [float(v) for v in first.ImagePositionPatient],
        "transfer_syntax": str(first.file_meta.TransferSyntaxUID),
        "sop_class": str(first.SOPClassUID),
        "patient_name": str(first.PatientName),
        "patient_id": str(first.PatientID),
        "series_description": str(first.SeriesDescription),
        "image_comments": str(first.ImageComments),
        "uids_valid": all(valid_uid(str(u)) for u in uids),
        "distinct_sop_instances": len(series_sops),
        "hu": hu,
        "rt_modality": str(rt.Modality),
        "rt_sop_class": str(rt.SOPClassUID),
        "rt_patient_name": str(rt.PatientName),
        "rt_roi_names": [str(item.ROIName) for item in rt.StructureSetROISequence],
        "rt_frame_matches": frame.FrameOfReferenceUID == first.FrameOfReferenceUID
        and rt.StructureSetROISequence[0].ReferencedFrameOfReferenceUID == first.FrameOfReferenceUID,
        "rt_series_matches": series_item.SeriesInstanceUID == first.SeriesInstanceUID,
        "rt_study_matches": rt.StudyInstanceUID == first.StudyInstanceUID,
        "rt_contour_sops_in_series": all(uid in series_sops for uid in contour_sops),
        "rt_contours": len(contour_z),
        "rt_contour_points": contour_points,
        "rt_planar": all(len(z) == 1 for z in contour_z),
    }


def fhir(path):
    with open(path, encoding="utf-8") as handle:
        bundle = json.load(handle)
    out = {"type": bundle["type"], "observations": {}, "conditions": [], "tags": []}
    for entry in bundle["entry"]:
        resource = entry["resource"]
        for tag in resource.get("meta", {}).get("tag", []):
            out["tags"].append(tag["code"])
        kind = resource["resourceType"]
        if kind == "Patient":
            out["family"] = resource["name"][0]["family"]
            out["gender"] = resource["gender"]
            out["birthDate"] = resource["birthDate"]
        elif kind == "Observation":
            coding = resource["code"]["coding"][0]
            quantity = resource["valueQuantity"]
            out["observations"][coding["code"]] = {
                "system": coding["system"],
                "value": quantity["value"],
                "unit": quantity["code"],
                "unit_system": quantity["system"],
                "date": resource["effectiveDateTime"],
                "subject_is_patient": resource["subject"]["reference"] == bundle["entry"][0]["fullUrl"],
            }
        elif kind == "Condition":
            coding = resource["code"]["coding"][0]
            out["conditions"].append(coding["system"] + "|" + coding["code"])
    return out


if __name__ == "__main__":
    if sys.argv[1] == "dicom":
        print(json.dumps(dicom(sys.argv[2], sys.argv[3])))
    else:
        print(json.dumps(fhir(sys.argv[2])))
