// SPDX-License-Identifier: GPL-2.0
/* dns_forward.c — the queries ztd answers later: those forwarded to an
 * upstream, each from a socket of its own (a random port, a random id:
 * RFC 5452) until the answer to the question asked comes or its timeout
 * passes (then the next upstream, then SERVFAIL); and IRI answers held
 * (up to HOLD_MS) until the name's real address is in the map. They share
 * one table, of which each client address has a bounded share; each entry
 * has its socket and its timeout on the loop. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include "clock.h"
#include "log.h"
#include "dns_int.h"

#define UP_READS  4           /* datagrams read per forwarded query's socket per wakeup */
#define HOLD_MS   1000        /* an IRI answer waits this long at most for its real address */

struct pending {
	bool used;
	__u16 id;                 /* the id sent upstream */
	size_t up;                /* index into upstreams */
	struct zt_io io;          /* forwarded: its own socket, connect()ed to the
				   * upstream (a fresh port per try); else fd -1 */
	struct zt_timer timeout;  /* the next upstream or SERVFAIL; a held answer
				   * goes anyway */
	struct ztd *d;
	bool retried;
	struct zt_dns_query q;
	struct dns_asker to;
	long device;
	/* Not forwarded: an IRI answer held until ztd knows the name's real
	 * address (dns_hold), for the allocation {q.name, vnet, q's family}. */
	bool hold;
	__u32 vnet;
	long route;
};

struct dns_fwd {
	struct pending pend[ZTD_DNS_PENDING];
	size_t n_pending;         /* used entries: the timeout scan is skipped at 0 */
	struct zt_share share;    /* the entries each client address holds */
	__u8 in[ZT_DNS_UDP_MAX];
};

/* Sends a forwarded query to upstream p->up, from a socket of its own
 * (RFC 5452): connect()ed, so the kernel gives it a random ephemeral port
 * and passes on only the upstream's datagrams; and a random id. An
 * off-path spoofer must guess both, per query. A retry gets new ones. */
static void on_upstream(struct zt_io *io, __u32 events);
static void on_timeout(struct zt_timer *t);

static void upstream_close(struct ztd *d, struct pending *p)
{
	if (p->io.fd < 0)
		return;
	zt_io_del(d->loop, &p->io);
	close(p->io.fd);
	p->io.fd = -1;
}

static int send_upstream(struct ztd *d, struct pending *p)
{
	const struct zt_cfg_endpoint *u = &d->cfg.upstreams[p->up];
	struct sockaddr_storage ss;
	socklen_t sl = dns_sockaddr(u->family, u->addr, u->port, &ss);
	__u8 buf[ZT_DNS_NAME_MAX + 64];
	int len, fd, err;

	upstream_close(d, p);
	/* No predictable fallback: without randomness, no query. */
	if (getrandom(&p->id, sizeof(p->id), GRND_NONBLOCK) != sizeof(p->id))
		return -EAGAIN;
	len = zt_dns_write_query(&p->q, p->id, buf, sizeof(buf));
	if (len < 0)
		return len;
	fd = socket(u->family == ZT_AF_INET ? AF_INET : AF_INET6,
		    SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) ||
	    send(fd, buf, (size_t)len, MSG_DONTWAIT) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	p->io = (struct zt_io){ .fd = fd, .cb = on_upstream };
	err = zt_io_add(d->loop, &p->io, EPOLLIN);
	if (!err)
		err = zt_timer_arm(d->loop, &p->timeout, d->cfg.dns_timeout_ms);
	if (err)
		upstream_close(d, p);
	return err;
}

/* A free entry for a query from a->from, counted as used: -EDQUOT when
 * that client has ZTD_DNS_PENDING_PER_CLIENT already (the table is
 * shared: no one client may fill it), -ENOSPC when all are taken. */
static int pending_new(struct dns_fwd *f, const struct dns_asker *a, struct pending **pp)
{
	size_t i;
	int err;

	err = zt_share_take(&f->share, a->from.family, a->from.addr, ZTD_DNS_PENDING_PER_CLIENT);
	if (err)
		return err;
	/* The share counts every used entry: past its check, one is free. */
	for (i = 0; i < ZTD_DNS_PENDING && f->pend[i].used; i++)
		;
	if (i == ZTD_DNS_PENDING) {
		zt_share_give(&f->share, a->from.family, a->from.addr);
		return -ENOSPC;
	}
	f->n_pending++;
	*pp = &f->pend[i];
	return 0;
}

static void pending_free(struct dns_fwd *f, struct pending *p)
{
	upstream_close(p->d, p);
	zt_timer_stop(p->d->loop, &p->timeout);
	p->used = false;
	f->n_pending--;
	zt_share_give(&f->share, p->to.from.family, p->to.from.addr);
}

int dns_forward(struct ztd *d, const struct zt_dns_query *q, const struct dns_asker *a,
		long device)
{
	struct dns_fwd *f = d->dns->fwd;
	struct pending *p;
	int err;

	err = pending_new(f, a, &p);
	if (err)
		return err;
	*p = (struct pending){ .used = true, .q = *q, .to = *a, .io.fd = -1, .d = d,
			       .timeout.cb = on_timeout, .device = device };
	err = send_upstream(d, p);
	if (err) {
		pending_free(f, p);
		return err < 0 && err != -EDQUOT && err != -ENOSPC ? err : -EIO;
	}
	return 0;
}

/* Holds the IRI answer to q while ztd resolves the name's real address
 * (for a local tunnel): answered at once, the client's first packet would
 * find no address in the map and be dropped as `resolve` (its TCP would
 * retransmit a second later). Sent by dns_release, or after HOLD_MS. */
bool dns_hold(struct ztd *d, const struct zt_dns_query *q, const struct dns_asker *a,
	      long device, __u32 vnet, long route)
{
	struct pending *p;

	if (pending_new(d->dns->fwd, a, &p))
		return false;
	*p = (struct pending){ .used = true, .hold = true, .q = *q, .to = *a, .io.fd = -1,
			       .d = d, .timeout.cb = on_timeout, .device = device,
			       .vnet = vnet, .route = route };
	if (zt_timer_arm(d->loop, &p->timeout, HOLD_MS)) {
		pending_free(d->dns->fwd, p);
		return false;
	}
	return true;
}

static void held_answer(struct ztd *d, struct pending *p)
{
	struct ztd_dns *s = d->dns;
	long i = zt_iri_find(&s->pool, p->q.name, p->vnet,
			     p->q.qtype == ZT_DNS_T_A ? ZT_AF_INET : ZT_AF_INET6);
	struct zt_dns_reply r = { .rcode = ZT_DNS_SERVFAIL, .ede = -1 };
	__u8 out[ZT_DNS_UDP_MAX];
	struct zt_dns_rr rr;
	char ans[64] = "";
	int len;

	if (i >= 0) { /* else the allocation went meanwhile (a reload) */
		dns_iri_rr(d, &s->pool.a[i], p->q.qtype, &rr, ans, sizeof(ans));
		r = (struct zt_dns_reply){ .rcode = ZT_DNS_NOERROR, .aa = true, .an = &rr,
					   .n_an = 1, .ede = -1 };
		s->st.answered++;
		dns_cache_put(d, &p->q, &s->pool.a[i]);
	}
	len = zt_dns_write_reply(&p->q, &r, out,
				 p->to.slot >= 0 ? sizeof(out) : zt_dns_udp_limit(&p->q));
	if (len > 0)
		dns_reply_to(d, &p->to, out, (size_t)len);
	dns_log(d, &p->q, &p->to.from, p->device, i >= 0 ? "answer" : "iri-gone", r.rcode, ans,
		p->route, -1);
	pending_free(s->fwd, p);
}

void dns_release(struct ztd *d, const char *name, __u32 vnet, __u8 family)
{
	struct dns_fwd *f = d->dns->fwd;
	size_t i;

	for (i = 0; i < ZTD_DNS_PENDING && f->n_pending; i++) {
		struct pending *p = &f->pend[i];

		if (p->used && p->hold && p->vnet == vnet &&
		    (p->q.qtype == ZT_DNS_T_A) == (family == ZT_AF_INET) &&
		    !strcmp(p->q.name, name))
			held_answer(d, p);
	}
}

/* No answer from p's upstream (its time passed, or it refused): one
 * more try at the next upstream, then SERVFAIL. */
static void upstream_failed(struct ztd *d, struct pending *p)
{
	struct zt_dns_reply r = { .rcode = ZT_DNS_SERVFAIL, .ede = -1 };
	__u8 out[ZT_DNS_UDP_MAX];
	int len;

	if (!p->retried && d->cfg.n_upstreams > 1) {
		p->retried = true;
		p->up = (p->up + 1) % d->cfg.n_upstreams;
		if (!send_upstream(d, p))
			return;
	}
	d->dns->st.upstream_timeout++;
	len = zt_dns_write_reply(&p->q, &r, out, zt_dns_udp_limit(&p->q));
	if (len > 0)
		dns_reply_to(d, &p->to, out, (size_t)len);
	dns_log(d, &p->q, &p->to.from, p->device, "forward-timeout", ZT_DNS_SERVFAIL, NULL, -1, -1);
	pending_free(d->dns->fwd, p);
}

/* What came on a forwarded query's socket: only its upstream's datagrams
 * (connect()ed). The one that answers the question asked, under the id
 * sent, is relayed to the client; anything else is counted and ignored,
 * and the query waits on (RFC 5452 section 9.1). */
static void upstream_read(struct ztd *d, struct pending *p)
{
	struct ztd_dns *s = d->dns;
	struct dns_fwd *f = s->fwd;
	__u8 out[ZT_DNS_TCP_MAX];
	int k, len, err;

	for (k = 0; k < UP_READS && p->used && p->io.fd >= 0; k++) {
		ssize_t n = recv(p->io.fd, f->in, sizeof(f->in), MSG_DONTWAIT);

		if (n < 0) {
			if (errno == ECONNREFUSED) /* port unreachable: none will come */
				upstream_failed(d, p);
			return;
		}
		err = zt_dns_match_response(f->in, (size_t)n, &p->q, p->id);
		if (err) {
			s->st.upstream_mismatch += err == -ESRCH;
			s->st.upstream_bad += err != -ESRCH;
			continue;
		}
		len = zt_dns_relay(f->in, (size_t)n, &p->q, p->id, out,
				   p->to.slot >= 0 ? ZT_DNS_TCP_MAX : zt_dns_udp_limit(&p->q));
		if (len < 0) {
			s->st.upstream_bad++;
			continue;
		}
		dns_reply_to(d, &p->to, out, (size_t)len);
		dns_log(d, &p->q, &p->to.from, p->device, "forward", out[3] & 0xf, NULL, -1, -1);
		pending_free(f, p);
		return;
	}
}

/* Queries still waiting hold indexes into the config's devices and
 * hostname routes: after a reload, those of the new one (or none). */
void dns_forward_reindex(struct ztd *d)
{
	struct dns_fwd *f = d->dns->fwd;
	size_t i;

	for (i = 0; i < ZTD_DNS_PENDING; i++) {
		struct pending *p = &f->pend[i];

		if (!p->used)
			continue;
		p->device = dns_src_device(d, &p->to.from);
		p->route = p->hold ? zt_host_index_find(&d->dns->table.routes, p->q.name, p->vnet) :
			   -1;
	}
}

static void on_upstream(struct zt_io *io, __u32 events)
{
	struct pending *p = ztd_of(io, struct pending, io);

	(void)events;
	upstream_read(p->d, p);
}

static void on_timeout(struct zt_timer *t)
{
	struct pending *p = ztd_of(t, struct pending, timeout);

	if (p->hold) /* no real address in time: the answer goes anyway */
		held_answer(p->d, p);
	else
		upstream_failed(p->d, p);
}

int dns_forward_open(struct ztd *d)
{
	struct dns_fwd *f = calloc(1, sizeof(*f));

	if (!f)
		return -ENOMEM;
	d->dns->fwd = f;
	return zt_share_init(&f->share, ZTD_DNS_PENDING);
}

void dns_forward_close(struct ztd *d)
{
	struct dns_fwd *f = d->dns->fwd;
	size_t i;

	if (!f)
		return;
	for (i = 0; i < ZTD_DNS_PENDING; i++)
		if (f->pend[i].used)
			pending_free(f, &f->pend[i]);
	zt_share_free(&f->share);
	free(f);
	d->dns->fwd = NULL;
}
