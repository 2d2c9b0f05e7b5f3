"""Programmes (issue 21): mentoring schemes, secondment rounds and peer-challenge rounds.

`programmes` owns what every kind shares (creating, listing, who may see one); each kind's rules
live in modules of their own beside it (`mentoring_*` for mentoring schemes and secondment rounds).
"""
