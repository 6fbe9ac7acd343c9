"""The console's stylesheet (a package so setuptools ships the *.css file)."""
