# Shared steps of the scripts that make a base image from this machine's own runtime files
# (make-base-image.sh: Node.js; make-jre-image.sh: Java). Sourced, not run: the caller sets R
# (the root file system being assembled) and defines log().

# The rest of glibc's runtime and the C++ runtime, as the official images have them: native
# code loaded at run time links these (node modules installed in a build stage, such as vite's
# rolldown binding; the JVM's libgcc_s; native code unpacked from jars: RocksDB, netty, zstd).
ROOTFS_RUNTIME_LIBS=(libdl.so.2 librt.so.1 libpthread.so.0 libm.so.6 libgcc_s.so.1 libstdc++.so.6)

die() {
  log "error: $*"
  exit 1
}

# rootfs_require_docker: fails unless the docker CLI reaches an engine.
rootfs_require_docker() {
  command -v docker >/dev/null 2>&1 || die "docker not found (run: source scripts/docker-env.sh)"
  docker info >/dev/null 2>&1 || die "docker engine not reachable (run: source scripts/docker-env.sh)"
}

# rootfs_copy_libs BIN [SKIP_DIR...]: copies the shared libraries that ldd names for BIN into
# $R, dereferenced, at the path ldd names; libraries that resolve under a SKIP_DIR are left out.
rootfs_copy_libs() {
  local bin="$1" lib skip real keep
  shift
  # ldd lines: "libx.so => /path (0x..)" or "/lib64/ld-linux-x86-64.so.2 (0x..)".
  ldd "$bin" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' |
    while read -r lib; do
      [ -e "$lib" ] || continue
      real="$(readlink -f "$lib")"
      keep=1
      for skip in "$@"; do
        case "$real" in "$skip"/*) keep=0 ;; esac
      done
      [ "$keep" = 1 ] || continue
      mkdir -p "$R$(dirname "$lib")"
      [ -e "$R$lib" ] || cp -L "$lib" "$R$lib"
    done
}

# rootfs_copy_named_libs NAME...: copies libraries by name (libm.so.6, ...) from ldconfig's
# x86-64 cache; a name this machine lacks is a warning.
rootfs_copy_named_libs() {
  local name lib
  for name in "$@"; do
    lib="$(ldconfig -p | awk -v n="$name" '$1 == n && /x86-64/ { print $NF; exit }')"
    [ -n "$lib" ] && [ -e "$lib" ] || { log "warning: $name not found on this machine"; continue; }
    mkdir -p "$R$(dirname "$lib")"
    [ -e "$R$lib" ] || cp -L "$lib" "$R$lib"
  done
}

# rootfs_users USER SHELL: /etc/passwd and /etc/group with root, USER (uid and gid 1000, home
# /home/USER) and nobody, all with login shell SHELL; /etc/nsswitch.conf (files, then DNS).
rootfs_users() {
  local user="$1" shell="$2"
  printf '%s\n' "root:x:0:0:root:/root:$shell" "$user:x:1000:1000::/home/$user:$shell" \
    "nobody:x:65534:65534:nobody:/nonexistent:$shell" >"$R/etc/passwd"
  printf '%s\n' "root:x:0:" "$user:x:1000:" "nogroup:x:65534:" >"$R/etc/group"
  printf 'hosts: files dns\n' >"$R/etc/nsswitch.conf"
}

# rootfs_tar USER TAR: writes $R to the tar file TAR, owned by root except /home/USER (uid
# 1000; when not run as root, everything is recorded as root's).
rootfs_tar() {
  local user="$1" tar="$2"
  local owner_args=(--owner=0 --group=0 --numeric-owner)
  if [ "$(id -u)" = "0" ]; then
    chown -R 0:0 "$R"
    chown 1000:1000 "$R/home/$user"
    owner_args=(--numeric-owner)
  fi
  tar -C "$R" "${owner_args[@]}" -cf "$tar" .
}
