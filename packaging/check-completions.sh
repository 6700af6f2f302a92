#!/bin/bash
# Inside the clean root of test-install.sh, after the .deb is installed: what each shell completes for
# `wg-pr st<TAB>`, through the files the package installed where each shell looks for them (bash-completion's
# loader, zsh's compinit over $fpath, fish's vendor_completions.d). Prints one line per shell.
set -euo pipefail
# The shells keep their own state under HOME (fish its history and variables): not in the root's.
HOME=$(mktemp -d)
export HOME

bash -c '
  source /usr/share/bash-completion/bash_completion
  _completion_loader wg-pr
  function=$(complete -p wg-pr | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
  COMP_WORDS=(wg-pr st); COMP_CWORD=1; COMP_LINE="wg-pr st"; COMP_POINT=${#COMP_LINE}
  "$function" wg-pr st wg-pr 2>/dev/null
  echo "bash completes: ${COMPREPLY[*]}"
'

# zsh completes only at an interactive prompt: one in a pseudo-terminal (zpty), typing wg-pr st<TAB>.
zsh -f -c '
  zmodload zsh/zpty
  zpty shell "zsh -f -i"
  zpty -w shell "PS1=\"> \"; autoload -U compinit; compinit -u -d /tmp/zcompdump"
  zpty -w -n shell "wg-pr st"$'"'"'\t'"'"'
  screen=""
  for attempt in {1..60}; do
    zpty -r -t shell chunk && screen+=$chunk
    [[ $screen == *"wg-pr st"[a-z]* ]] && break
    sleep 0.5
  done
  zpty -d shell
  completed=${${screen##*wg-pr st}%%[^a-z]*}
  print -r -- "zsh completes: st$completed"
'

echo "fish completes: $(fish -c 'complete -C "wg-pr st"' | cut -f1 | tr '\n' ' ' | sed 's/ $//')"
