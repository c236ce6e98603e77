#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Independent truth for tst_fhir_reader: reads FHIR JSON (a Bundle or one resource per file, or NDJSON
# with --ndjson) with Python's json module and prints, per file, what Mosaic's reader must find:
# resources by type, Observations by LOINC code with the sum of their valueQuantity values, and the
# counts of the clinical resources Mosaic keeps (those that name their patient). Usage: fhir_peer_counts.py [--ndjson] FILE...
import collections
import json
import sys


def resources_of(document):
    if document.get("resourceType") == "Bundle":
        yield document
        for entry in document.get("entry", []):
            if "resource" in entry:
                yield from resources_of(entry["resource"])
    else:
        yield document


def summarise(resources):
    types = collections.Counter()
    loinc_counts = collections.Counter()
    loinc_sums = collections.defaultdict(float)
    components = collections.Counter()
    kept = collections.Counter()
    for resource in resources:
        kind = resource["resourceType"]
        types[kind] += 1
        if kind in ("Observation", "Condition", "Encounter", "MedicationRequest", "MedicationStatement",
                    "Procedure", "DiagnosticReport", "AllergyIntolerance", "ImagingStudy") and \
                ("subject" in resource or "patient" in resource):
            kept[kind] += 1
        if kind != "Observation":
            continue
        for coding in resource.get("code", {}).get("coding", []):
            if coding.get("system") == "http://loinc.org":
                loinc_counts[coding["code"]] += 1
                if "valueQuantity" in resource:
                    loinc_sums[coding["code"]] += resource["valueQuantity"]["value"]
                elif "valueInteger" in resource:
                    loinc_sums[coding["code"]] += resource["valueInteger"]
        for component in resource.get("component", []):
            for coding in component.get("code", {}).get("coding", []):
                if coding.get("system") == "http://loinc.org":
                    components[coding["code"]] += 1
    return {"types": types, "loincCounts": loinc_counts, "loincSums": loinc_sums,
            "componentCounts": components, "kept": kept}


def main(arguments):
    ndjson = arguments[:1] == ["--ndjson"]
    files = arguments[1:] if ndjson else arguments
    result = {}
    for path in files:
        with open(path, encoding="utf-8") as handle:
            if ndjson:
                documents = [json.loads(line) for line in handle if line.strip()]
            else:
                documents = [json.load(handle)]
        resources = [r for document in documents for r in resources_of(document)]
        result[path] = summarise(resources)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1:])
