"""Intake: the Ministry's nómina becomes families, members, representatives and caseloads."""
