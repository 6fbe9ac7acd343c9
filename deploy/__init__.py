"""How Familias is run: the local embedded stack, containers, Kubernetes."""
