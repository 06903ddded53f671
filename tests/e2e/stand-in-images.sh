#!/usr/bin/env bash
# Usage: stand-in-images.sh IMAGE...
#
# Creates, for each image name, a tiny local stand-in image under that name with buildah: a
# static busybox root filesystem plus the stand-in tools (tests/e2e/stand-ins/) its name implies
# (node:* → node and npm, golang:* → go, python:* → python and pip, maven:* → java and mvn, …),
# apt-get or apk, useradd/groupadd (adduser/addgroup on Alpine), and a configuration like the real image's (CMD, ENV, EXPOSE),
# Debian's docker-clean apt hook on apt images and the gradle images' link from /root/.gradle.
# Images that already exist are kept (set STAND_IN_REBUILD=1 to rebuild them).
#
# Storage: like `dfmigrate verify`, `--storage-driver vfs` unless STORAGE_DRIVER or
# CONTAINERS_STORAGE_CONF says otherwise. Needs root, buildah and busybox-static.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
tools="$here/stand-ins"
busybox=${BUSYBOX:-/bin/busybox}

bah() {
  if [[ -n "${STORAGE_DRIVER:-}${CONTAINERS_STORAGE_CONF:-}" ]]; then
    buildah "$@"
  else
    buildah --storage-driver vfs "$@"
  fi
}

# docker.io/library/node:20 for node:20; registries and tags kept; :latest added.
full_name() {
  local name=$1 first=${1%%/*}
  if [[ $name != */* ]]; then
    name="docker.io/library/$name"
  elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
    name="docker.io/$name"
  fi
  [[ ${name##*/} == *:* || $name == *@* ]] || name="$name:latest"
  printf '%s\n' "$name"
}

# The stand-in tools for an image name.
tools_for() {
  local repo=${1%:*}
  case "$repo" in
    *distroless*) ;;
    *node*) echo node npm ;;
    *golang*) echo go ;;
    *python*) echo python pip ;;
    *maven*) echo java mvn ;;
    *gradle*) echo java gradle ;;
    *temurin* | *openjdk* | *corretto* | *jre* | *jdk*) echo java ;;
    *rust*) echo cargo ;;
    *dotnet*) echo dotnet ;;
    *nginx*) echo nginx ;;
  esac
  case "$1" in
    *distroless*) ;;
    *alpine*) echo apk useradd groupadd adduser addgroup ;;
    *) echo apt-get useradd groupadd ;;
  esac
}

# `buildah config` arguments like the real image's.
config_for() {
  local name=$1 tag=${1##*:}
  local path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
  case "$name" in
    *distroless*) echo --env "PATH=$path" --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt ;;
    *node*) echo --env "PATH=$path" --env "NODE_VERSION=${tag%%-*}" --cmd node ;;
    *golang*) echo --env "PATH=/go/bin:/usr/local/go/bin:$path" --env GOPATH=/go --env "GOLANG_VERSION=${tag%%-*}" --workingdir /go ;;
    *python*) echo --env "PATH=$path" --env "PYTHON_VERSION=${tag%%-*}" --env LANG=C.UTF-8 --cmd python3 ;;
    *maven*) echo --env "PATH=$path" --env JAVA_HOME=/opt/java/openjdk --env MAVEN_HOME=/usr/share/maven --cmd mvn ;;
    *gradle*) echo --env "PATH=$path" --env JAVA_HOME=/opt/java/openjdk --env GRADLE_HOME=/opt/gradle --cmd gradle ;;
    *temurin* | *openjdk* | *corretto*) echo --env "PATH=$path" --env JAVA_HOME=/opt/java/openjdk ;;
    *rust*) echo --env "PATH=/usr/local/cargo/bin:$path" --env RUSTUP_HOME=/usr/local/rustup --env CARGO_HOME=/usr/local/cargo ;;
    *dotnet/sdk*) echo --env "PATH=$path" --env DOTNET_VERSION=8.0.0 ;;
    *dotnet*) echo --env "PATH=$path" --env DOTNET_VERSION=8.0.0 --env ASPNETCORE_HTTP_PORTS=8080 --port 8080/tcp ;;
    *nginx*) echo --env "PATH=$path" --port 80/tcp --stop-signal SIGQUIT ;;
    *) echo --env "PATH=$path" --cmd sh ;;
  esac
}

# Users the real image has.
users_for() {
  case "$1" in
    *distroless*) echo "nonroot:x:65532:65532::/home/nonroot:/sbin/nologin" ;;
    *node*) echo "node:x:1000:1000::/home/node:/bin/sh" ;;
    *nginx*) echo "nginx:x:101:101::/nonexistent:/bin/false" ;;
    *dotnet/aspnet* | *dotnet/runtime*) echo "app:x:1654:1654::/home/app:/bin/sh" ;;
  esac
}

make_root() {
  local root=$1 image=$2 tool
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,etc,root,home,var/lib,var/cache,tmp}
  chmod 1777 "$root/tmp"
  cp "$busybox" "$root/bin/busybox"
  for applet in $("$busybox" --list); do
    [[ -e $root/bin/$applet ]] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  local user
  for user in $(users_for "$image"); do
    echo "$user" >> "$root/etc/passwd"
    IFS=: read -r uname _ _ ugid _ <<< "$user"
    echo "$uname:x:$ugid:" >> "$root/etc/group"
  done
  for tool in $(tools_for "$image"); do
    install -m 755 "$tools/$tool" "$root/usr/local/bin/$tool"
  done
  [[ -e $root/usr/local/bin/python ]] && ln -s python "$root/usr/local/bin/python3"
  [[ -e $root/usr/local/bin/pip ]] && ln -s pip "$root/usr/local/bin/pip3"
  case "$image" in
    *distroless* | *alpine*) ;;
    *)
      # Debian's and Ubuntu's hook that deletes downloaded packages after each install.
      mkdir -p "$root/etc/apt/apt.conf.d"
      echo 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb || true"; };' > "$root/etc/apt/apt.conf.d/docker-clean" ;;
  esac
  case "$image" in
    *gradle*)
      # The gradle images link root's Gradle user home to the gradle user's.
      mkdir -p "$root/home/gradle/.gradle"
      ln -s /home/gradle/.gradle "$root/root/.gradle" ;;
  esac
  case "$image" in
    *nginx*)
      mkdir -p "$root/etc/nginx" "$root/usr/share/nginx/html"
      echo "events {}" > "$root/etc/nginx/nginx.conf"
      echo "<h1>Welcome to nginx (stand-in)</h1>" > "$root/usr/share/nginx/html/index.html" ;;
  esac
}

build_image() {
  local image=$1 name container mount
  name=$(full_name "$image")
  if [[ -z "${STAND_IN_REBUILD:-}" ]] && bah inspect --type image "$name" > /dev/null 2>&1; then
    echo "stand-in exists: $name"
    return
  fi
  container=$(bah from --quiet scratch)
  mount=$(bah mount "$container")
  make_root "$mount" "$name"
  # shellcheck disable=SC2046 # config_for prints separate arguments on purpose
  bah config $(config_for "$name") --label dfmigrate.stand-in=true "$container"
  if [[ $name == *nginx* ]]; then
    bah config --cmd '["nginx", "-g", "daemon off;"]' "$container"
  fi
  bah umount "$container" > /dev/null
  bah commit --quiet --format docker --rm "$container" "$name" > /dev/null
  echo "stand-in built: $name"
}

[[ $# -gt 0 ]] || { echo "usage: $0 IMAGE..." >&2; exit 2; }
for image in "$@"; do
  build_image "$image"
done
