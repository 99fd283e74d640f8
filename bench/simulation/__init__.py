"""A simulated business day at the demo city hall, driven through the real HTTP and WebSocket API."""
