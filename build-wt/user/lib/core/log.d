build-wt/user/lib/core/log.o: user/lib/core/log.c user/lib/core/log.h
user/lib/core/log.h:
