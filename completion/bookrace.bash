# bash completion for bookrace and bookd.
#
# The words come from the programs' own help, so they cannot drift from the option parsers: subcommands
# are the "bookrace NAME" lines of `bookrace --help`, a subcommand's flags are the --words of
# `bookrace NAME --help`, bookd's are those of `bookd --help`. Each answer is cached for the shell's life.
# Installed as share/bash-completion/completions/bookrace (and .../bookd); to try it from a source tree:
#   source completion/bookrace.bash

# Prints the completion words for $1 ("bookrace" or "bookd") and subcommand $2 ("" for the top level).
_bookrace_words()
{
    local prog=$1 sub=$2 key
    key="_bookrace_cache_${prog}_${sub:-top}"
    key=${key//[^A-Za-z0-9_]/_}
    if [[ -z ${!key+set} ]]; then
        local out
        if [[ $prog == bookrace && -z $sub ]]; then
            out=$(command bookrace --help 2>/dev/null |
                sed -n 's/^[[:space:]]*\(usage:[[:space:]]*\)\{0,1\}bookrace \([a-z][a-z-]*\).*/\2/p' | sort -u)
        elif [[ $prog == bookrace ]]; then
            out=$(command bookrace "$sub" --help 2>/dev/null |
                grep -oE -- '(^|[][ ,|])--[a-z][a-z0-9-]*' | sed 's/^[][ ,|]//' | sort -u)
        else
            out=$(command bookd --help 2>/dev/null |
                grep -oE -- '(^|[][ ,|])--[a-z][a-z0-9-]*' | sed 's/^[][ ,|]//' | sort -u)
        fi
        printf -v "$key" '%s' "$out"
    fi
    printf '%s\n' "${!key}"
}

# The values a flag's help spells as a choice ("--fix none|C|A-notx|A|A+C"): $1 program, $2 subcommand,
# $3 flag. Prints nothing for a flag with a free value.
_bookrace_choices()
{
    local help
    if [[ $1 == bookrace ]]; then
        help=$(command bookrace "$2" --help 2>/dev/null)
    else
        help=$(command bookd --help 2>/dev/null)
    fi
    grep -oE -- "$3 [A-Za-z0-9:+._-]+(\|[A-Za-z0-9:+._-]+)+" <<<"$help" | head -n 1 | cut -d' ' -f2 | tr '|' ' '
}

# Flags whose value is a file or a folder; every other flag's value is left to the user to type.
_bookrace_file_flag()
{
    case $1 in
    --target | --junit | --json | --bookd | --db | --seed | -o) return 0 ;;
    *) return 1 ;;
    esac
}

_bookrace()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev= sub= i
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ ${COMP_WORDS[i]} != -* ]]; then
            sub=${COMP_WORDS[i]}
            break
        fi
    done
    COMPREPLY=()
    if [[ -z $sub ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help --version" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_bookrace_words bookrace '')" -- "$cur")
        fi
        return 0
    fi
    if [[ $prev == --out ]]; then
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
    elif _bookrace_file_flag "$prev"; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [[ $prev == -* && -n $(_bookrace_choices bookrace "$sub" "$prev") ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_bookrace_choices bookrace "$sub" "$prev")" -- "$cur")
    elif [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_bookrace_words bookrace "$sub") --help" -- "$cur")
    else
        # Scenario files and folders (bookrace run scenarios/), run.json, load.json, matrix files.
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    fi
    return 0
}

_bookd()
{
    local cur=${COMP_WORDS[COMP_CWORD]} prev=
    ((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
    COMPREPLY=()
    if [[ $prev == -* && -n $(_bookrace_choices bookd '' "$prev") ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_bookrace_choices bookd '' "$prev")" -- "$cur")
    elif _bookrace_file_flag "$prev"; then
        mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    elif [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_bookrace_words bookd '')" -- "$cur")
    fi
    return 0
}

complete -o filenames -o bashdefault -F _bookrace bookrace
complete -o filenames -o bashdefault -F _bookd bookd
