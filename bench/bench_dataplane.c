// SPDX-License-Identifier: GPL-2.0
/* bench_dataplane — zt's per-packet cost through BPF_PROG_TEST_RUN against
 * a no-op XDP program measured in the same run: an established-flow hit,
 * and a new TCP SYN with 10 .. 1M routes and 1 .. 1024 rules, IPv4 and
 * IPv6; a blocked source's packets from the drop cache (a flood that
 * changes its source port); plus the time to load 1M routes. Prints a table and writes JSON.
 * Usage: bench_dataplane [--json FILE] [--quick] */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "loader.h"
#include "log.h"
#include "policy.h"
#include "stats.h"
#include "zt_abi.h"
#include "xdp_ingress.skel.h"
#include "bench_xdp.skel.h"
#include "../tests/lib/pkt.h"

#define TRIALS 5
#define N_DEVICES 1000

static struct zt_bpf B;
static struct bench_xdp_bpf *bench;
static char pin_root[64];
static __u32 repeat = 200000;

/* ---- workload ------------------------------------------------------------ */

static __u64 rng_state = 0x9e3779b97f4a7c15ULL;
static __u64 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static void mask_prefix(struct zt_prefix *p)
{
	int bits = p->family == ZT_AF_INET ? 32 : 128, i;

	for (i = p->len; i < bits; i++)
		p->addr[i / 8] &= (__u8)~(0x80 >> (i % 8));
}

/* Routes shaped like a real table: mostly /24 (IPv4) or /48../64 (IPv6),
 * some hosts, some aggregates. The first route is the one the packets hit. */
static void gen_routes(struct zt_route_in *r, size_t n, int family, __u32 first_id)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct zt_prefix *p = &r[i].pfx;
		__u64 x = rng(), y = rng();
		unsigned pick = (unsigned)(rng() % 10);

		memset(&r[i], 0, sizeof(r[i]));
		p->family = (__u8)family;
		if (family == ZT_AF_INET) {
			if (i == 0) {
				zt_prefix_parse("10.99.1.0/24", p);
			} else {
				memcpy(p->addr, &x, 4);
				p->addr[0] = (__u8)(1 + p->addr[0] % 223);
				p->len = pick < 6 ? 24 : pick < 8 ? 32 : (__u8)(16 + rng() % 16);
			}
		} else {
			if (i == 0) {
				zt_prefix_parse("fd00:99:1::/64", p);
			} else {
				memcpy(p->addr, &x, 8);
				memcpy(p->addr + 8, &y, 8);
				p->addr[0] = 0x20 | (p->addr[0] & 0x1f);
				p->len = pick < 5 ? 48 : pick < 8 ? 64 : pick < 9 ? 128 :
					 (__u8)(32 + rng() % 32);
			}
		}
		mask_prefix(p);
		r[i].vnet = 1;
		r[i].route_id = first_id + (__u32)i;
		r[i].tunnel_id = 1;
		r[i].local = true;
	}
}

struct workload {
	struct zt_route_in *routes;
	size_t n_routes;
	struct zt_rule_in *rules;
	struct zt_prefix *rule_dst;
	size_t n_rules;
	struct zt_device_in devices[2 * N_DEVICES];
};

static const struct zt_port_range port_22[] = { { 22, 22 } }, port_443[] = { { 443, 443 } };
static const __u32 vnets[] = { 1 }, user_one[] = { 1 }, user_other[] = { 2 };

/* n_rules - 1 rules that do not match the packet (other users, port 22, a
 * destination taken from the table), then the one that does: the worst
 * case for the first-set-bit scan. */
static void gen_rules(struct workload *w, size_t n_rules)
{
	size_t i;

	free(w->rules);
	free(w->rule_dst);
	w->rules = calloc(n_rules, sizeof(*w->rules));
	w->rule_dst = calloc(n_rules, sizeof(*w->rule_dst));
	if (!w->rules || !w->rule_dst)
		abort();
	for (i = 0; i + 1 < n_rules; i++) {
		w->rule_dst[i] = w->routes[1 + rng() % (w->n_routes - 1)].pfx;
		w->rules[i] = (struct zt_rule_in){ .name = "filler", .precedence = (__u32)i + 1,
			.action = ZT_ACT_ALLOW, .dst = &w->rule_dst[i], .n_dst = 1,
			.protos = 1u << ZT_PC_TCP, .ports = port_22, .n_ports = 1,
			.users = user_other, .n_users = 1 };
	}
	w->rules[i] = (struct zt_rule_in){ .name = "https", .precedence = 100000,
		.action = ZT_ACT_ALLOW, .protos = 1u << ZT_PC_TCP, .ports = port_443,
		.n_ports = 1 };
	w->n_rules = n_rules;
}

static void gen_devices(struct workload *w)
{
	int i;

	for (i = 0; i < N_DEVICES; i++) {
		char a[64];

		snprintf(a, sizeof(a), "10.10.%d.%d", i / 250, 2 + i % 250);
		w->devices[i] = (struct zt_device_in){ 1, { 0 }, (__u32)i + 1, 1, 1, 0 };
		zt_prefix_parse(a, &w->devices[i].addr);
		snprintf(a, sizeof(a), "fd00:10::%x", i + 2);
		w->devices[N_DEVICES + i] = (struct zt_device_in){ 1, { 0 },
			(__u32)(N_DEVICES + i + 1), 1, 1, 0 };
		zt_prefix_parse(a, &w->devices[N_DEVICES + i].addr);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Compiles and applies; returns 0 and the two times, or -errno. */
static int load(struct workload *w, double *compile_s, double *apply_s)
{
	struct zt_policy_in in = {
		.rules = w->rules, .n_rules = w->n_rules,
		.routes = w->routes, .n_routes = w->n_routes,
		.devices = w->devices, .n_devices = 2 * N_DEVICES,
		.vnets = vnets, .n_vnets = 1, .default_vnet = 1,
		.default_action = ZT_ACT_BLOCK,
	};
	struct zt_compiled c;
	struct zt_apply_stats st;
	double t0 = now_s(), t1;
	int err;

	err = zt_policy_compile(&in, &c);
	if (err)
		return err;
	t1 = now_s();
	err = zt_apply(&B.m, &c, NULL, &st);
	zt_compiled_free(&c);
	if (compile_s)
		*compile_s = t1 - t0;
	if (apply_s)
		*apply_s = now_s() - t1;
	return err;
}

/* ---- measurement --------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Median over TRIALS of BPF_PROG_TEST_RUN's mean ns per run. */
static double ns_per_packet(int prog, const __u8 *pkt, size_t len)
{
	double t[TRIALS];
	int i;

	for (i = 0; i < TRIALS; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len,
			    .repeat = repeat);

		if (bpf_prog_test_run_opts(prog, &o)) {
			fprintf(stderr, "bench: BPF_PROG_TEST_RUN: %s\n", strerror(errno));
			exit(1);
		}
		t[i] = (double)o.duration;
	}
	qsort(t, TRIALS, sizeof(t[0]), cmp_double);
	return t[TRIALS / 2];
}

/* ztd drains the event ring; so does the bench, on the other CPU, so that
 * new flows pay for a real reservation rather than a full ring. */
static atomic_int stop_consumer;
static int on_event(void *ctx, void *data, size_t size)
{
	(void)ctx; (void)data; (void)size;
	return 0;
}

static void *consumer(void *arg)
{
	struct ring_buffer *rb = arg;

	while (!atomic_load(&stop_consumer))
		ring_buffer__poll(rb, ZT_EVENTS_POLL_MS);
	return NULL;
}

static void pin_cpu(int cpu)
{
	cpu_set_t s;

	CPU_ZERO(&s);
	CPU_SET(cpu, &s);
	sched_setaffinity(0, sizeof(s), &s);
}

/* ---- main ---------------------------------------------------------------- */

struct row {
	const char *what;
	size_t routes, rules;
	double noop, v4, v6;
};

static FILE *json;
static int n_json_rows;

static void print_row(const struct row *r)
{
	char label[64];
	size_t i = 0;

	if (r->routes)
		snprintf(label, sizeof(label), "new flow, %zu routes, %zu rules", r->routes,
			 r->rules);
	else
		for (i = 0; i < sizeof(label) - 1 && r->what[i]; i++)
			label[i] = r->what[i] == '_' ? ' ' : r->what[i];
	if (!r->routes)
		label[i] = '\0';
	printf("%-40s %8.1f %8.1f %6.2fx %8.1f %6.2fx\n", label, r->noop, r->v4,
	       r->v4 / r->noop, r->v6, r->v6 / r->noop);
	fflush(stdout);
	if (json)
		fprintf(json, "%s\n    {\"case\": \"%s\", \"routes\": %zu, \"rules\": %zu, "
			"\"noop_ns\": %.1f, \"ipv4_ns\": %.1f, \"ipv4_ratio\": %.2f, "
			"\"ipv6_ns\": %.1f, \"ipv6_ratio\": %.2f}",
			n_json_rows++ ? "," : "", r->what, r->routes, r->rules, r->noop, r->v4,
			r->v4 / r->noop, r->v6, r->v6 / r->noop);
}

static void cleanup(void)
{
	bench_xdp_bpf__destroy(bench);
	zt_bpf_close(&B);
	if (pin_root[0])
		zt_bpf_unpin_all(pin_root);
}

/* One run of prog on pkt must give XDP_DROP (the blocked rows measure
 * what they say). */
static void must_drop(int prog, const __u8 *pkt, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = pkt, .data_size_in = (__u32)len);

	if (bpf_prog_test_run_opts(prog, &o) || o.retval != XDP_DROP) {
		fprintf(stderr, "bench: a blocked source's packet was not dropped (%u)\n", o.retval);
		exit(1);
	}
}

/* A blocked source's later packets, IPv4 and IPv6: what a flood costs
 * that changes its source port on every packet (the drop cache keys
 * without it, so the same packet again is such a flood's next one). */
static void blocked_row(const char *what, int noop, int zt)
{
	struct pkt_spec b4 = { .src = "10.77.0.9", .dst = "10.99.1.5", .proto = IPPROTO_TCP,
			       .sport = 40000, .dport = 22 };
	struct pkt_spec b6 = { .src = "fd00:77::9", .dst = "fd00:99:1::5", .proto = IPPROTO_TCP,
			       .sport = 40000, .dport = 22 };
	struct row r = { what, 0, 0, 0, 0, 0 };
	__u8 p4[128], p6[128];
	size_t l4 = pkt_build(&b4, p4, sizeof(p4), NULL, NULL);
	size_t l6 = pkt_build(&b6, p6, sizeof(p6), NULL, NULL);

	must_drop(zt, p4, l4); /* the first decides, and makes the drop */
	must_drop(zt, p6, l6);
	r.noop = ns_per_packet(noop, p4, l4);
	r.v4 = ns_per_packet(zt, p4, l4);
	r.v6 = ns_per_packet(zt, p6, l6);
	print_row(&r);
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 10, 10000, 100000, 1000000 };
	static const size_t rule_counts[] = { 1, 100, 1024 };
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	struct pkt_spec s4 = { .src = "10.10.0.2", .dst = "10.99.1.5", .proto = IPPROTO_TCP,
			       .sport = 40000, .dport = 443 };
	struct pkt_spec s6 = { .src = "fd00:10::2", .dst = "fd00:99:1::5", .proto = IPPROTO_TCP,
			       .sport = 40000, .dport = 443 };
	struct workload w = { 0 };
	const char *json_path = NULL;
	struct ring_buffer *rb = NULL;
	pthread_t thr;
	__u8 p4[128], p6[128];
	size_t l4, l6, max_routes = 1000000, i, j;
	int noop, newf, hit, parse, lookup, eval, err;
	double c_s, a_s;
	struct utsname u;
	__u64 lost0, limited0;

	for (i = 1; i < (size_t)argc; i++) {
		if (!strcmp(argv[i], "--json") && i + 1 < (size_t)argc) {
			json_path = argv[++i];
		} else if (!strcmp(argv[i], "--quick")) {
			max_routes = 100000;
			repeat = 50000;
		} else {
			fprintf(stderr, "usage: %s [--json FILE] [--quick]\n"
				"  --quick  stop at 100k routes, fewer repetitions\n", argv[0]);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	zt_log_level = ZT_LOG_WARN;
	pin_cpu(0);
	snprintf(pin_root, sizeof(pin_root), "/sys/fs/bpf/zt-bench-%d", (int)getpid());
	atexit(cleanup);
	err = zt_bpf_open(&B, pin_root);
	if (err) {
		fprintf(stderr, "bench: loading zt: %s\n", strerror(-err));
		return 1;
	}
	oo.pin_root_path = pin_root;
	bench = bench_xdp_bpf__open_opts(&oo);
	if (!bench || bench_xdp_bpf__load(bench)) {
		fprintf(stderr, "bench: loading the bench programs failed\n");
		return 1;
	}
	noop = bpf_program__fd(bench->progs.zt_bench_noop);
	newf = bpf_program__fd(bench->progs.zt_bench_new_flow);
	hit = bpf_program__fd(B.xdp->progs.zt_xdp_ingress);
	parse = bpf_program__fd(bench->progs.zt_bench_parse);
	lookup = bpf_program__fd(bench->progs.zt_bench_lookup);
	eval = bpf_program__fd(bench->progs.zt_bench_evaluate);
	l4 = pkt_build(&s4, p4, sizeof(p4), NULL, NULL);
	l6 = pkt_build(&s6, p6, sizeof(p6), NULL, NULL);

	rb = ring_buffer__new(B.m.events, on_event, NULL, NULL);
	if (!rb || pthread_create(&thr, NULL, consumer, rb)) {
		fprintf(stderr, "bench: starting the event consumer failed\n");
		return 1;
	}
	if (json_path) {
		json = fopen(json_path, "w");
		if (!json) {
			fprintf(stderr, "bench: %s: %s\n", json_path, strerror(errno));
			return 1;
		}
	}
	uname(&u);
	w.routes = calloc(2 * max_routes, sizeof(*w.routes));
	if (!w.routes)
		return 1;
	gen_devices(&w);

	/* Loading 1M IPv4 routes into empty maps. */
	if (max_routes >= 1000000) {
		gen_routes(w.routes, 1000000, ZT_AF_INET, 1);
		w.n_routes = 1000000;
		gen_rules(&w, 1);
		err = load(&w, &c_s, &a_s);
		if (err) {
			fprintf(stderr, "bench: loading 1M routes: %s\n", strerror(-err));
			return 1;
		}
		printf("load 1M IPv4 routes into empty maps: compile %.2f s, apply %.2f s "
		       "(%.2f us per route)\n", c_s, a_s, a_s * 1e6 / 1e6);
		if (json)
			fprintf(json, "{\n  \"kernel\": \"%s\",\n  \"repeat\": %u,\n"
				"  \"load_1m_routes\": {\"compile_s\": %.3f, \"apply_s\": %.3f},\n",
				u.release, repeat, c_s, a_s);
		w.n_routes = 0;
		gen_rules(&w, 1);
		load(&w, NULL, NULL);
	} else if (json) {
		fprintf(json, "{\n  \"kernel\": \"%s\",\n  \"repeat\": %u,\n", u.release, repeat);
	}
	if (json)
		fprintf(json, "  \"rows\": [");

	printf("\nzt XDP classifier, BPF_PROG_TEST_RUN, kernel %s, ns per packet "
	       "(median of %d runs x %u)\n", u.release, TRIALS, repeat);
	printf("%-40s %8s %8s %7s %8s %7s\n", "case", "no-op", "IPv4", "ratio", "IPv6", "ratio");
	lost0 = zt_counter_sum(B.m.counters, ZT_C_EVENT_LOST);
	limited0 = zt_counter_sum(B.m.counters, ZT_C_EVENT_LIMITED);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && sizes[i] <= max_routes; i++) {
		size_t n = sizes[i];

		/* An update needs room for the old and the new prefixes
		 * together: empty the tables before the full-size one. */
		if (n > 100000) {
			w.n_routes = 0;
			gen_rules(&w, 1);
			load(&w, NULL, NULL);
		}
		/* IPv4 and IPv6 tables of n routes each, in one policy. */
		gen_routes(w.routes, n, ZT_AF_INET, 1);
		gen_routes(w.routes + n, n, ZT_AF_INET6, (__u32)n + 1);
		w.n_routes = 2 * n;
		for (j = 0; j < sizeof(rule_counts) / sizeof(rule_counts[0]); j++) {
			struct row r = { "new_flow", n, rule_counts[j], 0, 0, 0 };

			gen_rules(&w, rule_counts[j]);
			err = load(&w, NULL, NULL);
			if (err) {
				fprintf(stderr, "bench: loading %zu routes, %zu rules: %s\n", n,
					rule_counts[j], strerror(-err));
				return 1;
			}
			r.noop = ns_per_packet(noop, p4, l4);
			r.v4 = ns_per_packet(newf, p4, l4);
			r.v6 = ns_per_packet(newf, p6, l6);
			print_row(&r);
			if (n == 100000 && rule_counts[j] == 1024) {
				/* The cache hit, then the new-flow path in stages. */
				static const char *const what[] = { "established_flow_hit",
					"stage:_parse_only", "stage:_parse+flow_lookup",
					"stage:_parse+evaluate" };
				int progs[] = { hit, parse, lookup, eval };
				size_t k;

				for (k = 0; k < 4; k++) {
					struct row h = { what[k], 0, 0, 0, 0, 0 };

					h.noop = ns_per_packet(noop, p4, l4);
					h.v4 = ns_per_packet(progs[k], p4, l4);
					h.v6 = ns_per_packet(progs[k], p6, l6);
					print_row(&h);
				}
			}
		}
	}
	/* A source no device has. Under these rules one could allow it
	 * another port (the last rule is everyone's), so its drop is kept
	 * per port; under a rule for user 1 alone none could, and one drop
	 * covers every port (as in bench_drop.sh). */
	blocked_row("blocked_source,_drop_cache,_per_port", noop, hit);
	gen_rules(&w, 1);
	w.rules[0].users = user_one;
	w.rules[0].n_users = 1;
	err = load(&w, NULL, NULL);
	if (err) {
		fprintf(stderr, "bench: loading a rule for one user: %s\n", strerror(-err));
		return 1;
	}
	blocked_row("blocked_source,_drop_cache,_one_key", noop, hit);
	atomic_store(&stop_consumer, 1);
	pthread_join(thr, NULL);
	ring_buffer__free(rb);
	printf("\nnew-flow events lost to a full ring: %llu, suppressed by the rate limit: %llu\n",
	       (unsigned long long)(zt_counter_sum(B.m.counters, ZT_C_EVENT_LOST) - lost0),
	       (unsigned long long)(zt_counter_sum(B.m.counters, ZT_C_EVENT_LIMITED) - limited0));
	printf("targets: established flow <= 2x no-op; new flow at 100k routes and 1024 "
	       "rules <= 10x no-op\n");
	if (json) {
		fprintf(json, "\n  ]\n}\n");
		fclose(json);
		printf("wrote %s\n", json_path);
	}
	free(w.routes);
	free(w.rules);
	free(w.rule_dst);
	return 0;
}
