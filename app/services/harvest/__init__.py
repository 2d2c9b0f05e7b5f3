"""The learning harvest: reflection templates, capture at the table, the identification check,
moderation and themes, and the briefing. Cards never hold anything that identifies a person."""
