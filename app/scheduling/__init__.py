"""Scheduling: the one scheduler process and its periodic jobs.

The database is the truth; web requests only write rows. ``flask --app wsgi
scheduler`` (see :mod:`app.scheduling.commands`) runs APScheduler in its own
process, holding a single-instance lock (:mod:`app.scheduling.locks`), and the
jobs (:mod:`app.scheduling.jobs`) read and write tables: sending the SMS
outbox, reminders, escalation, offer expiry, repeating errands, feedback
requests and retention. Web workers never start a scheduler.
"""
