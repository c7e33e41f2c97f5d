#!/usr/bin/env bash
# Installs, from Debian's packages only, whatever Cairn needs to build and test.
# Idempotent: packages already present are not touched and apt is not called.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git
  libsimgrid-dev libboost-dev libabsl-dev libprotobuf-dev protobuf-compiler
  librapidcheck-dev libgtest-dev libgmock-dev libbenchmark-dev
  libisal-dev libzstd-dev liblz4-dev libssl-dev libxxhash-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev python3 python3-matplotlib
  libgrpc++-dev protobuf-compiler-grpc python3-grpcio python3-protobuf bazel-bootstrap
  clang libclang-rt-14-dev
  slurm-wlm  # tests/sim/slurm_sweep_test.sh: a one-machine Slurm for sweep --slurm
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${#missing[@]} Debian package(s): ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: must run as root to install packages (or install them yourself)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "setup: done"
