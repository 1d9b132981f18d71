/*
 * test_sasl_cache.c - the credential cache: keyed digests, TTL, negative
 * entries kept apart, LRU bound, flush, generations
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "auth_cache.h"

static const unsigned char KEY[AUTH_MAC_LEN] = "0123456789abcdef0123456789abcdef";

static struct auth_cache_query
q(struct auth_cache *c, const char *login, const char *realm,
    const char *service, const char *pw)
{
	struct auth_cache_query r;

	auth_cache_prepare(c, login, realm, service, pw, strlen(pw), &r);
	return r;
}

static void
test_hit_and_wrong_password(void **state)
{
	struct auth_cache *c = auth_cache_new(KEY, 100, 1, 0);
	struct auth_cache_query a = q(c, "alice", "", "smtp", "s3cret");
	struct auth_cache_query w = q(c, "alice", "", "smtp", "wrong");
	int b = -1;

	assert_int_equal(auth_cache_lookup(c, &a, 0, &b), CACHE_MISS);
	auth_cache_insert(c, &a, true, 2, 0, 1000, auth_cache_generation(c));
	assert_int_equal(auth_cache_lookup(c, &a, 10, &b), CACHE_OK);
	assert_int_equal(b, 2);
	/* a wrong password is a miss, never an OK */
	assert_int_equal(auth_cache_lookup(c, &w, 10, &b), CACHE_MISS);
	/* nothing is stored for a zero TTL (negative caching off) */
	auth_cache_insert(c, &w, false, 0, 10, 0, auth_cache_generation(c));
	assert_int_equal(auth_cache_lookup(c, &w, 10, &b), CACHE_MISS);
	assert_int_equal(auth_cache_count(c), 1);
	auth_cache_free(c);
}

static void
test_fields_are_separate(void **state)
{
	struct auth_cache *c = auth_cache_new(KEY, 100, 1, 0);
	struct auth_cache_query a = q(c, "alice", "", "smtp", "pw");
	struct auth_cache_query others[] = {
		q(c, "alice", "", "imap", "pw"),
		q(c, "alice", "x", "smtp", "pw"),
		q(c, "alic", "e", "smtp", "pw"),
		q(c, "bob", "", "smtp", "pw"),
	};
	int b;
	size_t i;

	auth_cache_insert(c, &a, true, 0, 0, 1000, auth_cache_generation(c));
	for (i = 0; i < nitems(others); i++)
		assert_int_equal(auth_cache_lookup(c, &others[i], 0, &b),
		    CACHE_MISS);
	/* the digest is keyed: another key gives other digests */
	{
		unsigned char k2[AUTH_MAC_LEN];
		struct auth_cache *c2;
		struct auth_cache_query a2;

		memcpy(k2, KEY, sizeof(k2));
		k2[0] ^= 1;
		c2 = auth_cache_new(k2, 10, 1, 0);
		a2 = q(c2, "alice", "", "smtp", "pw");
		assert_memory_not_equal(a.key, a2.key, AUTH_MAC_LEN);
		assert_memory_not_equal(a.ver, a2.ver, AUTH_MAC_LEN);
		auth_cache_free(c2);
	}
	auth_cache_free(c);
}

static void
test_ttl_and_negative(void **state)
{
	struct auth_cache *c = auth_cache_new(KEY, 100, 1, 0);
	struct auth_cache_query a = q(c, "alice", "", "smtp", "pw");
	struct auth_cache_query w = q(c, "alice", "", "smtp", "bad");
	struct auth_cache_stats st;
	int b;

	auth_cache_insert(c, &a, true, 0, 1000, 500, auth_cache_generation(c));
	assert_int_equal(auth_cache_lookup(c, &a, 1499, &b), CACHE_OK);
	assert_int_equal(auth_cache_lookup(c, &a, 1500, &b), CACHE_MISS);
	auth_cache_insert(c, &a, true, 0, 2000, 500, auth_cache_generation(c));
	auth_cache_insert(c, &w, false, 1, 2000, 100, auth_cache_generation(c));
	/* both live: the negative entry did not displace the positive one */
	assert_int_equal(auth_cache_lookup(c, &w, 2050, &b), CACHE_NO);
	assert_int_equal(b, 1);
	assert_int_equal(auth_cache_lookup(c, &a, 2050, &b), CACHE_OK);
	assert_int_equal(auth_cache_lookup(c, &w, 2100, &b), CACHE_MISS);
	auth_cache_flush(c);
	assert_int_equal(auth_cache_lookup(c, &a, 2050, &b), CACHE_MISS);
	auth_cache_get_stats(c, &st);
	assert_int_equal(st.flushes, 1);
	assert_int_equal(st.expired, 2);
	auth_cache_free(c);
}

static void
test_lru_bound(void **state)
{
	struct auth_cache *c = auth_cache_new(KEY, 8, 3, 0);
	struct auth_cache_query e[20];
	char login[16];
	int b, i;

	for (i = 0; i < 20; i++) {
		snprintf(login, sizeof(login), "u%d", i);
		e[i] = q(c, login, "", "smtp", "pw");
		auth_cache_insert(c, &e[i], true, 0, 0, 1000,
		    auth_cache_generation(c));
		if (i >= 1)	/* keep u0 recently used */
			assert_int_equal(auth_cache_lookup(c, &e[0], 0, &b),
			    CACHE_OK);
	}
	assert_int_equal(auth_cache_count(c), 8);
	assert_int_equal(auth_cache_lookup(c, &e[0], 0, &b), CACHE_OK);
	assert_int_equal(auth_cache_lookup(c, &e[19], 0, &b), CACHE_OK);
	assert_int_equal(auth_cache_lookup(c, &e[5], 0, &b), CACHE_MISS);
	auth_cache_free(c);
}

/* hexify - lower-case hex of a MAC */
static void
hexify(const unsigned char *m, char out[2 * AUTH_MAC_LEN + 1])
{
	size_t i;

	for (i = 0; i < AUTH_MAC_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", m[i]);
}

/*
 * auth_hmac keeps a keyed context between calls: it must give HMAC-SHA-256
 * (values from Python's hmac module), also when the key changes and back.
 */
static void
test_hmac_known_answers(void **state)
{
	unsigned char k1[AUTH_MAC_LEN], k2[AUTH_MAC_LEN], m[AUTH_MAC_LEN];
	char hex[2 * AUTH_MAC_LEN + 1];
	size_t i;
	int round;

	(void)state;
	for (i = 0; i < AUTH_MAC_LEN; i++) {
		k1[i] = (unsigned char)i;
		k2[i] = 0xa5;
	}
	for (round = 0; round < 2; round++) {
		auth_hmac(k1, "t", 1, "s3cret", 6, m);
		hexify(m, hex);
		assert_string_equal(hex, "634973eb9ed7f6599aafb15d7aa04f0c"
		    "1d8acfb3d0cb4d414cf6621264315758");
		/* the same bytes split differently: the same MAC */
		auth_hmac(k1, "ts3", 3, "cret", 4, m);
		hexify(m, hex);
		assert_string_equal(hex, "634973eb9ed7f6599aafb15d7aa04f0c"
		    "1d8acfb3d0cb4d414cf6621264315758");
		auth_hmac(k2, NULL, 0, NULL, 0, m);
		hexify(m, hex);
		assert_string_equal(hex, "4ca4726a232e3a8c75117ce5ee59a0a4"
		    "992a9aedbfe4a74ec9e7374fff84593f");
	}
}

/*
 * A request takes the generation before its backend runs; an answer that
 * comes back after a flush is not stored, positive or negative, and a
 * cache made to replace another refuses the old one's generations too.
 */
static void
test_generation_refuses_stale(void **state)
{
	struct auth_cache *c = auth_cache_new(KEY, 100, 1, 7);
	struct auth_cache_query a = q(c, "alice", "", "smtp", "old-pw");
	struct auth_cache_query w = q(c, "alice", "", "smtp", "guess");
	struct auth_cache_stats st;
	uint64_t g, g2;
	int b;

	(void)state;
	g = auth_cache_generation(c);
	assert_int_equal(g, 7);
	/* the backend is checking; meanwhile SIGHUP flushes */
	auth_cache_flush(c);
	assert_int_equal(auth_cache_generation(c), 8);
	assert_false(auth_cache_insert(c, &a, true, 0, 0, 1000, g));
	assert_false(auth_cache_insert(c, &w, false, 0, 0, 1000, g));
	assert_int_equal(auth_cache_lookup(c, &a, 1, &b), CACHE_MISS);
	assert_int_equal(auth_cache_lookup(c, &w, 1, &b), CACHE_MISS);
	assert_int_equal(auth_cache_count(c), 0);
	auth_cache_get_stats(c, &st);
	assert_int_equal(st.stale, 2);
	assert_int_equal(st.inserts, 0);
	/* a request that began after the flush is stored */
	g2 = auth_cache_generation(c);
	assert_true(auth_cache_insert(c, &a, true, 0, 0, 1000, g2));
	assert_int_equal(auth_cache_lookup(c, &a, 1, &b), CACHE_OK);
	/* two flushes during one request: still refused */
	auth_cache_flush(c);
	auth_cache_flush(c);
	assert_false(auth_cache_insert(c, &w, false, 0, 0, 1000, g2 + 1));
	/* the replacement (cache_size changed) starts past the old one */
	g = auth_cache_generation(c);
	auth_cache_free(c);
	c = auth_cache_new(KEY, 50, 2, g + 1);
	assert_false(auth_cache_insert(c, &a, true, 0, 0, 1000, g));
	assert_true(auth_cache_insert(c, &a, true, 0, 0, 1000, g + 1));
	auth_cache_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hmac_known_answers),
		cmocka_unit_test(test_hit_and_wrong_password),
		cmocka_unit_test(test_fields_are_separate),
		cmocka_unit_test(test_ttl_and_negative),
		cmocka_unit_test(test_lru_bound),
		cmocka_unit_test(test_generation_refuses_stale),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
