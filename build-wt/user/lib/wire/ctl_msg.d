build-wt/user/lib/wire/ctl_msg.o: user/lib/wire/ctl_msg.c \
 user/lib/wire/ctl_msg.h user/lib/core/buf.h include/zt_ctl.h \
 include/zt_abi.h
user/lib/wire/ctl_msg.h:
user/lib/core/buf.h:
include/zt_ctl.h:
include/zt_abi.h:
