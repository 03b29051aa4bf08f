build-wt/user/lib/wire/ssh_banner.o: user/lib/wire/ssh_banner.c \
 user/lib/core/buf.h user/lib/wire/ssh_banner.h
user/lib/core/buf.h:
user/lib/wire/ssh_banner.h:
