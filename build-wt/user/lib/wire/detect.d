build-wt/user/lib/wire/detect.o: user/lib/wire/detect.c \
 user/lib/wire/detect.h user/lib/wire/http.h user/lib/core/hostname.h \
 user/lib/wire/ssh_banner.h user/lib/wire/tls.h
user/lib/wire/detect.h:
user/lib/wire/http.h:
user/lib/core/hostname.h:
user/lib/wire/ssh_banner.h:
user/lib/wire/tls.h:
