"""Calendar files: a person's own calendar (also a subscription feed) and the public programme."""
