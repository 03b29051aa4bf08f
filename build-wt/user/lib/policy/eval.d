build-wt/user/lib/policy/eval.o: user/lib/policy/eval.c \
 user/lib/policy/policy.h user/lib/core/addr.h user/lib/core/hostname.h \
 include/zt_abi.h user/lib/core/sort.h
user/lib/policy/policy.h:
user/lib/core/addr.h:
user/lib/core/hostname.h:
include/zt_abi.h:
user/lib/core/sort.h:
