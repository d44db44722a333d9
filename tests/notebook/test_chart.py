"""The sequence chart draws what crossed the wire: one arrow per datagram, fates visible."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from labchat.events import Event, MessageDelivered
from labchat.notebook.chart import SequenceChart, render_svg
from labchat.notebook.scenario import Scenario
from labchat.sim.channel import Impairment
from labchat.trace import Side, WireRecord

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # also proves the output is well-formed XML


def arrows(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "labchat-arrow"]


def by_class(root: ET.Element, css: str) -> list[ET.Element]:
    return [e for e in root.iter() if e.get("class") == css]


def record(id: int, source: str = "A", *, kind: str = "data", seq: int | None = 0,
           fate: str = "delivered", copy_of: int | None = None, sent: float = 0.0,
           state: dict[str, object] | None = None) -> WireRecord:
    return WireRecord(id=id, source=source, sent_at=sent, payload=b"x -0", kind=kind,  # type: ignore[arg-type]
                      seq=seq, label=f"label {id}", fate=fate,  # type: ignore[arg-type]
                      arrived_at=sent + 0.05 if fate == "delivered" else None, copy_of=copy_of,
                      state=state)


def test_one_arrow_per_record_with_its_kind_fate_source_and_id() -> None:
    records = [record(0), record(1, "B", kind="ack", seq=None), record(2, fate="dropped"),
               record(3, fate="in_flight", sent=0.2)]
    root = parse(render_svg(records))
    drawn = [(g.get("data-id"), g.get("data-kind"), g.get("data-fate"), g.get("data-source"))
             for g in arrows(root)]
    assert drawn == [("0", "data", "delivered", "A"), ("1", "ack", "delivered", "B"),
                     ("2", "data", "dropped", "A"), ("3", "data", "in_flight", "A")]
    titles = [g.find(f"{SVG}title") for g in arrows(root)]
    assert all(t is not None and t.text and "label" in t.text for t in titles)


def test_a_lost_datagram_ends_in_a_cross_and_only_it() -> None:
    root = parse(render_svg([record(0), record(1, fate="dropped"), record(2)]))
    lost = [g for g in arrows(root) if by_class(g, "labchat-loss")]
    assert [g.get("data-id") for g in lost] == ["1"]
    assert len(by_class(root, "labchat-loss")) == 1


def test_duplicates_and_resends_link_to_their_original() -> None:
    records = [record(0, seq=0), record(1, seq=0, copy_of=0), record(2, seq=1),
               record(3, kind="resend", seq=0, sent=0.3), record(4, kind="resend", seq=1, sent=0.3)]
    root = parse(render_svg(records))
    copy_of = {g.get("data-id"): g.get("data-copy-of") for g in arrows(root)}
    assert copy_of == {"0": None, "1": "0", "2": None, "3": "0", "4": "2"}
    links = {(p.get("data-from"), p.get("data-to")) for p in by_class(root, "labchat-link")}
    assert links == {("0", "1"), ("0", "3"), ("2", "4")}
    # Duplicates and resends do not look like first transmissions.
    stroke = {g.get("data-id"): g.find(f"{SVG}line").get("stroke")  # type: ignore[union-attr]
              for g in arrows(root)}
    assert len({stroke["0"], stroke["1"], stroke["3"]}) == 3


def test_states_and_events_appear_beside_the_lifelines() -> None:
    sent = record(0, state={"sent": 1, "last carried": 0})
    events: dict[Side, list[Event]] = {"B": [MessageDelivered(at=0.05, text="hello", seq=0,
                                                              cause=0)]}
    svg = render_svg([sent], events, final={"A": {"sent": 1}})
    root = parse(svg)
    notes = {n.get("data-side"): "".join(n.itertext()).strip()
             for n in by_class(root, "labchat-note")}
    assert notes == {"A": "sent=1, last carried=0", "B": "delivered “\u2068hello\u2069” (#0)"}
    final = by_class(root, "labchat-final-state")
    assert ["".join(f.itertext()).strip() for f in final] == ["sent=1"]


def test_a_note_sits_beside_the_arrival_that_caused_it_not_the_nearest_in_time() -> None:
    # Two arrivals at B at the same instant: the delivery names the second one.
    records = [record(0, sent=0.0), record(1, sent=0.0)]
    events: dict[Side, list[Event]] = {"B": [MessageDelivered(at=0.05, text="hi", seq=0,
                                                              cause=1)]}
    root = parse(render_svg(records, events))
    arrival_y = {g.get("data-id"): float(g.find(f"{SVG}line").get("y2"))  # type: ignore[arg-type,union-attr]
                 for g in arrows(root)}
    assert arrival_y["0"] != arrival_y["1"]
    (note,) = by_class(root, "labchat-note")
    assert float(note.find(f"{SVG}text").get("y")) == arrival_y["1"] + 3  # type: ignore[arg-type,union-attr]


def test_untrusted_text_is_escaped() -> None:
    evil = WireRecord(id=0, source="A", sent_at=0.0, payload=b"", kind="garbage", seq=None,
                      label='<script>alert("x")</script>', fate="delivered", arrived_at=0.1)
    svg = render_svg([evil])
    assert "<script>" not in svg
    assert len(arrows(parse(svg))) == 1


def test_last_keeps_the_newest_records_and_says_how_many_are_hidden() -> None:
    records = [record(i, sent=i * 0.1) for i in range(300)]
    svg = render_svg(records, last=50)
    ids = [int(g.get("data-id") or -1) for g in arrows(parse(svg))]
    assert ids == list(range(250, 300))
    assert "250 earlier datagrams not shown" in svg


def test_a_recorded_run_gives_the_same_chart_every_time() -> None:
    def run() -> SequenceChart:
        recording = Scenario("report", Impairment(loss=0.3, duplicate=0.2, delay=0.05), seed=7)
        for number in range(8):
            recording.send("A" if number % 2 else "B", f"message {number}")
        return recording.chart()

    first, second = run(), run()
    assert first.svg() == second.svg()
    assert repr(first) == repr(second)
    root = parse(first.svg())
    assert len(arrows(root)) == len(first.records)
    assert len(by_class(root, "labchat-loss")) == sum(r.fate == "dropped" for r in first.records)


def test_chart_shows_the_report_resending_after_a_loss() -> None:
    recording = Scenario("report")
    recording.send("A", "one")
    recording.drop_next("A->B")
    recording.send("A", "two")
    recording.send("B", "are you there?")
    root = parse(recording.chart().svg())
    kinds = [(g.get("data-source"), g.get("data-kind"), g.get("data-fate")) for g in arrows(root)]
    assert kinds == [("A", "data", "delivered"), ("A", "data", "dropped"),
                     ("B", "data", "delivered"),
                     ("A", "resend", "delivered"), ("A", "resend", "delivered")]
    notes = " ".join("".join(n.itertext()) for n in by_class(root, "labchat-note"))
    assert "count 1 != 2: resend all 2" in notes


def test_a_window_rung_shows_its_window_and_timer_not_its_settings() -> None:
    recording = Scenario("go-back-n")
    recording.drop_next("A->B")
    recording.send("A", "one")
    root = parse(recording.chart().svg())
    notes = " ".join("".join(n.itertext()) for n in by_class(root, "labchat-note"))
    final = " ".join("".join(f.itertext()) for f in by_class(root, "labchat-final-state"))
    # The first send: base 0, next 1, the timer set; the resend on the timer.
    assert "send base=0" in notes and "next seq=1" in notes and "timer=" in notes
    assert "send base=1" in final
    for setting in ("window=", "seq space=", "queued="):
        assert setting not in notes + final
