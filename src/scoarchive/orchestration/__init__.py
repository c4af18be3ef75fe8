"""Orchestration: what it takes to run the pipeline on a schedule, with Prefect.

What is worth retrying (:mod:`.retry`), crawl options as the CLI and flows build them
(:mod:`.options`), the global concurrency limits that keep runs on any number of workers polite
(:mod:`.limits`), the single-machine setup (:mod:`.schedule`), ``scoarchive status``
(:mod:`.status`), the run reports (:mod:`.reports`), the demo (:mod:`.demo`) and the tasks flows
share (:mod:`.tasks`). The only floor that imports Prefect, inside the functions that need it
(``tasks`` excepted, which only the flows import); the flows in ``scoarchive.flows`` sit on top.
"""
