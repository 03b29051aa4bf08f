build-wt/user/ztd/reload.o: user/ztd/reload.c user/lib/bpf/apply.h \
 user/lib/bpf/maps.h user/lib/policy/policy.h user/lib/core/addr.h \
 user/lib/core/hostname.h include/zt_abi.h user/lib/core/clock.h \
 user/lib/config/config.h user/lib/bpf/loader.h user/lib/core/log.h \
 user/lib/config/names.h user/lib/config/config.h user/ztd/ztd.h \
 user/lib/core/loop.h user/lib/bpf/nl.h include/zt_ctl.h
user/lib/bpf/apply.h:
user/lib/bpf/maps.h:
user/lib/policy/policy.h:
user/lib/core/addr.h:
user/lib/core/hostname.h:
include/zt_abi.h:
user/lib/core/clock.h:
user/lib/config/config.h:
user/lib/bpf/loader.h:
user/lib/core/log.h:
user/lib/config/names.h:
user/lib/config/config.h:
user/ztd/ztd.h:
user/lib/core/loop.h:
user/lib/bpf/nl.h:
include/zt_ctl.h:
