// SPDX-License-Identifier: GPL-2.0
/* gateway.c — the gateway section (interfaces, logs, DNS listeners, NAT
 * ports), and after all sections the interface list completed with the
 * local tunnels' private interfaces. */
#include <string.h>
#include "cfg_int.h"

static void iface_item(struct cx *x, yaml_node_t *n, void *arg)
{
	const char *s = cfg_scalar(x, n, "gateway.interface");
	char *d;

	(void)arg;
	if (!s)
		return;
	if (!*s || strlen(s) >= 16 || strpbrk(s, "/ \t:")) {
		cfg_errf(x, n, "'%s' is not a valid interface name", s);
		return;
	}
	if (x->c->n_ifaces == ZT_MAX_IFACES) {
		cfg_errf(x, n, "at most %d gateway interfaces", ZT_MAX_IFACES);
		return;
	}
	if ((d = cfg_strdup(x, s)))
		x->c->ifaces[x->c->n_ifaces++] = d;
}

/* An absolute path under key in map n into *out. */
static void abs_path(struct cx *x, yaml_node_t *m, const char *key, const char *what,
		     char **out)
{
	yaml_node_t *p = cfg_get(x, m, key);
	const char *s;

	if (!p || !(s = cfg_scalar(x, p, what)))
		return;
	if (s[0] != '/')
		cfg_errf(x, p, "%s must be an absolute path", what);
	else
		*out = cfg_strdup(x, s);
}

/* gateway.proxy.user: a login name (whether it exists is ztd's to find
 * at start; root is refused there). */
static void proxy_user(struct cx *x, yaml_node_t *k)
{
	const char *s = k ? cfg_scalar(x, k, "gateway.proxy.user") : NULL;
	size_t i;

	if (!s)
		return;
	for (i = 0; s[i]; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' ||
		      (i && ((s[i] >= '0' && s[i] <= '9') || s[i] == '-'))))
			break;
	if (!i || s[i] || i > 32) {
		cfg_errf(x, k, "gateway.proxy.user must be a user name (a-z, 0-9, '_', '-', "
			 "at most 32), not '%s'", s);
		return;
	}
	free(x->c->proxy_user);
	x->c->proxy_user = cfg_strdup(x, s);
}

void cfg_gateway(struct cx *x, yaml_node_t *g)
{
	static const char *const keys[] = { "interface", "default_action", "log",
					    "drop_events_per_sec", "dns_listen", "state_dir",
					    "nat_ports", "nat_per_device", "xdp_redirect_veth",
					    "proxy", "connector_listen", "connector_addresses",
					    "connector_udp_idle_ms", NULL };
	yaml_node_t *n;
	unsigned long v;

	if (!g) {
		cfg_errf(x, NULL, "missing section 'gateway' (at least gateway.interface)");
		return;
	}
	if (!cfg_is_map(x, g, "gateway"))
		return;
	cfg_check_keys(x, g, "gateway", keys);
	n = cfg_get(x, g, "interface");
	if (!n)
		cfg_errf(x, g, "gateway.interface is required: the interface client devices "
			 "arrive on");
	cfg_each(x, n, "gateway.interface", iface_item, NULL);
	if ((n = cfg_get(x, g, "default_action")))
		cfg_parse_action(x, n, "gateway.default_action", &x->c->default_action);
	if ((n = cfg_get(x, g, "drop_events_per_sec")) &&
	    cfg_parse_uint(x, n, "gateway.drop_events_per_sec", 0, 1000000, &v))
		x->c->drop_events_per_sec = (__u32)v;
	cfg_each(x, cfg_get(x, g, "dns_listen"), "gateway.dns_listen", cfg_endpoint_item,
		 &(struct eplist){ "gateway.dns_listen", x->c->dns_listen, &x->c->n_dns_listen,
				   ZT_MAX_DNS_LISTEN });
	cfg_each(x, cfg_get(x, g, "connector_listen"), "gateway.connector_listen",
		 cfg_endpoint_item,
		 &(struct eplist){ "gateway.connector_listen", x->c->connector_listen,
				   &x->c->n_connector_listen, ZT_MAX_CONNECTOR_LISTEN,
				   ZT_CONNECTOR_PORT });
	cfg_each(x, cfg_get(x, g, "connector_addresses"), "gateway.connector_addresses",
		 cfg_endpoint_item,
		 &(struct eplist){ "gateway.connector_addresses", x->c->connector_addresses,
				   &x->c->n_connector_addresses, ZT_MAX_CONNECTOR_LISTEN,
				   ZT_CONNECTOR_PORT });
	if ((n = cfg_get(x, g, "connector_udp_idle_ms")) &&
	    cfg_parse_uint(x, n, "gateway.connector_udp_idle_ms", 1000, 3600000, &v))
		x->c->connector_udp_idle_ms = (__u32)v;
	abs_path(x, g, "state_dir", "gateway.state_dir", &x->c->state_dir);
	/* Below the kernel's default ephemeral range they would collide with
	 * this node's own connections; 1024 is the floor. */
	if ((n = cfg_get(x, g, "nat_ports")))
		cfg_parse_port_range(x, n, "gateway.nat_ports", 1024, &x->c->nat_port_lo,
				     &x->c->nat_port_hi);
	if ((n = cfg_get(x, g, "nat_per_device")) &&
	    cfg_parse_uint(x, n, "gateway.nat_per_device", 1, ZT_MAX_NAT / 2, &v))
		x->c->nat_per_device = (__u32)v;
	if ((n = cfg_get(x, g, "xdp_redirect_veth")))
		cfg_parse_bool(x, n, "gateway.xdp_redirect_veth", &x->c->xdp_redirect_veth);
	if ((n = cfg_get(x, g, "proxy")) && cfg_is_map(x, n, "gateway.proxy")) {
		static const char *const pk[] = { "max_connections", "per_client",
						  "detect_timeout_ms", "detect_all_ports",
						  "blocked_logs_per_sec", "workers", "user", NULL };
		yaml_node_t *k;

		cfg_check_keys(x, n, "gateway.proxy", pk);
		if ((k = cfg_get(x, n, "max_connections")) &&
		    cfg_parse_uint(x, k, "gateway.proxy.max_connections", 1, 1000000, &v))
			x->c->proxy_max_conns = (__u32)v;
		if ((k = cfg_get(x, n, "per_client")) &&
		    cfg_parse_uint(x, k, "gateway.proxy.per_client", 1, 1000000, &v))
			x->c->proxy_per_client = (__u32)v;
		if ((k = cfg_get(x, n, "detect_timeout_ms")) &&
		    cfg_parse_uint(x, k, "gateway.proxy.detect_timeout_ms", 10, 60000, &v))
			x->c->proxy_detect_ms = (__u32)v;
		if ((k = cfg_get(x, n, "blocked_logs_per_sec")) &&
		    cfg_parse_uint(x, k, "gateway.proxy.blocked_logs_per_sec", 0, 1000000, &v))
			x->c->proxy_blocked_logs = (__u32)v;
		if ((k = cfg_get(x, n, "detect_all_ports")))
			cfg_parse_bool(x, k, "gateway.proxy.detect_all_ports",
				       &x->c->proxy_detect_all);
		/* 0: one per online CPU. */
		if ((k = cfg_get(x, n, "workers")) &&
		    cfg_parse_uint(x, k, "gateway.proxy.workers", 0, ZT_PROXY_PER_FAMILY, &v))
			x->c->proxy_workers = (__u32)v;
		proxy_user(x, cfg_get(x, n, "user"));
	}
	if ((n = cfg_get(x, g, "log")) && cfg_is_map(x, n, "gateway.log")) {
		static const char *const lk[] = { "network", "dns", NULL };

		cfg_check_keys(x, n, "gateway.log", lk);
		abs_path(x, n, "network", "gateway.log.network", &x->c->network_log);
		abs_path(x, n, "dns", "gateway.log.dns", &x->c->dns_log);
	}
}

/* After gateway.interface: the local tunnels' private interfaces (each once),
 * where the DIRECT path's translations happen; and what they require. */
void cfg_private_ifaces(struct cx *x)
{
	struct zt_config *c = x->c;
	size_t i, j;

	c->n_client_ifaces = c->n_ifaces;
	for (i = 0; i < c->n_tunnels; i++) {
		const char *p = c->tunnels[i].private_interface;
		bool dup = false;

		if (!p)
			continue;
		for (j = 0; j < c->n_ifaces; j++)
			if (!strcmp(c->ifaces[j], p)) {
				if (j < c->n_client_ifaces)
					cfg_errf_at(x, (size_t)x->tunnel_line[i], 1,
						    "tunnel '%s': private_interface %s is also a "
						    "gateway.interface; clients and the private "
						    "network need separate interfaces",
						    c->tunnels[i].name, p);
				dup = true;
			}
		if (dup)
			continue;
		if (c->n_ifaces == ZT_MAX_IFACES) {
			cfg_errf_at(x, (size_t)x->tunnel_line[i], 1,
				    "at most %d interfaces (gateway and private) in all",
				    ZT_MAX_IFACES);
			return;
		}
		if (!(c->ifaces[c->n_ifaces] = cfg_strdup(x, p)))
			return;
		c->n_ifaces++;
	}
	/* An IRI only means something once translated to the real address. */
	for (i = 0; i < c->n_host_routes; i++) {
		const struct zt_cfg_tunnel *t = &c->tunnels[c->host_routes[i].tunnel - 1];

		if (t->local && !t->private_interface)
			cfg_errf_at(x, (size_t)x->host_line[i], 1,
				    "hostname route '%s' goes to local tunnel '%s', which has "
				    "no private_interface: set it, so IRIs can be translated "
				    "to the real address there", c->host_routes[i].host,
				    t->name);
	}
}
