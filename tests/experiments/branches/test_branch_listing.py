"""`<trunk>_branch` alone lists the branches and succeeds (the README announces it as a listing)."""
from __future__ import annotations

from helpers import call_main


def test_lottery_branch_alone_lists_the_branches_and_exits_0():
    status, out, err = call_main(["lottery_branch"])
    assert status == 0, err
    assert "oneshot_prune" in out and "randomly_reinitialize" in out


def test_train_branch_alone_lists_its_branches_and_exits_0():
    status, out, _ = call_main(["train_branch"])
    assert status == 0 and "branches:" in out


def test_a_flag_before_the_branch_name_is_one_error_line():
    status, out, err = call_main(["lottery_branch", "--levels=2"])
    assert status == 2
    assert err.count("error:") == 1 and "name the branch before its flags" in err and "Traceback" not in err
