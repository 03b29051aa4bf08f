build-wt/user/lib/config/bridge.o: user/lib/config/bridge.c \
 user/lib/config/config.h user/lib/core/addr.h user/lib/policy/policy.h \
 user/lib/core/hostname.h include/zt_abi.h
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
user/lib/core/hostname.h:
include/zt_abi.h:
