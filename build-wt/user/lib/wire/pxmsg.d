build-wt/user/lib/wire/pxmsg.o: user/lib/wire/pxmsg.c include/zt_abi.h \
 user/lib/wire/pxmsg.h user/lib/core/buf.h user/lib/core/hostname.h
include/zt_abi.h:
user/lib/wire/pxmsg.h:
user/lib/core/buf.h:
user/lib/core/hostname.h:
