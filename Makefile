# zt — top-level Makefile: BPF objects and their skeletons, the user
# binaries and tests, out of tree in build/. `make V=1` shows commands.
.DELETE_ON_ERROR:
.SECONDARY:
.SUFFIXES:
SHELL := /bin/bash

O := build

# Targets that need root (BPF, namespaces, apt-get): re-run through sudo.
ROOT_GOALS := deps check test vmtest bench demo demo-clean
ifneq ($(shell id -u),0)
ifneq ($(filter $(ROOT_GOALS),$(MAKECMDGOALS)),)
NEED_SUDO := 1
endif
endif

ifdef NEED_SUDO
SUDO := $(shell command -v sudo 2>/dev/null)
.DEFAULT_GOAL := sudo-rerun
$(filter-out sudo-rerun,$(MAKECMDGOALS)): sudo-rerun ; @:
sudo-rerun:
ifeq ($(SUDO),)
	@echo "zt: '$(MAKECMDGOALS)' needs root (BPF maps, network namespaces, apt-get) and sudo is not installed; run it as root" >&2; exit 1
else
	@echo "zt: '$(MAKECMDGOALS)' needs root; re-running through sudo"
	@exec $(SUDO) $(MAKE) $(MAKECMDGOALS)
endif
.PHONY: sudo-rerun
else

V ?= 0
ifeq ($(V),1)
Q :=
msg := @true
else
Q := @
msg := @printf '  %-7s %s\n'
endif

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
MULTIARCH := $(shell $(CC) -dumpmachine 2>/dev/null)

CFLAGS  ?= -O2 -g
# The library is in layers (DESIGN §9), each seeing only the ones below it:
# core (no libbpf) < wire (pure codecs) < tunnel (the stream sessions
# over tunnel frames, no I/O) < policy < config < bpf (maps, apply,
# netlink; the loader alone includes the skeletons). A source is
# compiled with the include paths of its own layer and those below, so an
# include that reaches up does not compile.
LIB_LAYERS := core wire tunnel policy config bpf
layer_incs = $(patsubst %,-Iuser/lib/%,$(wordlist 1,$(1),$(LIB_LAYERS)))
ALL_LIB_INCS := $(call layer_incs,6)
ZT_CFLAGS := -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	     -MMD -MP -Iinclude \
	     $(shell pkg-config --cflags libbpf libelf zlib yaml-0.1 libmnl 2>/dev/null)
# Whatever is not in the library sees all of it; only ztd, the BPF tests
# and the benches see the skeletons.
LIB_INCS := $(ALL_LIB_INCS)
SKEL_INCS := -I$(O)/skel
LDLIBS  := $(shell pkg-config --libs libbpf libelf zlib yaml-0.1 libmnl 2>/dev/null)
# Only ztd resolves names (c-ares: origin servers behind IRIs of local tunnels).
ZTD_CFLAGS := $(shell pkg-config --cflags libcares 2>/dev/null)
ZTD_LDLIBS := $(shell pkg-config --libs libcares 2>/dev/null)
# make SAN=1: ASan and UBSan, every UB report fatal (make check builds
# the user space this way into $(O)-san and runs the suites on it too).
ifeq ($(SAN),1)
CFLAGS  += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
LDFLAGS += -fsanitize=address,undefined
endif
SAN_O := $(O)-san

BPF_CFLAGS := -target bpf -O2 -g -Wall -Werror -Iinclude -Ibpf \
	      -I/usr/include/$(MULTIARCH)

BPF_PROGS := xdp_ingress tc_ingress
BPF_OBJS  := $(BPF_PROGS:%=$(O)/bpf/%.bpf.o)
SKELS     := $(BPF_PROGS:%=$(O)/skel/%.skel.h)
BENCH_BPF := $(O)/bpf/bench_xdp.bpf.o
BENCH_SKEL := $(O)/skel/bench_xdp.skel.h
PKTGEN_SKEL := $(O)/skel/pktgen.skel.h
RELAY_SKEL := $(O)/skel/relay.skel.h

LIB_SRCS := $(wildcard $(LIB_LAYERS:%=user/lib/%/*.c))
LOADER_OBJ := $(O)/user/lib/bpf/loader.o
LIB_OBJS := $(filter-out $(LOADER_OBJ),$(LIB_SRCS:%.c=$(O)/%.o))
# libzt.a is everything ztctl may link; the loader (the skeletons, with the
# programs inside) is an archive of its own that only ztd and the tests link.
LIBZT    := $(O)/libzt.a
LIBZT_LOADER := $(O)/libzt-loader.a

TEST_UNIT := $(patsubst tests/unit/%.c,$(O)/tests/unit/%,$(wildcard tests/unit/test_*.c))
TEST_BPF  := $(patsubst tests/bpf/%.c,$(O)/tests/bpf/%,$(wildcard tests/bpf/test_*.c))
BENCH_BIN := $(if $(wildcard bench/bench_dataplane.c),$(O)/bench/bench_dataplane)
PKTGEN_BIN := $(if $(wildcard bench/pktgen.c),$(O)/bench/pktgen)
CPS_BIN   := $(if $(wildcard bench/cps.c),$(O)/bench/cps)
RELAY_BIN := $(if $(wildcard bench/relay.c),$(O)/bench/relay)
TESTS     := $(TEST_UNIT) $(TEST_BPF)
# libFuzzer harnesses: clang with ASan and UBSan, the parsers compiled in.
FUZZ_CFLAGS := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -g -O1 -Iinclude $(ALL_LIB_INCS) \
	       $(shell pkg-config --cflags yaml-0.1 2>/dev/null)
FUZZ      := $(O)/fuzz/fuzz_dns $(O)/fuzz/fuzz_config $(O)/fuzz/fuzz_ctl $(O)/fuzz/fuzz_tls \
	     $(O)/fuzz/fuzz_http $(O)/fuzz/fuzz_ssh \
	     $(O)/fuzz/fuzz_pxmsg $(O)/fuzz/fuzz_mux
BINS      := $(O)/ztd $(O)/ztctl $(O)/ztconnector

.PHONY: all deps depcheck check test vmtest bench fuzz demo demo-clean clean help san-build
all: $(SKELS) $(LIBZT) $(LIBZT_LOADER) $(BINS) $(TESTS) $(BENCH_BIN) $(PKTGEN_BIN) $(CPS_BIN) $(RELAY_BIN) $(FUZZ)

help:
	@echo "make            build BPF objects, skeletons, libraries, tests into $(O)/"
	@echo "make deps       install missing Debian packages (root)"
	@echo "make check      deps, build, run every test (host and QEMU 6.1); ends 'N passed, N failed'"
	@echo "make vmtest     the BPF suite inside QEMU on the Debian stable kernel"
	@echo "make bench      data-plane cost per packet vs a no-op program; control-plane times vs nftables;"
	@echo "                DNS server vs dnsmasq and NSD (dnsperf)"
	@echo "make demo       what zt shows today"
	@echo "make SAN=1      build with ASan/UBSan (make check also runs the unit and namespace"
	@echo "                suites on such a build, in $(SAN_O)/)"
	@echo "make fuzz       run each libFuzzer harness for FUZZ_SECS (default 300) seconds"

depcheck:
	@tools/deps.sh check

deps:
	@tools/deps.sh install

# ---- BPF --------------------------------------------------------------------
$(O)/bpf/%.bpf.o: bpf/%.bpf.c | depcheck
	$(msg) BPF $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(O)/bpf/%.bpf.o: bench/%.bpf.c | depcheck
	$(msg) BPF $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -MMD -MP -c $< -o $@

$(O)/skel/%.skel.h: $(O)/bpf/%.bpf.o
	$(msg) GEN $@
	@mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@

# ---- user space -------------------------------------------------------------
$(O)/%.o: %.c $(SKELS) | depcheck
	$(msg) CC $@
	@mkdir -p $(@D)
	$(Q)$(CC) $(ZT_CFLAGS) $(LIB_INCS) $(CFLAGS) -c $< -o $@

$(O)/user/lib/core/%.o: LIB_INCS = $(call layer_incs,1)
$(O)/user/lib/wire/%.o: LIB_INCS = $(call layer_incs,2)
$(O)/user/lib/tunnel/%.o: LIB_INCS = $(call layer_incs,3)
$(O)/user/lib/policy/%.o: LIB_INCS = $(call layer_incs,4)
$(O)/user/lib/config/%.o: LIB_INCS = $(call layer_incs,5)
$(O)/user/lib/bpf/%.o: LIB_INCS = $(call layer_incs,6)
$(LOADER_OBJ): LIB_INCS = $(call layer_incs,6) $(SKEL_INCS)
$(O)/tests/%.o $(O)/bench/%.o: LIB_INCS = $(ALL_LIB_INCS) $(SKEL_INCS)

$(LIBZT): $(LIB_OBJS)
	$(msg) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(LIBZT_LOADER): $(LOADER_OBJ)
	$(msg) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

# BoringSSL (Debian's android-libboringssl-dev): only user/lib/tls/ sees
# its headers; ztd, ztconnector and ztctl link it, with an rpath to where Debian
# keeps it. No binary links OpenSSL.
TLS_INCS := -I/usr/include/android
TLS_LIBDIR := /usr/lib/$(MULTIARCH)/android
TLS_LDLIBS := -L$(TLS_LIBDIR) -lssl -lcrypto -Wl,-rpath,$(TLS_LIBDIR)
LIBZT_TLS := $(O)/libzt-tls.a
$(O)/user/lib/tls/%.o: LIB_INCS = $(ALL_LIB_INCS) $(TLS_INCS)
$(LIBZT_TLS): $(patsubst %.c,$(O)/%.o,$(wildcard user/lib/tls/*.c))
	$(msg) AR $@
	$(Q)rm -f $@ && ar rcs $@ $^

$(O)/user/ztd/%.o: ZT_CFLAGS += $(ZTD_CFLAGS)
$(O)/user/ztd/%.o $(O)/user/ztconnector/%.o: LIB_INCS = $(ALL_LIB_INCS) $(SKEL_INCS) -Iuser/lib/tls
$(O)/ztd: $(patsubst %.c,$(O)/%.o,$(wildcard user/ztd/*.c)) $(LIBZT_LOADER) $(LIBZT_TLS) $(LIBZT)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(ZTD_LDLIBS) $(TLS_LDLIBS)

$(O)/ztconnector: $(patsubst %.c,$(O)/%.o,$(wildcard user/ztconnector/*.c)) $(LIBZT_TLS) $(LIBZT)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(TLS_LDLIBS) $(ZTD_LDLIBS) $(shell pkg-config --libs yaml-0.1 2>/dev/null)

# ztctl access is a TLS client like ztconnector.
$(O)/user/ztctl/access.o: LIB_INCS = $(ALL_LIB_INCS) -Iuser/lib/tls
$(O)/ztctl: $(patsubst %.c,$(O)/%.o,$(wildcard user/ztctl/*.c)) $(LIBZT_TLS) $(LIBZT)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) $(TLS_LDLIBS)

$(O)/tests/%: $(O)/tests/%.o $(O)/tests/lib/t.o $(O)/tests/lib/pkt.o $(LIBZT_LOADER) $(LIBZT)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(filter %.a,$^) $(LDLIBS)
# test_classifier's fixture and its drop-cache and DIRECT-path cases live
# in files of their own.
$(O)/tests/bpf/test_classifier: $(O)/tests/bpf/classifier.o $(O)/tests/bpf/drop_cases.o \
	$(O)/tests/bpf/nat_cases.o
# test_seccomp tries the proxy workers' filter itself.
$(O)/tests/unit/test_seccomp: $(O)/user/ztd/pxw_seccomp.o
# test_sign checks BoringSSL's Ed25519 as ztd uses it (sign.h).
$(O)/tests/unit/test_sign.o: LIB_INCS = $(ALL_LIB_INCS) -Iuser/lib/tls
$(O)/tests/unit/test_sign: $(LIBZT_TLS)
$(O)/tests/unit/test_sign: private LDLIBS += $(LIBZT) $(TLS_LDLIBS)
# test_tbio runs TLS over the tunnel's socket layer (tbio.h).
$(O)/tests/unit/test_tbio.o: LIB_INCS = $(ALL_LIB_INCS) -Iuser/lib/tls
$(O)/tests/unit/test_tbio: $(LIBZT_TLS)
$(O)/tests/unit/test_tbio: private LDLIBS += $(LIBZT) $(TLS_LDLIBS)
# test_config's cases are in several files (config_*.c), one binary.
$(O)/tests/unit/test_config: $(patsubst %.c,$(O)/%.o,$(wildcard tests/unit/config_*.c))

# test_config fails each allocation of a config load in turn: the allocator
# is wrapped at link time (valgrind replaces any function named malloc, so
# the test cannot define one), and libyaml comes from its archive so that
# its allocations are wrapped too.
CONFIG_TEST_WRAP := malloc calloc realloc strdup asprintf free yaml_parser_load
$(O)/tests/unit/test_config: private LDFLAGS += $(CONFIG_TEST_WRAP:%=-Wl,--wrap=%)
$(O)/tests/unit/test_config: private LDLIBS := $(patsubst -lyaml,-l:libyaml.a,$(LDLIBS))

$(O)/bench/bench_dataplane.o: $(BENCH_SKEL)
$(O)/bench/bench_dataplane: $(O)/bench/bench_dataplane.o $(O)/tests/lib/pkt.o $(LIBZT_LOADER) $(LIBZT)
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lpthread

$(O)/bench/cps: $(O)/bench/cps.o
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^

$(O)/bench/relay.o: $(RELAY_SKEL)
$(O)/bench/relay: $(O)/bench/relay.o
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(O)/bench/pktgen.o: $(PKTGEN_SKEL)
$(O)/bench/pktgen: $(O)/bench/pktgen.o $(O)/tests/lib/pkt.o
	$(msg) LD $@
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# ---- fuzz harnesses ------------------------------------------------------------
FUZZ_DNS_SRCS := user/lib/wire/dns.c user/lib/wire/dnstcp.c
$(O)/fuzz/fuzz_dns: fuzz/fuzz_dns.c $(FUZZ_DNS_SRCS) user/lib/wire/dns.h user/lib/wire/dnstcp.h \
		    user/lib/core/buf.h | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_dns.c $(FUZZ_DNS_SRCS) -o $@

$(O)/fuzz/fuzz_ctl: fuzz/fuzz_ctl.c user/lib/wire/ctl_msg.c user/lib/wire/ctl_msg.h user/lib/core/buf.h include/zt_ctl.h include/zt_abi.h | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_ctl.c user/lib/wire/ctl_msg.c -o $@

$(O)/fuzz/fuzz_tls: fuzz/fuzz_tls.c user/lib/wire/tls.c user/lib/wire/tls.h user/lib/core/buf.h | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_tls.c user/lib/wire/tls.c -o $@

FUZZ_DETECT_SRCS := $(addprefix user/lib/wire/,detect.c http.c ssh_banner.c tls.c) \
		    user/lib/core/hostname.c
$(O)/fuzz/fuzz_http: fuzz/fuzz_http.c $(FUZZ_DETECT_SRCS) $(wildcard user/lib/wire/*.h) user/lib/core/buf.h | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_http.c $(FUZZ_DETECT_SRCS) -o $@

$(O)/fuzz/fuzz_ssh: fuzz/fuzz_ssh.c user/lib/wire/ssh_banner.c user/lib/wire/ssh_banner.h user/lib/core/buf.h | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_ssh.c user/lib/wire/ssh_banner.c -o $@

$(O)/fuzz/fuzz_pxmsg: fuzz/fuzz_pxmsg.c user/lib/wire/pxmsg.c user/lib/wire/pxmsg.h user/lib/core/buf.h include/zt_abi.h | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_pxmsg.c user/lib/wire/pxmsg.c -o $@

FUZZ_MUX_SRCS := user/lib/wire/mux.c user/lib/tunnel/session.c user/lib/tunnel/session_in.c \
		 user/lib/wire/utoken.c user/lib/wire/token.c user/lib/core/b64.c
$(O)/fuzz/fuzz_mux: fuzz/fuzz_mux.c $(FUZZ_MUX_SRCS) user/lib/wire/mux.h user/lib/tunnel/session*.h \
		    user/lib/core/buf.h include/zt_abi.h | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_mux.c $(FUZZ_MUX_SRCS) -o $@

FUZZ_CONFIG_SRCS := $(filter-out %/names.c %/dnspolicy.c %/dnsreply.c,$(wildcard user/lib/config/*.c)) \
		    $(addprefix user/lib/core/,addr.c hostname.c sort.c) \
		    $(filter-out %/hostname.c,$(FUZZ_DETECT_SRCS))
$(O)/fuzz/fuzz_config: fuzz/fuzz_config.c $(FUZZ_CONFIG_SRCS) $(wildcard user/lib/*/*.h) | depcheck
	$(msg) FUZZ $@
	@mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) fuzz/fuzz_config.c $(FUZZ_CONFIG_SRCS) \
		$(shell pkg-config --libs yaml-0.1 2>/dev/null) -o $@

# ---- tests, vmtest, bench ---------------------------------------------------
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory O=$(SAN_O) SAN=1 san-build
	@ZT_SAN_DIR=$(SAN_O) tests/run.sh $(O)

# What the sanitizer pass of make check runs: the daemons, the CLI and the
# unit tests (the BPF suites test the kernel's side, the fuzzers carry
# their own sanitizers).
san-build: $(BINS) $(TEST_UNIT)

test: all
	@ZT_SKIP_VMTEST=1 tests/run.sh $(O)

vmtest: deps
	@$(MAKE) --no-print-directory all
	@vmtest/run.sh $(O)

bench: deps
	@$(MAKE) --no-print-directory all
	@$(BENCH_BIN) --json $(O)/bench/dataplane.json
	@bench/bench_control.sh $(O)
	@bench/bench_dns.sh $(O)
	@bench/bench_direct.sh $(O)
	@bench/bench_drop.sh $(O)
	@bench/bench_proxy.sh $(O)
	@bench/bench_tunnel.sh $(O)

FUZZ_SECS ?= 300
fuzz: all
	@ZT_FUZZ_SECS=$(FUZZ_SECS) fuzz/run.sh $(O)

demo: deps
	@$(MAKE) --no-print-directory all
	@tools/demo.sh $(O)

demo-clean:
	@tools/demo.sh $(O) --clean

clean:
	rm -rf $(O) $(SAN_O)

-include $(shell find $(O) -name '*.d' 2>/dev/null)

endif
