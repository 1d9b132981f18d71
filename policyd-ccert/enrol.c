/*
 * enrol.c - policyd-ccert-enrol: print identities lines for a certificate
 *
 * Given a PEM (or DER) certificate, or a PEM public key, and an identity
 * NAME, print the lines to append to the identities file: the public-key
 * (SPKI) pin in every digest Postfix may use, and the certificate pin
 * (commented out unless asked for), with the subject, issuer and expiry as
 * comments and the openssl commands that give the same fingerprints.
 *
 * The fingerprints are exactly Postfix's: ccert_fingerprint is the digest
 * of the DER certificate (X509_digest), ccert_pubkey_fingerprint the digest
 * of the DER SubjectPublicKeyInfo (i2d_X509_PUBKEY). X509_pubkey_digest()
 * is NOT used: it hashes only the key bits, which Postfix does not.
 *
 * Before printing, the active lines are parsed with the daemon's own
 * identities parser, so what this tool prints always loads.
 */
#include "sysdep.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "buf.h"
#include "identities.h"
#include "table.h"
#include "xalloc.h"

enum enrol_pin { PIN_PUBKEY = 1, PIN_CERT = 2, PIN_BOTH = 3 };

struct enrol {
	const char *file;
	const char *name;
	const char *senders;
	const char *expires;	/* YYYY-MM-DD, "none", or NULL = notAfter */
	const char *note;
	enum enrol_pin pin;
	X509	*cert;		/* NULL for a bare public key */
	EVP_PKEY *pkey;
	unsigned char *spki;	/* DER SubjectPublicKeyInfo */
	int	 spki_len;
};

static const struct {
	const char *name;	/* ours, and openssl's option */
	const EVP_MD *(*md)(void);
} enrol_digests[] = {
	/* sha256 first: the digest Postfix uses from compatibility_level 3.6 */
	{"sha256", EVP_sha256},
	{"md5", EVP_md5},
	{"sha1", EVP_sha1},
	{"sha512", EVP_sha512},
};

static void PFH_NORETURN
usage(const char *why)
{
	if (why)
		fprintf(stderr, "policyd-ccert-enrol: %s\n", why);
	fprintf(stderr,
	    "usage: policyd-ccert-enrol [options] FILE NAME\n"
	    "  FILE                 PEM or DER certificate, or PEM public key (- = stdin)\n"
	    "  NAME                 identity name (A-Z a-z 0-9 . _ - @ +)\n"
	    "  -s, --senders LIST   allowed envelope senders: @domain,user@domain,<>\n"
	    "  -e, --expires DATE   YYYY-MM-DD, or \"none\" (default: the notAfter date)\n"
	    "  -N, --note TEXT      free text shown on the status page\n"
	    "  -p, --pin KIND       pubkey (default), cert or both: which pins are active\n"
	    "  -V, --version        print the version\n");
	exit(EX_USAGE);
}

/* fail - an error about the input: message, OpenSSL's reason, exit */
static void PFH_NORETURN PFH_PRINTF(2, 3)
fail(int status, const char *fmt, ...)
{
	unsigned long e = ERR_peek_last_error();
	va_list ap;

	fprintf(stderr, "policyd-ccert-enrol: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (e != 0)
		fprintf(stderr, ": %s", ERR_reason_error_string(e) ?
		    ERR_reason_error_string(e) : "OpenSSL error");
	fputc('\n', stderr);
	exit(status);
}

/* read_input - certificate (PEM, then DER) or public key (PEM) */
static void
read_input(struct enrol *en)
{
	BIO *in, *mem;
	char chunk[4096];
	int n;
	char *data;
	long len;

	in = strcmp(en->file, "-") == 0 ? BIO_new_fp(stdin, BIO_NOCLOSE) :
	    BIO_new_file(en->file, "rb");
	if (in == NULL)
		fail(EX_NOINPUT, "cannot open %s", en->file);
	mem = BIO_new(BIO_s_mem());
	while ((n = BIO_read(in, chunk, sizeof(chunk))) > 0)
		BIO_write(mem, chunk, n);
	BIO_free(in);
	len = BIO_get_mem_data(mem, &data);

	/* each attempt reads its own BIO over the same bytes */
#define TRY(expr) do { BIO *b = BIO_new_mem_buf(data, (int)len); \
	expr; BIO_free(b); } while (0)
	TRY(en->cert = PEM_read_bio_X509(b, NULL, NULL, NULL));
	if (en->cert == NULL)
		TRY(en->cert = d2i_X509_bio(b, NULL));
	if (en->cert == NULL)
		TRY(en->pkey = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL));
#undef TRY
	BIO_free(mem);
	if (en->cert == NULL && en->pkey == NULL)
		fail(EX_DATAERR, "%s: no PEM/DER certificate and no PEM public "
		    "key found", en->file);
	ERR_clear_error();
	en->spki = NULL;
	if (en->cert != NULL)
		en->spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(en->cert),
		    &en->spki);
	else
		en->spki_len = i2d_PUBKEY(en->pkey, &en->spki);
	if (en->spki_len <= 0)
		fail(EX_DATAERR, "%s: cannot encode the public key", en->file);
}

/* hex_colon - Postfix's form: upper-case hex, ':' between bytes */
static void
hex_colon(char *out, const unsigned char *d, unsigned len)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned i;

	for (i = 0; i < len; i++) {
		if (i)
			*out++ = ':';
		*out++ = hex[d[i] >> 4];
		*out++ = hex[d[i] & 15];
	}
	*out = 0;
}

/* digest_spki / digest_cert - the two Postfix fingerprints */
static void
digest_spki(const struct enrol *en, const char *name, const EVP_MD *md,
    char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (EVP_Digest(en->spki, (size_t)en->spki_len, d, &len, md, NULL) != 1)
		fail(EX_SOFTWARE, "%s: digest failed", name);
	hex_colon(out, d, len);
}

static void
digest_cert(const struct enrol *en, const char *name, const EVP_MD *md,
    char *out)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (X509_digest(en->cert, md, d, &len) != 1)
		fail(EX_SOFTWARE, "%s: digest failed", name);
	hex_colon(out, d, len);
}

/* name_line - an X509 name on one line */
static void
name_line(char *out, size_t outlen, const X509_NAME *nm)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	X509_NAME_print_ex(b, nm, 0, XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB);
	n = BIO_get_mem_data(b, &p);
	snprintf(out, outlen, "%.*s", (int)n, p);
	BIO_free(b);
}

/* asn1_date - "YYYY-MM-DD HH:MM:SS UTC" and the date as YYYY-MM-DD */
static void
asn1_date(const ASN1_TIME *t, char *full, size_t fulllen, char *day,
    size_t daylen)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(t, &tm) != 1) {
		snprintf(full, fulllen, "(unreadable)");
		day[0] = 0;
		return;
	}
	strftime(full, fulllen, "%Y-%m-%d %H:%M:%S UTC", &tm);
	strftime(day, daylen, "%Y-%m-%d", &tm);
}

/* put_attr - " name=value": a bare word if possible, else "..." with \ escapes */
static void
put_attr(struct buf *o, const char *name, const char *v)
{
	const char *p;

	if (*v && strpbrk(v, " \t\"\\") == NULL) {
		(void)buf_printf(o, " %s=%s", name, v);
		return;
	}
	(void)buf_printf(o, " %s=\"", name);
	for (p = v; *p; p++)
		(void)buf_printf(o, "%s%c", *p == '"' || *p == '\\' ? "\\" : "",
		    *p);
	(void)buf_printf(o, "\"");
}

/* pin_line - one identities line, commented out when not active */
static void
pin_line(struct buf *o, struct buf *active, const struct enrol *en,
    const char *digest, const char *fp, const char *kind, int on,
    const char *expires)
{
	struct buf line;

	buf_init(&line, 0);
	(void)buf_printf(&line, "%s:%s %s kind=%s", digest, fp, en->name, kind);
	if (expires && *expires)
		put_attr(&line, "expires", expires);
	if (en->senders)
		put_attr(&line, "senders", en->senders);
	if (en->note)
		put_attr(&line, "note", en->note);
	(void)buf_printf(o, "%s%s\n", on ? "" : "#", line.data);
	if (on)
		(void)buf_printf(active, "%s\n", line.data);
	buf_free(&line);
}

/* print_header - what the admin needs to check the pins by hand */
static void
print_header(struct buf *o, const struct enrol *en, char *expires,
    size_t expires_len)
{
	char subject[512], issuer[512], nb[40], na[40], day[16];
	const char *expiry_src = "the certificate's notAfter date";

	(void)buf_printf(o, "# policyd-ccert identity \"%s\" from %s\n",
	    en->name, en->file);
	day[0] = 0;
	if (en->cert != NULL) {
		name_line(subject, sizeof(subject),
		    X509_get_subject_name(en->cert));
		name_line(issuer, sizeof(issuer), X509_get_issuer_name(en->cert));
		asn1_date(X509_get0_notBefore(en->cert), nb, sizeof(nb), day,
		    sizeof(day));
		asn1_date(X509_get0_notAfter(en->cert), na, sizeof(na), day,
		    sizeof(day));
		(void)buf_printf(o, "#   subject:   %s\n#   issuer:    %s\n"
		    "#   notBefore: %s\n#   notAfter:  %s\n", subject, issuer,
		    nb, na);
		if (day[0] && X509_cmp_current_time(X509_get0_notAfter(en->cert)) < 0)
			fprintf(stderr, "policyd-ccert-enrol: warning: %s "
			    "expired on %s\n", en->file, na);
	} else {
		(void)buf_printf(o, "#   a bare public key: no subject, no "
		    "expiry, no certificate pin\n");
	}
	if (en->expires == NULL)
		snprintf(expires, expires_len, "%s", day);
	else if (strcmp(en->expires, "none") == 0) {
		expires[0] = 0;
		expiry_src = NULL;
	} else {
		snprintf(expires, expires_len, "%s", en->expires);
		expiry_src = "--expires";
	}
	if (expires[0] && expiry_src)
		(void)buf_printf(o, "#   expires=%s comes from %s\n", expires,
		    expiry_src);
}

/* print_openssl - the equivalent commands, for a manual cross-check */
static void
print_openssl(struct buf *o, const struct enrol *en)
{
	const char *f = strcmp(en->file, "-") == 0 ? "FILE" : en->file;

	(void)buf_printf(o, "# The same fingerprints with openssl (Postfix "
	    "prints upper case with ':';\n# policyd-ccert accepts any case, "
	    "with or without ':'):\n");
	if (en->cert != NULL) {
		(void)buf_printf(o, "#   openssl x509 -in %s -noout -pubkey | "
		    "openssl pkey -pubin -outform DER | openssl dgst -sha256 "
		    "-c\n", f);
		(void)buf_printf(o, "#   openssl x509 -in %s -noout "
		    "-fingerprint -sha256\n", f);
	} else {
		(void)buf_printf(o, "#   openssl pkey -pubin -in %s -outform "
		    "DER | openssl dgst -sha256 -c\n", f);
	}
}

/* self_check - the active lines must load with the daemon's parser */
static void
self_check(const struct buf *active)
{
	char err[512];
	struct table *t;

	t = table_load_string(active->data, active->len, "output",
	    identities_table_ops(), err, sizeof(err));
	if (t == NULL) {
		fprintf(stderr, "policyd-ccert-enrol: %s\n", err);
		exit(EX_DATAERR);
	}
	table_unref(t);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"senders", required_argument, NULL, 's'},
		{"expires", required_argument, NULL, 'e'},
		{"note", required_argument, NULL, 'N'},
		{"pin", required_argument, NULL, 'p'},
		{"version", no_argument, NULL, 'V'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct enrol en;
	struct buf out, active;
	char fp[EVP_MAX_MD_SIZE * 3 + 1], expires[16];
	int ch, date;
	size_t i;

	memset(&en, 0, sizeof(en));
	en.pin = PIN_PUBKEY;
	while ((ch = getopt_long(argc, argv, "s:e:N:p:Vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			en.senders = optarg;
			break;
		case 'e':
			if (strcmp(optarg, "none") != 0 &&
			    ident_date_parse(optarg, strlen(optarg), &date) < 0)
				usage("--expires wants YYYY-MM-DD or none");
			en.expires = optarg;
			break;
		case 'N':
			en.note = optarg;
			break;
		case 'p':
			if (strcmp(optarg, "pubkey") == 0)
				en.pin = PIN_PUBKEY;
			else if (strcmp(optarg, "cert") == 0)
				en.pin = PIN_CERT;
			else if (strcmp(optarg, "both") == 0)
				en.pin = PIN_BOTH;
			else
				usage("--pin wants pubkey, cert or both");
			break;
		case 'V':
			printf("policyd-ccert-enrol (%s) %s\n", PACKAGE_NAME,
			    PACKAGE_VERSION);
			return 0;
		default:
			usage(NULL);
		}
	}
	if (argc - optind != 2)
		usage("want FILE and NAME");
	en.file = argv[optind];
	en.name = argv[optind + 1];
	if (*en.name == 0 || strlen(en.name) > 64 || en.name[strspn(en.name,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	    "._-@+")] != 0)
		usage("identity NAME wants 1-64 characters from A-Z a-z 0-9 "
		    ". _ - @ +");
	read_input(&en);
	if (en.cert == NULL && en.pin != PIN_PUBKEY)
		usage("--pin cert needs a certificate, not a bare public key");

	buf_init(&out, 0);
	buf_init(&active, 0);
	print_header(&out, &en, expires, sizeof(expires));
	(void)buf_printf(&out, "#\n# Public-key (SPKI) pins: they stay valid "
	    "when the certificate is renewed\n# with the same key. One line "
	    "per digest, so the identity matches whatever\n# "
	    "smtpd_tls_fingerprint_digest Postfix uses (md5 below "
	    "compatibility_level 3.6).\n");
	for (i = 0; i < nitems(enrol_digests); i++) {
		digest_spki(&en, enrol_digests[i].name, enrol_digests[i].md(),
		    fp);
		pin_line(&out, &active, &en, enrol_digests[i].name, fp, "pubkey",
		    (en.pin & PIN_PUBKEY) != 0, expires);
	}
	if (en.cert != NULL) {
		(void)buf_printf(&out, "# Certificate pins: they match this very "
		    "certificate only%s.\n", en.pin & PIN_CERT ? "" :
		    " (remove the '#'\n# to use them as well)");
		for (i = 0; i < nitems(enrol_digests); i++) {
			digest_cert(&en, enrol_digests[i].name,
			    enrol_digests[i].md(), fp);
			pin_line(&out, &active, &en, enrol_digests[i].name, fp,
			    "cert", (en.pin & PIN_CERT) != 0, expires);
		}
	}
	print_openssl(&out, &en);
	self_check(&active);
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	buf_free(&active);
	OPENSSL_free(en.spki);
	X509_free(en.cert);
	EVP_PKEY_free(en.pkey);
	return fflush(stdout) == 0 ? 0 : EX_IOERR;
}
