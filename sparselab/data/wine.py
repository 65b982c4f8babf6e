"""scikit-learn's bundled wine table (178 examples, 13 numeric features, 3 cultivars).

Needs no files. Fixed stratified split (`datasets.tabular`: 20 % of each class, seed 0): 142 train /
36 test; features standardised with the train split's statistics.
"""
from sparselab.data.tabular import bundled_table

FEATURES = 13
SOURCE = bundled_table("wine", "load_wine", train_size=142, features=FEATURES,
                       class_names=("class_0", "class_1", "class_2"))
