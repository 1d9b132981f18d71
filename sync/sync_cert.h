/*
 * sync_cert.h - an identities pin from a certificate in a directory entry
 *
 * An LDAP identities feed may give the certificate itself (the binary DER
 * of userCertificate;binary) in place of a fingerprint. policyd-ccert
 * matches Postfix's ccert_pubkey_fingerprint, so the agent writes the
 * sha256 digest of the certificate's SubjectPublicKeyInfo (as
 * policyd-ccert-enrol's public-key pin, which survives a renewal with
 * the same key) and the certificate's last day as expires=.
 *
 * Contract: sync_cert_pin() takes len bytes that must be exactly one DER
 *   certificate (trailing bytes refuse it): 1 with pin "sha256:HEX" (64
 *   upper-case hex digits) and expires "YYYY-MM-DD" (the UTC day of
 *   notAfter), 0 when the bytes are not a certificate (the caller then
 *   treats them as a text fingerprint), -1 and a reason when it is one
 *   whose key or dates cannot be read. Pure; thread-safe.
 */
#ifndef PFH_SYNC_CERT_H
#define PFH_SYNC_CERT_H

#include <stddef.h>

#define SYNC_CERT_PIN_LEN	(7 + 64 + 1)
#define SYNC_CERT_DAY_LEN	11

int	sync_cert_pin(const unsigned char *der, size_t len,
	    char pin[SYNC_CERT_PIN_LEN], char expires[SYNC_CERT_DAY_LEN],
	    char *err, size_t errlen);

#endif /* PFH_SYNC_CERT_H */
