"""The timing harness of the benchmarks: every method timed ``repeats`` times, and with
``shuffle`` each round in its own seeded order."""

import json

import pytest

from benchmarks._common import timed


def _recorder(names):
    calls = []
    return calls, {n: (lambda n=n: calls.append(n)) for n in names}


def test_fixed_order_calls_the_methods_in_turn():
    calls, methods = _recorder("abcd")
    out = timed(methods, 3, warmup=False)
    assert calls == list("abcd") * 3
    assert all(len(v["all_s"]) == 3 for v in out.values())


def test_shuffled_rounds_are_seeded_permutations():
    names = [f"m{i}" for i in range(6)]
    calls, methods = _recorder(names)
    timed(methods, 8, warmup=False, shuffle=7)
    rounds = [calls[i : i + 6] for i in range(0, len(calls), 6)]
    assert len(rounds) == 8 and all(sorted(r) == names for r in rounds)
    assert len({tuple(r) for r in rounds}) > 1  # not one order repeated
    again, methods = _recorder(names)
    timed(methods, 8, warmup=False, shuffle=7)
    assert again == calls  # the same seed gives the same orders
    other, methods = _recorder(names)
    timed(methods, 8, warmup=False, shuffle=8)
    assert other != calls


def test_a_tagged_report_is_kept_beside_the_untagged_one(tmp_path):
    from benchmarks._common import write_report

    write_report(tmp_path, "kernel", {"a": 1}, ["# Title", "", "text"])
    write_report(tmp_path, "kernel", {"a": 2}, ["# Title", "", "text"], tag="epyc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kernel.json", "kernel.md", "kernel_epyc.json",
                                                          "kernel_epyc.md"]
    assert (tmp_path / "kernel.md").read_text().splitlines()[0] == "# Title"
    assert (tmp_path / "kernel_epyc.md").read_text().splitlines()[0] == "# Title (epyc)"
    saved = json.loads((tmp_path / "kernel_epyc.json").read_text())
    assert saved["a"] == 2 and set(saved) == {"a", "code_revision"}
    # the revision measured at is the checkout's own (the tests run from one, or None)
    from benchmarks._common import code_revision

    rev = code_revision()
    assert saved["code_revision"] == rev
    md = (tmp_path / "kernel_epyc.md").read_text().splitlines()
    assert md[-3].startswith("Code revision: ") and (rev is None or f"`{rev}`" in md[-3])
    assert md[-1].startswith("BLAS environment: ")
    with pytest.raises(ValueError, match="tag must be"):
        write_report(tmp_path, "kernel", {}, ["# Title"], tag="../x")


def test_the_reports_name_the_blas_settings_of_the_environment(monkeypatch):
    from benchmarks._common import blas_environment_line, machine_info

    for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE", "MKL_DEBUG_CPU_TYPE",
              "MKL_ENABLE_INSTRUCTIONS"):
        monkeypatch.delenv(k, raising=False)
    assert blas_environment_line().startswith("BLAS environment: none of OPENBLAS_CORETYPE")
    assert machine_info()["blas_environment"] == {}
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    assert blas_environment_line() == "BLAS environment: `OPENBLAS_CORETYPE=Haswell`."
    assert machine_info()["blas_environment"] == {"OPENBLAS_CORETYPE": "Haswell"}


@pytest.mark.parametrize("flags, expect", [("fpu avx2 avx512f avx512dq", "AVX-512"), ("fpu avx2 fma", "no AVX-512")])
def test_the_machine_is_named_by_family_model_and_avx512(tmp_path, flags, expect):
    from benchmarks._common import cpu_model

    info = tmp_path / "cpuinfo"
    block = f"processor\t: 0\ncpu family\t: 25\nmodel\t\t: 1\nmodel name\t: AMD EPYC\nflags\t\t: {flags}\n"
    # a second processor's block with other fields must not be read
    info.write_text(block + "\nprocessor\t: 1\ncpu family\t: 99\nmodel name\t: other\n")
    assert cpu_model(str(info)) == f"AMD EPYC (CPU family 25, model 1, {expect})"
    # no family or model (another architecture's cpuinfo): the name alone
    info.write_text("processor\t: 0\nmodel name\t: Some CPU\n")
    assert cpu_model(str(info)) == "Some CPU"
