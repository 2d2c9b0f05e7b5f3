"""Mail to registrants: the outbox, what each message says, calendar invites, transport."""
