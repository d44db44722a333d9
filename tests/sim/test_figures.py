"""The textbook's figures: each script runs on the real engine and does what the figure shows."""

from __future__ import annotations

import pytest

from labchat import voice
from labchat.events import DatagramSent, TimerExpired
from labchat.sim.figures import FIGURES, FigureWalk, outcome_of
from labchat.sim.stepping import StepError
from labchat.trace import SIDES, WireRecord


def book_name(record: WireRecord) -> str:
    """A datagram as the textbook names it: ``pkt1`` (data or resent), ``ACK1``."""
    words = record.label.split()  # "D1 ack- m2" or "ACK 1"
    if record.kind == "ack":
        return "ACK" + words[1]
    return "pkt" + words[0].removeprefix("D")


def told_as_the_book(key: str) -> list[tuple[str, str, list[str]]]:
    """Each predicted step of figure ``key``: who acted, the outcome, what that side sent."""
    walk = FigureWalk(key)
    network = walk.model.network
    told: list[tuple[str, str, list[str]]] = []
    while not walk.done:
        predicted = walk.needs_prediction
        seen = {side: len(network.events[side]) for side in SIDES}
        wire = len(network.wire)
        verdict = walk.step(walk.figure.choices[0] if predicted else None)
        if verdict is None:
            continue
        # The side that took the datagram in (or whose timer fired); sending is not acting.
        (actor,) = [side for side in SIDES if any(
            not isinstance(e, DatagramSent) for e in network.events[side][seen[side]:])]
        told.append((actor, verdict.actual, [book_name(r) for r in network.wire[wire:]]))
    return told


def outcomes(key: str) -> list[str]:
    """The outcome of every predicted step of figure ``key``, taken with any prediction."""
    walk = FigureWalk(key)
    found = []
    while not walk.done:
        prediction = walk.figure.choices[0] if walk.needs_prediction else None
        verdict = walk.step(prediction)
        if verdict is not None:
            found.append(verdict.actual)
    return found


def test_rdt3_with_no_loss_alternates_deliveries_and_acks() -> None:
    assert outcomes("3.16a") == ["delivered", "acked"] * 3


def test_rdt3_lost_packet_is_recovered_by_the_timer() -> None:
    assert outcomes("3.16b") == ["delivered", "acked", "timeout", "delivered", "acked"]


def test_rdt3_lost_ack_makes_the_receiver_discard_a_duplicate() -> None:
    assert outcomes("3.16c") == ["delivered", "acked", "delivered", "timeout", "duplicate",
                                 "acked"]


def test_rdt3_premature_timeout_goes_as_figure_3_16_d_draws_it() -> None:
    assert told_as_the_book("3.16d") == [
        ("B", "delivered", ["ACK0"]),  # rcv pkt0, send ACK0
        ("A", "acked", ["pkt1"]),  # rcv ACK0, send pkt1
        ("B", "delivered", ["ACK1"]),  # rcv pkt1, send ACK1
        ("A", "timeout", ["pkt1"]),  # pkt1 timeout, resend pkt1 (ACK1 still on its way)
        ("A", "acked", ["pkt0"]),  # rcv ACK1, send pkt0
        ("B", "duplicate", ["ACK1"]),  # rcv pkt1 (detect duplicate), send ACK1
        ("B", "delivered", ["ACK0"]),  # rcv pkt0, send ACK0
        ("A", "nothing_new", []),  # rcv ACK1 (the duplicate): do nothing
        ("A", "acked", ["pkt1"]),  # rcv ACK0, send pkt1
    ]


def test_go_back_n_goes_as_figure_3_22_draws_it() -> None:
    assert told_as_the_book("3.22") == [
        ("B", "delivered", ["ACK0"]),  # rcv pkt0, send ACK0
        ("B", "delivered", ["ACK1"]),  # rcv pkt1, send ACK1
        ("B", "out_of_order", ["ACK1"]),  # rcv pkt3, discard, (re)send ACK1
        ("A", "acked", ["pkt4"]),  # rcv ACK0, send pkt4
        ("A", "acked", ["pkt5"]),  # rcv ACK1, send pkt5
        ("A", "nothing_new", []),  # the ACK1 re-sent for pkt3 (drawn, not captioned)
        ("B", "out_of_order", ["ACK1"]),  # rcv pkt4, discard, (re)send ACK1
        ("B", "out_of_order", ["ACK1"]),  # rcv pkt5, discard, (re)send ACK1
        ("A", "nothing_new", []),
        ("A", "nothing_new", []),
        ("A", "timeout", ["pkt2", "pkt3", "pkt4", "pkt5"]),  # pkt2 timeout: send pkt2..pkt5
        ("B", "delivered", ["ACK2"]),  # rcv pkt2, deliver, send ACK2
        ("B", "delivered", ["ACK3"]),  # rcv pkt3, deliver, send ACK3
    ]


def test_go_back_n_sends_its_window_one_packet_after_another() -> None:
    walk = FigureWalk("3.22")
    while not walk.done:
        walk.step(walk.figure.choices[0] if walk.needs_prediction else None)
    # pkt0 to pkt3 leave one after another, as drawn.
    assert [r.sent_at for r in walk.model.network.wire[:4]] == [0.0, 0.5, 1.0, 1.5]
    assert walk.model.delivered("B") == ["pkt0", "pkt1", "pkt2", "pkt3"]


def test_selective_repeat_goes_as_figure_3_26_draws_it() -> None:
    assert told_as_the_book("3.26") == [
        ("B", "delivered", ["ACK0"]),  # pkt0 rcvd, delivered, ACK0 sent
        ("B", "delivered", ["ACK1"]),  # pkt1 rcvd, delivered, ACK1 sent
        ("B", "buffered", ["ACK3"]),  # pkt3 rcvd, buffered, ACK3 sent
        ("A", "acked", ["pkt4"]),  # ACK0 rcvd, pkt4 sent
        ("A", "acked", ["pkt5"]),  # ACK1 rcvd, pkt5 sent
        ("B", "buffered", ["ACK4"]),  # pkt4 rcvd, buffered, ACK4 sent
        ("B", "buffered", ["ACK5"]),  # pkt5 rcvd, buffered, ACK5 sent
        ("A", "timeout", ["pkt2"]),  # pkt2 TIMEOUT, pkt2 resent (alone: its own timer)
        ("A", "acked", []),  # ACK3 rcvd, nothing sent
        ("B", "delivered", ["ACK2"]),  # pkt2 rcvd, pkt2,pkt3,pkt4,pkt5 delivered, ACK2 sent
    ]


def test_selective_repeat_delivers_four_at_once_and_resends_only_pkt2() -> None:
    walk = FigureWalk("3.26")
    while not walk.done:
        walk.step(walk.figure.choices[0] if walk.needs_prediction else None)
    assert [book_name(r) for r in walk.model.network.wire if r.kind == "resend"] == ["pkt2"]
    assert walk.model.delivered("B") == [f"pkt{i}" for i in range(6)]


def test_a_prediction_is_judged_against_what_the_engine_did() -> None:
    walk = FigureWalk("3.16b")
    for _ in range(2):
        assert walk.step() is None  # sends: nothing to predict
    right = walk.step("delivered")
    wrong = walk.step("timeout")
    assert right is not None and right.right
    assert wrong is not None and not wrong.right and wrong.actual == "acked"
    assert walk.score() == (1, 2)


def test_an_arrival_without_a_prediction_is_refused_and_nothing_moves() -> None:
    walk = FigureWalk("3.16a")
    for _ in range(3):
        walk.step()
    with pytest.raises(StepError, match="predict first"):
        walk.step()
    assert walk.position == 3 and walk.model.delivered("B") == []


def test_every_step_of_every_figure_has_its_caption_and_the_figure_a_title() -> None:
    for key, figure in FIGURES.items():
        assert len(voice.FIGURE_STEPS[key]) == len(figure.script)
        assert voice.figure_title(key).startswith("Figure 3.")


def test_an_unknown_figure_is_one_clear_error() -> None:
    with pytest.raises(StepError, match="no figure"):
        FigureWalk("3.99")


def test_a_step_that_causes_nothing_is_nothing_new() -> None:
    assert outcome_of([]) == "nothing_new"


def test_figure_3_27_a_window_too_large_takes_an_old_packet_for_a_new_one() -> None:
    assert told_as_the_book("3.27") == [
        ("B", "delivered", ["ACK0"]),  # pkt0; ACK0 (then lost)
        ("B", "delivered", ["ACK1"]),  # pkt1; ACK1 (then lost)
        ("B", "delivered", ["ACK2"]),  # pkt2; ACK2 (then lost), window now 3, 0, 1
        ("A", "timeout", ["pkt0"]),  # timeout, retransmit pkt0 (alone: its own timer)
        ("B", "buffered", ["ACK0"]),  # receive packet with seq number 0: taken as new
        ("A", "acked", ["pkt3"]),  # past the figure: ACK0 lets pkt3 go
        ("B", "delivered", ["ACK3"]),  # pkt3 arrives and hands the old pkt0 over too
    ]
    walk = FigureWalk("3.27")
    walk.model.replay(walk.figure.script)
    assert walk.model.delivered("B") == ["pkt0", "pkt1", "pkt2", "pkt3", "pkt0"]


def test_figure_3_27_with_half_the_sequence_space_the_old_packet_is_a_duplicate() -> None:
    assert told_as_the_book("3.27-safe") == [
        ("B", "delivered", ["ACK0"]),  # pkt0; ACK0 (then lost)
        ("B", "delivered", ["ACK1"]),  # pkt1; ACK1 (then lost), window now 2, 3
        ("A", "timeout", ["pkt0"]),  # timeout, retransmit pkt0 (alone)
        ("B", "duplicate", ["ACK0"]),  # seq number 0 is outside the window: a duplicate
        ("A", "acked", ["pkt2"]),
        ("B", "delivered", ["ACK2"]),
    ]
    walk = FigureWalk("3.27-safe")
    walk.model.replay(walk.figure.script)
    assert walk.model.delivered("B") == ["pkt0", "pkt1", "pkt2"]


def timeouts(walk: FigureWalk) -> int:
    events = walk.model.network.events
    return sum(isinstance(e, TimerExpired) for side in SIDES for e in events[side])


def test_the_time_between_sends_fires_no_timer_and_asks_for_no_prediction() -> None:
    caused = []  # (figure, predicted?, timers fired) of every wait step
    for key, figure in FIGURES.items():
        walk = FigureWalk(key)
        while not walk.done:
            waiting = figure.script[walk.position].startswith("wait")
            predicted = walk.needs_prediction
            before = timeouts(walk)
            walk.step(figure.choices[0] if predicted else None)
            caused += [(key, predicted, timeouts(walk) - before)] * waiting
    assert caused == [("3.22", False, 0)] * 3 + [("3.26", False, 0)] * 3 + [
        ("3.27", False, 0)] * 2 + [("3.27-safe", False, 0)]
