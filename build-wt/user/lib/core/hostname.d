build-wt/user/lib/core/hostname.o: user/lib/core/hostname.c \
 user/lib/core/sort.h user/lib/core/hostname.h
user/lib/core/sort.h:
user/lib/core/hostname.h:
