"""Messages that cross a process boundary: one module per owner, plus subjects."""
