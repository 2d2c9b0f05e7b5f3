"""Business rules as plain functions, called by views, the CLI, the API and jobs alike.

One package per domain; each module's docstring says what it owns and what it may import. The
imports run one way, from the top of this list down (tests/test_architecture.py keeps it so):

    series.overview          commitments.actions
    programmes.mentoring_review  programmes.{programmes, mentoring_matching,
                             mentoring_members}, messaging.outbox, planning.summaries, scheduler
    programmes.mentoring_matching  planning.{jobs, summaries}, programmes.{programmes,
                             mentoring_members}, messaging.outbox, scheduler
    programmes.mentoring_check_ins  commitments.follow_ups (months_after), messaging.outbox,
                             tokens
    programmes.mentoring_messages  programmes.{programmes, mentoring_members},
                             messaging.transport, urls
    programmes.invitations   programmes.programmes, messaging.outbox
    programmes.mentoring_members  programmes.programmes, registration.details (check_contact),
                             organisations.directory, messaging.outbox, tokens, scheduler
    programmes.programmes    tokens, registration.capacity (its write-locked transaction),
                             messaging.outbox
    programmes.peer_challenge_messages  programmes.{programmes, peer_challenge_members,
                             peer_challenge_milestones},
                             messaging.transport, urls
    programmes.peer_challenge_teams  programmes.{programmes, peer_challenge_members},
                             planning.{jobs, summaries}, organisations.directory,
                             messaging.outbox, scheduler
    programmes.peer_challenge_milestones  commitments.follow_ups (months_after), messaging.outbox
    programmes.peer_challenge_members  programmes.programmes, registration.details
                             (check_contact), organisations.{directory, sectors},
                             messaging.outbox, tokens, scheduler
    series.grouping          series.history
    voting.results           voting.ballots, registration.csv_files (neutralise)
    voting.ballots           accounts.organisers, messaging.outbox, registration.lookup, urls
    commitments.follow_ups   commitments.actions, messaging.outbox
    harvest.briefing         harvest.{identification, moderation, templates, themes}
    harvest.themes           harvest.identification, planning.plans (who sat where)
    harvest.exports          harvest.{moderation, templates}, registration.csv_files
    harvest.moderation       harvest.identification
    harvest.highlights       harvest.identification
    harvest.editors          accounts.{organisers, password_resets}
    harvest.capture          harvest.templates, tokens, urls
    harvest.identification   organisations.{names, sectors}
    harvest.templates        models only
    planning.walk_ins        planning.{jobs, plans, translation}, registration.{capacity,
                             details, lookup}, messaging.outbox, tokens, scheduler
    planning.chart           planning.{translation, jobs, summaries}, scheduler
    planning.publishing      plans, registration.capacity, calendars.revisions, messaging.outbox
    planning.review          organisations.suggestions, planning.{plans, summaries}, scheduler
    planning.edits           planning.{translation, summaries, jobs}, scheduler (its rules)
    registration.desk        registration.lookup, planning.places
    messaging.segments       planning.plans, messaging.outbox
    printing                 planning.plans, planning.places
    registration.lifecycle   capacity, details, lookup, events.setup, messaging.outbox
    registration.csv_files   capacity, details, lookup, messaging.outbox
    events.setup, demo       organisations, registration.capacity
    registration.capacity    messaging.outbox
    registration.details     accounts, organisations
    organisations.suggestions  organisations.directory, organisations.names
    organisations.directory  organisations.{names, sectors}, planning.translation (measures),
                             registration.capacity (its write-locked transaction)
    planning.translation     planning.jobs (the protocol its planners follow), planning.plans,
                             series.history, scheduler
    messaging.messages       messaging.invites, messaging.transport, urls, planning.places,
                             accounts.password_resets (its links), registration.check_in_codes,
                             commitments.actions
    accounts.password_resets accounts.organisers, messaging.outbox
    messaging.invites        calendars
    messaging.outbox         messaging.transport, urls (given its builders at start-up)
    calendars.feeds          calendars.timezones, planning.places, urls
    planning.places          planning.plans
    series.history, tablemates  planning.plans
    planning.plans, jobs     models only (jobs is given its planners at start-up)
    planning.summaries, commitments.actions  models only
    registration.check_in_codes  urls
    calendars.revisions      models only (an ORM hook, installed at start-up)
    accounts.organisers      accounts.sign_ins
    accounts.sign_ins, api_tokens  models only
    organisations.sectors    organisations.names; names imports nothing
    urls, tokens             nothing of the services

Services never import views, forms or blueprints.
"""
