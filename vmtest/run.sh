#!/usr/bin/env bash
# run.sh — the proof that zt works on the Debian stable kernel: fetches the
# cloud kernel package with apt (cached), builds an initramfs with busybox,
# the built tests, the tools and libraries they run with and the modules
# they need, boots it in QEMU (TCG), runs the BPF and namespace suites
# inside, and fails on any test failure and on any kernel WARNING, BUG or
# splat in the kernel log. Usage: vmtest/run.sh [BUILD_DIR]
set -euo pipefail
O=${1:-build}
cd "$(dirname "$0")/.."

META=${ZT_VMTEST_KERNEL_PKG:-linux-image-cloud-amd64}
CACHE=${ZT_VMTEST_CACHE:-/var/cache/zt/vmtest}
TIMEOUT=${ZT_VMTEST_TIMEOUT:-2400}
MEM=${ZT_VMTEST_MEM:-3072}
W=$O/vmtest
# Modules the suites load; their dependencies are added from .modinfo.
# nf_tables: tests/netns/direct.sh drops its raw sender's RSTs with nft.
# 8021q: tests/netns/dns.sh asks from a VLAN device (the host kernel may
# lack 802.1Q; the VM's has it as a module).
# nft_ct, tcp_diag: tests/netns/tunnel.sh's private network drops inbound
# connections by conntrack state, and cuts one connection with ss -K.
MODULES=(veth sch_ingress cls_bpf bridge tun nf_tables 8021q nft_ct tcp_diag inet_diag)
# Programs the suites run (besides busybox), copied with their libraries.
# openssl, socat: tests/netns/proxy.sh's TLS server, certificate and bulk source.
# prlimit, setpriv: tests/netns/tunnel.sh starts ztd held to a low open files limit.
TOOLS=(bash ip tc curl nsenter dig dnsmasq timeout ethtool ssh ssh-keygen sshd nft openssl socat
       sha256sum ss stat prlimit setpriv)

die() { echo "vmtest: $*" >&2; exit 1; }

kernel_pkg() {
	apt-cache depends "$META" 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

pkg=$(kernel_pkg)
if [ -z "$pkg" ]; then
	apt-get update -q >&2 || true
	pkg=$(kernel_pkg)
fi
mkdir -p "$CACHE"
if [ -n "$pkg" ]; then
	deb=$(ls "$CACHE/${pkg}_"*.deb 2>/dev/null | sort -V | tail -1 || true)
	if [ -z "$deb" ]; then
		echo "vmtest: downloading $pkg (cached in $CACHE)"
		(cd "$CACHE" && apt-get download -q "$pkg") >&2 ||
			die "apt-get download $pkg failed; check apt sources and the network"
		deb=$(ls "$CACHE/${pkg}_"*.deb | sort -V | tail -1)
	fi
else
	# apt cannot say which kernel is current (no lists, no network): use
	# the newest cached package rather than fail.
	deb=$(ls "$CACHE"/linux-image-*.deb 2>/dev/null | sort -V | tail -1 || true)
	[ -n "$deb" ] || die "apt-cache knows no $META and nothing is cached in $CACHE; run apt-get update"
	echo "vmtest: apt-cache cannot resolve $META; using cached $(basename "$deb")"
fi

kdir=$W/kernel/$(basename "$deb" .deb)
if [ ! -e "$kdir/.extracted" ]; then
	rm -rf "$kdir" && mkdir -p "$kdir"
	dpkg-deb -x "$deb" "$kdir"
	touch "$kdir/.extracted"
fi
vmlinuz=$(ls "$kdir"/boot/vmlinuz-* | head -1)
kver=${vmlinuz##*/vmlinuz-}
moddir=$kdir/lib/modules/$kver

# ---- initramfs ----------------------------------------------------------------
root=$W/root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,tmp,run,etc,var,zt}
ln -s /run "$root/var/run"
# dnsmasq looks its user up; dig reads a resolv.conf (it is always given @server).
# sshd (the DIRECT suite's OpenSSH server) runs its privilege-separated
# child as user sshd.
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' 'sshd:x:100:65534::/run/sshd:/bin/false' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
	> "$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' > "$root/etc/group"
echo 'nameserver 127.0.0.1' > "$root/etc/resolv.conf"
# What a system has, and what tests/netns/dns.sh bind-mounts its own over
# (a bind mount needs the file to exist): ztd resolves origins as libc does.
printf '%s\n' '127.0.0.1 localhost' '::1 localhost' > "$root/etc/hosts"
echo 'hosts: files dns' > "$root/etc/nsswitch.conf"
cp /bin/busybox "$root/bin/busybox"
# openssl req reads its configuration file.
mkdir -p "$root/usr/lib/ssl" && cp -L /usr/lib/ssl/openssl.cnf "$root/usr/lib/ssl/"

copy_with_libs() { # copies an ELF file and the shared libraries it loads
	local f=$1 dst=$2 lib
	mkdir -p "$root$(dirname "$dst")"
	cp -L "$f" "$root$dst"
	for lib in $(ldd "$f" 2>/dev/null | awk '/=> \// { print $3 } /^\t\// { print $1 }'); do
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

for t in "${TOOLS[@]}"; do
	p=$(command -v "$t") || die "$t is not installed"
	copy_with_libs "$p" "/usr/bin/$t"
done
# Debian's python3 (not whatever python3 PATH finds first) and its standard
# library, without what no test imports: the netns suite checks JSON with it.
py=$(readlink -f /usr/bin/python3) || die "python3 is not installed (make deps)"
pylib=/usr/lib/$(basename "$py")
copy_with_libs "$py" /usr/bin/python3
mkdir -p "$root$pylib"
(cd "$pylib" && tar -c --exclude='./config-*' --exclude=./test --exclude=./idlelib \
	--exclude=./tkinter --exclude=./lib2to3 --exclude=./pydoc_data --exclude=./ensurepip \
	--exclude=./turtledemo --exclude=./distutils --exclude=./site-packages .) |
	tar -x -C "$root$pylib"
for so in "$pylib"/lib-dynload/*.so; do copy_with_libs "$so" "$so"; done
for t in "$O"/tests/bpf/test_* "$O"/ztd "$O"/ztctl "$O"/ztconnector; do
	[ -x "$t" ] && [ -f "$t" ] && copy_with_libs "$t" "/zt/$t"
done
mkdir -p "$root/zt/tests/bpf"
cp tests/run.sh "$root/zt/tests/"
cp tests/bpf/*.sh tests/bpf/*.yaml "$root/zt/tests/bpf/"
cp -r tests/netns "$root/zt/tests/"
mkdir -p "$root/zt/tests/lib" && cp tests/lib/netns.sh "$root/zt/tests/lib/"

modinfo_depends() { # the depends= line of a module's .modinfo, comma-separated
	strings -n 3 "$1" | sed -n 's/^depends=//p' | head -1
}
declare -A have=()
add_module() {
	local name=$1 f d
	[ -n "${have[$name]:-}" ] && return 0
	have[$name]=1
	grep -q "/${name}.ko$" "$moddir/modules.builtin" 2>/dev/null && return 0
	f=$(find "$moddir/kernel" -name "${name}.ko" -o -name "${name//_/-}.ko" | head -1)
	[ -n "$f" ] || die "module $name not found in $pkg"
	for d in $(modinfo_depends "$f" | tr ',' ' '); do
		add_module "$d"
	done
	mkdir -p "$root/lib/modules/$kver/$(dirname "${f#"$moddir"/}")"
	cp "$f" "$root/lib/modules/$kver/${f#"$moddir"/}"
}
for m in "${MODULES[@]}"; do add_module "$m"; done
cp "$moddir"/modules.builtin "$moddir"/modules.order "$root/lib/modules/$kver/"
printf '%s\n' "${MODULES[@]}" > "$root/zt/modules"
install -m 0755 vmtest/init "$root/init"

initrd=$W/initramfs.cpio.gz
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$initrd"

# ---- boot -----------------------------------------------------------------------
log=$W/console.log
label="vm $kver"
echo "vmtest: booting $kver in QEMU (TCG), $(du -h "$initrd" | cut -f1) initramfs"
set +e
timeout --foreground "$TIMEOUT" qemu-system-x86_64 \
	-machine accel=tcg -cpu max -smp 2 -m "$MEM" \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 loglevel=4 quiet" \
	-display none -monitor none -serial stdio -no-reboot < /dev/null |
	tr -d '\r' | tee "$log" |
	awk -v label="$label" '
		/^ZT-VMTEST-BEGIN/ { on = 1; next }
		/^ZT-VMTEST-RC=/ { on = 0 }
		!on { next }
		{ sub(/^ok - /, "ok - [" label "] ");
		  sub(/^not ok - /, "not ok - [" label "] ");
		  sub(/^skip - /, "skip - [" label "] ");
		  sub(/^[0-9]+ passed, [0-9]+ failed.*/, "(inside the VM: &)");
		  print; fflush() }'
qrc=${PIPESTATUS[0]}
set -e

if ! grep -q '^ZT-VMTEST-DONE' "$log"; then
	tail -n 40 "$log" | sed 's/^/  | /'
	if [ "$qrc" = 124 ]; then
		echo "not ok - [$label] the VM did not finish within ${TIMEOUT}s (console log: $log)"
	else
		echo "not ok - [$label] the VM stopped before the suites finished (qemu status $qrc, console log: $log)"
	fi
	exit 1
fi
vmrc=$(sed -n 's/^ZT-VMTEST-RC=//p' "$log" | head -1)
splat=$(sed -n '/^ZT-VMTEST-DMESG-BEGIN/,/^ZT-VMTEST-DMESG-END/p' "$log" |
	grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection|soft lockup|hung_task|rcu.*stall|UBSAN|KASAN|kernel panic|refcount_t:' || true)
if [ -n "$splat" ]; then
	echo "$splat" | head -n 40 | sed 's/^/  | /'
	echo "not ok - [$label] kernel log free of WARNING, BUG and splats (console log: $log)"
	exit 1
fi
echo "ok - [$label] kernel log free of WARNING, BUG and splats"
[ "$vmrc" = 0 ] || exit 1
