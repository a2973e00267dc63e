"""``offhours completion bash|zsh``: a shell completion script, generated from the parser.

The script is static (commands and their flags as they are in this version), so
completing never starts Python.
"""

from __future__ import annotations

import argparse
from typing import Any

_BASH = """# offhours completion for bash: eval "$(offhours completion bash)"
_offhours() {{
    local cur words path i
    cur="${{COMP_WORDS[COMP_CWORD]}}"
    path=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        case "${{COMP_WORDS[i]}}" in
            -*) ;;
            *) if [[ -n "${{_offhours_words["${{path:+$path }}${{COMP_WORDS[i]}}"]+x}}" ]]; then
                   path="${{path:+$path }}${{COMP_WORDS[i]}}"
               fi ;;
        esac
    done
    COMPREPLY=($(compgen -W "${{_offhours_words["$path"]}}" -- "$cur"))
}}
declare -gA _offhours_words=(
{table}
)
complete -F _offhours offhours
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("completion", help="print a shell completion script")
    parser.add_argument("shell", choices=("bash", "zsh"), help="the shell to complete in")
    parser.set_defaults(handler=_completion)


def words(parser: argparse.ArgumentParser, path: str = "") -> dict[str, list[str]]:
    """Command path -> what may follow it (subcommands and flags)."""
    found: list[str] = []
    table: dict[str, list[str]] = {}
    for action in parser._actions:
        found.extend(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(name)
                table.update(words(sub, f"{path} {name}".strip()))
    table[path] = sorted(set(found))
    return table


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    table = "\n".join(
        f'    ["{path}"]="{" ".join(options)}"' for path, options in sorted(words(parser).items())
    )
    text = _BASH.format(table=table)
    if shell == "zsh":
        text = "autoload -U +X bashcompinit && bashcompinit\n" + text
    return text


def _completion(args: argparse.Namespace) -> int:
    from functions.cli.main import build_parser

    print(script(build_parser(), args.shell), end="")
    return 0
