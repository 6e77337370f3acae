"""Reading the whole hostile corpus does not grow a process by more than ``GROWTH_LIMIT_MIB``.

Before these fixes, one 4.5 KB XLSX grew a worker by 4.17 GB and a 1.6 MB one read 369 MB
of XML; a GeoPackage claiming two billion features would make pyogrio allocate 16 GB a
column. The corpus is read in a fresh interpreter (``measure.py``) so that the peak
resident set size is its own; the bound leaves room for the readers' own buffers (1 MiB
chunks scanning a workbook's XML, openpyxl's parser). Unbounded, the billion-laughs
workbook alone took 90 MiB before expat stopped it.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

GROWTH_LIMIT_MIB = 32  # measured: about 2 MiB
SLOWEST_FILE_S = 2.0


def test_the_corpus_is_read_in_bounded_memory_and_time(hostile, tmp_path) -> None:
    folder = next(iter(hostile.values())).parent
    done = subprocess.run(
        [sys.executable, "-m", "tests.hostile.measure", str(folder), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    found = json.loads(done.stdout)
    growth_mib = (found["peak_kib"] - found["baseline_kib"]) / 1024
    assert growth_mib < GROWTH_LIMIT_MIB, found
    assert found["slowest"][0] < SLOWEST_FILE_S, found
