# policyd-ccert: filled in by its issue
