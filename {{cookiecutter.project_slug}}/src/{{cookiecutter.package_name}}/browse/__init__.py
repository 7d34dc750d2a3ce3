"""Review sessions in a browser: ``python -m {{ cookiecutter.package_name }} browse`` and ``view``.

- ``catalog.py``: which sessions the storage layout holds, day by day, and the spool's.
- ``source.py``: one session's files, from the store or the spool, read safely.
- ``review.py``: a transcript turned into what the page shows (header, turns, latencies).
- ``page.py`` and ``chart.py``: the HTML (everything escaped) and the latency chart (SVG).
- ``server.py``: the aiohttp server, with range requests and a strict CSP.
- ``cli.py``: the click commands.

Static files (``static/``) are served by the server and inlined by ``view``; nothing is
loaded from the network.
"""
