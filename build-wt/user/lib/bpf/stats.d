build-wt/user/lib/bpf/stats.o: user/lib/bpf/stats.c user/lib/core/sort.h \
 user/lib/bpf/stats.h include/zt_abi.h
user/lib/core/sort.h:
user/lib/bpf/stats.h:
include/zt_abi.h:
