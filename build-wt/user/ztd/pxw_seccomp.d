build-wt/user/ztd/pxw_seccomp.o: user/ztd/pxw_seccomp.c \
 user/lib/core/log.h
user/lib/core/log.h:
