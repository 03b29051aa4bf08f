// SPDX-License-Identifier: GPL-2.0
/* test_token — a connector's token (token.h) and base64url (b64.h): read
 * back as put; refused when cut at any length, with a byte more, with a
 * character outside the alphabet, with another prefix or version, with no
 * address or a port 0. */
#include <errno.h>
#include <string.h>
#include "b64.h"
#include "token.h"
#include "utoken.h"
#include "zt_abi.h"
#include "../lib/t.h"

static void test_b64(void)
{
	static const struct { const char *in, *out; } v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "\xfb\xff", "-_8" },
	};
	char out[16];
	__u8 back[16];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		zt_b64_encode((const __u8 *)v[i].in, strlen(v[i].in), out);
		T_ASSERT(!strcmp(out, v[i].out), "'%s' -> '%s', not '%s'", v[i].in, v[i].out, out);
		T_EQ(zt_b64_decode(out, strlen(out), back, sizeof(back)), (long)strlen(v[i].in));
		T_ASSERT(!memcmp(back, v[i].in, strlen(v[i].in)), "decoded back");
	}
	T_EQ(zt_b64_decode("Zm9v+", 5, back, sizeof(back)), -EBADMSG); /* '+' not url-safe */
	T_EQ(zt_b64_decode("Z", 1, back, sizeof(back)), -EBADMSG);     /* no such length */
	T_EQ(zt_b64_decode("Zh", 2, back, sizeof(back)), -EBADMSG);    /* bits left over */
	T_EQ(zt_b64_decode("Zm9v", 4, back, 2), -EBADMSG);             /* past max */
}

static void test_token(void)
{
	struct zt_token t = { .name = "dc-1", .n_addrs = 2 }, g;
	char s[ZT_TOKEN_MAX], c[ZT_TOKEN_MAX + 8];
	size_t n, k;

	memset(t.id, 1, sizeof(t.id));
	memset(t.secret, 2, sizeof(t.secret));
	memset(t.pin, 3, sizeof(t.pin));
	t.addrs[0] = (struct zt_token_addr){ ZT_AF_INET, { 10, 2, 0, 1 }, 7844 };
	t.addrs[1] = (struct zt_token_addr){ ZT_AF_INET6, { 0xfd, 0, 0, 2, [15] = 1 }, 443 };
	T_EQ(zt_token_put(&t, s, sizeof(s)), 0);
	T_ASSERT(!strncmp(s, "zt1.", 4), "prefix");
	T_EQ(zt_token_get(s, &g), 0);
	T_ASSERT(!memcmp(&t, &g, sizeof(g)), "read back as put");
	snprintf(c, sizeof(c), "  %s\n", s);
	T_EQ(zt_token_get(c, &g), 0); /* white space around it, as in a file */
	n = strlen(s);
	for (k = 5; k < n; k++) {
		memcpy(c, s, k);
		c[k] = 0;
		T_ASSERT(zt_token_get(c, &g) == -EBADMSG, "cut at %zu refused", k);
	}
	snprintf(c, sizeof(c), "%sA", s);
	T_EQ(zt_token_get(c, &g), -EBADMSG);
	memcpy(c, s, n + 1);
	c[10] = '*';
	T_EQ(zt_token_get(c, &g), -EBADMSG);
	memcpy(c, s, n + 1);
	c[2] = '2';
	T_EQ(zt_token_get(c, &g), -EBADMSG);
	t.addrs[1].port = 0;
	T_EQ(zt_token_put(&t, s, sizeof(s)), 0);
	T_EQ(zt_token_get(s, &g), -EBADMSG);
	t.n_addrs = 0;
	T_EQ(zt_token_put(&t, s, sizeof(s)), -EINVAL);
}

/* A user's token: read back as put (the credential whole, the pin and
 * addresses); refused cut anywhere or with a byte more, with another
 * prefix, expiring before it was issued, with an empty email. */
static void test_utoken(void)
{
	struct zt_utoken t = { .issued = 1000, .expires = 5000, .email = "admin@example.com",
			       .groups = "ops,dev", .n_addrs = 1 }, g;
	char s[ZT_UTOKEN_MAX], c[ZT_UTOKEN_MAX + 8], id[33];
	__u8 rec[ZT_UTOKEN_CRED_MAX];
	struct zt_buf b;
	size_t n, k;

	memset(t.id, 0xa5, sizeof(t.id));
	memset(t.sig, 0x5a, sizeof(t.sig));
	memset(t.pin, 3, sizeof(t.pin));
	t.addrs[0] = (struct zt_token_addr){ ZT_AF_INET, { 10, 2, 0, 1 }, 7844 };
	T_EQ(zt_utoken_put(&t, s, sizeof(s)), 0);
	T_ASSERT(!strncmp(s, "ztu1.", 5), "prefix");
	T_EQ(zt_utoken_get(s, &g), 0);
	T_ASSERT(!memcmp(&t, &g, sizeof(g)), "read back as put");
	T_EQ(zt_token_get(s, &(struct zt_token){ 0 }), -EBADMSG); /* not a connector's */
	n = strlen(s);
	for (k = 6; k < n; k++) {
		memcpy(c, s, k);
		c[k] = 0;
		T_ASSERT(zt_utoken_get(c, &g) == -EBADMSG, "cut at %zu refused", k);
	}
	snprintf(c, sizeof(c), "%sA", s);
	T_EQ(zt_utoken_get(c, &g), -EBADMSG);
	zt_buf_init(&b, rec, sizeof(rec));
	zt_utoken_cred_put(&b, &t, true);
	n = b.off;
	T_EQ(n, 1 + 16 + 8 + 8 + 1 + 17 + 1 + 0 + 1 + 7 + 64);
	for (k = 0; k < n; k++) {
		zt_buf_init(&b, rec, k);
		T_ASSERT(zt_utoken_cred_get(&b, &g) == -EBADMSG, "credential cut at %zu refused", k);
	}
	t.expires = t.issued;
	T_EQ(zt_utoken_put(&t, s, sizeof(s)), 0);
	T_EQ(zt_utoken_get(s, &g), -EBADMSG);
	t.expires = 5000;
	t.email[0] = 0;
	T_EQ(zt_utoken_put(&t, s, sizeof(s)), 0);
	T_EQ(zt_utoken_get(s, &g), -EBADMSG);
	zt_utoken_id_str(t.id, id);
	T_ASSERT(!strcmp(id, "a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5"), "id %s", id);
}

int main(void)
{
	T_RUN(test_b64);
	T_RUN(test_token);
	T_RUN(test_utoken);
	return t_done();
}
