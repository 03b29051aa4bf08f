build-wt/user/ztd/link.o: user/ztd/link.c user/lib/core/log.h \
 user/ztd/ztd.h user/lib/bpf/apply.h user/lib/bpf/maps.h \
 user/lib/policy/policy.h user/lib/core/addr.h user/lib/core/hostname.h \
 include/zt_abi.h user/lib/config/config.h user/lib/bpf/loader.h \
 user/lib/core/loop.h user/lib/config/names.h user/lib/config/config.h \
 user/lib/bpf/nl.h include/zt_ctl.h
user/lib/core/log.h:
user/ztd/ztd.h:
user/lib/bpf/apply.h:
user/lib/bpf/maps.h:
user/lib/policy/policy.h:
user/lib/core/addr.h:
user/lib/core/hostname.h:
include/zt_abi.h:
user/lib/config/config.h:
user/lib/bpf/loader.h:
user/lib/core/loop.h:
user/lib/config/names.h:
user/lib/config/config.h:
user/lib/bpf/nl.h:
include/zt_ctl.h:
