"""The one-question survey a citizen may answer after the last stop of a visit."""
