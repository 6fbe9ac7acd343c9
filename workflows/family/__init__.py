"""FamilyLifecycle: the 24-month process of one family."""
