/*
 * sts_fetch.c - MTA-STS policy fetches on the event loop (libcurl multi)
 *
 * How libcurl meets ev (curl's docs/examples/ephiperfifo.c, with ev in
 * place of raw epoll and a timerfd):
 *   - CURLMOPT_SOCKETFUNCTION: libcurl says which sockets to watch for
 *     what; each becomes an ev fd (a struct sts_sock, remembered with
 *     curl_multi_assign()) whose callback hands readiness back through
 *     curl_multi_socket_action().
 *   - CURLMOPT_TIMERFUNCTION: libcurl's next deadline becomes one ev
 *     timer. It only re-arms that timer: libcurl must not be called from
 *     inside it (CURLMOPT_TIMERFUNCTION(3)), and a 0 ms deadline (what
 *     curl_multi_add_handle() asks for) runs on the next loop round.
 *   - After every curl_multi_socket_action() the finished transfers are
 *     collected from curl_multi_info_read() and taken out of the multi
 *     first, then their callbacks run one by one, outside libcurl, so a
 *     callback may start, cancel or free whatever it likes.
 *
 * Why CONNECT_TO and not CURLOPT_RESOLVE: RESOLVE fills the multi's shared
 * DNS cache (two fetches for one host with different addresses would
 * share an entry) and needs the URL's port; CONNECT_TO is per transfer,
 * and an address literal as its target is turned into a socket address
 * without a resolver (lib/hostip.c, Curl_resolv()).
 */
#include "sysdep.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <curl/curl.h>

#include "ev.h"
#include "log.h"
#include "sts_fetch.h"
#include "xalloc.h"

#define STS_FETCH_PATH	"/.well-known/mta-sts.txt"
#define STS_HOST_MAX	253

/* One socket libcurl asked us to watch. */
struct sts_sock {
	struct sts_fetcher *f;
	int	 fd;
	LIST_ENTRY(sts_sock) link;
};

struct sts_fetch {
	struct sts_fetcher *f;
	CURL	*easy;
	struct curl_slist *connect_to;
	sts_fetch_fn *fn;
	void	*ctx;
	char	*body;
	size_t	 body_len, body_cap;
	int	 too_big;	/* the write callback refused more bytes */
	int	 done;		/* out of the multi, in f->done */
	CURLcode code;		/* the transfer's result, once done */
	LIST_ENTRY(sts_fetch) all;
	TAILQ_ENTRY(sts_fetch) queue;
	char	 errbuf[CURL_ERROR_SIZE];
	char	 msg[CURL_ERROR_SIZE + 128];
};

struct sts_fetcher {
	struct ev *ev;
	CURLM	*multi;
	struct ev_timer *timer;	/* libcurl's deadline; NULL once fired */
	char	*ca_file;
	char	*user_agent;
	long	 timeout_ms, connect_timeout_ms;
	unsigned active;
	int	 dispatching;	/* inside deliver_done() */
	int	 doomed;	/* freed from a callback: finish when it returns */
	LIST_HEAD(, sts_fetch) fetches;	/* every live fetch */
	TAILQ_HEAD(, sts_fetch) done;	/* finished, callback still to run */
	LIST_HEAD(, sts_sock) socks;
};

static const char *const status_names[STS_FETCH_STATUS_COUNT] = {
	[STS_FETCH_OK] = "ok",
	[STS_FETCH_HTTP_STATUS] = "http-status",
	[STS_FETCH_CONTENT_TYPE] = "content-type",
	[STS_FETCH_TOO_BIG] = "too-big",
	[STS_FETCH_TLS] = "tls-error",
	[STS_FETCH_CONNECT] = "connect-error",
	[STS_FETCH_TIMEOUT] = "timeout",
	[STS_FETCH_ERROR] = "fetch-error",
};

/* sts_fetch_status_name - short name for metrics and logs */
const char *
sts_fetch_status_name(enum sts_fetch_status s)
{
	return (unsigned)s < STS_FETCH_STATUS_COUNT ? status_names[s] : "?";
}

/*
 * media_type_is_text_plain - "text/plain", any case, optional parameters.
 * A stand-in for this module only: sts_policy.c owns the full RFC 8461
 * §3.2 check of the media type.
 */
static int
media_type_is_text_plain(const char *ct)
{
	static const char want[] = "text/plain";

	if (ct == NULL)
		return 0;
	ct += strspn(ct, " \t");
	if (strncasecmp(ct, want, sizeof(want) - 1) != 0)
		return 0;
	ct += sizeof(want) - 1;
	ct += strspn(ct, " \t");
	return *ct == '\0' || *ct == ';';
}

static void sock_drop(struct sts_sock *);
static void process(struct sts_fetcher *, curl_socket_t, int);

static void
on_sock(struct ev *ev, int fd, uint32_t events, void *ctx)
{
	struct sts_fetcher *f = ctx;
	int flags = 0;

	(void)ev;
	if (events & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
		flags |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		flags |= CURL_CSELECT_OUT;
	if (events & EPOLLERR)
		flags |= CURL_CSELECT_ERR;
	process(f, fd, flags);
}

/* sock_watch - (re)register fd with ev; a stale slot of ours is replaced */
static int
sock_watch(struct sts_sock *s, uint32_t events, int known)
{
	struct ev *ev = s->f->ev;

	if (known && ev_fd_mod(ev, s->fd, events) == 0)
		return 0;
	/*
	 * Either new, or libcurl closed a socket without telling us and got
	 * the same number again (the kernel then forgot the old epoll
	 * registration): start over with this one.
	 */
	ev_fd_del(ev, s->fd);
	return ev_fd_add(ev, s->fd, events, on_sock, s->f);
}

/* sock_cb - CURLMOPT_SOCKETFUNCTION: mirror libcurl's interest in ev */
static int
sock_cb(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct sts_fetcher *f = userp;
	struct sts_sock *s = socketp;
	uint32_t events = 0;
	int known = s != NULL;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL)
			sock_drop(s);
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EV_READ;
	if (what & CURL_POLL_OUT)
		events |= EV_WRITE;
	if (s == NULL) {
		s = xcalloc(1, sizeof(*s));
		s->f = f;
		s->fd = fd;
		LIST_INSERT_HEAD(&f->socks, s, link);
		curl_multi_assign(f->multi, fd, s);
	}
	/*
	 * Never -1 on failure: libcurl 7.88 then marks the whole multi dead
	 * for good. The transfer on this socket ends at its timeout instead.
	 */
	if (sock_watch(s, events, known) < 0)
		log_warn("sts_fetch: cannot watch socket %d: %m", fd);
	return 0;
}

static void
sock_drop(struct sts_sock *s)
{
	ev_fd_del(s->f->ev, s->fd);
	LIST_REMOVE(s, link);
	xfree(s);
}

static void
on_timer(struct ev *ev, void *ctx)
{
	struct sts_fetcher *f = ctx;

	(void)ev;
	f->timer = NULL;		/* ev frees the handle after this */
	process(f, CURL_SOCKET_TIMEOUT, 0);
}

/* timer_cb - CURLMOPT_TIMERFUNCTION: re-arm our one timer, nothing else */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct sts_fetcher *f = userp;

	(void)multi;
	ev_timer_cancel(f->ev, f->timer);
	f->timer = NULL;
	if (timeout_ms >= 0)
		f->timer = ev_timer_add(f->ev, (uint64_t)timeout_ms, on_timer, f);
	return 0;
}

/* write_cb - keep the body; refuse (never truncate) past the cap */
static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sts_fetch *q = userp;
	size_t n = size * nmemb;

	if (n > STS_FETCH_BODY_MAX - q->body_len) {
		q->too_big = 1;
		return CURL_WRITEFUNC_ERROR;
	}
	if (q->body_len + n + 1 > q->body_cap) {
		size_t cap = q->body_cap ? q->body_cap : 4096;

		while (cap < q->body_len + n + 1)
			cap *= 2;
		if (cap > STS_FETCH_BODY_MAX + 1)
			cap = STS_FETCH_BODY_MAX + 1;
		q->body = xreallocarray(q->body, cap, 1);
		q->body_cap = cap;
	}
	memcpy(q->body + q->body_len, data, n);
	q->body_len += n;
	q->body[q->body_len] = '\0';
	return n;
}

static int
code_is_tls(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return 1;
	default:
		return 0;
	}
}

/* classify - the result of a finished transfer, in q->msg for the logs */
static void
classify(struct sts_fetch *q, struct sts_fetch_result *r)
{
	const char *why = q->errbuf[0] ? q->errbuf : curl_easy_strerror(q->code);
	char *ct = NULL;
	long status = 0;

	(void)curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
	(void)curl_easy_getinfo(q->easy, CURLINFO_CONTENT_TYPE, &ct);
	memset(r, 0, sizeof(*r));
	r->http_status = status;
	r->content_type = ct;
	r->error = q->msg;
	q->msg[0] = '\0';
	/* A refusal by status says more than what went wrong with its body. */
	if (status != 0 && status != 200) {
		r->status = STS_FETCH_HTTP_STATUS;
		snprintf(q->msg, sizeof(q->msg), "HTTP status %ld", status);
	} else if (q->too_big || q->code == CURLE_FILESIZE_EXCEEDED) {
		r->status = STS_FETCH_TOO_BIG;
		snprintf(q->msg, sizeof(q->msg), "policy body over %d bytes",
		    STS_FETCH_BODY_MAX);
	} else if (q->code == CURLE_OPERATION_TIMEDOUT) {
		r->status = STS_FETCH_TIMEOUT;
		snprintf(q->msg, sizeof(q->msg), "timeout: %s", why);
	} else if (q->code == CURLE_COULDNT_CONNECT) {
		r->status = STS_FETCH_CONNECT;
		snprintf(q->msg, sizeof(q->msg), "connect: %s", why);
	} else if (code_is_tls(q->code)) {
		r->status = STS_FETCH_TLS;
		snprintf(q->msg, sizeof(q->msg), "TLS: %s", why);
	} else if (q->code != CURLE_OK) {
		r->status = STS_FETCH_ERROR;
		snprintf(q->msg, sizeof(q->msg), "%s", why);
	} else if (!media_type_is_text_plain(ct)) {
		r->status = STS_FETCH_CONTENT_TYPE;
		snprintf(q->msg, sizeof(q->msg), "content type %s, not text/plain",
		    ct ? ct : "(none)");
	} else {
		r->status = STS_FETCH_OK;
		r->body = q->body ? q->body : "";
		r->body_len = q->body_len;
	}
}

static void
fetch_free(struct sts_fetch *q)
{
	curl_easy_cleanup(q->easy);
	curl_slist_free_all(q->connect_to);
	xfree(q->body);
	xfree(q);
}

/* fetch_unlink - the fetch leaves the multi and the fetcher's lists */
static void
fetch_unlink(struct sts_fetch *q)
{
	struct sts_fetcher *f = q->f;

	if (q->done)
		TAILQ_REMOVE(&f->done, q, queue);
	else
		curl_multi_remove_handle(f->multi, q->easy);
	LIST_REMOVE(q, all);
	f->active--;
}

static void fetcher_destroy(struct sts_fetcher *);

/* collect_done - move finished transfers out of the multi into f->done */
static void
collect_done(struct sts_fetcher *f)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(f->multi, &left)) != NULL) {
		struct sts_fetch *q;
		char *priv = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
		q = (struct sts_fetch *)(void *)priv;
		q->code = m->data.result;
		/* m lives in the easy handle: read it before this */
		curl_multi_remove_handle(f->multi, q->easy);
		q->done = 1;
		TAILQ_INSERT_TAIL(&f->done, q, queue);
	}
}

/* deliver_done - run the callbacks of the finished fetches */
static void
deliver_done(struct sts_fetcher *f)
{
	struct sts_fetch *q;

	f->dispatching = 1;
	while (!f->doomed && (q = TAILQ_FIRST(&f->done)) != NULL) {
		struct sts_fetch_result r;

		fetch_unlink(q);
		classify(q, &r);
		q->fn(&r, q->ctx);
		fetch_free(q);
	}
	f->dispatching = 0;
	if (f->doomed)
		fetcher_destroy(f);
}

/* process - hand an event to libcurl, then report what finished */
static void
process(struct sts_fetcher *f, curl_socket_t fd, int flags)
{
	int running;

	(void)curl_multi_socket_action(f->multi, fd, flags, &running);
	collect_done(f);
	deliver_done(f);
}

/* sts_fetcher_new - a fetcher on ev; NULL if libcurl cannot start */
struct sts_fetcher *
sts_fetcher_new(struct ev *ev, const struct sts_fetch_cfg *cfg)
{
	static int global_done;
	struct sts_fetcher *f;

	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			log_warn("sts_fetch: curl_global_init failed");
			return NULL;
		}
		global_done = 1;
	}
	f = xcalloc(1, sizeof(*f));
	f->ev = ev;
	f->multi = curl_multi_init();
	if (f->multi == NULL) {
		log_warn("sts_fetch: curl_multi_init failed");
		xfree(f);
		return NULL;
	}
	if (cfg->ca_file != NULL && cfg->ca_file[0] != '\0')
		f->ca_file = xstrdup(cfg->ca_file);
	if (cfg->user_agent != NULL && cfg->user_agent[0] != '\0')
		f->user_agent = xstrdup(cfg->user_agent);
	f->timeout_ms = cfg->timeout_ms;
	f->connect_timeout_ms = cfg->connect_timeout_ms;
	LIST_INIT(&f->fetches);
	TAILQ_INIT(&f->done);
	LIST_INIT(&f->socks);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	return f;
}

static void
fetcher_destroy(struct sts_fetcher *f)
{
	struct sts_fetch *q;
	struct sts_sock *s;

	while ((q = LIST_FIRST(&f->fetches)) != NULL) {
		fetch_unlink(q);
		fetch_free(q);
	}
	curl_multi_cleanup(f->multi);
	/* Sockets libcurl closed without a CURL_POLL_REMOVE: unwatch them. */
	while ((s = LIST_FIRST(&f->socks)) != NULL)
		sock_drop(s);
	ev_timer_cancel(f->ev, f->timer);
	xfree(f->ca_file);
	xfree(f->user_agent);
	xfree(f);
}

/* sts_fetcher_free - cancel every fetch (no callbacks) and free */
void
sts_fetcher_free(struct sts_fetcher *f)
{
	if (f == NULL)
		return;
	if (f->dispatching) {
		/* deliver_done() is on the stack: it finishes the job. */
		f->doomed = 1;
		return;
	}
	fetcher_destroy(f);
}

/* sts_fetcher_active - fetches whose callback has not started yet */
unsigned
sts_fetcher_active(const struct sts_fetcher *f)
{
	return f->active;
}

static int
host_name_ok(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > STS_HOST_MAX)
		return 0;
	return strspn(h, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == n;
}

/* connect_to_entry - "HOST:443:ADDR:PORT", IPv6 in brackets; NULL if bad */
static char *
connect_to_entry(const char *host, const char *addr, unsigned port)
{
	unsigned char bin[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, addr, bin) == 1)
		return xasprintf("%s:443:%s:%u", host, addr, port);
	if (inet_pton(AF_INET6, addr, bin) == 1)
		return xasprintf("%s:443:[%s]:%u", host, addr, port);
	return NULL;
}

/* easy_setup - every option of one policy fetch; 0, or -1 if refused */
static int
easy_setup(struct sts_fetch *q, const char *url)
{
	struct sts_fetcher *f = q->f;
	CURL *e = q->easy;
	CURLcode rc = CURLE_OK;

#define SET(opt, val) do {						\
	if (rc == CURLE_OK)						\
		rc = curl_easy_setopt(e, opt, val);			\
} while (0)
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_MAXREDIRS, 0L);
	SET(CURLOPT_CONNECT_TO, q->connect_to);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (f->ca_file != NULL) {
		/* The file alone: no system directory beside it. */
		SET(CURLOPT_CAINFO, f->ca_file);
		SET(CURLOPT_CAPATH, (char *)NULL);
	}
	/* One fetch, one connection: nothing cached between policy hosts. */
	SET(CURLOPT_FRESH_CONNECT, 1L);
	SET(CURLOPT_FORBID_REUSE, 1L);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)STS_FETCH_BODY_MAX);
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, q);
	SET(CURLOPT_ERRORBUFFER, q->errbuf);
	SET(CURLOPT_PRIVATE, q);
	SET(CURLOPT_TIMEOUT_MS,
	    f->timeout_ms > 0 ? f->timeout_ms : STS_FETCH_TIMEOUT_DEFAULT);
	if (f->connect_timeout_ms > 0)
		SET(CURLOPT_CONNECTTIMEOUT_MS, f->connect_timeout_ms);
	if (f->user_agent != NULL)
		SET(CURLOPT_USERAGENT, f->user_agent);
#undef SET
	if (rc != CURLE_OK) {
		log_warn("sts_fetch: curl_easy_setopt: %s", curl_easy_strerror(rc));
		return -1;
	}
	return 0;
}

/* sts_fetch_start - GET the policy of policy_host from addr:port */
struct sts_fetch *
sts_fetch_start(struct sts_fetcher *f, const char *policy_host,
    const char *addr, unsigned port, sts_fetch_fn *fn, void *ctx)
{
	struct sts_fetch *q;
	char *entry, *url;

	if (!host_name_ok(policy_host) || port == 0 || port > 65535 ||
	    (entry = connect_to_entry(policy_host, addr, port)) == NULL) {
		log_warn("sts_fetch: refusing fetch of \"%s\" from \"%s\" port %u",
		    policy_host, addr, port);
		return NULL;
	}
	q = xcalloc(1, sizeof(*q));
	q->f = f;
	q->fn = fn;
	q->ctx = ctx;
	q->connect_to = curl_slist_append(NULL, entry);
	xfree(entry);
	q->easy = curl_easy_init();
	url = xasprintf("https://%s%s", policy_host, STS_FETCH_PATH);
	if (q->connect_to == NULL || q->easy == NULL || easy_setup(q, url) < 0 ||
	    curl_multi_add_handle(f->multi, q->easy) != CURLM_OK) {
		log_warn("sts_fetch: libcurl refused the fetch of %s", url);
		xfree(url);
		fetch_free(q);
		return NULL;
	}
	xfree(url);		/* libcurl copies CURLOPT_URL */
	LIST_INSERT_HEAD(&f->fetches, q, all);
	f->active++;
	return q;
}

/* sts_fetch_cancel - stop a fetch; its callback will not run */
void
sts_fetch_cancel(struct sts_fetch *q)
{
	if (q == NULL)
		return;
	fetch_unlink(q);
	fetch_free(q);
}
