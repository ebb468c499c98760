#!/usr/bin/env bash
# t0273: shell completion.  bash: the completion function, sourced and called
# with COMP_WORDS as bash sets them, offers exactly the options of --help
# (they come from it, so they cannot drift), groups after -g and @, ssh_config
# Host aliases (the -F file's, with Include, no patterns) after -w, the last
# item of a comma list, paths after FILE options, the policy's choices; and in
# a real interactive bash (tmux) with bash-completion loaded, Tab completes
# `-w @gr`, `-w web1,d` and `--ho`.  zsh: the specs made from --help name
# every option, with the right argument action.  `make install` installs both.
. "$(dirname "$0")/lib.sh"

comp=$top_srcdir/completion/shoal
mkdir -p "$T/home/.config/shoal" "$T/etc" "$T/bin" "$T/ssh.d"
ln -s "$SHOAL" "$T/bin/shoal"
printf 'web: web[01-02]\ndb: db1\n# note: a comment\ngreat.ones: web01\n' >"$T/home/.config/shoal/groups"
printf 'sys-group: h1\n' >"$T/etc/groups"
cat >"$T/ssh_config" <<CFG
Host web1 db1
    Port 22
Host *.example !bad
    User x
Include $T/ssh.d/*.conf
Host   =   deploy-box
CFG
printf 'Host included1\n' >"$T/ssh.d/a.conf"

# complete LINE: COMPREPLY for the last word of LINE, one a line, sorted.
complete_line() {
    HOME=$T/home SHOAL_SYSCONFDIR=$T/etc PATH=$T/bin:$PATH bash -c '
        . "$1"
        read -ra COMP_WORDS <<<"$2"
        [[ $2 == *" " ]] && COMP_WORDS+=("")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE=$2 COMP_POINT=${#2}
        _shoal
        printf "%s\n" "${COMPREPLY[@]}" | sort' _ "$comp" "$1"
}

help_opts=$("$SHOAL" --help | sed -nE 's/^  (-(.), |    )--([a-z-]+).*/\2 --\3/p' |
    tr ' ' '\n' | sed '/^$/d; s/^[^-]/-&/' | sort)
is "$(complete_line 'shoal -')" "$help_opts" "'shoal -': exactly the options of --help, short and long"
like "$(complete_line 'shoal --ho')" $'--hold\n--host-key-policy\n--hostfile\n--hosts' "'--ho': the options that start so"
is "$(complete_line 'shoal -g ')" $'db\ngreat.ones\nsys-group\nweb' "-g: the user's and the system's group names"
is "$(complete_line 'shoal -F '"$T/ssh_config"' -w ')" $'db1\ndeploy-box\nincluded1\nweb1' \
    "-w: the -F file's Host aliases, with Include, without patterns"
is "$(complete_line 'shoal -F '"$T/ssh_config"' -x web1,d')" $'web1,db1\nweb1,deploy-box' "-x: the last item of a comma list"
is "$(complete_line 'shoal --host-key-policy ')" $'accept-new\ninsecure\nstrict' "--host-key-policy: its choices, from --help"
touch "$T/keyfile"
is "$(complete_line "shoal -i $T/keyf")" "$T/keyfile" "-i: paths"
is "$(complete_line 'shoal -w web1 uptime -')" "" "after the command: no shoal option"
is "$(complete_line 'shoal -l root -')" "$help_opts" "an option's argument is skipped, options go on"

# ---- a real bash with bash-completion -----------------------------------------------
if [ -r /usr/share/bash-completion/bash_completion ]; then
    cat >"$T/rc" <<RC
PS1='$ '
. /usr/share/bash-completion/bash_completion
. '$comp'
export HOME='$T/home' SHOAL_SYSCONFDIR='$T/etc' PATH='$T/bin':\$PATH
cd '$T'
RC
    term_start 150 20 "bash --noprofile --rcfile '$T/rc' -i"
    term_wait 10 '^\$' || true
    term_type "shoal -w @we"
    term_keys Tab
    term_wait 5 '^\$ shoal -w @web ?$' && pass "a real bash: -w @we<Tab> gives @web"
    term_keys C-u
    term_type "shoal -F ssh_config -w web1,de"
    term_keys Tab
    term_wait 5 '^\$ shoal -F ssh_config -w web1,deploy-box ?$' && pass "a real bash: web1,de<Tab> gives web1,deploy-box"
    term_keys C-u
    term_type "shoal --no-pre"
    term_keys Tab
    term_wait 5 '^\$ shoal --no-prefix ?$' && pass "a real bash: --no-pre<Tab> gives --no-prefix"
    term kill-server
else
    skip "bash-completion is not installed"
fi

# ---- zsh: the specs come from --help ---------------------------------------------------
if command -v zsh >/dev/null; then
    specs=$(zsh -f -c '. "$1"; _shoal_specs "$2"' _ "$top_srcdir/completion/_shoal" "$SHOAL")
    is "$(grep -Eo -- '^\*(-[A-Za-z]|--[a-z-]+)' <<<"$specs" | sed 's/^\*//' | sort)" "$help_opts" \
        "zsh: a spec for every option of --help"
    like "$specs" '\*-g\[[^]]*\]:group:_shoal_groups' "zsh: -g completes groups"
    like "$specs" '\*--hosts\[[^]]*\]:host expression:_shoal_hosts' "zsh: --hosts completes hosts"
    like "$specs" '\*--host-key-policy\[[^]]*\]:policy:\(strict accept-new insecure\)' "zsh: the policy's choices"
    like "$specs" '\*-N\[lines without' "zsh: the help text"
    zsh -n "$top_srcdir/completion/_shoal"
    ok $? "zsh: the file parses"
    # A real zsh with compinit, the file on its fpath.
    term_start 150 20 "HOME='$T/home' SHOAL_SYSCONFDIR='$T/etc' PATH='$T/bin':\$PATH zsh -f"
    term_keys "fpath=('$top_srcdir/completion' \$fpath); autoload -Uz compinit; compinit -u; PS1='%% '" Enter
    term_wait 10 '^% ?$' || true
    term_type "shoal --no-pre"
    term_keys Tab
    term_wait 5 '^% shoal --no-prefix ?$' && pass "a real zsh: --no-pre<Tab> gives --no-prefix"
    term_keys C-u
    term_type "shoal -w @we"
    term_keys Tab
    term_wait 5 '^% shoal -w @web ?$' && pass "a real zsh: -w @we<Tab> gives @web"
    term_keys C-u
    term_type "shoal -F $T/ssh_config -w web1,dep"
    term_keys Tab
    term_wait 5 'shoal -F .* -w web1,deploy-box ?$' && pass "a real zsh: web1,dep<Tab> gives web1,deploy-box"
    term kill-server
else
    skip "zsh is not installed"
fi

# ---- make install -------------------------------------------------------------------------
if [ -f "$top_builddir/Makefile" ]; then
    make -s -C "$top_builddir" install-dist_bashcompletionDATA install-dist_zshcompletionDATA \
        DESTDIR="$T/inst" >/dev/null 2>&1
    ok $? "make install-*completionDATA"
    is "$(cd "$T/inst" && find . -type f | sort | sed 's|.*/share/||')" \
        $'bash-completion/completions/shoal\nzsh/site-functions/_shoal' "make install puts both where the shells look"
else
    skip "no build directory with a Makefile"
fi
done_testing
