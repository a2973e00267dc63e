"""``offhours completion bash|zsh|fish``: a shell completion script, generated from the parser.

The script is static (commands, flags and choices as they are in this version), so
completing never starts Python. Each shell gets its own native script over one table:
command path ("offhours ledger") -> the words that may follow it. Paths start with
"offhours" so no key is empty (bash refuses an empty associative-array subscript).
"""

from __future__ import annotations

import argparse
from typing import Any

SHELLS = ("bash", "zsh", "fish")
ROOT = "offhours"

_BASH = """# offhours completion for bash: eval "$(offhours completion bash)"
declare -gA _offhours_words=(
{table}
)
_offhours() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" path="offhours" word i
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        [[ "$word" == -* || -z "$word" ]] && continue
        if [[ -n "${{_offhours_words["$path $word"]+set}}" ]]; then
            path="$path $word"
        fi
    done
    COMPREPLY=($(compgen -W "${{_offhours_words["$path"]}}" -- "$cur"))
}}
complete -F _offhours offhours
"""

_ZSH = """#compdef offhours
# offhours completion for zsh: eval "$(offhours completion zsh)"
(( $+functions[compdef] )) || {{ autoload -Uz compinit && compinit -u }}
typeset -gA _offhours_words
_offhours_words=(
{table}
)
_offhours() {{
    local cmdpath="offhours" word i
    for (( i = 2; i < CURRENT; i++ )); do
        word=${{words[i]}}
        [[ $word == -* || -z $word ]] && continue
        (( ${{+_offhours_words[$cmdpath $word]}} )) && cmdpath="$cmdpath $word"
    done
    local -a candidates
    candidates=(${{=_offhours_words[$cmdpath]}})
    compadd -- $candidates
}}
compdef _offhours offhours
"""

_FISH = """# offhours completion for fish: offhours completion fish | source
function __offhours_path
    set -l path offhours
    for word in (commandline -opc)[2..-1]
        string match -q -- '-*' $word; and continue
        contains -- "$path $word" $__offhours_paths; and set path "$path $word"
    end
    echo $path
end
function __offhours_candidates
    switch (__offhours_path)
{cases}
    end
end
set -g __offhours_paths {paths}
complete -c offhours -f -a '(__offhours_candidates)'
"""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("completion", help="print a shell completion script")
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete in")
    parser.set_defaults(handler=_completion)


def words(parser: argparse.ArgumentParser, path: str = ROOT) -> dict[str, list[str]]:
    """Command path -> what may follow it: subcommands, flags, a positional's choices."""
    found: list[str] = []
    table: dict[str, list[str]] = {}
    for action in parser._actions:
        if action.help == argparse.SUPPRESS:
            continue
        found.extend(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(name)
                table.update(words(sub, f"{path} {name}"))
        elif not action.option_strings and action.choices:
            found.extend(str(c) for c in action.choices)
    table[path] = sorted(set(found))
    return table


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    table = sorted(words(parser).items())
    if shell == "fish":
        cases = "\n".join(
            f"        case '{path}'\n            printf '%s\\n' {' '.join(options)}"
            for path, options in table
        )
        paths = " ".join(f"'{path}'" for path, _ in table)
        return _FISH.format(cases=cases, paths=paths)
    rows = "\n".join(f'    ["{path}"]="{" ".join(options)}"' for path, options in table)
    if shell == "zsh":
        return _ZSH.format(table="\n".join(f"    '{p}' '{' '.join(o)}'" for p, o in table))
    return _BASH.format(table=rows)


def _completion(args: argparse.Namespace) -> int:
    from functions.cli.main import build_parser

    print(script(build_parser(), args.shell), end="")
    return 0
