build-wt/bench/relay.o: bench/relay.c build-wt/skel/relay.skel.h
build-wt/skel/relay.skel.h:
