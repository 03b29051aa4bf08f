build-wt/user/ztd/proxy.o: user/ztd/proxy.c user/lib/core/clock.h \
 user/lib/core/log.h user/lib/core/share.h user/ztd/proxy_int.h \
 user/lib/core/chan.h user/lib/core/loop.h user/lib/wire/detect.h \
 user/lib/wire/http.h user/lib/core/hostname.h user/lib/wire/ssh_banner.h \
 user/lib/wire/tls.h user/lib/policy/policy.h user/lib/core/addr.h \
 include/zt_abi.h user/lib/wire/pxmsg.h user/lib/core/buf.h \
 user/ztd/ztd.h user/lib/bpf/apply.h user/lib/bpf/maps.h \
 user/lib/config/config.h user/lib/bpf/loader.h user/lib/core/loop.h \
 user/lib/config/names.h user/lib/config/config.h user/lib/bpf/nl.h \
 include/zt_ctl.h
user/lib/core/clock.h:
user/lib/core/log.h:
user/lib/core/share.h:
user/ztd/proxy_int.h:
user/lib/core/chan.h:
user/lib/core/loop.h:
user/lib/wire/detect.h:
user/lib/wire/http.h:
user/lib/core/hostname.h:
user/lib/wire/ssh_banner.h:
user/lib/wire/tls.h:
user/lib/policy/policy.h:
user/lib/core/addr.h:
include/zt_abi.h:
user/lib/wire/pxmsg.h:
user/lib/core/buf.h:
user/ztd/ztd.h:
user/lib/bpf/apply.h:
user/lib/bpf/maps.h:
user/lib/config/config.h:
user/lib/bpf/loader.h:
user/lib/core/loop.h:
user/lib/config/names.h:
user/lib/config/config.h:
user/lib/bpf/nl.h:
include/zt_ctl.h:
