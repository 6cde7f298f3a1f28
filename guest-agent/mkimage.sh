#!/bin/bash
# mkimage.sh AGENT_BIN OUTDIR -- build a guest image for QEMU direct kernel boot.
#
# Takes the Debian kernel package that linux-image-amd64 depends on (or
# BB_KERNEL_PKG=<package>, or a local BB_KERNEL_DEB=<file.deb>), extracts it
# once, and packs the static guest agent plus the virtio modules it needs into
# an initramfs. Layout produced:
#
#   OUTDIR/vmlinuz          kernel image (boot/vmlinuz-* from the package)
#   OUTDIR/vmlinux          the same, uncompressed, where it has a PVH entry:
#                           what the runner boots when it is there (faster)
#   OUTDIR/kernel.release   kernel release string, e.g. 6.1.0-56-amd64
#   OUTDIR/kernel.config    its build configuration (balloonbench doctor reads
#                           the balloon options from it)
#   OUTDIR/initrd.img       gzip'ed newc cpio, owner root:
#       /init                 AGENT_BIN (0755)
#       /lib/modules/*.ko     needed modules + their dependencies, uncompressed
#       /etc/bb-modules       module file names, one a line, in load order
#   OUTDIR/modules          the same list (the runner refuses a virtio-mem job
#                           whose image lacks virtio_mem.ko before booting it)
#       /proc /sys /dev /tmp /run, /dev/console (char 5:1)
#   OUTDIR/cache/           download + extracted package (cache/root), and
#                           cache/kernel.pkg = "name version" of what is there
#
# The load order comes from `modinfo -F depends` of each module, sorted
# topologically (tsort). Re-runs reuse the extracted kernel when name+version
# match the stamp, and rebuild initrd.img only when AGENT_BIN, the module
# files, the kernel stamp or this script are newer than it.
# Needs: apt dpkg kmod cpio gzip coreutils findutils (xz-utils/zstd for
# compressed modules). Must run as root (mknod /dev/console).
set -euo pipefail

# button and evdev: the ACPI power button as /dev/input/eventN, which the
# agent watches (virDomainReboot and virDomainShutdown press it)
MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
         virtio_pci virtio_balloon virtio_console virtio_blk virtio_mem
         button evdev)

die() { echo "mkimage: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: mkimage.sh AGENT_BIN OUTDIR"
AGENT=$1 OUT=$2
[ -f "$AGENT" ] || die "agent binary not found: $AGENT"
for t in apt-get apt-cache dpkg dpkg-deb modinfo cpio gzip tsort mknod; do
    command -v "$t" >/dev/null || die "required tool not found: $t"
done
SELF=$(readlink -f "$0")
CACHE=$OUT/cache ROOT=$OUT/cache/root STAMP=$OUT/cache/kernel.pkg
mkdir -p "$CACHE" || die "cannot create $CACHE"

# --- resolve kernel package name + version ----------------------------------
updated=0
apt_retry() {   # run "$@"; if it prints nothing, apt-get update once and retry
    local r; r=$("$@" 2>/dev/null || true)
    if [ -z "$r" ] && [ $updated -eq 0 ]; then
        updated=1
        apt-get update -q >&2 || die "apt-get update failed"
        r=$("$@" 2>/dev/null || true)
    fi
    echo "$r"
}
meta_pkg() { apt-cache depends linux-image-amd64 |
             awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'; }
cand_ver() { apt-cache policy "$1" | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'; }

if [ -n "${BB_KERNEL_DEB:-}" ]; then
    DEB=$(readlink -f "$BB_KERNEL_DEB" || true)
    [ -f "$DEB" ] || die "BB_KERNEL_DEB not found: $BB_KERNEL_DEB"
    PKG=$(dpkg-deb -f "$DEB" Package 2>/dev/null || true)
    VER=$(dpkg-deb -f "$DEB" Version 2>/dev/null || true)
    if [ -z "$PKG" ] || [ -z "$VER" ]; then die "not a valid .deb: $DEB"; fi
    how="from $DEB"
else
    PKG=${BB_KERNEL_PKG:-}
    [ -n "$PKG" ] || PKG=$(apt_retry meta_pkg)
    [ -n "$PKG" ] || die "apt-cache depends linux-image-amd64 found no kernel package (no apt lists?)"
    VER=$(apt_retry cand_ver "$PKG")
    [ -n "$VER" ] || die "no installable version of $PKG in the apt lists"
    how=downloaded
fi

# --- fetch + extract, unless the stamp says it is already there -------------
if [ "$(cat "$STAMP" 2>/dev/null)" = "$PKG $VER" ] && compgen -G "$ROOT/boot/vmlinuz-*" >/dev/null; then
    how=cached
else
    rm -rf "$ROOT" "$CACHE/dl" "$STAMP"
    if [ -z "${DEB:-}" ]; then
        mkdir -p "$CACHE/dl" && chmod 755 "$CACHE/dl"
        chown _apt "$CACHE/dl" 2>/dev/null || true   # lets apt download sandboxed
        if ! (cd "$CACHE/dl" && apt-get download -qq "$PKG=$VER" >/dev/null); then
            # stale apt lists: the mirror may have dropped that version; ask again
            echo "mkimage: apt-get download $PKG=$VER failed; apt-get update and retry" >&2
            apt-get update -q >&2 || die "apt-get update failed"
            [ -n "${BB_KERNEL_PKG:-}" ] || PKG=$(meta_pkg)
            VER=$(cand_ver "$PKG")
            [ -n "$VER" ] || die "no installable version of $PKG in the apt lists"
            (cd "$CACHE/dl" && apt-get download -qq "$PKG=$VER" >/dev/null) ||
                die "apt-get download $PKG=$VER failed"
        fi
        DEB=$(compgen -G "$CACHE/dl/*.deb" | head -n1)
        [ -n "$DEB" ] || die "apt-get download left no .deb in $CACHE/dl"
    fi
    dpkg -x "$DEB" "$ROOT" || die "dpkg -x $DEB failed"
    rm -rf "$CACHE/dl"
    echo "$PKG $VER" > "$STAMP"
fi

set -- "$ROOT"/boot/vmlinuz-*
if [ $# -ne 1 ] || [ ! -f "$1" ]; then die "expected exactly one boot/vmlinuz-* in $PKG"; fi
REL=${1##*/vmlinuz-}
KDIR=$ROOT/lib/modules/$REL/kernel
[ -d "$KDIR" ] || die "$PKG has no lib/modules/$REL/kernel"
cmp -s "$1" "$OUT/vmlinuz" || cp "$1" "$OUT/vmlinuz"
[ "$(cat "$OUT/kernel.release" 2>/dev/null)" = "$REL" ] || echo "$REL" > "$OUT/kernel.release"
if [ -f "$ROOT/boot/config-$REL" ]; then
	cmp -s "$ROOT/boot/config-$REL" "$OUT/kernel.config" || cp "$ROOT/boot/config-$REL" "$OUT/kernel.config"
fi

# --- OUTDIR/vmlinux: the same kernel uncompressed, booted through PVH ---------
# A bzImage unpacks itself at every boot: Debian's is xz, and under TCG that
# is 3+ s of emulated CPU a boot (QEMU's CPU time to /init, measured here:
# 5.3 s from vmlinuz, 1.8 s from vmlinux). QEMU boots an ELF vmlinux that
# carries the PVH entry note (CONFIG_PVH=y) directly, without unpacking it.
# The payload is found by the boot protocol's header (setup_sects at 0x1f1,
# payload_offset/length at 0x248/0x24c), not by scanning for a magic number;
# a kernel without the note, or a payload we cannot unpack, leaves no vmlinux
# and the runner boots vmlinuz (host-runner/core/paths.c hr_image_kernel).
u32() { od -An -t u4 -j "$2" -N 4 "$1" | tr -d ' '; }
extract_vmlinux() {
	local bz=$1 out=$2 sects off len start magic
	sects=$(od -An -t u1 -j $((0x1f1)) -N 1 "$bz" | tr -d ' ')
	[ "$sects" -ne 0 ] || sects=4
	off=$(u32 "$bz" $((0x248))) len=$(u32 "$bz" $((0x24c)))
	start=$(( (sects + 1) * 512 + off ))
	magic=$(od -An -t x1 -j "$start" -N 4 "$bz" | tr -d ' ')
	local unpack
	case $magic in
	fd377a58) unpack="xz -dc --single-stream" ;;
	1f8b*) unpack="gzip -dc" ;;
	28b52ffd) unpack="zstd -dcq" ;;
	*) echo "mkimage: vmlinuz's payload (magic $magic) is not xz, gzip or zstd: no vmlinux, the guest boots vmlinuz" >&2
	   return 1 ;;
	esac
	# payload_length stops short of some compressors' trailer (6.1's xz), and
	# past the stream the file goes on: the unpacker's status says neither.
	# What is checked is what it wrote: an ELF whose every segment is whole,
	# with the PVH entry (Xen note XEN_ELFNOTE_PHYS32_ENTRY, 18).
	tail -c +$((start + 1)) "$bz" | head -c $((len + 4096)) | $unpack > "$out.tmp" 2>/dev/null || true
	local size end=0 type poff x y fsz rest
	size=$(stat -c %s "$out.tmp")
	while read -r type poff x y fsz rest; do
		[ "$type" = LOAD ] && [ $((poff + fsz)) -gt "$end" ] && end=$((poff + fsz))
	done < <(readelf -lW "$out.tmp" 2>/dev/null)
	if [ "$end" -eq 0 ] || [ "$end" -gt "$size" ]; then
		echo "mkimage: vmlinuz's payload did not unpack to a whole ELF: no vmlinux, the guest boots vmlinuz" >&2
		rm -f "$out.tmp"; return 1
	fi
	if ! readelf -n "$out.tmp" 2>/dev/null | grep -q '^ *Xen .*(0x00000012)'; then
		echo "mkimage: the kernel has no PVH entry (CONFIG_PVH): no vmlinux, the guest boots vmlinuz" >&2
		rm -f "$out.tmp"; return 1
	fi
	mv "$out.tmp" "$out"
}
# (written to vmlinux.tmp and renamed: a run starting meanwhile boots the old
# pair or the new one; the runner boots a vmlinux older than vmlinuz never)
if [ ! -f "$OUT/vmlinux" ] || [ "$OUT/vmlinuz" -nt "$OUT/vmlinux" ]; then
	extract_vmlinux "$OUT/vmlinuz" "$OUT/vmlinux" || rm -f "$OUT/vmlinux"
fi

# --- collect modules + dependencies, compute load order ---------------------
WORK=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/stage MODS=$WORK/stage/lib/modules
mkdir -p "$MODS"
declare -A SRC=() FILE=()   # module name -> source path / staged file name
queue=("${MODULES[@]}") edges=""
while [ ${#queue[@]} -gt 0 ]; do
    m=${queue[0]//-/_}
    queue=("${queue[@]:1}")
    [ -n "${SRC[$m]:-}" ] && continue
    pat=${m//_/[-_]}
    src=$(find "$KDIR" -type f \( -name "$pat.ko" -o -name "$pat.ko.xz" \
            -o -name "$pat.ko.zst" -o -name "$pat.ko.gz" \) | LC_ALL=C sort | head -n1)
    [ -n "$src" ] || die "module $m not found under $KDIR"
    base=${src##*/} base=${base%.ko*}.ko
    case $src in
        *.xz)  xz -dc "$src" ;;
        *.zst) zstd -dcq "$src" ;;
        *.gz)  gzip -dc "$src" ;;
        *)     cat "$src" ;;
    esac > "$MODS/$base" || die "cannot decompress $src"
    SRC[$m]=$src FILE[$m]=$base
    deps=$(modinfo -F depends "$MODS/$base") || die "modinfo failed on $src"
    edges+="$m $m"$'\n'
    for d in ${deps//,/ }; do
        d=${d//-/_}
        edges+="$d $m"$'\n'
        queue+=("$d")
    done
done
order=$(printf '%s' "$edges" | tsort 2>"$WORK/tsort.err") ||
    die "dependency cycle among modules: $(grep -v 'input contains a loop' "$WORK/tsort.err" | sed 's/^tsort: //' | tr '\n' ' ')"

# --- (re)build initrd.img only when something it is made of changed ---------
INITRD=$OUT/initrd.img
rebuild=0
[ -f "$INITRD" ] || rebuild=1
[ -f "$OUT/modules" ] || rebuild=1
for f in "$AGENT" "$SELF" "$STAMP" "${SRC[@]}"; do
    if [ "$f" -nt "$INITRD" ]; then rebuild=1; fi
done
if [ $rebuild -eq 1 ]; then
    mkdir -p "$STAGE"/{proc,sys,dev,tmp,run,etc}
    chmod 755 "$STAGE" && chmod 1777 "$STAGE/tmp"
    mknod -m 600 "$STAGE/dev/console" c 5 1 || die "mknod /dev/console failed (not root?)"
    install -m 0755 "$AGENT" "$STAGE/init"
    for m in $order; do echo "${FILE[$m]}"; done > "$STAGE/etc/bb-modules"
    (cd "$STAGE" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) |
        gzip -9n > "$INITRD.tmp" || die "cpio/gzip of initramfs failed"
    mv "$INITRD.tmp" "$INITRD"
    cp "$STAGE/etc/bb-modules" "$OUT/modules"
    what="initrd rebuilt"
else
    what="initrd up to date"
fi
echo "guest image: kernel $REL ($how), $what"
