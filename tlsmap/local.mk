# tlsmap: filled in by its issue
