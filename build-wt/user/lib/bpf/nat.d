build-wt/user/lib/bpf/nat.o: user/lib/bpf/nat.c user/lib/bpf/nat.h \
 include/zt_abi.h
user/lib/bpf/nat.h:
include/zt_abi.h:
