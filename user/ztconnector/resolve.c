// SPDX-License-Identifier: GPL-2.0
/* resolve.c — streams the gateway opens to a hostname (an IRI of a
 * hostname route): the name is resolved here, inside the private network,
 * with the host's resolver (/etc/hosts, then resolv.conf's servers) or the
 * servers given with --resolver, without blocking (c-ares on the loop),
 * then dialled. A stream reset while its name resolves is forgotten. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "log.h"
#include "ztconnector.h"
#include "zt_abi.h"

#define ZC_LOOKUPS_MAX 1024  /* names resolving at once; past it, BUSY */

struct zc_lookup {
	struct cconn *c;
	struct zt_mux_stream *s;   /* NULL: reset meanwhile */
	__u16 port;
	bool operator;
	__u8 proto;
	struct zc_lookup *prev, *next;
};

static void unlink_lookup(struct connector *k, struct zc_lookup *q)
{
	if (q->prev)
		q->prev->next = q->next;
	else
		k->lookups = q->next;
	if (q->next)
		q->next->prev = q->prev;
	k->n_lookups--;
}

static void resolved(void *arg, int status, int timeouts, struct ares_addrinfo *ai)
{
	struct zc_lookup *q = arg;
	const struct ares_addrinfo_node *nd = ai ? ai->nodes : NULL;
	struct connector *k = q->c->k;
	__u8 addr[16] = { 0 };
	__u8 family = 0;
	__u32 code;

	(void)timeouts;
	unlink_lookup(k, q);
	if (status == ARES_EDESTRUCTION || !q->s) {
		ares_freeaddrinfo(ai);
		free(q);
		return;
	}
	for (; nd && !family; nd = nd->ai_next) {
		if (nd->ai_family == AF_INET) {
			memcpy(addr, &((struct sockaddr_in *)nd->ai_addr)->sin_addr, 4);
			family = ZT_AF_INET;
		} else if (nd->ai_family == AF_INET6) {
			memcpy(addr, &((struct sockaddr_in6 *)nd->ai_addr)->sin6_addr, 16);
			family = ZT_AF_INET6;
		}
	}
	ares_freeaddrinfo(ai);
	if (status != ARES_SUCCESS || !family) {
		zt_mux_release(q->s, ZT_MUX_E_RESOLVE);
		zt_tconn_flush(&q->c->t);
		free(q);
		return;
	}
	code = zc_dial(q->c, q->s, q->proto, family, addr, q->port, q->operator);
	if (code)
		zt_mux_release(q->s, code);
	zt_tconn_flush(&q->c->t);
	free(q);
}

int zc_lookup(struct cconn *c, struct zt_mux_stream *s, __u8 proto, const char *name,
	      __u16 port, bool operator)
{
	struct connector *k = c->k;
	struct ares_addrinfo_hints h = { .ai_family = AF_UNSPEC };
	struct zc_lookup *q;

	if (!k->ares.ch)
		return ZT_MUX_E_RESOLVE;
	if (k->n_lookups >= ZC_LOOKUPS_MAX || !(q = calloc(1, sizeof(*q))))
		return ZT_MUX_E_BUSY;
	q->c = c;
	q->s = s;
	q->port = port;
	q->operator = operator;
	q->proto = proto;
	q->next = k->lookups;
	if (k->lookups)
		k->lookups->prev = q;
	k->lookups = q;
	k->n_lookups++;
	/* May call resolved() before it returns (a name in /etc/hosts). */
	ares_getaddrinfo(k->ares.ch, name, NULL, &h, resolved, q);
	zt_ares_arm(&k->ares);
	return 0;
}

bool zc_lookup_forget(struct connector *k, const struct zt_mux_stream *s)
{
	struct zc_lookup *q;

	for (q = k->lookups; q; q = q->next)
		if (q->s == s) {
			q->s = NULL;
			return true;
		}
	return false;
}

/* "ADDR" or "ADDR:PORT" or "[IPv6]:PORT" -> srv (port 53 by default). */
static int parse_server(const char *s, struct zt_ares_server *srv)
{
	char buf[80], *p = buf, *port = NULL, *end;
	unsigned long v = 53;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	if (*p == '[') {
		end = strchr(++p, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		*end = 0;
		port = end[1] ? end + 2 : NULL;
	} else if ((end = strchr(p, ':')) && !strchr(end + 1, ':')) {
		*end = 0;
		port = end + 1;
	}
	if (port) {
		errno = 0;
		v = strtoul(port, &end, 10);
		if (errno || *end || !v || v > 65535)
			return -EINVAL;
	}
	srv->port = (__u16)v;
	if (inet_pton(AF_INET, p, srv->addr) == 1)
		srv->family = AF_INET;
	else if (inet_pton(AF_INET6, p, srv->addr) == 1)
		srv->family = AF_INET6;
	else
		return -EINVAL;
	return 0;
}

int zc_resolver_open(struct connector *k, const char *server)
{
	struct zt_ares_server srv;
	int err;

	if (server && parse_server(server, &srv)) {
		fprintf(stderr, "ztconnector: --resolver must be ADDRESS, ADDRESS:PORT or "
			"[IPv6]:PORT, not '%s'\n", server);
		return -EINVAL;
	}
	err = ares_library_init(ARES_LIB_INIT_ALL);
	if (err == ARES_SUCCESS)
		err = zt_ares_open(&k->ares, k->loop, 1000, 2, server ? &srv : NULL, server ? 1 : 0);
	if (err != ARES_SUCCESS)
		pr_warn("setting up the resolver: %s; streams to hostnames are refused\n",
			ares_strerror(err));
	return 0;
}
