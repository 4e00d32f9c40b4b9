#!/bin/sh
# tests/container/base.sh: make a local stand-in for debian:12-slim where
# Docker Hub is out of reach: debootstrap --variant=minbase bookworm from
# the mirror apt already uses, trimmed the way the published slim image is
# (no docs, man pages or locales; no apt lists), cached as a tarball.
#
#   tests/container/base.sh TARBALL          make TARBALL unless it exists
#
# `docker import TARBALL debian:12-slim` then gives the base image.
set -eu
out=$1
[ -s "$out" ] && exit 0
command -v debootstrap >/dev/null || {
    echo "base.sh: debootstrap is missing (apt-get install debootstrap)" >&2
    exit 1
}

# the first deb822 or one-line bookworm source apt has (a local mirror or a
# caching proxy works as for apt itself)
mirror=$(sed -n 's/^URIs: *\([^ ]*\).*/\1/p' /etc/apt/sources.list.d/*.sources \
    2>/dev/null | grep -v security | head -n 1)
[ -n "$mirror" ] || mirror=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\) bookworm .*/\2/p' \
    /etc/apt/sources.list 2>/dev/null | head -n 1)
[ -n "$mirror" ] || mirror=http://deb.debian.org/debian

root=$out.root
rm -rf "$root"
mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
# what the published slim image excludes, before the first package lands
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
EOF
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$out.log" 2>&1 || {
    tail -n 20 "$out.log" >&2
    exit 1
}
# the image's own apt sources: the same mirror, plus security updates
printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" \
    >"$root/etc/apt/sources.list"
sec=$(sed -n 's/^URIs: *\([^ ]*security[^ ]*\).*/\1/p' \
    /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n 1)
[ -z "$sec" ] || printf 'deb %s bookworm-security main\n' "$sec" \
    >>"$root/etc/apt/sources.list"
# the slim image's apt settings: no caches kept, no recommends
printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' \
    >"$root/etc/apt/apt.conf.d/docker-no-recommends"
clean='rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true'
printf '%s\n' "DPkg::Post-Invoke { \"$clean\"; };" \
    "APT::Update::Post-Invoke { \"$clean\"; };" \
    'Dir::Cache::pkgcache "";' 'Dir::Cache::srcpkgcache "";' \
    >"$root/etc/apt/apt.conf.d/docker-clean"
rm -rf "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb \
    "$root/var/lib/apt/lists/"* "$root/var/log/"*.log \
    "$root/usr/share/doc/"*/changelog* "$root/usr/share/man/"* \
    "$root/usr/share/locale/"* "$root/usr/share/info/"*
tar -C "$root" --numeric-owner -cf "$out.tmp" .
rm -rf "$root"
mv "$out.tmp" "$out"
