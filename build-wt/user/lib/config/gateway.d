build-wt/user/lib/config/gateway.o: user/lib/config/gateway.c \
 user/lib/config/cfg_int.h user/lib/config/config.h user/lib/core/addr.h \
 user/lib/policy/policy.h user/lib/core/hostname.h include/zt_abi.h
user/lib/config/cfg_int.h:
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
user/lib/core/hostname.h:
include/zt_abi.h:
