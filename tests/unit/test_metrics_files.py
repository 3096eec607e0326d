"""The aggregated scrape reads every worker's file, and one a worker is creating right now (still
empty) does not fail it."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from api.metrics import exposition


def test_a_file_a_worker_is_still_creating_does_not_fail_the_scrape(tmp_path: Path) -> None:
    written = MmapedDict(str(tmp_path / "counter_101.db"))
    key = mmap_key("eedraws_test", "eedraws_test_total", [], [], "a count")
    written.write_value(key, 3.0, 0.0)
    written.close()
    (tmp_path / "counter_102.db").touch()  # opened by its worker, not yet sized

    text = exposition(str(tmp_path)).decode()

    values = {
        sample.name: sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    assert values["eedraws_test_total"] == 3.0
