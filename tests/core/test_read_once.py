"""A torch file is read once: the bytes checked against done.json (or the journal) are the bytes loaded,
so a file replaced between the check and the load cannot slip through."""
from __future__ import annotations

import json

import torch

from sparselab.core import identity, integrity
from sparselab.core import io as fio


def test_the_verified_bytes_are_the_loaded_bytes(tmp_path, monkeypatch):
    job = tmp_path / "exp_0" / "replicate_1" / "main"
    job.mkdir(parents=True)
    torch.save({"w": torch.ones(3)}, job / "weights_final.pt")
    (job / "hparams.json").write_text(json.dumps({"provenance": {}}))
    sealed = integrity.seal({}, integrity.manifest(job), identity.of_directory(job))
    (job / "done.json").write_text(json.dumps(sealed))
    check = integrity.verify_file

    def check_then_replace(path, *digest):
        check(path, *digest)
        torch.save({"w": torch.zeros(3)}, path)  # swapped in after the check

    monkeypatch.setattr(integrity, "verify_file", check_then_replace)
    assert torch.equal(fio.load_torch(job / "weights_final.pt")["w"], torch.ones(3))
