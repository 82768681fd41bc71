"""Browser tests: a real JupyterLab driven in Debian's Chromium (a package, so test names may repeat tests/)."""
