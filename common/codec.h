/*
 * codec.h - the result every wire decoder returns
 *
 * "Need more" never shares a value with an error: a decoder that has seen
 * only part of a message returns CODEC_NEED_MORE, and checks size limits on
 * that partial input, so a peer cannot make us buffer without bound.
 */
#ifndef PFH_CODEC_H
#define PFH_CODEC_H

enum codec_result {
	CODEC_DONE = 0,		/* one complete message decoded */
	CODEC_NEED_MORE,	/* valid so far, incomplete */
	CODEC_ERR_FORMAT,	/* malformed; close the connection */
	CODEC_ERR_SIZE,		/* a limit was exceeded; close the connection */
};

const char *codec_strerror(enum codec_result);

#endif /* PFH_CODEC_H */
