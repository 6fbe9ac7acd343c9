"""`python -m deploy.local run`: the whole system on this machine, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from deploy.local.demo import load_demo_data
from deploy.local.processes import StartupError
from deploy.local.stack import LocalStack
from shared.settings import load_settings


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m deploy.local")
    parser.add_argument("command", choices=["run"], help="run: inicia todo el sistema")
    parser.add_argument("--sin-demo", action="store_true", help="no cargar datos de demostración")
    args = parser.parse_args()
    try:
        settings = load_settings()
    except Exception as exc:
        print(f"Configuración no válida: {_settings_error(exc)}", file=sys.stderr)
        return 2

    stack = LocalStack(settings)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stack.supervisor.say("Iniciando Familias…")
    try:
        stack.start()
    except StartupError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"Error: no se pudo iniciar: {exc}", file=sys.stderr)
        return 1
    if args.command == "run" and not args.sin_demo:
        try:
            created = load_demo_data(stack.settings)
            stack.supervisor.say(f"Datos de demostración cargados ({created} familias nuevas)")
        except Exception as exc:
            stack.supervisor.say(f"No se pudieron cargar los datos de demostración: {exc}")
    _print_urls(stack)
    stop.wait()
    stack.supervisor.say("Deteniendo Familias…")
    stack.stop()
    stack.supervisor.say("Detenido.")
    return 0


def _print_urls(stack: LocalStack) -> None:
    stack.supervisor.say("Familias está funcionando. Ctrl-C lo detiene.")
    for label, url in stack.urls():
        stack.supervisor.say(f"  {label:<26} {url}")
    stack.supervisor.say("  Estado del sistema:       .venv/bin/familias estado")


def _settings_error(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        return "; ".join(f"FAMILIAS_{str(e['loc'][0]).upper()}: {e['msg']}" for e in errors())
    return str(exc)


if __name__ == "__main__":
    sys.exit(main())
