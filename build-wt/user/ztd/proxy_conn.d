build-wt/user/ztd/proxy_conn.o: user/ztd/proxy_conn.c \
 user/lib/core/clock.h user/lib/core/hash.h user/lib/policy/iri.h \
 user/lib/core/addr.h user/lib/core/hostname.h user/lib/config/l7.h \
 user/lib/config/config.h user/lib/policy/policy.h include/zt_abi.h \
 user/lib/wire/detect.h user/lib/wire/http.h user/lib/wire/ssh_banner.h \
 user/lib/wire/tls.h user/lib/core/log.h user/lib/bpf/nl.h \
 user/lib/core/share.h user/ztd/proxy_int.h user/lib/core/chan.h \
 user/lib/core/loop.h user/lib/wire/pxmsg.h user/lib/core/buf.h \
 user/ztd/ztd.h user/lib/bpf/apply.h user/lib/bpf/maps.h \
 user/lib/config/config.h user/lib/bpf/loader.h user/lib/core/loop.h \
 user/lib/config/names.h include/zt_ctl.h
user/lib/core/clock.h:
user/lib/core/hash.h:
user/lib/policy/iri.h:
user/lib/core/addr.h:
user/lib/core/hostname.h:
user/lib/config/l7.h:
user/lib/config/config.h:
user/lib/policy/policy.h:
include/zt_abi.h:
user/lib/wire/detect.h:
user/lib/wire/http.h:
user/lib/wire/ssh_banner.h:
user/lib/wire/tls.h:
user/lib/core/log.h:
user/lib/bpf/nl.h:
user/lib/core/share.h:
user/ztd/proxy_int.h:
user/lib/core/chan.h:
user/lib/core/loop.h:
user/lib/wire/pxmsg.h:
user/lib/core/buf.h:
user/ztd/ztd.h:
user/lib/bpf/apply.h:
user/lib/bpf/maps.h:
user/lib/config/config.h:
user/lib/bpf/loader.h:
user/lib/core/loop.h:
user/lib/config/names.h:
include/zt_ctl.h:
