/*
 * codec.c - text for the result every wire decoder returns
 *
 * The text goes into peer-facing warnings ("warning: unix:... : malformed
 * request"), so it names the class of problem, never the bytes received.
 */
#include "sysdep.h"

#include "codec.h"

/* codec_strerror - short description of a decoder result */
const char *
codec_strerror(enum codec_result r)
{
	switch (r) {
	case CODEC_DONE:
		return "complete";
	case CODEC_NEED_MORE:
		return "incomplete";
	case CODEC_ERR_FORMAT:
		return "malformed input";
	case CODEC_ERR_SIZE:
		return "size limit exceeded";
	}
	/* Not a value of the enum: a bug in the caller, but never NULL. */
	return "unknown codec result";
}
