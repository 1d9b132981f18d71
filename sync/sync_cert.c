/*
 * sync_cert.c - the public-key pin and last day of a DER certificate
 */
#include "sysdep.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "sync_cert.h"

int
sync_cert_pin(const unsigned char *der, size_t len,
    char pin[SYNC_CERT_PIN_LEN], char expires[SYNC_CERT_DAY_LEN], char *err,
    size_t errlen)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = der;
	unsigned char *spki = NULL, d[EVP_MAX_MD_SIZE];
	unsigned dlen = 0, i;
	struct tm tm;
	X509 *x;
	int n, rc = -1;

	if (len == 0 || len > 1 << 20 ||
	    (x = d2i_X509(NULL, &p, (long)len)) == NULL) {
		/* not a certificate: a text fingerprint. The queue must not
		 * leave errors for the next TLS call of this thread */
		ERR_clear_error();
		return 0;
	}
	if ((size_t)(p - der) != len) {
		X509_free(x);
		return 0;
	}
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	if (n <= 0 || EVP_Digest(spki, (size_t)n, d, &dlen, EVP_sha256(),
	    NULL) != 1 || dlen != 32) {
		snprintf(err, errlen, "the certificate's public key cannot be "
		    "encoded");
		goto out;
	}
	memcpy(pin, "sha256:", 7);
	for (i = 0; i < dlen; i++) {
		pin[7 + 2 * i] = hex[d[i] >> 4];
		pin[8 + 2 * i] = hex[d[i] & 15];
	}
	pin[7 + 2 * dlen] = 0;
	memset(&tm, 0, sizeof(tm));
	if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) != 1 ||
	    strftime(expires, SYNC_CERT_DAY_LEN, "%Y-%m-%d", &tm) != 10) {
		snprintf(err, errlen, "the certificate's notAfter cannot be "
		    "read");
		goto out;
	}
	rc = 1;
out:
	OPENSSL_free(spki);
	X509_free(x);
	return rc;
}
