build-wt/user/ztd/dns_server.o: user/ztd/dns_server.c \
 user/lib/core/clock.h user/lib/config/dnsreply.h user/lib/wire/dns.h \
 user/lib/config/dnspolicy.h user/lib/config/config.h \
 user/lib/core/addr.h user/lib/policy/policy.h user/lib/core/hostname.h \
 include/zt_abi.h user/lib/wire/dnstcp.h user/lib/core/log.h \
 user/lib/core/sock.h user/ztd/dns_int.h user/lib/config/dnspolicy.h \
 user/lib/policy/iri.h user/lib/core/share.h user/ztd/ztd.h \
 user/lib/bpf/apply.h user/lib/bpf/maps.h user/lib/config/config.h \
 user/lib/bpf/loader.h user/lib/core/loop.h user/lib/config/names.h \
 user/lib/bpf/nl.h include/zt_ctl.h
user/lib/core/clock.h:
user/lib/config/dnsreply.h:
user/lib/wire/dns.h:
user/lib/config/dnspolicy.h:
user/lib/config/config.h:
user/lib/core/addr.h:
user/lib/policy/policy.h:
user/lib/core/hostname.h:
include/zt_abi.h:
user/lib/wire/dnstcp.h:
user/lib/core/log.h:
user/lib/core/sock.h:
user/ztd/dns_int.h:
user/lib/config/dnspolicy.h:
user/lib/policy/iri.h:
user/lib/core/share.h:
user/ztd/ztd.h:
user/lib/bpf/apply.h:
user/lib/bpf/maps.h:
user/lib/config/config.h:
user/lib/bpf/loader.h:
user/lib/core/loop.h:
user/lib/config/names.h:
user/lib/bpf/nl.h:
include/zt_ctl.h:
