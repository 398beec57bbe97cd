"""Crawlers: polite fetching of news sources and page -> article parsing.

This package does I/O with the web and knows no NLP. It hands pages and parsed articles to a
`CrawlState` (implemented by `extractor.store.Store`); it never opens a database itself.
"""
