"""(b) He et al. 2022 (Sparse Double Descent): LeNet-300-100 on MNIST with 20 % random labels, IMP
rewinding to init: test accuracy at the dense level, a dip (~level 10) and a second descent (~level 20).

    python bench/reproduce/sdd_mnist_label_noise.py --root /work/repro_runs --out docs/figures
    python bench/reproduce/sdd_mnist_label_noise.py --quick --root /tmp/r --out /tmp/o   # CI scale, digits
"""
from __future__ import annotations

from pathlib import Path

import common
import sdd_common as sdd


def main(argv: list[str] | None = None) -> int:
    p = common.parser(__doc__.splitlines()[0])
    sdd.add_flags(p)
    args = p.parse_args(argv)
    common.check_data(args, ["mnist"])
    flags = sdd.trunk_flags(args)
    rows = common.experiment_rows(common.run(args, "lottery", **flags))
    density = common.density_by_level(rows)
    test = sdd.mean_curve(rows, "main")
    train = sdd.mean_curve(rows, "main", "final_train_accuracy")
    found = sdd.locate(test)
    last = max(test)
    report = common.Report("sdd_mnist_label_noise", "Sparse double descent: LeNet-300-100, MNIST, 20 % random "
                                                     "labels", sdd.steps_line(flags, args.quick))
    pub = sdd.PUBLISHED
    report.rows += [
        ("dense (level 0) test accuracy", sdd.at(pub["dense"]), sdd.at((0, test[0]))),
        ("dense (level 0) train accuracy (noisy labels)", "100 %", common.pct(train.get(0))),
        ("dip (worst sparse point before the rise)", sdd.at(pub["dip"]) + " (89.3 % sparse)", sdd.at(found["dip"])),
        ("second descent (best later point)", sdd.at(pub["best"]) + " (98.8 % sparse)", sdd.at(found["best"])),
        (f"last level run ({100 * (1 - density[last]):.1f} % sparse)", sdd.at(pub["last"]) + " (99.5 % sparse)",
         sdd.at((last, test[last]))),
    ]
    memorised = train.get(0) is not None and train[0] >= 0.99
    report.verdict("dense, dip and second descent at the published levels",
                   sdd.shape_outcome(found, memorised), sdd.CRITERION)
    plt = common.pyplot()
    fig, ax = plt.subplots(figsize=(6, 3.8))
    xs = [100 * (1 - density[lv]) for lv in test]
    ax.plot(xs, [100 * v for v in test.values()], "o-", ms=3, label="test (measured)")
    ax.plot([100 * (1 - density[lv]) for lv in train], [100 * v for v in train.values()], "s--", ms=3,
            label="train, noisy labels (measured)")
    pub_x = {0: 0.0, 10: 89.3, 20: 98.8, 24: 99.5}
    ax.plot([pub_x[lv] for lv, _ in pub.values()], [100 * v for _, v in pub.values()], "r*", ms=9,
            label="published (SDD Fig. 1, read off)")
    ax.set(xlabel="sparsity (%)", ylabel="accuracy (%)",
           title=f"LeNet-300-100 {flags.get('dataset_name', 'mnist')}, 20 % random labels, {flags.get('training_steps', sdd.PUBLISHED_STEPS)}/level")
    common.sparsity_axis(ax)
    ax.legend(fontsize=8)
    common.save_figure(fig, Path(args.out), "sdd_mnist_label_noise")
    report.write(Path(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
