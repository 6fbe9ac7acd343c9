"""`python -m bench [name ...]`: run the benchmarks and print their results."""

from __future__ import annotations

import argparse
import asyncio

from bench import ciclo_pagos, lifecycle, nomina, relay, sessions, tablero

BENCHMARKS = {
    "relay": relay.main,
    "nomina": nomina.main,
    "sesiones": sessions.main,
    "flujo": lifecycle.main,
    "pagos": ciclo_pagos.main,
    "tablero": tablero.main,
}


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks de Familias")
    parser.add_argument("names", nargs="*", choices=[*BENCHMARKS, []], default=list(BENCHMARKS))
    parser.add_argument("--events", type=int, default=20_000, help="eventos por ronda")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ordenes", type=int, default=150_000, help="órdenes del ciclo de pagos")
    args = parser.parse_args()
    for name in args.names or BENCHMARKS:
        if name == "pagos":
            asyncio.run(ciclo_pagos.main(events=args.events, rounds=1, orders=args.ordenes))
            continue
        asyncio.run(BENCHMARKS[name](events=args.events, rounds=args.rounds))


if __name__ == "__main__":
    main()
