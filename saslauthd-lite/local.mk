# saslauthd-lite: filled in by its issue
