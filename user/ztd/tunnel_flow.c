// SPDX-License-Identifier: GPL-2.0
/* tunnel_flow.c — TCP flows the proxy allowed to a remote tunnel,
 * carried as streams: the proxy's worker hands ztd the client's socket
 * (proxy_carry.c), and here a stream to the flow's destination is opened
 * on the least busy connection of the tunnel and bridged to it
 * (bridge.h), the bytes detection read first. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "bridge.h"
#include "clock.h"
#include "log.h"
#include "tunnel_int.h"
#include "zt_abi.h"

struct gw_conn *tun_least_busy(struct ztd_tunnels *tt, int ts)
{
	struct gw_conn *c, *best = NULL;
	__u32 n, bn = 0;

	for (c = tt->conns; c; c = c->next) {
		if (!c->ready || c->ts != ts || c->t.down || zt_mux_goaway_seen(c->t.mux))
			continue;
		n = zt_mux_stats(c->t.mux)->streams;
		if (!best || n < bn) {
			best = c;
			bn = n;
		}
	}
	return best;
}

/* A carried flow: its connection (for the counters) and its owner's
 * callback. */
struct tun_carry {
	struct gw_conn *c;
	zt_bridge_done_fn done;
	void *arg;
};

static void flow_done(void *arg, struct zt_bridge *b, const char *why, __u32 code, __u64 in,
		      __u64 out)
{
	struct tun_carry *k = arg;
	struct gw_conn *c = k->c;
	struct ztd_tunnels *tt = c->tt;
	__u64 dropped;

	if (code && code != ZT_MUX_E_GONE) {
		tt->streams_refused++;
		if (c->ts >= 0)
			tt->ts[c->ts].failed++;
		if (zt_rate_ok(&tt->flow_log, 10, zt_mono_ms(), &dropped)) {
			pr_info("tunnel %s: a stream ended: the connector says %s (%s)\n",
				c->ts >= 0 ? tt->ts[c->ts].name : "?", zt_mux_err_name(code),
				why ? why : "");
		}
	}
	pr_debug("tunnel stream ended: %s; %llu bytes to the tunnel, %llu from it\n",
		 why ? why : "both sides finished", (unsigned long long)in,
		 (unsigned long long)out);
	k->done(k->arg, b, why, code, in, out);
	free(k);
}

size_t ztd_tunnel_tcp_max(const struct ztd *d)
{
	return d->tunnels ? d->tunnels->tcp_max : 0;
}

bool ztd_tunnel_up(const struct ztd *d, const char *tunnel)
{
	struct ztd_tunnels *tt = d->tunnels;
	struct tun_state *ts = tt ? tun_state_by_name(tt, tunnel) : NULL;

	return ts && ts->n_up;
}

struct zt_bridge *ztd_tunnel_carry(struct ztd *d, const char *tunnel, const struct zt_mux_open *o,
				   int fd, const void *pre, size_t pre_len, zt_bridge_done_fn done,
				   void *arg, int *err)
{
	struct ztd_tunnels *tt = d->tunnels;
	struct tun_state *ts = tt ? tun_state_by_name(tt, tunnel) : NULL;
	struct gw_conn *c = ts ? tun_least_busy(tt, (int)(ts - tt->ts)) : NULL;
	struct zt_mux_stream *s = NULL;
	struct tun_carry *k = NULL;
	struct zt_bridge *b;
	int one = 1;

	*err = -ENOTCONN;
	if (c && !(k = calloc(1, sizeof(*k))))
		*err = -ENOMEM;
	if (k)
		s = zt_mux_open(c->t.mux, o, NULL, err);
	if (ts)
		ts->streams++;
	if (!s) {
		if (tt)
			tt->streams_refused++;
		if (ts)
			ts->failed++;
		pr_info("tunnel %s: no stream for a flow: %s\n", tunnel,
			c ? strerror(-*err) : "no connection of its connector is up");
		goto fail;
	}
	tt->streams_opened++;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->c = c;
	k->done = done;
	k->arg = arg;
	b = zt_bridge_carry(&c->t, s, fd, pre, pre_len, flow_done, k);
	if (!b) { /* fd closed, s released */
		free(k);
		*err = -ENOMEM;
		return NULL;
	}
	return b;
fail:
	free(k);
	{
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
	return NULL;
}
