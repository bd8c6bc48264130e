"""newsbrief's shared core: platform-neutral, never imports a platform SDK.

The layout follows the data (the README draws the whole tree):

    news/    feeds, OPML, pages in: fetching with limits, the SSRF guard, extraction, ingest
    nlp/     pure text work: cleaning, sentences, summaries, quotes, answers, word lists
    store/   SQLAlchemy 2 + Alembic: articles, clusters, search, sources, threads, outbox, leases
    chat/    the Platform seam, neutral messages, the conversation, /feeds, briefs, rendering
    (top)    config, errors, models, crypto, urls (show, log, store a URL), redact, logs;
             app and cli, the composition root; warmup (the answerer's data, loaded early)
"""

__version__ = "0.1.0"
