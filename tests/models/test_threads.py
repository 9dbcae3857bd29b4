"""ThreadTuner keeps the faster thread count and notices when the machine changes."""

from __future__ import annotations

from codebegen.models.threads import WINDOW, ThreadTuner


def drive(tuner: ThreadTuner, cost: dict[int, float], windows: int) -> list[int]:
    used = []
    for _ in range(windows * WINDOW):
        used.append(tuner.current)
        tuner.observe(cost[tuner.current])
    return used


def test_a_quiet_machine_keeps_every_core():
    applied = []
    tuner = ThreadTuner(applied.append, most=2)
    used = drive(tuner, {2: 0.010, 1: 0.018}, windows=30)
    assert applied[0] == 1 and used.count(2) > 0.8 * len(used)  # starts safe, then takes both cores


def test_a_busy_neighbour_moves_it_to_fewer_threads_and_back():
    tuner = ThreadTuner(lambda n: None, most=2)
    busy = drive(tuner, {2: 0.900, 1: 0.025}, windows=30)  # spinning threads stall: 1 tok/s
    assert busy[-WINDOW:] == [1] * WINDOW and busy.count(1) > 0.75 * len(busy)
    quiet = drive(tuner, {2: 0.010, 1: 0.018}, windows=30)
    assert quiet[-WINDOW:] == [2] * WINDOW


def test_one_core_never_switches():
    applied = []
    tuner = ThreadTuner(applied.append, most=1)
    assert set(drive(tuner, {1: 0.01}, windows=5)) == {1} and applied == [1]
