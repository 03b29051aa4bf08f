build-wt/user/lib/bpf/nl.o: user/lib/bpf/nl.c user/lib/core/log.h \
 user/lib/bpf/nl.h include/zt_abi.h
user/lib/core/log.h:
user/lib/bpf/nl.h:
include/zt_abi.h:
