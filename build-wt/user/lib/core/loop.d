build-wt/user/lib/core/loop.o: user/lib/core/loop.c user/lib/core/clock.h \
 user/lib/core/loop.h
user/lib/core/clock.h:
user/lib/core/loop.h:
