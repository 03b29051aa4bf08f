build-wt/user/lib/core/out.o: user/lib/core/out.c user/lib/core/out.h
user/lib/core/out.h:
