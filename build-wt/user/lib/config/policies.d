build-wt/user/lib/config/policies.o: user/lib/config/policies.c \
 user/lib/config/cfg_int.h user/lib/config/config.h user/lib/core/addr.h \
 user/lib/policy/policy.h user/lib/core/hostname.h include/zt_abi.h \
 user/lib/wire/detect.h user/lib/wire/http.h user/lib/wire/ssh_banner.h \
 user/lib/wire/tls.h
user/lib/config/cfg_int.h:
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
user/lib/core/hostname.h:
include/zt_abi.h:
user/lib/wire/detect.h:
user/lib/wire/http.h:
user/lib/wire/ssh_banner.h:
user/lib/wire/tls.h:
