build-wt/bpf/relay.bpf.o: bench/relay.bpf.c
