# A foreign mDNS / DNS-SD publisher for the discovery tests (Debian's
# python3-zeroconf): announces one _lanchat._tcp service with the TXT record
# given, as anyone on a LAN could, prints "published" once it is, and says
# goodbye when its stdin closes or on SIGTERM.
# Usage: /usr/bin/python3 _zeroconf_publish.py <interface address> <port> <name> <key=value>...
import signal
import socket
import sys
import threading

from zeroconf import IPVersion, ServiceInfo, Zeroconf

address, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
txt = dict(item.split("=", 1) for item in sys.argv[4:])
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: done.set())
zc = Zeroconf(interfaces=[address], ip_version=IPVersion.V4Only)
info = ServiceInfo(
    "_lanchat._tcp.local.",
    f"{name}._lanchat._tcp.local.",
    addresses=[socket.inet_aton(address)],
    port=port,
    properties=txt,
    server="publisher.local.",
)
zc.register_service(info)
print("published", flush=True)
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
done.wait()
zc.unregister_service(info)
zc.close()
