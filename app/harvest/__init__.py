"""The learning harvest's pages: capture at the table (`capture`), moderation and themes
(`moderation`), the briefing (`briefing`); one blueprint each, over app/services/harvest."""
