build-wt/user/ztd/ctl.o: user/ztd/ctl.c user/lib/core/buf.h \
 user/lib/wire/ctl_msg.h include/zt_ctl.h user/lib/core/log.h \
 user/ztd/ztd.h user/lib/bpf/apply.h user/lib/bpf/maps.h \
 user/lib/policy/policy.h user/lib/core/addr.h user/lib/core/hostname.h \
 include/zt_abi.h user/lib/config/config.h user/lib/bpf/loader.h \
 user/lib/core/loop.h user/lib/config/names.h user/lib/config/config.h \
 user/lib/bpf/nl.h
user/lib/core/buf.h:
user/lib/wire/ctl_msg.h:
include/zt_ctl.h:
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
