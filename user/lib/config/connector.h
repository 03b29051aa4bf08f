/* SPDX-License-Identifier: GPL-2.0 */
/* connector.h — ztconnector's config file (docs/tunnel.md, "ztconnector"):
 * the same settings as its command line, and its ingress rules: which
 * service a stream of the gateway's reaches, by the hostname and port it
 * asks for, the first rule that matches deciding; the last rule must
 * match everything. Validated whole, every error with its position, like
 * ztd's config (config.h). */
#ifndef ZT_CONNECTOR_CFG_H
#define ZT_CONNECTOR_CFG_H

#include <stddef.h>
#include <linux/types.h>
#include "config.h"
#include "hostname.h"

#define ZT_INGRESS_MAX 256

enum zt_ingress_service {
	ZT_INGRESS_DIAL = 0,   /* where the stream asks */
	ZT_INGRESS_REFUSE,     /* refused: RST 5 (the ingress rules refuse it) */
	ZT_INGRESS_TCP,        /* TCP to target:target_port instead (other protocols refused) */
};

struct zt_ingress_rule {
	char host[ZT_HOSTNAME_MAX + 1];   /* a hostname pattern (stored form); "": any */
	__u16 port;                       /* 0: any */
	__u8 service;                     /* enum zt_ingress_service */
	char target[ZT_HOSTNAME_MAX + 1]; /* TCP: an address or a name */
	__u16 target_port;
	unsigned line;                    /* where it is in the file */
};

struct zt_connector_cfg {
	char *token, *token_file, *name, *user, *resolver; /* NULL: not set */
	unsigned connections;                               /* 0: not set */
	struct zt_ingress_rule *ingress;
	size_t n_ingress;                                   /* 0: no rules (dial all) */
};

/* Parses and validates path: 0 with *out filled, -EINVAL with every error
 * in errs (nothing kept), or -errno when it cannot be read. */
int zt_connector_cfg_load(const char *path, struct zt_connector_cfg *out,
			  struct zt_cfg_errors *errs);
int zt_connector_cfg_parse(const char *name, const char *buf, size_t len,
			   struct zt_connector_cfg *out, struct zt_cfg_errors *errs);
void zt_connector_cfg_free(struct zt_connector_cfg *c);
/* The rule a stream to hostname (lower case; "" for an address) and port
 * meets: its index, first match wins; -1 with no rules. */
long zt_ingress_match(const struct zt_ingress_rule *r, size_t n, const char *hostname,
		      __u16 port);

#endif
