// SPDX-License-Identifier: GPL-2.0
/* test_connector_cfg — ztconnector's config file (connector.h): the
 * settings and ingress rules read back; each mistake refused with its
 * line and column (no catch-all last, a catch-all before the end, a
 * service that is none of the three, a port out of range, an unknown key,
 * a token given twice, an empty list); the first matching rule decides. */
#include <errno.h>
#include <string.h>
#include "connector.h"
#include "../lib/t.h"

static int parse(const char *y, struct zt_connector_cfg *c, struct zt_cfg_errors *e)
{
	return zt_connector_cfg_parse("c.yaml", y, strlen(y), c, e);
}

static void reads_back(void)
{
	static const char y[] =
		"token_file: /etc/zt/dc.token\n"
		"connections: 2\n"
		"name: dc1\n"
		"resolver: 10.20.0.5\n"
		"ingress:\n"
		"  - {hostname: ssh.corp.internal, port: 22, service: 'tcp://127.0.0.1:22'}\n"
		"  - {hostname: '*.corp.internal', port: 80, service: dial}\n"
		"  - {port: 53, service: 'tcp://[fd00::5]:5353'}\n"
		"  - {hostname: db.corp.internal, port: 5432, service: 'tcp://DB.inside.:5432'}\n"
		"  - {service: refuse}\n";
	struct zt_connector_cfg c;
	struct zt_cfg_errors e;

	T_EQ(parse(y, &c, &e), 0);
	T_ASSERT(!strcmp(c.token_file, "/etc/zt/dc.token") && c.connections == 2 &&
		 !strcmp(c.name, "dc1") && !strcmp(c.resolver, "10.20.0.5") && !c.token,
		 "settings");
	T_EQ(c.n_ingress, 5);
	T_ASSERT(c.ingress[0].service == ZT_INGRESS_TCP && !strcmp(c.ingress[0].target, "127.0.0.1") &&
		 c.ingress[0].target_port == 22 && c.ingress[0].line == 6, "rule 1");
	T_ASSERT(c.ingress[1].service == ZT_INGRESS_DIAL && c.ingress[1].port == 80 &&
		 !strcmp(c.ingress[1].host, "*.corp.internal"), "rule 2");
	T_ASSERT(!strcmp(c.ingress[2].target, "fd00::5") && c.ingress[2].target_port == 5353,
		 "rule 3: [IPv6]");
	T_ASSERT(c.ingress[4].service == ZT_INGRESS_REFUSE && !c.ingress[4].host[0], "catch-all");
	T_EQ(zt_ingress_match(c.ingress, c.n_ingress, "ssh.corp.internal", 22), 0);
	T_EQ(zt_ingress_match(c.ingress, c.n_ingress, "ssh.corp.internal", 80), 1);
	T_ASSERT(!strcmp(c.ingress[3].target, "db.inside"), "a name stored normalised: %s",
		 c.ingress[3].target);
	T_EQ(zt_ingress_match(c.ingress, c.n_ingress, "web.corp.internal", 80), 1);
	T_EQ(zt_ingress_match(c.ingress, c.n_ingress, "web.corp.internal", 81), 4);
	T_EQ(zt_ingress_match(c.ingress, c.n_ingress, "a.b.corp.internal", 80), 4);
	T_EQ(zt_ingress_match(c.ingress, c.n_ingress, "", 53), 2); /* an address, port 53 */
	T_EQ(zt_ingress_match(c.ingress, c.n_ingress, "", 22), 4); /* hostnames need one */
	T_EQ(zt_ingress_match(NULL, 0, "x", 1), -1);
	zt_connector_cfg_free(&c);
}

static void refused(void)
{
	static const struct {
		const char *yaml, *err;
	} v[] = {
		{ "ingress:\n  - {hostname: a.b, service: dial}\n",
		  "c.yaml:2:5: the last ingress rule must match everything" },
		{ "ingress:\n  - {service: dial}\n  - {hostname: a.b, service: refuse}\n  - {service: refuse}\n",
		  "c.yaml:2:5: this ingress rule matches everything" },
		{ "ingress:\n  - {service: 'http://x:1'}\n",
		  "is not dial, refuse or tcp://HOST:PORT" },
		{ "ingress:\n  - {service: 'tcp://x:0'}\n", "the port must be 1 to 65535" },
		{ "ingress:\n  - {port: 1, service: 'tcp://x:+22'}\n  - {service: dial}\n",
		  "the port must be 1 to 65535" },
		{ "ingress:\n  - {port: 1, service: 'tcp://1::2:3'}\n  - {service: dial}\n",
		  "goes in brackets" },
		{ "ingress:\n  - {port: 1, service: 'tcp://bad host:22'}\n  - {service: dial}\n",
		  "'bad host'" },
		{ "ingress:\n  - {hostname: a.b, service: 'tcp://x:22'}\n  - {service: dial}\n",
		  "needs the port it takes" },
		{ "ingress:\n  - {hostname: 10.0.0.5, service: refuse}\n  - {service: dial}\n",
		  "is an address" },
		{ "ingress:\n  - {port: 70000, service: dial}\n  - {service: dial}\n", "port" },
		{ "ingress:\n  - {hostname: 'a..b', service: dial}\n  - {service: dial}\n", "hostname" },
		{ "ingress:\n  - {hostname: a.b}\n  - {service: dial}\n", "needs a service" },
		{ "ingress:\n  - {service: dial, colour: blue}\n", "colour" },
		{ "ingress: []\n", "at least its last rule" },
		{ "ingress: {service: dial}\n", "must be a list" },
		{ "token: x\ntoken_file: y\n", "not both" },
		{ "connections: 17\n", "connections" },
		{ "tokn: x\n", "tokn" },
		{ "ingress: [\n", "YAML syntax" },
	};
	struct zt_connector_cfg c;
	struct zt_cfg_errors e;
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool found = false;

		T_EQ(parse(v[i].yaml, &c, &e), -EINVAL);
		for (j = 0; j < e.n; j++)
			found |= strstr(e.msg[j], v[i].err) != NULL;
		T_ASSERT(found, "case %zu: '%s' in %s", i, v[i].err, e.n ? e.msg[0] : "(none)");
		T_ASSERT(!c.ingress && !c.token, "case %zu: nothing kept", i);
		zt_cfg_errors_free(&e);
	}
}

int main(void)
{
	T_RUN(reads_back);
	T_RUN(refused);
	return t_done();
}
