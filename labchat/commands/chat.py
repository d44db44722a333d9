"""``labchat chat``: the report's two-terminal chat, one engine on one UDP port.

This module owns the chat command: its flags, reading what the user types,
and showing the peer's events (as text for people, or as JSON lines for
scripts). It owns no protocol logic (that is the engine's) and no socket
(that is ``UdpPeer``'s).

Threads: the peer's receive thread only *queues* events; one printer thread
owns every write to stdout, so lines never interleave and events appear
while the main thread is blocked reading input. When stdin and stdout are
both terminals, input is read with prompt_toolkit and stdout is patched so
that printed events appear above the line being typed instead of breaking it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from types import TracebackType
from typing import Any, TypeAlias

from labchat import voice
from labchat.commands.address_flags import address, listen
from labchat.commands.pipe_lines import pipe_lines
from labchat.commands.protocol_flag import add_protocol_flag
from labchat.commands.settings import add_setting_flag, engine_settings
from labchat.commands.status import INTERRUPTED, USAGE
from labchat.commands.wireshark import add_pcap_flag, save_capture
from labchat.errors import LocalProtocolError
from labchat.events import (
    DatagramReceived,
    DatagramRejected,
    Event,
    MessageDelivered,
    ResendReceived,
)
from labchat.protocols import Engine, SettingError, create_engine, create_enveloped
from labchat.udp.peer import (
    KEEP,
    UdpPeer,
    describe_listen,
    format_address,
)
from labchat.udp.sessions import new_session, read_secret

#: Events a person does not need to see in human mode (they are in --jsonl).
_QUIET = frozenset({"sent", "acked", "datagram_sent", "datagram_received"})

Item: TypeAlias = Event | dict[str, Any] | str  # an event, a JSON record, a note


def add_parser(commands: Any) -> None:
    parser: argparse.ArgumentParser = commands.add_parser(
        "chat",
        help=voice.cli("chat"),
        description=voice.cli("chat_description"),
        epilog=voice.cli("chat_keys"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--name", default="me", help=voice.cli("name"))
    parser.add_argument("--peer-name", default="peer",
                        help=voice.cli("peer_name"))
    parser.add_argument("--listen", type=listen, default=("127.0.0.1", 0),
                        metavar="HOST:PORT|fd:N", help=voice.cli("listen"))
    parser.add_argument("--peer", type=address, required=True, metavar="HOST:PORT",
                        help=voice.cli("peer"))
    add_protocol_flag(parser)
    parser.add_argument("--jsonl", action="store_true",
                        help=voice.cli("jsonl"))
    parser.add_argument("--linger", type=_seconds, default=1.0, metavar="SECONDS",
                        help=voice.cli("linger"))
    parser.add_argument("--accept-from-anyone", action="store_true",
                        help=voice.cli("accept_from_anyone"))
    parser.add_argument("--secret-file", metavar="FILE",
                        help=voice.cli("secret_file"))
    add_setting_flag(parser)
    add_pcap_flag(parser)
    parser.set_defaults(run=run)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(voice.cli("seconds", text=voice.shown(text))) from None
    if not value >= 0:  # also refuses nan
        raise argparse.ArgumentTypeError(voice.cli("seconds_not_negative",
                                                     text=voice.shown(text)))
    return value


def run(args: argparse.Namespace) -> int:
    try:
        settings = engine_settings(args.protocol, args.setting)
    except ValueError as error:
        # A malformed flag, or a setting this engine does not have or refuses.
        print(voice.command_error("chat", voice.cli(
            "bad_setting", protocol=args.protocol.protocol, error=error)), file=sys.stderr)
        return USAGE
    try:
        engine = _engine(args.protocol, settings, args.secret_file)
    except SettingError as error:  # settings that refuse each other (window and seq_bits)
        print(voice.command_error("chat", voice.cli(
            "bad_setting", protocol=args.protocol.protocol, error=error)), file=sys.stderr)
        return USAGE
    except ValueError as error:  # the secret file
        print(voice.command_error("chat", error), file=sys.stderr)
        return USAGE
    _tolerate_bad_text()
    render = _json_line if args.jsonl else HumanView(args.peer_name)
    terminal = sys.stdin.isatty() and sys.stdout.isatty()
    interrupted = False
    with ExitStack() as stack:
        with _ctrl_c_reaches_main_thread():  # every thread starts in here
            stack.enter_context(_patched_stdout(terminal))
            printer = stack.enter_context(Printer(render))
            try:
                peer = stack.enter_context(
                    # A capture needs every datagram; otherwise memory stays bounded.
                    # The printer subscribes before the thread starts: a datagram
                    # handled at once (one already waiting in a handed-over socket)
                    # is printed, not lost.
                    UdpPeer(engine, peer=args.peer, bind=args.listen, name=args.name,
                            keep=None if args.pcap else KEEP,
                            accept_from_anyone=args.accept_from_anyone,
                            subscribers=(printer.put,)))
            except OSError as error:
                reason = error.strerror or str(error)
                print(voice.command_error("chat", voice.cli(
                    "cannot_listen", address=describe_listen(args.listen), reason=reason)),
                      file=sys.stderr)
                return 1
        ready = {"event": "listening", "name": args.name, "address": format_address(peer.address),
                 "peer": format_address(args.peer), "protocol": args.protocol.protocol}
        if args.jsonl:
            printer.put(ready)
        else:
            print(voice.cli("listening", name=voice.user_text(args.name), address=ready["address"],
                            peer=ready["peer"], protocol=args.protocol.protocol),
                  file=sys.stderr)
        lines = _terminal_lines(f"{args.name}> ") if terminal else pipe_lines()
        try:
            for line in lines:
                _handle(peer, line, printer, quiet=args.jsonl)
            peer.wait_for(lambda: peer.unfinished() == 0, timeout=args.linger)
            _report_unfinished(peer, printer, args.linger)
        except KeyboardInterrupt:
            # Ctrl-C: leave at once, but never drop messages silently.
            _report_interrupted(peer, printer)
            interrupted = True
    status = save_capture("chat", peer.save_pcap, args.pcap)
    return INTERRUPTED if interrupted else status


@contextmanager
def _ctrl_c_reaches_main_thread() -> Iterator[None]:
    """Start threads inside this block: they inherit a signal mask without SIGINT.

    The kernel hands a process's SIGINT to any thread that does not block it;
    if that is the peer's or the printer's thread, Python only sets a flag and
    the main thread, blocked reading a line, never wakes to raise
    ``KeyboardInterrupt``. SIGINT arriving meanwhile waits, and is raised on
    leaving the block.
    """
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _report_interrupted(peer: UdpPeer, printer: Printer) -> None:
    """Say, on Ctrl-C, which sent messages are unconfirmed and which never left."""
    queued = peer.queued()
    unacknowledged = peer.unfinished() - queued
    printer.put({"event": "interrupted", "unacknowledged": unacknowledged, "queued": queued})
    if unacknowledged or queued:
        printer.put(voice.chat_interrupted(unacknowledged, queued))


def _engine(engine_class: type[Engine], settings: dict[str, object],
            secret_file: str | None) -> Engine:
    """The rung inside the session envelope, so a restarted partner is noticed.

    The report's rung keeps the report's wire (its client must read it) and
    a student's engine cannot name what to resend, so those run bare and
    refuse a secret.
    """
    if not engine_class.enveloped:
        if secret_file is not None:
            raise ValueError(voice.cli("no_envelope", protocol=engine_class.protocol))
        return create_engine(engine_class, **settings)
    secret = None if secret_file is None else read_secret(secret_file)
    return create_enveloped(engine_class, new_session(), secret, settings)


def _report_unfinished(peer: UdpPeer, printer: Printer, linger: float) -> None:
    """Say how many sent messages were neither acknowledged nor given up at exit.

    A message is never dropped silently: a rung without a timer (``repaired``)
    never gives up, so the chat tells at exit what is still unconfirmed.
    """
    left = peer.unfinished()
    if left:
        printer.put({"event": "unacknowledged", "messages": left, "linger": linger})
        printer.put(voice.chat_unfinished(left, linger))


def _handle(peer: UdpPeer, line: str, printer: Printer, *, quiet: bool) -> None:
    """Act on one typed line; a local error is one line on stderr and the chat goes on."""
    if not line.strip():
        return
    try:
        if line == "/mismatch":
            peer.force_mismatch()
            if not quiet:
                printer.put(voice.cli("mismatch_next"))
            return
        if line.startswith("//"):
            line = line[1:]
        elif line.startswith("/"):
            print(voice.cli("unknown_command", command=voice.user_text(line.split()[0]),
                            line=voice.user_text("/" + line)), file=sys.stderr)
            return
        peer.send(line)
    except LocalProtocolError as error:
        print(error, file=sys.stderr)


def _terminal_lines(prompt: str) -> Iterator[str]:
    from prompt_toolkit import PromptSession  # only needed at a terminal

    session: PromptSession[str] = PromptSession(prompt)
    while True:
        try:
            yield session.prompt()
        except EOFError:
            return


def _patched_stdout(terminal: bool) -> AbstractContextManager[None]:
    """prompt_toolkit's ``patch_stdout`` at a terminal, nothing otherwise."""
    if not terminal:
        return nullcontext()
    from prompt_toolkit.patch_stdout import patch_stdout

    return patch_stdout(raw=True)


def _tolerate_bad_text() -> None:
    # Text the console cannot encode (or bytes that are not text) must not
    # kill the printer or end the chat: show an escape or U+FFFD instead.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    if isinstance(sys.stdin, io.TextIOWrapper):
        sys.stdin.reconfigure(errors="replace")


# -- output -----------------------------------------------------------------------------


class Printer:
    """The one writer of stdout: a thread that renders queued items, in order.

    ``put`` only queues, so it is safe from the peer's receive thread (which
    calls subscribers with its lock held). ``sys.stdout`` is looked up at
    each write, so prompt_toolkit's patched stdout is used when active.
    """

    def __init__(self, render: Callable[[Item], str | None]) -> None:
        self._render = render
        self._queue: queue.SimpleQueue[Item | None] = queue.SimpleQueue()
        self._broken = False
        self._thread = threading.Thread(target=self._run, name="labchat-printer", daemon=True)

    def put(self, item: Item) -> None:
        self._queue.put(item)

    def __enter__(self) -> Printer:
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._queue.put(None)  # after everything already queued
        self._thread.join()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            try:
                line = self._render(item)
            except Exception as error:  # a display bug must not silence later events
                line = voice.cannot_display(item, error)
            if line is not None:
                self._write(line)

    def _write(self, line: str) -> None:
        if self._broken:
            return
        try:
            print(line, flush=True)
        except BrokenPipeError:
            # The reader went away: stop writing, and keep the interpreter's
            # final flush from failing too (the recipe in Python's signal docs).
            self._broken = True
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())


def _json_line(item: Item) -> str | None:
    if isinstance(item, str):
        return None  # notes are for people
    record = item if isinstance(item, dict) else item.to_dict()
    return json.dumps(record, ensure_ascii=False)


class HumanView:
    """Events as short lines for a person; remembers where the last datagram came from."""

    def __init__(self, peer_name: str) -> None:
        self.peer_name = peer_name
        self._last_source = "?"

    def __call__(self, item: Item) -> str | None:
        if isinstance(item, str):
            return item
        if isinstance(item, dict):
            return None
        if isinstance(item, DatagramReceived):
            self._last_source = item.source
        if item.name in _QUIET:
            return None
        return self.describe(item)

    def describe(self, event: Event) -> str:
        words = voice.words_for(event, voice.Speakers(me=voice.label("we"), peer=self.peer_name,
                                                      source=self._last_source))
        if isinstance(event, MessageDelivered | ResendReceived | DatagramRejected):
            return words.chat or words.note  # what the peer sent, or failed to: no marker
        return f"* {words.chat or words.note}"
