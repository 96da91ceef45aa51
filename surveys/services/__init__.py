"""Domain rules as plain functions that take a session: no HTTP, easy to test.

Services flush; the request or CLI command that called them commits.
"""
