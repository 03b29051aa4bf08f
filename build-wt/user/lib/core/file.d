build-wt/user/lib/core/file.o: user/lib/core/file.c user/lib/core/file.h
user/lib/core/file.h:
