/*
 * load.h - private interfaces of pfh-load, the pfhelpers load generator
 *
 * pfh-load is split by concern:
 *   load_proto.c   request specs -> wire bytes, reply bytes -> answer text,
 *                  expected-answer check, the Dovecot handshake (pure, no
 *                  I/O);
 *   load_client.c  the client engine: N connections on one event loop,
 *                  latency histogram, error accounting;
 *   load_serve.c   --serve-constant: a server that answers every request
 *                  with one constant reply (the ceiling of a protocol);
 *   pfh-load.c     options, report.
 *
 * Ownership: a load_specs owns its specs and their bytes; the engine only
 * borrows them. Nothing here logs a password: spec labels mask it.
 */
#ifndef PFH_BENCH_LOAD_H
#define PFH_BENCH_LOAD_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "endpoint.h"
#include "stats.h"

enum load_proto {
	LOAD_SASL,		/* saslauthd mux: one request per connection */
	LOAD_POLICY,		/* Postfix policy delegation: persistent */
	LOAD_SOCKETMAP,		/* socketmap netstrings: persistent */
	LOAD_DOVECOT,		/* Dovecot auth (smtpd_sasl_type = dovecot):
				 * handshake once, then AUTH lines, persistent */
};

/* One request, ready to write, and what its answer must start with. */
struct load_spec {
	char	*req;		/* wire bytes */
	size_t	 req_len;
	char	*expect;	/* answer prefix, NULL = any answer is fine */
	size_t	 expect_len;
	char	*label;		/* printable, password masked */
	unsigned long id;	/* dovecot: the AUTH id its answer must carry */
};

struct load_specs {
	struct load_spec *v;
	size_t	 n, cap;
};

/* Knobs that shape the requests built from spec lines. */
struct load_build {
	const char *sasl_client_addr;	/* non-NULL: send the 5th field */
};

/* load_proto.c */
const char *load_proto_name(enum load_proto);
int	load_proto_parse(const char *, enum load_proto *);
void	load_specs_init(struct load_specs *);
void	load_specs_free(struct load_specs *);
/* load_spec_add - parse one spec line; -1 and a reason in err */
int	load_spec_add(struct load_specs *, enum load_proto,
	    const struct load_build *, const char *line, char *err, size_t errlen);
/* load_specs_read - every spec line of a file; -1 and "FILE:LINE: reason" */
int	load_specs_read(struct load_specs *, enum load_proto,
	    const struct load_build *, const char *path, char *err, size_t errlen);
/* load_reply_decode - one reply from the front of in; answer points into in */
enum codec_result load_reply_decode(enum load_proto, const char *in,
	    size_t len, const char **answer_r, size_t *answer_len_r,
	    size_t *consumed_r);
/* load_reply_matches - does the answer satisfy the spec's expectation */
int	load_reply_matches(enum load_proto, const struct load_spec *,
	    const char *answer, size_t len);
/* load_dovecot_hello - the client's first lines (VERSION, CPID), a NUL-
 * terminated string owned by load_proto.c */
const char *load_dovecot_hello(void);
/* load_dovecot_handshake - the server's handshake from the front of in:
 * CODEC_DONE when its DONE line is there (*consumed_r: the bytes through
 * it) and it had VERSION 1 first and offered PLAIN; an error otherwise */
enum codec_result load_dovecot_handshake(const char *in, size_t len,
	    size_t *consumed_r);

/* load_client.c */
struct load_opts {
	enum load_proto proto;
	struct endpoint ep;
	unsigned conns;		/* concurrent connections (clients) */
	double	 duration;	/* seconds; 0 = run until `count` */
	uint64_t count;		/* requests; used when duration == 0 */
	double	 warmup;	/* seconds not measured (duration mode) */
	unsigned timeout_ms;	/* per request */
	unsigned show;		/* errors printed in detail */
	const struct load_specs *specs;
};

struct load_result {
	uint64_t replies;	/* answers received (matching or not) */
	uint64_t ok;		/* answers that matched (or had nothing to match) */
	uint64_t mismatch;	/* answers that did not match the expectation */
	uint64_t io_errors;	/* connect, read, write errors, early EOF */
	uint64_t proto_errors;	/* undecodable or unexpected bytes */
	uint64_t timeouts;	/* no complete answer within timeout_ms */
	uint64_t connects;	/* connections opened */
	uint64_t retries;	/* requests resent after the server closed */
	double	 elapsed;	/* measured seconds */
	uint64_t max_us;
	struct stats_hist_snap hist;
	int	 interrupted;	/* stopped by SIGINT/SIGTERM */
};

int	load_run(const struct load_opts *, struct load_result *);
uint64_t load_result_errors(const struct load_result *);

/* load_serve.c */
struct load_serve_opts {
	enum load_proto proto;
	struct endpoint ep;
	const char *answer;	/* NULL = the protocol's default constant */
};

int	load_serve(const struct load_serve_opts *);

/* shared by client and server: stop cleanly on SIGINT/SIGTERM */
int	load_signalfd(void);

#endif /* PFH_BENCH_LOAD_H */
