"""A real SMTP server for the password-reset tests (aiosmtpd).

Listens on 127.0.0.1 on a free port, prints `PORT <n>` on stdout, and
writes each received message to DIR as `NNNN.json` (recipients, subject and
the decoded plain-text body), atomically (a temporary name, then rename).
Runs until killed.

Usage: python3 smtp_sink.py DIR
"""

import asyncio
import email
import email.policy
import json
import os
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "content_type": msg.get_content_type(),
            "body": body.get_content() if body is not None else "",
        }
        tmp = os.path.join(self.directory, f".{self.count:04}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(tmp, os.path.join(self.directory, f"{self.count:04}.json"))
        return "250 OK"


async def main():
    directory = sys.argv[1]
    handler = Sink(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, hostname="sink.test"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"PORT {port}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
