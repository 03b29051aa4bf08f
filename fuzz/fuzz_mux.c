// SPDX-License-Identifier: GPL-2.0
/* fuzz_mux — libFuzzer harness for the tunnel's frames (mux.h) and a
 * session reading them (session.h). The first byte picks: a header, an
 * OPEN or a HELLO record, or a user token's credential or text (what
 * parses is put again and must be the same bytes), or the rest fed to the gateway's session after a good HELLO, in
 * pieces whose sizes the input also picks, with streams accepted, read,
 * written to and released as it says. The session must never hold more
 * than its windows let the peer send, nor reserve past its cap. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "session.h"
#include "utoken.h"

static struct zt_mux *sess;
static const uint8_t *ctl;
static size_t nctl;

static uint8_t next_ctl(void)
{
	uint8_t c;

	if (!nctl)
		return 0;
	c = *ctl++;
	nctl--;
	return c;
}

static int f_open(void *arg, struct zt_mux_stream *s, const struct zt_mux_open *o)
{
	uint8_t c = next_ctl();

	(void)arg;
	(void)o;
	if (c % 5 == 0)
		return ZT_MUX_E_REFUSED;
	if (c % 5 != 1)
		zt_mux_accept(s);
	return 0;
}

static void f_event(void *arg, struct zt_mux_stream *s, unsigned evs)
{
	uint8_t c = next_ctl();
	const uint8_t *p;
	size_t n;

	(void)arg;
	if (evs & ZT_MUXE_RST) {
		zt_mux_release(s, 0);
		return;
	}
	n = zt_mux_peek(s, &p);
	if (c & 1)
		zt_mux_consume(s, n / (1 + (c >> 5)));
	if (c & 2)
		zt_mux_write(s, "reply", 5);
	if (c & 4)
		zt_mux_close(s);
	if ((c & 0x18) == 0x18)
		zt_mux_release(s, ZT_MUX_E_NONE);
}

static int f_hello(void *arg, uint16_t flags, const struct zt_mux_hello *h)
{
	(void)arg;
	(void)flags;
	(void)h;
	zt_mux_set_ready(sess);
	return 0;
}

static const struct zt_mux_ops ops = { .open = f_open, .event = f_event, .hello = f_hello };

static void records(const uint8_t *data, size_t size, uint8_t which)
{
	static uint8_t out[ZT_MUX_REC_MAX + ZT_MUX_HDR];
	struct zt_mux_hello h;
	struct zt_mux_open o;
	struct zt_mux_hdr hd;
	struct zt_buf b;
	int r;

	zt_buf_init(&b, (uint8_t *)data, size);
	r = which == 0 ? zt_mux_hdr_get(&b, &hd) : which == 1 ? zt_mux_open_get(&b, &o) :
							    zt_mux_hello_get(&b, &h);
	if (r || (which == 2 && h.version != ZT_MUX_PROTO && h.version != ZT_MUX_ACCESS))
		return; /* another version's HELLO is taken whole, unread */
	size = b.off; /* a header reads 12 bytes of what it is given */
	zt_buf_init(&b, out, sizeof(out));
	if (which == 0)
		zt_mux_hdr_put(&b, &hd);
	else if (which == 1)
		zt_mux_open_put(&b, &o);
	else
		zt_mux_hello_put(&b, &h);
	if (b.err || b.off != size || memcmp(out, data, size))
		__builtin_trap();
}

/* A credential (what HELLO version 2 carries) or a token's text. */
static void utoken(const uint8_t *data, size_t size, bool text)
{
	static uint8_t out[ZT_UTOKEN_CRED_MAX];
	static char s[ZT_UTOKEN_MAX + 64], back[ZT_UTOKEN_MAX];
	struct zt_utoken t;
	struct zt_buf b;

	if (text) {
		if (size >= sizeof(s))
			return;
		memcpy(s, data, size);
		s[size] = 0;
		if (!zt_utoken_get(s, &t) && zt_utoken_put(&t, back, sizeof(back)))
			__builtin_trap();
		return;
	}
	zt_buf_init(&b, (uint8_t *)data, size);
	if (zt_utoken_cred_get(&b, &t))
		return;
	zt_buf_init(&b, out, sizeof(out));
	zt_utoken_cred_put(&b, &t, true);
	if (b.err || b.off != size || memcmp(out, data, size))
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct zt_mux_limits lim = { .max_streams = 64, .mem_max = 8 * ZT_MUX_WINDOW0,
				     .out_max = 1 << 18 };
	static const uint8_t hello[] = { 0, ZT_MUX_HELLO, 0, ZT_MUX_SYN, 0, 0, 0, 0, 0, 0, 0, 53,
					 0, 1 };
	static uint8_t hbody[53 + ZT_MUX_HDR];
	const struct zt_mux_stats *st;
	struct zt_mux *m;
	size_t half;

	if (size < 2)
		return 0;
	if (data[0] < 3) {
		records(data + 1, size - 1, data[0]);
		return 0;
	}
	if (data[0] < 5) {
		utoken(data + 1, size - 1, data[0] == 4);
		return 0;
	}
	/* The control bytes (for the callbacks) are the first quarter, the
	 * frames the rest. */
	half = (size - 1) / 4;
	ctl = data + 1;
	nctl = half;
	data += 1 + half;
	size -= 1 + half;
	m = sess = zt_mux_new(false, &lim, &ops, NULL);
	if (!m)
		return 0;
	/* a HELLO: header, version 1, id and secret zero, conn 0 of 1, no name */
	memcpy(hbody, hello, sizeof(hello));
	hbody[ZT_MUX_HDR + 2 + 16 + 32 + 1] = 1;
	zt_mux_input(m, hbody, ZT_MUX_HDR + 53);
	while (size) {
		size_t piece = 1 + next_ctl() * 7u;
		const uint8_t *p;

		if (piece > size)
			piece = size;
		if (zt_mux_input(m, data, piece))
			break;
		data += piece;
		size -= piece;
		st = zt_mux_stats(m);
		if (st->buffered > st->reserved || st->reserved > lim.mem_max)
			__builtin_trap();
		if (next_ctl() & 1)
			zt_mux_out_done(m, zt_mux_out(m, &p));
	}
	zt_mux_abort(m);
	zt_mux_free(m);
	return 0;
}
