"""iCalendar files and feeds, their time zones, and the revisions that keep calendars in step."""
