"""The kiosk's voice guide: a screen's words read aloud, offline, by the announcement engines."""
