"""Business rules as plain functions, called by views, the CLI, the API and jobs alike.

One package per domain; each module's docstring says what it owns and what it may import. The
imports run one way, from the top of this list down (tests/test_architecture.py keeps it so):

    harvest.briefing         harvest.{identification, moderation, templates, themes}
    harvest.themes           harvest.identification, planning.plans (who sat where)
    harvest.exports          harvest.{moderation, templates}, registration.csv_files
    harvest.moderation       harvest.identification
    harvest.highlights       harvest.identification
    harvest.editors          accounts.{organisers, password_resets}
    harvest.capture          harvest.templates, tokens, urls
    harvest.identification   organisations.{names, sectors}
    harvest.templates        models only
    planning.publishing      plans, registration.capacity, calendars.revisions, messaging.outbox
    planning.review          organisations.suggestions, scheduler (its measures)
    planning.edits           planning.translation, scheduler (its rules)
    printing                 planning.plans, planning.places
    registration.lifecycle   capacity, details, lookup, events.setup, messaging.outbox
    registration.csv_files   capacity, details, lookup, messaging.outbox
    events.setup, demo       organisations, registration.capacity
    registration.capacity    messaging.outbox
    registration.details     accounts, organisations
    organisations.suggestions  organisations.directory, organisations.names
    organisations.directory  organisations.{names, sectors}, planning.translation (measures),
                             registration.capacity (its write-locked transaction)
    planning.translation     planning.jobs (the protocol its planners follow), scheduler
    messaging.messages       messaging.invites, messaging.transport, urls,
                             accounts.password_resets (its links)
    accounts.password_resets accounts.organisers, messaging.outbox
    messaging.invites        calendars
    messaging.outbox         messaging.transport, urls (given its builders at start-up)
    calendars.feeds          calendars.timezones, planning.places, urls
    planning.places          planning.plans
    planning.plans, jobs     models only (jobs is given its planners at start-up)
    calendars.revisions      models only (an ORM hook, installed at start-up)
    accounts.organisers      accounts.sign_ins
    accounts.sign_ins, api_tokens  models only
    organisations.sectors    organisations.names; names imports nothing
    urls, tokens             nothing of the services

Services never import views, forms or blueprints.
"""
