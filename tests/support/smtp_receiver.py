"""A loopback SMTP server for the send tests, built on aiosmtpd (an implementation independent
of Procura's mail code). Prints `PORT <n>` once it listens on 127.0.0.1, then one JSON line per
message it accepts, as Python's `email` package reads it. Recipients named on the command line
are refused with 550. Stops when its standard input closes.
"""

import email
import json
import socket
import sys
from email import policy

from aiosmtpd.controller import Controller

REFUSED = set(sys.argv[1:])


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in REFUSED:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        text = message.get_body(preferencelist=("plain",))
        attachments = []
        for part in message.iter_attachments():
            data = part.get_content()
            attachments.append(
                {
                    "filename": part.get_filename(),
                    "content_type": part.get_content_type(),
                    "size": len(data),
                    "head": data[:5].decode("latin-1"),
                }
            )
        print(
            json.dumps(
                {
                    "mail_from": envelope.mail_from,
                    "rcpt_tos": envelope.rcpt_tos,
                    "from": str(message["From"]),
                    "to": str(message["To"]),
                    "cc": str(message["Cc"]) if message["Cc"] else None,
                    "reply_to": str(message["Reply-To"]) if message["Reply-To"] else None,
                    "subject": str(message["Subject"]),
                    "text": text.get_content() if text is not None else None,
                    "attachments": attachments,
                }
            ),
            flush=True,
        )
        return "250 Message accepted"


with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
controller = Controller(Handler(), hostname="127.0.0.1", port=port)
controller.start()
print(f"PORT {port}", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
