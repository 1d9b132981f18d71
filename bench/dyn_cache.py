#!/usr/bin/env python3
"""dyn_cache.py DOMAINS NOW - a tlsmap dynamic-map cache file on stdout.

For run-cost.sh: every domain of the DOMAINS file (one a line) with DANE
known absent and an enforce MTA-STS policy for "mx1.DOMAIN" held, both
valid for a day from NOW (seconds since the epoch), in the format
tlsmap/dyn_store.c writes. tlsmap parses each held policy again when it
reads the file, so the answers are the ones a fetch would give:
"OK secure match=mx1.DOMAIN servername=hostname".
"""

import sys


def main():
    domains, now = sys.argv[1], int(sys.argv[2])
    print("# tlsmap dynamic cache v1")
    with open(domains) as f:
        for d in f.read().split():
            body = ("version: STSv1\nmode: enforce\nmx: mx1.%s\n"
                    "max_age: 604800\n" % d)
            print("v1 %s none %d 1 %d bench1 %d - 0 %s"
                  % (d, now + 86400, now + 86400, now,
                     body.encode().hex()))


if __name__ == "__main__":
    main()
