build-wt/user/lib/bpf/apply.o: user/lib/bpf/apply.c user/lib/core/sort.h \
 user/lib/bpf/apply.h user/lib/bpf/maps.h user/lib/policy/policy.h \
 user/lib/core/addr.h user/lib/core/hostname.h include/zt_abi.h \
 user/lib/core/log.h
user/lib/core/sort.h:
user/lib/bpf/apply.h:
user/lib/bpf/maps.h:
user/lib/policy/policy.h:
user/lib/core/addr.h:
user/lib/core/hostname.h:
include/zt_abi.h:
user/lib/core/log.h:
