// SPDX-License-Identifier: GPL-2.0
/* pktgen — packet-rate load for bench_direct.sh and bench_drop.sh:
 * BPF_PROG_RUN in live-frames mode (the way xdp-trafficgen sends, DESIGN
 * §6) pushes UDP frames out of a veth in one namespace; an XDP sink on an
 * interface in another may count what arrives, and a bare XDP_DROP may be
 * put on an interface for the run. What lies between (zt, nftables, plain
 * routing) is what is measured. The sender runs on one CPU; the veth
 * peers' NAPI runs in the same CPU's softirq after each batch, so the rate
 * is what one core handles end to end.
 * Usage: pktgen --from NETNS:DEV --to-mac MAC --src IPV4 --dst IPV4
 *               --dport N [--sink NETNS:DEV] [--drop-at NETNS:DEV]
 *               [--flows N | --new-flows sport|dport] [--secs S] [--cpu N]
 * Prints: sent N delivered N secs S pps N sent_pps N */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/if_link.h>
#include <netinet/ether.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "pktgen.skel.h"
#include "../tests/lib/pkt.h"

#define LEN 60

struct opts {
	char *from_ns, *from_dev, *sink_ns, *sink_dev, *drop_ns, *drop_dev;
	struct ether_addr to_mac;
	struct in_addr src, dst;
	unsigned dport, flows, cpu, new_flows;
	double secs;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int enter_ns(const char *name)
{
	char path[256];
	int fd, rc;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	rc = setns(fd, CLONE_NEWNET) ? -errno : 0;
	close(fd);
	return rc;
}

static int mac_of(const char *dev, unsigned char mac[6])
{
	struct ifreq ifr = {};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		rc = -errno;
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return rc;
}

/* Ethernet (these MACs), IPv4, UDP without a checksum (pkt_build leaves
 * L4 sums zero), 18 zero bytes. Returns 0 or -1. */
static int build_frame(unsigned char *f, const unsigned char src_mac[6], const struct opts *o)
{
	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
	struct pkt_spec sp = { .src = src, .dst = dst, .proto = IPPROTO_UDP, .sport = 10000,
			       .dport = (__u16)o->dport, .payload = LEN - 14 - 20 - 8 };

	inet_ntop(AF_INET, &o->src, src, sizeof(src));
	inet_ntop(AF_INET, &o->dst, dst, sizeof(dst));
	if (pkt_build(&sp, f, LEN, NULL, NULL) != LEN)
		return -1;
	memcpy(f, o->to_mac.ether_addr_octet, 6);
	memcpy(f + 6, src_mac, 6);
	return 0;
}

static int split_ns_dev(char *arg, char **ns, char **dev)
{
	char *colon = strchr(arg, ':');

	if (!colon || colon == arg || !colon[1])
		return -EINVAL;
	*colon = 0;
	*ns = arg;
	*dev = colon + 1;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: pktgen --from NETNS:DEV --to-mac MAC --src IPV4 --dst IPV4 --dport N\n"
		   "              [--sink NETNS:DEV] [--drop-at NETNS:DEV]\n"
		   "              [--flows N | --new-flows sport|dport] [--secs S] [--cpu N]\n"
		   "Sends 64-byte UDP frames out of DEV (live-frames BPF_PROG_RUN) for S seconds\n"
		   "(default 3) on CPU N (default 0) over N flows (source ports 10000..,\n"
		   "default 256), or a new flow on every packet: --new-flows sport changes the\n"
		   "source port each time (the destination port every 65536 packets), dport the\n"
		   "destination port. --sink counts what arrives at an interface (an XDP program\n"
		   "that drops it); --drop-at puts a bare XDP_DROP on an interface for the run.\n"
		   "Prints 'sent N delivered N secs S pps N sent_pps N': pps is what the sink\n"
		   "counted per second (0 without one), sent_pps what left DEV.\n");
}

static int parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "from", 1, 0, 'f' }, { "to-mac", 1, 0, 'm' }, { "src", 1, 0, 's' },
		{ "dst", 1, 0, 'd' }, { "dport", 1, 0, 'p' }, { "sink", 1, 0, 'k' },
		{ "flows", 1, 0, 'n' }, { "secs", 1, 0, 't' }, { "cpu", 1, 0, 'c' },
		{ "drop-at", 1, 0, 'x' }, { "new-flows", 1, 0, 'N' }, { "help", 0, 0, 'h' }, {}
	};
	int c;

	*o = (struct opts){ .flows = 256, .secs = 3 };
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (split_ns_dev(optarg, &o->from_ns, &o->from_dev))
				goto bad;
			break;
		case 'k':
			if (split_ns_dev(optarg, &o->sink_ns, &o->sink_dev))
				goto bad;
			break;
		case 'x':
			if (split_ns_dev(optarg, &o->drop_ns, &o->drop_dev))
				goto bad;
			break;
		case 'N':
			if (!strcmp(optarg, "sport"))
				o->new_flows = 1;
			else if (!strcmp(optarg, "dport"))
				o->new_flows = 2;
			else
				goto bad;
			break;
		case 'm':
			if (!ether_aton_r(optarg, &o->to_mac))
				goto bad;
			break;
		case 's':
			if (inet_pton(AF_INET, optarg, &o->src) != 1)
				goto bad;
			break;
		case 'd':
			if (inet_pton(AF_INET, optarg, &o->dst) != 1)
				goto bad;
			break;
		case 'p':
			o->dport = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'n':
			o->flows = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 't':
			o->secs = strtod(optarg, NULL);
			break;
		case 'c':
			o->cpu = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			goto bad;
		}
	}
	if (optind != argc || !o->from_ns || !o->src.s_addr || !o->dst.s_addr ||
	    !o->dport || o->dport > 65535 || !o->flows || o->flows > 50000 ||
	    !(o->secs > 0 && o->secs <= 600))
		goto bad;
	return 0;
bad:
	usage(stderr);
	return -EINVAL;
}

static __u64 sunk_total(struct pktgen_bpf *skel)
{
	int ncpu = libbpf_num_possible_cpus(), i;
	__u64 v[512] = {}, sum = 0;
	__u32 zero = 0;

	if (ncpu <= 0 || ncpu > 512 || bpf_map_lookup_elem(bpf_map__fd(skel->maps.sunk), &zero, v))
		return 0;
	for (i = 0; i < ncpu; i++)
		sum += v[i];
	return sum;
}

/* Puts prog on NS:DEV (XDP, native where the driver has it); returns its
 * ifindex, 0 on failure (said). */
static int attach(const char *ns, const char *dev, int prog_fd, const char *what)
{
	int ifindex, err;

	if (enter_ns(ns) || !(ifindex = (int)if_nametoindex(dev))) {
		fprintf(stderr, "pktgen: no %s in netns %s\n", dev, ns);
		return 0;
	}
	err = bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_UPDATE_IF_NOEXIST, NULL);
	if (err) {
		fprintf(stderr, "pktgen: attaching the %s to %s: %s\n", what, dev, strerror(-err));
		return 0;
	}
	return ifindex;
}

static void detach(const char *ns, int ifindex)
{
	if (ifindex && !enter_ns(ns))
		bpf_xdp_detach(ifindex, 0, NULL);
}

int main(int argc, char **argv)
{
	struct pktgen_bpf *skel = NULL;
	unsigned char src_mac[6], frame[LEN];
	int sink_if = 0, drop_if = 0, from_if, rc = 1, err;
	__u64 sent = 0, delivered = 0;
	struct opts o;
	cpu_set_t set;
	double t0, t;

	if (parse_args(argc, argv, &o))
		return 2;
	skel = pktgen_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "pktgen: loading the BPF programs failed: %s\n", strerror(errno));
		return 1;
	}
	if (o.sink_ns && !(sink_if = attach(o.sink_ns, o.sink_dev,
					    bpf_program__fd(skel->progs.zt_sink), "sink")))
		goto out;
	if (o.drop_ns && !(drop_if = attach(o.drop_ns, o.drop_dev,
					    bpf_program__fd(skel->progs.zt_drop), "XDP_DROP")))
		goto out;
	if ((err = enter_ns(o.from_ns)) || !(from_if = (int)if_nametoindex(o.from_dev)) ||
	    mac_of(o.from_dev, src_mac)) {
		fprintf(stderr, "pktgen: no %s in netns %s\n", o.from_dev, o.from_ns);
		goto out;
	}
	if (build_frame(frame, src_mac, &o)) {
		fprintf(stderr, "pktgen: cannot build the frame\n");
		goto out;
	}
	memcpy(skel->data->frame, frame, LEN);
	skel->data->out_ifindex = (__u32)from_if;
	skel->data->n_flows = o.flows;
	skel->data->base_sport = 10000;
	skel->data->base_dport = (__u16)o.dport;
	skel->bss->new_flows = o.new_flows;
	CPU_ZERO(&set);
	CPU_SET(o.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "pktgen: no CPU %u: %s\n", o.cpu, strerror(errno));
		goto out;
	}
	t0 = now();
	do {
		LIBBPF_OPTS(bpf_test_run_opts, ro, .data_in = frame, .data_size_in = LEN,
			    .repeat = 1 << 16, .batch_size = 64,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.zt_pktgen), &ro);
		if (err) {
			fprintf(stderr, "pktgen: BPF_PROG_RUN (live frames): %s\n", strerror(-err));
			goto out;
		}
		sent += ro.repeat;
		t = now() - t0;
	} while (t < o.secs);
	usleep(200 * 1000); /* what is still queued arrives */
	if (sink_if)
		delivered = sunk_total(skel);
	printf("sent %llu delivered %llu secs %.3f pps %.0f sent_pps %.0f\n",
	       (unsigned long long)sent, (unsigned long long)delivered, t, (double)delivered / t,
	       (double)sent / t);
	rc = 0;
out:
	detach(o.drop_ns, drop_if);
	detach(o.sink_ns, sink_if);
	pktgen_bpf__destroy(skel);
	return rc;
}
