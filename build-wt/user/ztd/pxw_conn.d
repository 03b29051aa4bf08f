build-wt/user/ztd/pxw_conn.o: user/ztd/pxw_conn.c user/lib/core/clock.h \
 user/lib/core/hash.h user/lib/core/log.h user/lib/core/sock.h \
 include/zt_abi.h user/ztd/pxw.h user/lib/core/chan.h \
 user/lib/core/loop.h user/lib/wire/detect.h user/lib/wire/http.h \
 user/lib/core/hostname.h user/lib/wire/ssh_banner.h user/lib/wire/tls.h \
 user/lib/core/loop.h user/lib/wire/pxmsg.h user/lib/core/buf.h
user/lib/core/clock.h:
user/lib/core/hash.h:
user/lib/core/log.h:
user/lib/core/sock.h:
include/zt_abi.h:
user/ztd/pxw.h:
user/lib/core/chan.h:
user/lib/core/loop.h:
user/lib/wire/detect.h:
user/lib/wire/http.h:
user/lib/core/hostname.h:
user/lib/wire/ssh_banner.h:
user/lib/wire/tls.h:
user/lib/core/loop.h:
user/lib/wire/pxmsg.h:
user/lib/core/buf.h:
