"""Search over projects, contributions and people: ``/search/`` and ``GET /api/search/``.

- ``fulltext``: how words match and rank (PostgreSQL full-text search on GIN-indexed
  expressions, a plain fallback on SQLite). It imports no app's models, so the apps'
  own selectors use it too (project browsing, ``projects.selectors.project_list``).
- ``selectors``: the reads, for the page and the API alike (ranked ids, then cards).
- ``views`` and ``api``: thin shells over the selectors.
"""
