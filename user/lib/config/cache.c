// SPDX-License-Identifier: GPL-2.0
/* cache.c — the route-list cache: routes.cidr cut out of the file and
 * parsed in chunks that a reload reuses while their text is unchanged. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cfg_int.h"
#include "hash.h"

/* A million routes are ~45 MB of YAML that libyaml reads in seconds; a
 * reload that changes one of them must not. When routes.cidr is a block
 * list in a block mapping (how a generated route table is written), its
 * items are cut out of the document, the rest is parsed as usual with one
 * placeholder line, and the items are split into chunks at content-defined
 * boundaries (an item whose hash ends in 9 zero bits closes a chunk), so an
 * edit changes one chunk and an insertion shifts no boundary. Each chunk is
 * parsed alone with the same cfg_route_item() as the plain parse; its
 * routes are kept in the cache with its text and reused while the text,
 * and the vnet and tunnel names they were resolved with, are unchanged.
 * The splitter first tries the previous file's next chunk at memcmp speed
 * and reads items one by one only where the text differs, so an unchanged
 * million-route list costs one comparison, not a line scan. Anything
 * unusual in the list (anchors, aliases, tabs, CRs) and any error fall back
 * to the plain parse of the whole file, so results and messages never
 * differ. */

#define CHUNK_MASK  511u   /* ~512 items per chunk */
#define CHUNK_MAX   4096u

struct cchunk {
	__u64 hash;
	const char *text; size_t len;    /* into the cache's buffer */
	size_t line, lines;              /* its first line (0-based), its line count */
	struct zt_cfg_route *routes; struct rpos *pos; size_t n; /* pos: from line */
	struct cchunk *same;             /* during a parse: the old chunk of this text */
	bool at_end;                     /* closed by the list's end, not a boundary */
	bool ok;                         /* parsed without an error: routes are right */
	bool taken;
};

struct zt_cfg_cache {
	char *buf;                       /* the text the chunks point into */
	__u64 ctx;                       /* names the routes were resolved with */
	struct cchunk *ch; size_t n;
	const char *cur;                 /* during a parse: the file's text */
	size_t start, end, line;         /* the list's items in cur */
	size_t ind;                      /* their indentation */
	struct cchunk *nw; size_t n_nw;  /* during a parse: its chunks */
	size_t *slot, n_slot;            /* during a parse: old chunks by hash */
	size_t lines;                    /* during a parse: the list's line count */
	size_t reused, parsed;           /* chunks, in the last parse */
};

struct zt_cfg_cache *zt_cfg_cache_new(void)
{
	return calloc(1, sizeof(struct zt_cfg_cache));
}

static void chunk_free(struct cchunk *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->routes[i].comment);
	free(c->routes);
	free(c->pos);
	c->routes = NULL;
	c->pos = NULL;
	c->n = 0;
}

static void cache_drop(struct zt_cfg_cache *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		chunk_free(&c->ch[i]);
	free(c->ch);
	c->ch = NULL;
	c->n = 0;
}

void zt_cfg_cache_free(struct zt_cfg_cache *c)
{
	if (!c)
		return;
	cache_drop(c);
	free(c->buf);
	free(c);
}

void zt_cfg_cache_stats(const struct zt_cfg_cache *c, size_t *reused, size_t *parsed)
{
	*reused = c ? c->reused : 0;
	*parsed = c ? c->parsed : 0;
}

static size_t indent_of(const char *l, const char *end)
{
	const char *p = l;

	while (p < end && *p == ' ')
		p++;
	return (size_t)(p - l);
}

/* A line with nothing but spaces or a comment. */
static bool blank_line(const char *l, const char *end)
{
	l += indent_of(l, end);
	return l >= end || *l == '\n' || *l == '#';
}

static const char *next_line(const char *l, const char *end)
{
	const char *nl = memchr(l, '\n', (size_t)(end - l));

	return nl ? nl + 1 : end;
}

/* key: at l (after its indentation), then only spaces or a comment. */
static bool key_line(const char *l, const char *end, const char *key)
{
	size_t k = strlen(key);

	if ((size_t)(end - l) < k || memcmp(l, key, k))
		return false;
	l += k;
	while (l < end && *l == ' ')
		l++;
	return l >= end || *l == '\n' || *l == '#';
}

static bool item_line(const char *l, const char *end, size_t ind)
{
	return indent_of(l, end) == ind && l + ind < end && l[ind] == '-' &&
	       (l + ind + 1 >= end || l[ind + 1] == ' ' || l[ind + 1] == '\n');
}

/* Whether the line at l would end the item before it (an item's lines go
 * on through blank lines and deeper indentation). */
static bool item_ends(const char *l, const char *end, size_t ind)
{
	return l >= end || item_line(l, end, ind) ||
	       (!blank_line(l, end) && indent_of(l, end) <= ind);
}

/* The old chunks by hash (slot: index + 1, 0 = empty), built on first use. */
static int old_slots(struct zt_cfg_cache *c)
{
	size_t i;

	if (c->slot)
		return 0;
	c->n_slot = 16;
	while (c->n_slot < 2 * c->n)
		c->n_slot *= 2;
	c->slot = calloc(c->n_slot, sizeof(*c->slot));
	if (!c->slot)
		return -ENOMEM;
	for (i = 0; i < c->n; i++) {
		size_t j = c->ch[i].hash & (c->n_slot - 1);

		while (c->slot[j])
			j = (j + 1) & (c->n_slot - 1);
		c->slot[j] = i + 1;
	}
	return 0;
}

static void slots_free(struct zt_cfg_cache *c)
{
	free(c->slot);
	c->slot = NULL;
	c->n_slot = 0;
}

static struct cchunk *cache_find(struct cx *x, struct zt_cfg_cache *c, const char *text,
				 size_t len, __u64 h)
{
	size_t i;

	if (old_slots(c)) {
		x->oom = true;
		return NULL;
	}
	for (i = h & (c->n_slot - 1); c->slot[i]; i = (i + 1) & (c->n_slot - 1)) {
		struct cchunk *o = &c->ch[c->slot[i] - 1];

		if (o->hash == h && o->len == len && o->ok && !o->taken &&
		    !memcmp(o->text, text, len))
			return o;
	}
	return NULL;
}

/* The previous file's chunk o, if the text at l is its text and would be
 * cut the same way here (what follows ends its last item, and the list
 * goes on or ends as it did). */
static bool chunk_same(const struct cchunk *o, const char *l, const char *end, size_t ind)
{
	const char *e = l + o->len;

	return o->len <= (size_t)(end - l) && o->ok && !o->taken && !memcmp(o->text, l, o->len) &&
	       item_ends(e, end, ind) && (o->at_end ? !item_line(e, end, ind) : true);
}

/* From the first item at c->start: each item is its line and what is
 * indented under it (or blank); the list ends at the first other line.
 * Chunks close after an item whose hash ends in CHUNK_MASK zero bits.
 * Where the text is the previous file's next chunk, that chunk is taken
 * whole (same text, same cut); only differing text is read item by item,
 * and after it the old chunk of the same text, if any, is where the
 * comparison picks up again. */
static bool split_chunks(struct cx *x, struct zt_cfg_cache *c, const char *b, size_t len)
{
	const char *end = b + len, *l = b + c->start;
	size_t line = c->line, next = 0, n = 0;

	c->nw = NULL;
	while (l < end && item_line(l, end, c->ind)) {
		const char *cs = l;
		size_t cline = line, items = 0;
		bool cut = false;
		struct cchunk *o = next < c->n ? &c->ch[next] : NULL;
		__u64 h = 0;

		if (cfg_grow(x, (void **)&c->nw, n, sizeof(*c->nw))) {
			free(c->nw);
			c->nw = NULL;
			return false;
		}
		if (o && chunk_same(o, l, end, c->ind)) {
			c->nw[n++] = (struct cchunk){ .hash = o->hash, .text = l, .len = o->len,
						      .line = line, .lines = o->lines,
						      .at_end = o->at_end, .same = o };
			l += o->len;
			line += o->lines;
			next++;
			continue;
		}
		for (;;) {
			const char *it = l;
			__u64 hi;

			l = next_line(l, end);
			line++;
			while (!item_ends(l, end, c->ind)) {
				l = next_line(l, end);
				line++;
			}
			hi = zt_hash64(it, (size_t)(l - it), 0x2a);
			h = zt_hash64((const char *)&hi, sizeof(hi), h);
			cut = !(hi & CHUNK_MASK) || ++items >= CHUNK_MAX;
			if (cut || l >= end || !item_line(l, end, c->ind))
				break;
		}
		/* Unusual text sends the whole file to the plain parse. */
		if (memchr(cs, '&', (size_t)(l - cs)) || memchr(cs, '*', (size_t)(l - cs)) ||
		    memchr(cs, '\t', (size_t)(l - cs)) || memchr(cs, '\r', (size_t)(l - cs))) {
			free(c->nw);
			c->nw = NULL;
			return false;
		}
		c->nw[n] = (struct cchunk){ .hash = h, .text = cs, .len = (size_t)(l - cs),
					    .line = cline, .lines = line - cline,
					    .at_end = !cut };
		o = cache_find(x, c, cs, (size_t)(l - cs), h);
		c->nw[n].same = o;
		if (o)
			next = (size_t)(o - c->ch) + 1;
		else if (next < c->n)
			next++; /* an edit in place: the next chunk may well be the same */
		n++;
	}
	c->n_nw = n;
	c->end = (size_t)(l - b);
	c->lines = line - c->line;
	return n > 0;
}

/* The first top-level "routes:" line at or after l, or NULL. */
static const char *routes_key(const char *l, const char *end)
{
	while (l < end) {
		const char *s;

		if (key_line(l, end, "routes:"))
			return l;
		s = memmem(l, (size_t)(end - l), "\nroutes:", 8);
		l = s ? s + 1 : end;
	}
	return NULL;
}

/* Finds routes.cidr's items in the block layout; false for anything else.
 * The list's lines are all indented, so a second top-level "routes:" can
 * only be after it. */
static bool find_cidr_items(struct cx *x, struct zt_cfg_cache *c, const char *b, size_t len)
{
	const char *end = b + len, *l, *r = routes_key(b, end);
	size_t line = 0, i1 = 0, ind;
	bool in_cidr = false;

	if (!r)
		return false;
	for (l = b; l < r; l = next_line(l, end))
		line++;
	for (l = next_line(r, end), line++; l < end; l = next_line(l, end), line++) {
		size_t in;

		if (blank_line(l, end))
			continue;
		in = indent_of(l, end);
		if (in_cidr)
			break;
		if (!in)
			return false; /* routes ended without cidr */
		if (!i1)
			i1 = in;
		if (in == i1 && key_line(l + in, end, "cidr:"))
			in_cidr = true;
	}
	if (!in_cidr || l >= end)
		return false;
	ind = indent_of(l, end);
	if (ind < i1 || !item_line(l, end, ind))
		return false;
	c->start = (size_t)(l - b);
	c->line = line;
	c->ind = ind;
	if (!split_chunks(x, c, b, len))
		return false;
	if (routes_key(b + c->end, end)) {
		free(c->nw);
		c->nw = NULL;
		return false;
	}
	c->cur = b;
	return true;
}

void cfg_cache_cut(struct cx *x, struct zt_cfg_cache *c, const char *buf, size_t len,
		   char **rest, size_t *rest_len)
{
	size_t ph, k;
	char *r;

	c->reused = c->parsed = 0;
	if (!find_cidr_items(x, c, buf, len))
		return;
	/* The document without the list's items: one placeholder line. */
	ph = c->ind > 0 ? c->ind : 1;
	r = malloc(c->start + ph + 3 + (len - c->end) + 1);
	if (!r) {
		x->oom = true;
		return;
	}
	memcpy(r, buf, c->start);
	k = c->start;
	memset(r + k, ' ', ph);
	k += ph;
	memcpy(r + k, "[]\n", 3);
	k += 3;
	memcpy(r + k, buf + c->end, len - c->end);
	k += len - c->end;
	x->cache = c;
	x->ph_line = c->line;
	x->ph_lines = c->lines;
	*rest = r;
	*rest_len = k;
}

static __u64 names_hash(const struct zt_config *c)
{
	__u64 h = 0x5a7e;
	size_t i;

	for (i = 0; i < c->n_vnets; i++)
		h = zt_hash64(c->vnets[i].name, strlen(c->vnets[i].name) + 1, h);
	for (i = 0; i < c->n_tunnels; i++) {
		h = zt_hash64(c->tunnels[i].name, strlen(c->tunnels[i].name) + 1, h);
		h = zt_hash64((const char *)&c->tunnels[i].vnet, sizeof(c->tunnels[i].vnet), h);
	}
	return h;
}

/* Room for `want` elements in an array cfg_grow() keeps (capacity: n's power
 * of two), in one step; -ENOMEM as cfg_grow(). */
static int grow_to(struct cx *x, void **p, size_t n, size_t want, size_t size)
{
	size_t cap = 1;
	void *q;

	while (cap < want || cap < n)
		cap *= 2;
	q = realloc(*p, cap * size);
	if (!q) {
		x->oom = true;
		return -ENOMEM;
	}
	*p = q;
	return 0;
}

/* Appends k routes with their positions (lines from `line`). */
static void add_routes(struct cx *x, const struct zt_cfg_route *r, const struct rpos *pos,
		       size_t k, size_t line)
{
	size_t n = x->c->n_routes, i;

	if (!k || grow_to(x, (void **)&x->c->routes, n, n + k, sizeof(*r)) ||
	    grow_to(x, (void **)&x->rpos, n, n + k, sizeof(*pos)))
		return;
	memcpy(x->c->routes + n, r, k * sizeof(*r));
	for (i = 0; i < k; i++) {
		if (r[i].comment)
			x->c->routes[n + i].comment = cfg_strdup(x, r[i].comment);
		x->rpos[n + i] = (struct rpos){ pos[i].line + line, pos[i].col };
	}
	x->c->n_routes = n + k;
}

/* Parses one chunk's items into the config; keeps a copy in ch when it
 * had no error (and every route of it could be kept). */
static void chunk_parse(struct cx *x, struct cchunk *ch)
{
	yaml_document_t *outer = x->doc, doc;
	size_t n0 = x->c->n_routes, e0 = x->e->n + x->e->dropped, i, k;
	struct zt_cfg_route *routes;
	struct rpos *pos;
	yaml_parser_t parser;
	yaml_node_t *root;

	if (!yaml_parser_initialize(&parser)) {
		x->oom = true;
		return;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)ch->text, ch->len);
	x->in_chunk = true;
	x->chunk_line = ch->line;
	if (!yaml_parser_load(&parser, &doc)) {
		if (cfg_yaml_oom(&parser))
			x->oom = true;
		else
			cfg_errf_at(x, ch->line + parser.problem_mark.line + 1,
				    parser.problem_mark.column + 1, "YAML syntax: %s",
				    parser.problem ? parser.problem : "error");
		goto out;
	}
	x->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SEQUENCE_NODE) {
		yaml_node_item_t *it;

		for (it = root->data.sequence.items.start; it < root->data.sequence.items.top; it++)
			cfg_route_item(x, cfg_node(x, *it));
	} else {
		cfg_errf(x, root, "routes.cidr must be a list");
	}
	yaml_document_delete(&doc);
	x->doc = outer;
	if (x->oom || x->e->n + x->e->dropped != e0)
		goto out;
	k = x->c->n_routes - n0;
	routes = malloc((k + 1) * sizeof(*routes));
	pos = malloc((k + 1) * sizeof(*pos));
	if (!routes || !pos) {
		free(routes);
		free(pos);
		x->oom = true;
		goto out;
	}
	for (i = 0; i < k; i++) {
		routes[i] = x->c->routes[n0 + i];
		if (routes[i].comment)
			routes[i].comment = cfg_strdup(x, routes[i].comment);
		pos[i] = x->rpos[n0 + i];
		pos[i].line -= ch->line;
	}
	ch->routes = routes;
	ch->pos = pos;
	ch->n = k;
	if (x->oom) /* a comment could not be copied: not kept */
		chunk_free(ch);
	else
		ch->ok = true;
out:
	x->in_chunk = false;
	yaml_parser_delete(&parser);
}

void cfg_cidr_chunks(struct cx *x)
{
	struct zt_cfg_cache *c = x->cache;
	struct cchunk *nw = c->nw;
	size_t i, k = 0;
	__u64 ctx = names_hash(x->c);

	if (ctx != c->ctx) { /* routes resolved against other names: none reused */
		for (i = 0; i < c->n_nw; i++)
			nw[i].same = NULL;
		slots_free(c);
		cache_drop(c);
	}
	c->ctx = ctx;
	for (i = 0; i < c->n_nw; i++) {
		struct cchunk *o = nw[i].same;

		if (o && o->ok && !o->taken)
			k += o->n;
	}
	/* One allocation for the routes the list will have (about). Out of
	 * memory here or below, the chunks are still all gone through: the
	 * routes of reused ones must reach the new cache, not leak. */
	if (!grow_to(x, (void **)&x->c->routes, x->c->n_routes, x->c->n_routes + k,
		     sizeof(*x->c->routes)))
		grow_to(x, (void **)&x->rpos, x->c->n_routes, x->c->n_routes + k,
			sizeof(*x->rpos));
	c->reused = c->parsed = 0;
	for (i = 0; i < c->n_nw; i++) {
		struct cchunk *o = nw[i].same;

		nw[i].same = NULL; /* the old chunks go below */
		if (!o || !o->ok || o->taken)
			o = cache_find(x, c, nw[i].text, nw[i].len, nw[i].hash);
		if (o && o->ok) {
			o->taken = true;
			nw[i].routes = o->routes;
			nw[i].pos = o->pos;
			nw[i].n = o->n;
			nw[i].ok = true;
			o->routes = NULL;
			o->pos = NULL;
			o->n = 0;
			c->reused++;
			add_routes(x, nw[i].routes, nw[i].pos, nw[i].n, nw[i].line);
		} else {
			chunk_parse(x, &nw[i]); /* appends the routes itself */
			c->parsed++;
		}
	}
	slots_free(c);
	cache_drop(c);
	c->ch = nw;
	c->n = c->n_nw;
	c->nw = NULL;
	c->n_nw = 0;
	if (c->buf != c->cur) {
		free(c->buf);
		c->buf = (char *)c->cur; /* the chunks point into it; the caller lets go */
	}
}

void cfg_cache_end(struct zt_cfg_cache *c)
{
	if (c->nw) { /* the list was never reached */
		free(c->nw);
		c->nw = NULL;
	}
	slots_free(c);
}

bool cfg_cache_holds(const struct zt_cfg_cache *c, const char *buf)
{
	return c && c->buf == buf;
}
