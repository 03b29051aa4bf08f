build-wt/user/lib/policy/origin.o: user/lib/policy/origin.c \
 user/lib/policy/origin.h user/lib/policy/iri.h user/lib/core/addr.h \
 user/lib/core/hostname.h
user/lib/policy/origin.h:
user/lib/policy/iri.h:
user/lib/core/addr.h:
user/lib/core/hostname.h:
