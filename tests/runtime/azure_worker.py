"""Index a Python v2 Azure Functions app the way the Python worker does, and run timers.

    python3.12 -S azure_worker.py SCRIPT_ROOT [FUNCTION ...]

Run with nothing of the project on the path: like the worker, this puts the script root
(the unzipped package) and its ``.python_packages/lib/site-packages`` first on
``sys.path``, imports ``function_app``, collects the functions of every
``azure.functions.FunctionRegister`` it defines (their function.json as the host would
read it), and invokes each named timer function with a ``TimerRequest`` decoded from the
host's timer payload by the library's own converter. Log records reach the host through
the root logger at the level host.json sets (``Information``); here each is printed as
one JSON line. An exception from a function is a failed invocation, as on the host.

Standard library only: this file is a test harness, not part of any artefact.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import traceback


class HostLog(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        line = {"logger": record.name, "level": record.levelname, "message": record.getMessage()}
        print(json.dumps(line), flush=True)


def main(root: str, names: list[str]) -> int:
    sys.path[:0] = [root, os.path.join(root, ".python_packages", "lib", "site-packages")]
    logging.getLogger().setLevel(logging.INFO)
    logging.getLogger().addHandler(HostLog())

    import azure.functions as func
    from azure.functions import meta
    from azure.functions.timer import TimerRequestConverter

    module = importlib.import_module("function_app")
    registers = [v for v in vars(module).values() if isinstance(v, func.FunctionRegister)]
    functions = {f.get_function_name(): f for app in registers for f in app.get_functions()}
    indexed = {name: json.loads(f.get_function_json()) for name, f in functions.items()}
    print(json.dumps({"indexed": indexed}), flush=True)
    failed = 0
    for name in names:
        function = functions[name]
        trigger = function.get_trigger()
        payload = json.dumps({"IsPastDue": False, "Schedule": {"AdjustForDST": True}})
        timer = TimerRequestConverter.decode(meta.Datum(payload, "json"), trigger_metadata={})
        try:
            function.get_user_function()(**{trigger.name: timer})
        except Exception as err:  # the host records any exception as a failed invocation
            failed += 1
            detail = "".join(traceback.format_exception(err))
            print(json.dumps({"invoked": name, "ok": False, "error": detail}), flush=True)
            continue
        print(json.dumps({"invoked": name, "ok": True}), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
