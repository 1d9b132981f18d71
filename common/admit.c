/*
 * admit.c - which accepted connections a listener keeps
 *
 * New slots sit on one list in accept order (so the oldest is the head,
 * and its deadline is the earliest: one timer serves them all) and on
 * their peer's list. A peer entry lives only while it has new slots, so
 * the peer hash never holds more entries than there are new connections.
 */
#include "sysdep.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "admit.h"
#include "ev.h"
#include "log.h"
#include "ratelimit.h"
#include "xalloc.h"

#define ADMIT_BUCKETS	256
#define ADMIT_SCAN	64	/* candidates looked at to make room */
#define ADMIT_LOG_MS	10000	/* one line per kind of closing per 10 s */
#define ADMIT_SPARE_MS	1000	/* unread input spares a slot this long */

struct peer_key {
	int	 family;		/* AF_INET (v4-mapped too), AF_INET6, AF_UNIX */
	uint32_t uid;			/* AF_UNIX: the peer's uid, -1 unknown */
	unsigned char addr[16];
};

struct admit_peer {
	struct peer_key key;
	unsigned nnew;
	TAILQ_HEAD(, admit_slot) slots;	/* its new slots, oldest first */
	struct admit_peer *next;	/* hash chain */
};

struct admit_slot {
	TAILQ_ENTRY(admit_slot) all;	/* in a->fresh while new */
	TAILQ_ENTRY(admit_slot) mine;	/* in peer->slots while new */
	struct admit_peer *peer;	/* while new */
	int	 fd;
	uint64_t t0;			/* accept time, ev_now() */
	admit_close_fn *fn;
	void	*ctx;
	unsigned fresh:1, closed:1;
};

struct admit {
	struct ev *ev;
	char	 name[300];
	struct admit_limits lim;
	unsigned n, nnew;
	int	 stuck;			/* full, and nothing could make room */
	TAILQ_HEAD(, admit_slot) fresh;
	struct admit_peer *hash[ADMIT_BUCKETS];
	struct ev_timer *timer;
	unsigned long closed[3];
	struct ratelimit rl[3], rl_refuse;
};

static void admit_arm(struct admit *);

/* peer_key_of - who is on the other end of fd */
static void
peer_key_of(int fd, const struct sockaddr_storage *ss, struct peer_key *k)
{
	memset(k, 0, sizeof(*k));
	k->uid = (uint32_t)-1;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		k->family = AF_INET;
		memcpy(k->addr, &s4->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		if (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
			k->family = AF_INET;
			memcpy(k->addr, s6->sin6_addr.s6_addr + 12, 4);
		} else {
			k->family = AF_INET6;
			memcpy(k->addr, &s6->sin6_addr, 16);
		}
	} else {
		struct ucred uc;
		socklen_t len = sizeof(uc);

		k->family = AF_UNIX;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0)
			k->uid = (uint32_t)uc.uid;
	}
}

/* peer_str - the peer for a log line */
static const char *
peer_str(const struct peer_key *k, char *out, size_t outlen)
{
	char	 a[INET6_ADDRSTRLEN];

	if (k->family == AF_UNIX) {
		if (k->uid == (uint32_t)-1)
			snprintf(out, outlen, "unix, uid unknown");
		else
			snprintf(out, outlen, "unix, uid %lu", (unsigned long)k->uid);
	} else {
		inet_ntop(k->family, k->addr, a, sizeof(a));
		snprintf(out, outlen, "%s", a);
	}
	return out;
}

/* key_hash - FNV-1a over the key */
static unsigned
key_hash(const struct peer_key *k)
{
	const unsigned char *p = (const void *)k;
	uint32_t h = 2166136261u;
	size_t	 i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h % ADMIT_BUCKETS;
}

/* peer_find - the entry for k, made when make is set */
static struct admit_peer *
peer_find(struct admit *a, const struct peer_key *k, int make)
{
	unsigned h = key_hash(k);
	struct admit_peer *p;

	for (p = a->hash[h]; p != NULL; p = p->next)
		if (memcmp(&p->key, k, sizeof(*k)) == 0)
			return p;
	if (!make)
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->key = *k;
	TAILQ_INIT(&p->slots);
	p->next = a->hash[h];
	a->hash[h] = p;
	return p;
}

/* peer_drop - remove an entry with no new slots left */
static void
peer_drop(struct admit *a, struct admit_peer *p)
{
	struct admit_peer **pp = &a->hash[key_hash(&p->key)];

	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
	free(p);
}

/* unfresh - the slot is no longer new */
static void
unfresh(struct admit *a, struct admit_slot *s)
{
	struct admit_peer *p = s->peer;

	if (!s->fresh)
		return;
	s->fresh = 0;
	TAILQ_REMOVE(&a->fresh, s, all);
	TAILQ_REMOVE(&p->slots, s, mine);
	s->peer = NULL;
	a->nnew--;
	if (--p->nnew == 0)
		peer_drop(a, p);
}

/* has_input - unread bytes in the kernel: a request waiting to be read */
static int
has_input(int fd)
{
	int	 n = 0;

	return fd >= 0 && ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/*
 * victim - the oldest new slot, of one peer or of all, that may be
 * closed. With spare, one with unread input is skipped while younger than
 * ADMIT_SPARE_MS: a request that just arrived (a burst of Postfix
 * processes from one address), not a client that dribbles. A full table
 * spares nothing: someone must go, and the oldest requestless connection
 * has had the most time.
 */
static struct admit_slot *
victim(struct admit *a, struct admit_peer *p, int spare)
{
	struct admit_slot *s;
	uint64_t now = ev_now(a->ev);
	unsigned n = 0;

	s = p ? TAILQ_FIRST(&p->slots) : TAILQ_FIRST(&a->fresh);
	for (; s != NULL && n < ADMIT_SCAN; n++,
	    s = p ? TAILQ_NEXT(s, mine) : TAILQ_NEXT(s, all))
		if (s->fn != NULL && (!spare || now - s->t0 >= ADMIT_SPARE_MS ||
		    !has_input(s->fd)))
			return s;
	return NULL;
}

/* slot_close - close a new connection through its owner, and say so */
static void
slot_close(struct admit *a, struct admit_slot *s, enum admit_why why)
{
	char	 who[64];
	uint64_t now = ev_now(a->ev);

	peer_str(&s->peer->key, who, sizeof(who));
	switch (why) {
	case ADMIT_TIMEOUT:
		ratelimit_warn(&a->rl[why], now, ADMIT_LOG_MS, "%s: closing a "
		    "connection from %s that sent no request within %llu ms "
		    "(first_request_timeout)", a->name, who,
		    (unsigned long long)a->lim.first_ms);
		break;
	case ADMIT_PEER_CAP:
		ratelimit_warn(&a->rl[why], now, ADMIT_LOG_MS, "%s: %s holds "
		    "%u connections that sent no request "
		    "(max_new_connections_per_peer): closing its oldest",
		    a->name, who, s->peer->nnew);
		break;
	case ADMIT_FULL:
		ratelimit_warn(&a->rl[why], now, ADMIT_LOG_MS, "%s: %u "
		    "connections (max_connections): closing the oldest that "
		    "sent no request, from %s, %llu ms old", a->name, a->n, who,
		    (unsigned long long)(now - s->t0));
		break;
	}
	unfresh(a, s);
	s->closed = 1;
	a->n--;
	a->closed[why]++;
	s->fn(s->ctx, why);
}

/* admit_fire - close what is still new at its first_request deadline */
static void
admit_fire(struct ev *ev, void *ctx)
{
	struct admit *a = ctx;
	struct admit_slot *s;
	uint64_t now = ev_now(ev);

	a->timer = NULL;
	while (a->lim.first_ms && (s = TAILQ_FIRST(&a->fresh)) != NULL &&
	    s->t0 + a->lim.first_ms <= now) {
		if (s->fn == NULL)
			unfresh(a, s);	/* nobody to close it with */
		else
			slot_close(a, s, ADMIT_TIMEOUT);
	}
	a->stuck = 0;
	admit_arm(a);
}

/* admit_arm - a timer for the oldest new slot's deadline */
static void
admit_arm(struct admit *a)
{
	struct admit_slot *s = TAILQ_FIRST(&a->fresh);
	uint64_t now = ev_now(a->ev), due;

	if (a->timer != NULL || s == NULL || a->lim.first_ms == 0)
		return;
	due = s->t0 + a->lim.first_ms;
	a->timer = ev_timer_add(a->ev, due > now ? due - now : 0, admit_fire, a);
}

/* admit_new - an empty table */
struct admit *
admit_new(struct ev *ev, const char *name, const struct admit_limits *lim)
{
	struct admit *a = xcalloc(1, sizeof(*a));

	a->ev = ev;
	snprintf(a->name, sizeof(a->name), "%s", name);
	a->lim = *lim;
	TAILQ_INIT(&a->fresh);
	return a;
}

/* admit_free - drop the table; slots still out are the owners' to free */
void
admit_free(struct admit *a)
{
	struct admit_slot *s;

	if (a == NULL)
		return;
	ev_timer_cancel(a->ev, a->timer);
	while ((s = TAILQ_FIRST(&a->fresh)) != NULL) {
		unfresh(a, s);
		s->closed = 1;		/* admit_leave() then only frees it */
	}
	free(a);
}

/* admit_set_limits - new limits; a changed deadline applies to new slots too */
void
admit_set_limits(struct admit *a, const struct admit_limits *lim)
{
	if (lim->first_ms != a->lim.first_ms) {
		ev_timer_cancel(a->ev, a->timer);
		a->timer = NULL;
	}
	a->lim = *lim;
	a->stuck = 0;
	admit_arm(a);
}

/* admit_limits - the limits in force */
void
admit_limits(const struct admit *a, struct admit_limits *lim)
{
	*lim = a->lim;
}

/* admit_room - can a connection be taken now */
int
admit_room(const struct admit *a)
{
	return a->lim.max == 0 || a->n < a->lim.max ||
	    (a->nnew > 0 && !a->stuck);
}

/* admit_enter - count a new connection, making room if need be */
struct admit_slot *
admit_enter(struct admit *a, int fd, const struct sockaddr_storage *ss)
{
	struct peer_key k;
	struct admit_peer *p;
	struct admit_slot *s, *v;
	uint64_t now = ev_now(a->ev);
	unsigned cap;
	char	 who[64];

	peer_key_of(fd, ss, &k);
	if ((cap = a->lim.max_new_per_peer) == 0 && (cap = a->lim.max / 4) == 0)
		cap = a->lim.max ? 1 : 0;
	if (a->lim.max && cap >= a->lim.max)
		cap = 0;		/* no share smaller than the table */
	/* its own oldest makes room; none (all mid-read): over the cap */
	if (cap && (p = peer_find(a, &k, 0)) != NULL && p->nnew >= cap &&
	    (v = victim(a, p, 1)) != NULL)
		slot_close(a, v, ADMIT_PEER_CAP);
	if (a->lim.max && a->n >= a->lim.max) {
		if ((v = victim(a, NULL, 0)) == NULL) {
			a->stuck = 1;
			ratelimit_warn(&a->rl_refuse, now, ADMIT_LOG_MS,
			    "%s: %u connections (max_connections), all of them "
			    "working: refusing one from %s", a->name,
			    a->n, peer_str(&k, who, sizeof(who)));
			return NULL;
		}
		slot_close(a, v, ADMIT_FULL);
	}
	s = xcalloc(1, sizeof(*s));
	s->fd = fd;
	s->t0 = now;
	s->fresh = 1;
	p = peer_find(a, &k, 1);	/* after closing: it may have gone */
	s->peer = p;
	p->nnew++;
	TAILQ_INSERT_TAIL(&p->slots, s, mine);
	TAILQ_INSERT_TAIL(&a->fresh, s, all);
	a->nnew++;
	a->n++;
	admit_arm(a);
	return s;
}

/* admit_bind - how the table closes this connection */
void
admit_bind(struct admit_slot *s, admit_close_fn *fn, void *ctx)
{
	s->fn = fn;
	s->ctx = ctx;
}

/* admit_served - a request came: the connection is the owner's alone */
void
admit_served(struct admit *a, struct admit_slot *s)
{
	if (s == NULL || !s->fresh)
		return;
	unfresh(a, s);
	a->stuck = 0;
}

/* admit_is_new - still new */
int
admit_is_new(const struct admit_slot *s)
{
	return s != NULL && s->fresh;
}

/* admit_leave - the connection is gone */
void
admit_leave(struct admit *a, struct admit_slot *s)
{
	if (s == NULL)
		return;
	if (!s->closed) {
		if (a != NULL) {
			unfresh(a, s);
			a->n--;
			a->stuck = 0;
		}
	}
	free(s);
}

/* admit_count - connections counted */
unsigned
admit_count(const struct admit *a)
{
	return a->n;
}

/* admit_new_count - new connections */
unsigned
admit_new_count(const struct admit *a)
{
	return a->nnew;
}

/* admit_closed - how many the table closed for why */
unsigned long
admit_closed(const struct admit *a, enum admit_why why)
{
	return a->closed[why];
}
