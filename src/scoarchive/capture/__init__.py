"""Capture, the third floor: a polite, scoped crawler that writes every exchange to WARC.

The crawler (:mod:`.crawler`) takes URLs from the frontier (:mod:`.frontier`), fetches them
through one egress policy (:mod:`.egress`, :mod:`.connections`, :mod:`.transport`) within the
per-host politeness of :mod:`.politeness` and the rules of robots.txt (:mod:`.robots`), stores
each exchange (:mod:`.store`), and queues what follows from it (:mod:`.successors`,
:mod:`.discovery`); a killed run resumes from its WARC files (:mod:`.resume`). :mod:`.live` asks
the live site about archived pages through the same fetcher, for the watch and the briefing check.
"""
