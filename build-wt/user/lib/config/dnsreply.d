build-wt/user/lib/config/dnsreply.o: user/lib/config/dnsreply.c \
 user/lib/config/dnsreply.h user/lib/wire/dns.h \
 user/lib/config/dnspolicy.h user/lib/config/config.h \
 user/lib/core/addr.h user/lib/policy/policy.h user/lib/core/hostname.h \
 include/zt_abi.h
user/lib/config/dnsreply.h:
user/lib/wire/dns.h:
user/lib/config/dnspolicy.h:
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
user/lib/core/hostname.h:
include/zt_abi.h:
