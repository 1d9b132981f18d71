/*
 * sync_ldap_msg.h - the RFC 4533 (LDAP Content Synchronization) messages
 *
 * The agent drives the sync search from its own event loop (libldap's
 * ldap_sync_init() would block for the whole refresh), so it encodes the
 * Sync Request control and decodes the Sync State control of each entry
 * and the Sync Info intermediate messages itself:
 *   syncRequestValue ::= SEQUENCE { mode ENUMERATED, cookie OCTET STRING
 *       OPTIONAL, reloadHint BOOLEAN DEFAULT FALSE }
 *   syncStateValue ::= SEQUENCE { state ENUMERATED { present (0), add (1),
 *       modify (2), delete (3) }, entryUUID OCTET STRING (16), cookie
 *       OCTET STRING OPTIONAL }
 *   syncInfoValue ::= CHOICE { newcookie [0] OCTET STRING,
 *       refreshDelete [1] SEQUENCE { cookie OPTIONAL, refreshDone BOOLEAN
 *           DEFAULT TRUE },
 *       refreshPresent [2] SEQUENCE { the same },
 *       syncIdSet [3] SEQUENCE { cookie OPTIONAL, refreshDeletes BOOLEAN
 *           DEFAULT FALSE, syncUUIDs SET OF OCTET STRING (16) } }
 *
 * Contract: the parsers take the control's or message's value as the
 *   server sent it (any bytes), never read past it, and return 0 with the
 *   fields filled (cookies and UUIDs copied: free with the _free call), or
 *   -1 and a reason for anything that is not such a value (a wrong tag, a
 *   UUID that is not 16 bytes, a state out of range, trailing bytes).
 *   sync_ldap_request_value() encodes a refreshAndPersist request with the
 *   cookie (none when cookie_len is 0) into a value to free with
 *   ber_memfree(out->bv_val). Pure: no I/O.
 */
#ifndef PFH_SYNC_LDAP_MSG_H
#define PFH_SYNC_LDAP_MSG_H

#include <lber.h>
#include <stdbool.h>
#include <stddef.h>

#define SYNC_UUID_LEN	16

struct sync_cookie {
	char	*data;			/* malloc'd, NUL-terminated; NULL: none */
	size_t	 len;
};

struct sync_ldap_state {
	int	 state;			/* LDAP_SYNC_PRESENT .. _DELETE */
	unsigned char uuid[SYNC_UUID_LEN];
	struct sync_cookie cookie;
};

enum sync_info_kind {
	SYNC_INFO_NEW_COOKIE,
	SYNC_INFO_REFRESH_DELETE,
	SYNC_INFO_REFRESH_PRESENT,
	SYNC_INFO_ID_SET,
};

struct sync_ldap_info {
	enum sync_info_kind kind;
	struct sync_cookie cookie;
	bool	 refresh_done;		/* refreshDelete/refreshPresent */
	bool	 refresh_deletes;	/* syncIdSet: deleted, not present */
	unsigned char (*uuids)[SYNC_UUID_LEN];	/* syncIdSet */
	size_t	 nuuids;
};

int	sync_ldap_parse_state(const char *val, size_t len,
	    struct sync_ldap_state *out, char *err, size_t errlen);
void	sync_ldap_state_free(struct sync_ldap_state *);
int	sync_ldap_parse_info(const char *val, size_t len,
	    struct sync_ldap_info *out, char *err, size_t errlen);
void	sync_ldap_info_free(struct sync_ldap_info *);
int	sync_ldap_request_value(const char *cookie, size_t cookie_len,
	    struct berval *out);

#endif /* PFH_SYNC_LDAP_MSG_H */
