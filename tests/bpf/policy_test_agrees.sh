#!/usr/bin/env bash
# policy_test_agrees.sh — `ztctl policy test` against the kernel: for every
# policy case test_classifier ran through the XDP program (recorded in
# CASES as "src dst proto dport verdict reason rule"), the same question is
# put to ztctl with tests/bpf/classifier.yaml, the suite's policy written as
# a ztd config, and the answers must agree.
# Usage: policy_test_agrees.sh BUILD_DIR CASES
set -u
O=$1 CASES=$2
CFG=$(cd "$(dirname "$0")" && pwd)/classifier.yaml
n=0
[ -s "$CASES" ] || { echo "not ok - test_classifier recorded no cases in $CASES"; exit 1; }
sort -u "$CASES" > "$CASES.uniq"
field() { # field JSON KEY: a string value, or - for null
	local v
	v=$(grep -o "\"$2\":\(\"[^\"]*\"\|null\)" <<<"$1" | head -1 | cut -d: -f2-)
	[ "$v" = null ] || [ -z "$v" ] && { echo -; return; }
	v=${v#\"}; echo "${v%\"}"
}
while read -r src dst proto dport verdict reason rule; do
	args=(--config "$CFG" --src "$src" --dst "$dst" --proto "$proto")
	[ "$proto" != icmp ] && args+=(--dport "$dport")
	got=$("$O/ztctl" -j policy test "${args[@]}" 2>&1)
	gv=$(field "$got" verdict) gr=$(field "$got" reason) grule=$(field "$got" rule)
	name="policy test $src -> $dst $proto/$dport: kernel $verdict/$reason/$rule"
	if [ "$gv" = "$verdict" ] && [ "$gr" = "$reason" ] && [ "$grule" = "$rule" ]; then
		echo "ok - $name"
	else
		echo "not ok - $name; ztctl says $gv/$gr/$grule ($got)"
	fi
	n=$((n + 1))
done < "$CASES.uniq"
rm -f "$CASES.uniq"
# The suite decides 25 distinct policy cases; far fewer means it stopped early.
[ "$n" -ge 20 ] || { echo "not ok - only $n cases recorded"; exit 1; }
exit 0
