build-wt/user/ztd/pxw_relay.o: user/ztd/pxw_relay.c user/lib/core/clock.h \
 user/lib/core/log.h user/ztd/pxw.h user/lib/core/chan.h \
 user/lib/core/loop.h user/lib/wire/detect.h user/lib/wire/http.h \
 user/lib/core/hostname.h user/lib/wire/ssh_banner.h user/lib/wire/tls.h \
 user/lib/core/loop.h user/lib/wire/pxmsg.h user/lib/core/buf.h
user/lib/core/clock.h:
user/lib/core/log.h:
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
