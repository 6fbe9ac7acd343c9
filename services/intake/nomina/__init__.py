"""The Ministry's nómina de derivación: reading files, validating rows, grouping families."""
