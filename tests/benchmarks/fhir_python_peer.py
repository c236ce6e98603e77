#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# The peer of bench_fhir_bundles: json.load on each FHIR bundle and the traversal Mosaic's reader
# makes (every resource's type; for Observations the code, value, unit, time and components; the
# subject of every clinical resource). Times itself, so interpreter start-up is not counted; prints
# "<best seconds of 3> <observations> <resources>".
import json
import sys
import time


def traverse(bundle):
    observations = resources = 0
    for entry in bundle.get("entry", []):
        resource = entry["resource"]
        resources += 1
        kind = resource["resourceType"]
        subject = resource.get("subject", resource.get("patient", {})).get("reference")
        if kind != "Observation":
            continue
        observations += 1
        codes = [(c.get("system"), c.get("code")) for c in resource["code"].get("coding", [])]
        quantity = resource.get("valueQuantity")
        value = (quantity["value"], quantity.get("code")) if quantity else None
        when = resource.get("effectiveDateTime")
        parts = [(c["code"].get("coding", []), c.get("valueQuantity")) for c in resource.get("component", [])]
        del codes, value, when, parts, subject
    return observations, resources


def main(paths):
    best = None
    for _ in range(3):
        start = time.perf_counter()
        observations = resources = 0
        for path in paths:
            with open(path, encoding="utf-8") as handle:
                found = traverse(json.load(handle))
            observations += found[0]
            resources += found[1]
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    print(best, observations, resources)


if __name__ == "__main__":
    main(sys.argv[1:])
