build-wt/bpf/xdp_ingress.bpf.o: bpf/xdp_ingress.bpf.c bpf/lib/classify.h \
  bpf/lib/policy.h bpf/lib/maps.h bpf/lib/ctx.h include/zt_abi.h \
  bpf/lib/parse.h bpf/lib/nat.h bpf/lib/csum.h bpf/lib/fib.h \
  bpf/lib/icmp.h bpf/lib/dns.h

bpf/lib/classify.h:

bpf/lib/policy.h:

bpf/lib/maps.h:

bpf/lib/ctx.h:

include/zt_abi.h:

bpf/lib/parse.h:

bpf/lib/nat.h:

bpf/lib/csum.h:

bpf/lib/fib.h:

bpf/lib/icmp.h:

bpf/lib/dns.h:
