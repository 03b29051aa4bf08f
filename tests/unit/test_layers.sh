#!/usr/bin/env bash
# test_layers.sh — the library's layers (DESIGN §9) hold: a file of
# user/lib/LAYER includes headers of its own layer and those below only
# (core < wire < tunnel < policy < config < bpf), core has no libbpf, and ztctl
# carries no BPF skeleton (the programs are ztd's; ztctl reads pinned maps).
# Usage: test_layers.sh BUILD_DIR
set -u
O=$(cd "${1:-build}" && pwd)
cd "$(dirname "$0")/../.." || exit 1
check() { local n=$1; shift; if "$@"; then echo "ok - $n"; else echo "not ok - $n"; fi; }

layers=(core wire tunnel policy config bpf)
# where LAYER's header NAME lives, or nothing
layer_of() {
	local l
	for l in "${layers[@]}"; do
		[ -f "user/lib/$l/$1" ] && { echo "$l"; return; }
	done
}
rank() { local i; for i in "${!layers[@]}"; do [ "${layers[$i]}" = "$1" ] && echo "$i"; done; }

bad=""
for i in "${!layers[@]}"; do
	l=${layers[$i]}
	for f in user/lib/"$l"/*.[ch]; do
		[ -f "$f" ] || continue
		for h in $(sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f"); do
			hl=$(layer_of "$h")
			[ -n "$hl" ] || continue # include/, or the skeletons (loader.c)
			[ "$(rank "$hl")" -le "$i" ] || bad="$bad $f->$hl/$h"
		done
	done
done
check "library layers: no include reaches up a layer${bad:+ (found:$bad)}" test -z "$bad"
check "core has no libbpf" test -z "$(grep -l '<bpf/' user/lib/core/*.[ch])"
check "only the loader includes a skeleton" \
	test "$(grep -l 'skel\.h' user/lib/*/*.c user/ztctl/*.c | tr '\n' ' ')" = "user/lib/bpf/loader.c "
# nm names what was linked in: ztd's loader opens the skeletons, ztctl's
# must not, and ztd having it shows the check can see one.
skel_syms() { nm "$1" 2>/dev/null | grep -c 'bpf_object__open_skeleton\|zt_bpf_open'; }
check "ztd links the skeletons (the check below can see them)" test "$(skel_syms "$O/ztd")" -ge 1
check "ztctl links no BPF skeleton" test "$(skel_syms "$O/ztctl")" = 0
