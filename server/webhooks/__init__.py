"""Signed webhooks for back-office systems: ticket.issued, stop.completed, ticket.finished.

relay.py turns the event log into outbox rows; sender.py signs and POSTs them (signing.py);
service.py and router.py manage receivers, key rotation and dead letters.
"""
