"""The public edge: an internet-facing process that serves citizens' pages from what the city
hall pushes to it over an outbound link, and the city hall's end of that link.

- protocol.py  what travels over the link, and which public routes the edge forwards
- app.py       the edge's web app (one per process, several city halls, each under its prefix)
- state.py     the edge's memory: holders' views, congestion, push subscriptions (no database)
- cli.py       `madoguchi edge --listen H:P --public-url URL --key KEY [--tenant NAME:KEY …]`
- link.py      the city hall's outbound link (started by the server when MADOGUCHI_EDGE_URL is set)
- views.py     what the link pushes, read from the database
- remote.py    remote queueing: a number taken from the phone, within a daily quota
"""
