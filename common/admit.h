/*
 * admit.h - which accepted connections a listener keeps
 *
 * A listener counts its connections in an admit table. Every accepted
 * socket gets a slot stamped with its peer (the address for inet, without
 * the port; the uid from SO_PEERCRED for a unix socket) and its accept
 * time. A slot is *new* until its owner says the connection delivered a
 * complete request (admit_served()). Postfix sends its request the moment
 * it connects, so only a client that connects and then says nothing (or
 * dribbles) stays new; new connections are the only ones the table ever
 * closes, through the close callback the owner gave (admit_bind()):
 *   - a connection still new first_ms after its accept (0 = never);
 *   - a peer with max_new_per_peer new connections that connects again:
 *     its own oldest new connection makes room (0 = a quarter of max, at
 *     least 1; no per-peer cap when max is 0, or when it is max or more);
 *   - a full table (max connections, 0 = no cap): the oldest new
 *     connection of any peer makes room; with none, the newcomer is
 *     refused (admit_enter() returns NULL; the caller closes it).
 * The per-peer cap never picks a socket less than a second old with
 * unread bytes in the kernel (FIONREAD): its request has arrived and only
 * waits to be read, which is how a burst of Postfix processes connecting
 * at once from one address looks (an older one is a client dribbling);
 * with no other candidate the peer goes over its cap. A full table picks
 * the oldest requestless connection whatever it holds: someone must go,
 * and that one has had the most time. So a peer that floods idle
 * connections only ever displaces its own, or other idle ones, and a
 * client that has sent a request is never displaced.
 *
 * A closed slot leaves the count at once; its owner calls admit_leave()
 * when it has really freed the connection (possibly a loop round later).
 * Every closing decision is logged, rate-limited (ratelimit.h).
 * admit_room() tells the listener whether accepting can succeed now.
 * Loop thread only.
 */
#ifndef PFH_ADMIT_H
#define PFH_ADMIT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct admit;
struct admit_slot;
struct ev;

/* why the table closes a connection */
enum admit_why { ADMIT_TIMEOUT, ADMIT_PEER_CAP, ADMIT_FULL };

typedef void admit_close_fn(void *ctx, enum admit_why);

struct admit_limits {
	unsigned max;			/* connections; 0 = no cap */
	unsigned max_new_per_peer;	/* 0 = max / 4 */
	uint64_t first_ms;		/* 0 = no first-request deadline */
};

/* admit_new - a table for the listener called name (for logs) */
struct admit *admit_new(struct ev *, const char *name, const struct admit_limits *);
void	admit_free(struct admit *);
void	admit_set_limits(struct admit *, const struct admit_limits *);
void	admit_limits(const struct admit *, struct admit_limits *);
/* admit_room - 1 if admit_enter() could take a connection now */
int	admit_room(const struct admit *);
/*
 * admit_enter - count an accepted socket from ss; NULL: the table is full
 * of connections it will not close (the caller closes fd). The slot is
 * unbound: nothing closes it until admit_bind().
 */
struct admit_slot *admit_enter(struct admit *, int fd,
	    const struct sockaddr_storage *ss);
/* admit_bind - the owner's close callback */
void	admit_bind(struct admit_slot *, admit_close_fn *, void *ctx);
/* admit_served - it delivered a request: never closed by the table now */
void	admit_served(struct admit *, struct admit_slot *);
int	admit_is_new(const struct admit_slot *);
/* admit_leave - the owner freed the connection (NULL is fine) */
void	admit_leave(struct admit *, struct admit_slot *);
/* admit_count - connections counted (closed ones excluded) */
unsigned admit_count(const struct admit *);
/* admit_new_count - how many of them are new */
unsigned admit_new_count(const struct admit *);
/* admit_closed - connections the table closed, by reason */
unsigned long admit_closed(const struct admit *, enum admit_why);

#endif /* PFH_ADMIT_H */
