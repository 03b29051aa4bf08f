build-wt/user/lib/core/addr.o: user/lib/core/addr.c user/lib/core/addr.h \
 include/zt_abi.h
user/lib/core/addr.h:
include/zt_abi.h:
