#!/usr/bin/env bash
# A scripted IRC bot on sic (https://tools.suckless.org/sic/): sic holds the
# connection on its stdin and stdout, a bash coprocess; this script joins
# #lobby and answers "!ping" with "pong". Plain TCP only (sic has no TLS).
# Usage: ping_bot_sic.sh PORT NICK
set -u
port=$1 nick=$2
coproc SIC { exec sic -h 127.0.0.1 -p "$port" -n "$nick"; }
sic=$SIC_PID
trap 'kill "$sic" 2>/dev/null' EXIT
trap 'exit 0' TERM INT
echo ":j #lobby" >&"${SIC[1]}"
# sic prints "#lobby      : 11/30/26 14:16 <nick> text" for a room's message.
while IFS= read -r line <&"${SIC[0]}"; do
  case "$line" in
    "#lobby "*"> !ping") echo ":m #lobby pong" >&"${SIC[1]}" ;;
  esac
done
