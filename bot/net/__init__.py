"""Network access: the fetcher (``bot.net.fetch``) and its SSRF guard (``bot.net.guard``)."""
