"""Jinja2 templates of the console (a package so setuptools ships the *.html files)."""
