build-wt/user/lib/core/sock.o: user/lib/core/sock.c user/lib/core/sock.h
user/lib/core/sock.h:
