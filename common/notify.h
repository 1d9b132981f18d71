/*
 * notify.h - readiness notification to systemd (and to the test harness)
 *
 * notify_send("READY=1") sends a datagram to $NOTIFY_SOCKET (a path, or an
 * abstract name starting with '@'); nothing happens when it is unset.
 * The daemons say READY=1 once the sockets are bound and the data loaded,
 * RELOADING=1 / READY=1 around a reload, STOPPING=1 on the way out.
 */
#ifndef PFH_NOTIFY_H
#define PFH_NOTIFY_H

int	notify_send(const char *state);

#endif /* PFH_NOTIFY_H */
