"""The data-owning services (intake, plans, payments) and the supervision console."""
