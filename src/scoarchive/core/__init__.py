"""The ground floor: what every other floor shares.

The data directory and settings (:mod:`.settings`), URLs in their canonical and SURT forms and
``--connect-to`` (:mod:`.urls`), site profiles (:mod:`.profile`, with the packaged TOML profiles),
dates as citations write them (:mod:`.dates`), HTTP messages as stored (:mod:`.httpmsg`) and
HTML of any depth (:mod:`.html`). Nothing here imports another floor.
"""
