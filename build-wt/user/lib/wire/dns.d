build-wt/user/lib/wire/dns.o: user/lib/wire/dns.c user/lib/core/buf.h \
 user/lib/wire/dns.h
user/lib/core/buf.h:
user/lib/wire/dns.h:
