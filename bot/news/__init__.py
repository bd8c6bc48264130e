"""News in: fetching with limits and the SSRF guard, decoding, feeds, OPML, extraction, ingest."""
