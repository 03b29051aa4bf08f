build-wt/user/lib/wire/tls.o: user/lib/wire/tls.c user/lib/core/buf.h \
 user/lib/wire/tls.h
user/lib/core/buf.h:
user/lib/wire/tls.h:
