#!/usr/bin/env bash
# run.sh — runs every suite (unit, BPF, namespace, and the QEMU vmtest on the
# Debian stable kernel) and ends with the line 'N passed, N failed'.
# Suites print one 'ok - NAME', 'not ok - NAME' or 'skip - NAME: WHY' line
# per case; a suite that exits non-zero without saying why counts as a
# failure of its own.
set -u
O=${1:-build}
cd "$(dirname "$0")/.." || exit 1

pass=0 fail=0 skip=0
log=$(mktemp)
# The policy cases test_classifier ran through the kernel, for
# policy_test_agrees.sh to put to ztctl.
export ZT_CASES_OUT
ZT_CASES_OUT=$(mktemp)
trap 'rm -f "$log" "$ZT_CASES_OUT"' EXIT

run_suite() {
	local name=$1 rc p f s
	shift
	echo "== $name"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^ok - ' "$log")
	f=$(grep -c '^not ok - ' "$log")
	s=$(grep -c '^skip - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited with status $rc"
		f=$((f + 1))
	fi
	if [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name ran no test"
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
}

# Inside the vmtest (ZT_IN_VM=1) only what depends on the kernel runs:
# the BPF and namespace suites.
in_vm=${ZT_IN_VM:-0}
if [ "$in_vm" != 1 ]; then
	# The C unit tests feed parsers every truncation and corruption of
	# their input: under memcheck an out-of-bounds read fails the suite.
	memcheck=(valgrind -q --error-exitcode=99)
	if ! command -v valgrind >/dev/null; then
		memcheck=()
		echo "skip - memcheck of the unit tests: valgrind is not installed (make deps)"
		skip=$((skip + 1))
	fi
	for t in "$O"/tests/unit/test_*; do
		[ -x "$t" ] && run_suite "unit/$(basename "$t")" "${memcheck[@]}" "$t"
	done
	for t in tests/unit/test_*.sh; do
		[ -f "$t" ] && run_suite "unit/$(basename "$t" .sh)" bash "$t" "$O"
	done
	run_suite "fuzz (libFuzzer, ${ZT_FUZZ_SECS:-10}s per harness)" fuzz/run.sh "$O"
fi
for t in "$O"/tests/bpf/test_*; do
	[ -x "$t" ] && run_suite "bpf/$(basename "$t")" "$t"
done
run_suite "bpf/policy_test_agrees" bash tests/bpf/policy_test_agrees.sh "$O" "$ZT_CASES_OUT"
for t in tests/netns/*.sh; do
	[ -f "$t" ] && run_suite "netns/$(basename "$t" .sh)" bash "$t" "$O"
done
# The same unit and namespace suites on the ASan+UBSan build make check
# makes (ZT_SAN_DIR): a memory error or undefined behaviour anywhere in
# ztd, ztctl or the library, even in a process whose exit status a suite
# does not look at, leaves a report in san_log and fails the pass.
if [ "$in_vm" != 1 ] && [ -n "${ZT_SAN_DIR:-}" ]; then
	san_log=$(mktemp -d /tmp/zt-san.XXXXXX)
	export ASAN_OPTIONS="log_path=$san_log/asan:detect_leaks=1" \
	       UBSAN_OPTIONS="log_path=$san_log/ubsan:print_stacktrace=1:halt_on_error=1"
	for t in "$ZT_SAN_DIR"/tests/unit/test_*; do
		[ -x "$t" ] && run_suite "san/unit/$(basename "$t")" "$t"
	done
	for t in tests/unit/test_*.sh; do
		[ -f "$t" ] && run_suite "san/unit/$(basename "$t" .sh)" bash "$t" "$ZT_SAN_DIR"
	done
	for t in tests/netns/*.sh; do
		[ -f "$t" ] && run_suite "san/netns/$(basename "$t" .sh)" bash "$t" "$ZT_SAN_DIR"
	done
	unset ASAN_OPTIONS UBSAN_OPTIONS
	if [ -n "$(ls -A "$san_log")" ]; then
		head -c 20000 "$san_log"/* | sed 's/^/# /'
		echo "not ok - sanitizers: $(ls "$san_log" | wc -l) reports from the ASan+UBSan build"
		fail=$((fail + 1))
	else
		echo "ok - sanitizers: no ASan or UBSan report from the suites on $ZT_SAN_DIR"
		pass=$((pass + 1))
	fi
	rm -rf "$san_log"
elif [ "$in_vm" != 1 ]; then
	echo "skip - the suites on an ASan+UBSan build: ZT_SAN_DIR is not set (make check sets it)"
	skip=$((skip + 1))
fi
if [ "$in_vm" = 1 ]; then
	:
elif [ "${ZT_SKIP_VMTEST:-0}" = 1 ]; then
	echo "skip - vmtest: ZT_SKIP_VMTEST=1"
	skip=$((skip + 1))
else
	run_suite "vmtest (Debian stable kernel in QEMU)" vmtest/run.sh "$O"
fi

echo
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
