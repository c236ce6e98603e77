#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian 12 package Mosaic needs to build, test and run. Idempotent: it installs
# only what is missing and prints what that is. Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

packages=(
    # toolchain
    build-essential cmake ninja-build pkg-config git
    # Qt 6.4: Widgets, Charts, Concurrent, Test, PrintSupport (all in qt6-base-dev but Charts),
    # the offscreen and xcb platform plugins, and the OpenGL modules and GL headers that the
    # CMake configs of Qt6Gui and Qt6Charts require
    qt6-base-dev qt6-charts-dev libqt6opengl6-dev qt6-qpa-plugins libgl-dev libvulkan-dev fonts-dejavu-core
    # the core's domain libraries
    libeigen3-dev libdcmtk-dev libhts-dev libnifti2-dev libniftiio-dev libsqlite3-dev nlohmann-json3-dev
    libcli11-dev libsodium-dev zlib1g-dev
    # FHIR JSON (simdjson: depth-limited, UTF-8-validating) and the UCUM essence XML (expat)
    libsimdjson-dev libexpat1-dev
    # convex hulls for IBSI morphology (maximum diameter, convex hull volume and area)
    libqhull-dev
    # XGBoost: its CMake config points at /usr/bin/xgboost, which only the xgboost package ships
    libxgboost-dev xgboost
    # benchmarks, fuzzers (clang's libFuzzer and sanitizer runtimes), and the display for GUI
    # tests and screenshots
    libbenchmark-dev clang libclang-rt-14-dev xvfb xauth
    # the DICOM fuzzer (tests/fuzz): clang 14 cannot compile C++23 std::expected with libstdc++ 12
    clang-16 libclang-rt-16-dev
    # peer tools the tests compare against
    bcftools plink2 python3 python3-xgboost python3-pydicom
    # the Ed25519 peer of tst_bundle_signature (OpenSSL through Python)
    python3-cryptography
    # peers for the phenogroup analysis (Gaussian mixtures, Cox model)
    python3-sklearn python3-statsmodels
)

# The UCUM peer of tst_ucum_units: NLM's ucum-lhc from the npm registry, pinned by
# tests/core/records/ucum_peer/package-lock.json. Optional: without it that one check skips.
ucum_peer="$(cd "$(dirname "$0")/.." && pwd)/tests/core/records/ucum_peer"
if command -v npm >/dev/null 2>&1 && [ ! -d "$ucum_peer/node_modules/@lhncbc/ucum-lhc" ]; then
    echo "install-deps: installing the UCUM peer (npm ci in tests/core/records/ucum_peer)"
    npm ci --prefix "$ucum_peer" --no-audit --no-fund --loglevel=error \
        || echo "install-deps: npm could not install the UCUM peer; tst_ucum_units skips its peer check" >&2
fi

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-deps: every package is already installed"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
