build-wt/user/lib/bpf/maps.o: user/lib/bpf/maps.c user/lib/core/log.h \
 user/lib/bpf/maps.h include/zt_abi.h
user/lib/core/log.h:
user/lib/bpf/maps.h:
include/zt_abi.h:
