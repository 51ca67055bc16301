#!/usr/bin/env python3
"""A minimal SMSC on PyPI's smpp34 (Rust/tokio SMPP core, Python asyncio handler), for the
side-by-side comparison with smppd (perf/compare/run.sh).

It accepts every bind (smpp34's Python Server does not check credentials), answers every submit_sm
with ESME_ROK and a fresh message_id, and, when the submit asks for a delivery receipt
(registered_delivery & 1), sends a receipt deliver_sm (esm_class 0x04, the SMPP v3.4 Appendix B
text plus receipted_message_id and message_state TLVs) straight away: there is no carrier and no
store behind it. Plaintext only: smpp34's Server has no TLS.

Prints `listening 127.0.0.1:PORT` on stdout once the socket accepts (Server.start() returns only
then). smpp34 cannot report the port it got for port 0, so the port is probed free here and the
bind retried on a clash."""

import argparse
import asyncio
import socket
import sys
import time

import smpp34


def free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--inbound-capacity", type=int, default=65536,
                    help="events queued towards Python before smpp34 answers ESME_RMSGQFUL itself")
    a = ap.parse_args()

    for _ in range(20):
        port = free_port(a.host)
        server = smpp34.Server(a.host, port, system_id="smpp34", inbound_capacity=a.inbound_capacity)
        try:
            await server.start()
            break
        except smpp34.SmppError:
            continue
    else:
        sys.exit("smpp34_server: no free port after 20 tries")
    print(f"listening {a.host}:{port} smpp34={smpp34.__version__}", flush=True)

    sessions: dict[str, smpp34.Esme] = {}
    next_id = 0
    errors = 0

    def receipt_done(fut: asyncio.Future) -> None:
        nonlocal errors
        if fut.cancelled() or fut.exception() is not None or not fut.result().is_success:
            errors += 1

    while True:
        ev = await server.next()
        if isinstance(ev, smpp34.SubmitSmEvent):
            next_id += 1
            mid = format(next_id, "x")
            ev.accept(mid)
            if ev.registered_delivery & 1:
                esme = sessions.get(ev.session_id)
                if esme is None or not esme.can_receive:
                    continue
                now = time.strftime("%y%m%d%H%M")
                text = f"id:{mid} sub:001 dlvrd:001 submit date:{now} done date:{now} stat:DELIVRD err:000 text:"
                fut = esme.deliver_sm(ev.source_addr, text.encode(), source_addr=ev.destination_addr,
                                      source_addr_ton=ev.dest_addr_ton, source_addr_npi=ev.dest_addr_npi,
                                      dest_addr_ton=ev.source_addr_ton, dest_addr_npi=ev.source_addr_npi,
                                      esm_class=0x04,
                                      tlvs=[smpp34.Tlv(smpp34.TLV_RECEIPTED_MESSAGE_ID, mid.encode() + b"\0"),
                                            smpp34.Tlv(smpp34.TLV_MESSAGE_STATE, b"\x02")])
                asyncio.ensure_future(fut).add_done_callback(receipt_done)
        elif isinstance(ev, smpp34.Esme):
            sessions[ev.session_id] = ev
        elif isinstance(ev, smpp34.Unbound):
            sessions.pop(ev.session_id, None)
            if errors:
                print(f"receipt deliver_sm failures so far: {errors}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
