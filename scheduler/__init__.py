"""Convene's optimisation engine: seat people at tables and assign breakouts.

Plain dataclasses in, plain dataclasses out; no Flask, no database.
"""
