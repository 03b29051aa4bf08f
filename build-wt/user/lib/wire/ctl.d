build-wt/user/lib/wire/ctl.o: user/lib/wire/ctl.c user/lib/wire/ctl.h \
 user/lib/core/buf.h include/zt_ctl.h user/lib/wire/ctl_msg.h
user/lib/wire/ctl.h:
user/lib/core/buf.h:
include/zt_ctl.h:
user/lib/wire/ctl_msg.h:
