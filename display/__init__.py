"""The pages citizens see on public screens and phones: lobby board, status page, booking."""

from pathlib import Path

# The tab icon of every page, served as /favicon.ico by the server and by the kiosk agent.
FAVICON = Path(__file__).with_name("favicon.svg")
