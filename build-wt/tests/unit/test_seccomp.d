build-wt/tests/unit/test_seccomp.o: tests/unit/test_seccomp.c \
 tests/unit/../lib/t.h
tests/unit/../lib/t.h:
