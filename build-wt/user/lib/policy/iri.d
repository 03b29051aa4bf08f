build-wt/user/lib/policy/iri.o: user/lib/policy/iri.c \
 user/lib/core/file.h user/lib/core/hash.h user/lib/policy/iri.h \
 user/lib/core/addr.h user/lib/core/hostname.h include/zt_abi.h
user/lib/core/file.h:
user/lib/core/hash.h:
user/lib/policy/iri.h:
user/lib/core/addr.h:
user/lib/core/hostname.h:
include/zt_abi.h:
