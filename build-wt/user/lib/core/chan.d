build-wt/user/lib/core/chan.o: user/lib/core/chan.c user/lib/core/chan.h \
 user/lib/core/loop.h
user/lib/core/chan.h:
user/lib/core/loop.h:
