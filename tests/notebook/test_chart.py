"""The sequence chart draws what crossed the wire: one arrow per datagram, fates visible."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

from labchat import voice
from labchat.events import Event, MessageDelivered
from labchat.notebook.chart import CHAR_WIDTH, LABEL_CHARS, SequenceChart, render_svg
from labchat.notebook.scenario import HEADING, ChartStack, Scenario, step_chart
from labchat.protocols.arq import seal
from labchat.sim.channel import Impairment
from labchat.sim.stepping import StepModel
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
    assert notes == {"A": "sent=1, last carried=0", "B": delivered("hello", 0)}
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


def test_a_learned_timeout_shows_srtt_and_rto_beside_each_send_and_each_sample() -> None:
    # Round trips of 0.2 s: the first sample gives SRTT 0.2, RTTVAR 0.1, RTO 0.2 + 4 x 0.1.
    run = Scenario("stop-and-wait", Impairment(delay=0.1),
                   settings={"adaptive_timeout": True, "timeout": 1.0, "seq_bits": 16})
    run.send("A", "m0")
    run.send("A", "m1")
    notes = note_texts(parse(run.chart().svg()), "A")
    sends = [note for note in notes if note.startswith("state=")]
    assert len(sends) == 2
    assert "rto=1," in sends[0] and "srtt" not in sends[0]  # no sample yet: the set timeout
    assert "rto=0.6," in sends[1] and "srtt=0.2" in sends[1]
    assert "RTT #0 0.200 s: SRTT 0.200, RTTVAR 0.100, RTO 0.600" in " ".join(notes)


# -- every decision drawn, in causal order; windows; real payloads; layout --------------


def kr_figure(protocol: str) -> Scenario:
    """K&R Figures 3.22 / 3.26: window 4, six messages, the third datagram (pkt2) lost.

    A link of 800 B/s makes each 8-byte datagram take 10 ms to leave, so the
    packets go out one after the other as in the textbook.
    """
    run = Scenario(protocol, Impairment(delay=0.05, rate=800.0))
    run.model.drop_number("A->B", 3)
    run.send_together(("A", f"m{i}") for i in range(6))
    return run


def delivered(text: str, seq: int) -> str:
    """The chart's words for a delivery, as the voice says them."""
    return voice.chart_note(MessageDelivered(at=0.0, text=text, seq=seq)) or ""


def note_texts(root: ET.Element, side: str) -> list[str]:
    """Each note beside ``side``'s lifeline, its lines joined, top to bottom."""
    notes = [n for n in by_class(root, "labchat-note") if n.get("data-side") == side]
    notes.sort(key=lambda n: float(next(n.iter(f"{SVG}text")).get("y", "0")))
    return [" ".join("".join(t.itertext()) for t in n.iter(f"{SVG}text")) for n in notes]


def test_go_back_n_notes_every_arrival_as_figure_3_22_does() -> None:
    root = parse(kr_figure("go-back-n").chart().svg())
    b = [n for n in note_texts(root, "B") if not n.startswith("expected seq")]
    assert b == [
        delivered("m0", 0), delivered("m1", 1),
        "discarded #3 out of order (expected #2), \u2068ACK 1\u2069 again",
        "discarded #4 out of order (expected #2), \u2068ACK 1\u2069 again",
        "discarded #5 out of order (expected #2), \u2068ACK 1\u2069 again",
        delivered("m2", 2), delivered("m3", 3), delivered("m4", 4), delivered("m5", 5),
    ]
    a = [n for n in note_texts(root, "A") if not n.startswith("send base")]
    stale = "\u2068ACK 1\u2069: stale ACK ignored"
    assert a == ["acked 0", "acked 1", stale, stale, stale,
                 "timeout #2 after 0.2 s", "acked 2", "acked 3", "acked 4", "acked 5"]


def test_selective_repeat_buffers_and_resends_only_the_loss_as_figure_3_26_does() -> None:
    run = kr_figure("selective-repeat")
    root = parse(run.chart().svg())
    b = [n for n in note_texts(root, "B") if not n.startswith(("receive base", "buffered="))]
    assert b[:5] == [delivered("m0", 0), delivered("m1", 1), "buffered #3 (expected #2)",
                     "buffered #4 (expected #2)", "buffered #5 (expected #2)"]
    assert b[5:] == [" ".join(delivered(f"m{i}", i) for i in range(2, 6))]
    resent = [g.get("data-id") for g in arrows(root) if g.get("data-kind") == "resend"]
    assert len(resent) == 1


def test_a_send_caused_by_an_ack_is_drawn_right_after_that_ack() -> None:
    # SR: m4 goes out while A handles ACK 0; its state note sits under "acked 0".
    root = parse(kr_figure("selective-repeat").chart().svg())
    a = note_texts(root, "A")
    acked_0 = a.index("acked 0")
    assert a[acked_0 + 1].startswith("send base=1, next seq=5")
    assert a[acked_0 + 2] == "acked 1"


def test_each_send_shows_the_senders_window_as_k_and_r_draws_it() -> None:
    root = parse(kr_figure("go-back-n").chart().svg())
    bars = [g for g in by_class(root, "labchat-window") if g.get("data-side") == "A"]
    cells = [[c.get("data-state") for c in bar.iter(f"{SVG}rect")
              if c.get("class") == "labchat-window-cell"] for bar in bars]
    # After pkt3: 0-3 in flight, 4-5 not usable (window 4).
    assert cells[3] == ["in_flight"] * 4 + ["not_usable"] * 2
    # After ACK 0 and pkt4: 0 acknowledged, 1-4 in flight.
    assert cells[4] == ["acknowledged"] + ["in_flight"] * 4 + ["not_usable"] * 2
    assert by_class(root, "labchat-window")[0].get("data-size") == "4"


def test_stop_and_wait_shows_its_one_slot_window() -> None:
    run = Scenario("stop-and-wait")
    run.send("A", "hi")
    (bar,) = by_class(parse(run.chart().svg()), "labchat-window")
    states = [c.get("data-state") for c in bar.iter(f"{SVG}rect")
              if c.get("class") == "labchat-window-cell"]
    assert states == ["in_flight", "not_usable", "not_usable"]


#: Persian "I want" with its zero-width non-joiner, then text whose brackets
#: and minus sign flip if it is not isolated.
PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 (#0) -0"


def test_labels_are_the_real_payloads_and_user_text_is_isolated() -> None:
    run = Scenario("go-back-n")
    run.send("A", PERSIAN)
    root = parse(run.chart().svg())
    labels = ["".join(g.find(f"{SVG}text").itertext()) for g in arrows(root)]  # type: ignore[union-attr]
    # The real bytes: the checksum in front, then the datagram (cut if long).
    assert labels == [voice.payload_label(seal(f"D 0 - {PERSIAN}".encode()), LABEL_CHARS),
                      f"\u2068{seal(b'A 0').decode()}\u2069"]
    assert labels[0].startswith(f"\u2068{seal(f'D 0 - {PERSIAN}'.encode())[:10].decode()}")
    svg = run.chart().svg()
    assert "\\u200c" not in svg
    assert note_texts(root, "B")[0] == voice.chart_note(MessageDelivered(at=0, text=PERSIAN, seq=0))
    assert "Vazirmatn" in root.get("font-family", "")


def test_a_long_payload_is_cut_with_an_ellipsis() -> None:
    run = Scenario("go-back-n")
    run.send("A", "x" * 60)
    label = "".join(arrows(parse(run.chart().svg()))[0].find(f"{SVG}text").itertext())  # type: ignore[union-attr]
    assert label.endswith("…\u2069") and len(label) < 30


def text_boxes(root: ET.Element) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Every text's box, with the widths the chart lays out with (no bidi marks)."""
    boxes = []
    for text in root.iter(f"{SVG}text"):
        content = "".join(t for t in text.itertext() if t is not None)
        if text.find(f"{SVG}title") is not None:
            content = text.find(f"{SVG}title").tail or ""  # type: ignore[union-attr]
        size = float(text.get("font-size", "10"))
        width = sum(1 for c in content if c not in "\u2068\u2069") * CHAR_WIDTH * size
        x, y = float(text.get("x", "0")), float(text.get("y", "0"))
        left = {"start": x, "middle": x - width / 2, "end": x - width}[text.get("text-anchor",
                                                                                "start")]
        boxes.append((content, (left, y - 0.8 * size, left + width, y + 0.2 * size)))
    return boxes


def overlapping(boxes: list[tuple[str, tuple[float, float, float, float]]]) -> list[str]:
    found = []
    for i, (a, (l1, t1, r1, b1)) in enumerate(boxes):
        for b, (l2, t2, r2, b2) in boxes[i + 1:]:
            if l1 < r2 - 0.5 and l2 < r1 - 0.5 and t1 < b2 - 0.5 and t2 < b1 - 0.5:
                found.append(f"{a!r} / {b!r}")
    return found


def dense_runs() -> list[Scenario]:
    runs = [kr_figure("go-back-n"), kr_figure("selective-repeat")]
    for protocol in ("report", "go-back-n", "selective-repeat"):
        run = Scenario(protocol, Impairment(delay=0.05, loss=0.2, duplicate=0.2), seed=4)
        run.send_together(("A", f"message {i}") for i in range(6))
        run.send_together(("B", f"answer {i}") for i in range(3))
        runs.append(run)
    return runs


def test_no_two_texts_of_a_chart_overlap() -> None:
    for run in dense_runs():
        root = parse(run.chart().svg())
        assert overlapping(text_boxes(root)) == [], run.protocol


def test_no_label_covers_an_arrow_head_or_a_cross() -> None:
    for run in dense_runs():
        root = parse(run.chart().svg())
        # A label with no free spot in a dense burst stays in the tooltip only.
        labels = [box for g in arrows(root) for _, box in text_boxes(g)]
        heads = []
        for poly in root.iter(f"{SVG}polygon"):
            x, y = (float(v) for v in poly.get("points", "").split()[0].split(","))
            heads.append((x - 6.0, y - 4.0, x + 6.0, y + 4.0))
        for group in by_class(root, "labchat-loss"):
            line = group.find(f"{SVG}line")
            x, y = float(line.get("x1")) + 5, float(line.get("y1")) + 5  # type: ignore[arg-type,union-attr]
            heads.append((x - 5.0, y - 5.0, x + 5.0, y + 5.0))
        assert overlapping([("label", b) for b in labels] + [("head", h) for h in heads]) \
            == [], run.protocol


def test_every_arrow_of_the_textbook_figures_is_labelled() -> None:
    for protocol in ("go-back-n", "selective-repeat"):
        groups = arrows(parse(kr_figure(protocol).chart().svg()))
        assert all(len(text_boxes(g)) == 1 for g in groups) and len(groups) > 12


def test_a_long_idle_stretch_is_cut_and_its_time_written() -> None:
    run = Scenario("stop-and-wait")
    run.send("A", "before")
    run.wait(30.0)
    run.send("A", "after")
    root = parse(run.chart().svg())
    (cut,) = by_class(root, "labchat-break")
    assert "s idle" in "".join(cut.itertext())
    assert 29.0 < float(cut.get("data-elapsed", "0")) <= 30.0


def test_time_is_to_scale_between_breaks() -> None:
    # Stop-and-wait, one message: the ACK's way back is as long as the data's way out.
    run = Scenario("stop-and-wait")
    run.send("A", "hi")
    ys = [(float(line.get("y1")), float(line.get("y2")))  # type: ignore[arg-type]
          for g in arrows(parse(run.chart().svg())) for line in g.iter(f"{SVG}line")]
    (data_y1, data_y2), (ack_y1, ack_y2) = ys
    assert data_y2 - data_y1 == ack_y2 - ack_y1 > 0


def test_a_chart_saves_as_an_svg_file(tmp_path: Path) -> None:
    chart = kr_figure("go-back-n").chart()
    path = chart.save(tmp_path / "figure-3-22.svg")
    assert path.read_text(encoding="utf-8") == chart.svg()
    assert parse(path.read_text(encoding="utf-8")).tag == f"{SVG}svg"


def test_the_last_records_read_only_the_recent_events() -> None:
    # 300 messages of history: the chart of the last 40 finds where their
    # events start (a binary search) and reads nothing older.
    run = Scenario("go-back-n")
    for i in range(300):
        run.send("A", f"m{i}")

    class Counted(list[Event]):
        reads = 0

        def __getitem__(self, index):  # type: ignore[no-untyped-def]
            if isinstance(index, int):
                Counted.reads += 1
            return super().__getitem__(index)

    events = {side: Counted(run.network.events[side]) for side in ("A", "B")}
    svg = render_svg(run.network.wire, events, last=40)  # type: ignore[arg-type]
    assert len(arrows(parse(svg))) == 40
    assert 0 < Counted.reads < 50


def timer_runs(root: ET.Element, side: str) -> list[tuple[float, float, str]]:
    return sorted((float(r.get("y", "0")), float(r.get("y", "0")) + float(r.get("height", "0")),
                   r.get("data-expired", "")) for r in by_class(root, "labchat-timer")
                  if r.get("data-side") == side)


def test_selective_repeat_draws_one_timer_per_packet_and_the_one_that_expired() -> None:
    root = parse(kr_figure("selective-repeat").chart().svg())
    runs = timer_runs(root, "A")
    # pkt0-pkt5, and pkt2 again after its timeout; only pkt2's first timer expired.
    assert len(runs) == 7
    assert [expired for _, _, expired in runs].count("true") == 1
    titles = [t.text or "" for r in by_class(root, "labchat-timer") for t in r]
    assert any("timer for #2" in t and "timeout 0.2 s, expired" in t for t in titles)


def test_go_back_n_draws_its_one_timer_restarted_by_each_new_ack() -> None:
    root = parse(kr_figure("go-back-n").chart().svg())
    titles = [t.text or "" for r in by_class(root, "labchat-timer") for t in r]
    # Set at the first send, restarted by ACK 0 and ACK 1, expired, then set again.
    assert [("expired" in t, "timeout 0.2 s" in t or "timeout 0.4 s" in t) for t in titles][:3] \
        == [(False, True), (False, True), (True, True)]
    assert all(t.startswith("timer: t=") for t in titles)


def test_stop_and_wait_times_its_one_packet() -> None:
    run = Scenario("stop-and-wait")
    run.drop_next("A->B")
    run.send("A", "hi")
    root = parse(run.chart().svg())
    assert [expired for _, _, expired in timer_runs(root, "A")] == ["true", "false"]


def test_a_corrupted_datagram_is_marked_and_its_title_says_what_arrived() -> None:
    corrupted = replace(record(1, sent=0.1), received=b"y -0")
    root = parse(render_svg([record(0), corrupted]))
    assert [g.get("data-corrupted") for g in arrows(root)] == [None, "true"]
    assert len(by_class(root, "labchat-corrupted")) == 1
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    assert sum("corrupted on the way: arrived as" in t for t in titles) == 1
    assert any(f"arrived as {voice.user_text('y -0')}" in t for t in titles)


def test_a_stack_is_one_picture_with_each_chart_under_its_heading() -> None:
    report = StepModel("report", script=["send A hi", "corrupt 0 1"])
    checked = StepModel("stop-and-wait", script=["send A hi"])
    stack = ChartStack([("report", step_chart(report)), ("stop-and-wait", step_chart(checked))])
    root = parse(stack.svg())
    inner = root.findall(f"{SVG}svg")
    heights = [int(chart.get("height", "0")) for chart in inner]
    assert len(inner) == 2 and all(heights)
    assert int(root.get("height", "0")) == sum(heights) + 2 * HEADING
    assert [chart.get("y") for chart in inner] == [str(HEADING), str(2 * HEADING + heights[0])]
    assert ["".join(t.itertext()) for t in root.findall(f"{SVG}text")] == [
        voice.user_text("report"), voice.user_text("stop-and-wait")]
    assert len(by_class(root, "labchat-corrupted")) == 1
    assert repr(stack) == "sequence charts: report / stop-and-wait"
