"""A student's stop-and-wait (the model answer) chats over real UDP with labchat's reference."""

from __future__ import annotations

from labchat.events import MessageDelivered
from labchat.protocols import create_engine
from labchat.udp.peer import UdpPeer
from tests.build.answers import answer


def delivered(peer: UdpPeer) -> list[str]:
    return [e.text for e in peer.history if isinstance(e, MessageDelivered)]


def test_a_students_stop_and_wait_chats_with_the_reference_over_udp() -> None:
    with UdpPeer(create_engine(answer("stop_and_wait")), name="student") as student, \
            UdpPeer(create_engine("stop-and-wait"), name="reference") as reference:
        student.connect(reference.address)
        reference.connect(student.address)
        for text in ("hello", "سلام - خوبی؟", "third"):
            student.send(text)
        reference.send("hi, student")
        assert reference.wait_for_events("delivered", 3, timeout=5.0)
        assert student.wait_for_events("delivered", 1, timeout=5.0)
        assert student.wait_for(lambda: student.unfinished() == 0, timeout=5.0)
        assert delivered(reference) == ["hello", "سلام - خوبی؟", "third"]
        assert delivered(student) == ["hi, student"]
        assert [e.name for e in student.history if e.name in ("engine_error", "rejected")] == []
