#!/bin/sh
# A scripted IRC bot on ii (https://tools.suckless.org/ii/): ii holds the
# connection and keeps each channel as files; this script joins #lobby,
# reads the room's out file and answers "!ping" with "pong" through the
# room's in FIFO. Plain TCP only (ii has no TLS).
# Usage: ping_bot_ii.sh PORT NICK DIR
set -u
port=$1 nick=$2 dir=$3
ii -s 127.0.0.1 -p "$port" -n "$nick" -i "$dir" &
ii=$!
trap 'kill "$ii" 2>/dev/null' EXIT
trap 'exit 0' TERM INT
server="$dir/127.0.0.1"
while [ ! -p "$server/in" ]; do sleep 0.05; done
echo "/j #lobby" >"$server/in"
room="$server/#lobby"
while [ ! -p "$room/in" ]; do sleep 0.05; done
# ii writes "<unix time> <nick> text" a line; tail stops when this script does.
tail -n +1 -F --pid=$$ "$room/out" 2>/dev/null | while IFS= read -r line; do
  case "$line" in
    *" <"*"> !ping") echo "pong" >"$room/in" ;;
  esac
done &
wait $!
