// SPDX-License-Identifier: GPL-2.0
/* test_detect — the proxy's protocol detection on a stream's first bytes:
 * an HTTP/1.x head gives its Host (port and case taken off; an address
 * is no name), every prefix of it is "wait for more"; smuggling shapes
 * (two Host headers, a bare LF, a space before the colon, obs-fold) are
 * malformed; a head past 8 KiB is too big. An SSH identification line
 * gives its software; a line over 255 bytes or with a control character
 * is refused. The detector picks the reader by the first bytes, a
 * WebDAV "SEARCH" is HTTP, and binary or a server-first silence is
 * `unknown`, never an error. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "detect.h"
#include "../lib/t.h"

#define S(x) ((const __u8 *)(x)), strlen(x)
#define B(x) ((const __u8 *)(x)), (sizeof(x) - 1) /* a literal with NULs */

static void http_host(void)
{
	const char *req = "GET /a?b HTTP/1.1\r\nUser-Agent: curl\r\nHOST:  App.Internal.Local:8443 \r\n"
			  "Accept: */*\r\n\r\nbody";
	struct zt_http_head h;
	size_t n;

	T_EQ(zt_http_read_head(S(req), &h), 0);
	T_ASSERT(!strcmp(h.method, "GET") && h.has_host, "method %s", h.method);
	T_ASSERT(!strcmp(h.host, "app.internal.local"), "host '%s'", h.host);
	T_EQ(h.consumed, strlen(req) - 4);
	for (n = 1; n < strlen(req) - 4; n++)
		T_ASSERT(zt_http_read_head((const __u8 *)req, n, &h) == -EAGAIN, "prefix %zu", n);
	T_EQ(zt_http_read_head(S("GET / HTTP/1.0\r\nHost: 10.2.0.5:80\r\n\r\n"), &h), 0);
	T_ASSERT(h.has_host && !h.host[0], "an address is no name");
	T_EQ(zt_http_read_head(S("GET / HTTP/1.0\r\nHost: [fd00::1]\r\n\r\n"), &h), 0);
	T_ASSERT(h.has_host && !h.host[0], "an IPv6 literal is no name");
	T_EQ(zt_http_read_head(S("GET / HTTP/1.0\r\n\r\n"), &h), 0);
	T_ASSERT(!h.has_host, "no Host");
}

static void http_malformed(void)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: a.b\r\nHost: c.d\r\n\r\n",   /* two Host */
		"GET / HTTP/1.1\nHost: a.b\r\n\r\n",                  /* a bare LF */
		"GET / HTTP/1.1\r\nHost : a.b\r\n\r\n",               /* space before ':' */
		"GET / HTTP/1.1\r\nX: y\r\n z\r\n\r\n",               /* obs-fold */
		"GET / HTTP/2.0\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n", "get / HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nX: a\x01\r\n\r\n", "GET / HTTP/1.1\rX\r\n\r\n",
	};
	static char big[ZT_HTTP_HEAD_MAX + 64];
	struct zt_http_head h;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_ASSERT(zt_http_read_head(S(bad[i]), &h) == -EBADMSG, "case %zu", i);
	snprintf(big, sizeof(big), "GET / HTTP/1.1\r\nX: ");
	memset(big + strlen(big), 'a', sizeof(big) - strlen(big) - 1);
	T_EQ(zt_http_read_head(S(big), &h), -EMSGSIZE);
}

static void ssh_line(void)
{
	const char *l = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\nxx";
	struct zt_ssh_banner s;
	char big[300];
	size_t n;

	T_EQ(zt_ssh_read_banner(S(l), &s), 0);
	T_ASSERT(!strcmp(s.proto, "2.0") && !strcmp(s.software, "OpenSSH_9.2p1 Debian-2+deb12u3"),
		 "'%s' '%s'", s.proto, s.software);
	T_EQ(s.consumed, strlen(l) - 2);
	for (n = 1; n < strlen(l) - 2; n++)
		T_ASSERT(zt_ssh_read_banner((const __u8 *)l, n, &s) == -EAGAIN, "prefix %zu", n);
	T_EQ(zt_ssh_read_banner(S("SSH-1.99-x\n"), &s), 0);
	T_ASSERT(!strcmp(s.proto, "1.99") && !strcmp(s.software, "x"), "1.99");
	T_EQ(zt_ssh_read_banner(S("SSH-1.5-x\r\n"), &s), -EBADMSG);
	T_EQ(zt_ssh_read_banner(S("SSH-2.0-\r\n"), &s), -EBADMSG);
	T_EQ(zt_ssh_read_banner(S("SSH-2.0-a\x01\r\n"), &s), -EBADMSG);
	T_EQ(zt_ssh_read_banner(S("SSH-2.0-a\rb\n"), &s), -EBADMSG);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "SSH-2.0-", 8);
	T_EQ(zt_ssh_read_banner(S(big), &s), -EMSGSIZE);
}

static void detector(void)
{
	const __u8 hello_start[] = { 0x16, 0x03, 0x01, 0x00, 0x40, 0x01 };
	struct zt_detected d;

	T_EQ(zt_detect(S("GET / HTTP/1.1\r\nHost: web.internal.local\r\n\r\n"), &d), 0);
	T_ASSERT(d.proto == ZT_PROTO_HTTP && !strcmp(d.name, "web.internal.local"), "http");
	T_EQ(zt_detect(S("SEARCH / HTTP/1.1\r\nHost: a.bc\r\n\r\n"), &d), 0);
	T_ASSERT(d.proto == ZT_PROTO_HTTP && !strcmp(d.name, "a.bc"), "SEARCH is HTTP");
	T_EQ(zt_detect(S("SSH-2.0-OpenSSH_9.2\r\n"), &d), 0);
	T_ASSERT(d.proto == ZT_PROTO_SSH && !strcmp(d.ssh_software, "OpenSSH_9.2"), "ssh");
	T_EQ(zt_detect(S("SS"), &d), -EAGAIN);
	T_EQ(zt_detect(S("GE"), &d), -EAGAIN);
	T_EQ(zt_detect(hello_start, sizeof(hello_start), &d), -EAGAIN);
	T_EQ(zt_detect(B("\x00\x01binary"), &d), 0);
	T_ASSERT(d.proto == ZT_PROTO_UNKNOWN && d.why == ZT_DETECT_OTHER, "binary");
	T_EQ(zt_detect(S("EHLO x\r\n"), &d), 0);  /* not a request line */
	T_ASSERT(d.proto == ZT_PROTO_UNKNOWN && d.why == ZT_DETECT_MALFORMED, "EHLO: %d", d.why);
	T_EQ(zt_detect(S("SSH-9\r\n"), &d), 0);
	T_ASSERT(d.proto == ZT_PROTO_UNKNOWN && d.why == ZT_DETECT_MALFORMED && !d.name[0],
		 "broken ssh");
	T_EQ(zt_detect(B("\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00"), &d), 0);
	T_ASSERT(d.proto == ZT_PROTO_UNKNOWN && d.why == ZT_DETECT_MALFORMED, "server hello");
	T_EQ(zt_l7_proto_parse("ssh"), ZT_PROTO_SSH);
	T_EQ(zt_l7_proto_parse("smtp"), -1);
	T_ASSERT(!strcmp(zt_l7_proto_name(ZT_PROTO_UNKNOWN), "unknown"), "names");
}

int main(void)
{
	T_RUN(http_host);
	T_RUN(http_malformed);
	T_RUN(ssh_line);
	T_RUN(detector);
	return t_done();
}
