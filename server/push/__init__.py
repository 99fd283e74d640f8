"""Web Push (RFC 8030/8291/8292): "your turn is near" on a citizen's phone, sent by the edge.

- webpush.py  VAPID-signed, aes128gcm-encrypted pushes to the browser's push service
- standin.py  a push service on loopback for tests and drills: it decrypts what it receives
"""
