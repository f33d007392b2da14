# A foreign mDNS / DNS-SD implementation for the discovery tests: Debian's
# python3-zeroconf browses one service type on one interface address and
# prints one JSON line per change: {"event": "added", "name", "addresses",
# "port", "txt"} once resolved, {"event": "removed", "name"} on a goodbye.
# Usage: /usr/bin/python3 _zeroconf_browse.py <interface address> <type>
import json
import signal
import sys
import threading

from zeroconf import IPVersion, ServiceBrowser, ServiceStateChange, Zeroconf

address, service_type = sys.argv[1], sys.argv[2]
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)


def report(**fields):
    print(json.dumps(fields), flush=True)


def on_change(zeroconf, service_type, name, state_change):
    if state_change is ServiceStateChange.Removed:
        report(event="removed", name=name)
    elif state_change is ServiceStateChange.Added:
        info = zeroconf.get_service_info(service_type, name, 5000)
        if info is None:
            report(event="unresolved", name=name)
            return
        txt = {k.decode(): (None if v is None else v.decode()) for k, v in info.properties.items()}
        report(event="added", name=name, addresses=info.parsed_addresses(), port=info.port, txt=txt)


browser = ServiceBrowser(zc, service_type, handlers=[on_change])
report(event="browsing")
done.wait()
browser.cancel()
zc.close()
