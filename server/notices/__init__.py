"""“Your turn is near” by e-mail: the status page's opt-in, sent through the outbox (server/outbox)."""
