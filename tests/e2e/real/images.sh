#!/usr/bin/env bash
# Usage: tests/e2e/real/images.sh [IMAGE...]     (default: all the images below)
#
# Makes REAL base images without a registry: Debian bookworm root filesystems
# (`debootstrap --variant=minbase`) with Debian's own toolchains, imported into buildah storage
# under the names the Dockerfiles and their rewrites use, shaped like the official images:
#
#   node:18           nodejs 18.x, npm, build-essential, python3, git (compiles native addons);
#                     user node (1000:1000, /home/node); ENTRYPOINT docker-entrypoint.sh, CMD node
#   node:18-slim      nodejs 18.x only; the same user, entrypoint and command
#   python:3.11       python3.11, pip, venv, python3-dev, build-essential, libpq-dev, libffi-dev,
#                     libssl-dev, git; CMD python3
#   python:3.11-slim  python3.11, pip, venv only; CMD python3
#   golang:1.19       Debian's golang-1.19 (Go 1.19.8) in /usr/lib/go-1.19, linked as /usr/local/go,
#                     both bin folders on PATH; gcc, libc6-dev, make, pkg-config, git;
#                     GOPATH=/go (1777), WORKDIR /go
#   rust:1.63         Debian's rustc 1.63 and cargo (0.66, "1.65"), build-essential, pkg-config,
#                     libssl-dev, git; CARGO_HOME=/usr/local/cargo (cargo, rustc, rustdoc linked
#                     into its bin, first on PATH), RUSTUP_HOME=/usr/local/rustup
#   gcr.io/distroless/static-debian12
#                     no shell, no package manager, no C library: Debian 12's CA certificates
#                     (/etc/ssl/certs/ca-certificates.crt), time zone data, netbase's files,
#                     /etc/passwd with root, nobody and nonroot (65532), /tmp; user root
#   debian:trixie-slim
#                     Debian 13 minbase (the runtime split-stages picks for golang:1.19 and
#                     rust:1.63 programs linked against the C library); CMD bash
#
# As in the official images, `python`/`pip` are on PATH, Debian's PEP 668 EXTERNALLY-MANAGED
# marker is removed (pip installs into /usr/local as root, like the official layout), and the
# slim images have no compiler and no -dev package. The build-only (full) images trust this
# machine's CA bundle (/etc/ssl/certs/dfmigrate-build-ca.crt, with NODE_EXTRA_CA_CERTS,
# PIP_CERT, CARGO_HTTP_CAINFO and SSL_CERT_FILE) so that `npm ci`/`pip install`/`cargo build` in
# builds reach the registries; the runtime images get no extra trust. Cargo 0.66 reads crates.io's
# index from GitHub (git), which this network does not reach: rust:1.63 has cargo use the sparse
# index (https://index.crates.io, cargo's unstable `sparse-registry` in this version, the default
# from 1.70 on) through build-only environment variables.
#
# Cache: root filesystems are kept as tar files under ${DFMIGRATE_REAL_CACHE:-/var/cache/dfmigrate-real},
# each named by a hash of its recipe (this script's functions, the package lists, the suite, the
# mirror and, for full images, the CA bundle), and the images carry that hash as a label: a second
# run neither runs debootstrap nor imports again. DFMIGRATE_REAL_REBUILD=1 ignores the cache.
#
# Storage: the images go to a storage of their own, ${cache}/storage (vfs), described by
# ${cache}/storage.conf, which run.sh hands to `dfmigrate verify` as CONTAINERS_STORAGE_CONF;
# set CONTAINERS_STORAGE_CONF yourself to use another one. Needs root, buildah, debootstrap
# (apt-get install buildah debootstrap) and Debian's package mirror
# (DFMIGRATE_REAL_MIRROR, default http://deb.debian.org/debian).
set -euo pipefail
# Failures inside $(...) stop the script too (a failed debootstrap must not be imported).
shopt -s inherit_errexit

cache=${DFMIGRATE_REAL_CACHE:-/var/cache/dfmigrate-real}
mirror=${DFMIGRATE_REAL_MIRROR:-http://deb.debian.org/debian}
# The Debian release of the image being made (recipe_of names another one for some images).
suite=bookworm
all_images="node:18 node:18-slim python:3.11 python:3.11-slim golang:1.19 rust:1.63 \
gcr.io/distroless/static-debian12 debian:trixie-slim"
host_ca=${DFMIGRATE_REAL_CA:-/etc/ssl/certs/ca-certificates.crt}
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p "$cache"
export CONTAINERS_STORAGE_CONF=${CONTAINERS_STORAGE_CONF:-$cache/storage.conf}
if [[ $CONTAINERS_STORAGE_CONF == "$cache/storage.conf" && ! -f $CONTAINERS_STORAGE_CONF ]]; then
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s/storage/graph"\nrunroot = "%s/storage/run"\n' \
    "$cache" "$cache" > "$CONTAINERS_STORAGE_CONF"
fi

log() { printf '%s %s\n' "$(date +%T)" "$*" >&2; }

# Every root filesystem this script writes into is a folder it made under $cache/work.*: anything
# else (an empty path would mean this machine's own /etc) is refused.
checked_root() {
  local root=$1
  case "$root" in
    "$cache"/work.*/root) [[ -d $root && $root != *..* ]] && return 0 ;;
  esac
  echo "images.sh: refusing to work on '$root' (not a root filesystem under $cache/work.*)" >&2
  exit 3
}

# Removes a work folder, never while something is mounted below it.
remove_work() {
  local work=$1 target
  [[ $work == "$cache"/work.* && -d $work ]] || return 0
  while read -r target; do
    umount "$target" 2> /dev/null || umount -l "$target"
  done < <(awk -v w="$work/" 'index($2, w) == 1 { print $2 }' /proc/self/mounts | sort -r)
  if awk -v w="$work/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    echo "images.sh: $work still has mounts; not removed" >&2
    return 1
  fi
  rm -rf "$work"
}

# On any exit, unmount and remove what a failed step left.
cleanup() {
  local work
  for work in "$cache"/work.*; do
    [[ -d $work ]] && remove_work "$work"
  done
  return 0
}
trap cleanup EXIT

# ---------------------------------------------------------------------------------------------
# Recipes. Everything that decides an image's content is in these functions and lists: their
# text is hashed into the cache key.

packages_base() { :; }
packages_node_full() { echo nodejs npm build-essential python3 git ca-certificates curl; }
packages_node_slim() { echo nodejs; }
packages_python_full() {
  echo python3 python3-pip python3-venv python3-dev build-essential libpq-dev libffi-dev \
    libssl-dev git ca-certificates curl
}
packages_python_slim() { echo python3 python3-pip python3-venv; }
packages_go_full() { echo golang-1.19-go gcc libc6-dev make pkg-config git ca-certificates curl; }
packages_rust_full() {
  echo rustc cargo build-essential pkg-config libssl-dev git ca-certificates curl
}
packages_distroless_static() { echo ca-certificates tzdata netbase; }
packages_debian_slim() { :; }

# Which recipe and which variant an image name is.
recipe_of() {
  case "$1" in
    node:18) echo node full ;;
    node:18-slim) echo node slim ;;
    python:3.11) echo python full ;;
    python:3.11-slim) echo python slim ;;
    golang:1.19) echo go full ;;
    rust:1.63) echo rust full ;;
    gcr.io/distroless/static-debian12) echo distroless static ;;
    debian:trixie-slim) echo debian slim trixie ;;
    *) echo "images.sh: no recipe for $1 (known: $all_images)" >&2
       return 1 ;;
  esac
}

# Tidies a fresh debootstrap root the way Debian's official images are tidied.
finish_base() {
  local root=$1
  checked_root "$root"
  cat > "$root/etc/apt/sources.list" <<EOF
deb $mirror $suite main
deb $mirror $suite-updates main
deb ${mirror%/debian}/debian-security $suite-security main
EOF
  # The apt configuration of Debian's official images: no package caches left in layers.
  local clean='rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true'
  cat > "$root/etc/apt/apt.conf.d/docker-clean" <<APT
DPkg::Post-Invoke { "$clean"; };
APT::Update::Post-Invoke { "$clean"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::Languages "none";' > "$root/etc/apt/apt.conf.d/docker-no-languages"
  echo 'Acquire::GzipIndexes "true";' > "$root/etc/apt/apt.conf.d/docker-gzip-indexes"
  echo 'APT::AutoRemove::SuggestsImportant "false";' > "$root/etc/apt/apt.conf.d/docker-autoremove-suggests"
  printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  rm -f "$root/etc/hostname" "$root/etc/resolv.conf"
}

# Runs inside the chroot (as root) after the packages are installed.
setup_node() {
  local variant=$1
  groupadd --gid 1000 node
  useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  cat > /usr/local/bin/docker-entrypoint.sh <<'EOF'
#!/bin/sh
set -e

# Run command with node if the first argument contains a "-" or is not a system command. The last
# part inside the "{}" is a workaround for the following bug in ash/dash:
# https://bugs.debian.org/cgi-bin/bugreport.cgi?bug=874264
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ] || { [ -f "${1}" ] && ! [ -x "${1}" ]; }; then
  set -- node "$@"
fi

exec "$@"
EOF
  chmod 755 /usr/local/bin/docker-entrypoint.sh
  [[ $variant == slim ]] || npm --version > /dev/null
  node --version > /dev/null
}

setup_python() {
  rm -f /usr/lib/python3*/EXTERNALLY-MANAGED
  ln -s /usr/bin/python3 /usr/local/bin/python
  ln -s /usr/bin/pip3 /usr/local/bin/pip
  python --version > /dev/null
  pip --version > /dev/null
}

setup_go() {
  ln -s /usr/lib/go-1.19 /usr/local/go
  mkdir -p /go/src /go/bin
  chmod -R 1777 /go
  /usr/local/go/bin/go version > /dev/null
}

setup_rust() {
  mkdir -p /usr/local/cargo/bin /usr/local/rustup
  local program
  for program in cargo rustc rustdoc; do
    ln -s "/usr/bin/$program" "/usr/local/cargo/bin/$program"
  done
  chmod -R a+w /usr/local/cargo /usr/local/rustup
  /usr/local/cargo/bin/rustc --version > /dev/null
  /usr/local/cargo/bin/cargo --version > /dev/null
}

# Runs in a full Debian 12 root (with ca-certificates, tzdata and netbase); shape_distroless then
# keeps only what gcr.io/distroless/static-debian12 has.
setup_distroless() {
  update-ca-certificates > /dev/null
}

setup_debian() { :; }

# The root filesystem of a distroless image, made from the files of a Debian root: no shell, no
# C library, no package manager.
shape_distroless() {
  local from=$1 to=$2
  checked_root "$from"
  mkdir -p "$to"
  (cd "$to" && mkdir -p bin boot dev etc home/nonroot lib proc root run sbin sys tmp usr/bin usr/lib \
    usr/sbin usr/share var/lib/dpkg/status.d etc/ssl/certs)
  chmod 1777 "$to/tmp"
  chmod 700 "$to/root"
  chmod 700 "$to/home/nonroot"
  chown 65532:65532 "$to/home/nonroot"
  cp "$from/etc/ssl/certs/ca-certificates.crt" "$to/etc/ssl/certs/ca-certificates.crt"
  cp -a "$from/usr/share/zoneinfo" "$to/usr/share/zoneinfo"
  cp "$from/etc/services" "$from/etc/protocols" "$to/etc/"
  cp "$from/etc/debian_version" "$to/etc/debian_version"
  cat > "$to/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat > "$to/etc/group" <<'EOF'
root:x:0:
nobody:x:65534:
tty:x:5:
staff:x:50:
nonroot:x:65532:
EOF
  printf 'hosts: files dns\n' > "$to/etc/nsswitch.conf"
  cat > "$to/etc/os-release" <<'EOF'
PRETTY_NAME="Distroless"
NAME="Debian GNU/Linux"
ID="debian"
VERSION_ID="12"
VERSION="Debian GNU/Linux 12 (bookworm)"
HOME_URL="https://github.com/GoogleContainerTools/distroless"
EOF
}

# `buildah config` arguments like the official image's, one per line (versions are the installed
# ones).
config_node() {
  local root=$1 variant=$2 version
  version=$(chroot "$root" node --version)
  printf '%s\n' --env "PATH=$PATH" --env "NODE_VERSION=${version#v}" \
    --entrypoint '["docker-entrypoint.sh"]' --cmd '["node"]'
  [[ $variant == slim ]] || printf '%s\n' --env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/dfmigrate-build-ca.crt
}

config_python() {
  local root=$1 variant=$2 version
  version=$(chroot "$root" python3 -c 'import platform; print(platform.python_version())')
  printf '%s\n' --env "PATH=$PATH" --env LANG=C.UTF-8 --env "PYTHON_VERSION=$version" --cmd '["python3"]'
  [[ $variant == slim ]] || printf '%s\n' --env PIP_CERT=/etc/ssl/certs/dfmigrate-build-ca.crt
}

config_go() {
  local root=$1 variant=$2 version
  version=$(chroot "$root" /usr/lib/go-1.19/bin/go env GOVERSION)
  printf '%s\n' --env "PATH=/go/bin:/usr/local/go/bin:/usr/lib/go-1.19/bin:$PATH" \
    --env "GOLANG_VERSION=${version#go}" --env GOPATH=/go --workingdir /go --cmd '["bash"]' \
    --env SSL_CERT_FILE=/etc/ssl/certs/dfmigrate-build-ca.crt
}

config_rust() {
  local root=$1 variant=$2 version
  version=$(chroot "$root" rustc --version | cut -d' ' -f2)
  printf '%s\n' --env RUSTUP_HOME=/usr/local/rustup --env CARGO_HOME=/usr/local/cargo \
    --env "PATH=/usr/local/cargo/bin:$PATH" --env "RUST_VERSION=$version" --cmd '["bash"]' \
    --env CARGO_HTTP_CAINFO=/etc/ssl/certs/dfmigrate-build-ca.crt \
    --env __CARGO_TEST_CHANNEL_OVERRIDE_DO_NOT_USE_THIS=nightly \
    --env CARGO_UNSTABLE_SPARSE_REGISTRY=true
}

config_distroless() {
  printf '%s\n' --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
}

config_debian() {
  printf '%s\n' --env "PATH=$PATH" --cmd '["bash"]'
}

# ---------------------------------------------------------------------------------------------

recipe_hash() {
  local kind=$1 variant=$2
  {
    echo "$suite $mirror"
    declare -f finish_base packages_base "packages_${kind}_$variant" "setup_$kind" "config_$kind" install_packages
    if declare -F "shape_$kind" > /dev/null; then declare -f "shape_$kind"; fi
    [[ $variant != full ]] || sha256sum < "$host_ca"
  } | sha256sum | cut -c1-16
}

base_hash() {
  { echo "$suite $mirror"; declare -f finish_base; } | sha256sum | cut -c1-16
}

# Mounts /proc and /dev into a root for the duration of a command.
with_mounts() {
  local root=$1
  checked_root "$root"
  shift
  mount -t proc proc "$root/proc"
  mount --bind /dev "$root/dev"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  local status=0
  "$@" || status=$?
  umount "$root/dev" || umount -l "$root/dev"
  umount "$root/proc" || umount -l "$root/proc"
  rm -f "$root/etc/resolv.conf"
  return $status
}

in_root() {
  local root=$1
  checked_root "$root"
  shift
  chroot "$root" /usr/bin/env -i PATH="$PATH" HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
    DEBCONF_NOWARNINGS=yes "$@"
}

install_packages() {
  local root=$1
  checked_root "$root"
  shift
  in_root "$root" apt-get update -qq
  in_root "$root" apt-get install -y -qq -o Dpkg::Use-Pty=0 --no-install-recommends "$@" > /dev/null
  in_root "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/*
}

# The debootstrap root, cached as a tar file.
base_tar() {
  local tar="$cache/base-$suite-$(base_hash).tar"
  if [[ -f $tar && -z "${DFMIGRATE_REAL_REBUILD:-}" ]]; then
    echo "$tar"
    return
  fi
  local work
  work=$(mktemp -d "$cache/work.XXXXXX")
  log "debootstrap --variant=minbase $suite ($mirror)"
  debootstrap --variant=minbase "$suite" "$work/root" "$mirror" > "$work/debootstrap.log" 2>&1 || {
    tail -20 "$work/debootstrap.log" >&2
    remove_work "$work"
    return 1
  }
  finish_base "$work/root"
  tar --numeric-owner -C "$work/root" -cf "$tar.tmp" .
  mv "$tar.tmp" "$tar"
  remove_work "$work"
  echo "$tar"
}

# An image's root filesystem, cached as a tar file.
image_tar() {
  local image=$1 kind=$2 variant=$3 hash=$4
  local prefix="$cache/${kind}-${variant}"
  [[ $suite == bookworm ]] || prefix+="-$suite"
  local tar="$prefix-$hash.tar"
  if [[ -f $tar && -z "${DFMIGRATE_REAL_REBUILD:-}" ]]; then
    echo "$tar"
    return
  fi
  local base work root
  base=$(base_tar)
  work=$(mktemp -d "$cache/work.XXXXXX")
  root="$work/root"
  mkdir "$root"
  tar --numeric-owner -C "$root" -xpf "$base"
  log "$image: apt-get install $(packages_${kind}_$variant)"
  # shellcheck disable=SC2046 # the package list is words on purpose
  with_mounts "$root" install_packages "$root" $(packages_${kind}_$variant)
  if [[ $variant == full ]]; then
    cp "$host_ca" "$root/etc/ssl/certs/dfmigrate-build-ca.crt"
  fi
  {
    declare -f "setup_$kind"
    echo "set -euo pipefail; setup_$kind $variant"
  } > "$root/tmp/setup.sh"
  with_mounts "$root" in_root "$root" bash /tmp/setup.sh
  rm -f "$root/tmp/setup.sh"
  "config_$kind" "$root" "$variant" > "$work/config"
  local content=$root
  if declare -F "shape_$kind" > /dev/null; then
    "shape_$kind" "$root" "$work/shaped"
    content="$work/shaped"
  fi
  tar --numeric-owner -C "$content" -cf "$tar.tmp" .
  cp "$work/config" "$tar.config"
  mv "$tar.tmp" "$tar"
  remove_work "$work"
  # Older recipes of this image are not needed any more.
  find "$cache" -maxdepth 1 -name "${prefix##*/}-????????????????.tar*" ! -name "${tar##*/}*" -delete
  echo "$tar"
}

# docker.io/library/node:18 for node:18, gcr.io/distroless/static-debian12:latest for
# gcr.io/distroless/static-debian12.
full_name() {
  local name=$1 registry
  [[ ${name##*/} == *:* ]] || name+=:latest
  registry=${name%%/*}
  if [[ $name == */* && ($registry == *.* || $registry == localhost) ]]; then
    printf '%s\n' "$name"
    return
  fi
  [[ $name == */* ]] || name="library/$name"
  printf 'docker.io/%s\n' "$name"
}

# The full id of an image in the storage (empty when it is not there).
image_id() { buildah images --no-trunc --quiet "$1" 2> /dev/null | head -1 || true; }

import_image() {
  local image=$1 name hash kind variant tar container mount
  local recipe
  recipe=$(recipe_of "$image")
  read -r kind variant suite <<< "$recipe"
  suite=${suite:-bookworm}
  hash=$(recipe_hash "$kind" "$variant")
  name=$(full_name "$image")
  # What was imported into this storage, by image name: "RECIPE IMAGE-ID". (Not a label: the
  # images carry only what the official ones do, so verdicts show no label of this script.)
  local record
  record="$cache/imported/$(printf '%s' "$CONTAINERS_STORAGE_CONF" | sha256sum | cut -c1-12)/${image//[:\/]/_}"
  if [[ -z "${DFMIGRATE_REAL_REBUILD:-}" && -f $record ]] \
    && [[ "$hash $(image_id "$name")" == "$(cat "$record")" ]]; then
    log "$image: up to date (recipe $hash)"
    return
  fi
  local started=$SECONDS
  tar=$(image_tar "$image" "$kind" "$variant" "$hash")
  container=$(buildah from --quiet scratch)
  mount=$(buildah mount "$container")
  tar --numeric-owner -C "$mount" -xpf "$tar"
  local config
  mapfile -t config < "$tar.config"
  buildah config "${config[@]}" "$container"
  buildah umount "$container" > /dev/null
  buildah rmi "$name" > /dev/null 2>&1 || true
  buildah commit --quiet --format docker --rm "$container" "$name" > /dev/null
  mkdir -p "$(dirname "$record")"
  echo "$hash $(image_id "$name")" > "$record"
  log "$image: imported as $name (recipe $hash, $((SECONDS - started))s)"
}

[[ $(id -u) == 0 ]] || { echo "images.sh: needs root" >&2; exit 2; }
for program in buildah debootstrap; do
  command -v "$program" > /dev/null || { echo "images.sh: $program is not installed (apt-get install $program)" >&2; exit 2; }
done
[[ -f $host_ca ]] || { echo "images.sh: no CA bundle at $host_ca" >&2; exit 2; }
[[ $# -gt 0 ]] || set -- $all_images
for image in "$@"; do
  import_image "$image"
done
