#!/usr/bin/env python3
"""A loopback SMTP relay for the tests, on Debian's python3-aiosmtpd.

Listens on 127.0.0.1 on a free port and prints "listening PORT" once it accepts connections.
Each message it accepts is written to DIR/N.eml, its envelope to DIR/N.json
({"mail_from": ..., "rcpt_tos": [...], "auth_user": ...}), and then "message DIR/N.eml" is
printed: a test that saw the client finish reads that line without waiting on anything else.
AUTH PLAIN/LOGIN is offered without TLS and any password is accepted (the tests check that
the password never shows elsewhere). --refuse answers 550 to every RCPT TO.
Runs until killed.
"""
import argparse
import asyncio
import json
import os
import socket

from aiosmtpd.smtp import SMTP, AuthResult


class Sink:
    def __init__(self, directory, refuse):
        self.directory = directory
        self.refuse = refuse
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.7.1 recipient refused by the test relay"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, str(self.count))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        login = session.auth_data
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "auth_user": login.decode() if isinstance(login, bytes) else login}, f)
        print("message " + base + ".eml", flush=True)
        return "250 Message accepted"


def accept_any(server, session, envelope, mechanism, auth_data):
    return AuthResult(success=True, auth_data=getattr(auth_data, "login", None))


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--refuse", action="store_true")
    args = parser.parse_args()
    sink = Sink(args.dir, args.refuse)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(sink, authenticator=accept_any, auth_require_tls=False), sock=sock)
    print("listening %d" % sock.getsockname()[1], flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
