"""Browser tests: the pages in headless Chromium via Playwright, against a live server."""
