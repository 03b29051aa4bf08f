build-wt/user/lib/core/sort.o: user/lib/core/sort.c user/lib/core/sort.h
user/lib/core/sort.h:
