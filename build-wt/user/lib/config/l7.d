build-wt/user/lib/config/l7.o: user/lib/config/l7.c \
 user/lib/core/hostname.h user/lib/config/l7.h user/lib/config/config.h \
 user/lib/core/addr.h user/lib/policy/policy.h include/zt_abi.h \
 user/lib/wire/detect.h user/lib/wire/http.h user/lib/wire/ssh_banner.h \
 user/lib/wire/tls.h
user/lib/core/hostname.h:
user/lib/config/l7.h:
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
include/zt_abi.h:
user/lib/wire/detect.h:
user/lib/wire/http.h:
user/lib/wire/ssh_banner.h:
user/lib/wire/tls.h:
