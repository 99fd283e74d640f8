"""The durable outbox: everything the server sends to the outside (mail, webhooks).

Rows are written in the caller's transaction (store.py) and delivered after the commit by a
dispatcher task (dispatcher.py): at least once, with a stable delivery id, retried with
exponential backoff and moved to the dead letters after the configured number of attempts.
"""

from server.outbox.store import KIND_MAIL, KIND_WEBHOOK, enqueue, new_delivery_id

__all__ = ["KIND_MAIL", "KIND_WEBHOOK", "enqueue", "new_delivery_id"]
