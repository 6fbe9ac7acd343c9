"""The processes Familias drives on Temporal: one FamilyLifecycle per family, PaymentCycle."""
