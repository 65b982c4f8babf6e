"""Label noise: exact counts, maps, determinism, independence of seeds, interplay with subsampling."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from sparselab.data.label_noise import ASYMMETRIC_MAPS, apply_label_noise, asymmetric_map, cifar100_superclass_map
from sparselab.data.cifar import FINE_TO_COARSE
from sparselab.data.loader import subsample_indices
from sparselab.core.errors import UsageError


def _labels(n=1000, c=10):
    return torch.arange(n, dtype=torch.int64) % c  # balanced: n/c per class


def _noise(labels, c=10, seed=0, **kw):
    args = dict(random_labels_fraction=None, noisy_labels_type=None, noisy_labels_fraction=None, class_map=None)
    args.update(kw)
    return apply_label_noise(labels, c, seed=seed, **args)


def test_no_noise_is_identity():
    labels = _labels()
    new, corrupted = _noise(labels)
    assert torch.equal(new, labels) and corrupted.numel() == 0


def test_symmetric_exact_count_and_uniform_off_diagonal():
    labels = _labels(1000)
    new, corrupted = _noise(labels, noisy_labels_type="symmetric", noisy_labels_fraction=0.2)
    changed = torch.nonzero(new != labels).flatten()
    assert changed.numel() == 200 and torch.equal(changed, corrupted)
    assert torch.equal(corrupted, corrupted.sort().values)
    # off-diagonal flips roughly uniform over the 9 other classes: chi-square over 90 cells
    pooled = np.zeros(9)
    for old, nw in zip(labels[corrupted].tolist(), new[corrupted].tolist()):
        pooled[(nw - old) % 10 - 1] += 1
    expected = 200 / 9
    chi2 = ((pooled - expected) ** 2 / expected).sum()
    assert chi2 < 30  # 8 degrees of freedom; p(chi2 > 30) < 0.001
    # larger sample: per-(true, new) cell frequencies uniform
    big = _labels(20000)
    new_b, cor_b = _noise(big, noisy_labels_type="symmetric", noisy_labels_fraction=0.5, seed=1)
    counts = np.zeros((10, 10))
    np.add.at(counts, (big[cor_b].numpy(), new_b[cor_b].numpy()), 1)
    assert np.all(np.diag(counts) == 0)
    off = counts[~np.eye(10, dtype=bool)]
    exp = off.sum() / 90
    assert ((off - exp) ** 2 / exp).sum() < 150  # 89 dof, mean 89, sd ~13


def test_random_labels_exact_count_and_may_keep_label():
    labels = _labels(1000)
    new, corrupted = _noise(labels, random_labels_fraction=0.3, seed=2)
    assert corrupted.numel() == 300
    untouched = torch.ones(1000, dtype=torch.bool)
    untouched[corrupted] = False
    assert torch.equal(new[untouched], labels[untouched])
    kept = int((new[corrupted] == labels[corrupted]).sum())
    assert 0 < kept < 60  # about 300/10 keep their label by chance
    assert new.min() >= 0 and new.max() <= 9


def test_pairflip_exact_per_class():
    labels = torch.cat([torch.full((n,), c) for c, n in enumerate([100, 50, 30, 21, 10, 0, 5, 7, 9, 11])])
    new, corrupted = _noise(labels, noisy_labels_type="pairflip", noisy_labels_fraction=0.2, seed=3)
    for c, n in enumerate([100, 50, 30, 21, 10, 0, 5, 7, 9, 11]):
        members = labels == c
        flipped = members & (new != labels)
        assert int(flipped.sum()) == round(0.2 * n)
        assert torch.all(new[flipped] == (c + 1) % 10)
    assert torch.equal(corrupted, torch.nonzero(new != labels).flatten())


def test_asymmetric_cifar10_map():
    labels = _labels(1000)
    mapping = asymmetric_map("cifar10")
    assert mapping == {9: 1, 2: 0, 4: 7, 3: 5, 5: 3}
    new, corrupted = _noise(labels, noisy_labels_type="asymmetric", noisy_labels_fraction=0.4, class_map=mapping)
    for c in range(10):
        members = labels == c
        flipped = members & (new != labels)
        if c in mapping:
            assert int(flipped.sum()) == 40 and torch.all(new[flipped] == mapping[c])
        else:
            assert int(flipped.sum()) == 0
    assert corrupted.numel() == 200
    # the 3<->5 swap acts once on originals: flipped 3s become 5, flipped 5s become 3
    assert int(((labels == 3) & (new == 5)).sum()) == 40 and int(((labels == 5) & (new == 3)).sum()) == 40


def test_asymmetric_json_style_map_and_bad_maps():
    labels = _labels(100)
    new, _ = _noise(labels, noisy_labels_type="asymmetric", noisy_labels_fraction=1.0, class_map={"0": "1"})
    assert torch.all(new[labels == 0] == 1)
    for bad in ({0: 0}, {0: 10}, {"x": 1}):
        with pytest.raises(UsageError, match="class map"):
            _noise(labels, noisy_labels_type="asymmetric", noisy_labels_fraction=0.5, class_map=bad)
    with pytest.raises(UsageError, match="class map"):
        _noise(labels, noisy_labels_type="asymmetric", noisy_labels_fraction=0.5)


def test_standard_maps():
    assert asymmetric_map("mnist") == ASYMMETRIC_MAPS["mnist"] == {2: 7, 3: 8, 5: 6, 6: 5}
    m = cifar100_superclass_map()
    assert sorted(m) == list(range(100)) and sorted(m.values()) == list(range(100))
    for fine, target in m.items():
        assert target != fine and FINE_TO_COARSE[target] == FINE_TO_COARSE[fine]
    # cyclic within the superclass: following the map 5 times returns to the start
    for fine in range(100):
        x = fine
        for _ in range(5):
            x = m[x]
        assert x == fine
    # aquatic mammals: beaver(4) -> dolphin(30) -> otter(55) -> seal(72) -> whale(95) -> beaver
    assert [m[4], m[30], m[55], m[72], m[95]] == [30, 55, 72, 95, 4]
    assert asymmetric_map("cifar100") != m  # the superclass map is now a named choice (test below)
    with pytest.raises(UsageError, match="fashion_mnist"):
        asymmetric_map("fashion_mnist")


def test_validation():
    labels = _labels(10)
    cases = [
        dict(random_labels_fraction=0.1, noisy_labels_type="symmetric", noisy_labels_fraction=0.1),
        dict(random_labels_fraction=1.5),
        dict(noisy_labels_type="symmetric", noisy_labels_fraction=-0.1),
        dict(noisy_labels_type="symmetric"),
        dict(noisy_labels_fraction=0.2),
        dict(noisy_labels_type="gaussian", noisy_labels_fraction=0.2),
    ]
    for kw in cases:
        with pytest.raises(UsageError):
            _noise(labels, **kw)


def test_same_seed_same_noise_different_seeds_independent():
    n, f = 10000, 0.2
    labels = _labels(n)
    kw = dict(noisy_labels_type="symmetric", noisy_labels_fraction=f)
    a, ca = _noise(labels, seed=11, **kw)
    b, cb = _noise(labels, seed=11, **kw)
    assert torch.equal(a, b) and torch.equal(ca, cb)
    _, cc = _noise(labels, seed=12, **kw)
    overlap = len(set(ca.tolist()) & set(cc.tolist()))
    k = round(f * n)
    mean = k * k / n  # hypergeometric: 400
    sd = math.sqrt(mean * (1 - k / n) * (n - k) / (n - 1))
    assert abs(overlap - mean) < 5 * sd


def test_subsampling_after_noise_keeps_noise_of_kept_examples():
    labels = _labels(1000)
    noisy, corrupted = _noise(labels, random_labels_fraction=0.2, seed=5)
    keep = subsample_indices(1000, 0.3, seed=9)
    sub_labels = noisy[keep]
    assert torch.equal(sub_labels, noisy[keep])
    corrupted_set = set(corrupted.tolist())
    kept_corrupted = [i for i, idx in enumerate(keep.tolist()) if idx in corrupted_set]
    # the same examples are noisy whether or not we subsample, and the noise did not depend on the subsample
    noisy_again, corrupted_again = _noise(labels, random_labels_fraction=0.2, seed=5)
    assert torch.equal(noisy_again[keep], sub_labels) and torch.equal(corrupted_again, corrupted)
    assert 20 < len(kept_corrupted) < 100  # about 0.2 * 300 = 60


# ----- MNIST asymmetric noise: the SDD convention, and its hash ----------------------------------
def _fake_mnist(root, n_train=2000):
    from datasets_fakes import write_idx_dataset

    write_idx_dataset(root / "mnist", n_train=n_train, n_test=10, seed=4)
    return root


def test_mnist_asymmetric_noise_corrupts_only_2_3_5_6(tmp_path):
    from sparselab.data.hparams import DatasetHparams
    from sparselab.train.data import prepare_data

    hp = DatasetHparams(dataset_name="mnist", noisy_labels_type="asymmetric", noisy_labels_fraction=0.4,
                        noise_seed=0)
    data = prepare_data(hp, _fake_mnist(tmp_path), 1)
    true, noisy = data.true_labels, data.train.labels
    changed = true != noisy
    assert sorted(set(true[changed].tolist())) == [2, 3, 5, 6]
    assert set(zip(true[changed].tolist(), noisy[changed].tolist())) == {(2, 7), (3, 8), (5, 6), (6, 5)}
    for c in (2, 3, 5, 6):
        assert int(changed[true == c].sum()) == round(0.4 * int((true == c).sum()))
    assert not changed[true == 7].any()  # 7 -> 1 is not part of the SDD convention


def test_mnist_asymmetric_default_changed_meaning_so_its_hash_changed():
    import hashlib
    import json

    from sparselab.data.hparams import DatasetHparams
    from sparselab.core.desc import job_hash

    common = dict(dataset_name="mnist", noisy_labels_type="asymmetric", noisy_labels_fraction=0.4)
    # what the dataset bundle hashed as before the map changed: the non-default fields, no noise_map
    old = json.dumps({"dataset": common}, sort_keys=True, separators=(",", ":"))
    old_hash = hashlib.sha256(old.encode()).hexdigest()[:16]
    assert job_hash({"dataset": DatasetHparams(**common)}) != old_hash
    legacy = DatasetHparams(**common, noise_map='{"2": 7, "3": 8, "5": 6, "6": 5, "7": 1}')
    assert job_hash({"dataset": legacy}) == old_hash  # the old meaning, explicitly, is the old directory
    other = DatasetHparams(**common, noise_map='{"2": 7}')
    assert job_hash({"dataset": other}) not in (old_hash, job_hash({"dataset": DatasetHparams(**common)}))
    # other datasets, and other MNIST noise, hash as before
    for hp in (dict(dataset_name="cifar10", noisy_labels_type="asymmetric", noisy_labels_fraction=0.4),
               dict(dataset_name="mnist", noisy_labels_type="symmetric", noisy_labels_fraction=0.4)):
        body = json.dumps({"dataset": hp}, sort_keys=True, separators=(",", ":"))
        assert job_hash({"dataset": DatasetHparams(**hp)}) == hashlib.sha256(body.encode()).hexdigest()[:16]


def test_legacy_mnist_map_reachable_with_noise_map(tmp_path):
    from sparselab.data.hparams import DatasetHparams
    from sparselab.train.data import prepare_data

    hp = DatasetHparams(dataset_name="mnist", noisy_labels_type="asymmetric", noisy_labels_fraction=0.4,
                        noise_map='{"2": 7, "3": 8, "5": 6, "6": 5, "7": 1}', noise_seed=0)
    data = prepare_data(hp, _fake_mnist(tmp_path), 1)
    moved = data.true_labels != data.train.labels
    assert sorted(set(data.true_labels[moved].tolist())) == [2, 3, 5, 6, 7]


# ----- noisy = label changed ----------------------------------------------------------------------
def test_random_labels_draw_is_unchanged():
    """The noise itself (which examples, which labels) is pinned: old jobs keep their training data."""
    labels = _labels(1000)
    new, relabelled = _noise(labels, random_labels_fraction=0.3, seed=2)
    assert relabelled.numel() == 300
    assert int((new * torch.arange(1000)).sum()) == 2269737  # computed with the code before this change
    assert relabelled[:5].tolist() == [1, 8, 9, 10, 13]


def test_noisy_split_is_the_changed_set(tmp_path):
    from sparselab.data.hparams import DatasetHparams
    from sparselab.train.data import prepare_data

    data = prepare_data(DatasetHparams(dataset_name="digits", random_labels_fraction=0.5, noise_seed=3), tmp_path, 1)
    changed = torch.nonzero(data.train.labels != data.true_labels).flatten()
    assert torch.equal(data.changed, changed)
    kept = data.corrupted.numel() - changed.numel()
    assert 0 < kept  # some relabelled examples drew their own label: they are clean
    assert set(changed.tolist()) < set(data.corrupted.tolist())


def test_training_metrics_use_the_changed_set(tmp_path, monkeypatch):
    """The loop receives the changed set: a network predicting the TRUE labels memorises 0 %, not ~1/C."""
    from sparselab.data.hparams import DatasetHparams
    from sparselab.train import loop, standard
    from sparselab.train.data import prepare_data
    from sparselab.train.evaluate import evaluate
    from sparselab.train.hparams import TrainingHparams

    data = prepare_data(DatasetHparams(dataset_name="digits", random_labels_fraction=0.5, noise_seed=3), tmp_path, 1)
    seen = {}

    class Stop(Exception):
        pass

    def fake_train(setup):
        seen["corrupted"] = setup.corrupted
        raise Stop

    monkeypatch.setattr(loop, "train", fake_train)
    platform = type("P", (), {"device": torch.device("cpu"), "is_primary": False, "rank": 0, "world_size": 1})()
    env = standard.Environment(platform, data, 1, verbose=False)
    with pytest.raises(Stop):
        standard.train_in_directory(tmp_path, torch.nn.Linear(1, 1), env, TrainingHparams(training_steps="1it"))
    assert torch.equal(seen["corrupted"], data.changed)

    class Oracle(torch.nn.Module):  # predicts each example's true label
        def forward(self, x):
            return torch.nn.functional.one_hot(truth[x[:, 0].long()], 10).float()

    truth = data.true_labels
    index = torch.arange(data.num_train, dtype=torch.float32)[:, None]
    out = evaluate(Oracle(), [(index, data.train.labels)], "train", true_labels=truth, corrupted=seen["corrupted"])
    assert out["train_noisy_accuracy"] == 0.0 and out["train_clean_accuracy"] == 1.0
    assert out["train_noisy_true_accuracy"] == 1.0


def test_label_noise_record_has_both_sets_and_old_records_load(tmp_path):
    from sparselab.data.hparams import DatasetHparams
    from sparselab.data.label_noise import read_noise_record
    from sparselab.train.data import prepare_data

    data = prepare_data(DatasetHparams(dataset_name="digits", random_labels_fraction=0.5, noise_seed=3), tmp_path, 1)
    data.save_noise_record(tmp_path)
    record = torch.load(tmp_path / "label_noise.pt", weights_only=True)
    assert torch.equal(record["corrupted_indices"], data.corrupted)
    assert torch.equal(record["changed_indices"], data.changed)
    relabelled, changed = read_noise_record(record)
    assert torch.equal(relabelled, data.corrupted) and torch.equal(changed, data.changed)
    old = {k: v for k, v in record.items() if k != "changed_indices"}  # written before the changed set
    relabelled, changed = read_noise_record(old)
    assert torch.equal(relabelled, data.corrupted) and torch.equal(changed, data.changed)


def test_cifar100_asymmetric_map_is_sdds_blocks_of_five():
    """SDD / ELR: class indices in blocks 0-4, 5-9, ..., 95-99; i -> the next index of its block, cyclically."""
    expected = {}
    for start in range(0, 100, 5):
        block = list(range(start, start + 5))
        for j, c in enumerate(block):
            expected[c] = block[(j + 1) % 5]
    assert asymmetric_map("cifar100") == expected
    assert [expected[c] for c in (0, 4, 5, 99)] == [1, 0, 6, 95]
    agree = sum(expected[c] == cifar100_superclass_map()[c] for c in range(100))
    assert agree == 4  # the superclass map, sparselab's earlier default, agrees on 4 classes only


def test_cifar100_noise_maps_by_name_and_their_hashes():
    from sparselab.data.hparams import DatasetHparams

    def bundle(**kw):
        return DatasetHparams(dataset_name="cifar100", noisy_labels_type="asymmetric", noisy_labels_fraction=0.2, **kw)

    superclass = bundle(noise_map="cifar100_superclass")
    assert superclass.parsed_noise_map() == cifar100_superclass_map()
    assert "noise_map" not in superclass.canonical()  # = the old default's directories
    default = bundle()
    assert json.loads(default.canonical()["noise_map"]) == {str(k): v for k, v in asymmetric_map("cifar100").items()}
    assert bundle(noise_map="cifar100_blocks").canonical() == default.canonical()
    with pytest.raises(UsageError, match="cifar100_superclass"):
        bundle(noise_map="cifar100_nonsense")
