build-wt/user/lib/core/share.o: user/lib/core/share.c \
 user/lib/core/hash.h user/lib/core/share.h include/zt_abi.h
user/lib/core/hash.h:
user/lib/core/share.h:
include/zt_abi.h:
