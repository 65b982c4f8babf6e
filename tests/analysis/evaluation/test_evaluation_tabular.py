"""The tabular datasets: bundled breast_cancer / wine tables and a user's CSV file."""
from __future__ import annotations

from helpers import call_main


import numpy as np
import pytest
import torch

from sparselab.data import csv_table, registry
from sparselab.data.hparams import DatasetHparams
from sparselab.data.tabular import standardise, stratified_test_mask
from sparselab.core.errors import UsageError


call = call_main


@pytest.mark.parametrize("name,train,test,features,classes", [("breast_cancer", 456, 113, 30, 2),
                                                               ("wine", 142, 36, 13, 3)])
def test_bundled_tables_split_and_standardisation(name, train, test, features, classes, tmp_path):
    tr, te = registry.load(name, tmp_path)
    source = registry.get_source(name)
    assert (len(tr), len(te)) == (train, test) == (source.train_size, test)
    assert tr.images.dtype == torch.float32 and tuple(tr.images.shape[1:]) == (1, 1, features) == source.image_shape
    assert sorted(set(tr.labels.tolist())) == list(range(classes)) and source.num_classes == classes
    x = tr.images.flatten(1).double()
    assert x.mean(0).abs().max().item() < 1e-5 and (x.std(0, unbiased=False) - 1).abs().max().item() < 1e-4
    assert te.images.flatten(1).double().mean(0).abs().max().item() > 1e-3  # test statistics were not used
    for c in range(classes):  # stratified: each class's test share is round(0.2 * its count)
        n = int((tr.labels == c).sum() + (te.labels == c).sum())
        assert int((te.labels == c).sum()) == round(0.2 * n)


def test_standardise_uses_train_statistics_only():
    train = np.array([[1.0, 5.0], [3.0, 5.0]])
    test = np.array([[5.0, 7.0]])
    a, b = standardise(train, test)
    assert a.tolist() == [[-1.0, 0.0], [1.0, 0.0]]  # mean (2, 5), std (1, 0 -> 1)
    assert b.tolist() == [[3.0, 2.0]]
    mask = stratified_test_mask(np.array([0] * 10 + [1] * 5))
    assert mask[:10].sum() == 2 and mask[10:].sum() == 1


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


GOOD = "a,b,label,c\n" + "".join(f"{i},{i % 3},{'yes' if i % 2 else 'no'},{i * 0.5}\n" for i in range(20))


def test_csv_reads_features_and_labels(tmp_path):
    path = write(tmp_path, GOOD)
    source, train, test = csv_table.load_csv(path, "label")
    assert source.num_classes == 2 and source.class_names == ("no", "yes") and source.image_shape == (1, 1, 3)
    assert (len(train), len(test)) == (16, 4) and source.train_size == 16
    x, y, classes, names = csv_table.parse(path, "label")
    assert names == ["a", "b", "c"] and x[3].tolist() == [3.0, 0.0, 1.5] and y[3] == 1
    numeric = write(tmp_path, "f,y\n1,10\n2,9\n3,10\n", "n.csv")
    assert csv_table.parse(numeric, "y")[2] == ["9", "10"]  # integer labels sort numerically


@pytest.mark.parametrize("text,needle", [
    ("a,label\n1,x\n,y\n", "missing value in column 'a', row 2"),
    ("a,label\n1,x\nNA,y\n", "missing value in column 'a', row 2"),
    ("a,b,label\n1,2,x\n3,abc,y\n", "non-numeric value 'abc' in column 'b', row 2"),
    ("a,label\n1,x\ninf,y\n", "non-finite value 'inf' in column 'a', row 2"),
    ("a,label\n1,x\n2,y,3\n", "row 2 has 3 fields"),
    ("a,label\n1,x\n2,\n", "missing value in column 'label', row 2"),
    ("a,target\n1,x\n", "'label' is not a column"),
])
def test_csv_errors_name_column_and_row(tmp_path, text, needle):
    with pytest.raises(UsageError, match=needle):
        csv_table.parse(write(tmp_path, text), "label")


def test_csv_hash_follows_content_not_path(tmp_path):
    a, b = write(tmp_path, GOOD, "a.csv"), write(tmp_path, GOOD, "b.csv")
    h = lambda p: DatasetHparams(dataset_name="csv", csv_file=str(p), csv_label_column="label").canonical()
    assert h(a) == h(b) and h(a)["csv_file"].startswith("sha256:")
    b.write_text(GOOD.replace("0.5", "0.25"))
    assert h(a) != h(b)


def test_csv_command_errors_are_one_line(tmp_path):
    bad = write(tmp_path, "a,label\n1,x\nfoo,y\n")
    root = ["--root", str(tmp_path / "runs"), "--quiet", "--training_steps=1it"]
    status, _, err = call(["train", "--dataset_name=csv", f"--csv_file={bad}", "--csv_label_column=label", *root])
    assert status == 2 and err.count("\n") == 1 and "column 'a', row 2" in err and err.startswith("error:")
    status, _, err = call(["train", f"--csv_file={bad}", *root])
    assert status == 2 and "exists only with" in err
    status, _, err = call(["train", "--dataset_name=csv", *root])
    assert status == 2 and "--csv_label_column" in err
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())  # no job directory


def test_lottery_on_breast_cancer_runs_without_files(tmp_path):
    status, out, err = call(["lottery", "--dataset_name=breast_cancer", "--levels=1", "--training_steps=3ep",
                             "--root", str(tmp_path), "--quiet"])
    assert status == 0, err
    level1 = [line for line in out.splitlines() if line.strip().startswith("1 ")][0]
    assert float(level1.split()[3]) > 80  # % test accuracy after 3 epochs (majority class: 63 %)
