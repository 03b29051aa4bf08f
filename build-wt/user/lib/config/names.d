build-wt/user/lib/config/names.o: user/lib/config/names.c \
 user/lib/core/file.h user/lib/config/names.h user/lib/config/config.h \
 user/lib/core/addr.h user/lib/policy/policy.h user/lib/core/hostname.h \
 include/zt_abi.h
user/lib/core/file.h:
user/lib/config/names.h:
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
user/lib/core/hostname.h:
include/zt_abi.h:
