build-wt/user/lib/wire/http.o: user/lib/wire/http.c user/lib/core/buf.h \
 user/lib/wire/http.h user/lib/core/hostname.h
user/lib/core/buf.h:
user/lib/wire/http.h:
user/lib/core/hostname.h:
