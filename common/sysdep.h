/*
 * sysdep.h - first include of every pfhelpers source file
 *
 * Pulls in config.h (feature macros come from AC_USE_SYSTEM_EXTENSIONS) and
 * defines the few compiler attributes and helpers used everywhere.
 */
#ifndef PFH_SYSDEP_H
#define PFH_SYSDEP_H

#include "config.h"

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#define PFH_PRINTF(f, a)	__attribute__((format(printf, f, a)))
#define PFH_NORETURN		__attribute__((noreturn))
#define PFH_NODISCARD		__attribute__((warn_unused_result))
#define PFH_UNUSED		__attribute__((unused))

#define nitems(a)		(sizeof(a) / sizeof((a)[0]))

#ifndef PFH_SYSCONFDIR
#define PFH_SYSCONFDIR		"/etc/pfhelpers"
#endif
#ifndef PFH_RUNSTATEDIR
#define PFH_RUNSTATEDIR		"/run"
#endif

#endif /* PFH_SYSDEP_H */
