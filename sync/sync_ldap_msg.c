/*
 * sync_ldap_msg.c - RFC 4533 control and intermediate values, with liblber
 */
#include "sysdep.h"

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_ldap_msg.h"
#include "xalloc.h"

/* value_ber - a decoder over a copy of the value; NULL for an empty one
 * (liblber's decoder over no bytes reads through a NULL buffer) */
static BerElement *
value_ber(const char *val, size_t len)
{
	struct berval bv;

	if (len == 0)
		return NULL;
	bv.bv_val = (char *)(uintptr_t)val;
	bv.bv_len = len;
	return ber_init(&bv);
}

/* take_cookie - copy an OCTET STRING into a cookie */
static int
take_cookie(BerElement *ber, struct sync_cookie *c)
{
	struct berval bv;

	if (ber_scanf(ber, "m", &bv) == LBER_ERROR)
		return -1;
	free(c->data);
	c->data = xmalloc(bv.bv_len + 1);
	memcpy(c->data, bv.bv_val, bv.bv_len);
	c->data[bv.bv_len] = 0;
	c->len = bv.bv_len;
	return 0;
}

/* at_end - nothing may follow the value */
static int
at_end(BerElement *ber)
{
	ber_len_t len;

	return ber_peek_tag(ber, &len) == LBER_DEFAULT;
}

int
sync_ldap_parse_state(const char *val, size_t len,
    struct sync_ldap_state *out, char *err, size_t errlen)
{
	BerElement *ber;
	struct berval uuid;
	ber_int_t state;
	ber_len_t blen;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((ber = value_ber(val, len)) == NULL) {
		snprintf(err, errlen, "an empty Sync State control");
		return -1;
	}
	if (ber_scanf(ber, "{em", &state, &uuid) == LBER_ERROR) {
		snprintf(err, errlen, "a Sync State control that does not "
		    "decode");
		goto out;
	}
	if (state < LDAP_SYNC_PRESENT || state > LDAP_SYNC_DELETE) {
		snprintf(err, errlen, "a Sync State control with state %d",
		    (int)state);
		goto out;
	}
	if (uuid.bv_len != SYNC_UUID_LEN) {
		snprintf(err, errlen, "a Sync State control whose entryUUID "
		    "is %lu bytes, not 16", (unsigned long)uuid.bv_len);
		goto out;
	}
	out->state = state;
	memcpy(out->uuid, uuid.bv_val, SYNC_UUID_LEN);
	if (ber_peek_tag(ber, &blen) == LDAP_TAG_SYNC_COOKIE &&
	    take_cookie(ber, &out->cookie) < 0) {
		snprintf(err, errlen, "a Sync State cookie that does not "
		    "decode");
		goto out;
	}
	if (ber_scanf(ber, "}") == LBER_ERROR || !at_end(ber)) {
		snprintf(err, errlen, "a Sync State control with bytes past "
		    "its end");
		goto out;
	}
	rc = 0;
out:
	ber_free(ber, 1);
	if (rc < 0)
		sync_ldap_state_free(out);
	return rc;
}

void
sync_ldap_state_free(struct sync_ldap_state *s)
{
	free(s->cookie.data);
	s->cookie.data = NULL;
	s->cookie.len = 0;
}

/* parse_refresh - refreshDelete / refreshPresent's SEQUENCE */
static int
parse_refresh(BerElement *ber, struct sync_ldap_info *out)
{
	ber_len_t len;
	ber_int_t done = 1;
	ber_tag_t tag;

	if (ber_scanf(ber, "{") == LBER_ERROR)
		return -1;
	tag = ber_peek_tag(ber, &len);
	if (tag == LDAP_TAG_SYNC_COOKIE) {
		if (take_cookie(ber, &out->cookie) < 0)
			return -1;
		tag = ber_peek_tag(ber, &len);
	}
	if (tag == LDAP_TAG_REFRESHDONE && ber_scanf(ber, "b", &done) ==
	    LBER_ERROR)
		return -1;
	out->refresh_done = done != 0;
	return ber_scanf(ber, "}") == LBER_ERROR ? -1 : 0;
}

/* parse_idset - syncIdSet's SEQUENCE */
static int
parse_idset(BerElement *ber, struct sync_ldap_info *out)
{
	BerVarray ids = NULL;
	ber_int_t deletes = 0;
	ber_len_t len;
	ber_tag_t tag;
	size_t i, n;
	int rc = -1;

	if (ber_scanf(ber, "{") == LBER_ERROR)
		return -1;
	tag = ber_peek_tag(ber, &len);
	if (tag == LDAP_TAG_SYNC_COOKIE) {
		if (take_cookie(ber, &out->cookie) < 0)
			return -1;
		tag = ber_peek_tag(ber, &len);
	}
	if (tag == LDAP_TAG_REFRESHDELETES && ber_scanf(ber, "b", &deletes) ==
	    LBER_ERROR)
		return -1;
	out->refresh_deletes = deletes != 0;
	if (ber_scanf(ber, "[W]", &ids) == LBER_ERROR)
		return -1;
	for (n = 0; ids && ids[n].bv_val; n++)
		if (ids[n].bv_len != SYNC_UUID_LEN)
			goto out;
	out->uuids = xcalloc(n ? n : 1, SYNC_UUID_LEN);
	for (i = 0; i < n; i++)
		memcpy(out->uuids[i], ids[i].bv_val, SYNC_UUID_LEN);
	out->nuuids = n;
	rc = ber_scanf(ber, "}") == LBER_ERROR ? -1 : 0;
out:
	ber_bvarray_free(ids);
	return rc;
}

int
sync_ldap_parse_info(const char *val, size_t len, struct sync_ldap_info *out,
    char *err, size_t errlen)
{
	BerElement *ber;
	ber_len_t blen;
	ber_tag_t tag;
	int rc = -1;

	memset(out, 0, sizeof(*out));
	if ((ber = value_ber(val, len)) == NULL) {
		snprintf(err, errlen, "an empty Sync Info message");
		return -1;
	}
	switch ((tag = ber_peek_tag(ber, &blen))) {
	case LDAP_TAG_SYNC_NEW_COOKIE:
		out->kind = SYNC_INFO_NEW_COOKIE;
		rc = take_cookie(ber, &out->cookie);
		break;
	case LDAP_TAG_SYNC_REFRESH_DELETE:
	case LDAP_TAG_SYNC_REFRESH_PRESENT:
		out->kind = tag == LDAP_TAG_SYNC_REFRESH_DELETE ?
		    SYNC_INFO_REFRESH_DELETE : SYNC_INFO_REFRESH_PRESENT;
		rc = parse_refresh(ber, out);
		break;
	case LDAP_TAG_SYNC_ID_SET:
		out->kind = SYNC_INFO_ID_SET;
		rc = parse_idset(ber, out);
		break;
	default:
		snprintf(err, errlen, "a Sync Info message of unknown kind "
		    "(tag 0x%lx)", (unsigned long)tag);
		ber_free(ber, 1);
		return -1;
	}
	if (rc == 0 && !at_end(ber))
		rc = -1;
	if (rc < 0) {
		snprintf(err, errlen, "a Sync Info message that does not "
		    "decode");
		sync_ldap_info_free(out);
	}
	ber_free(ber, 1);
	return rc;
}

void
sync_ldap_info_free(struct sync_ldap_info *in)
{
	free(in->cookie.data);
	free(in->uuids);
	memset(in, 0, sizeof(*in));
}

int
sync_ldap_request_value(const char *cookie, size_t cookie_len,
    struct berval *out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval c;
	int rc = -1;

	if (ber == NULL)
		return -1;
	c.bv_val = (char *)(uintptr_t)cookie;
	c.bv_len = cookie_len;
	if (ber_printf(ber, "{e", (ber_int_t)LDAP_SYNC_REFRESH_AND_PERSIST) <
	    0 || (cookie_len && ber_printf(ber, "O", &c) < 0) ||
	    ber_printf(ber, "N}") < 0)
		goto out;
	rc = ber_flatten2(ber, out, 1) < 0 ? -1 : 0;
out:
	ber_free(ber, 1);
	return rc;
}
