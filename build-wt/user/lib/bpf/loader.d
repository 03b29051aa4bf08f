build-wt/user/lib/bpf/loader.o: user/lib/bpf/loader.c \
 user/lib/bpf/loader.h user/lib/bpf/maps.h user/lib/core/log.h \
 include/zt_abi.h build-wt/skel/xdp_ingress.skel.h \
 build-wt/skel/tc_ingress.skel.h
user/lib/bpf/loader.h:
user/lib/bpf/maps.h:
user/lib/core/log.h:
include/zt_abi.h:
build-wt/skel/xdp_ingress.skel.h:
build-wt/skel/tc_ingress.skel.h:
