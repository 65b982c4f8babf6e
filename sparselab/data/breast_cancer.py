"""scikit-learn's bundled Wisconsin breast-cancer table (569 examples, 30 numeric features, 2 classes).

Needs no files. Fixed stratified split (`datasets.tabular`: 20 % of each class, seed 0): 456 train /
113 test; features standardised with the train split's statistics.
"""
from sparselab.data.tabular import bundled_table

FEATURES = 30
SOURCE = bundled_table("breast_cancer", "load_breast_cancer", train_size=456, features=FEATURES,
                       class_names=("malignant", "benign"))
