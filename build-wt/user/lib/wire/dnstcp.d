build-wt/user/lib/wire/dnstcp.o: user/lib/wire/dnstcp.c \
 user/lib/wire/dnstcp.h
user/lib/wire/dnstcp.h:
