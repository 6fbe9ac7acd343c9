"""`python -m tests.chaos`: one chaos run per seed; prints the invariant table, appends it to
bench/RESULTS.md with --registrar, and exits 1 if any invariant fails (tests/chaos/README.md)."""

from __future__ import annotations

import argparse
import sys
import time

from tests.chaos.faults import Kind
from tests.chaos.run import ChaosConfig, run_sync

DEFAULTS = {"dinero": (1000, 3), "ciclo-de-vida": (300, 4)}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument(
        "--modo",
        choices=["dinero", "ciclo-de-vida", "ambos"],
        default="ambos",
        help="dinero: ciclos de pago en el servidor de desarrollo; ciclo-de-vida: meses del "
        "programa en el servidor de pruebas con salto de tiempo; ambos (por omisión)",
    )
    parser.add_argument("--semilla", type=int, action="append", help="repetible; por omisión 1")
    parser.add_argument("--familias", type=int, help="dinero: 1000; ciclo de vida: 300")
    parser.add_argument("--rondas", type=int, help="ciclos de pago (3) o meses del programa (4)")
    parser.add_argument(
        "--fallas",
        help="solo estas fallas, separadas por comas (por omisión todas las del modo): "
        + ", ".join(k.value for k in Kind),
    )
    parser.add_argument("--extra", type=int, default=0, help="fallas adicionales al azar")
    parser.add_argument("--registrar", action="store_true", help="añadir a bench/RESULTS.md")
    parser.add_argument("--conservar", action="store_true", help="conservar datos y registros")
    args = parser.parse_args()
    kinds = bank = None
    if args.fallas:
        chosen = [Kind(name.strip()) for name in args.fallas.split(",") if name.strip()]
        kinds = [k for k in chosen if not k.value.startswith("bank-")]
        bank = [k for k in chosen if k.value.startswith("bank-")]
    modes = ["dinero", "ciclo-de-vida"] if args.modo == "ambos" else [args.modo]
    failed = []
    for seed in args.semilla or [1]:
        for mode in modes:
            families, rounds = DEFAULTS[mode]
            config = ChaosConfig(
                mode=mode,  # type: ignore[arg-type]
                seed=seed,
                families=args.familias or families,
                rounds=args.rondas or rounds,
                kinds=kinds,
                bank_kinds=bank,
                extra_faults=args.extra,
                record=args.registrar,
                keep=args.conservar,
            )
            started = time.monotonic()
            report = run_sync(config, say=lambda line: print(f"caos| {line}", flush=True))
            print()
            print(report.markdown())
            verdict = "cumple" if report.ok else "NO cumple"
            print(f"{mode}, semilla {seed}: {verdict} ({time.monotonic() - started:.0f} s)",
                  flush=True)  # fmt: skip
            if not report.ok:
                failed.append(f"{mode} {seed}")
    if failed:
        print(f"Invariantes incumplidas: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
