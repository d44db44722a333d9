"""The impairment model: seeded, scriptable, recorded, replayable, thread-safe."""

from __future__ import annotations

import json
import statistics
import threading
from typing import Any

import pytest

from labchat.sim.channel import REORDER_HOLD, Decision, Impairment, ImpairmentModel


def decide_many(model: ImpairmentModel, count: int, direction: Any = "A->B",
                at: float = 0.0) -> list[Decision]:
    return [model.decide(direction, at) for _ in range(count)]


@pytest.mark.parametrize(("field", "value"), [
    ("loss", -0.1), ("loss", 1.5), ("duplicate", 2), ("reorder", float("nan")),
    ("delay", -1.0), ("jitter", float("inf")), ("loss", "0.1"),
])
def test_out_of_range_settings_are_refused_by_name(field: str, value: object) -> None:
    with pytest.raises(ValueError, match=field):
        Impairment(**{field: value})  # type: ignore[arg-type]


def test_bad_directions_numbers_and_outages_are_refused() -> None:
    model = ImpairmentModel()
    with pytest.raises(ValueError, match="direction"):
        model.decide("A->C", 0.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="count from 1"):
        model.drop_number("A->B", 0)
    with pytest.raises(ValueError, match="start <= end"):
        model.outage(2.0, 1.0)
    assert model.decisions == []  # nothing was decided by the refused calls


def test_a_perfect_link_delivers_everything_at_the_base_delay() -> None:
    model = ImpairmentModel(Impairment(delay=0.05))
    decisions = decide_many(model, 5)
    assert [d.action for d in decisions] == ["deliver"] * 5
    assert [d.delays for d in decisions] == [(0.05,)] * 5
    assert [d.number for d in decisions] == [1, 2, 3, 4, 5]
    assert model.decisions == decisions


def test_the_same_seed_gives_the_same_decisions_and_another_seed_does_not() -> None:
    lossy = Impairment(loss=0.3, duplicate=0.2, reorder=0.2, delay=0.05, jitter=0.02)

    def run(seed: int) -> list[Decision]:
        model = ImpairmentModel(lossy, seed=seed)
        for i in range(200):
            model.decide("A->B" if i % 3 else "B->A", i * 0.01)
        return model.decisions

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_replay_reproduces_the_recorded_decisions_exactly() -> None:
    original = ImpairmentModel(Impairment(loss=0.3, duplicate=0.3, reorder=0.3, delay=0.1,
                                          jitter=0.05), seed=11)
    original.drop_next("B->A")
    original.outage(0.5, 0.7)
    for i in range(100):
        original.decide("A->B" if i % 2 else "B->A", i * 0.01)

    replayed = ImpairmentModel.replay(original.decisions, seed=999)
    for i in range(100):
        replayed.decide("A->B" if i % 2 else "B->A", i * 0.01)
    assert replayed.decisions == original.decisions
    assert {d.cause for d in replayed.decisions} >= {"random", "drop next", "outage"}

    # Beyond the recording: the `after` link (perfect, no delay, by default).
    beyond = replayed.decide("A->B", 5.0)
    assert (beyond.number, beyond.action, beyond.delays) == (51, "deliver", (0.0,))


def test_drop_next_drops_one_datagram_in_that_direction_only() -> None:
    model = ImpairmentModel()
    model.drop_next("A->B")
    assert model.decide("B->A", 0.0).action == "deliver"
    first, second = decide_many(model, 2)
    assert (first.action, first.cause, first.delays) == ("drop", "drop next", ())
    assert second.action == "deliver"

    model.drop_next("B->A")
    model.drop_next("B->A")
    assert [d.action for d in decide_many(model, 3, "B->A")] == ["drop", "drop", "deliver"]


def test_drop_number_drops_exactly_datagram_k_of_that_direction() -> None:
    model = ImpairmentModel()
    model.drop_number("A->B", 3)
    model.decide("B->A", 0.0)  # B's datagrams are counted separately
    decisions = decide_many(model, 5)
    assert [d.action for d in decisions] == ["deliver", "deliver", "drop", "deliver", "deliver"]
    assert decisions[2].cause == "drop number 3"


def test_an_outage_drops_everything_in_its_half_open_interval() -> None:
    model = ImpairmentModel()
    model.outage(1.0, 2.0)
    actions = [model.decide(d, t).action
               for t in (0.99, 1.0, 1.5, 1.99, 2.0) for d in ("A->B", "B->A")]
    assert actions == ["deliver"] * 2 + ["drop"] * 6 + ["deliver"] * 2
    assert {d.cause for d in model.decisions if d.action == "drop"} == {"outage"}


def test_a_one_way_outage_leaves_the_other_direction_alone() -> None:
    model = ImpairmentModel()
    model.outage(0.0, 10.0, "B->A")
    assert model.decide("A->B", 1.0).action == "deliver"
    assert model.decide("B->A", 1.0).action == "drop"


def test_rates_on_ten_thousand_draws_are_close_to_the_settings() -> None:
    settings = Impairment(loss=0.2, duplicate=0.1, reorder=0.05, delay=0.1, jitter=0.04)
    decisions = decide_many(ImpairmentModel(settings, seed=3), 10_000)
    dropped = sum(d.action == "drop" for d in decisions)
    kept = [d for d in decisions if d.action != "drop"]
    duplicated = sum(d.action == "duplicate" for d in kept)
    copies = [(delay, held) for d in kept for delay, held in zip(d.delays, d.held, strict=True)]
    held = [delay for delay, is_held in copies if is_held]
    plain = [delay for delay, is_held in copies if not is_held]

    # Binomial standard deviations are about 40, 30 and 25: these bounds are
    # 5 deviations wide, so they only fail when the rates are wrong.
    assert 1800 <= dropped <= 2200
    assert 0.085 <= duplicated / len(kept) <= 0.115
    assert 0.04 <= len(held) / len(copies) <= 0.06
    assert all(len(d.delays) == (2 if d.action == "duplicate" else 1) for d in kept)
    assert all(0.1 <= delay <= 0.14 for delay in plain)
    assert 0.115 <= statistics.mean(plain) <= 0.125  # uniform jitter: mean delay + jitter/2
    hold = 0.1 + 0.04 + REORDER_HOLD
    assert all(0.1 + hold <= delay <= 0.14 + hold for delay in held)


def test_a_held_back_copy_is_overtaken_by_every_copy_sent_with_it() -> None:
    model = ImpairmentModel(Impairment(reorder=0.3, delay=0.05, jitter=0.03), seed=5)
    copies = [(delay, held) for d in decide_many(model, 200)
              for delay, held in zip(d.delays, d.held, strict=True)]
    held = [delay for delay, is_held in copies if is_held]
    plain = [delay for delay, is_held in copies if not is_held]
    assert held and plain
    assert max(plain) < min(held)


def test_reordering_happens_even_on_a_link_without_delay() -> None:
    decision = ImpairmentModel(Impairment(reorder=1.0)).decide("A->B", 0.0)
    assert decision.delays == (REORDER_HOLD,)
    assert decision.held == (True,)


def test_a_higher_loss_rate_drops_a_superset_with_the_same_seed() -> None:
    def dropped(loss: float) -> set[int]:
        model = ImpairmentModel(Impairment(loss=loss, jitter=0.01), seed=21)
        return {d.number for d in decide_many(model, 2000) if d.action == "drop"}

    assert dropped(0.1) < dropped(0.3)


def test_set_impairment_changes_one_direction_from_now_on() -> None:
    model = ImpairmentModel(Impairment(delay=0.01))
    model.decide("A->B", 0.0)
    model.set_impairment("A->B", Impairment(loss=1.0))
    assert [d.action for d in decide_many(model, 3)] == ["drop"] * 3
    assert model.decide("B->A", 0.0).action == "deliver"
    assert model.impairment("B->A") == Impairment(delay=0.01)
    with pytest.raises(TypeError, match="Impairment"):
        model.set_impairment("A->B", 0.5)  # type: ignore[arg-type]


def test_decisions_are_json_ready() -> None:
    model = ImpairmentModel(Impairment(duplicate=1.0, delay=0.02))
    text = json.dumps(model.decide("B->A", 1.5).to_dict())
    assert json.loads(text) == {"number": 1, "direction": "B->A", "at": 1.5,
                                "action": "duplicate", "delays": [0.02, 0.02],
                                "cause": "random", "held": [False, False], "flips": []}


def test_two_threads_deciding_at_once_never_share_a_number() -> None:
    model = ImpairmentModel(Impairment(loss=0.5), seed=1)
    threads = [threading.Thread(target=decide_many, args=(model, 5000, direction))
               for direction in ("A->B", "A->B", "B->A")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    numbers = sorted(d.number for d in model.recorded() if d.direction == "A->B")
    assert numbers == list(range(1, 10_001))
    assert model.count("B->A") == 5000


def test_record_false_keeps_no_list_but_still_counts() -> None:
    model = ImpairmentModel(record=False)
    decide_many(model, 10)
    assert model.decisions == []
    assert model.count("A->B") == 10


def test_a_perfect_link_draws_nothing_and_an_impaired_one_six_per_datagram() -> None:
    perfect = ImpairmentModel(seed=5)
    state, corrupt_state = perfect._random.getstate(), perfect._corrupt_random.getstate()
    for _ in range(100):
        perfect.decide("A->B", 0.0)
    assert perfect._random.getstate() == state  # no random work on a perfect link
    assert perfect._corrupt_random.getstate() == corrupt_state
    lossy = ImpairmentModel(Impairment(loss=0.1), seed=5)
    reference = ImpairmentModel(Impairment(loss=0.1), seed=5)
    lossy.decide("A->B", 0.0)
    for _ in range(6):
        reference._random.random()
    assert lossy._random.getstate() == reference._random.getstate()


def test_draws_start_when_an_impairment_is_switched_on() -> None:
    model = ImpairmentModel(seed=9)
    for _ in range(10):
        assert model.decide("A->B", 0.0).action == "deliver"
    model.set_impairment("A->B", Impairment(loss=0.5))
    fresh = ImpairmentModel(Impairment(loss=0.5), seed=9)
    later = [model.decide("A->B", 0.0).action for _ in range(50)]
    assert later == [fresh.decide("A->B", 0.0).action for _ in range(50)]
