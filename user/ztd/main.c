// SPDX-License-Identifier: GPL-2.0
/* ztd — the gateway daemon: loads the config, applies it to the pinned
 * maps, attaches the programs (replacing running ones in place), writes the
 * network log from the event ring, reloads on SIGHUP, and on SIGTERM exits
 * leaving the programs attached so the last policy stays enforced. Main
 * makes the event loop, opens the modules (each registers its own
 * descriptors and timers) and runs it; its own are the signals and the
 * event ring. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "apply.h"
#include "config.h"
#include "loader.h"
#include "clock.h"
#include "log.h"
#include "loop.h"
#include "nat.h"
#include "names.h"
#include "policy.h"
#include "zt_abi.h"
#include "pxw.h"
#include "ztd.h"


/* ---- network log -------------------------------------------------------- */

static int on_event(void *ctx, void *data, size_t size)
{
	struct ztd *d = ctx;
	const struct zt_event *e = data;
	char src[64], dst[64], tbuf[64], pbuf[8];
	__s64 real = 0;
	FILE *f = d->netlog;

	if (!f || size < sizeof(*e))
		return 0;
	real = (__s64)e->ts_ns + d->mono_to_real_ns;
	inet_ntop(e->family == ZT_AF_INET6 ? AF_INET6 : AF_INET, e->src, src, sizeof(src));
	inet_ntop(e->family == ZT_AF_INET6 ? AF_INET6 : AF_INET, e->dst, dst, sizeof(dst));
	fprintf(f, "{\"time\":\"%s\",\"interface\":", zt_log_time(tbuf, sizeof(tbuf), real));
	/* The names ztd recorded at its last apply: no syscall per event. */
	zt_json_str(f, zt_name(&d->names, ZT_N_IFACE, e->ifindex));
	fprintf(f, ",\"device\":");
	zt_json_str(f, zt_name(&d->names, ZT_N_DEVICE, e->device_id));
	fprintf(f, ",\"user_email\":");
	zt_json_str(f, zt_name(&d->names, ZT_N_USER, e->user_id));
	fprintf(f, ",\"vnet\":");
	zt_json_str(f, zt_name(&d->names, ZT_N_VNET, e->vnet_id));
	fprintf(f, ",\"src\":\"%s\",\"dst\":\"%s\",\"protocol\":\"%s\",\"src_port\":%u,"
		"\"dst_port\":%u,\"rule\":", src, dst, zt_proto_name(e->proto, pbuf, sizeof(pbuf)),
		ntohs(e->sport), ntohs(e->dport));
	zt_json_str(f, e->rule_id ? zt_name(&d->names, ZT_N_RULE, e->rule_id) : "");
	fprintf(f, ",\"rule_id\":%u,\"action\":\"%s\",\"reason\":\"%s\",\"generation\":%u}\n",
		e->rule_id, zt_verdict_name(e->verdict), zt_reason_name(e->reason), e->generation);
	return 0;
}

static __s64 mono_to_real(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return ((__s64)r.tv_sec - m.tv_sec) * 1000000000LL + (r.tv_nsec - m.tv_nsec);
}

/* What main itself watches: the signals, and the event ring (its epoll fd,
 * and a timer: events arrive without a wakeup until the ring fills up, so
 * the timer is what picks up a trickle). */
struct ztd_run {
	struct ztd *d;
	struct ring_buffer *rb;
	struct zt_io sig, ring;
	struct zt_timer trickle;
};

static void on_signal(struct zt_io *io, __u32 events)
{
	struct ztd_run *r = ztd_of(io, struct ztd_run, sig);
	struct signalfd_siginfo si;

	(void)events;
	if (read(io->fd, &si, sizeof(si)) != sizeof(si))
		return;
	if (si.ssi_signo == SIGHUP) {
		ztd_reload(r->d);
		return;
	}
	pr_info("signal %u: exiting; the programs stay attached and the policy of "
		"generation %u stays enforced\n", si.ssi_signo, r->d->generation);
	zt_loop_stop(r->d->loop);
}

static void on_ring(struct zt_io *io, __u32 events)
{
	(void)events;
	ring_buffer__consume(ztd_of(io, struct ztd_run, ring)->rb);
}

static void on_trickle(struct zt_timer *t)
{
	struct ztd_run *r = ztd_of(t, struct ztd_run, trickle);

	ring_buffer__consume(r->rb);
	zt_timer_arm(r->d->loop, t, ZT_EVENTS_POLL_MS);
}

/* Applies, attaches and serves until a signal says stop; 0 or -errno. */
static int run(struct ztd *d)
{
	struct ztd_run r = { .d = d, .sig = { .fd = -1, .cb = on_signal },
			     .ring = { .fd = -1, .cb = on_ring }, .trickle = { .cb = on_trickle } };
	sigset_t mask;
	int err;

	d->started = time(NULL);
	err = zt_bpf_open(&d->b, d->pin_root);
	if (err) {
		if (err != -EPROTO)
			pr_warn("loading the BPF programs: %s\n", strerror(-err));
		return err;
	}
	/* Policy first, then the programs: a first start never runs an
	 * interface with an empty policy, a restart swaps programs in place. */
	err = ztd_links_open(d);
	if (err) {
		pr_warn("watching links (netlink): %s\n", strerror(-err));
		return err;
	}
	ztd_nat_open(d);
	/* The steering route and rule before any packet can be marked: a
	 * steered flow must reach the proxy, never be forwarded unchecked. */
	err = zt_nl_steering(true);
	/* The IRI allocations before the first apply, so that it keeps the
	 * pinned ones clients may have cached. */
	if (!err)
		err = ztd_dns_open(d);
	if (!err)
		err = ztd_apply(d, &d->cfg, d->ifindex);
	/* The proxy's listeners before the programs: a flow steered from
	 * the first packet on finds one. */
	if (!err)
		err = ztd_proxy_open(d);
	if (!err)
		err = ztd_attach_all(d, NULL, NULL, 0);
	/* Connectors may dial in once the policy is enforced. */
	if (!err)
		err = ztd_tunnels_open(d);
	if (err)
		goto out;
	ztd_nat_check_forwarding(d);
	ztd_netlog_open(d);
	d->mono_to_real_ns = mono_to_real();

	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	r.sig.fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	r.rb = ring_buffer__new(d->b.m.events, on_event, d, NULL);
	/* A link may have come and gone between resolving and watching. */
	ztd_relink(d);
	if (r.sig.fd < 0 || !r.rb) {
		err = -errno;
		pr_warn("setting up the event loop failed: %s\n", strerror(errno));
		goto out;
	}
	r.ring.fd = ring_buffer__epoll_fd(r.rb);
	err = zt_io_add(d->loop, &r.sig, EPOLLIN);
	if (!err)
		err = zt_io_add(d->loop, &r.ring, EPOLLIN);
	if (!err)
		err = zt_timer_arm(d->loop, &r.trickle, ZT_EVENTS_POLL_MS);
	if (err) {
		pr_warn("setting up the event loop failed: %s\n", strerror(-err));
		goto out;
	}
	pr_info("running; control socket %s; SIGHUP reloads, SIGTERM leaves the policy "
		"enforced and exits\n", d->ctl_path);
	err = zt_loop_run(d->loop);
	ring_buffer__consume(r.rb);
out:
	ztd_settle_stop(d);
	/* The proxy first: the flows it carries on tunnel streams end as
	 * shutdown while their connections are there. */
	ztd_proxy_close(d);
	ztd_tunnels_close(d);
	ztd_dns_close(d);
	zt_timer_stop(d->loop, &r.trickle);
	zt_io_del(d->loop, &r.ring);
	ring_buffer__free(r.rb);
	zt_io_del(d->loop, &r.sig);
	if (r.sig.fd >= 0)
		close(r.sig.fd);
	ztd_nat_close(d);
	ztd_links_close(d);
	return err;
}

/* ---- main ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ztd --config FILE [--pin-root DIR] [--socket PATH] [-v]\n"
		"       ztd --detach [--config FILE] [--pin-root DIR]\n"
		"       ztd --check --config FILE\n\n"
		"Runs the zt gateway in the foreground, logging to stderr: the data plane on\n"
		"gateway.interface (XDP, and tc; a veth gets the classifier at tc only unless\n"
		"gateway.xdp_redirect_veth), the DIRECT path's reply translation on each local\n"
		"tunnel's private_interface (DIRECT flows are NATed in the kernel: IRI to real\n"
		"address, source to that interface's address with a port of gateway.nat_ports;\n"
		"enable IP forwarding), and the DNS server on gateway.dns_listen (hostname\n"
		"routes answered with initial resolved IPs, kept in gateway.state_dir; without\n"
		"a DNS log, repeated IRI questions over UDP/IPv4 are answered by the programs).\n"
		"  -c, --config FILE   the YAML configuration (e.g. /etc/zt/ztd.yaml)\n"
		"      --check         validate the configuration and exit\n"
		"      --detach        remove zt's programs from the configured interfaces,\n"
		"                      every pinned map and link, and the steering rule\n"
		"                      and route table, then exit\n"
		"      --pin-root DIR  where maps and links are pinned (default %s)\n"
		"      --socket PATH   the control socket ztctl talks to (default %s)\n"
		"  -v, --verbose       more log output (twice: debug)\n"
		"      --proxy-worker  (not for use by hand) how ztd starts its proxy's\n"
		"                      worker processes, which drop to gateway.proxy.user\n"
		"  -h, --help          this text\n\n"
		"Signals: SIGHUP reloads the configuration (an invalid file is refused and\n"
		"the running policy kept); SIGTERM and SIGINT exit leaving the programs\n"
		"attached and the last policy enforced.\n", ZT_PIN_ROOT, ZT_CTL_SOCKET);
}

static int detach(struct ztd *d)
{
	struct zt_cfg_errors e;
	size_t i;
	int err = 0;

	if (d->config_path) {
		if (zt_config_load(d->config_path, &d->cfg, &e) == 0) {
			for (i = 0; i < d->cfg.n_ifaces; i++) {
				int ifx = (int)if_nametoindex(d->cfg.ifaces[i]);

				if (ifx && zt_bpf_detach(d->pin_root, ifx))
					err = -EIO;
			}
			zt_config_free(&d->cfg);
		} else {
			zt_cfg_errors_print(&e, stderr);
			pr_warn("cannot read the interfaces from the config; detaching by the "
				"pinned links only\n");
		}
		zt_cfg_errors_free(&e);
	}
	/* Every interface with a pinned XDP link, and every interface ztd last
	 * recorded (tc-only L3 interfaces have no link), whatever the config
	 * says now. */
	if (zt_bpf_detach_pinned(d->pin_root))
		err = -EIO;
	if (!zt_names_read(d->names_path, &d->names)) {
		__u32 ifx;

		for (ifx = 1; ifx < d->names.n[ZT_N_IFACE]; ifx++)
			if (zt_name(&d->names, ZT_N_IFACE, ifx) && zt_bpf_detach(d->pin_root, (int)ifx))
				err = -EIO;
	}
	if (zt_bpf_unpin_all(d->pin_root))
		err = -EIO;
	if (zt_nl_steering(false))
		err = -EIO;
	unlink(d->names_path);
	zt_names_free(&d->names);
	if (!err)
		pr_warn("detached: zt's programs and pinned maps under %s are removed\n",
			d->pin_root);
	return err ? 1 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, 0, 'c' }, { "pin-root", required_argument, 0, 'P' },
		{ "detach", no_argument, 0, 'D' },       { "check", no_argument, 0, 'C' },
		{ "verbose", no_argument, 0, 'v' },      { "help", no_argument, 0, 'h' },
		{ "socket", required_argument, 0, 'S' },
		{ 0 }
	};
	struct ztd d = { .pin_root = ZT_PIN_ROOT, .names_path = ZT_NAMES_PATH,
			 .ctl_path = ZT_CTL_SOCKET };
	struct zt_cfg_errors e;
	bool do_detach = false, check = false;
	int opt, err;

	/* How ztd starts its proxy workers (proxy.c, pxw.c). */
	if (argc > 1 && !strcmp(argv[1], "--proxy-worker"))
		return ztd_proxy_worker_main(argc, argv);
	/* A peer that goes away mid-answer is an error on that socket, never
	 * the daemon's end: every send also says MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);

	zt_log_level = ZT_LOG_INFO;
	while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
		switch (opt) {
		case 'c': d.config_path = optarg; break;
		case 'P': d.pin_root = optarg; break;
		case 'S': d.ctl_path = optarg; break;
		case 'D': do_detach = true; break;
		case 'C': check = true; break;
		case 'v': zt_log_level++; break;
		case 'h': usage(stdout); return 0;
		default:  usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ztd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	if (getenv("ZT_NAMES_PATH"))
		d.names_path = getenv("ZT_NAMES_PATH");
	zt_log_route_libbpf();
	if (do_detach)
		return detach(&d);
	if (!d.config_path) {
		fprintf(stderr, "ztd: --config FILE is required\n");
		usage(stderr);
		return 2;
	}
	/* A reload of a million routes frees and allocates the same hundreds
	 * of megabytes again: keep them in the heap instead of giving them
	 * back and having the kernel clear fresh pages every time. Blocks
	 * are never mmap()ed (glibc caps M_MMAP_THRESHOLD at 32 MB, and the
	 * file, route and destination arrays of 1M routes are larger). */
	mallopt(M_MMAP_MAX, 0);
	mallopt(M_TRIM_THRESHOLD, 1024 << 20);
	d.cfg_cache = zt_cfg_cache_new();
	if (!d.cfg_cache) {
		fprintf(stderr, "ztd: out of memory\n");
		return 1;
	}
	err = zt_config_load_cached(d.config_path, d.cfg_cache, &d.cfg, &e);
	if (err) {
		if (e.n)
			zt_cfg_errors_print(&e, stderr);
		else
			fprintf(stderr, "ztd: %s: %s\n", d.config_path, strerror(-err));
		fprintf(stderr, "ztd: the configuration is invalid; nothing was applied\n");
		zt_cfg_errors_free(&e);
		zt_cfg_cache_free(d.cfg_cache);
		return 1;
	}
	{
		uid_t uid;
		gid_t gid;

		if (ztd_proxy_user(&d.cfg, &uid, &gid)) {
			fprintf(stderr, "ztd: the configuration is invalid; nothing was applied\n");
			err = -EINVAL;
			goto out;
		}
	}
	if (check) {
		printf("%s: valid (%zu policies, %zu routes, %zu devices)\n", d.config_path,
		       d.cfg.n_policies, d.cfg.n_routes, d.cfg.n_devices);
		err = 0;
		goto out;
	}
	err = ztd_resolve_ifaces(&d.cfg, d.ifindex);
	if (err)
		goto out;
	mkdir(ZT_RUN_DIR, 0700);
	err = zt_loop_new(&d.loop);
	if (err) {
		fprintf(stderr, "ztd: the event loop: %s\n", strerror(-err));
		goto out;
	}
	/* Before touching the kernel: a second ztd must not fight the first. */
	err = ztd_ctl_open(&d);
	if (err)
		goto out;
	err = run(&d);
	ztd_ctl_close(&d);
	if (d.netlog)
		fclose(d.netlog);
	zt_apply_finish(&d.b.m, &d.mirror);
	zt_nat_counts_unmap(d.nat_counts);
	if (d.policy)
		zt_compiled_free(d.policy);
	free(d.policy);
	zt_bpf_close(&d.b);
	zt_mirror_free(&d.mirror);
	ztd_heap_warm_drop(&d);
out:
	zt_loop_free(d.loop);
	zt_cfg_cache_free(d.cfg_cache);
	zt_config_free(&d.cfg);
	zt_names_free(&d.names);
	return err ? 1 : 0;
}
