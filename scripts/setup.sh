# Sourced by ./run and ./test: a virtual environment in .venv with requirements.txt installed.
# Re-installs only when requirements.txt changed since the last install.
PY=.venv/bin/python
if [[ ! -x $PY ]]; then
  python3 -m venv .venv
fi
stamp=.venv/.requirements.sha
want=$(sha256sum requirements.txt | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  "$PY" -m pip install --quiet --disable-pip-version-check -r requirements.txt
  echo "$want" > "$stamp"
fi
export PY
