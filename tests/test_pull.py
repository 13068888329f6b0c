import pytest

from chip_ner.annotation.pull import PullReport, merge_spans

TEXT = "英伟达H100和台积电"
NV, H100, TSMC = (0, 3), (3, 7), (8, 11)


def merge(base, local, remote, prefer=None):
    report = PullReport()
    return merge_spans("x", TEXT, base, local, remote, prefer, report), report


@pytest.mark.parametrize("base,local,remote,expected", [
    # changed only in doccano: taken
    ([(*NV, "COMPANY")], [(*NV, "COMPANY")], [(*NV, "COMPANY"), (*TSMC, "COMPANY")], [(*NV, "COMPANY"), (*TSMC, "COMPANY")]),
    ([(*NV, "COMPANY"), (*H100, "CHIP")], [(*NV, "COMPANY"), (*H100, "CHIP")], [(*NV, "COMPANY")], [(*NV, "COMPANY")]),
    ([(*H100, "CHIP")], [(*H100, "CHIP")], [(*H100, "MONEY")], [(*H100, "MONEY")]),
    # changed only locally: kept
    ([(*NV, "COMPANY")], [(*NV, "COMPANY"), (*H100, "CHIP")], [(*NV, "COMPANY")], [(*NV, "COMPANY"), (*H100, "CHIP")]),
    ([(*NV, "COMPANY")], [], [(*NV, "COMPANY")], []),
    # the same change on both sides: no conflict
    ([], [(*H100, "CHIP")], [(*H100, "CHIP")], [(*H100, "CHIP")]),
])
def test_merge_without_conflict(base, local, remote, expected):
    merged, report = merge(base, local, remote)
    assert merged == expected and not report.conflicts


def test_relabelled_differently_on_both_sides_is_a_conflict():
    merged, report = merge([(*H100, "CHIP")], [(*H100, "COMPANY")], [(*H100, "MONEY")])
    assert len(report.conflicts) == 1
    assert str(report.conflicts[0]) == ("x: local 'H100' COMPANY [3, 7) vs doccano 'H100' MONEY [3, 7) "
                                        "(was 'H100' CHIP [3, 7))")


@pytest.mark.parametrize("prefer,expected", [("local", "COMPANY"), ("remote", "MONEY")])
def test_prefer_resolves_conflicts(prefer, expected):
    merged, report = merge([(*H100, "CHIP")], [(*H100, "COMPANY")], [(*H100, "MONEY")], prefer)
    assert merged == [(*H100, expected)] and not report.conflicts


def test_boundaries_moved_differently_on_both_sides_is_a_conflict():
    base = [(0, 3, "COMPANY")]
    local = [(0, 7, "COMPANY")]       # local widened
    remote = [(0, 2, "COMPANY")]      # doccano narrowed
    merged, report = merge(base, local, remote)
    assert len(report.conflicts) == 1
    assert "local '英伟达H100' COMPANY" in str(report.conflicts[0]) and "doccano '英伟' COMPANY" in str(report.conflicts[0])
    merged, report = merge(base, local, remote, prefer="remote")
    assert merged == [(0, 2, "COMPANY")] and not report.conflicts


def test_summary_counts_remote_changes():
    _, report = merge([(*NV, "COMPANY"), (*H100, "CHIP")], [(*NV, "COMPANY"), (*H100, "CHIP")],
                      [(*H100, "COMPANY"), (*TSMC, "COMPANY")])
    assert report.added == {"COMPANY": 1} and report.removed == {"COMPANY": 1} and report.relabelled == {"COMPANY": 1}
