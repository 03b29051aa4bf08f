// SPDX-License-Identifier: GPL-2.0
/* http.c — see http.h. RFC 9112 (message syntax: request line, field
 * lines, CRLF), RFC 9110 §7.2 (Host). Strict where leniency is what
 * request smuggling lives on: a lone CR or LF, whitespace before a colon,
 * or a second Host header make the request malformed. */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "buf.h"
#include "http.h"

/* tchar (RFC 9110 §5.6.2) */
static bool tchar(__u8 c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* The next line (without its CRLF) into *line: 0, -EAGAIN when the
 * stream ends first, -EBADMSG for a CR not before LF or a LF alone. */
static int next_line(struct zt_buf *b, struct zt_buf *line)
{
	size_t i;

	for (i = b->off; i < b->len; i++) {
		if (b->p[i] == '\n')
			return -EBADMSG;
		if (b->p[i] != '\r')
			continue;
		if (i + 1 == b->len)
			return -EAGAIN;
		if (b->p[i + 1] != '\n')
			return -EBADMSG;
		zt_buf_init(line, b->p + b->off, i - b->off);
		b->off = i + 2;
		return 0;
	}
	return -EAGAIN;
}

/* "GET /x HTTP/1.1": a method of tchars, a target without spaces or
 * controls, and the version. A prefix of one (the line not ended yet)
 * gives -EAGAIN. */
static int request_line(const __u8 *p, size_t n, bool whole, struct zt_http_head *h)
{
	static const char ver[] = "HTTP/1.";
	size_t i = 0, m, t;

	while (i < n && tchar(p[i]) && i < ZT_HTTP_METHOD_MAX)
		i++;
	if (i == n && !whole)
		return -EAGAIN;
	if (!i || i == n || p[i] != ' ')
		return -EBADMSG;
	for (m = 0; m < i; m++)
		if (!isupper(p[m]))
			return -EBADMSG;
	memcpy(h->method, p, i);
	h->method[i] = 0;
	for (t = ++i; i < n && p[i] > ' ' && p[i] < 0x7f; i++)
		;
	if (i == n && !whole)
		return -EAGAIN;
	if (i == t || i == n || p[i] != ' ')
		return -EBADMSG;
	for (i++, m = 0; i < n && m < sizeof(ver) - 1; i++, m++)
		if (p[i] != (__u8)ver[m])
			return -EBADMSG;
	if (i == n)
		return whole ? -EBADMSG : -EAGAIN;
	if (!isdigit(p[i++]))
		return -EBADMSG;
	if (whole)
		return i == n ? 0 : -EBADMSG;
	/* not ended yet: at most the CR of its CRLF follows */
	return i == n || (p[i] == '\r' && i + 1 == n) ? -EAGAIN : -EBADMSG;
}

/* The Host field's value (OWS trimmed) -> h->host: a name, lower case,
 * its port taken off; an IP literal or anything else leaves it empty. */
static void host_value(const __u8 *v, size_t n, struct zt_http_head *h)
{
	char in[ZT_HOSTNAME_MAX + 2];
	const char *why;
	size_t i;

	h->has_host = true;
	h->host[0] = 0;
	if (n && v[0] == '[')
		return; /* an IPv6 literal */
	for (i = 0; i < n && v[i] != ':'; i++)
		;
	if (i < n) { /* a port: digits only */
		size_t j;

		for (j = i + 1; j < n; j++)
			if (!isdigit(v[j]))
				return;
	}
	if (!i || i > ZT_HOSTNAME_MAX)
		return;
	memcpy(in, v, i);
	in[i] = 0;
	/* A name has a dot, and its last label is not a number (an IPv4
	 * address in any of its forms is not a name). */
	if (zt_hostname_norm(in, false, h->host, &why) || !strchr(h->host, '.') ||
	    strspn(strrchr(h->host, '.') + 1, "0123456789") == strlen(strrchr(h->host, '.') + 1))
		h->host[0] = 0;
}

int zt_http_read_head(const __u8 *stream, size_t len, struct zt_http_head *h)
{
	struct zt_buf b, line;
	size_t n = len < ZT_HTTP_HEAD_MAX ? len : ZT_HTTP_HEAD_MAX;
	int err;

	memset(h, 0, sizeof(*h));
	zt_buf_init(&b, (void *)stream, n);
	err = next_line(&b, &line);
	if (err == -EAGAIN) {
		err = request_line(stream, b.len, false, h);
		if (err == -EAGAIN && len >= ZT_HTTP_HEAD_MAX)
			return -EMSGSIZE;
		return err;
	}
	if (err || (err = request_line(line.p, line.len, true, h)))
		return err;
	for (;;) {
		size_t i, k, e;

		err = next_line(&b, &line);
		if (err == -EAGAIN)
			return len >= ZT_HTTP_HEAD_MAX ? -EMSGSIZE : -EAGAIN;
		if (err)
			return err;
		if (!line.len)
			break;
		for (i = 0; i < line.len && tchar(line.p[i]); i++)
			;
		if (!i || i == line.len || line.p[i] != ':')
			return -EBADMSG; /* obs-fold, a space before the colon, no name */
		for (k = i + 1; k < line.len && (line.p[k] == ' ' || line.p[k] == '\t'); k++)
			;
		for (e = line.len; e > k && (line.p[e - 1] == ' ' || line.p[e - 1] == '\t'); e--)
			;
		for (size_t j = k; j < e; j++)
			if ((line.p[j] < ' ' && line.p[j] != '\t') || line.p[j] == 0x7f)
				return -EBADMSG;
		if (i == 4 && !strncasecmp((const char *)line.p, "host", 4)) {
			if (h->has_host)
				return -EBADMSG;
			host_value(line.p + k, e - k, h);
		}
	}
	h->consumed = b.off;
	return 0;
}
