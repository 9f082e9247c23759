#!/usr/bin/env bash
# Installs what the tests need when it is missing: Debian packages (as root)
# and staticcheck. Idempotent and quick when everything is present.
set -euo pipefail
pkgs=(
  qemu-user-static binfmt-support    # arm64 kernels and engine tests under qemu-user
  libc6-arm64-cross                  # arm64 binaries that import purego (accel) need a loader
  mosquitto                          # MQTT bridge tests run a real broker
  systemd                            # systemd-socket-activate, systemd-analyze
  mesa-vulkan-drivers libvulkan1 libvulkan-dev vulkan-validationlayers glslc  # accel/vulkan on lavapipe
  gcc                                # ABI checks of Vulkan/RKNN structs, the RKNN ABI double
  python3-jinja2                     # renders the converter's chat templates as Hugging Face would
  debootstrap zstd lintian dpkg-dev binutils man-db systemd-container  # make test-deb: packages in Debian roots
)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "deps: missing packages ${missing[*]}; install them with: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
# node and npm (for the llama.cpp side-by-side tool) come with the machine;
# Debian's npm package would fight the preinstalled one, so only check.
command -v node >/dev/null && command -v npm >/dev/null || echo "deps: node/npm not found: llama.cpp comparisons will fail" >&2
gobin=$(go env GOPATH)/bin
if ! command -v staticcheck >/dev/null && [ ! -x "$gobin/staticcheck" ]; then
  echo "deps: installing staticcheck"
  GOFLAGS= go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi
