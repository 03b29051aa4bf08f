build-wt/user/lib/config/routes.o: user/lib/config/routes.c \
 user/lib/config/cfg_int.h user/lib/config/config.h user/lib/core/addr.h \
 user/lib/policy/policy.h user/lib/core/hostname.h include/zt_abi.h \
 user/lib/core/sort.h
user/lib/config/cfg_int.h:
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
user/lib/core/hostname.h:
include/zt_abi.h:
user/lib/core/sort.h:
