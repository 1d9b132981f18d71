/*
 * test_sasl_pwfile.c - the pwfile value parser, the file secrecy check,
 * and a table loaded through the same callbacks the daemon uses
 */
#include "sysdep.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"

/* "secret" under each scheme (made with mkpasswd / openssl passwd) */
#define H_YESCRYPT "$y$j9T$Xp.CafdSjxfT7sBbdCROz/$HqC6M7veJAhtBRNPItpWZ3hEVXvzWynGqY2neKSrY87"
#define H_SHA512 "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1"
#define H_MD5 "$1$saltsalt$9xy1btjgzLYfb7hivXtC//"
#define H_DES "saHW9GdxihkGQ"
#define H_BCRYPT "$2b$05$cMlSfv8FLXWKbN4N7ALwSuOJYhRPKkfBa/azYmV0iS.SgQhy7Zsum"

static void
test_accept_and_refuse(void **state)
{
	static const struct {
		const char *value;
		int ok, ok_weak, locked;
	} cases[] = {
		{H_YESCRYPT, 1, 1, 0},
		{H_SHA512, 1, 1, 0},
		{H_SHA512 ":19000:0:99999:7:::", 1, 1, 0},
		{"$5$abcdefgh$gruCpC7VkOTspMQTTSAR8mtlO9Upms.fwqE5y16JVM.", 1, 1, 0},
		{H_MD5, 0, 1, 0},
		{H_DES, 0, 1, 0},
		{"$2a$05$cMlSfv8FLXWKbN4N7ALwSuOJYhRPKkfBa/azYmV0iS.SgQhy7Zsum", 0, 1, 0},
		{"$9$unknown", 0, 0, 0},
		{"plaintext", 0, 0, 0},
		{"$6$", 0, 0, 0},
		{"$6$saltsalt$short", 0, 0, 0},
		{"$y$j9T$abc$", 0, 0, 0},
		{"$2b$05$tooshort", 0, 0, 0},
		{"!", 1, 1, 1},
		{"*", 1, 1, 1},
		{"!" H_SHA512, 1, 1, 1},
		{"*LK*", 1, 1, 1},
		{"!" H_MD5, 1, 1, 1},
	};
	char err[256];
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		struct pw_hash *h;

		err[0] = 0;
		h = pwfile_parse_hash(cases[i].value, false, err, sizeof(err));
		if (cases[i].ok) {
			if (h == NULL)
				fail_msg("%s: %s", cases[i].value, err);
			assert_int_equal(h->locked, cases[i].locked);
			pwfile_hash_free(h);
		} else {
			if (h != NULL)
				fail_msg("%s accepted", cases[i].value);
			assert_true(err[0] != 0);
		}
		h = pwfile_parse_hash(cases[i].value, true, err, sizeof(err));
		assert_int_equal(h != NULL, cases[i].ok_weak);
		pwfile_hash_free(h);
	}
	assert_null(pwfile_parse_hash(H_MD5, false, err, sizeof(err)));
	assert_non_null(strstr(err, "weak password hash (md5crypt)"));
	assert_null(pwfile_parse_hash("", false, err, sizeof(err)));
	assert_non_null(strstr(err, "empty password hash"));
}

/* issue #11: an error says what is wrong, never what the field holds */
static void
test_errors_never_quote(void **state)
{
	static const struct {
		const char *value, *want, *never;
	} cases[] = {
		{"Summer2024", "not a crypt(3) hash", "Summ"},
		{"Summer2024:more", "not a crypt(3) hash", "Summ"},
		{"$Summer$2024", "not a crypt(3) hash", "Summ"},
		{"$9$junk", "not a crypt(3) hash", "junk"},
		{"$md5rounds$junk", "not a crypt(3) hash", "md5r"},
		{"$3$$junk", "scheme $3$ is not", "junk"},
		{"$sha1$1$junk", "scheme $sha1$ is not", "junk"},
		{"$6$junk", "malformed sha512crypt", "junk"},
		{"Summer2024abc", "(des) refused (or a plaintext", "Summ"},
	};
	char err[256];
	size_t i;

	for (i = 0; i < nitems(cases); i++) {
		err[0] = 0;
		assert_null(pwfile_parse_hash(cases[i].value, false, err,
		    sizeof(err)));
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("%s: \"%s\" lacks \"%s\"", cases[i].value, err,
			    cases[i].want);
		if (strstr(err, cases[i].never) != NULL)
			fail_msg("%s: \"%s\" quotes it", cases[i].value, err);
	}
}

static void
test_scheme_names(void **state)
{
	bool weak;

	assert_string_equal(pwfile_scheme(H_YESCRYPT, &weak), "yescrypt");
	assert_false(weak);
	assert_string_equal(pwfile_scheme("$2b$10$x", &weak), "bcrypt");
	assert_false(weak);
	{
		char err[128];
		struct pw_hash *h = pwfile_parse_hash(H_BCRYPT, false, err,
		    sizeof(err));

		assert_non_null(h);
		pwfile_hash_free(h);
	}
	assert_string_equal(pwfile_scheme(H_DES, &weak), "des");
	assert_true(weak);
	assert_null(pwfile_scheme("abc", &weak));
}

static void
test_verify(void **state)
{
	assert_int_equal(auth_crypt_verify("secret", H_SHA512), 1);
	assert_int_equal(auth_crypt_verify("secreT", H_SHA512), 0);
	assert_int_equal(auth_crypt_verify("secret", H_YESCRYPT), 1);
	assert_int_equal(auth_crypt_verify("secret", "$9$x"), -1);
}

static void
test_secrecy(void **state)
{
	struct stat st;
	char err[256];

	memset(&st, 0, sizeof(st));
	st.st_uid = 0;
	st.st_mode = S_IFREG | 0600;
	assert_int_equal(pwfile_secrecy("f", &st, err, sizeof(err)), 0);
	st.st_mode = S_IFREG | 0640;
	assert_int_equal(pwfile_secrecy("f", &st, err, sizeof(err)), 0);
	st.st_mode = S_IFREG | 0644;
	assert_int_equal(pwfile_secrecy("f", &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "mode 0644"));
	st.st_mode = S_IFREG | 0620;
	assert_int_equal(pwfile_secrecy("f", &st, err, sizeof(err)), -1);
	st.st_mode = S_IFREG | 0600;
	st.st_uid = geteuid() + 1;	/* someone else's file */
	assert_int_equal(pwfile_secrecy("f", &st, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "owner must be root"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_and_refuse),
		cmocka_unit_test(test_errors_never_quote),
		cmocka_unit_test(test_scheme_names),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_secrecy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
