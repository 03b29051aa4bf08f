build-wt/user/lib/policy/policy.o: user/lib/policy/policy.c \
 user/lib/wire/detect.h user/lib/wire/http.h user/lib/core/hostname.h \
 user/lib/wire/ssh_banner.h user/lib/wire/tls.h user/lib/core/hash.h \
 user/lib/policy/policy.h user/lib/core/addr.h include/zt_abi.h \
 user/lib/core/sort.h
user/lib/wire/detect.h:
user/lib/wire/http.h:
user/lib/core/hostname.h:
user/lib/wire/ssh_banner.h:
user/lib/wire/tls.h:
user/lib/core/hash.h:
user/lib/policy/policy.h:
user/lib/core/addr.h:
include/zt_abi.h:
user/lib/core/sort.h:
